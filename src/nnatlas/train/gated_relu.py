"""The sampled-convex-program (gated ReLU) route of convex two-layer network training.

From "Efficient Global Optimization of Two-layer ReLU Networks: Quadratic-time Algorithms and
Adversarial Training" (Bai, Gautam, Sojoudi; arXiv 2201.01965), the paper's second algorithm:
drop the cone constraints of the convex ReLU program (:mod:`nnatlas.train.convex_relu`) and
solve the *unconstrained* group-lasso program over sampled gates ``h_i``,

    min_U  ℓ(Σ_i D_i X u_i, y) + β Σ_i ‖u_i‖₂,        D_i = diag(1[X h_i ≥ 0]),

which is the convex training problem of the *gated ReLU* network
``f(x) = Σ_i 1[xᵀh_i ≥ 0] · xᵀu_i`` with the gates fixed (Fiat et al.; Mishkin, Sahiner and
Pilanci, ICML 2022). Sampled-convex-program theory (Calafiore–Campi) bounds how much an
unsampled gate could still improve the solution. Any first-order method applies; here the
program is solved by FISTA with backtracking and objective restarts (R-FISTA), for the squared
loss (regression, or ±1 targets) and the logistic loss (binary classification).

Deviations: the loss is summed over the samples, not averaged (the same convention as
:func:`~nnatlas.train.convex_relu.admm_convex_relu`, so β means the same in both routes); the
gated model is returned as such (:class:`GatedReLU`), not converted to a ReLU network (that
needs the cone decomposition of Mishkin et al., which is not implemented); the gate vectors are
kept, so the model applies to new inputs.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.train.validation import check_nonnegative, check_tensor

logger = logging.getLogger(__name__)

__all__ = [
    "GatedReLU",
    "GatedReLUSolution",
    "gated_relu_cvxpy",
    "gated_relu_fista",
    "gated_relu_objective",
    "sample_gates",
]

GatedLoss = Literal["squared", "logistic"]

# Relative slack of the backtracking test: a few hundred ulps of float64, far above the rounding
# of an n-term loss sum (n eps |f|) for n up to ~10^4, far below any real sufficient decrease.
_SLACK = 1e-12


def _with_bias(x: Tensor, bias: bool) -> Tensor:
    return torch.cat([x, torch.ones_like(x[:, :1])], dim=1) if bias else x


def sample_gates(
    x: Tensor,
    num_samples: int,
    *,
    bias: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Gaussian gate vectors ``h_i`` with distinct, non-empty activation patterns on ``x``.

    Args:
        x: training inputs ``(n, d)`` (without the bias column; ``bias`` appends it).
        num_samples: directions drawn; at most this many survive the de-duplication.
        bias: gates act on ``[x, 1]`` (a gate threshold), as the network's hidden bias.
        generator: CPU generator for the directions.

    Returns:
        Gate vectors ``(d + bias, P)`` in float64, one per distinct pattern of ``x``.
    """
    check_int("num_samples", num_samples)
    _check_inputs(x)
    xb = _with_bias(x.double().cpu(), bias)
    h = torch.randn(xb.shape[1], num_samples, generator=generator, dtype=torch.float64)
    pats = xb @ h >= 0
    # Keep the first direction of each distinct, non-empty pattern.
    _, inverse = torch.unique(pats.T, dim=0, return_inverse=True)
    first = torch.full((int(inverse.max()) + 1,), num_samples, dtype=torch.long)
    first = first.scatter_reduce(0, inverse, torch.arange(num_samples), reduce="amin")
    keep = first.sort().values
    keep = keep[pats[:, keep].any(dim=0)]
    return h[:, keep].to(x.device)


def _check_inputs(x: Tensor) -> None:
    if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[0] == 0:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ConfigError(f"x must be a non-empty (n, d) tensor; got {shape}")
    check_tensor("x", x, rank=2)


