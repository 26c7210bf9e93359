"""Metric spaces for random-object responses: one interface, pairwise distances.

Part of the FCCov component (Yuan, Wang, Yu, "Fréchet Cumulative Covariance Net for Deep
Nonlinear Sufficient Dimension Reduction with Random Objects", arXiv 2502.15374). The paper's
responses live in metric spaces (Euclidean vectors, univariate distributions under the
2-Wasserstein metric, SPD matrices, the sphere); FCCov only needs their pairwise distances, so a
metric here is an object with :meth:`MetricSpace.validate` and :meth:`MetricSpace.pairwise`.

* :class:`Euclidean`: ``‖a - b‖₂`` of vectors ``(n, q)`` (or scalars ``(n,)``).
* :class:`Wasserstein2`: univariate distributions given by their quantile functions on a
  common grid of levels ``(n, m)``; ``W2(a, b)² = ∫₀¹ (Q_a(u) - Q_b(u))² du``, integrated by the
  mean over the grid (the midpoint rule when the grid is ``(i + 1/2) / m``).
* :class:`SPDAffineInvariant`: ``‖log(A^{-1/2} B A^{-1/2})‖_F`` of SPD matrices ``(n, r, r)``,
  from the generalized eigenvalues of ``(B, A)`` (via the Cholesky factor of ``A``).
* :class:`SPDLogEuclidean`: ``‖log A - log B‖_F``.
* :class:`SphereGeodesic`: ``arccos⟨a, b⟩`` of unit vectors ``(n, q)``.

:func:`get_metric` maps the names ``"euclidean"``, ``"wasserstein2"``, ``"spd_affine"``,
``"spd_log_euclidean"``, ``"sphere"`` to instances. Inputs are validated (a non-SPD matrix, a
decreasing quantile function or a non-unit vector fails naming the argument).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int, check_tensor

__all__ = [
    "METRICS",
    "Euclidean",
    "MetricSpace",
    "SPDAffineInvariant",
    "SPDLogEuclidean",
    "SphereGeodesic",
    "Wasserstein2",
    "get_metric",
    "spd_log",
]


class MetricSpace:
    """A metric on response objects stacked along the first dimension.

    Subclasses set :attr:`name` and :attr:`ranks` (the allowed ranks of a stack of objects: 2
    for vectors and quantile functions, 3 for matrices) and implement :meth:`_check` and
    :meth:`_pairwise`.
    """

    name: ClassVar[str] = ""
    ranks: ClassVar[tuple[int, ...]] = (2,)

    def validate(self, y: Tensor, name: str = "y") -> Tensor:
        """Check that ``y`` is a stack of valid objects; return it.

        Raises:
            TypeError: not a real floating tensor.
            ConfigError: wrong rank, empty, non-finite, or an invalid object (named ``name``).
        """
        check_tensor(name, y, ndim=self.ranks, nonempty=True, owner=type(self).__name__)
        self._check(y, name)
        return y

    def _check(self, y: Tensor, name: str) -> None:
        return None

    def pairwise(self, a: Tensor, b: Tensor | None = None) -> Tensor:
        """Distances between every object of ``a`` and every object of ``b``.

        Args:
            a: ``(n, *object_shape)``.
            b: ``(m, *object_shape)``; ``a`` itself if ``None``.

        Returns:
            ``(n, m)`` non-negative distances (zero diagonal when ``b`` is ``None``).
        """
        self.validate(a, "a")
        same = b is None
        if b is None:
            b = a
        else:
            self.validate(b, "b")
            if a.shape[1:] != b.shape[1:]:
                raise ConfigError(
                    f"{type(self).__name__}: a and b must hold objects of the same shape; got "
                    f"{tuple(a.shape[1:])} and {tuple(b.shape[1:])}"
                )
        d = self._pairwise(a, b)
        if same:
            d = 0.5 * (d + d.T)
            d.fill_diagonal_(0.0)
        return d

    def _pairwise(self, a: Tensor, b: Tensor) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Euclidean(MetricSpace):
    """Euclidean distance of vectors ``(n, q)`` or scalars ``(n,)``."""

    name = "euclidean"
    ranks = (1, 2)

    def _pairwise(self, a: Tensor, b: Tensor) -> Tensor:
        a2 = a.reshape(len(a), -1)
        b2 = b.reshape(len(b), -1)
        return torch.cdist(a2, b2)


class Wasserstein2(MetricSpace):
    """2-Wasserstein distance of univariate distributions given as quantile functions.

    Objects are ``(m,)`` quantile values on a common grid of levels in ``(0, 1)``; they must be
    non-decreasing (up to ``tol``). The integral over levels is the mean over the grid, so with
    midpoint levels ``(i + 1/2) / m`` the distance is the midpoint rule's.

    Args:
        tol: allowed decrease between consecutive quantile values (rounding).
    """

    name = "wasserstein2"

    def __init__(self, tol: float = 1e-8) -> None:
        if isinstance(tol, bool) or not isinstance(tol, int | float) or not tol >= 0:
            raise ConfigError(f"Wasserstein2: tol must be a number >= 0; got {tol!r}")
        self.tol = float(tol)

    def _check(self, y: Tensor, name: str) -> None:
        if y.shape[1] < 1:
            raise ConfigError(f"Wasserstein2: {name} must have at least one quantile level")
        if y.shape[1] > 1 and bool((y.diff(dim=1) < -self.tol).any()):
            bad = int((y.diff(dim=1) < -self.tol).any(dim=1).nonzero()[0])
            raise ConfigError(
                f"Wasserstein2: {name} must hold non-decreasing quantile functions (one per row); "
                f"row {bad} decreases"
            )

    def _pairwise(self, a: Tensor, b: Tensor) -> Tensor:
        m = a.shape[1]
        return torch.cdist(a, b) / m**0.5


def _check_spd(y: Tensor, name: str, owner: str, tol: float) -> None:
    r = y.shape[-1]
    if y.shape[-2] != r or r < 1:
        raise ConfigError(
            f"{owner}: {name} must hold square matrices (n, r, r); got {tuple(y.shape)}"
        )
    scale = y.abs().amax(dim=(-2, -1)).clamp_min(1e-300)
    asym = (y - y.transpose(-2, -1)).abs().amax(dim=(-2, -1)) / scale
    if bool((asym > tol).any()):
        bad = int((asym > tol).nonzero()[0])
        raise ConfigError(f"{owner}: {name} must hold symmetric matrices; matrix {bad} is not")
    eig = torch.linalg.eigvalsh(0.5 * (y + y.transpose(-2, -1)))
    if bool((eig[..., 0] <= 0).any()):
        bad = int((eig[..., 0] <= 0).nonzero()[0])
        raise ConfigError(
            f"{owner}: {name} must hold positive-definite matrices; matrix {bad} has smallest "
            f"eigenvalue {float(eig[bad, 0]):.3g}"
        )


class SPDAffineInvariant(MetricSpace):
    """Affine-invariant distance ``‖log(A^{-1/2} B A^{-1/2})‖_F`` of SPD matrices ``(n, r, r)``.

    Invariant under congruence: ``d(G A Gᵀ, G B Gᵀ) = d(A, B)`` for any invertible ``G``.
    Computed from the eigenvalues of ``L⁻¹ B L⁻ᵀ`` (``A = L Lᵀ``), in row chunks of
    ``chunk`` objects to bound memory.

    Args:
        tol: relative asymmetry allowed in an input matrix.
        chunk: objects of ``a`` per batched eigen-decomposition.
    """

    name = "spd_affine"
    ranks = (3,)

    def __init__(self, tol: float = 1e-6, chunk: int = 256) -> None:
        self.tol = float(tol)
        self.chunk = check_int("chunk", chunk)

    def _check(self, y: Tensor, name: str) -> None:
        _check_spd(y, name, type(self).__name__, self.tol)

    def _pairwise(self, a: Tensor, b: Tensor) -> Tensor:
        a = 0.5 * (a + a.transpose(-2, -1))
        b = 0.5 * (b + b.transpose(-2, -1))
        chol = torch.linalg.cholesky(a)  # (n, r, r)
        rows = []
        eye = torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
        for start in range(0, len(a), self.chunk):
            linv = torch.linalg.solve_triangular(chol[start : start + self.chunk], eye, upper=False)
            c = linv[:, None] @ b[None] @ linv[:, None].transpose(-2, -1)  # (c, m, r, r)
            lam = torch.linalg.eigvalsh(0.5 * (c + c.transpose(-2, -1))).clamp_min(1e-300)
            rows.append(lam.log().square().sum(-1).sqrt())
        return torch.cat(rows)


def spd_log(y: Tensor) -> Tensor:
    """Matrix logarithm of symmetric positive-definite matrices ``(n, r, r)`` (or one ``(r, r)``).

    Raises:
        ConfigError: a matrix that is not symmetric positive-definite (names ``y``).
    """
    check_tensor("y", y, ndim=(2, 3), nonempty=True, owner="spd_log")
    _check_spd(y if y.dim() == 3 else y[None], "y", "spd_log", 1e-6)
    lam, vec = torch.linalg.eigh(0.5 * (y + y.transpose(-2, -1)))
    return (vec * lam.log()[..., None, :]) @ vec.transpose(-2, -1)


class SPDLogEuclidean(MetricSpace):
    """Log-Euclidean distance ``‖log A - log B‖_F`` of SPD matrices ``(n, r, r)``.

    Args:
        tol: relative asymmetry allowed in an input matrix.
    """

    name = "spd_log_euclidean"
    ranks = (3,)

    def __init__(self, tol: float = 1e-6) -> None:
        self.tol = float(tol)

    def _check(self, y: Tensor, name: str) -> None:
        _check_spd(y, name, type(self).__name__, self.tol)

    def _pairwise(self, a: Tensor, b: Tensor) -> Tensor:
        la = spd_log(a).reshape(len(a), -1)
        lb = spd_log(b).reshape(len(b), -1)
        return torch.cdist(la, lb)


class SphereGeodesic(MetricSpace):
    """Great-circle distance ``arccos⟨a, b⟩`` of unit vectors ``(n, q)``.

    Args:
        tol: allowed deviation of ``‖y_i‖`` from 1.
    """

    name = "sphere"

    def __init__(self, tol: float = 1e-5) -> None:
        self.tol = float(tol)

    def _check(self, y: Tensor, name: str) -> None:
        dev = (y.norm(dim=1) - 1).abs()
        if bool((dev > self.tol).any()):
            bad = int((dev > self.tol).nonzero()[0])
            raise ConfigError(
                f"SphereGeodesic: {name} must hold unit vectors; row {bad} has norm "
                f"{float(y[bad].norm()):.6g}"
            )

    def _pairwise(self, a: Tensor, b: Tensor) -> Tensor:
        a = a / a.norm(dim=1, keepdim=True)
        b = b / b.norm(dim=1, keepdim=True)
        # atan2 of |a×b| and a·b is accurate near 0 and π, where arccos of a clamp is not
        dot = a @ b.T
        cross = (a.square().sum(1)[:, None] * b.square().sum(1)[None] - dot.square()).clamp_min(0)
        return torch.atan2(cross.sqrt(), dot)


METRICS: dict[str, type[MetricSpace]] = {
    cls.name: cls
    for cls in (Euclidean, Wasserstein2, SPDAffineInvariant, SPDLogEuclidean, SphereGeodesic)
}


def get_metric(metric: str | MetricSpace) -> MetricSpace:
    """Return ``metric`` if it is a :class:`MetricSpace`, else the one named so (default options).

    Raises:
        UnknownNameError: an unknown name (lists the valid ones).
        TypeError: neither a string nor a metric.
    """
    if isinstance(metric, MetricSpace):
        return metric
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a name or a MetricSpace; got {type(metric).__name__}")
    if metric not in METRICS:
        raise UnknownNameError("metric", metric, sorted(METRICS))
    return METRICS[metric]()
