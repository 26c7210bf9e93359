"""Infinitely wide *and* deep networks as classifiers: 1-NN, majority vote or a singular kernel.

Paper: *Wide and Deep Neural Networks Achieve Consistency for Classification* (arXiv title:
"... Achieve Optimality for Classification"), Adityanarayanan Radhakrishnan, Mikhail Belkin,
Caroline Uhler (PNAS 2023), arXiv 2204.14126.

On the unit sphere an infinitely wide network with unit-variance weights, no bias and an
activation normalised so that ``E[φ(z)²] = 1`` maps the cosine ``ξ = ⟨x, x'⟩`` through its
*dual activation* ``ϕ(ξ) = E[φ(u)φ(v)]`` (``u, v`` standard normal with correlation ``ξ``) at
every layer: the depth-``L`` NNGP is ``ϕ^{∘L}(ξ)`` and the NTK follows
``Θ_{l+1} = ϕ(ξ_l) + Θ_l ϕ'(ξ_l)``. The classifier is kernel interpolation,
``sign(K(x, X) K(X, X)⁻¹ y)`` with labels ±1. As ``L → ∞`` it becomes

* **majority vote** when 1 is an attracting fixed point of ϕ (``ϕ'(1) ≤ 1``, e.g. ReLU), but
  only once the depth far exceeds the number of training points;
* a **singular kernel** classifier ``sign Σ_i y_i ‖x − x_i‖^{−2α}`` when 0 is attracting and 1
  repelling (``ϕ(0) = 0``, ``ϕ'(0) < 1 < ϕ'(1)``), with ``α = ln(1/ϕ'(0)) / ln ϕ'(1)``; it is
  Bayes-consistent (Devroye's Hilbert-kernel rule) when ``2α`` equals the sphere's dimension
  ``d − 1``;
* **1-nearest-neighbour** when ``ϕ'(0) = 0`` (``α = ∞``).

The activations the paper constructs are given by their duals, ``ϕ(ξ) = Σ_k c_k ξ^k`` with
``c_k ≥ 0`` and ``Σ c_k = 1``, realised by ``φ = Σ_k √c_k h_k`` with the normalised Hermite
polynomials ``h_k``: :class:`HermiteActivation` (``ξ⁷/2 + ξ/2`` is consistent on S¹, and so on;
:data:`CONSISTENT_DUALS`), the hyperbolic-sine family :class:`SinhActivation`
(``ϕ(ξ) = sinh(aξ)/sinh(a)``, activation ``∝ sinh(√a z)``) and the normalised erf and ReLU
(:class:`NormalizedErf`, :class:`NormalizedReLU`). All are ``ElementwiseKernel`` subclasses, so
they also work in :func:`nnatlas.kernels.analytic.serial` networks of any input scale.

:func:`deep_kernel` iterates the dual directly on the cosine matrix (the fast route, what the
official code does). Prefer it to a deep ``serial`` network when ``ϕ'(1) > 1``: there the
generic recursion's variance fixed point 1 repels, rounding errors in the diagonal grow like
``ϕ'(1)^L`` and the kernel turns to NaN within a few tens of layers. :func:`dirichlet_task` builds the paper's benchmark with a known Bayes
classifier. Deviations: the NTK is rescaled by its (common) diagonal after every layer, which
leaves the classifier unchanged but avoids overflow at large depth (``ϕ'(1)^L``); samples are
drawn with torch instead of scipy.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping
from typing import Literal, NamedTuple

import numpy as np
import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_real
from nnatlas.kernels.analytic import ElementwiseKernel, Erf, ReLU, cholesky_coordinates
from nnatlas.kernels.angles import cosine_matrix, covariance_angle
from nnatlas.kernels.validation import check_tensor

__all__ = [
    "CONSISTENT_DUALS",
    "DirichletSplit",
    "DualActivation",
    "HermiteActivation",
    "NormalizedErf",
    "NormalizedReLU",
    "SinhActivation",
    "consistent_activation",
    "deep_kernel",
    "dirichlet_bayes_classifier",
    "dirichlet_task",
    "kernel_classifier",
    "limit_classifier",
    "majority_vote",
    "nearest_neighbor_classifier",
    "singular_kernel_classifier",
]

LimitKind = Literal["majority_vote", "singular_kernel", "nearest_neighbor"]


class DualActivation(ElementwiseKernel):
    """An activation normalised on the sphere, with its dual ``ϕ`` and ``ϕ'`` on ``[−1, 1]``.

    Subclasses implement :meth:`dual` and :meth:`dual_derivative` (for unit-variance inputs,
    ``ϕ(ξ) = E[φ(u)φ(v)]``, ``ϕ'(ξ) = E[φ'(u)φ'(v)]``) besides the general-covariance
    expectations of :class:`ElementwiseKernel`.
    """

    @abc.abstractmethod
    def dual(self, xi: Tensor) -> Tensor:
        """``ϕ(ξ)`` elementwise."""

    @abc.abstractmethod
    def dual_derivative(self, xi: Tensor) -> Tensor:
        """``ϕ'(ξ)`` elementwise."""

    def dual_and_derivative(self, xi: Tensor) -> tuple[Tensor, Tensor]:
        """``(ϕ(ξ), ϕ'(ξ))`` together (override to share work, as the ReLU does)."""
        return self.dual(xi), self.dual_derivative(xi)

    def _at(self, value: float) -> float:
        return float(self.dual_derivative(torch.tensor(value, dtype=torch.float64)))

    @property
    def slope_at_zero(self) -> float:
        """``ϕ'(0)``: below 1, 0 is an attracting fixed point of the correlation map."""
        return self._at(0.0)

    @property
    def slope_at_one(self) -> float:
        """``ϕ'(1)``: above 1, the fixed point 1 repels (distinct inputs decorrelate)."""
        return self._at(1.0)

    @property
    def singular_exponent(self) -> float:
        """``α = ln(1/ϕ'(0)) / ln ϕ'(1)``: the limit kernel is ``‖x − x'‖^{−2α}``.

        ``inf`` when ``ϕ'(0) = 0`` (1-NN); ``nan`` when ``ϕ'(1) ≤ 1`` (majority vote).
        """
        s0, s1 = self.slope_at_zero, self.slope_at_one
        if s1 <= 1.0 or s0 >= 1.0:
            return math.nan
        if s0 <= 0.0:
            return math.inf
        return math.log(1.0 / s0) / math.log(s1)


def _hermite_expectation(
    fn: Callable[[Tensor], Tensor], k11: Tensor, k22: Tensor, k12: Tensor, order: int
) -> Tensor:
    """``E[fn(u) fn(v)]`` by a tensor-product Gauss–Hermite rule (exact for polynomials of
    degree ``< order``), with ``u = √k11 z1``, ``v = (k12/√k11) z1 + √(k22 − k12²/k11) z2``."""
    a, b, c = torch.broadcast_tensors(k11, k22, k12)
    nodes_np, weights_np = np.polynomial.hermite_e.hermegauss(order)
    nodes = torch.as_tensor(nodes_np, dtype=a.dtype)
    weights = torch.as_tensor(weights_np / weights_np.sum(), dtype=a.dtype)
    sa, slope, resid = cholesky_coordinates(a, b, c)
    z1 = nodes.view(-1, 1)
    z2 = nodes.view(1, -1)
    u = sa[..., None, None] * z1
    v = slope[..., None, None] * z1 + resid[..., None, None] * z2
    vals = fn(u) * fn(v)  # (..., order, order) after broadcasting u over the second axis
    return (vals * (weights.view(-1, 1) * weights.view(1, -1))).sum((-2, -1))


class HermiteActivation(DualActivation):
    """``φ(z) = Σ_k √c_k He_k(z)/√k!``: the activation whose dual is ``ϕ(ξ) = Σ_k c_k ξ^k``.

    Expectations for arbitrary input covariances use Gauss–Hermite quadrature, which is exact
    for these polynomials.

    Args:
        coefficients: ``{degree: c_k}`` with ``c_k ≥ 0`` summing to 1 (so ``ϕ(1) = 1``).
        name: display name.
    """

    def __init__(self, coefficients: Mapping[int, float], name: str = "hermite") -> None:
        if not coefficients:
            raise ConfigError("coefficients must name at least one degree")
        for k, c in coefficients.items():
            if isinstance(k, bool) or not isinstance(k, int) or k < 0:
                raise ConfigError(f"coefficient degrees must be ints >= 0; got {k!r}")
            if not (isinstance(c, (int, float)) and c >= 0 and math.isfinite(c)):
                raise ConfigError(f"coefficient c_{k} must be a finite number >= 0; got {c!r}")
        total = sum(coefficients.values())
        if abs(total - 1.0) > 1e-9:
            raise ConfigError(f"coefficients must sum to 1 (so that ϕ(1) = 1); they sum to {total}")
        self.coefficients = dict(sorted(coefficients.items()))
        self.name = name
        degree = max(self.coefficients)
        # φ as coefficients in the probabilists' Hermite basis, for numpy's hermite_e module.
        basis = np.zeros(degree + 1)
        for k, c in self.coefficients.items():
            basis[k] = math.sqrt(c / math.factorial(k))
        self._power = np.polynomial.hermite_e.herme2poly(basis)
        self._dpower = np.polynomial.polynomial.polyder(self._power)
        self._order = degree + 2
        self._dual_power = np.array([self.coefficients.get(k, 0.0) for k in range(degree + 1)])
        self._ddual_power = np.polynomial.polynomial.polyder(self._dual_power)

    @staticmethod
    def _horner(coeffs: np.ndarray, x: Tensor) -> Tensor:
        out = torch.zeros_like(x)
        started = False
        for c in coeffs[::-1]:
            if started:
                out = out * x
            if c != 0.0:
                out = out + float(c)
                started = True
        return out

    def _phi(self, x: Tensor) -> Tensor:
        return self._horner(self._power, x)

    def _dphi(self, x: Tensor) -> Tensor:
        return self._horner(self._dpower, x)

    def dual(self, xi: Tensor) -> Tensor:
        return self._horner(self._dual_power, xi)

    def dual_derivative(self, xi: Tensor) -> Tensor:
        return self._horner(self._ddual_power, xi)

    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return _hermite_expectation(self._phi, k11, k22, k12, self._order)

    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return _hermite_expectation(self._dphi, k11, k22, k12, self._order)

    def __call__(self, x: Tensor) -> Tensor:
        return self._phi(x)

    def __repr__(self) -> str:
        terms = " + ".join(f"{c:g}·ξ^{k}" for k, c in self.coefficients.items())
        return f"HermiteActivation({terms})"


class SinhActivation(DualActivation):
    """``φ(z) = e^{−a/2} sinh(√a z)/√sinh(a)``, dual ``ϕ(ξ) = sinh(aξ)/sinh(a)``.

    The paper's "sine" family (named after its Hermite series); ``a = 2.676, 6.13539, 13.8258``
    make ``2α = 2, 4, 8``: consistent on S², S⁴, S⁸. Closed forms for any covariance:
    ``E[φ(u)φ(v)] = e^{a(k11+k22)/2 − a} sinh(a k12)/sinh(a)`` and
    ``E[φ'(u)φ'(v)] = a e^{a(k11+k22)/2 − a} cosh(a k12)/sinh(a)``.

    Args:
        a: the frequency parameter, ``> 0``.
    """

    def __init__(self, a: float) -> None:
        if not (isinstance(a, (int, float)) and math.isfinite(a) and a > 0):
            raise ConfigError(f"a must be a finite number > 0; got {a!r}")
        self.a = float(a)
        self.name = f"sinh_{a:g}"

    def dual(self, xi: Tensor) -> Tensor:
        return torch.sinh(self.a * xi) / math.sinh(self.a)

    def dual_derivative(self, xi: Tensor) -> Tensor:
        return self.a * torch.cosh(self.a * xi) / math.sinh(self.a)

    def _envelope(self, k11: Tensor, k22: Tensor) -> Tensor:
        return torch.exp(self.a * (k11 + k22) / 2 - self.a) / math.sinh(self.a)

    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return self._envelope(k11, k22) * torch.sinh(self.a * k12)

    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return self.a * self._envelope(k11, k22) * torch.cosh(self.a * k12)

    def __call__(self, x: Tensor) -> Tensor:
        return (
            math.exp(-self.a / 2) * torch.sinh(math.sqrt(self.a) * x) / math.sqrt(math.sinh(self.a))
        )

    def __repr__(self) -> str:
        return f"SinhActivation(a={self.a:g})"


class NormalizedErf(DualActivation):
    """``φ(z) = erf(z)/√((2/π) arcsin(2/3))``: dual ``ϕ(ξ) = arcsin(2ξ/3)/arcsin(2/3)``."""

    name = "erf"
    _NORM = (2.0 / math.pi) * math.asin(2.0 / 3.0)

    def dual(self, xi: Tensor) -> Tensor:
        return torch.asin(2.0 * xi / 3.0) / math.asin(2.0 / 3.0)

    def dual_derivative(self, xi: Tensor) -> Tensor:
        return (2.0 / 3.0) / torch.sqrt(1.0 - 4.0 * xi**2 / 9.0) / math.asin(2.0 / 3.0)

    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return Erf().expectation(k11, k22, k12) / self._NORM

    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return Erf().derivative_expectation(k11, k22, k12) / self._NORM

    def __call__(self, x: Tensor) -> Tensor:
        return torch.erf(x) / math.sqrt(self._NORM)


class NormalizedReLU(DualActivation):
    """``φ(z) = √2 max(z, 0)``: dual ``ϕ(ξ) = (ξ(π − arccos ξ) + √(1 − ξ²))/π``, ``ϕ'(1) = 1``."""

    name = "relu"

    @staticmethod
    def _angle(xi: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(ξ, sin θ, θ)`` for ``ξ = cos θ`` clipped to ``[−1, 1]``: ``sin θ`` from the factored
        ``(1 − ξ)(1 + ξ)``, ``θ`` by ``atan2`` (``arccos`` loses half the digits near ``ξ = ±1``)."""
        xi = xi.clamp(-1.0, 1.0)
        one = torch.ones_like(xi)
        root, theta = covariance_angle(one, one, xi)
        return xi, root, theta

    def dual(self, xi: Tensor) -> Tensor:
        return self.dual_and_derivative(xi)[0]

    def dual_derivative(self, xi: Tensor) -> Tensor:
        return self.dual_and_derivative(xi)[1]

    def dual_and_derivative(self, xi: Tensor) -> tuple[Tensor, Tensor]:
        xi, root, theta = self._angle(xi)
        slope = 1.0 - theta / math.pi
        return xi * slope + root / math.pi, slope

    def expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return 2.0 * ReLU().expectation(k11, k22, k12)

    def derivative_expectation(self, k11: Tensor, k22: Tensor, k12: Tensor) -> Tensor:
        return 2.0 * ReLU().derivative_expectation(k11, k22, k12)

    def __call__(self, x: Tensor) -> Tensor:
        return math.sqrt(2.0) * torch.relu(x)


#: The paper's exactly consistent duals for data on S^{d-1} (key: ambient dimension d).
CONSISTENT_DUALS: dict[int, dict[int, float]] = {
    2: {1: 0.5, 7: 0.5},  # ϕ'(0) = 1/2, ϕ'(1) = 4: α = 1/2
    3: {1: 0.5, 3: 0.5},  # ϕ'(0) = 1/2, ϕ'(1) = 2: α = 1
    5: {1: 0.25, 2: 0.5, 3: 0.25},  # ϕ'(0) = 1/4, ϕ'(1) = 2: α = 2
    9: {1: 1 / 16, 2: 7 / 8, 3: 1 / 16},  # ϕ'(0) = 1/16, ϕ'(1) = 2: α = 4
}


def consistent_activation(dim: int) -> HermiteActivation:
    """The paper's activation whose infinite-depth classifier is consistent on ``S^{dim−1}``.

    Args:
        dim: ambient dimension ``d`` of the data (2, 3, 5 or 9).
    """
    if dim not in CONSISTENT_DUALS:
        raise ConfigError(f"dim must be one of {sorted(CONSISTENT_DUALS)}; got {dim!r}")
    return HermiteActivation(CONSISTENT_DUALS[dim], name=f"{dim}d_opt")


def limit_classifier(activation: DualActivation) -> LimitKind:
    """Which classifier the infinite-depth limit of kernel interpolation becomes."""
    if not isinstance(activation, DualActivation):
        raise TypeError(f"activation must be a DualActivation; got {activation!r}")
    if activation.slope_at_one <= 1.0:
        return "majority_vote"
    if activation.slope_at_zero <= 0.0:
        return "nearest_neighbor"
    return "singular_kernel"


# -- kernels and classifiers ----------------------------------------------------------------


def _sphere(name: str, x: Tensor) -> Tensor:
    check_tensor(name, x, ndim=2)
    x = x.to(torch.float64)
    norm = x.norm(dim=1, keepdim=True)
    if bool((norm == 0).any()):
        raise ValueError(f"{name} has a zero row; inputs are projected to the unit sphere")
    return x / norm


def deep_kernel(
    x1: Tensor,
    x2: Tensor | None,
    activation: DualActivation,
    depth: int,
    *,
    kernel: Literal["nngp", "ntk"] = "nngp",
) -> Tensor:
    """The depth-``depth`` NNGP or NTK of ``activation`` between inputs projected to the sphere.

    NNGP: ``ϕ^{∘L}(⟨x, x'⟩)``. NTK: ``Θ_0 = ξ_0``, ``Θ_{l+1} = ϕ(ξ_l) + Θ_l ϕ'(ξ_l)``, divided by
    its diagonal value after each layer (the same for all inputs on the sphere), which changes
    no classifier. Cosines are clipped to ``[−1, 1]`` after every layer; the input cosines are
    exact (1, or −1) for parallel pairs (:func:`~nnatlas.kernels.angles.cosine_matrix`).

    Args:
        x1: ``(n1, d)`` inputs (rows are normalised to unit length).
        x2: ``(n2, d)`` inputs, or ``None`` for ``x1``.
        activation: a :class:`DualActivation`.
        depth: number of hidden layers ``L ≥ 0``.
        kernel: ``"nngp"`` or ``"ntk"``.

    Returns:
        ``(n1, n2)`` float64 kernel (normalised NTK: 1 on the diagonal).
    """
    if not isinstance(activation, DualActivation):
        raise TypeError(f"activation must be a DualActivation; got {activation!r}")
    check_int("depth", depth, low=0)
    if kernel not in ("nngp", "ntk"):
        raise ConfigError(f"kernel must be 'nngp' or 'ntk'; got {kernel!r}")
    a = _sphere("x1", x1)
    b = None if x2 is None else _sphere("x2", x2)
    if b is not None and a.shape[1] != b.shape[1]:
        raise ValueError(
            f"x1 and x2 must have the same features; got {a.shape[1]} and {b.shape[1]}"
        )
    # Cosines exact at parallel pairs (the diagonal, duplicates): an ulp below 1 there would
    # put an angle of 1.5e-8 into every ReLU-like dual derivative.
    xi = cosine_matrix(a, b)
    if kernel == "nngp":
        for _ in range(depth):
            xi = activation.dual(xi).clamp(-1.0, 1.0)
        return xi
    theta = xi.clone()
    # Track 1/diag: the raw diagonal grows like ϕ'(1)^L and would overflow at large depth.
    inv_diag = 1.0
    slope_one = activation.slope_at_one
    for _ in range(depth):
        nxt, slope = activation.dual_and_derivative(xi)
        new_inv = inv_diag / (inv_diag + slope_one)
        theta = nxt * new_inv + theta * slope / (inv_diag + slope_one)
        xi = nxt.clamp(-1.0, 1.0)
        inv_diag = new_inv
    return theta


def _labels(name: str, y: Tensor, n: int) -> Tensor:
    if not isinstance(y, Tensor) or y.dtype.is_complex or y.dtype == torch.bool:
        raise TypeError(f"{name} must be a real tensor of ±1 labels; got {type(y).__name__}")
    if y.shape != (n,) or not bool(((y == 1) | (y == -1)).all()):
        raise ValueError(f"{name} must be a ({n},) tensor of ±1 labels; got shape {tuple(y.shape)}")
    return y.to(torch.float64)


def kernel_classifier(
    k_train: Tensor, y_train: Tensor, k_test_train: Tensor, *, unit_diagonal: bool = False
) -> Tensor:
    """Kernel interpolation classifier ``sign(K(x, X) K(X, X)⁻¹ y)`` (no ridge, as in the paper).

    Args:
        k_train: ``(n, n)`` training kernel.
        y_train: ``(n,)`` labels ±1.
        k_test_train: ``(m, n)`` test–train kernel.
        unit_diagonal: set the training diagonal to exactly 1 (a normalised NNGP; removes
            rounding of ``ϕ^{∘L}(1)``).

    Returns:
        ``(m,)`` predictions ±1 (ties go to +1).
    """
    check_tensor("k_train", k_train, ndim=2)
    check_tensor("k_test_train", k_test_train, ndim=2)
    n = k_train.shape[0]
    if k_train.shape != (n, n) or k_test_train.dim() != 2 or k_test_train.shape[1] != n:
        raise ValueError(
            f"k_train must be (n, n) and k_test_train (m, n); got {tuple(k_train.shape)} and {tuple(k_test_train.shape)}"
        )
    y = _labels("y_train", y_train, n)
    k = k_train.to(torch.float64).clone()
    if unit_diagonal:
        k.fill_diagonal_(1.0)
    coef = torch.linalg.solve(k, y)
    score = k_test_train.to(torch.float64) @ coef
    return torch.where(score < 0, -1.0, 1.0)


def majority_vote(y_train: Tensor, num_test: int) -> Tensor:
    """Predict the majority training label for every test point (ties go to −1, as upstream)."""
    check_int("num_test", num_test, low=0)
    y = _labels("y_train", y_train, y_train.shape[0])
    label = 1.0 if float((y > 0).sum()) > float((y < 0).sum()) else -1.0
    return torch.full((num_test,), label, dtype=torch.float64)


def nearest_neighbor_classifier(x_train: Tensor, y_train: Tensor, x_test: Tensor) -> Tensor:
    """1-nearest-neighbour labels (Euclidean distance on the sphere; inputs are normalised)."""
    a, b = _sphere("x_train", x_train), _sphere("x_test", x_test)
    y = _labels("y_train", y_train, a.shape[0])
    return y[(b @ a.T).argmax(1)]


def singular_kernel_classifier(
    x_train: Tensor, y_train: Tensor, x_test: Tensor, exponent: float
) -> Tensor:
    """``sign Σ_i y_i ‖x − x_i‖^{−2·exponent}`` on the sphere (Devroye's Hilbert rule at ``d−1``).

    Computed in log space (a log-sum-exp per class), so large exponents do not overflow.

    Args:
        x_train, x_test: inputs, projected to the sphere.
        y_train: labels ±1.
        exponent: ``α > 0``.
    """
    if not (isinstance(exponent, (int, float)) and exponent > 0 and math.isfinite(exponent)):
        raise ConfigError(f"exponent must be a finite number > 0; got {exponent!r}")
    a, b = _sphere("x_train", x_train), _sphere("x_test", x_test)
    y = _labels("y_train", y_train, a.shape[0])
    # Squared distances from differences, not 2 - 2 cos (which cancels for close points).
    dist2 = (torch.cdist(b, a, compute_mode="donot_use_mm_for_euclid_dist") ** 2).clamp_min(1e-300)
    logw = -exponent * torch.log(dist2)
    neg_inf = torch.tensor(-math.inf, dtype=torch.float64)
    pos = torch.logsumexp(torch.where(y > 0, logw, neg_inf), dim=1)
    neg = torch.logsumexp(torch.where(y < 0, logw, neg_inf), dim=1)
    return torch.where(pos >= neg, 1.0, -1.0)


# -- the Dirichlet benchmark ----------------------------------------------------------------


class DirichletSplit(NamedTuple):
    """A two-class Dirichlet task: inputs on the sphere, labels ±1, and simplex points.

    ``x_*`` are the simplex samples normalised to unit length; ``simplex_test`` the raw test
    samples (for the Bayes classifier).
    """

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    simplex_test: Tensor


def dirichlet_task(
    n_train: int,
    n_test: int,
    alpha1: tuple[float, ...],
    alpha2: tuple[float, ...],
    *,
    prior1: float = 0.4,
    generator: torch.Generator | None = None,
) -> DirichletSplit:
    """The paper's benchmark: class +1 ~ Dirichlet(alpha1), class −1 ~ Dirichlet(alpha2).

    ``int((n_train + n_test) · prior1)`` points come from class +1; all are shuffled and split.
    Inputs are the samples divided by their Euclidean norm (points on the positive orthant
    of the sphere).

    Args:
        n_train, n_test: split sizes.
        alpha1, alpha2: concentration parameters (same length ``d``).
        prior1: probability of class +1.
        generator: random stream.
    """
    check_int("n_train", n_train)
    check_int("n_test", n_test)
    _check_concentrations(alpha1, alpha2)
    prior1 = check_real("prior1", prior1)
    if not 0 < prior1 < 1:
        raise ConfigError(f"prior1 must be in (0, 1); got {prior1}")
    total = n_train + n_test
    size1 = int(total * prior1)
    # torch's Dirichlet sampler takes no generator: draw under a forked, seeded global stream.
    with torch.random.fork_rng(devices=[]):
        if generator is not None:
            torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=generator)))
        s1 = torch.distributions.Dirichlet(torch.tensor(alpha1, dtype=torch.float64)).sample(
            (size1,)
        )
        s2 = torch.distributions.Dirichlet(torch.tensor(alpha2, dtype=torch.float64)).sample(
            (total - size1,)
        )
    simplex = torch.cat([s1, s2]).clamp_min(1e-300)
    y = torch.cat([torch.ones(size1), -torch.ones(total - size1)]).to(torch.float64)
    perm = torch.randperm(total, generator=generator)
    simplex, y = simplex[perm], y[perm]
    x = simplex / simplex.norm(dim=1, keepdim=True)
    return DirichletSplit(x[:n_train], y[:n_train], x[n_train:], y[n_train:], simplex[n_train:])


def _check_concentrations(alpha1: tuple[float, ...], alpha2: tuple[float, ...]) -> None:
    for name, alpha in (("alpha1", alpha1), ("alpha2", alpha2)):
        if isinstance(alpha, str | bytes) or not hasattr(alpha, "__len__"):
            raise TypeError(f"{name} must be a tuple of concentrations; got {alpha!r}")
        for a in alpha:
            check_real(name, a)
            if a <= 0:
                raise ConfigError(f"{name} (Dirichlet concentrations) must be > 0; got {alpha}")
    if len(alpha1) != len(alpha2) or len(alpha1) < 2:
        raise ConfigError(
            f"alpha1 and alpha2 must have the same length >= 2; got {alpha1} and {alpha2}"
        )


def _dirichlet_log_pdf(p: Tensor, alpha: tuple[float, ...]) -> Tensor:
    a = torch.tensor(alpha, dtype=torch.float64)
    return torch.lgamma(a.sum()) - torch.lgamma(a).sum() + ((a - 1) * torch.log(p)).sum(1)


def dirichlet_bayes_classifier(
    simplex: Tensor, alpha1: tuple[float, ...], alpha2: tuple[float, ...], *, prior1: float = 0.4
) -> Tensor:
    """The Bayes-optimal labels ±1 of simplex points for the two-Dirichlet task.

    Args:
        simplex: ``(m, d)`` points with positive coordinates (e.g. ``DirichletSplit.simplex_test``).
        alpha1, alpha2: the two classes' concentrations (length ``d``, all > 0).
        prior1: probability of class +1, in ``(0, 1)``.
    """
    check_tensor("simplex", simplex, ndim=2)
    _check_concentrations(alpha1, alpha2)
    if simplex.shape[1] != len(alpha1):
        raise ValueError(
            f"simplex must have {len(alpha1)} columns (one per concentration); "
            f"got shape {tuple(simplex.shape)}"
        )
    if not bool((simplex > 0).all()):
        raise ValueError("simplex must have positive coordinates (points of the open simplex)")
    prior1 = check_real("prior1", prior1)
    if not 0 < prior1 < 1:
        raise ConfigError(f"prior1 must be in (0, 1); got {prior1}")
    lp1 = _dirichlet_log_pdf(simplex, alpha1) + math.log(prior1)
    lp2 = _dirichlet_log_pdf(simplex, alpha2) + math.log(1 - prior1)
    return torch.where(lp1 > lp2, 1.0, -1.0)
