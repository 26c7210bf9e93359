"""Tests of the criticality solver, critical initialization and finite-width statistics."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.kernels.analytic import Activation, Dense, serial
from nnatlas.kernels.criticality import (
    critical_init_,
    criticality,
    gaussian_expectation,
    kurtosis_estimate,
    preactivation_statistics,
    susceptibilities,
    variance_recursion,
)
from nnatlas.nn.models import MLP


def test_gaussian_expectation_moments() -> None:
    k = torch.tensor([0.3, 1.0, 7.0], dtype=torch.float64)
    assert torch.allclose(gaussian_expectation(lambda z: z**2, k), k, rtol=1e-12)
    assert torch.allclose(gaussian_expectation(lambda z: z**4, k), 3 * k**2, rtol=1e-12)
    # Even powers of homogeneous kinked functions are exact (the odd part cancels by symmetry).
    assert torch.allclose(gaussian_expectation(lambda z: torch.relu(z) ** 2, k), k / 2, rtol=1e-12)


@pytest.mark.parametrize(
    ("phi", "c_b", "c_w", "cls"),
    [
        ("relu", 0.0, 2.0, "scale-invariant"),
        ("linear", 0.0, 1.0, "scale-invariant"),
        ("tanh", 0.0, 1.0, "K*=0"),
        ("sin", 0.0, 1.0, "K*=0"),
        ("erf", 0.0, math.pi / 4, "K*=0"),
        # The notes' numbers (computed with 200-node Gauss-Hermite, another implementation).
        ("gelu", 0.1729, 1.9831, "nonzero K*"),
        ("swish", 0.5551, 1.9880, "nonzero K*"),
    ],
)
def test_critical_points_table(phi: str, c_b: float, c_w: float, cls: str) -> None:
    point = criticality(phi)
    assert point.exists and point.universality_class == cls
    assert point.c_b == pytest.approx(c_b, abs=1e-3)
    assert point.c_w == pytest.approx(c_w, abs=1e-3)


@pytest.mark.parametrize("phi", ["gelu", "swish"])
def test_nonzero_fixed_point_has_unit_susceptibilities(phi: str) -> None:
    point = criticality(phi)
    assert point.k_star is not None
    k = point.k_star
    fn = torch.nn.functional.gelu if phi == "gelu" else (lambda z: z * torch.sigmoid(z))
    # fixed point: K* = C_b + C_W <sigma^2>_{K*}
    second = float(gaussian_expectation(lambda z: fn(z) ** 2, k))
    assert point.c_b + point.c_w * second == pytest.approx(k, rel=1e-10)
    # chi_par by a finite difference of <sigma^2>_K (independent of the sigma'' route)
    h = 1e-4 * k
    plus = float(gaussian_expectation(lambda z: fn(z) ** 2, k + h))
    minus = float(gaussian_expectation(lambda z: fn(z) ** 2, k - h))
    assert point.c_w * (plus - minus) / (2 * h) == pytest.approx(1.0, abs=1e-6)
    chi_par, chi_perp = susceptibilities(fn, point.c_w, k)
    assert chi_par == pytest.approx(1.0, abs=1e-9) and chi_perp == pytest.approx(1.0, abs=1e-9)
    assert point.alternatives and all(a[0] > k for a in point.alternatives)


def test_leaky_relu_and_no_criticality() -> None:
    s = 0.2
    leaky = criticality(lambda z: torch.nn.functional.leaky_relu(z, s))
    assert leaky.universality_class == "scale-invariant"
    assert leaky.c_w == pytest.approx(2 / (1 + s * s), rel=1e-10)
    for phi in ("sigmoid", "softplus"):
        point = criticality(phi)
        assert not point.exists and point.universality_class == "none"
        assert math.isnan(point.c_w) and "sigma(0)" in point.note


def test_variance_recursion_matches_analytic_nngp_diagonal() -> None:
    point = criticality("gelu")
    sw, sb = math.sqrt(point.c_w), math.sqrt(point.c_b)
    depth = 6
    layers: list = [Dense(sw, sb)]
    for _ in range(depth - 1):
        layers += [Activation(torch.nn.functional.gelu, order=64), Dense(sw, sb)]
    x = torch.full((1, 4), 0.8, dtype=torch.float64)
    nngp, _ = serial(*layers).diagonal(x)
    recursion = variance_recursion("gelu", point.c_w, point.c_b, depth, k0=0.64)
    assert float(recursion[-1]) == pytest.approx(float(nngp[0]), rel=1e-8)
    # At K1 = K*, criticality keeps the variance at K*.
    k0 = (point.k_star - point.c_b) / point.c_w
    flat = variance_recursion("gelu", point.c_w, point.c_b, 30, k0=k0)
    assert torch.allclose(flat, torch.full_like(flat, point.k_star), rtol=1e-8)


def test_kurtosis_estimate_relu_closed_form_and_monte_carlo() -> None:
    width, depth = 32, 6
    estimate = kurtosis_estimate("relu", 2.0, 0.0, depth, width)
    layers = torch.arange(depth, dtype=torch.float64)
    assert torch.allclose(estimate, 15 * layers / width, atol=1e-10)
    stats = preactivation_statistics("relu", 2.0, 0.0, depth, width, num_networks=1500, seed=1)
    # For critical ReLU the conditional variance is a product of independent factors, so the
    # finite-width kurtosis is exactly 3 ((1 + 5/n)^(l-1) - 1).
    exact = 3 * ((1 + 5 / width) ** layers - 1)
    assert torch.allclose(stats.conditional_kurtosis, exact, atol=0.08 + 0.1 * exact.max())
    assert torch.allclose(stats.variance, torch.full((depth,), 2.0, dtype=torch.float64), rtol=0.05)
    assert abs(float(stats.kurtosis[-1]) - float(exact[-1])) < 0.5


def test_critical_init_sets_variances() -> None:
    torch.manual_seed(0)
    model = MLP(400, [400, 400], 400, activation="gelu")
    point = critical_init_(model, "gelu", generator=torch.Generator().manual_seed(1))
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for layer in linears:
        assert layer.weight.std().item() == pytest.approx(
            math.sqrt(point.c_w / layer.in_features), rel=0.02
        )
        assert layer.bias.var().item() == pytest.approx(point.c_b, rel=0.25)
    net = serial(Dense(1.0, 0.5), Activation(torch.tanh), Dense(1.0, 0.5)).module(8, 3)
    tanh_point = critical_init_(net, torch.tanh)
    assert net[0].sigma_w == pytest.approx(math.sqrt(tanh_point.c_w))
    assert net[0].sigma_b == 0.0
    with pytest.raises(ConfigError, match="no critical"):
        critical_init_(model, "sigmoid")
    no_bias = nn.Sequential(nn.Linear(3, 3, bias=False))
    with pytest.raises(ConfigError, match="no bias"):
        critical_init_(no_bias, "gelu", critical=point)


def test_errors_are_clear() -> None:
    with pytest.raises(UnknownNameError, match="activation"):
        criticality("mish-ish")
    with pytest.raises(TypeError, match="phi"):
        criticality(3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="k_range"):
        criticality("gelu", k_range=(1.0, 0.5))
    with pytest.raises(ConfigError, match="c_w"):
        variance_recursion("relu", -1.0, 0.0, 3)
    with pytest.raises(ConfigError, match="variances"):
        gaussian_expectation(torch.tanh, -1.0)
    with pytest.raises(ConfigError, match="depth"):
        kurtosis_estimate("relu", 2.0, 0.0, 0, 10)
