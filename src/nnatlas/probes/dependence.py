"""Distance covariance and distance correlation (Székely, Rizzo, Bakirov, 2007).

The evaluation metric of the FCCov paper's simulations (Yuan, Wang, Yu, "Fréchet Cumulative
Covariance Net for Deep Nonlinear Sufficient Dimension Reduction with Random Objects", arXiv
2502.15374): how well a learned predictor ``f̂(X)`` recovers the true sufficient predictor,
invariant to any rotation and scaling of either.

With the double-centred distance matrices ``A_ij = a_ij - ā_i· - ā_·j + ā_··`` of ``x`` and
``B`` of ``y``, the (V-statistic) squared distance covariance is ``dCov²_n = mean(A ∘ B)`` and
the squared distance correlation ``dCor²_n = dCov²_n(x, y) / sqrt(dCov²_n(x, x) dCov²_n(y, y))``
(0 when a variance vanishes). :func:`distance_correlation` returns ``dCor_n`` (the square root),
the same quantity as ``dcor.distance_correlation``; ``unbiased=True`` gives the bias-corrected
U-statistic version of ``dCor²`` (``dcor.u_distance_correlation_sqr``), which may be negative.
Computed in float64 (cancellation in the double centring); ``O(n²)`` memory.
"""

from __future__ import annotations

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_tensor

__all__ = ["distance_correlation", "distance_covariance"]


def _pair(x: object, y: object) -> tuple[Tensor, Tensor]:
    xs = check_tensor("x", x, ndim=(1, 2), nonempty=True)
    ys = check_tensor("y", y, ndim=(1, 2), nonempty=True)
    if xs.shape[0] != ys.shape[0]:
        raise ConfigError(
            f"x and y must have the same number of samples; got {xs.shape[0]} and {ys.shape[0]}"
        )
    xs = xs.reshape(len(xs), -1).double()
    ys = ys.reshape(len(ys), -1).double().to(xs.device)
    return xs, ys


def _centred(z: Tensor, unbiased: bool) -> Tensor:
    a = torch.cdist(z, z)
    n = a.shape[0]
    if not unbiased:
        return a - a.mean(0, keepdim=True) - a.mean(1, keepdim=True) + a.mean()
    if n < 4:
        raise ConfigError(f"the unbiased estimator needs at least 4 samples; got {n}")
    # U-centring (Székely & Rizzo 2014): row sums over n-2, total over (n-1)(n-2), zero diagonal
    row = a.sum(1, keepdim=True)
    u = a - row / (n - 2) - row.T / (n - 2) + a.sum() / ((n - 1) * (n - 2))
    u.fill_diagonal_(0.0)
    return u


def _product(a: Tensor, b: Tensor, unbiased: bool) -> Tensor:
    n = a.shape[0]
    return (a * b).sum() / (n * (n - 3) if unbiased else n * n)


def distance_covariance(x: Tensor, y: Tensor, *, unbiased: bool = False) -> float:
    """Squared distance covariance ``dCov²_n(x, y)``.

    Args:
        x: ``(n,)`` or ``(n, p)`` (further dimensions are flattened).
        y: ``(n,)`` or ``(n, q)``.
        unbiased: the U-statistic (bias-corrected) estimator instead of the V-statistic.

    Returns:
        ``dCov²_n`` as a float (``>= 0`` for the V-statistic).
    """
    xs, ys = _pair(x, y)
    return float(_product(_centred(xs, unbiased), _centred(ys, unbiased), unbiased))


def distance_correlation(x: Tensor, y: Tensor, *, unbiased: bool = False) -> float:
    """Distance correlation: ``dCor_n(x, y)`` in ``[0, 1]``, or ``dCor²`` when ``unbiased``.

    Args:
        x: ``(n,)`` or ``(n, p)`` (further dimensions are flattened).
        y: ``(n,)`` or ``(n, q)``.
        unbiased: return the bias-corrected squared distance correlation (may be negative).

    Returns:
        A float; 0 when either sample has zero distance variance.
    """
    xs, ys = _pair(x, y)
    a, b = _centred(xs, unbiased), _centred(ys, unbiased)
    vxy = _product(a, b, unbiased)
    vxx, vyy = _product(a, a, unbiased), _product(b, b, unbiased)
    denom = vxx * vyy
    if float(denom) <= 0.0:
        return 0.0
    r2 = float(vxy / denom.sqrt())
    return r2 if unbiased else max(r2, 0.0) ** 0.5
