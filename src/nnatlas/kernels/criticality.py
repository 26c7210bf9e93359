"""Criticality and finite-width statistics of deep MLPs, after *The Principles of Deep Learning Theory*.

Roberts, Yaida, Hanin (Cambridge University Press 2022; arXiv 2106.10165), chapters 4-5. For an
MLP with weights ``W ~ N(0, C_W / n)`` and biases ``b ~ N(0, C_b)``, the single-input kernel
``K^{(l)} = E[z^{(l)2}]`` of the preactivations follows, at infinite width,
``K^{(l+1)} = C_b + C_W <sigma(z)^2>_{K^{(l)}}`` with ``<f>_K = E[f(z)], z ~ N(0, K)``.
Perturbations along the diagonal and off it are multiplied per layer by the susceptibilities

* ``chi_par(K) = C_W d<sigma^2>_K / dK = C_W <sigma'^2 + sigma sigma''>_K`` and
* ``chi_perp(K) = C_W <sigma'^2>_K``.

A network is *critical* at a fixed point ``K*`` with ``chi_par = chi_perp = 1``: then signals
neither explode nor vanish exponentially with depth. This forces ``<sigma sigma''>_{K*} = 0``,
``C_W = 1 / <sigma'^2>_{K*}`` and ``C_b = K* - C_W <sigma^2>_{K*} >= 0``. :func:`criticality`
solves these conditions for any activation and names its universality class:

* ``"scale-invariant"`` (ReLU, leaky ReLU, linear): every ``K`` is a fixed point at
  ``C_b = 0, C_W = 1 / <sigma'^2>`` (ReLU: 2, i.e. Kaiming);
* ``"K*=0"`` (tanh, sin, erf): ``sigma(0) = 0``, ``sigma'(0) = sigma_1 != 0`` and the kernel
  flows to 0 as a power law, which needs ``a_1 = sigma_3 / sigma_1 + 3/4 (sigma_2 / sigma_1)^2 < 0``
  (Taylor coefficients at 0); then ``C_b = 0, C_W = 1 / sigma_1^2``;
* ``"nonzero K*"`` (GELU, SWISH): ``<sigma sigma''>_K`` changes sign at some ``K* > 0`` with a
  valid ``C_b >= 0`` (the smallest such ``K*`` is returned, the others in ``alternatives``);
* ``"none"`` (sigmoid, softplus): no solution; the result says why.

Finite width: the excess kurtosis of a preactivation equals ``3 Var(G) / E[G]^2`` exactly, where
``G = C_b + C_W mean_j sigma(z_j)^2`` is its conditional variance given the previous layer. To
leading order in ``1/n``, ``Var(G^{(l+1)}) = chi_par^2 Var(G^{(l)}) + C_W^2 (<sigma^4> -
<sigma^2>^2) / n`` (the book's four-point vertex recursion), which :func:`kurtosis_estimate`
iterates; for critical ReLU it gives ``15 (l - 1) / n``: growth linear in depth over width.

Expectations use a 1-D Gauss-Hermite rule (200 nodes by default), in float64: spectrally
accurate for smooth functions, and exact for even powers of functions that are homogeneous on
each half-line (``relu^2``, ``relu'^2``: their odd part cancels between symmetric nodes), which
covers every expectation used here; odd functions of a kink (``E[relu(z)]``) converge slowly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int, check_real
from nnatlas.kernels.analytic import autograd_derivative
from nnatlas.kernels.validation import check_tensor
from nnatlas.nn.activations import activation_fn

__all__ = [
    "ACTIVATIONS",
    "CriticalPoint",
    "PreactivationStatistics",
    "critical_init_",
    "criticality",
    "gaussian_expectation",
    "kurtosis_estimate",
    "preactivation_statistics",
    "susceptibilities",
    "variance_recursion",
]

Phi = Callable[[Tensor], Tensor]


#: Names from the shared table (:data:`nnatlas.nn.activations.ACTIVATIONS`), resolved there.
_SHARED = ("elu", "gelu", "identity", "leaky_relu", "relu", "sigmoid", "silu", "softplus", "tanh")

#: Activations known by name (any other ``Tensor -> Tensor`` callable works too). The shared
#: table's entries (``gelu`` is the exact ``z Phi(z)``, not the tanh approximation) plus the
#: activations of the book that are not in the shared table -- ``erf`` and ``sin``, the only
#: local functions -- and the book's spellings ``linear`` (= ``identity``) and ``swish``
#: (= ``silu``), which resolve to the shared functions.
ACTIVATIONS: dict[str, Phi] = {
    **{name: activation_fn(name) for name in _SHARED},
    "erf": torch.erf,
    "linear": activation_fn("identity"),
    "sin": torch.sin,
    "swish": activation_fn("silu"),
}


def _resolve(phi: str | Phi) -> tuple[Phi, str]:
    if isinstance(phi, str):
        try:
            return ACTIVATIONS[phi], phi
        except KeyError:
            raise UnknownNameError("activation (phi)", phi, sorted(ACTIVATIONS)) from None
    if not callable(phi):
        raise TypeError(f"phi must be an activation name or a callable; got {phi!r}")
    return phi, getattr(phi, "__name__", type(phi).__name__)


_derivative = autograd_derivative  # fn' by reverse-mode autograd; nests for fn''


def gaussian_expectation(fn: Phi, k: Tensor | float, *, order: int = 200) -> Tensor:
    """``<fn(z)>_K = E[fn(z)]`` for ``z ~ N(0, K)``, elementwise over ``k``.

    Args:
        fn: elementwise function.
        k: variance(s) ``K >= 0`` (a float or a tensor of any shape).
        order: Gauss-Hermite nodes.

    Returns:
        A float64 tensor of ``k``'s shape.
    """
    if not callable(fn):
        raise TypeError(f"fn must be a callable Tensor -> Tensor; got {fn!r}")
    check_int("order", order, low=2, high=2000)
    if isinstance(k, Tensor):
        check_tensor("k", k, finite=False)
    elif isinstance(k, bool) or not isinstance(k, int | float):
        raise TypeError(f"k must be a float or a floating tensor of variances; got {k!r}")
    kk = torch.as_tensor(k, dtype=torch.float64)
    if not bool(torch.isfinite(kk).all()) or bool((kk < 0).any()):
        raise ConfigError(f"k (the variances K) must be finite and >= 0; got {kk.tolist()}")
    nodes, weights = np.polynomial.hermite_e.hermegauss(order)
    z = torch.as_tensor(nodes, dtype=torch.float64)
    w = torch.as_tensor(weights / weights.sum(), dtype=torch.float64)
    values = fn(kk.sqrt().unsqueeze(-1) * z)
    return values @ w


class CriticalPoint(NamedTuple):
    """Critical initialization hyperparameters of an activation.

    Attributes:
        exists: whether a critical point was found.
        c_b: bias variance ``C_b`` (NaN if none).
        c_w: weight variance ``C_W`` (the weight std is ``sqrt(C_W / fan_in)``; NaN if none).
        k_star: the fixed-point kernel ``K*``; ``None`` for scale-invariant activations
            (every ``K`` is fixed), NaN if none.
        universality_class: ``"scale-invariant"``, ``"K*=0"``, ``"nonzero K*"`` or ``"none"``.
        note: how it was found, or why there is none.
        alternatives: further ``(K*, C_b, C_W)`` solutions (e.g. GELU's second root).
    """

    exists: bool
    c_b: float
    c_w: float
    k_star: float | None
    universality_class: str
    note: str
    alternatives: tuple[tuple[float, float, float], ...] = ()


def _taylor_at_zero(fn: Phi) -> tuple[float, float, float, float]:
    """Taylor coefficients ``sigma_0..sigma_3`` of ``fn`` at 0, by autograd."""
    x = torch.zeros((), dtype=torch.float64)
    d1 = _derivative(fn)
    d2 = _derivative(d1)
    d3 = _derivative(d2)
    return (
        float(fn(x)),
        float(d1(x)),
        float(d2(x)) / 2.0,
        float(d3(x)) / 6.0,
    )


def _is_scale_invariant(fn: Phi) -> bool:
    z = torch.linspace(-4.0, 4.0, 81, dtype=torch.float64)
    base = fn(z)
    scale = float(base.abs().max()) + 1e-300
    return all(
        float((fn(lam * z) - lam * base).abs().max()) <= 1e-10 * lam * scale for lam in (0.37, 2.9)
    )


def susceptibilities(
    phi: str | Phi, c_w: float, k: float, *, order: int = 200
) -> tuple[float, float]:
    """``(chi_par, chi_perp)`` at kernel ``K``: ``C_W <sigma'^2 + sigma sigma''>`` and ``C_W <sigma'^2>``."""
    fn, _ = _resolve(phi)
    check_real("c_w", c_w, low=0.0)
    check_real("k", k, low=0.0)
    d1 = _derivative(fn)
    d2 = _derivative(d1)
    perp = gaussian_expectation(lambda z: d1(z) ** 2, k, order=order)
    extra = gaussian_expectation(lambda z: fn(z) * d2(z), k, order=order)
    return float(c_w * (perp + extra)), float(c_w * perp)


def _log_grid_roots(f: Callable[[Tensor], Tensor], lo: float, hi: float, grid: int) -> list[float]:
    """Every sign change of ``f`` on a ``grid``-point log grid of ``[lo, hi]``, bisected (in
    log K, all brackets at once) to full float64 precision."""
    ks = torch.logspace(math.log10(lo), math.log10(hi), grid, dtype=torch.float64)
    values = f(ks)
    change = (values[:-1] == 0) | (values[:-1] * values[1:] < 0)
    left, right = ks[:-1][change], ks[1:][change]
    f_left = values[:-1][change]
    for _ in range(64):
        mid = torch.sqrt(left * right)
        f_mid = f(mid)
        go_left = f_left * f_mid <= 0
        right = torch.where(go_left, mid, right)
        left = torch.where(go_left, left, mid)
        f_left = torch.where(go_left, f_left, f_mid)
        if bool((right / left - 1 < 1e-15).all()):
            break
    return torch.sqrt(left * right).tolist()


def criticality(
    phi: str | Phi,
    *,
    k_range: tuple[float, float] = (1e-3, 1e3),
    grid: int = 600,
    order: int = 200,
) -> CriticalPoint:
    """Critical ``(C_b, C_W)`` of an activation (Roberts, Yaida, Hanin, ch. 5).

    Args:
        phi: an activation name (see :data:`ACTIVATIONS`) or a callable.
        k_range: interval of ``K*`` searched for a nonzero fixed point.
        grid: points of the logarithmic grid on which sign changes are bracketed.
        order: Gauss-Hermite nodes for the Gaussian expectations.

    Returns:
        A :class:`CriticalPoint`; ``exists`` is False (with the reason in ``note``) for
        activations without criticality, such as sigmoid and softplus.
    """
    fn, name = _resolve(phi)
    check_int("grid", grid, low=10)
    if not (isinstance(k_range, tuple | list) and len(k_range) == 2):
        raise TypeError(f"k_range must be a (low, high) pair; got {k_range!r}")
    lo, hi = (check_real("k_range", v) for v in k_range)
    if not (0 < lo < hi and math.isfinite(hi)):
        raise ConfigError(f"k_range must satisfy 0 < low < high < inf; got {k_range}")
    d1 = _derivative(fn)
    d2 = _derivative(d1)

    def dot(k: Tensor | float) -> Tensor:
        return gaussian_expectation(lambda z: d1(z) ** 2, k, order=order)

    if _is_scale_invariant(fn):
        c_w = 1.0 / float(dot(1.0))
        return CriticalPoint(
            True, 0.0, c_w, None, "scale-invariant",
            f"{name} is positively homogeneous: every K is a fixed point at C_b = 0, "
            "C_W = 1 / <sigma'^2>",
        )  # fmt: skip
    s0, s1, s2, s3 = _taylor_at_zero(fn)
    if abs(s0) < 1e-12 and abs(s1) > 1e-12:
        a1 = s3 / s1 + 0.75 * (s2 / s1) ** 2
        if a1 < 0:
            return CriticalPoint(
                True, 0.0, 1.0 / s1**2, 0.0, "K*=0",
                f"{name}(0) = 0, sigma_1 = {s1:.6g}, a_1 = {a1:.4g} < 0: critical at C_b = 0, "
                "C_W = 1 / sigma_1^2 with a power-law flow to K* = 0",
            )  # fmt: skip

    def gap(k: Tensor | float) -> Tensor:
        return gaussian_expectation(lambda z: fn(z) * d2(z), k, order=order)

    roots = _log_grid_roots(gap, lo, hi, grid)
    solutions = []
    for k_star in roots:
        c_w = 1.0 / float(dot(k_star))
        c_b = k_star - c_w * float(gaussian_expectation(lambda z: fn(z) ** 2, k_star, order=order))
        if c_b >= -1e-12 * k_star:
            solutions.append((k_star, max(c_b, 0.0), c_w))
    if solutions:
        k_star, c_b, c_w = solutions[0]
        return CriticalPoint(
            True, c_b, c_w, k_star, "nonzero K*",
            f"<sigma sigma''>_K changes sign at K* = {k_star:.6g} with C_b = {c_b:.6g} >= 0",
            tuple(solutions[1:]),
        )  # fmt: skip
    reason = (
        f"{name}: no K* in [{lo:g}, {hi:g}] with <sigma sigma''>_K* = 0 and C_b >= 0"
        + (f" ({len(roots)} root(s) need C_b < 0)" if roots else "")
        + (
            f"; sigma(0) = {s0:.4g} != 0 rules out the K* = 0 class"
            if abs(s0) >= 1e-12
            else "; the K* = 0 fixed point is not stable (a_1 >= 0)"
        )
    )
    nan = math.nan
    return CriticalPoint(False, nan, nan, nan, "none", reason)


def critical_init_(
    model: nn.Module,
    phi: str | Phi,
    *,
    generator: torch.Generator | None = None,
    critical: CriticalPoint | None = None,
) -> CriticalPoint:
    """Initialize every linear layer of ``model`` at the activation's critical point, in place.

    ``nn.Linear`` weights get ``N(0, C_W / fan_in)`` and biases ``N(0, C_b)`` (standard
    parametrization); :class:`~nnatlas.kernels.analytic.ParametrizedLinear` layers get
    ``sigma_w = sqrt(C_W)``, ``sigma_b = sqrt(C_b)`` and are redrawn.

    Args:
        model: any module containing linear layers.
        phi: the activation used between them (name or callable).
        generator: optional ``torch.Generator``.
        critical: a precomputed :func:`criticality` result (skips the solve).

    Returns:
        The critical point used.

    Raises:
        ConfigError: the activation has no critical point, or ``C_b > 0`` but a layer has no
            bias.
    """
    from nnatlas.kernels.analytic import ParametrizedLinear

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
    if critical is not None and not isinstance(critical, CriticalPoint):
        raise TypeError(f"critical must be a CriticalPoint from criticality(); got {critical!r}")
    point = criticality(phi) if critical is None else critical
    if not point.exists:
        raise ConfigError(f"no critical initialization exists: {point.note}")
    layers = [m for m in model.modules() if isinstance(m, nn.Linear | ParametrizedLinear)]
    if not layers:
        raise ValueError("model has no nn.Linear or ParametrizedLinear layers to initialize")
    for layer in layers:
        if point.c_b > 0 and layer.bias is None:
            raise ConfigError(
                f"critical C_b = {point.c_b:.4g} > 0 but a layer has no bias: {layer!r}"
            )
    with torch.no_grad():
        for layer in layers:
            if isinstance(layer, ParametrizedLinear):
                layer.sigma_w, layer.sigma_b = math.sqrt(point.c_w), math.sqrt(point.c_b)
                layer.reset_parameters(generator=generator)
                continue
            std = math.sqrt(point.c_w / layer.in_features)
            layer.weight.normal_(0.0, std, generator=generator)
            if layer.bias is not None:
                layer.bias.normal_(0.0, math.sqrt(point.c_b), generator=generator)
    return point


def _check_scalars(c_w: float, c_b: float, k0: float) -> None:
    for name, value in (("c_w", c_w), ("c_b", c_b), ("k0", k0)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name} must be a float; got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"{name} must be finite and >= 0; got {value}")


def variance_recursion(
    phi: str | Phi, c_w: float, c_b: float, depth: int, *, k0: float = 1.0, order: int = 200
) -> Tensor:
    """Infinite-width preactivation variances ``K^{(1)}, ..., K^{(depth)}``.

    ``K^{(1)} = C_b + C_W k0`` (``k0 = |x|^2 / n_0``), ``K^{(l+1)} = C_b + C_W <sigma^2>_{K^{(l)}}``.

    Returns:
        ``(depth,)`` float64 tensor.
    """
    fn, _ = _resolve(phi)
    check_int("depth", depth)
    _check_scalars(c_w, c_b, k0)
    out = [c_b + c_w * k0]
    for _ in range(depth - 1):
        k = out[-1]
        if not math.isfinite(k):
            out.append(math.inf)
            continue
        out.append(c_b + c_w * float(gaussian_expectation(lambda z: fn(z) ** 2, k, order=order)))
    return torch.tensor(out, dtype=torch.float64)


def kurtosis_estimate(
    phi: str | Phi,
    c_w: float,
    c_b: float,
    depth: int,
    width: int,
    *,
    k0: float = 1.0,
    order: int = 200,
) -> Tensor:
    """Leading-order (in ``1/width``) excess kurtosis of a preactivation at layers ``1..depth``.

    Iterates ``V^{(l+1)} = chi_par(K^{(l)})^2 V^{(l)} + C_W^2 (<sigma^4> - <sigma^2>^2)_{K^{(l)}}``
    with ``V^{(1)} = 0`` and returns ``3 V^{(l)} / (width K^{(l)2})``. Critical ReLU gives
    ``15 (l - 1) / width``.

    Returns:
        ``(depth,)`` float64 tensor.
    """
    fn, _ = _resolve(phi)
    check_int("width", width)
    ks = variance_recursion(fn, c_w, c_b, depth, k0=k0, order=order)
    d1 = _derivative(fn)
    d2 = _derivative(d1)
    v = 0.0
    out = [0.0]
    for layer in range(depth - 1):
        k = float(ks[layer])
        m2 = float(gaussian_expectation(lambda z: fn(z) ** 2, k, order=order))
        m4 = float(gaussian_expectation(lambda z: fn(z) ** 4, k, order=order))
        chi = c_w * float(
            gaussian_expectation(lambda z: d1(z) ** 2 + fn(z) * d2(z), k, order=order)
        )
        v = chi**2 * v + c_w**2 * (m4 - m2 * m2)
        out.append(3.0 * v / (width * float(ks[layer + 1]) ** 2))
    return torch.tensor(out, dtype=torch.float64)


class PreactivationStatistics(NamedTuple):
    """Monte Carlo statistics of one input's preactivations over an ensemble of random MLPs.

    Attributes:
        variance: ``(depth,)`` mean of ``z^2`` per layer.
        kurtosis: ``(depth,)`` excess kurtosis ``E[z^4] / E[z^2]^2 - 3`` from sample moments
            pooled over neurons and networks.
        conditional_kurtosis: ``(depth,)`` the same quantity as ``3 Var(G) / E[G]^2`` from the
            conditional variances ``G`` (exact identity, much lower Monte Carlo noise).
        conditional_variance: ``(num_networks, depth)`` the per-network ``G`` values.
    """

    variance: Tensor
    kurtosis: Tensor
    conditional_kurtosis: Tensor
    conditional_variance: Tensor


def preactivation_statistics(
    phi: str | Phi,
    c_w: float,
    c_b: float,
    depth: int,
    width: int,
    *,
    num_networks: int = 1000,
    k0: float = 1.0,
    input_dim: int | None = None,
    seed: int = 0,
    chunk: int = 128,
) -> PreactivationStatistics:
    """Sample preactivations of random MLPs (``W ~ N(0, C_W / n)``, ``b ~ N(0, C_b)``).

    The input is a fixed vector with ``|x|^2 / n_0 = k0`` (``n_0 = input_dim``, default
    ``width``); every hidden layer has ``width`` units.

    Args:
        phi: activation name or callable.
        c_w, c_b: initialization variances.
        depth: number of layers whose preactivations are recorded.
        width: hidden width ``n``.
        num_networks: ensemble size.
        k0: input second moment.
        input_dim: input size (default ``width``).
        seed: seed of the ensemble.
        chunk: networks sampled at once (bounds memory at ``chunk * width^2`` floats).

    Returns:
        :class:`PreactivationStatistics` (float64).
    """
    fn, _ = _resolve(phi)
    check_int("depth", depth)
    check_int("width", width)
    check_int("num_networks", num_networks)
    check_int("chunk", chunk)
    _check_scalars(c_w, c_b, k0)
    n0 = width if input_dim is None else check_int("input_dim", input_dim)
    g = torch.Generator().manual_seed(seed)
    x = torch.full((n0,), math.sqrt(k0), dtype=torch.float64)
    m2 = torch.zeros(depth, dtype=torch.float64)
    m4 = torch.zeros(depth, dtype=torch.float64)
    cond = []
    for start in range(0, num_networks, chunk):
        nets = min(chunk, num_networks - start)
        act = x.expand(nets, n0)
        fan_in = n0
        gs = []
        for layer in range(depth):
            # conditional variance of every unit of this layer given the previous activations
            gs.append(c_b + c_w * (act * act).mean(dim=1))
            w = torch.randn(nets, width, fan_in, generator=g, dtype=torch.float64)
            z = math.sqrt(c_w / fan_in) * torch.einsum("bij,bj->bi", w, act)
            if c_b > 0:
                z = z + math.sqrt(c_b) * torch.randn(nets, width, generator=g, dtype=torch.float64)
            m2[layer] += (z * z).sum()
            m4[layer] += (z**4).sum()
            act, fan_in = fn(z), width
        cond.append(torch.stack(gs, dim=1))
    total = num_networks * width
    m2, m4 = m2 / total, m4 / total
    g_all = torch.cat(cond)
    mean_g = g_all.mean(0)
    var_g = g_all.var(0, unbiased=True) if num_networks > 1 else torch.zeros_like(mean_g)
    return PreactivationStatistics(m2, m4 / m2**2 - 3.0, 3.0 * var_g / mean_g**2, g_all)
