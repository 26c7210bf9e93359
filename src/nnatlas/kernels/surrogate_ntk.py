"""The surrogate-gradient NTK: the kernel of sign networks trained with surrogate derivatives.

Paper: *A generalized neural tangent kernel for surrogate gradient learning*, Luke Eilers,
Raoul-Martin Memmesheimer, Sven Goedeke (NeurIPS 2024), arXiv 2405.15539.

A network with a jump activation (``sign``) has a zero derivative almost everywhere, so
gradient descent cannot train its hidden layers; surrogate gradient learning (SGL) replaces
``σ'`` by a surrogate ``σ̃'`` in the backward pass. The paper shows two things this module
implements:

* **The naive NTK is ill-posed.** For ``erf_m(z) = erf(m z)`` (``→ sign`` as ``m → ∞``) the NTK's
  derivative term ``E[σ_m'(u)σ_m'(v)] = (4m²/π)/√((1+2m²a)(1+2m²b) − 4m⁴c²)`` diverges on the
  diagonal as ``m → ∞`` (``σ' = 2δ`` for sign): :class:`SurrogateErf` with
  ``surrogate_sharpness=None`` (true gradient) shows it.
* **The SG-NTK is finite.** Under SGL the function moves by ``−η I(x, X) ∇_f L`` with
  ``I(x, x') = J(x) J̃(x')ᵀ`` (true derivative at ``x``, surrogate at ``x'``); its infinite-width
  recursion replaces the derivative term by the mixed expectation ``E[σ'(u) σ̃'(v)]``, which
  stays finite for ``σ = sign`` and the erf-shaped surrogate ``σ̃'(v) = (2k/√π) e^{−k²v²}``:
  ``E[2δ(u) σ̃'(v)] = (4k/π) / √(2a (1 + 2k²(b − c²/a)))``.

:class:`SurrogateErf` is an ``ElementwiseKernel`` for :func:`nnatlas.kernels.analytic.serial`
(``forward_sharpness=inf`` is the sign activation, ``surrogate_sharpness=k`` the surrogate), so
``serial(Dense(1, 0.5), SurrogateErf(), Dense(1, 0.5))(x)`` gives the NNGP and the SG-NTK;
:class:`SignMLP` is the finite network (sign forward, surrogate backward) in the NTK
parametrization, and :func:`nnatlas.kernels.inference.gradient_flow_mse` (``discrete=True``)
gives the SG-NTK prediction of a trained network.

Note on ``Activation(torch.sign, dphi=surrogate)``: that description puts the surrogate on
*both* sides, ``E[σ̃'(u)σ̃'(v)]``, which is not the SG-NTK (the true derivative of the forward
pass appears on one side); use :class:`SurrogateErf`.

Deviations from the paper: only the erf-shaped surrogate (the paper's choice, derivative of
``erf(k z)``) is given in closed form; the paper treats general surrogates.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_real
from nnatlas.kernels.analytic import ElementwiseKernel, ParametrizedLinear
from nnatlas.kernels.angles import covariance_angle
from nnatlas.kernels.validation import check_tensor

__all__ = [
    "SignEnsembleRun",
    "SignMLP",
    "SurrogateErf",
    "sign_with_surrogate",
    "train_sign_ensemble",
]


def _check_sharpness(name: str, value: float | None, *, allow_inf: bool) -> float | None:
    if value is None:
        return None
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or math.isnan(value)
        or value <= 0
    ):
        raise ConfigError(f"{name} must be a number > 0; got {value!r}")
    if math.isinf(value) and not allow_inf:
        raise ConfigError(f"{name} must be finite; got {value!r}")
    return float(value)


class _SurrogateStep(torch.autograd.Function):
    """Forward ``erf(m x)`` (``sign(x)`` for ``m = inf``); backward ``(2k/√π) e^{−k²x²}``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, forward_sharpness: float, sharpness: float) -> Tensor:
        ctx.save_for_backward(x)
        ctx.sharpness = sharpness
        if math.isinf(forward_sharpness):
            return torch.sign(x)
        return torch.erf(forward_sharpness * x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None]:
        (x,) = ctx.saved_tensors
        k = ctx.sharpness
        return grad * (2.0 * k / math.sqrt(math.pi)) * torch.exp(-((k * x) ** 2)), None, None


