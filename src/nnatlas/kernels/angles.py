"""Well-conditioned angles between Gaussian coordinates and between inputs.

The arc-cosine kernels (ReLU, leaky ReLU, sign, the surrogate-gradient kernels and the duals of
wide-and-deep networks) are functions of the angle ``theta = arccos(rho)`` of a correlation
``rho = k12 / sqrt(k11 k22)``. Near ``rho = +-1`` ``arccos`` has an infinite slope: a cosine
that rounds to ``1 - 1e-16`` on a diagonal gives ``theta ~ 1.5e-8`` instead of 0, an error that
reaches the NTK through its ``(pi - theta)`` terms. Every kernel of the family therefore takes
its angles from this module:

* :func:`covariance_angle` gives ``(sqrt(det), theta)`` of a 2x2 covariance with the
  determinant formed as ``(s - k12)(s + k12)``, ``s = sqrt(k11 k22)``: each factor is computed
  with one rounding, so the small one keeps its relative accuracy (the naive
  ``k11 k22 - k12**2`` cancels catastrophically), and ``k12 == +-s`` gives exactly
  ``theta = 0`` / ``pi`` with ``det = 0``. When ``k11 k22`` is a perfect square in floating
  point (equal variances, unit-variance correlations) the angle of the given numbers is exact
  to a few ulps everywhere, in particular for ``rho = 1 - 1e-12``.
* :func:`input_covariance` and :func:`cosine_matrix` build the first covariance from inputs.
  A matrix product rounds ``<x, x'>`` independently of the row norms, so duplicated inputs or
  ``x`` and ``c x`` get ``k12 != sqrt(k11 k22)`` by an ulp; for nearly parallel pairs the
  angle is recomputed from unit vectors as ``2 atan2(|u - v|, |u + v|)`` (Kahan's formula, well
  conditioned at every angle), so parallel and antiparallel pairs (the diagonal, duplicated
  rows, ``x`` and ``-x``, ``x`` and ``2 x``) come out exactly at ``theta = 0`` and ``pi``.
* :func:`safe_sqrt`: ``sqrt(max(x, 0))`` with a zero (not infinite) gradient at 0.

What cannot be recovered: once a covariance has been through a layer with rounding, a pair
that is exactly parallel in real arithmetic but has ``k11 != k22`` may be an ulp away from
``k12 = sqrt(k11 k22)``, which is an angle of ~1e-8 -- intrinsic to representing a kernel by
its rounded entries. Exactly duplicated pairs (``k11 == k22 == k12``) stay exact through every
layer, since each layer applies the same operations to the same numbers.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

__all__ = [
    "NEAR_PARALLEL",
    "CovarianceAngle",
    "cosine_matrix",
    "covariance_angle",
    "input_covariance",
    "row_angles",
    "safe_sqrt",
]

#: ``|cos|`` above which the angle between two inputs is recomputed from unit vectors
#: (``theta < 0.045``; below it the cosine's rounding costs at most ``eps / sin(theta)`` ~ 5e-15).
NEAR_PARALLEL = 0.999

#: Pairs times features handled at once by the near-parallel correction (bounds memory).
_PAIR_BUDGET = 1 << 22


class CovarianceAngle(NamedTuple):
    """The angle of a 2x2 covariance ``[[k11, k12], [k12, k22]]``.

    Attributes:
        root: ``sqrt(k11 k22 - k12**2)`` (0 where the determinant rounds to <= 0).
        theta: ``arccos(k12 / sqrt(k11 k22))`` in ``[0, pi]`` (0 for a zero variance).
    """

    root: Tensor
    theta: Tensor


def safe_sqrt(x: Tensor) -> Tensor:
    """``sqrt(max(x, 0))`` whose gradient is zero (not infinite or NaN) where ``x <= 0``.

    Args:
        x: any floating tensor.

    Returns:
        A tensor of ``x``'s shape.
    """
    if not (x.requires_grad and torch.is_grad_enabled()):
        return x.clamp_min(0.0).sqrt()  # no autograd: the cheap path, no masks
    positive = x > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, x, torch.ones_like(x))), 0.0)


def covariance_angle(k11: Tensor, k22: Tensor, k12: Tensor) -> CovarianceAngle:
    """``(sqrt(det), theta)`` of the covariance ``[[k11, k12], [k12, k22]]``, well conditioned.

    ``det = (s - k12)(s + k12)`` with ``s = sqrt(k11 k22)``, each factor clamped at 0, and
    ``theta = atan2(sqrt(det), k12)`` (no division by the variances, no ``arccos``). Arguments
    broadcast; gradients are finite everywhere (zero for ``sqrt(det)`` where ``det = 0``).

    Args:
        k11: variances of the first coordinate, ``>= 0``.
        k22: variances of the second coordinate, ``>= 0``.
        k12: covariances.

    Returns:
        :class:`CovarianceAngle` of the broadcast shape.

    Example:
        >>> one = torch.ones((), dtype=torch.float64)
        >>> float(covariance_angle(one, one, one).theta), float(covariance_angle(one, one, -one).theta)
        (0.0, 3.141592653589793)
    """
    s = safe_sqrt(k11 * k22)
    det = (s - k12).clamp_min(0.0) * (s + k12).clamp_min(0.0)
    root = safe_sqrt(det)
    return CovarianceAngle(root, torch.atan2(root, k12))


def _unit_rows(x: Tensor) -> Tensor:
    norm = safe_sqrt((x * x).sum(dim=-1, keepdim=True))
    return x / torch.where(norm > 0, norm, torch.ones_like(norm))


def _pair_angles(u: Tensor, v: Tensor) -> Tensor:
    """Kahan's ``2 atan2(|u - v|, |u + v|)`` between rows of unit vectors ``u`` and ``v``."""
    minus = safe_sqrt(((u - v) ** 2).sum(dim=-1))
    plus = safe_sqrt(((u + v) ** 2).sum(dim=-1))
    return 2.0 * torch.atan2(minus, plus)


