"""Efficient Global Optimization of Two-layer ReLU Networks: Quadratic-time Algorithms and
Adversarial Training (Bai, Gautam, Sojoudi).

arXiv: 2201.01965. Training ``f(x) = Σ_j (xᵀu_j)₊ α_j`` with squared loss and weight decay
``(β/2) Σ_j (‖u_j‖² + α_j²)`` has the same optimum as the convex program (Pilanci & Ergen 2020)

    min_{v_i, w_i}  ½ ‖Σ_i D_i X (v_i − w_i) − y‖² + β Σ_i (‖v_i‖ + ‖w_i‖)
    s.t.            (2D_i − I) X v_i ≥ 0,  (2D_i − I) X w_i ≥ 0,

where ``D_i = diag(1[X h_i ≥ 0])`` runs over the activation arrangements of the data. With only a
sample of arrangements (:func:`sample_arrangements`, Gaussian ``h_i``) the program is an *upper
bound* on the global optimum; it is exact when the sample holds every arrangement the optimum
uses. :func:`admm_convex_relu` solves it by the paper's ADMM: a copy ``z = u`` for the group-ℓ₂
term and a slack ``s = G u ≥ 0`` for the cone constraints. The u-step matrix
``FᵀF + ρ(I + GᵀG)`` is factored once: ``GᵀG`` is block diagonal with blocks ``XᵀX`` (because
``(2D_i − I)² = I``) and ``FᵀF`` has rank ≤ n, so by the Woodbury identity each u-step costs one
``d × d`` and one ``n × n`` triangular solve plus ``O(n d P)`` products, the quadratic-time
iteration the paper describes. :meth:`ConvexReLUSolution.to_module` recovers an ordinary network
(``u = v/√‖v‖, α = √‖v‖``; ``α = −√‖w‖`` for ``w``) whose outputs equal the convex model's.

:func:`robust_convex_relu` builds the paper's robust (ℓ∞) counterpart with hinge loss: robust
cone constraints ``(2d_ik − 1) x_kᵀ v_i ≥ ε‖v_i‖₁`` fix each point's pattern on its box, and the
worst-case hinge loss becomes ``(1 − y_k x_kᵀ a_k + ε‖a_k‖₁)₊``. :func:`pgd_attack` is a plain
ℓ∞ PGD for evaluating any classifier.

Deviations: the ADMM handles squared loss only (the paper's approximate ADMM for classification
losses is not implemented; the logistic loss is available on the paper's other route, the gated
program of :mod:`nnatlas.train.gated_relu`); the robust program is solved by CVXPY (a test-only dependency;
:class:`~nnatlas.core.errors.MissingExtraError` without it), not by ADMM; the bias is an appended all-ones input column whose
weight is regularised with the others (as in the paper's experiments); the iterate returned is
the group-sparse copy ``z``, whose cone constraints hold up to the ADMM residual (reported as
``constraint_violation``), while the recovered network uses the true ReLU.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive
from nnatlas.train.validation import check_nonnegative, check_rows, check_tensor

logger = logging.getLogger(__name__)

__all__ = [
    "ConvexReLUSolution",
    "ConvexReLUWarning",
    "adam_two_layer",
    "admm_convex_relu",
    "convex_objective",
    "cvxpy_reference",
    "max_arrangements",
    "network_objective",
    "pgd_attack",
    "robust_convex_relu",
    "sample_arrangements",
]


class ConvexReLUWarning(UserWarning):
    """The sampled arrangements may be too few for the convex program to be globally optimal."""


def _with_bias(x: Tensor, bias: bool) -> Tensor:
    return torch.cat([x, torch.ones_like(x[:, :1])], dim=1) if bias else x


def _check_data(x: Tensor, y: Tensor | None = None) -> None:
    """``x (n, d)`` floating and finite; ``y`` (if given) ``n`` finite targets."""
    check_tensor("x", x, rank=2)
    if y is not None:
        check_tensor("y", y, floating=False)
        if y.numel() != x.shape[0] or y.shape[0] != x.shape[0]:
            raise ConfigError(
                f"y must hold one target per row of x ({x.shape[0]}); got shape {tuple(y.shape)}"
            )


def _check_patterns(patterns: Tensor, n: int) -> None:
    check_tensor("patterns", patterns, rank=2, floating=False)
    check_rows("patterns", patterns, n)


def max_arrangements(n: int, rank: int) -> int:
    """Number of activation arrangements of ``n`` points in general position in rank ``rank``.

    Hyperplanes through the origin split ``R^rank`` into at most ``2 Σ_{k<rank} C(n−1, k)``
    cells (Cover 1965); this is the count a complete sample would reach.

    Args:
        n: number of data points.
        rank: rank of the data matrix (with the bias column, if any).

    Returns:
        The upper bound on the number of distinct patterns ``1[X h ≥ 0]``.
    """
    check_int("n", n)
    check_int("rank", rank, low=0)
    return 2 * sum(math.comb(n - 1, k) for k in range(min(rank, n)))


def sample_arrangements(
    x: Tensor,
    num_samples: int,
    *,
    bias: bool = True,
    weights: Tensor | None = None,
    generator: torch.Generator | None = None,
    warn: bool = True,
) -> Tensor:
    """Sample distinct activation arrangements ``D_i = 1[X h_i ≥ 0]`` of the data.

    Args:
        x: data ``(n, d)`` (without the bias column; ``bias`` appends it).
        num_samples: number of Gaussian directions ``h`` drawn (the distinct patterns kept are
            at most this many). The user-visible knob of the approximation.
        bias: append an all-ones column, as the network's hidden bias.
        weights: optional hidden weights ``(m, d + bias)`` of a trained network whose
            arrangements are added to the sample (seeding from SGD, as Bai-YT's ``generate_D``).
        generator: CPU generator for the directions.
        warn: emit :class:`ConvexReLUWarning` when the distinct patterns found are fewer than
            :func:`max_arrangements` minus the all-zero cell (the restricted program is then
            only an upper bound; the check is exact for data in general position).

    Returns:
        Boolean patterns ``(n, P)``, distinct, without the all-zero pattern (which contributes
        nothing).
    """
    check_int("num_samples", num_samples)
    _check_data(x)
    xb = _with_bias(x, bias)
    if weights is not None:
        check_tensor("weights", weights, rank=2)
        if weights.shape[1] != xb.shape[1]:
            raise ConfigError(
                f"weights must be (m, d + bias) = (m, {xb.shape[1]}); got {tuple(weights.shape)}"
            )
    h = torch.randn(xb.shape[1], num_samples, generator=generator, dtype=torch.float64)
    pats = xb.double().cpu() @ h >= 0
    if weights is not None:
        pats = torch.cat([pats, (xb.double().cpu() @ weights.double().cpu().T) >= 0], dim=1)
    pats = torch.unique(pats.T, dim=0).T
    pats = pats[:, pats.any(dim=0)]
    bound = max_arrangements(xb.shape[0], int(torch.linalg.matrix_rank(xb.double()).item()))
    # The bound counts the all-zero cell, which is dropped here.
    if warn and pats.shape[1] < bound - 1:
        warnings.warn(
            f"{pats.shape[1]} distinct activation arrangements sampled of up to {bound}: the convex "
            "program is restricted to them and its optimum is only an upper bound on the global one "
            "(increase num_samples, or seed arrangements from a trained network's weights)",
            ConvexReLUWarning,
            stacklevel=2,
        )
    return pats.to(x.device)


def convex_objective(
    x: Tensor, y: Tensor, v: Tensor, w: Tensor, patterns: Tensor, beta: float
) -> float:
    """The convex program's objective ``½‖Σ D_i X(v_i − w_i) − y‖² + β Σ(‖v_i‖ + ‖w_i‖)``.

    Args:
        x: data with bias column ``(n, d)``; y: targets ``(n,)``; v, w: ``(P, d)``;
        patterns: ``(n, P)``; beta: the weight-decay strength.
    """
    _check_data(x, y)
    _check_patterns(patterns, x.shape[0])
    for name, t in (("v", v), ("w", w)):
        check_tensor(name, t, rank=2)
        if t.shape != (patterns.shape[1], x.shape[1]):
            raise ConfigError(
                f"{name} must be (P, d) = ({patterns.shape[1]}, {x.shape[1]}); got {tuple(t.shape)}"
            )
    pred = (patterns.to(x.dtype) * (x @ (v - w).T)).sum(dim=1)
    reg = v.norm(dim=1).sum() + w.norm(dim=1).sum()
    return float(0.5 * (pred - y).pow(2).sum() + beta * reg)


def network_objective(model: nn.Module, x: Tensor, y: Tensor, beta: float) -> float:
    """Non-convex objective ``½‖f(X) − y‖² + (β/2) Σ‖θ‖²`` of a two-layer net, all weights decayed.

    Args:
        model: any module mapping ``(n, d)`` to ``(n,)`` or ``(n, 1)``.
        x: inputs ``(n, d)``; y: targets ``(n,)``; beta: weight-decay strength.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    _check_data(x, y)
    with torch.no_grad():
        out = model(x).reshape(-1)
        reg = sum(p.pow(2).sum() for p in model.parameters())
        return float(0.5 * (out - y).pow(2).sum() + 0.5 * beta * reg)


@dataclass
class ConvexReLUSolution:
    """A solution of the (sampled) convex program.

    Attributes:
        v, w: positive and negative neuron blocks ``(P, d + bias)``.
        patterns: the arrangements used ``(n, P)``.
        bias: whether the last input column is the bias.
        beta: weight-decay strength.
        objective: the convex objective at ``(v, w)``.
        constraint_violation: ``max(0, −(2D_i − I) X v_i)`` over all i, relative to ``max|X v|``.
        iterations: ADMM iterations run.
        history: convex objective every ``log_every`` iterations.
    """

    v: Tensor
    w: Tensor
    patterns: Tensor
    bias: bool
    beta: float
    objective: float
    constraint_violation: float
    iterations: int
    history: list[float] = field(default_factory=list)

    @property
    def num_neurons(self) -> int:
        """Number of non-zero blocks (hidden units of the recovered network)."""
        return int((self.v.norm(dim=1) > 0).sum() + (self.w.norm(dim=1) > 0).sum())

    def predict(self, x: Tensor) -> Tensor:
        """The convex model as a ReLU network, ``Σ_i (X v_i)₊ − (X w_i)₊``: ``(n, d)`` → ``(n,)``."""
        xb = _with_bias(x.to(self.v.dtype), self.bias)
        return (torch.relu(xb @ self.v.T) - torch.relu(xb @ self.w.T)).sum(dim=1)

    def to_module(self) -> nn.Sequential:
        """Recover ``Linear(d, m) → ReLU → Linear(m, 1, bias=False)`` with the same outputs.

        Each non-zero ``v_i`` gives ``u = v_i/√‖v_i‖, α = √‖v_i‖`` (``α = −√‖w_i‖`` for ``w_i``),
        so ``(xᵀu)₊ α = (xᵀv_i)₊`` and ``(β/2)(‖u‖² + α²) = β‖v_i‖``: outputs and objective match.
        """
        blocks = torch.cat([self.v, self.w])
        signs = torch.cat([torch.ones(len(self.v)), -torch.ones(len(self.w))]).to(blocks)
        norms = blocks.norm(dim=1)
        keep = norms > 0
        blocks, signs, norms = blocks[keep], signs[keep], norms[keep]
        u = blocks / norms.sqrt()[:, None]
        alpha = signs * norms.sqrt()
        d = u.shape[1] - int(self.bias)
        m = u.shape[0]
        first = nn.Linear(d, m, bias=self.bias, dtype=u.dtype, device=u.device)
        second = nn.Linear(m, 1, bias=False, dtype=u.dtype, device=u.device)
        with torch.no_grad():
            first.weight.copy_(u[:, :d])
            if self.bias:
                assert first.bias is not None
                first.bias.copy_(u[:, d])
            second.weight.copy_(alpha[None, :])
        return nn.Sequential(first, nn.ReLU(), second)


class _AdmmOperators:
    """The linear maps of the ADMM splitting on data ``xb (n, d)`` and patterns ``dm (n, P)``.

    ``u`` stacks (v, w) as ``(2, P, d)``. F u = Σ_i D_i X (v_i − w_i) (the prediction), G u the
    cone constraints' values ``(2, n, P)``, and ``solve(r)`` applies (B + FᵀF)⁻¹ for
    B = ρ(I + blockdiag(XᵀX)), factored once: B is block diagonal with one repeated d×d
    block, inverted once, and Woodbury turns the rest into an n×n Cholesky factor.
    """

    def __init__(self, xb: Tensor, dm: Tensor, rho: float) -> None:
        n, d = xb.shape
        self.xb, self.dm, self.sg = xb, dm, 2 * dm - 1
        self.cinv = torch.linalg.inv(rho * (torch.eye(d, dtype=xb.dtype) + xb.T @ xb))
        xc = xb @ self.cinv
        # Woodbury: (B + FᵀF)⁻¹ = B⁻¹ − B⁻¹Fᵀ K⁻¹ F B⁻¹ with K = I + F B⁻¹ Fᵀ (n×n).
        kmat = torch.eye(n, dtype=xb.dtype) + 2 * (xc @ xb.T) * (dm @ dm.T)
        self.kchol = torch.linalg.cholesky(kmat)

    def f_apply(self, u: Tensor) -> Tensor:  # (2, P, d) -> (n,)
        return (self.dm * (self.xb @ (u[0] - u[1]).T)).sum(dim=1)

    def ft_apply(self, r: Tensor) -> Tensor:  # (n,) -> (2, P, d)
        a = (self.xb.T @ (self.dm * r[:, None])).T
        return torch.stack([a, -a])

    def g_apply(self, u: Tensor) -> Tensor:  # (2, P, d) -> (2, n, P)
        return self.sg * (self.xb @ u.transpose(1, 2))

    def gt_apply(self, s: Tensor) -> Tensor:  # (2, n, P) -> (2, P, d)
        return (self.xb.T @ (self.sg * s)).transpose(1, 2)

    def solve(self, r: Tensor) -> Tensor:
        br = r @ self.cinv
        t = torch.cholesky_solve(self.f_apply(br)[:, None], self.kchol)[:, 0]
        return br - self.ft_apply(t) @ self.cinv


def admm_convex_relu(
    x: Tensor,
    y: Tensor,
    *,
    beta: float,
    num_samples: int = 100,
    patterns: Tensor | None = None,
    bias: bool = True,
    rho: float = 1.0,
    max_iter: int = 1000,
    tol: float = 1e-6,
    log_every: int = 10,
    generator: torch.Generator | None = None,
    warn: bool = True,
) -> ConvexReLUSolution:
    """Solve the sampled convex program of a two-layer ReLU net by ADMM (factor once, reuse).

    Args:
        x: inputs ``(n, d)``.
        y: real targets ``(n,)`` (use ±1 for binary classification).
        beta: weight-decay strength β (> 0).
        num_samples: Gaussian directions for :func:`sample_arrangements` (ignored when
            ``patterns`` is given).
        patterns: explicit arrangements ``(n, P)`` (bool), e.g. from :func:`sample_arrangements`.
        bias: append an all-ones column (the hidden bias).
        rho: ADMM penalty ρ.
        max_iter: iteration cap.
        tol: stop when primal and dual residuals (relative, in norm) fall below it.
        log_every: record the objective every this many iterations.
        generator: CPU generator for sampling arrangements.
        warn: pass to :func:`sample_arrangements`.

    Returns:
        A :class:`ConvexReLUSolution` (float64) at the group-sparse ADMM iterate.
    """
    check_positive("beta", beta)
    check_positive("rho", rho)
    check_int("max_iter", max_iter)
    check_int("log_every", log_every)
    _check_data(x, y)
    if patterns is not None:
        _check_patterns(patterns, x.shape[0])
    xb = _with_bias(x.double(), bias)
    yy = y.double().reshape(-1)
    n, d = xb.shape
    if patterns is None:
        patterns = sample_arrangements(x, num_samples, bias=bias, generator=generator, warn=warn)
    dm = patterns.to(xb)  # (n, P)
    p = dm.shape[1]
    ops = _AdmmOperators(xb, dm, rho)
    ft_apply, g_apply, gt_apply, solve = ops.ft_apply, ops.g_apply, ops.gt_apply, ops.solve
    u = torch.zeros(2, p, d, dtype=xb.dtype)
    z = torch.zeros_like(u)
    lam = torch.zeros_like(u)
    s = torch.zeros(2, n, p, dtype=xb.dtype)
    nu = torch.zeros_like(s)
    fty = ft_apply(yy)
    history: list[float] = []
    it = 0
    for it in range(1, max_iter + 1):
        u = solve(fty + rho * (z - lam) + rho * gt_apply(s - nu))
        q = u + lam
        norms = q.norm(dim=2, keepdim=True)
        z_old = z
        z = q * torch.clamp(1 - (beta / rho) / norms.clamp_min(1e-300), min=0)
        gu = g_apply(u)
        s_old = s
        s = torch.clamp(gu + nu, min=0)
        lam = lam + u - z
        nu = nu + gu - s
        if it % log_every == 0 or it == max_iter:
            history.append(convex_objective(xb, yy, z[0], z[1], dm, beta))
            primal = math.sqrt(float((u - z).pow(2).sum() + (gu - s).pow(2).sum()))
            dual = rho * math.sqrt(float((z - z_old).pow(2).sum() + (s - s_old).pow(2).sum()))
            scale = max(float(u.norm()), float(gu.norm()), 1e-12)
            if primal < tol * scale and dual < tol * scale:
                break
    gz = g_apply(z)
    viol = float(torch.clamp(-gz, min=0).max()) / max(float(gz.abs().max()), 1e-12)
    obj = convex_objective(xb, yy, z[0], z[1], dm, beta)
    logger.debug("ADMM: %d iterations, objective %.6g, violation %.2e", it, obj, viol)
    return ConvexReLUSolution(
        v=z[0].clone(),
        w=z[1].clone(),
        patterns=patterns.to(torch.bool),
        bias=bias,
        beta=beta,
        objective=obj,
        constraint_violation=viol,
        iterations=it,
        history=history,
    )


def cvxpy_reference(
    x: Tensor, y: Tensor, patterns: Tensor, beta: float, *, bias: bool = True
) -> float:
    """Optimal value of the sampled convex program by CVXPY (for cross-checks; needs ``cvxpy``).

    Args:
        x: inputs ``(n, d)``; y: targets ``(n,)``; patterns: ``(n, P)``; beta: β; bias: as in
            :func:`admm_convex_relu`.

    Raises:
        MissingExtraError: when ``cvxpy`` is not installed (``pip install 'nnatlas[convex]'``).
    """
    from nnatlas.core.optional import require

    _check_data(x, y)
    _check_patterns(patterns, x.shape[0])
    check_positive("beta", beta)
    cp = require("cvxpy", "convex")
    xb = _with_bias(x.double(), bias).numpy()
    yy = y.double().reshape(-1).numpy()
    dm = patterns.double().numpy()
    p = dm.shape[1]
    v = cp.Variable((xb.shape[1], p))
    w = cp.Variable((xb.shape[1], p))
    pred = cp.sum(cp.multiply(dm, xb @ (v - w)), axis=1)
    sg = 2 * dm - 1
    cons = [cp.multiply(sg, xb @ v) >= 0, cp.multiply(sg, xb @ w) >= 0]
    reg = cp.sum(cp.norm(v, 2, axis=0)) + cp.sum(cp.norm(w, 2, axis=0))
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(pred - yy) + beta * reg), cons)
    prob.solve()
    return float(prob.value)