def _check_problem(x: Tensor, y: Tensor, gates: Tensor, bias: bool, loss: str) -> Tensor:
    _check_inputs(x)
    check_tensor("y", y, floating=False)
    if y.shape != (x.shape[0],):
        raise ConfigError(f"y must be ({x.shape[0]},) to match x; got shape {tuple(y.shape)}")
    check_tensor("gates", gates)
    if gates.dim() != 2 or gates.shape[0] != x.shape[1] + int(bias):
        raise ConfigError(
            f"gates must be (d + bias, P) = ({x.shape[1] + int(bias)}, P); got {tuple(gates.shape)}"
        )
    if loss not in ("squared", "logistic"):
        raise ConfigError(f"loss must be 'squared' or 'logistic'; got {loss!r}")
    yy = y.double().reshape(-1)
    if loss == "logistic":
        if bool(((yy == 0) | (yy == 1)).all()):
            yy = 2 * yy - 1
        if not bool(((yy == -1) | (yy == 1)).all()):
            raise ConfigError("the logistic loss needs labels in {0, 1} or {-1, +1}")
    return yy


def _smooth(pred: Tensor, y: Tensor, loss: str) -> tuple[Tensor, Tensor]:
    """Loss value and its derivative with respect to the predictions ``(n,)``."""
    if loss == "squared":
        r = pred - y
        return 0.5 * r.pow(2).sum(), r
    margin = y * pred
    return F.softplus(-margin).sum(), -y * torch.sigmoid(-margin)


def gated_relu_objective(
    x: Tensor,
    y: Tensor,
    u: Tensor,
    gates: Tensor,
    beta: float,
    *,
    bias: bool = True,
    loss: GatedLoss = "squared",
) -> float:
    """``ℓ(Σ_i D_i X u_i, y) + β Σ_i ‖u_i‖₂`` for weights ``u`` ``(d + bias, P)``."""
    yy = _check_problem(x, y, gates, bias, loss)
    check_tensor("u", u)
    if u.shape != gates.shape:
        raise ConfigError(
            f"u must have the gates' shape (d + bias, P) = {tuple(gates.shape)}; got "
            f"{tuple(u.shape)}"
        )
    xb = _with_bias(x.double(), bias)
    pred = ((xb @ gates.double() >= 0) * (xb @ u.double())).sum(dim=1)
    value, _ = _smooth(pred, yy, loss)
    return float(value + beta * u.double().norm(dim=0).sum())


@dataclass
class GatedReLUSolution:
    """A solution of the gated (sampled convex) program.

    Attributes:
        u: neuron weights ``(d + bias, P)`` (group-sparse: zero columns are pruned neurons).
        gates: gate vectors ``(d + bias, P)``.
        bias: whether the inputs get an appended bias column.
        beta, loss: the problem solved.
        objective: its value at ``u``.
        kkt_residual: ``max_i`` of the optimality-condition violation of group ``i``, relative to
            β (0 at an exact optimum): ``‖g_i + β u_i/‖u_i‖‖`` for active groups,
            ``max(‖g_i‖ − β, 0)`` for zero groups, ``g = ∇ℓ``.
        iterations: FISTA iterations run.
        history: objective after each iteration.
    """

    u: Tensor
    gates: Tensor
    bias: bool
    beta: float
    loss: str
    objective: float
    kkt_residual: float
    iterations: int
    history: list[float] = field(default_factory=list)

    @property
    def num_neurons(self) -> int:
        """Number of non-zero neurons."""
        return int((self.u.norm(dim=0) > 0).sum())

    def predict(self, x: Tensor) -> Tensor:
        """Model output ``Σ_i 1[x̃ᵀh_i ≥ 0] x̃ᵀu_i``: ``(n, d)`` → ``(n,)`` (float64)."""
        xb = _with_bias(x.to(self.u), self.bias)
        return ((xb @ self.gates >= 0) * (xb @ self.u)).sum(dim=1)

    def to_module(self) -> GatedReLU:
        """The solution as a :class:`GatedReLU` module (active neurons only), e.g. to fine-tune."""
        keep = self.u.norm(dim=0) > 0
        d = self.u.shape[0] - int(self.bias)
        module = GatedReLU(d, int(keep.sum()), bias=self.bias, dtype=self.u.dtype)
        with torch.no_grad():
            module.gates.copy_(self.gates[:, keep].T)
            module.weight.copy_(self.u[:, keep].T)
        return module


