"""PDE generators: manufactured solutions, nested grids, determinism and the cache."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.data.pde import (
    antiderivative,
    antiderivative_data,
    cache_dir,
    darcy_data,
    dst1,
    grf_1d,
    grf_2d_periodic,
    laplacian_5point,
    poisson_data,
    sine_series_2d,
    solve_darcy,
    solve_poisson_dirichlet,
    solve_poisson_periodic,
)

pytest.importorskip("scipy")


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("NNATLAS_CACHE_DIR", str(tmp_path))


def _nodes(s: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.linspace(0, 1, s, dtype=torch.float64)
    return torch.meshgrid(x, x, indexing="ij")


# -- random fields and the antiderivative ---------------------------------------------------


def test_grf_1d_covariance_matches_rbf_kernel():
    grid, values = grf_1d(4000, grid_size=50, length_scale=0.2, seed=3)
    emp = values.T @ values / values.shape[0]
    exact = torch.exp(-0.5 * (grid[:, None] - grid[None, :]) ** 2 / 0.04)
    assert (emp - exact).abs().max() < 0.1


def test_antiderivative_exact_for_piecewise_linear():
    grid = torch.linspace(0, 1, 11, dtype=torch.float64)
    values = torch.stack([torch.ones(11), 3 * grid, grid**2]).double()
    y = torch.tensor([0.0, 0.05, 0.3, 0.77, 1.0], dtype=torch.float64)
    s = antiderivative(grid, values, y)
    torch.testing.assert_close(s[0], y)
    torch.testing.assert_close(s[1], 1.5 * y**2)
    # u = x² sampled at nodes: the trapezoid integral exceeds y³/3 by h² y / 6 at the nodes.
    assert abs(float(s[2, 4]) - (1 / 3 + 0.01 / 6)) < 1e-12
    assert float(s[:, 0].abs().max()) == 0.0


def test_antiderivative_data_derivative_and_layouts():
    data = antiderivative_data(
        64, n_queries=200, shared_queries=True, cache=False, dtype=torch.float64
    )
    y = data.y[0, :, 0]
    ds = torch.diff(data.s, dim=1) / torch.diff(y)
    mid = 0.5 * (y[1:] + y[:-1])
    # s' = u: compare with u at the sensors, interpolated to the midpoints.
    u_mid = torch.stack(
        [torch.from_numpy(__import__("numpy").interp(mid, data.sensors, row)) for row in data.u]
    )
    assert (ds - u_mid).abs().max() < 0.05
    assert float(data.s[:, 0].abs().max()) < 1e-12
    u, yy, s = data.triples()
    assert u.shape == (64 * 200, 100) and yy.shape == (64 * 200, 1) and s.shape == (64 * 200, 1)
    torch.testing.assert_close(u[200], data.u[1])


def test_grf_2d_periodic_resolution_independent_variance():
    v32 = grf_2d_periodic(200, 32, seed=0).var()
    v64 = grf_2d_periodic(200, 64, seed=0).var()
    assert 0.8 < float(v32 / v64) < 1.25


# -- Poisson --------------------------------------------------------------------------------


def test_dst1_matches_definition_and_inverse():
    x = torch.randn(3, 7, dtype=torch.float64)
    j = torch.arange(1, 8, dtype=torch.float64)
    mat = torch.sin(math.pi * j[:, None] * j[None, :] / 8)
    torch.testing.assert_close(dst1(x), x @ mat.T)
    torch.testing.assert_close(dst1(dst1(x)) * 2 / 8, x)


def test_poisson_periodic_manufactured():
    s = 32
    x = torch.arange(s, dtype=torch.float64) / s
    xx, yy = torch.meshgrid(x, x, indexing="ij")
    u = torch.sin(2 * math.pi * xx) * torch.cos(4 * math.pi * yy)
    f = 20 * math.pi**2 * u
    torch.testing.assert_close(solve_poisson_periodic(f), u, atol=1e-12, rtol=0)
    # The 5-point variant inverts the 5-point stencil exactly, for any zero-mean source.
    g = grf_2d_periodic(2, s, seed=1)
    u5 = solve_poisson_periodic(g, stencil="5point")
    torch.testing.assert_close(laplacian_5point(u5, periodic=True), g, atol=1e-9, rtol=0)


def test_poisson_dirichlet_exact_discrete_and_second_order():
    f = sine_series_2d(2, 17, seed=4)
    u = solve_poisson_dirichlet(f)
    assert float(u[..., 0, :].abs().max()) == 0 and float(u[..., :, -1].abs().max()) == 0
    res = laplacian_5point(u, periodic=False)[..., 1:-1, 1:-1] - f[..., 1:-1, 1:-1]
    assert float(res.abs().max()) < 1e-9 * float(f.abs().max())
    errors = []
    for s in (17, 33):
        xx, yy = _nodes(s)
        exact = torch.sin(math.pi * xx) * torch.sin(2 * math.pi * yy) * xx
        # −Δ(x sin πx sin 2πy) = (5π² x sin πx − 2π cos πx) sin 2πy
        src = (
            5 * math.pi**2 * xx * torch.sin(math.pi * xx) - 2 * math.pi * torch.cos(math.pi * xx)
        ) * torch.sin(2 * math.pi * yy)
        errors.append(float((solve_poisson_dirichlet(src) - exact).abs().max()))
    assert 3.5 < errors[0] / errors[1] < 4.5


def test_poisson_data_shapes_and_errors():
    d = poisson_data(3, 9, boundary="periodic", cache=False)
    assert d.f.shape == d.u.shape == (3, 9, 9) and d.grid.shape == (9,)
    with pytest.raises(ConfigError, match="boundary"):
        poisson_data(3, 9, boundary="neumann")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="resolution"):
        poisson_data(3, 2)
    with pytest.raises(ConfigError, match="f must have shape"):
        solve_poisson_dirichlet(torch.zeros(2, 2))


# -- Darcy ----------------------------------------------------------------------------------


def test_darcy_constant_coefficient_is_poisson():
    f = sine_series_2d(1, 17, seed=2)[0]
    u = solve_darcy(torch.full((17, 17), 2.5, dtype=torch.float64), f)
    torch.testing.assert_close(u, solve_poisson_dirichlet(f) / 2.5, atol=1e-12, rtol=1e-10)


def test_darcy_manufactured_second_order():
    errors = []
    for s in (17, 33, 65):
        xx, yy = _nodes(s)
        a = 1 + xx + 2 * yy**2
        u = torch.sin(math.pi * xx) * torch.sin(math.pi * yy)
        ux = math.pi * torch.cos(math.pi * xx) * torch.sin(math.pi * yy)
        uy = math.pi * torch.sin(math.pi * xx) * torch.cos(math.pi * yy)
        # −∇·(a∇u) = −(a_x u_x + a_y u_y) − a Δu, with a_x = 1, a_y = 4y, Δu = −2π² u.
        f = -(ux + 4 * yy * uy) + a * 2 * math.pi**2 * u
        errors.append(float((solve_darcy(a, f) - u).abs().max()))
    assert 3.0 < errors[0] / errors[1] < 5.0 and 3.0 < errors[1] / errors[2] < 5.0


def test_darcy_nested_grids_and_determinism():
    d = darcy_data(3, (9, 17, 33), coarse_targets="solve", cache=False, dtype=torch.float64)
    a33, u33 = d.at(33)
    assert set(a33.unique().tolist()) <= {3.0, 12.0}
    torch.testing.assert_close(d.a[17], a33[:, ::2, ::2], rtol=0, atol=0)
    torch.testing.assert_close(d.a[9], a33[:, ::4, ::4], rtol=0, atol=0)
    # Coarse solves approach the fine solution on the shared nodes as the grid refines.
    gap17 = (d.u[17] - u33[:, ::2, ::2]).norm() / u33[:, ::2, ::2].norm()
    gap9 = (d.u[9] - u33[:, ::4, ::4]).norm() / u33[:, ::4, ::4].norm()
    assert gap17 < 0.1 and gap17 < gap9
    again = darcy_data(3, (9, 17, 33), coarse_targets="solve", cache=False, dtype=torch.float64)
    assert torch.equal(again.u[17], d.u[17])
    other = darcy_data(3, (9, 17, 33), seed=1, cache=False, dtype=torch.float64)
    assert not torch.equal(other.a[33], a33)
    sub = darcy_data(3, (17, 33), cache=False, dtype=torch.float64)
    torch.testing.assert_close(sub.u[17], sub.u[33][:, ::2, ::2], rtol=0, atol=0)


def test_darcy_errors():
    with pytest.raises(ConfigError, match="nested"):
        darcy_data(2, (16, 33))
    with pytest.raises(ConfigError, match="a_low"):
        darcy_data(2, 9, a_low=0.0)
    with pytest.raises(ConfigError, match="positive"):
        solve_darcy(torch.zeros(5, 5))
    with pytest.raises(ConfigError, match="resolution 9 was not generated"):
        darcy_data(1, 5, cache=False).at(9)


# -- cache ----------------------------------------------------------------------------------


def test_cache_round_trip(tmp_path):
    assert cache_dir() == tmp_path / "pde"
    first = antiderivative_data(20, seed=5)
    files = sorted(p.name for p in cache_dir().iterdir())
    assert len(files) == 2 and files[0].endswith(".json") and files[1].endswith(".pt")
    second = antiderivative_data(20, seed=5)
    assert torch.equal(first.s, second.s) and torch.equal(first.u, second.u)
    fresh = antiderivative_data(20, seed=5, cache=False)
    assert torch.equal(first.s, fresh.s)
    antiderivative_data(20, seed=6)
    assert len(list(cache_dir().iterdir())) == 4
    d1 = darcy_data(2, (5, 9))
    d2 = darcy_data(2, (5, 9))
    assert torch.equal(d1.u[9], d2.u[9])


def test_bad_arguments_name_the_argument():
    with pytest.raises(ConfigError, match="length_scale"):
        antiderivative_data(5, length_scale=-1.0)
    with pytest.raises(ConfigError, match="n_sensors"):
        antiderivative_data(5, n_sensors=1)
    with pytest.raises(TypeError, match="seed"):
        grf_1d(2, seed=1.5)  # type: ignore[arg-type]