def adam_two_layer(
    x: Tensor,
    y: Tensor,
    *,
    beta: float,
    width: int,
    steps: int = 2000,
    lr: float = 1e-2,
    seed: int = 0,
    bias: bool = True,
    loss: Literal["squared", "logistic"] = "squared",
) -> nn.Sequential:
    """Train the same network and objective (:func:`network_objective`) by full-batch Adam.

    Args:
        x: inputs ``(n, d)``; y: targets ``(n,)``; beta: weight decay β; width: hidden units;
        steps, lr: Adam; seed: initialisation seed; bias: hidden bias (decayed too).
        loss: ``"squared"`` (½‖f − y‖²) or ``"logistic"`` (Σ log(1 + exp(−y f)), labels in
            ``{0, 1}`` or ``{−1, +1}``), summed over the data as in the convex programs.
    """
    if loss not in ("squared", "logistic"):
        raise ConfigError(f"loss must be 'squared' or 'logistic'; got {loss!r}")
    _check_data(x, y)
    check_int("width", width)
    check_int("steps", steps, low=0)
    check_positive("lr", lr)
    check_nonnegative("beta", beta)
    torch.manual_seed(seed)
    xd, yd = x.double(), y.double().reshape(-1)
    sign = 2 * yd - 1 if bool(((yd == 0) | (yd == 1)).all()) else yd
    model = nn.Sequential(
        nn.Linear(x.shape[1], width, bias=bias, dtype=torch.float64),
        nn.ReLU(),
        nn.Linear(width, 1, bias=False, dtype=torch.float64),
    )
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        out = model(xd).reshape(-1)
        reg = sum(p.pow(2).sum() for p in model.parameters())
        if loss == "squared":
            data = 0.5 * (out - yd).pow(2).sum()
        else:
            data = nn.functional.softplus(-sign * out).sum()
        (data + 0.5 * beta * reg).backward()
        opt.step()
    return model


