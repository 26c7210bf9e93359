"""Fréchet Cumulative Covariance nets for nonlinear SDR with random-object responses.

Yuan, Wang, Yu, "Fréchet Cumulative Covariance Net for Deep Nonlinear Sufficient Dimension
Reduction with Random Objects" (arXiv 2502.15374), one module per piece:

* :mod:`~nnatlas.probes.fccov.metrics`: :class:`MetricSpace` and its metrics (Euclidean,
  2-Wasserstein via quantile functions, SPD affine-invariant and log-Euclidean, sphere).
* :mod:`~nnatlas.probes.fccov.objective`: the FCCov measure by sorting (``O(n² log n)``), the
  direct ``O(n³)`` reference, the orthogonality regulariser and the FCCov-Net loss.
* :mod:`~nnatlas.probes.fccov.net`: :class:`FCCovNet`, training any feature map.
* :mod:`~nnatlas.probes.fccov.sir`, :mod:`~nnatlas.probes.fccov.gsir`: the linear (SIR and its
  ensemble for metric responses) and kernel (GSIR) baselines.
"""

from nnatlas.probes.fccov.gsir import KernelSDR, kernel_sir
from nnatlas.probes.fccov.metrics import (
    METRICS,
    Euclidean,
    MetricSpace,
    SPDAffineInvariant,
    SPDLogEuclidean,
    SphereGeodesic,
    Wasserstein2,
    get_metric,
    spd_log,
)
from nnatlas.probes.fccov.net import FCCovNet, fccov_cnn, fccov_mlp
from nnatlas.probes.fccov.objective import (
    MetricBalls,
    fccov,
    fccov_direct,
    fccov_loss,
    metric_balls,
    orthogonality_penalty,
)
from nnatlas.probes.fccov.sir import LinearSDR, sliced_inverse_regression

__all__ = [
    "METRICS",
    "Euclidean",
    "FCCovNet",
    "KernelSDR",
    "LinearSDR",
    "MetricBalls",
    "MetricSpace",
    "SPDAffineInvariant",
    "SPDLogEuclidean",
    "SphereGeodesic",
    "Wasserstein2",
    "fccov",
    "fccov_cnn",
    "fccov_direct",
    "fccov_loss",
    "fccov_mlp",
    "get_metric",
    "kernel_sir",
    "metric_balls",
    "orthogonality_penalty",
    "sliced_inverse_regression",
    "spd_log",
]