def sign_with_surrogate(
    x: Tensor, sharpness: float = 1.0, *, forward_sharpness: float = math.inf
) -> Tensor:
    """``sign(x)`` whose backward pass uses the surrogate derivative ``(2k/√π) e^{−k²x²}``.

    Args:
        x: any tensor.
        sharpness: ``k`` of the surrogate (the derivative of ``erf(k x)``).
        forward_sharpness: ``m``; ``inf`` is ``sign``, a finite ``m`` uses ``erf(m x)`` forward.
    """
    check_tensor("x", x, finite=False)
    k = _check_sharpness("sharpness", sharpness, allow_inf=False)
    m = _check_sharpness("forward_sharpness", forward_sharpness, allow_inf=True)
    if k is None or m is None:
        raise ConfigError("sharpness and forward_sharpness must be numbers > 0; got None")
    out: Tensor = _SurrogateStep.apply(x, m, k)
    return out


class SurrogateErf(ElementwiseKernel):
    """Kernel description of ``erf(m z)`` (``sign`` for ``m = inf``) trained with a surrogate.

    ``expectation`` is the NNGP term ``E[σ_m(u)σ_m(v)]``:
    ``(2/π) arcsin(2m²c/√((1+2m²a)(1+2m²b)))``, and ``(2/π) arcsin(c/√(ab))`` for sign.

    ``derivative_expectation`` is the mixed term ``E[σ_m'(u) σ̃_k'(v)]`` of the SG-NTK
    (``u`` belongs to the first kernel argument, where the true derivative acts):
    ``(4mk/π)/√((1+2m²a)(1+2k²b) − 4m²k²c²)``, whose ``m → ∞`` limit is
    ``(4k/π)/√(2a(1+2k²b) − 4k²c²)``. With ``surrogate_sharpness=None`` the surrogate is the
    true derivative (``k = m``): the naive NTK, which diverges on the diagonal as ``m → ∞``
    (and raises for ``m = inf``).

    Args:
        surrogate_sharpness: ``k`` of the surrogate ``(2k/√π) e^{−k²v²}``; ``None`` for the
            true derivative.
        forward_sharpness: ``m``; ``inf`` (default) is the sign activation.
    """

    def __init__(
        self, surrogate_sharpness: float | None = 1.0, forward_sharpness: float = math.inf
    ) -> None:
        self.forward_sharpness = _check_sharpness(
            "forward_sharpness", forward_sharpness, allow_inf=True
        )
        self.surrogate_sharpness = _check_sharpness(
            "surrogate_sharpness", surrogate_sharpness, allow_inf=False
        )
        self.name = "sign" if math.isinf(forward_sharpness) else f"erf_{forward_sharpness:g}"

    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        m = self.forward_sharpness
        assert m is not None
        if math.isinf(m):
            root = covariance_angle(k11, k22, k12).root
            return (2.0 / math.pi) * torch.atan2(k12, root)
        # (1 + 2m²a)(1 + 2m²b) − 4m⁴c² = 1 + 2m²(a + b) + 4m⁴ det: no cancellation at |ρ| = 1.
        m2 = m * m
        det = covariance_angle(k11, k22, k12).root ** 2
        root = torch.sqrt(1 + 2 * m2 * (k11 + k22) + 4 * m2 * m2 * det)
        return (2.0 / math.pi) * torch.atan2(2 * m2 * k12, root)

    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        m = self.forward_sharpness
        assert m is not None
        k = self.surrogate_sharpness if self.surrogate_sharpness is not None else m
        if math.isinf(k):
            raise ValueError(
                "the naive NTK of the sign activation is ill-posed (E[σ'(u)σ'(v)] diverges on "
                "the diagonal); give a finite surrogate_sharpness"
            )
        # Expanded around the covariance's determinant (from covariance_angle), which is the
        # only term that can cancel: 2a(1 + 2k²b) − 4k²c² = 2a + 4k² det.
        k2 = k * k
        det = covariance_angle(k11, k22, k12).root ** 2
        if math.isinf(m):
            return (4 * k / math.pi) / torch.sqrt(2 * k11 + 4 * k2 * det)
        m2 = m * m
        full = 1 + 2 * m2 * k11 + 2 * k2 * k22 + 4 * m2 * k2 * det
        return (4 * m * k / math.pi) / torch.sqrt(full)

    def __call__(self, x: Tensor) -> Tensor:
        m = self.forward_sharpness
        assert m is not None
        return torch.sign(x) if math.isinf(m) else torch.erf(m * x)

    def __repr__(self) -> str:
        return (
            f"SurrogateErf(surrogate_sharpness={self.surrogate_sharpness}, "
            f"forward_sharpness={self.forward_sharpness})"
        )