def robust_convex_relu(
    x: Tensor,
    y: Tensor,
    *,
    eps: float,
    beta: float,
    num_samples: int = 100,
    patterns: Tensor | None = None,
    bias: bool = True,
    generator: torch.Generator | None = None,
    warn: bool = True,
) -> ConvexReLUSolution:
    """Adversarially robust (ℓ∞, radius ``eps``) convex training with hinge loss, via CVXPY.

    The worst case over ``‖δ‖∞ ≤ eps`` is taken inside the convex program: the robust cone
    constraints ``(2d_ik − 1) x_kᵀ v_i ≥ eps ‖v_i‖₁`` keep every point's activation pattern
    fixed on its whole box, so the network is linear there with weight
    ``a_k = Σ_i d_ik (v_i − w_i)`` and the worst-case hinge loss is
    ``(1 − y_k x_kᵀ a_k + eps ‖a_k‖₁)₊``. The bias coordinate is not perturbed. ``eps = 0``
    gives the standard hinge-loss convex program (the baseline of the same loss).

    Args:
        x: inputs ``(n, d)``.
        y: labels ``(n,)`` in ``{0, 1}`` or ``{−1, +1}``.
        eps: ℓ∞ radius (≥ 0).
        beta: weight decay β (> 0).
        num_samples, patterns, bias, generator, warn: as in :func:`admm_convex_relu`.

    Returns:
        A :class:`ConvexReLUSolution`; ``objective`` is the robust objective.

    Raises:
        MissingExtraError: when ``cvxpy`` is not installed (this route has no ADMM here).
    """
    from nnatlas.core.optional import require

    check_nonnegative("eps", eps)
    check_positive("beta", beta)
    _check_data(x, y)
    if patterns is not None:
        _check_patterns(patterns, x.shape[0])
    cp = require("cvxpy", "convex")
    yy = y.double().reshape(-1)
    if bool(((yy == 0) | (yy == 1)).all()):
        yy = 2 * yy - 1
    if patterns is None:
        patterns = sample_arrangements(x, num_samples, bias=bias, generator=generator, warn=warn)
    xb_t = _with_bias(x.double().cpu(), bias)
    xb, ys, dm = xb_t.numpy(), yy.cpu().numpy(), patterns.double().cpu().numpy()
    n, d = xb.shape
    d_in, p = x.shape[1], dm.shape[1]
    v = cp.Variable((d, p))
    w = cp.Variable((d, p))
    a = (v - w) @ dm.T  # (d, n): the effective linear weight at each point
    margin = cp.multiply(ys, cp.sum(cp.multiply(xb.T, a), axis=0))
    loss = cp.sum(cp.pos(1 - margin + eps * cp.norm(a[:d_in, :], 1, axis=0)))
    reg = cp.sum(cp.norm(v, 2, axis=0)) + cp.sum(cp.norm(w, 2, axis=0))
    sg = 2 * dm - 1
    ones = np.ones((n, 1))
    cons = [
        cp.multiply(sg, xb @ u)
        >= eps * ones @ cp.reshape(cp.norm(u[:d_in, :], 1, axis=0), (1, p), order="C")
        for u in (v, w)
    ]
    prob = cp.Problem(cp.Minimize(loss + beta * reg), cons)
    prob.solve()
    if v.value is None or w.value is None:
        raise RuntimeError(f"CVXPY did not solve the robust program (status {prob.status})")
    vt = torch.from_numpy(np.asarray(v.value)).T.contiguous()
    wt = torch.from_numpy(np.asarray(w.value)).T.contiguous()
    # Interior-point output has tiny non-zero blocks everywhere: prune them (relative 1e-6).
    scale = max(float(torch.cat([vt, wt]).norm(dim=1).max()), 1e-300)
    vt[vt.norm(dim=1) < 1e-6 * scale] = 0
    wt[wt.norm(dim=1) < 1e-6 * scale] = 0
    gz = torch.cat([(2 * patterns.double() - 1) * (xb_t @ u.T) for u in (vt, wt)], dim=1)
    viol = float(torch.clamp(-gz, min=0).max()) / max(float(gz.abs().max()), 1e-12)
    return ConvexReLUSolution(
        v=vt,
        w=wt,
        patterns=patterns.to(torch.bool),
        bias=bias,
        beta=beta,
        objective=float(prob.value),
        constraint_violation=viol,
        iterations=0,
    )


