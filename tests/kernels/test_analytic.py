"""Tests of the analytic NNGP / NTK kernels: closed forms, quadrature, Monte Carlo, invariants."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.kernels.analytic import (
    Activation,
    Dense,
    ElementwiseKernel,
    Erf,
    Identity,
    LeakyReLU,
    ParametrizedLinear,
    ReLU,
    Sign,
    nngp_kernel,
    ntk_kernel,
    serial,
)
from nnatlas.testing import check_module

F64 = torch.float64
# (k11, k22, k12) triples: generic, nearly collinear, anti-correlated, uncorrelated.
A = torch.tensor([1.3, 1.0, 2.0, 0.5], dtype=F64)
B = torch.tensor([0.7, 1.0, 2.0, 3.0], dtype=F64)
C = torch.tensor([0.5, 0.999999, -1.9, 0.0], dtype=F64)


def _gaussian_pairs(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` samples of ``(u, v) ~ N(0, [[1.3, 0.5], [0.5, 0.7]])``."""
    g = torch.Generator().manual_seed(seed)
    chol = torch.linalg.cholesky(torch.tensor([[1.3, 0.5], [0.5, 0.7]], dtype=F64))
    z = torch.randn(n, 2, generator=g, dtype=F64) @ chol.T
    return z[:, 0], z[:, 1]


