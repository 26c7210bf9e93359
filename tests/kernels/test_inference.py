"""Tests of NNGP posterior and NTK gradient-flow predictions against direct computations."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.kernels.analytic import Dense, Erf, ReLU, serial
from nnatlas.kernels.empirical import empirical_ntk
from nnatlas.kernels.inference import gp_posterior, gradient_flow_mse, ntk_ensemble_covariance

F64 = torch.float64


@pytest.fixture(scope="module")
def problem() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(10, 3, generator=g, dtype=F64)
    xt = torch.randn(4, 3, generator=g, dtype=F64)
    y = torch.sin(x.sum(1, keepdim=True)) + 0.1 * torch.randn(10, 2, generator=g, dtype=F64)
    net = serial(Dense(1.5, 0.3), ReLU(), Dense(1.2, 0.2), Erf(), Dense(1.0, 0.1))
    k = net(x)
    kx = net(xt, x)
    kt = net(xt)
    return {
        "x": x, "xt": xt, "y": y,
        "nngp": k.nngp, "ntk": k.ntk, "nngp_x": kx.nngp, "ntk_x": kx.ntk,
        "nngp_t": kt.nngp,
    }  # fmt: skip


def test_gp_posterior_matches_explicit_formula(problem) -> None:
    k, kx, kt, y = problem["nngp"], problem["nngp_x"], problem["nngp_t"], problem["y"]
    noise = 0.05
    inv = torch.linalg.inv(k + noise * torch.eye(10, dtype=F64))
    post = gp_posterior(k, kx, y, kt, noise=noise, jitter=0.0)
    assert torch.allclose(post.mean, kx @ inv @ y, atol=1e-10)
    assert torch.allclose(post.covariance, kt - kx @ inv @ kx.T, atol=1e-10)
    var = gp_posterior(k, kx, y[:, 0], kt.diagonal(), noise=noise, jitter=0.0)
    assert var.mean.shape == (4,)
    assert torch.allclose(var.covariance, post.covariance.diagonal(), atol=1e-12)
    assert gp_posterior(k, kx, y, noise=noise).covariance is None
    # Noise-free posterior at the training inputs interpolates and has zero variance.
    at_train = gp_posterior(k, k, y, k, jitter=1e-12)
    assert torch.allclose(at_train.mean, y, atol=1e-5)
    assert at_train.covariance.abs().max() < 1e-5


def test_gradient_flow_limits_and_shapes(problem) -> None:
    ntk, ntk_x, y = problem["ntk"], problem["ntk_x"], problem["y"]
    times = [0.0, 0.5, 3.0, math.inf]
    out = gradient_flow_mse(ntk, ntk_x, y, times, learning_rate=0.7)
    assert out.shape == (4, 4, 2)
    assert out[0].abs().max() == 0.0  # the ensemble mean starts at zero
    regression = ntk_x @ torch.linalg.solve(ntk, y)
    assert torch.allclose(out[-1], regression, atol=1e-8)
    f0_tr = torch.randn(10, 2, dtype=F64, generator=torch.Generator().manual_seed(1))
    f0_te = torch.randn(4, 2, dtype=F64, generator=torch.Generator().manual_seed(2))
    per_net = gradient_flow_mse(ntk, ntk_x, y, times, f0_train=f0_tr, f0_test=f0_te)
    assert torch.equal(per_net[0], f0_te)  # t = 0 is exactly the initialization
    expected_inf = f0_te + ntk_x @ torch.linalg.solve(ntk, y - f0_tr)
    assert torch.allclose(per_net[-1], expected_inf, atol=1e-8)
    train_inf = gradient_flow_mse(ntk, ntk, y, math.inf, f0_train=f0_tr, f0_test=f0_tr)
    assert torch.allclose(train_inf, y, atol=1e-8)  # interpolation
    single = gradient_flow_mse(ntk, ntk_x, y[:, 0], 3.0, learning_rate=0.7)
    assert single.shape == (4,) and torch.allclose(single, out[2, :, 0], atol=1e-12)


def test_gradient_flow_matches_matrix_exponential_and_ode(problem) -> None:
    ntk, ntk_x, y = problem["ntk"], problem["ntk_x"], problem["y"]
    eta, t = 0.3, 2.0
    expm = torch.linalg.matrix_exp(-eta * t * ntk)
    closed = ntk_x @ torch.linalg.solve(ntk, (torch.eye(10, dtype=F64) - expm) @ y)
    assert torch.allclose(gradient_flow_mse(ntk, ntk_x, y, t, learning_rate=eta), closed, atol=1e-9)
    # Euler integration of df/dt = -eta Theta (f - y) on train and test points together.
    f_tr = torch.zeros_like(y)
    f_te = torch.zeros(4, 2, dtype=F64)
    dt = 1e-4
    for _ in range(int(t / dt)):
        r = f_tr - y
        f_tr, f_te = f_tr - dt * eta * ntk @ r, f_te - dt * eta * ntk_x @ r
    assert torch.allclose(gradient_flow_mse(ntk, ntk_x, y, t, learning_rate=eta), f_te, atol=2e-3)


def test_nonsymmetric_kernel_uses_general_eigendecomposition(problem) -> None:
    ntk, ntk_x, y = problem["ntk"], problem["ntk_x"], problem["y"]
    skew = 0.05 * torch.randn(10, 10, dtype=F64, generator=torch.Generator().manual_seed(3))
    theta = ntk + skew - skew.T  # eigenvalues keep a positive real part
    t, eta = 1.5, 0.4
    expm = torch.linalg.matrix_exp(-eta * t * theta)
    closed = ntk_x @ torch.linalg.solve(theta, (torch.eye(10, dtype=F64) - expm) @ y)
    out = gradient_flow_mse(theta, ntk_x, y, t, learning_rate=eta)
    assert out.dtype == F64 and torch.allclose(out, closed, atol=1e-9)


def test_discrete_descent_equals_exact_gd_on_a_linear_model() -> None:
    # For a linear model, gradient descent on 0.5 * ||f(X) - Y||^2 is exactly the NTK dynamics.
    g = torch.Generator().manual_seed(4)
    x = torch.randn(8, 5, generator=g, dtype=F64)
    xt = torch.randn(3, 5, generator=g, dtype=F64)
    y = torch.randn(8, 1, generator=g, dtype=F64)
    model = nn.Linear(5, 1).double()
    ntk = empirical_ntk(model, x, mode="trace")
    ntk_x = empirical_ntk(model, xt, x, mode="trace")
    with torch.no_grad():
        f0_tr, f0_te = model(x), model(xt)
    lr = 0.9 / float(torch.linalg.eigvalsh(ntk).max())
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    steps = [0, 5, 40]
    recorded = {}
    for step in range(max(steps) + 1):
        if step in steps:
            with torch.no_grad():
                recorded[step] = model(xt).clone()
        opt.zero_grad()
        (0.5 * ((model(x) - y) ** 2).sum()).backward()
        opt.step()
    pred = gradient_flow_mse(
        ntk, ntk_x, y, steps, learning_rate=lr, f0_train=f0_tr, f0_test=f0_te, discrete=True
    )
    for i, step in enumerate(steps):
        assert torch.allclose(pred[i], recorded[step], atol=1e-10)


def test_wide_network_follows_its_linearization() -> None:
    net = serial(Dense(1.4, 0.1), ReLU(), Dense(1.4, 0.1))
    g = torch.Generator().manual_seed(5)
    x = torch.randn(6, 2, generator=g, dtype=F64)
    xt = torch.randn(3, 2, generator=g, dtype=F64)
    y = torch.randn(6, 1, generator=g, dtype=F64)
    model = net.module(4096, 2, generator=g, dtype=F64)
    ntk = empirical_ntk(model, x, mode="trace", implementation="ntk_vector_products")
    ntk_x = empirical_ntk(model, xt, x, mode="trace", implementation="ntk_vector_products")
    with torch.no_grad():
        f0_tr, f0_te = model(x), model(xt)
    lr = 0.5 / float(torch.linalg.eigvalsh(ntk).max())
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(100):
        opt.zero_grad()
        (0.5 * ((model(x) - y) ** 2).sum()).backward()
        opt.step()
    pred = gradient_flow_mse(
        ntk, ntk_x, y, 100, learning_rate=lr, f0_train=f0_tr, f0_test=f0_te, discrete=True
    )
    with torch.no_grad():
        actual = model(xt)
    moved = (actual - f0_te).norm()
    assert float((pred - actual).norm() / moved) < 0.05


def test_ensemble_covariance_limits(problem) -> None:
    ntk, ntk_x = problem["ntk"], problem["ntk_x"]
    k, kx, kt = problem["nngp"], problem["nngp_x"], problem["nngp_t"]
    cov = ntk_ensemble_covariance(ntk, ntk_x, k, kx, kt, [0.0, 1.0, math.inf])
    assert cov.shape == (3, 4, 4)
    assert torch.allclose(cov[0], kt, atol=1e-12)
    tr = ntk_x @ torch.linalg.inv(ntk)
    expected = kt - tr @ kx.T - kx @ tr.T + tr @ k @ tr.T
    assert torch.allclose(cov[2], expected, atol=1e-8)
    for c in cov:
        assert torch.allclose(c, c.T, atol=1e-10)
        assert torch.linalg.eigvalsh(c).min() > -1e-8
    # Monte Carlo over initializations f0 ~ GP(0, NNGP) of the per-network predictor.
    joint = torch.cat([torch.cat([k, kx.T], 1), torch.cat([kx, kt], 1)])
    chol = torch.linalg.cholesky(joint + 1e-10 * torch.eye(14, dtype=F64))
    draws = chol @ torch.randn(14, 4000, dtype=F64, generator=torch.Generator().manual_seed(6))
    preds = gradient_flow_mse(
        ntk, ntk_x, torch.zeros(10, 4000, dtype=F64), 1.0, f0_train=draws[:10], f0_test=draws[10:]
    )
    mc = preds @ preds.T / 4000
    assert float((mc - cov[1]).norm() / cov[1].norm()) < 0.06


def test_errors_are_clear(problem) -> None:
    ntk, ntk_x, y = problem["ntk"], problem["ntk_x"], problem["y"]
    with pytest.raises(ValueError, match="square"):
        gradient_flow_mse(ntk_x, ntk_x, y, 1.0)
    with pytest.raises(ValueError, match="k_test_train"):
        gradient_flow_mse(ntk, ntk_x.T, y, 1.0)
    with pytest.raises(ValueError, match="y_train"):
        gradient_flow_mse(ntk, ntk_x, y[:5], 1.0)
    with pytest.raises(ConfigError, match="times"):
        gradient_flow_mse(ntk, ntk_x, y, [-1.0])
    with pytest.raises(ValueError, match="both f0_train and f0_test"):
        gradient_flow_mse(ntk, ntk_x, y, 1.0, f0_train=y)
    with pytest.raises(ConfigError, match="noise"):
        gp_posterior(ntk, ntk_x, y, noise=-1.0)
    with pytest.raises(ValueError, match="positive definite"):
        gp_posterior(-torch.eye(10, dtype=F64), ntk_x, y, jitter=0.0)
    with pytest.raises(ValueError, match="k_test"):
        gp_posterior(ntk, ntk_x, y, torch.zeros(3, 3, dtype=F64))
