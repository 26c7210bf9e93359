"""Distance correlation against the ``dcor`` package, and its defining properties."""

from __future__ import annotations

import math

import dcor
import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.probes import distance_correlation, distance_covariance

D64 = torch.float64


def _draw(seed: int, n: int, p: int, q: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, p, generator=g, dtype=D64)
    y = torch.sin(x[:, :q]) + x[:, -q:] ** 2 + 0.5 * torch.randn(n, q, generator=g, dtype=D64)
    return x, y


@pytest.mark.parametrize(("n", "p", "q"), [(10, 1, 1), (60, 3, 2), (200, 5, 1)])
def test_matches_dcor(n: int, p: int, q: int) -> None:
    x, y = _draw(n, n, p, q)
    xn, yn = x.numpy(), y.numpy()
    # dcor computes the same float64 sums by another route (its own centring): agreement to
    # rounding, ~1e-12 relative; 1e-9 leaves room for its O(n log n) path on 1-D inputs
    assert distance_correlation(x, y) == pytest.approx(dcor.distance_correlation(xn, yn), rel=1e-9)
    assert distance_covariance(x, y) == pytest.approx(
        dcor.distance_covariance_sqr(xn, yn), rel=1e-9
    )
    assert distance_correlation(x, y, unbiased=True) == pytest.approx(
        dcor.u_distance_correlation_sqr(xn, yn), rel=1e-9, abs=1e-12
    )
    assert distance_covariance(x, y, unbiased=True) == pytest.approx(
        dcor.u_distance_covariance_sqr(xn, yn), rel=1e-9, abs=1e-12
    )


def test_properties() -> None:
    x, y = _draw(1, 80, 3, 2)
    r = distance_correlation(x, y)
    assert 0 < r < 1
    # invariant to translation, rotation and scaling of either argument
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(2), dtype=D64))
    assert distance_correlation(3 * x @ q + 1, y) == pytest.approx(r, rel=1e-10)
    # an exact similarity map gives 1; a constant gives 0
    assert distance_correlation(x, 2 * x + 1) == pytest.approx(1.0, rel=1e-12)
    assert distance_correlation(x, torch.ones(80, 1)) == 0.0
    # float32 inputs are promoted (same value as float64 to float32 rounding, ~1e-6)
    assert distance_correlation(x.float(), y.float()) == pytest.approx(r, rel=1e-5)
    # independent samples: the V-statistic dCor² is biased upwards by O(1/n); ~1/sqrt(n) here
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(400, 1, generator=g), torch.randn(400, 1, generator=g)
    assert distance_correlation(a, b) < 0.15
    assert abs(distance_correlation(a, b, unbiased=True)) < 0.02
    assert math.isfinite(distance_covariance(a[:, 0], b[:, 0]))


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError, match="same number of samples"):
        distance_correlation(torch.randn(5, 2), torch.randn(4, 2))
    with pytest.raises(TypeError, match="x"):
        distance_correlation([1.0, 2.0], torch.randn(2))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="4 samples"):
        distance_correlation(torch.randn(3), torch.randn(3), unbiased=True)
