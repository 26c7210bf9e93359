"""Random-object regressions: shapes, determinism, the models' formulas, outliers."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.data.random_objects import distribution_response, spd_response
from nnatlas.probes import SPDAffineInvariant, Wasserstein2


def test_distribution_response() -> None:
    data = distribution_response(300, p=6, levels=50, noise=0.0, seed=3)
    assert data.x.shape == (300, 6) and data.y.shape == (300, 50)
    assert data.predictor.shape == (300, 2) and data.levels is not None
    Wasserstein2().validate(data.y)  # non-decreasing quantile functions
    x = data.x
    mu = torch.sin(x[:, 0]) + x[:, 1] ** 2
    sigma = torch.exp(0.5 * x[:, 2])
    # noise-free: the quantile function's mean over midpoint levels is μ (Φ⁻¹ sums to 0 by
    # symmetry); its spread recovers σ up to the midpoint deficit of ∫Φ⁻¹² (2.6e-2 at m = 50)
    assert torch.allclose(data.y.mean(1), mu, atol=1e-12)
    assert torch.allclose(data.predictor, torch.stack([mu, 0.5 * x[:, 2]], 1))
    z = torch.special.ndtri(data.levels)
    assert torch.allclose((data.y - mu[:, None]) / z, sigma[:, None].expand(-1, 50), rtol=1e-10)
    again = distribution_response(300, p=6, levels=50, noise=0.0, seed=3)
    assert torch.equal(again.y, data.y)
    assert not torch.equal(distribution_response(300, p=6, levels=50, seed=4).x, data.x)


def test_distribution_outliers() -> None:
    data = distribution_response(400, outlier_fraction=0.05, seed=1)
    assert int(data.outlier.sum()) == 20
    mean = data.y.mean(1)
    assert bool((mean[data.outlier].abs() >= 15).all())
    assert not bool(data.outlier[~data.outlier].any())


def test_spd_response() -> None:
    data = spd_response(200, p=5, noise=0.0, seed=2)
    assert data.y.shape == (200, 2, 2)
    SPDAffineInvariant().validate(data.y)
    g1, g2 = data.predictor.T
    # noise-free: the eigenvalues of log Y are ±sqrt(g1² + g2²)
    lam = torch.linalg.eigvalsh(data.y).log()
    r = torch.sqrt(g1**2 + g2**2)
    assert torch.allclose(lam[:, 1], r, atol=1e-10) and torch.allclose(lam[:, 0], -r, atol=1e-10)
    out = spd_response(200, outlier_fraction=0.1, seed=2)
    assert int(out.outlier.sum()) == 20
    SPDAffineInvariant().validate(out.y)


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="outlier_fraction"):
        distribution_response(10, outlier_fraction=1.0)
    with pytest.raises(ConfigError, match="p"):
        spd_response(10, p=3)
    with pytest.raises(TypeError, match="n"):
        distribution_response(10.0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="seed"):
        spd_response(10, seed=-1)
    assert math.isfinite(float(distribution_response(5, levels=1).y.sum()))