def _col_norms(v: Tensor) -> Tensor:
    """Euclidean norms of the columns of ``v (d, P)``: ``(P,)``.

    ``sqrt(Σ v²)`` directly: ~10× faster than ``v.norm(dim=0)`` for the few-row, many-column
    weights of this program (no overflow guard is needed at these magnitudes).
    """
    return (v * v).sum(dim=0).sqrt()


def _kkt(grad: Tensor, u: Tensor, beta: float) -> float:
    norms = _col_norms(u)
    active = norms > 0
    res = torch.zeros_like(norms)
    res[active] = _col_norms(grad[:, active] + beta * u[:, active] / norms[active])
    res[~active] = (_col_norms(grad[:, ~active]) - beta).clamp_min(0)
    return float(res.max()) / beta if res.numel() else 0.0


class _GatedProblem:
    """The pieces of the gated program FISTA needs, on the data with bias column ``xb (n, d)``.

    ``dm (n, P)`` are the fixed gate patterns; ``forward(u)`` the predictions ``(n,)``;
    ``value``/``value_grad`` the smooth loss (and its gradient in u); ``prox`` the group-lasso
    proximal map; ``full`` the whole objective.
    """

    def __init__(self, xb: Tensor, gates: Tensor, yy: Tensor, loss: str, beta: float) -> None:
        self.xb, self.yy, self.loss, self.beta = xb, yy, loss, beta
        self.dm = (xb @ gates.double() >= 0).to(xb)  # (n, P)

    def forward(self, u: Tensor) -> Tensor:
        # Σ_p dm[:, p] (xb u)[:, p] = Σ_j xb[:, j] (dm uᵀ)[:, j]: one (n, P) × (P, d) product
        # instead of an (n, P) temporary (same sums, reordered: float rounding only).
        return (self.xb * (self.dm @ u.T)).sum(dim=1)

    def grad_of(self, r: Tensor) -> Tensor:
        """``Xᵀ (D ⊙ r)`` for a residual ``r (n,)``: ``(d, P)``, as ``(X ⊙ r)ᵀ D``."""
        return (self.xb * r[:, None]).T @ self.dm

    def value_grad(self, u: Tensor) -> tuple[float, Tensor]:
        value, r = _smooth(self.forward(u), self.yy, self.loss)
        return float(value), self.grad_of(r)

    def value(self, u: Tensor) -> float:
        return float(_smooth(self.forward(u), self.yy, self.loss)[0])

    def prox(self, v: Tensor, step: float) -> Tensor:
        norms = _col_norms(v)[None, :]
        return v * (1 - step * self.beta / norms.clamp_min(1e-300)).clamp_min(0)

    def full(self, u: Tensor) -> float:
        return self.value(u) + self.beta * float(_col_norms(u).sum())

    def lipschitz(self) -> float:
        """Power-iteration estimate of the Lipschitz constant of ∇ℓ (the initial 1 / step)."""
        xb, dm = self.xb, self.dm
        v = torch.randn(xb.shape[1], dm.shape[1], generator=torch.Generator().manual_seed(0)).to(xb)
        for _ in range(20):
            v = self.grad_of(self.forward(v))
            v = v / v.norm().clamp_min(1e-300)
        return float(self.forward(v).pow(2).sum()) * (0.25 if self.loss == "logistic" else 1.0)


