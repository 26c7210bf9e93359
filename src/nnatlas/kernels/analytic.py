"""Infinite-width NNGP and NTK kernels of fully connected networks, computed analytically.

A network is described by a sequence of layer descriptions, ``serial(Dense(), ReLU(), Dense())``,
and the returned :class:`KernelNetwork` maps two batches of inputs to the neural network Gaussian
process kernel (NNGP, the covariance of the outputs at initialization as the width goes to
infinity) and the neural tangent kernel (NTK, the kernel that governs gradient-descent training
in that limit). The recursions are the standard ones:

* NNGP (Neal 1996; Lee et al., "Deep Neural Networks as Gaussian Processes", arXiv 1711.00165;
  Matthews et al., arXiv 1804.11271): ``Sigma^{l+1} = sigma_w^2 E[phi(u) phi(v)] + sigma_b^2``
  with ``(u, v) ~ N(0, Lambda^l)``, the 2x2 covariance of the previous layer's preactivations.
* NTK (Jacot, Gabriel, Hongler, "Neural Tangent Kernel", arXiv 1806.07572):
  ``Theta^{l+1} = Sigma^{l+1} + sigma_w^2 E[phi'(u) phi'(v)] Theta^l``.

Closed forms: ReLU / leaky ReLU by the arc-cosine kernels (Cho & Saul 2009), erf by Williams'
arcsin kernel (1997), sign by the arcsin law. Any other activation (tanh, GELU, SiLU, ...) uses
a 2-D Gaussian quadrature (:class:`Activation`). Deviation from neural-tangents, whose numerical
activations use a tensor-product Gauss-Hermite rule: the default rule here is polar (angle split
at the activation's kink lines, Gauss-Laguerre in the radius), exact for ReLU-like kinks at 0
where Gauss-Hermite converges only as ``O(1/order)``; Gauss-Hermite stays available.

Parametrizations (as in google/neural-tangents, arXiv 1912.02803):

* ``"ntk"``: ``h = sigma_w / sqrt(n_in) W x + sigma_b b`` with ``W, b ~ N(0, 1)`` entries; the
  NTK has a finite infinite-width limit.
* ``"standard"``: ``h = W x + b`` with ``W ~ N(0, sigma_w^2 / n_in)``, ``b ~ N(0, sigma_b^2)``.
  The NNGP is the same; the NTK grows with the width (each weight contributes ``n_in`` times the
  per-feature kernel, each bias 1), so hidden layers must declare their width
  (``Dense(width=...)``) to get a standard-parametrization NTK.

Numerical notes: every angle comes from :func:`nnatlas.kernels.angles.covariance_angle`,
``atan2(sqrt(det), c)`` with the determinant factored as ``(s - c)(s + c)``, ``s = sqrt(ab)``
(no ``arccos``, no cancellation near rho = +-1, no division by the variances); the input
covariance takes nearly parallel pairs from the angle between unit vectors
(:func:`~nnatlas.kernels.angles.input_covariance`), so the diagonal, duplicated inputs, ``x``
and ``-x`` get exactly theta = 0 or pi, and the diagonal stays bitwise equal to the variances
through every layer. The square root of a clipped determinant has a zero gradient on the
diagonal (where the true derivative is zero), and kernels are float64 by default and computed
in row blocks so N = 10,000 inputs fit in memory.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.kernels.angles import covariance_angle, input_covariance, safe_sqrt
from nnatlas.kernels.validation import check_tensor

__all__ = [
    "Activation",
    "Dense",
    "ElementwiseKernel",
    "Erf",
    "Identity",
    "KernelNetwork",
    "Kernels",
    "LeakyReLU",
    "ParametrizedLinear",
    "ReLU",
    "Sign",
    "autograd_derivative",
    "cholesky_coordinates",
    "nngp_kernel",
    "ntk_kernel",
    "serial",
]

Parametrization = Literal["ntk", "standard"]
_TWO_PI = 2.0 * math.pi


class Kernels(NamedTuple):
    """The two infinite-width kernels of a network on a pair of input batches.

    Attributes:
        nngp: ``(n1, n2)`` NNGP kernel (output covariance at initialization).
        ntk: ``(n1, n2)`` neural tangent kernel, or ``None`` when only the NNGP was asked for.
    """

    nngp: Tensor
    ntk: Tensor | None


class ElementwiseKernel(abc.ABC):
    """Description of a pointwise activation ``phi`` for the kernel recursions.

    Subclasses give the two Gaussian expectations the recursions need and ``phi`` itself (used
    to build the finite network of the same architecture). All arguments broadcast elementwise;
    ``(u, v) ~ N(0, [[k11, k12], [k12, k22]])``.

    Subclass and override :meth:`derivative_expectation` to change the NTK's "dot" term, e.g.
    to a mixed expectation ``E[phi'(u) psi'(v)]`` for surrogate-gradient kernels.
    """

    name: str = "elementwise"

    @abc.abstractmethod
    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        """``E[phi(u) phi(v)]``, elementwise over the broadcast arguments."""

    @abc.abstractmethod
    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        """``E[phi'(u) phi'(v)]`` (the NTK's "dot" term), elementwise."""

    @abc.abstractmethod
    def __call__(self, x: Tensor) -> Tensor:
        """Apply ``phi`` elementwise."""

    def expectations(self, k11: Tensor, k22: Tensor, k12: Tensor) -> tuple[Tensor, Tensor]:
        """Both terms at once, ``(expectation, derivative_expectation)``.

        The NTK recursion calls this; closed forms override it to share work (the angle).
        """
        return self.expectation(k11, k22, k12), self.derivative_expectation(k11, k22, k12)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(ElementwiseKernel):
    """``phi(z) = max(z, 0)``: arc-cosine kernels of degree 1 (NNGP) and 0 (derivative term)."""

    name = "relu"

    @staticmethod
    def _terms(k11: Tensor, k22: Tensor, k12: Tensor) -> tuple[Tensor, Tensor]:
        # One formula for both entry points, so a pair and its diagonal round identically.
        root, theta = covariance_angle(k11, k22, k12)
        dot = (math.pi - theta) / _TWO_PI
        return root / _TWO_PI + dot * k12, dot

    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return self._terms(k11, k22, k12)[0]

    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return self._terms(k11, k22, k12)[1]

    def expectations(self, k11: Tensor, k22: Tensor, k12: Tensor) -> tuple[Tensor, Tensor]:
        cls = type(self)
        if cls.expectation is not ReLU.expectation or (
            cls.derivative_expectation is not ReLU.derivative_expectation
        ):  # a subclass changed one term: honour it
            return super().expectations(k11, k22, k12)
        return self._terms(k11, k22, k12)

    def __call__(self, x: Tensor) -> Tensor:
        return torch.relu(x)


class LeakyReLU(ElementwiseKernel):
    """``phi(z) = z`` for ``z >= 0`` and ``negative_slope * z`` otherwise.

    Args:
        negative_slope: slope ``s`` for negative inputs (any real number; ``s = 1`` is linear).
    """

    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, int | float):
            raise TypeError(f"negative_slope must be a float; got {negative_slope!r}")
        if not math.isfinite(negative_slope):
            raise ConfigError(f"negative_slope must be finite; got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        s = self.negative_slope
        root, theta = covariance_angle(k11, k22, k12)
        same_sign = (root + (math.pi - theta) * k12) / _TWO_PI
        opposite = (root - theta * k12) / _TWO_PI
        return (1.0 + s * s) * same_sign - 2.0 * s * opposite

    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        s = self.negative_slope
        theta = covariance_angle(k11, k22, k12).theta
        return (1.0 + s * s) * (math.pi - theta) / _TWO_PI + s * theta / math.pi

    def __call__(self, x: Tensor) -> Tensor:
        return torch.where(x >= 0, x, self.negative_slope * x)

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Erf(ElementwiseKernel):
    """``phi(z) = erf(z)``: Williams' arcsin kernel and its derivative term."""

    name = "erf"

    @staticmethod
    def _root(k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        # (1 + 2a)(1 + 2b) - 4c^2 >= 1 + 2a + 2b > 0 for any PSD covariance.
        return torch.sqrt(((1.0 + 2.0 * k11) * (1.0 + 2.0 * k22) - 4.0 * k12 * k12).clamp_min(1.0))

    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return (2.0 / math.pi) * torch.atan2(2.0 * k12, self._root(k11, k22, k12))

    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return (4.0 / math.pi) / self._root(k11, k22, k12)

    def __call__(self, x: Tensor) -> Tensor:
        return torch.erf(x)


class Sign(ElementwiseKernel):
    """``phi(z) = sign(z)``: NNGP ``(2/pi) arcsin(rho)``.

    The naive NTK of a sign network is ill-posed: ``phi' = 2 delta`` and
    ``E[phi'(u) phi'(v)] = 2 / (pi sqrt(k11 k22 - k12^2))`` diverges on the diagonal (Eilers,
    Memmesheimer, Goedeke, arXiv 2405.15539). :meth:`derivative_expectation` therefore raises.
    The surrogate-gradient NTK is *mixed*: the true derivative on one argument, the surrogate
    on the other (:class:`nnatlas.kernels.surrogate_ntk.SurrogateErf`).
    ``Activation(torch.sign, dphi=surrogate)`` puts the surrogate on both sides, which is a
    different (symmetric) kernel.
    """

    name = "sign"

    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        root = covariance_angle(k11, k22, k12).root
        return (2.0 / math.pi) * torch.atan2(k12, root)

    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        raise ValueError(
            "the NTK of a sign activation is ill-posed (E[phi'(u)phi'(v)] diverges on the "
            "diagonal); ask for get='nngp', or use the surrogate-gradient NTK "
            "(nnatlas.kernels.surrogate_ntk.SurrogateErf)"
        )

    def __call__(self, x: Tensor) -> Tensor:
        return torch.sign(x)


class Identity(ElementwiseKernel):
    """``phi(z) = z`` (a deep linear network)."""

    name = "identity"

    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return torch.broadcast_tensors(k11, k22, k12)[2].clone()

    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return torch.ones_like(torch.broadcast_tensors(k11, k22, k12)[2])

    def __call__(self, x: Tensor) -> Tensor:
        return x


def _hermite_rule(order: int, dtype: torch.dtype, device: torch.device) -> tuple[Tensor, Tensor]:
    """Nodes and weights of the ``order``-point Gauss-Hermite rule for ``N(0, 1)``."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(order)
    weights = weights / weights.sum()
    return (
        torch.as_tensor(nodes, dtype=dtype, device=device),
        torch.as_tensor(weights, dtype=dtype, device=device),
    )


def _polar_rule(
    order: int, dtype: torch.dtype, device: torch.device
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Gauss-Legendre nodes on ``[-1, 1]`` and Gauss-Laguerre radii ``sqrt(2 s)`` with weights."""
    xl, wl = np.polynomial.legendre.leggauss(order)
    xs, ws = np.polynomial.laguerre.laggauss(order)
    as_t = lambda v: torch.as_tensor(v, dtype=dtype, device=device)  # noqa: E731
    return as_t(xl), as_t(wl), as_t(np.sqrt(2.0 * xs)), as_t(ws)


def autograd_derivative(phi: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """``phi'`` of an elementwise ``phi`` by autograd; differentiable itself, so it nests.

    ``autograd_derivative(autograd_derivative(torch.tanh))`` is ``tanh''``. A ``phi`` that
    ignores its input has derivative 0. Used by :class:`Activation` (when no ``dphi`` is given)
    and by the criticality conditions (:mod:`nnatlas.kernels.criticality`).

    Args:
        phi: an elementwise ``Tensor -> Tensor`` function.

    Returns:
        ``dphi: Tensor -> Tensor`` of the same shape.

    Plain ``torch.autograd`` rather than ``torch.func``: the first ``torch.func`` call in a
    process costs seconds of one-time setup.
    """

    def dphi(x: Tensor) -> Tensor:
        with torch.enable_grad():
            inner = x if x.requires_grad else x.detach().requires_grad_(True)
            out = phi(inner)
            if not out.requires_grad:  # phi ignores its input (a constant)
                return torch.zeros_like(x)
            (grad,) = torch.autograd.grad(
                out.sum(), inner, create_graph=True, allow_unused=True, materialize_grads=True
            )
        return grad if x.requires_grad else grad.detach()

    return dphi


def cholesky_coordinates(a: Tensor, b: Tensor, c: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(sqrt(a), c / sqrt(a), sqrt(b - c^2 / a))`` of the covariance ``[[a, c], [c, b]]``.

    With ``(z1, z2)`` i.i.d. standard normal, ``u = s z1`` and ``v = m z1 + r z2`` have that
    covariance. The residual ``r = sqrt(det) / sqrt(a)`` takes the determinant from
    :func:`~nnatlas.kernels.angles.covariance_angle` (no cancellation near ``|rho| = 1``); a
    zero ``a`` gives ``m = 0``, ``r = sqrt(b)``. Used by every 2-D Gaussian quadrature of the
    family.

    Returns:
        ``(s, m, r)``, each of the broadcast shape.
    """
    sa = safe_sqrt(a)
    positive = sa > 0
    safe_sa = torch.where(positive, sa, torch.ones_like(sa))
    slope = torch.where(positive, c / safe_sa, 0.0)
    root = covariance_angle(a, b, c).root
    return sa, slope, torch.where(positive, root / safe_sa, safe_sqrt(b))


class Activation(ElementwiseKernel):
    """Any activation, with both expectations by a 2-D Gaussian quadrature rule.

    Write ``u = s z1``, ``v = m z1 + r z2`` with ``(z1, z2)`` i.i.d. standard normal (Cholesky
    coordinates of the covariance). Two rules are available:

    * ``method="polar"`` (default): polar coordinates ``(z1, z2) = rho (cos a, sin a)``. The
      angle runs over ``[0, pi)`` (the opposite ray is folded in as ``-rho``) and is split at
      the angles where ``u = 0`` or ``v = 0``, with ``ceil(order / 2)`` Gauss-Legendre nodes per
      piece; the radial integral in ``rho^2 / 2`` uses ``ceil(order / 2)`` Gauss-Laguerre nodes.
      This is exact (to rounding) for activations that are positively homogeneous on each
      half-line (ReLU, leaky ReLU, step, sign: their kink sits on the split lines) and
      converges spectrally for smooth ``phi``, at about 1.5 times the cost of ``"hermite"``.
    * ``method="hermite"``: the tensor-product Gauss-Hermite rule of ``order**2`` nodes (what
      neural-tangents' ``ElementwiseNumerical`` does). Spectral for smooth ``phi``, but only
      ``O(1/order)`` for kinks (about 2e-3 at order 32 for ReLU).

    Kinks away from 0 (e.g. hard tanh) converge algebraically under both rules.

    Args:
        phi: elementwise activation ``Tensor -> Tensor`` (must accept float64 tensors).
        dphi: its derivative (or a surrogate derivative, which then defines a surrogate NTK);
            ``None`` differentiates ``phi`` by autograd.
        name: display name.
        order: quadrature order (``>= 2``); see above for the node counts.
        method: ``"polar"`` or ``"hermite"``.
    """

    #: Elements per quadrature chunk times nodes stays below this (bounds temporary memory).
    _CHUNK_BUDGET = 1 << 22

    def __init__(
        self,
        phi: Callable[[Tensor], Tensor],
        dphi: Callable[[Tensor], Tensor] | None = None,
        name: str = "custom",
        order: int = 32,
        method: Literal["polar", "hermite"] = "polar",
    ) -> None:
        if not callable(phi):
            raise TypeError(f"phi must be a callable Tensor -> Tensor; got {phi!r}")
        if dphi is not None and not callable(dphi):
            raise TypeError(f"dphi must be a callable Tensor -> Tensor or None; got {dphi!r}")
        if method not in ("polar", "hermite"):
            raise ConfigError(f"method must be 'polar' or 'hermite'; got {method!r}")
        self.order = check_int("order", order, low=2, high=512)
        self.method = method
        self.phi = phi
        self.dphi = dphi if dphi is not None else autograd_derivative(phi)
        self.name = str(name)

    def _hermite(self, fn: Callable[[Tensor], Tensor], a: Tensor, b: Tensor, c: Tensor) -> Tensor:
        nodes, weights = _hermite_rule(self.order, a.dtype, a.device)
        w2 = (weights.view(-1, 1) * weights.view(1, -1)).reshape(-1)
        sa, slope, resid = (t.view(-1, 1, 1) for t in cholesky_coordinates(a, b, c))
        z1, z2 = nodes.view(-1, 1), nodes.view(1, -1)
        u = (sa * z1).expand(-1, -1, self.order).reshape(a.shape[0], -1)
        v = (slope * z1 + resid * z2).reshape(a.shape[0], -1)
        return (fn(u) * fn(v)) @ w2

    def _polar(self, fn: Callable[[Tensor], Tensor], a: Tensor, b: Tensor, c: Tensor) -> Tensor:
        n = (self.order + 1) // 2
        xl, wl, radii, wr = _polar_rule(n, a.dtype, a.device)
        sa, slope, resid = cholesky_coordinates(a, b, c)
        # Angles in [0, pi) where u = 0 (a = pi/2) and where v = 0; the integrand has its kinks
        # there for activations with a kink at 0, so each piece is smooth.
        kink_u = torch.full_like(a, math.pi / 2)
        kink_v = torch.remainder(torch.atan2(-slope, resid), math.pi).detach()
        lo, hi = torch.minimum(kink_u, kink_v), torch.maximum(kink_u, kink_v)
        edges = torch.stack([torch.zeros_like(a), lo, hi, torch.full_like(a, math.pi)], dim=1)
        half = (edges[:, 1:] - edges[:, :-1]) / 2  # (E, 3)
        mid = (edges[:, 1:] + edges[:, :-1]) / 2
        angle = (mid.unsqueeze(-1) + half.unsqueeze(-1) * xl).reshape(a.shape[0], -1, 1)
        w_angle = (half.unsqueeze(-1) * wl).reshape(a.shape[0], -1)
        cos, sin = torch.cos(angle), torch.sin(angle)
        p = sa.view(-1, 1, 1) * cos * radii  # u along each ray, (E, 3n, n)
        q = (slope.view(-1, 1, 1) * cos + resid.view(-1, 1, 1) * sin) * radii
        vals = fn(p) * fn(q) + fn(-p) * fn(-q)
        return ((vals @ wr) * w_angle).sum(dim=1) / _TWO_PI

    def _quadrature(
        self, fn: Callable[[Tensor], Tensor], k11: Tensor, k22: Tensor, k12: Tensor
    ) -> Tensor:
        a, b, c = torch.broadcast_tensors(k11, k22, k12)
        shape = a.shape
        a, b, c = a.reshape(-1), b.reshape(-1), c.reshape(-1)
        rule = self._polar if self.method == "polar" else self._hermite
        nodes = 6 * ((self.order + 1) // 2) ** 2 if self.method == "polar" else self.order**2
        chunk = max(1, self._CHUNK_BUDGET // nodes)
        out = [
            rule(fn, a[i : i + chunk], b[i : i + chunk], c[i : i + chunk])
            for i in range(0, a.numel(), chunk)
        ]
        if not out:
            return a.reshape(shape).clone()
        return torch.cat(out).reshape(shape)

    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return self._quadrature(self.phi, k11, k22, k12)

    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return self._quadrature(self.dphi, k11, k22, k12)

    def __call__(self, x: Tensor) -> Tensor:
        return self.phi(x)

    def __repr__(self) -> str:
        return f"Activation(name={self.name!r}, order={self.order}, method={self.method!r})"


@dataclass(frozen=True)
class Dense:
    """A fully connected layer description.

    ``sigma_w`` and ``sigma_b`` may be one-element tensors with ``requires_grad`` (e.g. to fit
    them by marginal likelihood): the kernels are differentiable in them.

    Attributes:
        sigma_w: weight standard deviation (``C_W = sigma_w**2`` in Roberts-Yaida-Hanin).
        sigma_b: bias standard deviation (``C_b = sigma_b**2``); 0 means no bias in the
            finite network built by :meth:`KernelNetwork.module`.
        parametrization: ``"ntk"`` or ``"standard"`` (see the module docstring).
        width: output width; only needed for the standard-parametrization NTK of hidden
            layers, and used (instead of ``module``'s ``width``) by the finite network if set.
    """

    sigma_w: float | Tensor = 1.0
    sigma_b: float | Tensor = 0.0
    parametrization: Parametrization = "ntk"
    width: int | None = None

    def __post_init__(self) -> None:
        for field_name in ("sigma_w", "sigma_b"):
            value = getattr(self, field_name)
            if isinstance(value, Tensor):
                if value.numel() != 1 or not value.dtype.is_floating_point:
                    raise TypeError(
                        f"Dense.{field_name} must be a float or a one-element floating tensor; "
                        f"got a {value.dtype} tensor of shape {tuple(value.shape)}"
                    )
                number = float(value.detach())
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"Dense.{field_name} must be a float; got {value!r}")
            else:
                number = float(value)
            if not math.isfinite(number) or number < 0:
                raise ConfigError(f"Dense.{field_name} must be finite and >= 0; got {number}")
        if self.parametrization not in ("ntk", "standard"):
            raise ConfigError(
                f"Dense.parametrization must be 'ntk' or 'standard'; got {self.parametrization!r}"
            )
        if self.width is not None:
            check_int("Dense.width", self.width)


class ParametrizedLinear(nn.Module):
    """A linear layer in NTK or standard parametrization (the finite counterpart of ``Dense``).

    * ``"ntk"``: ``y = sigma_w / sqrt(in_features) * x W^T + sigma_b * b``, ``W, b ~ N(0, 1)``.
    * ``"standard"``: ``y = x W^T + b``, ``W ~ N(0, sigma_w^2 / in_features)``,
      ``b ~ N(0, sigma_b^2)``.

    Both have the same output distribution at initialization; they differ in how gradient
    descent moves the function (the NTK).

    Args:
        in_features: input size.
        out_features: output size.
        sigma_w: weight scale.
        sigma_b: bias scale; ``0`` means no bias parameter.
        parametrization: ``"ntk"`` or ``"standard"``.
        generator: optional ``torch.Generator`` for the initialization.
        device: parameter device.
        dtype: parameter dtype.

    Shapes:
        ``x: (..., in_features) -> (..., out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        sigma_w: float = 1.0,
        sigma_b: float = 0.0,
        parametrization: Parametrization = "ntk",
        *,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        spec = Dense(sigma_w, sigma_b, parametrization)  # validates the scalars
        self.in_features = check_int("in_features", in_features)
        self.out_features = check_int("out_features", out_features)
        self.sigma_w, self.sigma_b = float(spec.sigma_w), float(spec.sigma_b)  # a fixed scale
        self.parametrization: Parametrization = spec.parametrization
        self.weight = nn.Parameter(
            torch.empty(out_features, in_features, device=device, dtype=dtype)
        )
        if self.sigma_b > 0:
            self.bias: nn.Parameter | None = nn.Parameter(
                torch.empty(out_features, device=device, dtype=dtype)
            )
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator=generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw fresh parameters from the parametrization's initialization distribution."""
        with torch.no_grad():
            if self.parametrization == "ntk":
                self.weight.normal_(0.0, 1.0, generator=generator)
                if self.bias is not None:
                    self.bias.normal_(0.0, 1.0, generator=generator)
            else:
                self.weight.normal_(
                    0.0, self.sigma_w / math.sqrt(self.in_features), generator=generator
                )
                if self.bias is not None:
                    self.bias.normal_(0.0, self.sigma_b, generator=generator)

    def forward(self, x: Tensor) -> Tensor:
        if not x.dtype.is_floating_point:
            raise TypeError(f"x must be a floating tensor; got dtype {x.dtype}")
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"x must have shape (..., {self.in_features}); got {tuple(x.shape)}")
        if self.parametrization == "ntk":
            out = (self.sigma_w / math.sqrt(self.in_features)) * (x @ self.weight.T)
            if self.bias is not None:
                out = out + self.sigma_b * self.bias
            return out
        out = x @ self.weight.T
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"sigma_w={self.sigma_w}, sigma_b={self.sigma_b}, "
            f"parametrization={self.parametrization!r}"
        )


class _Pointwise(nn.Module):
    """Wraps an :class:`ElementwiseKernel`'s ``phi`` as a module."""

    def __init__(self, kernel: ElementwiseKernel) -> None:
        super().__init__()
        self.kernel = kernel

    def forward(self, x: Tensor) -> Tensor:
        return self.kernel(x)

    def extra_repr(self) -> str:
        return repr(self.kernel)


Layer = Dense | ElementwiseKernel


def _set_diagonal(k: Tensor, rows: Tensor, cols: Tensor, values: Tensor) -> Tensor:
    """``k[rows, cols] = values``, out of place when autograd records ``k``."""
    if k.requires_grad or values.requires_grad:
        return k.index_put((rows, cols), values)
    k[rows, cols] = values
    return k


class KernelNetwork:
    """A fully connected architecture with its infinite-width kernels; built by :func:`serial`.

    Calling it returns :class:`Kernels` for two input batches. The kernels are those of the
    network's scalar output (every output unit has the same kernel in the infinite-width limit).

    Attributes:
        layers: the layer descriptions, in order.
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        self.layers: tuple[Layer, ...] = tuple(layers)

    def __repr__(self) -> str:
        return f"serial({', '.join(map(repr, self.layers))})"

    # ----------------------------------------------------------------- helpers

    @staticmethod
    def _check_inputs(name: str, x: Tensor, dtype: torch.dtype | None) -> Tensor:
        check_tensor(name, x)
        if x.dim() != 2:
            raise ValueError(f"{name} must have shape (n, features); got shape {tuple(x.shape)}")
        if x.shape[1] == 0:
            raise ValueError(f"{name} must have at least one feature; got shape {tuple(x.shape)}")
        target = dtype if dtype is not None else x.dtype
        if not isinstance(target, torch.dtype) or not target.is_floating_point:
            raise TypeError(f"dtype must be a floating dtype; got {target}")
        return x.to(target)

    def _in_width(self, index: int, in_features: int) -> int:
        """Width of the representation entering layer ``index`` (for the standard NTK)."""
        for j in range(index - 1, -1, -1):
            layer = self.layers[j]
            if isinstance(layer, Dense):
                if layer.width is None:
                    raise ConfigError(
                        f"layer {j} (Dense) needs width=... because the Dense layer {index} "
                        "uses the standard parametrization, whose NTK depends on the width"
                    )
                return layer.width
        return in_features

    def _diagonals(
        self, k: Tensor, need_ntk: bool, in_features: int
    ) -> tuple[list[Tensor], Tensor, Tensor | None]:
        """NNGP diagonal entering each layer and after the last, from the input's ``|x|^2 / d``.

        The same per-layer calls as the full kernel (``need_ntk`` picks the same methods), so
        a diagonal entry of the kernel and its variance round identically.
        """
        t: Tensor | None = torch.zeros_like(k) if need_ntk else None
        trace = []
        for index, layer in enumerate(self.layers):
            trace.append(k)
            k, t = self._step(index, layer, k, t, k, k, in_features)
        trace.append(k)
        return trace, k, t

    def _step(
        self,
        index: int,
        layer: Layer,
        k: Tensor,
        t: Tensor | None,
        d1: Tensor,
        d2: Tensor,
        in_features: int,
    ) -> tuple[Tensor, Tensor | None]:
        """Push (nngp, ntk) through one layer; ``d1, d2`` are the broadcastable diagonals."""
        if isinstance(layer, Dense):
            cw, cb = layer.sigma_w**2, layer.sigma_b**2
            k_new = cw * k + cb
            if t is None:
                return k_new, None
            if layer.parametrization == "ntk":
                return k_new, cw * t + k_new
            width = self._in_width(index, in_features)
            return k_new, cw * t + width * k + (1.0 if float(layer.sigma_b) > 0 else 0.0)
        if t is None:
            return layer.expectation(d1, d2, k), None
        k_new, dot = layer.expectations(d1, d2, k)
        return k_new, dot * t

    def _validate(self) -> None:
        if not self.layers:
            raise ConfigError("serial() needs at least one layer")

    # ----------------------------------------------------------------- public API

    def __call__(
        self,
        x1: Tensor,
        x2: Tensor | None = None,
        *,
        get: Literal["both", "nngp"] = "both",
        block_size: int | None = None,
        dtype: torch.dtype | None = torch.float64,
    ) -> Kernels:
        """Infinite-width kernels between two batches.

        Args:
            x1: ``(n1, d)`` inputs.
            x2: ``(n2, d)`` inputs; ``None`` means ``x1``.
            get: ``"both"`` (NNGP and NTK) or ``"nngp"`` (NTK is then ``None``).
            block_size: rows of ``x1`` processed at once (bounds memory); ``None`` picks
                about 2**20 kernel entries per block.
            dtype: computation dtype (float64 by default); ``None`` keeps the inputs' dtype.

        Returns:
            :class:`Kernels` with ``(n1, n2)`` tensors.
        """
        self._validate()
        if get not in ("both", "nngp"):
            raise ConfigError(f"get must be 'both' or 'nngp'; got {get!r}")
        x1 = self._check_inputs("x1", x1, dtype)
        x2 = x1 if x2 is None else self._check_inputs("x2", x2, x1.dtype)
        if x1.shape[1] != x2.shape[1]:
            raise ValueError(
                f"x1 and x2 must have the same number of features; got {x1.shape[1]} and "
                f"{x2.shape[1]}"
            )
        need_ntk = get == "both"
        n1, n2, d = x1.shape[0], x2.shape[0], x1.shape[1]
        if block_size is None:
            block_size = max(1, (1 << 20) // max(n2, 1))
        else:
            check_int("block_size", block_size)
        same = x2 is x1
        # Nearly parallel pairs (the diagonal, duplicated rows, x and -x) get their cross
        # moments from the angle between unit vectors, so their angles are exactly 0 or pi.
        k11 = (x1 * x1).sum(dim=1) / d
        k22 = k11 if same else (x2 * x2).sum(dim=1) / d
        trace1 = self._diagonals(k11, need_ntk, d)[0]
        trace2 = trace1 if same else self._diagonals(k22, need_ntk, d)[0]
        # Blocks are written into preallocated outputs (no concatenation copy at the end).
        nngp = x1.new_empty(n1, n2)
        ntk = x1.new_empty(n1, n2) if need_ntk else None
        for start in range(0, n1, block_size):
            stop = min(start + block_size, n1)
            k = input_covariance(x1[start:stop], x2, k11=k11[start:stop], k22=k22)[2]
            rows = torch.arange(start, stop, device=k.device)
            t: Tensor | None = torch.zeros_like(k) if need_ntk else None
            for index, layer in enumerate(self.layers):
                if same:
                    # Keep the diagonal bitwise equal to the variances (k12 = k11 = k22), even
                    # through quadrature layers whose vectorised transcendental functions may
                    # round one position differently from another.
                    k = _set_diagonal(k, rows - start, rows, trace1[index][start:stop])
                d1 = trace1[index][start:stop].unsqueeze(1)
                d2 = trace2[index].unsqueeze(0)
                k, t = self._step(index, layer, k, t, d1, d2, d)
            if same:
                k = _set_diagonal(k, rows - start, rows, trace1[-1][start:stop])
            nngp[start:stop] = k
            if ntk is not None and t is not None:
                ntk[start:stop] = t
        return Kernels(nngp, ntk)

    def diagonal(
        self, x: Tensor, *, dtype: torch.dtype | None = torch.float64
    ) -> tuple[Tensor, Tensor]:
        """Diagonals ``(nngp(x_i, x_i), ntk(x_i, x_i))`` in O(N).

        Args:
            x: ``(n, d)`` inputs.
            dtype: computation dtype (float64 by default); ``None`` keeps the inputs' dtype.

        Returns:
            Two ``(n,)`` tensors.
        """
        self._validate()
        x = self._check_inputs("x", x, dtype)
        _, k, t = self._diagonals((x * x).sum(dim=1) / x.shape[1], True, x.shape[1])
        assert t is not None
        return k, t

    def module(
        self,
        width: int,
        in_features: int,
        out_features: int = 1,
        *,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
    ) -> nn.Module:
        """A finite network of the same architecture and parametrization.

        Every ``Dense`` layer but the last has ``width`` outputs (or its own ``Dense.width``);
        the last has ``out_features``. Parameters are drawn from the initialization
        distribution whose infinite-width limit these kernels describe.

        Args:
            width: hidden width.
            in_features: input size ``d``.
            out_features: output size.
            generator: optional ``torch.Generator`` for the initialization.
            dtype: parameter dtype.

        Returns:
            An ``nn.Sequential`` of :class:`ParametrizedLinear` and activation modules.
        """
        self._validate()
        check_int("width", width)
        check_int("in_features", in_features)
        check_int("out_features", out_features)
        dense_positions = [i for i, layer in enumerate(self.layers) if isinstance(layer, Dense)]
        if not dense_positions or dense_positions[-1] != len(self.layers) - 1:
            raise ConfigError(
                "module() needs an architecture that ends with a Dense layer (the readout); "
                f"got {self!r}"
            )
        modules: list[nn.Module] = []
        fan_in = in_features
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Dense):
                if i == dense_positions[-1]:
                    fan_out = out_features
                else:
                    fan_out = layer.width if layer.width is not None else width
                modules.append(
                    ParametrizedLinear(
                        fan_in,
                        fan_out,
                        float(layer.sigma_w),
                        float(layer.sigma_b),
                        layer.parametrization,
                        generator=generator,
                        dtype=dtype,
                    )
                )
                fan_in = fan_out
            else:
                modules.append(_Pointwise(layer))
        return nn.Sequential(*modules)


def serial(*layers: Layer) -> KernelNetwork:
    """Compose layer descriptions into a :class:`KernelNetwork`.

    Args:
        *layers: :class:`Dense` and :class:`ElementwiseKernel` instances, input to output.

    Returns:
        The network; call it as ``net(x1, x2)`` for its :class:`Kernels`.

    Example:
        >>> net = serial(Dense(1.4, 0.1), ReLU(), Dense(1.4, 0.1))
        >>> k = net(torch.randn(5, 3))
        >>> k.nngp.shape, k.ntk.shape
        (torch.Size([5, 5]), torch.Size([5, 5]))
    """
    if not layers:
        raise ConfigError("serial() needs at least one layer")
    for i, layer in enumerate(layers):
        if not isinstance(layer, Dense | ElementwiseKernel):
            raise TypeError(
                f"layer {i} must be a Dense or an ElementwiseKernel (ReLU(), Erf(), "
                f"Activation(phi), ...); got {layer!r}"
            )
    return KernelNetwork(layers)


def _check_network(net: object) -> KernelNetwork:
    if not isinstance(net, KernelNetwork):
        raise TypeError(f"net must be a KernelNetwork (from serial(...)); got {net!r}")
    return net


def nngp_kernel(net: KernelNetwork, x1: Tensor, x2: Tensor | None = None) -> Tensor:
    """The ``(n1, n2)`` infinite-width NNGP kernel of ``net`` (float64)."""
    return _check_network(net)(x1, x2, get="nngp").nngp


def ntk_kernel(net: KernelNetwork, x1: Tensor, x2: Tensor | None = None) -> Tensor:
    """The ``(n1, n2)`` infinite-width NTK of ``net`` (float64)."""
    ntk = _check_network(net)(x1, x2).ntk
    assert ntk is not None
    return ntk