def row_angles(x1: Tensor, x2: Tensor | None = None) -> Tensor:
    """Angles between all rows of ``x1`` and ``x2`` by Kahan's formula, accurate at any angle.

    ``theta = 2 atan2(|u - v|, |u + v|)`` for the unit vectors ``u, v`` of the rows: exactly 0
    for duplicated rows and for ``x`` and ``2 x`` (any power of two), ``O(1e-16)`` for other
    positive multiples (whose cosine then rounds to exactly 1), exactly ``pi`` for ``x`` and
    ``-x``. Costs ``O(n1 n2 d)`` memory-light work (no matmul);
    :func:`cosine_matrix` uses it only for nearly parallel pairs. A zero row has angle ``pi/2``
    to every nonzero row.

    Args:
        x1: ``(n1, d)`` inputs.
        x2: ``(n2, d)`` inputs; ``None`` means ``x1``.

    Returns:
        ``(n1, n2)`` angles in ``[0, pi]``.
    """
    u = _unit_rows(x1)
    v = u if x2 is None else _unit_rows(x2)
    return _pair_angles(u.unsqueeze(1), v.unsqueeze(0))


def _near_parallel(k12: Tensor, bound: Tensor) -> tuple[Tensor, Tensor]:
    """Indices of the pairs with ``|k12| >= bound > 0`` (``bound = NEAR_PARALLEL sqrt(k11 k22)``)."""
    rows, cols = ((k12.abs() >= bound) & (bound > 0)).nonzero(as_tuple=True)
    return rows, cols


def _corrected_cosines(u: Tensor, v: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    """``cos(theta)`` of the listed pairs of unit rows, from Kahan's angle, in bounded chunks."""
    chunk = max(1, _PAIR_BUDGET // max(u.shape[1], 1))
    parts = [
        torch.cos(_pair_angles(u[rows[i : i + chunk]], v[cols[i : i + chunk]]))
        for i in range(0, rows.numel(), chunk)
    ]
    return torch.cat(parts) if parts else u.new_zeros(0)


def input_covariance(
    x1: Tensor,
    x2: Tensor | None = None,
    *,
    k11: Tensor | None = None,
    k22: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Second moments ``(|x1|^2 / d, |x2|^2 / d, x1 x2^T / d)`` with exact parallel pairs.

    The cross moments come from a matrix product, except for nearly parallel pairs
    (``|cos| >= NEAR_PARALLEL``), where they are ``sqrt(k11 k22) cos(theta)`` with ``theta`` from
    :func:`row_angles`: a parallel pair gets ``k12 = sqrt(k11 k22)`` bitwise (so
    :func:`covariance_angle` returns exactly ``theta = 0``), an antiparallel one its negative.

    Args:
        x1: ``(n1, d)`` floating inputs.
        x2: ``(n2, d)`` inputs; ``None`` means ``x1``.
        k11: ``(n1,)`` precomputed ``|x1|^2 / d`` (e.g. once for all row blocks), so that the
            parallel pairs match the variances the caller uses bitwise.
        k22: ``(n2,)`` precomputed ``|x2|^2 / d``; ignored when ``x2`` is ``None``.

    Returns:
        ``k11: (n1,)``, ``k22: (n2,)``, ``k12: (n1, n2)``.
    """
    d = x1.shape[1]
    if k11 is None:
        k11 = (x1 * x1).sum(dim=1) / d
    other = x1 if x2 is None else x2
    if x2 is None:
        k22 = k11
    elif k22 is None:
        k22 = (x2 * x2).sum(dim=1) / d
    k12 = x1 @ other.T / d
    with torch.no_grad():
        bound = torch.outer(NEAR_PARALLEL * k11.sqrt(), k22.sqrt())
        rows, cols = _near_parallel(k12, bound)
    if rows.numel():
        u = _unit_rows(x1)
        v = u if x2 is None else _unit_rows(other)
        # the same product covariance_angle forms, so a parallel pair has k12 == s bitwise
        s = safe_sqrt(k11[rows] * k22[cols])
        k12 = k12.index_put((rows, cols), s * _corrected_cosines(u, v, rows, cols))
    return k11, k22, k12


def cosine_matrix(x1: Tensor, x2: Tensor | None = None) -> Tensor:
    """Cosines between the rows of ``x1`` and ``x2`` in ``[-1, 1]``, exact for parallel pairs.

    Like :func:`input_covariance` for unit vectors: a matrix product, with nearly parallel pairs
    recomputed as ``cos(theta)`` from Kahan's angle, so duplicated rows (and the diagonal when
    ``x2`` is ``None``) give exactly 1 and ``x, -x`` exactly -1.

    Args:
        x1: ``(n1, d)`` inputs (zero rows give cosine 0).
        x2: ``(n2, d)`` inputs; ``None`` means ``x1``.

    Returns:
        ``(n1, n2)`` cosines.
    """
    u = _unit_rows(x1)
    v = u if x2 is None else _unit_rows(x2)
    cos = u @ v.T
    with torch.no_grad():  # zero rows have cosine 0, never near-parallel
        rows, cols = _near_parallel(cos, torch.full((), NEAR_PARALLEL, dtype=cos.dtype))
    if rows.numel():
        cos = cos.index_put((rows, cols), _corrected_cosines(u, v, rows, cols))
    return cos.clamp(-1.0, 1.0)