def _leaky(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.leaky_relu(x, 0.2)


@pytest.mark.parametrize(
    ("kernel", "phi", "dphi"),
    [
        (ReLU(), torch.relu, lambda x: (x > 0).to(x.dtype)),
        (LeakyReLU(0.2), _leaky, lambda x: torch.where(x > 0, 1.0, 0.2).to(x.dtype)),
        (Erf(), torch.erf, lambda x: 2 / math.sqrt(math.pi) * torch.exp(-x * x)),
        (Sign(), torch.sign, None),
        (Identity(), lambda x: x, torch.ones_like),
    ],
)
def test_closed_forms_match_monte_carlo(kernel, phi, dphi) -> None:
    u, v = _gaussian_pairs(1_000_000)
    a, b, c = (torch.tensor(x, dtype=F64) for x in (1.3, 0.7, 0.5))
    mc = (phi(u) * phi(v)).mean()
    assert float(kernel.expectation(a, b, c)) == pytest.approx(float(mc), abs=4e-3)
    if dphi is not None:
        mc_dot = (dphi(u) * dphi(v)).mean()
        assert float(kernel.derivative_expectation(a, b, c)) == pytest.approx(
            float(mc_dot), abs=4e-3
        )


@pytest.mark.parametrize(
    ("kernel", "phi"),
    [(ReLU(), torch.relu), (LeakyReLU(0.2), _leaky), (Sign(), torch.sign), (Identity(), None)],
)
def test_polar_quadrature_is_exact_for_homogeneous_activations(kernel, phi) -> None:
    numeric = Activation(phi if phi is not None else (lambda x: x), order=8)
    assert torch.allclose(numeric.expectation(A, B, C), kernel.expectation(A, B, C), atol=1e-12)
    if not isinstance(kernel, Sign):
        assert torch.allclose(
            numeric.derivative_expectation(A, B, C),
            kernel.derivative_expectation(A, B, C),
            atol=1e-12,
        )


def test_quadrature_relu_at_default_order_within_1e_6() -> None:
    numeric = Activation(torch.relu)
    assert (numeric.expectation(A, B, C) - ReLU().expectation(A, B, C)).abs().max() < 1e-6


def test_quadratures_converge_for_erf_and_hermite_converges_slowly_for_relu() -> None:
    for method in ("polar", "hermite"):
        numeric = Activation(torch.erf, order=96, method=method)
        assert (numeric.expectation(A, B, C) - Erf().expectation(A, B, C)).abs().max() < 1e-6
        err = numeric.derivative_expectation(A, B, C) - Erf().derivative_expectation(A, B, C)
        assert err.abs().max() < 1e-5
    errors = [
        float(
            (
                Activation(torch.relu, order=o, method="hermite").expectation(A, B, C)
                - ReLU().expectation(A, B, C)
            )
            .abs()
            .max()
        )
        for o in (16, 64)
    ]
    assert errors[1] < errors[0] / 2  # first-order convergence at the kink


def test_autograd_derivative_and_explicit_derivative_agree() -> None:
    auto = Activation(torch.tanh, order=40)
    explicit = Activation(torch.tanh, dphi=lambda x: 1 - torch.tanh(x) ** 2, order=40)
    assert torch.allclose(
        auto.derivative_expectation(A, B, C), explicit.derivative_expectation(A, B, C), atol=1e-13
    )


def _inputs(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=F64)


NETWORKS = {
    "relu": serial(Dense(1.5, 0.2), ReLU(), Dense(1.3, 0.1), ReLU(), Dense(1.0, 0.3)),
    "erf": serial(Dense(2.0, 0.5), Erf(), Dense(1.7, 0.1), Erf(), Dense(1.0, 0.0)),
    "tanh": serial(Dense(1.2, 0.1), Activation(torch.tanh, name="tanh"), Dense(1.0, 0.1)),
}


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_kernels_are_symmetric_psd_with_consistent_diagonal(name: str) -> None:
    net = NETWORKS[name]
    x = _inputs(12, 5, 1)
    k = net(x)
    assert k.ntk is not None
    for mat in (k.nngp, k.ntk):
        assert mat.dtype == F64 and mat.shape == (12, 12)
        assert torch.allclose(mat, mat.T, atol=1e-12)
        assert torch.linalg.eigvalsh(mat).min() > -1e-10 * mat.diagonal().max()
    nngp_diag, ntk_diag = net.diagonal(x)
    assert torch.allclose(nngp_diag, k.nngp.diagonal(), atol=1e-10)
    assert torch.allclose(ntk_diag, k.ntk.diagonal(), atol=1e-10)


def test_blocks_and_cross_kernels_match_full_computation() -> None:
    net = NETWORKS["relu"]
    x = _inputs(10, 4, 2)
    full = net(x)
    blocked = net(x, block_size=3)
    assert torch.allclose(full.nngp, blocked.nngp, atol=1e-14)
    assert torch.allclose(full.ntk, blocked.ntk, atol=1e-14)
    cross = net(x[:4], x[4:])
    assert cross.nngp.shape == (4, 6)
    assert torch.allclose(cross.nngp, full.nngp[:4, 4:], atol=1e-13)
    assert torch.allclose(cross.ntk, full.ntk[:4, 4:], atol=1e-13)
    only = net(x, get="nngp")
    assert only.ntk is None and torch.allclose(only.nngp, full.nngp)
    assert torch.allclose(nngp_kernel(net, x), full.nngp)
    assert torch.allclose(ntk_kernel(net, x), full.ntk)


def test_relu_depth_recursion_closed_form() -> None:
    # With C_W = 2 and no bias, ReLU keeps the diagonal NNGP fixed, and the NTK diagonal of a
    # network with L Dense layers is L times it (each layer adds Sigma, the dot term is 1/2).
    depth = 7
    layers: list = []
    for _ in range(depth - 1):
        layers += [Dense(math.sqrt(2.0)), ReLU()]
    net = serial(*layers, Dense(math.sqrt(2.0)))
    x = _inputs(5, 3, 3)
    nngp, ntk = net.diagonal(x)
    base = 2.0 * (x * x).sum(1) / 3
    assert torch.allclose(nngp, base, rtol=1e-12)
    assert torch.allclose(ntk, depth * base, rtol=1e-12)


def test_standard_parametrization_nngp_equal_and_ntk_closed_form() -> None:
    x = _inputs(6, 3, 4)
    sw, sb, width = 1.3, 0.4, 50
    ntk_net = serial(Dense(sw, sb), ReLU(), Dense(sw, sb))
    std_net = serial(Dense(sw, sb, "standard", width=width), ReLU(), Dense(sw, sb, "standard"))
    k_ntk, k_std = ntk_net(x), std_net(x)
    assert torch.allclose(k_ntk.nngp, k_std.nngp, atol=1e-14)
    # Hand-derived: Theta_std = n E[phi phi] + 1 + C_W E[phi' phi'] (x.x' + 1).
    d = x.shape[1]
    k1 = sw**2 * x @ x.T / d + sb**2
    diag = k1.diagonal()
    relu = ReLU()
    e = relu.expectation(diag[:, None], diag[None, :], k1)
    ed = relu.derivative_expectation(diag[:, None], diag[None, :], k1)
    expected = width * e + 1.0 + sw**2 * ed * (x @ x.T + 1.0)
    assert torch.allclose(k_std.ntk, expected, rtol=1e-12)
    assert torch.allclose(k_ntk.ntk, sw**2 * e + sb**2 + sw**2 * ed * k1, rtol=1e-12)


def test_hyperparameters_may_be_differentiable_tensors() -> None:
    sw = torch.tensor(1.4, dtype=F64, requires_grad=True)
    sb = torch.tensor(0.3, dtype=F64, requires_grad=True)
    net = serial(Dense(sw, sb), ReLU(), Dense(sw, sb), Activation(torch.tanh), Dense(sw, sb))
    x = _inputs(6, 3, 5)
    k = net(x)
    loss = k.nngp.sum() + k.ntk.sum()
    gw, gb = torch.autograd.grad(loss, (sw, sb))
    assert torch.isfinite(gw) and torch.isfinite(gb)
    eps = 1e-6
    plus = serial(
        Dense(1.4 + eps, 0.3),
        ReLU(),
        Dense(1.4 + eps, 0.3),
        Activation(torch.tanh),
        Dense(1.4 + eps, 0.3),
    )(x)
    minus = serial(
        Dense(1.4 - eps, 0.3),
        ReLU(),
        Dense(1.4 - eps, 0.3),
        Activation(torch.tanh),
        Dense(1.4 - eps, 0.3),
    )(x)
    fd = ((plus.nngp.sum() + plus.ntk.sum()) - (minus.nngp.sum() + minus.ntk.sum())) / (2 * eps)
    assert float(gw) == pytest.approx(float(fd), rel=1e-5)


@pytest.mark.parametrize("name", ["relu", "erf"])
def test_nngp_matches_monte_carlo_of_wide_networks(name: str) -> None:
    net = NETWORKS[name]
    x = _inputs(6, 4, 6)
    analytic = net(x, get="nngp").nngp
    g = torch.Generator().manual_seed(7)
    outs = []
    for _ in range(40):
        model = net.module(512, 4, 250, generator=g, dtype=F64)
        with torch.no_grad():
            outs.append(model(x))  # (6, 250) per network
    samples = torch.cat(outs, dim=1)  # (6, 10_000)
    empirical = samples @ samples.T / samples.shape[1]
    scale = analytic.diagonal().max()
    assert (empirical - analytic).abs().max() / scale < 0.05


def test_module_structure_and_conformance() -> None:
    net = serial(Dense(1.4, 0.1), ReLU(), Dense(1.4, 0.0))
    model = net.module(8, 3, 2)
    assert isinstance(model[0], ParametrizedLinear) and model[0].bias is not None
    assert model[2].bias is None and model(torch.randn(5, 3)).shape == (5, 2)
    for param in ("ntk", "standard"):
        check_module(
            lambda dtype, p=param: ParametrizedLinear(5, 3, 1.2, 0.3, p, dtype=dtype),
            lambda dtype: (torch.randn(4, 5, dtype=dtype),),
            name=f"ParametrizedLinear[{param}]",
        )
    check_module(
        lambda dtype: net.module(8, 3, 2, dtype=dtype),
        lambda dtype: (torch.randn(4, 3, dtype=dtype),),
        name="KernelNetwork.module",
    )


def test_same_generator_seed_same_module() -> None:
    net = NETWORKS["erf"]
    x = _inputs(3, 4, 8)
    m1 = net.module(16, 4, generator=torch.Generator().manual_seed(3), dtype=F64)
    m2 = net.module(16, 4, generator=torch.Generator().manual_seed(3), dtype=F64)
    assert torch.equal(m1(x), m2(x))


def test_errors_are_clear() -> None:
    x = _inputs(4, 3, 9)
    with pytest.raises(ValueError, match="ill-posed"):
        serial(Dense(), Sign(), Dense())(x)
    assert serial(Dense(), Sign(), Dense())(x, get="nngp").ntk is None
    with pytest.raises(TypeError, match="layer 1"):
        serial(Dense(), torch.relu, Dense())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="width"):
        serial(Dense(parametrization="standard"), ReLU(), Dense(parametrization="standard"))(x)
    with pytest.raises(ConfigError, match="sigma_w"):
        Dense(sigma_w=-1.0)
    with pytest.raises(ConfigError, match="parametrization"):
        Dense(parametrization="mup")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same number of features"):
        serial(Dense())(x, _inputs(2, 4, 0))
    with pytest.raises(ValueError, match="shape"):
        serial(Dense())(torch.zeros(3))
    with pytest.raises(ConfigError, match="get"):
        serial(Dense())(x, get="ntk")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="ends with a Dense"):
        serial(Dense(), ReLU()).module(4, 3)
    with pytest.raises(ConfigError, match="method"):
        Activation(torch.tanh, method="simpson")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="phi"):
        Activation(3.0)  # type: ignore[arg-type]


def test_custom_subclass_changes_the_dot_term() -> None:
    class HalfDot(ReLU):
        def derivative_expectation(self, k11, k22, k12):
            return 0.5 * super().derivative_expectation(k11, k22, k12)

    assert issubclass(HalfDot, ElementwiseKernel)
    x = _inputs(4, 3, 10)
    base = serial(Dense(1.0), ReLU(), Dense(1.0))(x)
    half = serial(Dense(1.0), HalfDot(), Dense(1.0))(x)
    assert torch.allclose(base.nngp, half.nngp)
    assert torch.allclose(half.ntk - half.nngp, 0.5 * (base.ntk - base.nngp))
