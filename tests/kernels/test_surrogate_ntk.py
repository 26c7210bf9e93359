"""Surrogate-gradient NTK: closed forms, the naive NTK's divergence, finite networks, SGL limit."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.kernels.analytic import Dense, Sign, serial
from nnatlas.kernels.inference import gradient_flow_mse
from nnatlas.kernels.surrogate_ntk import (
    SignMLP,
    SurrogateErf,
    sign_with_surrogate,
    train_sign_ensemble,
)
from nnatlas.testing import check_module

A, B, C = (
    torch.tensor(1.3, dtype=torch.float64),
    torch.tensor(0.7, dtype=torch.float64),
    torch.tensor(0.5, dtype=torch.float64),
)


def _gaussian_pairs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    z1, z2 = torch.randn(2, n, generator=g, dtype=torch.float64)
    u = A.sqrt() * z1
    v = (C / A.sqrt()) * z1 + (B - C**2 / A).sqrt() * z2
    return u, v


def test_sign_nngp_matches_analytic_sign_and_monte_carlo():
    k = SurrogateErf(1.0)
    torch.testing.assert_close(k.expectation(A, B, C), Sign().expectation(A, B, C))
    u, v = _gaussian_pairs(400_000, 0)
    assert float(k.expectation(A, B, C)) == pytest.approx(
        float((torch.sign(u) * torch.sign(v)).mean()), abs=6e-3
    )


def test_mixed_term_is_the_limit_of_erf_m_and_matches_monte_carlo():
    sg = SurrogateErf(1.0)
    limit = float(sg.derivative_expectation(A, B, C))
    # finite m converges to the sign value
    errs = [
        abs(float(SurrogateErf(1.0, forward_sharpness=m).derivative_expectation(A, B, C)) - limit)
        for m in (10.0, 100.0, 1000.0)
    ]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-3 * limit
    # Monte Carlo with erf_m, m = 10 (a narrow Gaussian in place of 2δ), against its own closed form
    m = 10.0
    u, v = _gaussian_pairs(1_000_000, 1)
    mc = (
        (2 * m / math.sqrt(math.pi))
        * torch.exp(-((m * u) ** 2))
        * (2 / math.sqrt(math.pi))
        * torch.exp(-(v**2))
    ).mean()
    closed = float(SurrogateErf(1.0, forward_sharpness=m).derivative_expectation(A, B, C))
    assert float(mc) == pytest.approx(closed, rel=1.5e-2)
    # the notes' formula: (2/√(2πa)) (2k/√π) / √(1 + 2k²(b − c²/a))
    notes = (
        2
        / math.sqrt(2 * math.pi * 1.3)
        * (2 / math.sqrt(math.pi))
        / math.sqrt(1 + 2 * (0.7 - 0.25 / 1.3))
    )
    assert limit == pytest.approx(notes, rel=1e-12)


def test_naive_ntk_diverges_on_the_diagonal():
    # true derivative on both sides: finite off the diagonal, growing like m on it
    diag = [
        float(SurrogateErf(None, forward_sharpness=m).derivative_expectation(A, A, A))
        for m in (10.0, 100.0, 1000.0)
    ]
    assert diag[1] / diag[0] == pytest.approx(10.0, rel=0.05) and diag[2] / diag[
        1
    ] == pytest.approx(10.0, rel=0.01)
    off = [
        float(SurrogateErf(None, forward_sharpness=m).derivative_expectation(A, B, C))
        for m in (100.0, 1000.0)
    ]
    limit = 2 / (math.pi * math.sqrt(1.3 * 0.7 - 0.25))  # E[2δ(u) 2δ(v)]
    assert off[1] == pytest.approx(limit, rel=1e-3)
    with pytest.raises(ValueError, match="ill-posed"):
        SurrogateErf(None).derivative_expectation(A, B, C)
    # while the SG-NTK stays finite on the diagonal
    assert math.isfinite(float(SurrogateErf(1.0).derivative_expectation(A, A, A)))


def test_surrogate_backward_and_sign_forward():
    x = torch.tensor([-1.5, -0.2, 0.0, 0.3, 2.0], dtype=torch.float64, requires_grad=True)
    y = sign_with_surrogate(x, 2.0)
    torch.testing.assert_close(y, torch.sign(x.detach()))
    y.sum().backward()
    torch.testing.assert_close(
        x.grad, (4 / math.sqrt(math.pi)) * torch.exp(-((2 * x.detach()) ** 2))
    )
    with pytest.raises(ConfigError, match="sharpness"):
        sign_with_surrogate(x, 0.0)


def test_sign_mlp_is_a_well_formed_module():
    check_module(
        lambda dtype: SignMLP(3, [16, 8], 2, dtype=dtype),
        lambda dtype: (torch.randn(5, 3, dtype=dtype),),
        name="SignMLP",
    )
    with pytest.raises(ConfigError, match="hidden"):
        SignMLP(3, [])


def test_nngp_of_wide_sign_mlp_matches_analytic():
    x = torch.tensor([[1.0, 0.0], [0.6, 0.8], [-0.8, 0.6]], dtype=torch.float64)
    net = SignMLP(2, [64], dtype=torch.float64)
    k = serial(*net.kernel_layers())(x, get="nngp").nngp
    g = torch.Generator().manual_seed(0)
    outs = []
    for _ in range(1500):
        net.reset_parameters(generator=g)
        with torch.no_grad():
            outs.append(net(x)[:, 0])
    f = torch.stack(outs)
    torch.testing.assert_close(f.T @ f / f.shape[0], k, atol=0.08, rtol=0)


def test_batched_trainer_equals_sign_mlp_with_autograd():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(6, 2, generator=g, dtype=torch.float64)
    y = torch.randn(6, generator=g, dtype=torch.float64)
    xt = torch.randn(4, 2, generator=g, dtype=torch.float64)
    run = train_sign_ensemble(
        x,
        y,
        xt,
        width=32,
        num_networks=2,
        steps=10,
        lr=0.05,
        generator=torch.Generator().manual_seed(9),
    )
    gen = torch.Generator().manual_seed(9)
    for i in range(2):
        net = SignMLP(2, [32], dtype=torch.float64, generator=gen)
        with torch.no_grad():
            torch.testing.assert_close(net(xt)[:, 0], run.f0_test[i])
        opt = torch.optim.SGD(net.parameters(), lr=0.05)
        for _ in range(10):
            opt.zero_grad()
            (0.5 * ((net(x)[:, 0] - y) ** 2).sum()).backward()
            opt.step()
        with torch.no_grad():
            torch.testing.assert_close(net(xt)[:, 0], run.f_test[i], atol=1e-10, rtol=1e-10)


def test_sgl_approaches_sg_ntk_regression_as_width_grows():
    g = torch.Generator().manual_seed(0)
    ang = torch.rand(8, generator=g, dtype=torch.float64) * 2 * math.pi
    angt = torch.linspace(0, 2 * math.pi, 41, dtype=torch.float64)[:-1]
    x = torch.stack([ang.cos(), ang.sin()], 1)
    xt = torch.stack([angt.cos(), angt.sin()], 1)
    y = torch.sin(2 * ang)
    net = serial(Dense(1.0, 0.5), SurrogateErf(1.0), Dense(1.0, 0.5))
    k, kx = net(x).ntk, net(xt, x).ntk
    eta = 1 / float(torch.linalg.eigvalsh(k).max())
    errors = []
    for width in (20, 2000):
        run = train_sign_ensemble(
            x,
            y,
            xt,
            width=width,
            num_networks=6,
            steps=200,
            lr=eta,
            generator=torch.Generator().manual_seed(width),
        )
        err = []
        for i in range(6):
            pred = gradient_flow_mse(
                k,
                kx,
                y,
                200,
                learning_rate=eta,
                f0_train=run.f0_train[i],
                f0_test=run.f0_test[i],
                discrete=True,
            )
            err.append(float((run.f_test[i] - pred).norm() / pred.norm()))
        errors.append(sum(err) / len(err))
    assert errors[1] < 0.6 * errors[0]