def gated_relu_fista(
    x: Tensor,
    y: Tensor,
    *,
    beta: float,
    gates: Tensor | None = None,
    num_samples: int = 100,
    bias: bool = True,
    loss: GatedLoss = "squared",
    max_iter: int = 2000,
    tol: float = 1e-6,
    generator: torch.Generator | None = None,
) -> GatedReLUSolution:
    """Solve the gated ReLU program by R-FISTA (backtracking, restart on objective increase).

    Args:
        x: inputs ``(n, d)``.
        y: targets ``(n,)``: real values (``loss="squared"``) or labels in ``{0, 1}`` /
            ``{−1, +1}`` (``loss="logistic"``; ±1 targets also work with the squared loss).
        beta: group-lasso strength β (> 0), the weight decay of the network.
        gates: gate vectors ``(d + bias, P)``; default :func:`sample_gates` with ``num_samples``.
        num_samples: directions for the default gates (the knob of the approximation).
        bias: append an all-ones column to the inputs.
        loss: ``"squared"`` (½‖f − y‖²) or ``"logistic"`` (Σ log(1 + exp(−y f))).
        max_iter: iteration cap.
        tol: stop when the relative KKT residual (see :class:`GatedReLUSolution`) is below it.
        generator: CPU generator for the default gates.

    Returns:
        A :class:`GatedReLUSolution` in float64.
    """
    if not beta > 0:
        raise ConfigError(f"beta must be > 0; got {beta}")
    check_int("max_iter", max_iter)
    if gates is None:
        gates = sample_gates(x, num_samples, bias=bias, generator=generator)
    yy = _check_problem(x, y, gates, bias, loss)
    prob = _GatedProblem(_with_bias(x.double(), bias), gates, yy, loss, float(beta))
    prox, forward = prob.prox, prob.forward
    step = 1.0 / max(prob.lipschitz(), 1e-12)
    u = torch.zeros(prob.xb.shape[1], prob.dm.shape[1], dtype=prob.xb.dtype, device=prob.xb.device)
    z, t = u.clone(), 1.0
    # The predictions are linear in the weights, so the extrapolated point's predictions are
    # the same combination of the last two *freshly computed* ones (no drift accumulates):
    # one forward product per trial step instead of two.
    p_u = forward(u)
    p_z = p_u
    f_u = prob.full(u)
    history: list[float] = []
    kkt = math.inf
    it = 0
    while it < max_iter:
        it += 1
        f_z_t, r_z = _smooth(p_z, yy, loss)
        f_z, g_z = float(f_z_t), prob.grad_of(r_z)
        while True:
            u_new = prox(z - step * g_z, step)
            diff = u_new - z
            p_new = forward(u_new)
            smooth_new = float(_smooth(p_new, yy, loss)[0])
            bound = f_z + float((g_z * diff).sum()) + float(diff.pow(2).sum()) / (2 * step)
            # The slack absorbs the rounding of the two loss sums (f_z comes from the
            # extrapolated predictions): without it a converged iterate (diff = 0) could
            # backtrack forever on a last-bit difference.
            if smooth_new <= bound + _SLACK * abs(f_z):
                break
            step *= 0.5
        f_new = smooth_new + beta * float(_col_norms(u_new).sum())
        if f_new > f_u:  # restart: momentum overshot; take a plain proximal step from u
            z, p_z, t = u.clone(), p_u, 1.0
            continue
        t_new = 0.5 * (1 + math.sqrt(1 + 4 * t * t))
        # Gradient-mapping restart (O'Donoghue & Candès 2015): drop the momentum when it
        # points against the latest proximal step.
        if float(((z - u_new) * (u_new - u)).sum()) > 0:
            t_new = 1.0
        mom = (t - 1) / t_new
        z = u_new + mom * (u_new - u)
        p_z = p_new + mom * (p_new - p_u)
        u, p_u, t, f_u = u_new, p_new, t_new, f_new
        history.append(f_u)
        step *= 1.1  # let the step grow back; backtracking shrinks it when needed
        if it % 10 == 0:  # the KKT check costs a gradient: not every iteration
            kkt = _kkt(prob.grad_of(_smooth(p_u, yy, loss)[1]), u, beta)
            if kkt < tol:
                break
    logger.debug("gated FISTA: %d iterations, objective %.6g, KKT %.2e", it, f_u, kkt)
    return GatedReLUSolution(
        u=u,
        gates=gates.double(),
        bias=bias,
        beta=float(beta),
        loss=loss,
        objective=f_u,
        kkt_residual=_kkt(prob.value_grad(u)[1], u, beta),
        iterations=it,
        history=history,
    )