class SignMLP(nn.Module):
    """A fully connected sign network in the NTK parametrization, trained by surrogate gradients.

    ``h¹ = (σ_w/√d) W¹x + σ_b b¹``, ``h^{l+1} = (σ_w/√n) W^{l+1} sign(h^l) + σ_b b^{l+1}``, all
    parameters standard normal at initialization; the backward pass of ``sign`` uses the
    erf-shaped surrogate. Its infinite-width kernels are those of
    ``serial(Dense(σ_w, σ_b), SurrogateErf(k, m), ..., Dense(σ_w, σ_b))``.

    Args:
        in_features: input size ``d``.
        hidden: widths of the hidden layers.
        out_features: output size.
        sigma_w, sigma_b: weight and bias scales (keep ``sigma_b > 0``: without a bias a sign
            network is odd, and antipodal inputs make the SG-NTK singular).
        sharpness: ``k`` of the surrogate derivative.
        forward_sharpness: ``m``; ``inf`` is sign, a finite value uses ``erf(m z)`` forward.
        generator: optional generator for the initialization.
        device, dtype: of the parameters.

    Shapes:
        ``x: (batch, in_features) -> (batch, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int],
        out_features: int = 1,
        *,
        sigma_w: float = 1.0,
        sigma_b: float = 0.5,
        sharpness: float = 1.0,
        forward_sharpness: float = math.inf,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("in_features", in_features)
        check_int("out_features", out_features)
        if isinstance(hidden, int) or not hidden:
            raise ConfigError(f"hidden must be a non-empty sequence of widths; got {hidden!r}")
        for i, w in enumerate(hidden):
            check_int(f"hidden[{i}]", w)
        self.sharpness = _check_sharpness("sharpness", sharpness, allow_inf=False)
        self.forward_sharpness = _check_sharpness(
            "forward_sharpness", forward_sharpness, allow_inf=True
        )
        sizes = [in_features, *hidden, out_features]
        self.layers = nn.ModuleList(
            ParametrizedLinear(
                a, b, sigma_w, sigma_b, "ntk", generator=generator, device=device, dtype=dtype
            )
            for a, b in itertools.pairwise(sizes)
        )
        self.hidden = tuple(hidden)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Redraw every parameter from N(0, 1)."""
        for layer in self.layers:
            assert isinstance(layer, ParametrizedLinear)
            layer.reset_parameters(generator=generator)

    def kernel_layers(self) -> list[Any]:
        """The matching layer descriptions for :func:`nnatlas.kernels.analytic.serial`."""
        from nnatlas.kernels.analytic import Dense

        first = self.layers[0]
        assert isinstance(first, ParametrizedLinear)
        dense = Dense(first.sigma_w, first.sigma_b)
        act = SurrogateErf(
            self.sharpness,
            self.forward_sharpness if self.forward_sharpness is not None else math.inf,
        )
        out: list[Any] = [dense]
        for _ in self.hidden:
            out += [act, dense]
        return out

    def forward(self, x: Tensor) -> Tensor:
        assert self.sharpness is not None and self.forward_sharpness is not None
        h = self.layers[0](x)
        for layer in self.layers[1:]:
            h = layer(
                sign_with_surrogate(h, self.sharpness, forward_sharpness=self.forward_sharpness)
            )
        return h

    def extra_repr(self) -> str:
        return f"hidden={self.hidden}, sharpness={self.sharpness}, forward_sharpness={self.forward_sharpness}"


class SignEnsembleRun(NamedTuple):
    """Outputs of an ensemble of one-hidden-layer sign networks before and after SGL.

    All tensors are ``(num_networks, n)`` (train) or ``(num_networks, m)`` (test).
    """

    f0_train: Tensor
    f0_test: Tensor
    f_train: Tensor
    f_test: Tensor