def pgd_attack(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    eps: float,
    *,
    steps: int = 50,
    step_size: float | None = None,
    random_start: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Untargeted ℓ∞ PGD (Madry et al.): signed-gradient ascent on the loss, projected to the ball.

    Works for any classifier: outputs ``(n, C)`` with ``C > 1`` use cross-entropy; a scalar
    score ``(n,)`` or ``(n, 1)`` is a binary classifier (positive = class 1 for ``{0, 1}``
    labels, or the sign for ``{−1, +1}`` labels) attacked on the margin ``−y f(x)``.

    Args:
        model: the classifier.
        x: clean inputs ``(n, d...)``.
        y: labels ``(n,)``.
        eps: ℓ∞ radius.
        steps: ascent steps.
        step_size: per-step size (default ``2.5 eps / steps``).
        random_start: start uniformly inside the ball.
        generator: CPU generator for the random start.

    Returns:
        Adversarial inputs ``(n, d...)`` with ``‖x_adv − x‖∞ ≤ eps``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    check_nonnegative("eps", eps)
    check_int("steps", steps)
    if step_size is not None:
        check_positive("step_size", step_size)
    check_tensor("x", x, rank=None)
    if not isinstance(y, Tensor) or y.dim() == 0 or y.shape[0] != x.shape[0]:
        got = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
        raise ConfigError(f"y must hold one label per example of x ({x.shape[0]}); got {got}")
    alpha = 2.5 * eps / steps if step_size is None else step_size
    x0 = x.detach()
    delta = torch.zeros_like(x0)
    if random_start and eps > 0:
        delta = (torch.rand(x0.shape, generator=generator, dtype=x0.dtype) * 2 - 1).to(x0) * eps
    for _ in range(steps):
        delta.requires_grad_(True)
        out = model(x0 + delta)
        if out.dim() > 1 and out.shape[-1] > 1:
            loss = nn.functional.cross_entropy(out, y.long())
        else:
            sign = y.to(out.dtype).reshape(-1)
            if bool(((sign == 0) | (sign == 1)).all()):
                sign = 2 * sign - 1
            loss = -(sign * out.reshape(-1)).sum()
        (grad,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            delta = (delta + alpha * grad.sign()).clamp(-eps, eps)
    return (x0 + delta).detach()
