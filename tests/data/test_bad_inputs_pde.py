"""Bad arguments to the PDE building blocks of ``nnatlas.data.pde`` (the solvers, random fields,
interpolation and loaders it exports beside the data sets of ``nnatlas.data``) fail in one clear
error naming the argument."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnatlas.data import pde
from nnatlas.testing.bad_inputs import assert_clear_error

COVERED = {
    "antiderivative", "interpolate_1d", "burgers_initial_conditions", "cosine_series_2d",
    "sine_series_2d", "darcy_coefficients", "darcy_operator", "dst1", "fno_forcing", "grf_1d",
    "grf_2d_periodic", "laplacian_5point", "load_fno_mat", "load_neuraloperator_pt",
    "load_pdebench_h5", "solve_burgers", "solve_darcy", "solve_navier_stokes",
    "solve_poisson_dirichlet", "solve_poisson_periodic",
}  # fmt: skip
EXEMPT = {
    "AntiderivativeData": "a frozen record of generated tensors (antiderivative_data's result)",
    "BurgersData": "a frozen record of generated tensors (burgers_data's result)",
    "DarcyData": "a frozen record of generated tensors (darcy_data's result)",
    "NavierStokesData": "a frozen record of generated tensors (navier_stokes_data's result)",
    "PoissonData": "a frozen record of generated tensors (poisson_data's result)",
    "CACHE_ENV": "a constant: the cache folder's environment variable",
    "cache_dir": "takes no argument",
}

SETTINGS = settings(max_examples=15, deadline=None)
BAD_COUNTS = st.one_of(st.integers(max_value=0), st.floats(allow_nan=True), st.just("8"))
BAD_POSITIVE = st.one_of(
    st.floats(max_value=0.0), st.just(math.nan), st.just(math.inf), st.just("1.0")
)


@SETTINGS
@given(BAD_COUNTS)
def test_field_sizes_out_of_domain(value):
    for fn in (pde.cosine_series_2d, pde.sine_series_2d, pde.darcy_coefficients,
               pde.grf_2d_periodic):  # fmt: skip
        assert_clear_error(fn, value, 8, argument="n_samples")
        assert_clear_error(fn, 2, value, argument="resolution")
    assert_clear_error(pde.grf_1d, value, argument="n_samples")
    assert_clear_error(pde.burgers_initial_conditions, 2, value, argument="resolution")
    assert_clear_error(pde.fno_forcing, value, argument="resolution")


@SETTINGS
@given(BAD_POSITIVE)
def test_field_shape_parameters_out_of_domain(value):
    assert_clear_error(pde.cosine_series_2d, 2, 8, alpha=value, argument="alpha")
    assert_clear_error(pde.sine_series_2d, 2, 8, tau=value, argument="tau")
    assert_clear_error(pde.grf_2d_periodic, 2, 8, alpha=value, argument="alpha")
    assert_clear_error(pde.grf_1d, 2, length_scale=value, argument="length_scale")
    assert_clear_error(pde.darcy_coefficients, 2, 8, a_high=value, argument="a_high")


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None])
def test_bad_seeds(seed):
    assert_clear_error(pde.burgers_initial_conditions, 2, 8, seed=seed, argument="seed")
    assert_clear_error(pde.grf_1d, 2, seed=seed, argument="seed")


def test_interpolation_and_antiderivative_check_their_tensors():
    grid, values, points = torch.linspace(0, 1, 5), torch.zeros(2, 5), torch.rand(3)
    for fn in (pde.interpolate_1d, pde.antiderivative):
        assert_clear_error(fn, "grid", values, points, argument="grid")
        assert_clear_error(fn, grid.flip(0), values, points, argument="grid")  # decreasing
        assert_clear_error(fn, grid, torch.zeros(2, 4), points, argument="values")
        assert_clear_error(fn, grid, torch.zeros(5), points, argument="values")
        assert_clear_error(fn, grid, values, torch.rand(3, 2), argument="points")
        assert_clear_error(fn, grid, values, torch.full((3,), math.nan), argument="points")
        assert fn(grid, values, points).shape == (2, 3)


def test_stencils_and_transforms_check_their_tensors():
    assert_clear_error(pde.dst1, "x", argument="x")
    assert_clear_error(pde.dst1, torch.zeros(3), dim=1, argument="dim")
    assert_clear_error(pde.laplacian_5point, torch.zeros(3), periodic=True, argument="u")
    assert_clear_error(pde.laplacian_5point, torch.zeros(2, 2), periodic=False, argument="u")
    assert_clear_error(pde.laplacian_5point, torch.zeros(4, 4), periodic="yes", argument="periodic")


def test_darcy_operator_checks_its_coefficients():
    pytest.importorskip("scipy")
    for bad in ("a", np.ones((3, 4)), np.ones(5), -np.ones((4, 4)), np.full((4, 4), np.nan)):
        assert_clear_error(pde.darcy_operator, bad, argument="a")


@SETTINGS
@given(BAD_POSITIVE)
def test_solver_parameters_out_of_domain(value):
    u0, w0 = torch.zeros(1, 16, dtype=torch.float64), torch.zeros(1, 8, 8, dtype=torch.float64)
    assert_clear_error(pde.solve_burgers, u0, viscosity=value, argument="viscosity")
    assert_clear_error(pde.solve_burgers, u0, dt=value, argument="dt")
    assert_clear_error(pde.solve_navier_stokes, w0, viscosity=value, argument="viscosity")


def test_solver_inputs_checked():
    assert_clear_error(pde.solve_burgers, "u0", argument="u0")
    assert_clear_error(pde.solve_navier_stokes, torch.zeros(2, 8, 9), argument="w0")
    assert_clear_error(pde.solve_navier_stokes, torch.zeros(2, 8, 8), n_snapshots=0,
                       argument="n_snapshots")  # fmt: skip
    assert_clear_error(pde.solve_darcy, "a", argument="a")
    assert_clear_error(pde.solve_darcy, torch.zeros(2, 8, 8), argument="a")  # not positive
    assert_clear_error(pde.solve_poisson_dirichlet, "f", argument="f")
    assert_clear_error(pde.solve_poisson_periodic, torch.zeros(2, 8, 8), stencil="fd",
                       argument="stencil")  # fmt: skip


@pytest.mark.parametrize("loader", [pde.load_fno_mat, pde.load_neuraloperator_pt,
                                    pde.load_pdebench_h5])  # fmt: skip
def test_loaders_name_a_missing_file(loader, tmp_path):
    missing = tmp_path / "absent.dat"
    with pytest.raises(FileNotFoundError, match=r"absent\.dat"):
        loader(missing)
