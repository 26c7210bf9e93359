"""LordNet: the Poisson residual against exact solutions, the mixing layer's closed form, errors."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.data.pde.poisson import poisson_data, solve_poisson_dirichlet
from nnatlas.operators.lordnet import LordMixing, LordNet, mean_squared_residual, poisson_residual
from nnatlas.testing import check_module, check_module_case
from nnatlas.testing.catalog import load_all, module_cases


def test_residual_of_exact_discrete_solution_is_zero():
    data = poisson_data(4, 17, seed=3, cache=False, dtype=torch.float64)
    f, u = data.f[:, 1:-1, 1:-1], data.u[:, 1:-1, 1:-1]
    r = poisson_residual(u, f)
    assert r.shape == f.shape
    assert float(r.abs().max()) < 1e-9 * float(f.abs().max())
    assert float(mean_squared_residual(u, f)) < 1e-20
    assert float(mean_squared_residual(torch.zeros_like(f), f)) == pytest.approx(1.0)


def test_residual_of_sine_mode_matches_closed_form():
    # u = sin(πx) sin(2πy) is an eigenvector of −Δ_h with eigenvalue
    # 4/h² (sin²(πh/2) + sin²(πh)); with f = 0 the residual is that eigenvalue times u.
    n = 9
    h = 1.0 / (n + 1)
    x = torch.arange(1, n + 1, dtype=torch.float64) * h
    u = torch.sin(math.pi * x)[:, None] * torch.sin(2 * math.pi * x)[None, :]
    lam = 4 / h**2 * (math.sin(math.pi * h / 2) ** 2 + math.sin(math.pi * h) ** 2)
    torch.testing.assert_close(poisson_residual(u, torch.zeros_like(u)), lam * u)


def test_residual_is_the_dst_solvers_inverse_on_random_fields():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(2, 1, 11, 13, generator=g, dtype=torch.float64)
    full = torch.nn.functional.pad(f, (1, 1, 1, 1))
    u = solve_poisson_dirichlet(full)[..., 1:-1, 1:-1]
    torch.testing.assert_close(poisson_residual(u, f), torch.zeros_like(f), atol=1e-9, rtol=0)


def test_mixing_equals_kronecker_matrix():
    torch.manual_seed(1)
    mix = LordMixing(2, 4, 3, dtype=torch.float64)
    x = torch.randn(5, 2, 4, 3, dtype=torch.float64)
    mh, mw = mix.matrices()
    out = mix(x)
    for c in range(2):
        dense = torch.kron(mh[c], mw[c])  # row-major flattening of (H, W)
        torch.testing.assert_close(out[:, c].reshape(5, -1), x[:, c].reshape(5, -1) @ dense.T)


def test_low_rank_mixing_matches_its_dense_matrices_and_has_rank_r():
    torch.manual_seed(2)
    mix = LordMixing(2, 6, 5, rank=2, dtype=torch.float64)
    x = torch.randn(3, 2, 6, 5, dtype=torch.float64)
    mh, mw = mix.matrices()
    ref = torch.einsum("chk,bckw->bchw", mh, x)
    ref = torch.einsum("bchk,cwk->bchw", ref, mw)
    torch.testing.assert_close(mix(x), ref)
    eye = torch.eye(6, dtype=torch.float64)
    assert int(torch.linalg.matrix_rank(mh[0] - eye)) == 2


def test_lordnet_is_global_and_has_the_right_shapes():
    torch.manual_seed(3)
    model = LordNet(1, 1, 7, 9, channels=4, n_blocks=1)
    assert torch.equal(
        model(torch.zeros(1, 1, 7, 9)), model.project(model.lift(torch.zeros(1, 1, 7, 9)))
    )
    torch.nn.init.normal_(model.blocks[0].out.weight)  # blocks start as identities
    x = torch.zeros(1, 1, 7, 9, requires_grad=True)
    out = model(x)
    assert out.shape == (1, 1, 7, 9)
    out[0, 0, 0, 0].backward()
    # One block already couples the corner output to every input node (no receptive field).
    assert bool((x.grad.abs() > 0).all())


def test_training_on_the_residual_alone_learns_a_solver():
    # Data-free: minimise the MSR over random sources; the error vs the exact solution falls.
    torch.manual_seed(4)
    n = 7
    model = LordNet(1, 1, n, n, channels=4, n_blocks=1, dtype=torch.float64)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    f_test = torch.randn(16, 1, n, n, generator=g, dtype=torch.float64)
    u_test = solve_poisson_dirichlet(torch.nn.functional.pad(f_test, (1, 1, 1, 1)))[..., 1:-1, 1:-1]
    scale = 1.0 / (2 * math.pi**2)

    def error() -> float:
        with torch.no_grad():
            pred = model(f_test) * scale
            return float((pred - u_test).norm() / u_test.norm())

    before = error()
    for _ in range(300):
        f = torch.randn(16, 1, n, n, generator=g, dtype=torch.float64)
        opt.zero_grad()
        mean_squared_residual(model(f) * scale, f).backward()
        opt.step()
    assert error() < 0.3 * before


def test_errors():
    model = LordNet(1, 1, 5, 5, 2, 1)
    with pytest.raises(ConfigError, match="5×5 grid"):
        model(torch.randn(1, 1, 6, 5))
    with pytest.raises(ConfigError, match="same shape"):
        poisson_residual(torch.zeros(2, 3, 3), torch.zeros(2, 3, 4))
    with pytest.raises(TypeError, match="floating"):
        poisson_residual(torch.zeros(3, 3, dtype=torch.long), torch.zeros(3, 3))
    with pytest.raises(UnknownNameError, match="activation"):
        LordNet(1, 1, 4, 4, activation="swish")
    with pytest.raises(ConfigError, match="rank"):
        LordMixing(2, 4, 4, rank=0)
    with pytest.raises(ConfigError, match=r"\(batch, 2, 4, 4\)"):
        LordMixing(2, 4, 4)(torch.randn(1, 3, 4, 4))


def test_reset_and_repr():
    model = LordNet(1, 1, 4, 4, 2, 1, rank=2)
    before = [p.clone() for p in model.parameters()]
    model.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert "rank=2" in repr(model)


def test_conformance():
    check_module(
        lambda dtype: LordNet(1, 1, 4, 4, 2, 2, activation="tanh", dtype=dtype),
        lambda dtype: (torch.randn(3, 1, 4, 4, dtype=dtype),),
        name="LordNet-tanh",
    )
    load_all()
    cases = [c for c in module_cases() if c.name.startswith("Lord")]
    assert len(cases) == 3
    for case in cases:
        check_module_case(case)