def gated_relu_cvxpy(
    x: Tensor,
    y: Tensor,
    gates: Tensor,
    beta: float,
    *,
    bias: bool = True,
    loss: GatedLoss = "squared",
) -> float:
    """Optimal value of the gated program by CVXPY (for cross-checks; needs ``cvxpy``).

    Raises:
        MissingExtraError: when ``cvxpy`` is not installed (``pip install 'nnatlas[convex]'``).
    """
    from nnatlas.core.optional import require

    yy = _check_problem(x, y, gates, bias, loss).numpy()
    check_nonnegative("beta", beta)
    cp = require("cvxpy", "convex")
    xb = _with_bias(x.double().cpu(), bias).numpy()
    dm = (xb @ gates.double().cpu().numpy() >= 0).astype(float)
    u = cp.Variable(gates.shape)
    pred = cp.sum(cp.multiply(dm, xb @ u), axis=1)
    if loss == "squared":
        data = 0.5 * cp.sum_squares(pred - yy)
    else:
        data = cp.sum(cp.logistic(-cp.multiply(yy, pred)))
    prob = cp.Problem(cp.Minimize(data + beta * cp.sum(cp.norm(u, 2, axis=0))))
    # Clarabel handles the exponential cone of the logistic loss accurately; SCS may not.
    prob.solve(solver=cp.CLARABEL if "CLARABEL" in cp.installed_solvers() else None)
    return float(prob.value)


class GatedReLU(nn.Module):
    """The gated ReLU network ``f(x) = Σ_i 1[x̃ᵀh_i ≥ 0] · x̃ᵀu_i`` with fixed gates.

    ``x̃ = [x, 1]`` when ``bias``. The gates ``h_i`` are a buffer (not trained); the neuron
    weights ``u_i`` are the parameter. Its convex training problem is
    :func:`gated_relu_fista`'s; as a module it can also be trained by any optimizer.

    Args:
        in_features: d.
        num_neurons: P.
        bias: append a constant 1 to the inputs (gate thresholds and neuron biases).
        device, dtype: of the parameter and buffer.

    Shape:
        - Input ``(batch, in_features)``; output ``(batch,)``.
    """

    gates: Tensor

    def __init__(
        self,
        in_features: int,
        num_neurons: int,
        *,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_features = check_int("in_features", in_features)
        self.num_neurons = check_int("num_neurons", num_neurons, low=0)
        self.bias = bias
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        d = in_features + int(bias)
        self.register_buffer("gates", torch.empty(num_neurons, d, **kw))
        self.weight = nn.Parameter(torch.empty(num_neurons, d, **kw))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Gaussian gates; weights uniform in ±1/√(d + bias), as ``nn.Linear``."""
        nn.init.normal_(self.gates)
        bound = 1 / math.sqrt(self.weight.shape[1])
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ConfigError(
                f"x must be (batch, in_features={self.in_features}); got shape {tuple(x.shape)}"
            )
        xb = _with_bias(x, self.bias)
        return ((xb @ self.gates.T >= 0).to(x.dtype) * (xb @ self.weight.T)).sum(dim=1)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, num_neurons={self.num_neurons}, bias={self.bias}"
