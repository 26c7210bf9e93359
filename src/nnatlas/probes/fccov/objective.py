"""The Fréchet cumulative covariance (FCCov) of features and metric-space responses.

Yuan, Wang, Yu, "Fréchet Cumulative Covariance Net for Deep Nonlinear Sufficient Dimension
Reduction with Random Objects" (arXiv 2502.15374). Cumulative slicing replaces SIR's slices by
the indicators ``1{Y ≤ y}``; for a response in a metric space ``(Ω, d)`` the half-lines become
metric balls ``B(Y', d(Y', Y''))`` centred at an independent copy ``Y'`` with the radius set by a
second copy ``Y''``:

    FCCov(f(X), Y) = E_{Y', Y''} ‖Cov(f(X), 1{d(Y', Y) ≤ d(Y', Y'')})‖²,

and the sample version, over all centres ``j`` and radii ``k``,

    FCCov_n = n⁻² Σ_{j,k} ‖ n⁻¹ Σ_i (f_i - f̄) 1{d(Y_j, Y_i) ≤ d(Y_j, Y_k)} ‖².

For a fixed centre ``j`` the balls are nested: sorting the distances from ``Y_j`` once makes
each ball a prefix of the sorted order, so its covariance is a prefix sum of the centred
features, and the sum over radii ``k`` is a sum over ball sizes weighted by how many radii give
each size. :func:`fccov` costs ``O(n² log n + n² k)`` this way (and is differentiable in the
features); :func:`fccov_direct` is the ``O(n³ k)`` triple sum, kept as the reference for tests.
The estimator (:func:`fccov_loss`) minimises ``-FCCov_n(f) + λ ‖Cov_n(f) - I_k‖_F²``, the
squared-Frobenius orthogonality regulariser under which the paper proves unbiasedness at the
σ-field level.

Checked against the paper: the abstract's statements (a dependence measure built on cumulative
covariance for metric-space responses, ``O(n² log n)`` computation, squared-Frobenius
regularisation, FNN/CNN estimators). Our reconstruction, not checked against the paper's
equations (we could read only its abstract and introduction): the exact form of the indicator
(closed ball centred at ``Y'`` with radius ``d(Y', Y'')``), the ``1/n`` normalisations, and the
unit weight on every ``(j, k)`` pair (ties and ``k = j`` included).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_real, check_tensor

__all__ = [
    "MetricBalls",
    "fccov",
    "fccov_direct",
    "fccov_loss",
    "metric_balls",
    "orthogonality_penalty",
]


class MetricBalls(NamedTuple):
    """The nested metric balls of a sample, precomputed once per distance matrix.

    Attributes:
        order: ``(n, n)`` long; ``order[j]`` sorts the sample by distance from ``Y_j``.
        counts: ``(n, n)`` long; ``counts[j, k] = #{i : d(Y_j, Y_i) ≤ d(Y_j, Y_k)}``, the size
            of the ball centred at ``Y_j`` with radius ``d(Y_j, Y_k)`` (a prefix of ``order[j]``).
        weights: ``(n, n)``; ``weights[j, r - 1] = #{k : counts[j, k] = r}``, how many radii give
            the ball of the ``r`` nearest objects to ``Y_j``.
    """

    order: Tensor
    counts: Tensor
    weights: Tensor


def _check_distances(distances: object) -> Tensor:
    d = check_tensor("distances", distances, ndim=2, nonempty=True)
    if d.shape[0] != d.shape[1]:
        raise ConfigError(f"distances must be a square (n, n) matrix; got {tuple(d.shape)}")
    if bool((d < 0).any()):
        raise ConfigError("distances must be non-negative")
    return d


def metric_balls(distances: Tensor) -> MetricBalls:
    """Sort the distances from every centre: ``O(n² log n)``.

    Args:
        distances: ``(n, n)`` pairwise response distances ``d(Y_j, Y_i)`` (row ``j`` = centre).

    Returns:
        The :class:`MetricBalls` of the sample.
    """
    d = _check_distances(distances).detach()
    ordered, order = d.sort(dim=1)
    counts = torch.searchsorted(ordered.contiguous(), d.contiguous(), right=True)
    n = d.shape[0]
    weights = torch.zeros(n, n + 1, dtype=d.dtype, device=d.device)
    weights.scatter_add_(1, counts, torch.ones_like(d))
    return MetricBalls(order, counts, weights[:, 1:].contiguous())


def _check_features(features: object, n: int) -> Tensor:
    f = check_tensor("features", features, ndim=(1, 2), nonempty=True)
    if f.dim() == 1:
        f = f[:, None]
    if f.shape[0] != n:
        raise ConfigError(
            f"features and distances must describe the same n samples; got {f.shape[0]} "
            f"feature rows and {n} responses"
        )
    return f


def fccov(features: Tensor, distances: Tensor | MetricBalls) -> Tensor:
    """Sample FCCov by sorting: ``O(n² log n + n² k)`` time, ``O(n² k)`` memory.

    Args:
        features: ``(n, k)`` (or ``(n,)``) features ``f(X_i)``; gradients flow through them.
        distances: ``(n, n)`` response distances, or their precomputed :func:`metric_balls`.

    Returns:
        A 0-d tensor ``FCCov_n(f, Y) >= 0``.
    """
    balls = distances if isinstance(distances, MetricBalls) else metric_balls(distances)
    n = balls.order.shape[0]
    f = _check_features(features, n)
    fc = f - f.mean(dim=0)
    # prefix[j, r - 1] = n × the covariance of f with the ball of the r nearest objects to Y_j;
    # the sum over radii k of one centre is a sum over ball sizes r weighted by multiplicity
    prefix = fc.index_select(0, balls.order.reshape(-1)).reshape(n, n, -1).cumsum(dim=1)
    weights = balls.weights.to(dtype=f.dtype, device=f.device)
    return (prefix.square().sum(-1) * weights).sum() / n**4


def fccov_direct(features: Tensor, distances: Tensor) -> Tensor:
    """Sample FCCov by the triple sum over ``(i, j, k)``: ``O(n³ k)``; the reference for tests.

    Args:
        features: ``(n, k)`` (or ``(n,)``) features.
        distances: ``(n, n)`` response distances (row ``j`` = centre).

    Returns:
        A 0-d tensor, equal to :func:`fccov` up to rounding.
    """
    d = _check_distances(distances)
    n = d.shape[0]
    f = _check_features(features, n)
    fc = f - f.mean(dim=0)
    inside = (d[:, None, :] <= d[:, :, None]).to(f.dtype)  # [j, k, i]
    cov = torch.einsum("jki,if->jkf", inside, fc) / n
    return cov.square().sum() / n**2


def orthogonality_penalty(features: Tensor) -> Tensor:
    """``‖Cov_n(f) - I_k‖_F²`` with the ``1/n`` sample covariance.

    Args:
        features: ``(n, k)`` features, ``n >= 2``.

    Returns:
        A 0-d tensor.
    """
    f = check_tensor("features", features, ndim=2, nonempty=True)
    if f.shape[0] < 2:
        raise ConfigError(f"features must have at least 2 rows; got {f.shape[0]}")
    fc = f - f.mean(dim=0)
    cov = fc.T @ fc / f.shape[0]
    eye = torch.eye(f.shape[1], dtype=f.dtype, device=f.device)
    return (cov - eye).square().sum()


def fccov_loss(features: Tensor, distances: Tensor | MetricBalls, lam: float = 1.0) -> Tensor:
    """The FCCov-Net objective to minimise: ``-FCCov_n(f, Y) + lam ‖Cov_n(f) - I‖_F²``.

    Args:
        features: ``(n, k)`` network outputs.
        distances: ``(n, n)`` response distances or their :func:`metric_balls`.
        lam: weight ``λ > 0`` of the orthogonality regulariser.

    Returns:
        A 0-d tensor.
    """
    lam = check_real("lam", lam, low=0.0, low_open=True)
    f = check_tensor("features", features, ndim=2, nonempty=True)
    return -fccov(f, distances) + lam * orthogonality_penalty(f)