def train_sign_ensemble(
    x_train: Tensor,
    y_train: Tensor,
    x_test: Tensor,
    *,
    width: int,
    num_networks: int,
    steps: int,
    lr: float,
    sigma_w: float = 1.0,
    sigma_b: float = 0.5,
    sharpness: float = 1.0,
    generator: torch.Generator | None = None,
) -> SignEnsembleRun:
    """Train ``num_networks`` independent one-hidden-layer sign networks by full-batch SGL, at once.

    Each network is a :class:`SignMLP` with ``hidden=[width]`` and one output (same
    parametrization and initialization distribution), trained by plain gradient descent with
    step ``lr`` on ``0.5 Σ (f(x_i) − y_i)²`` with the surrogate derivative. The gradients are
    written out by hand and batched over networks (a loop of :class:`SignMLP` + autograd gives
    the same numbers, many times slower).

    Args:
        x_train: ``(n, d)`` inputs; y_train: ``(n,)`` targets; x_test: ``(m, d)`` inputs.
        width: hidden width.
        num_networks: independent initializations.
        steps: gradient-descent steps.
        lr: step size.
        sigma_w, sigma_b, sharpness: as in :class:`SignMLP`.
        generator: random stream for the initializations.

    Returns:
        A :class:`SignEnsembleRun`.
    """
    check_int("width", width)
    check_int("num_networks", num_networks)
    check_int("steps", steps, low=0)
    k = _check_sharpness("sharpness", sharpness, allow_inf=False)
    if k is None:
        raise ConfigError("sharpness must be a number > 0; got None")
    for name, value in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test)):
        check_tensor(name, value)
    check_real("sigma_w", sigma_w, low=0.0)
    check_real("sigma_b", sigma_b, low=0.0)
    check_real("lr", lr)
    if x_train.dim() != 2 or x_test.dim() != 2 or x_train.shape[1] != x_test.shape[1]:
        raise ValueError(
            f"x_train and x_test must be (n, d) and (m, d); got {tuple(x_train.shape)} and {tuple(x_test.shape)}"
        )
    n, d = x_train.shape
    if y_train.shape != (n,):
        raise ValueError(f"y_train must have shape ({n},); got {tuple(y_train.shape)}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ConfigError(f"lr must be a finite number > 0; got {lr!r}")
    dtype = x_train.dtype
    # Same draw order as SignMLP: layer 1 weight, bias; layer 2 weight, bias (per network).
    w1 = torch.empty(num_networks, width, d, dtype=dtype)
    b1 = torch.empty(num_networks, width, dtype=dtype)
    w2 = torch.empty(num_networks, width, dtype=dtype)
    b2 = torch.empty(num_networks, dtype=dtype)
    for i in range(num_networks):
        w1[i].normal_(generator=generator)
        b1[i].normal_(generator=generator)
        w2[i].normal_(generator=generator)
        b2[i : i + 1].normal_(generator=generator)
    c1, c2 = sigma_w / math.sqrt(d), sigma_w / math.sqrt(width)
    y = y_train.to(dtype)
    coef = 2.0 * k / math.sqrt(math.pi)

    def forward(x: Tensor) -> tuple[Tensor, Tensor]:
        h = c1 * torch.einsum("nd,bwd->bnw", x, w1) + sigma_b * b1[:, None, :]
        return h, c2 * torch.einsum("bnw,bw->bn", torch.sign(h), w2) + sigma_b * b2[:, None]

    f0_train = forward(x_train)[1]
    f0_test = forward(x_test)[1]
    for _ in range(steps):
        h, f = forward(x_train)
        r = f - y  # (B, n)
        a = torch.sign(h)
        g_w2 = c2 * torch.einsum("bnw,bn->bw", a, r)
        g_b2 = sigma_b * r.sum(1)
        dh = c2 * r[:, :, None] * w2[:, None, :] * (coef * torch.exp(-((k * h) ** 2)))
        g_w1 = c1 * torch.einsum("bnw,nd->bwd", dh, x_train)
        g_b1 = sigma_b * dh.sum(1)
        w1 -= lr * g_w1
        b1 -= lr * g_b1
        w2 -= lr * g_w2
        b2 -= lr * g_b2
    return SignEnsembleRun(f0_train, f0_test, forward(x_train)[1], forward(x_test)[1])
