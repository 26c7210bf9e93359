"""Burgers and Navier–Stokes generators: exact limits, invariants, convergence, errors."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.data.pde import (
    burgers_data,
    burgers_initial_conditions,
    navier_stokes_data,
    solve_burgers,
    solve_navier_stokes,
)


def _x(s: int) -> torch.Tensor:
    return torch.arange(s, dtype=torch.float64) / s


def test_burgers_small_amplitude_is_the_heat_equation():
    x = _x(64)
    u0 = 1e-6 * torch.sin(2 * math.pi * x)[None]
    u = solve_burgers(u0, viscosity=0.05, t_final=0.5, dt=1e-2, n_snapshots=2)
    for j, t in enumerate((0.25, 0.5)):
        exact = u0[0] * math.exp(-0.05 * 4 * math.pi**2 * t)
        assert float((u[0, j] - exact).abs().max()) < 1e-4 * 1e-6


def test_burgers_energy_decays_mean_conserved_and_converges_in_dt():
    u0 = burgers_initial_conditions(4, 128, seed=1) + 0.2
    u = solve_burgers(u0, viscosity=0.01, t_final=0.5, dt=1e-3, n_snapshots=5)
    energy = torch.cat([u0.pow(2).mean(1, keepdim=True), u.pow(2).mean(2)], 1)
    assert bool((energy[:, 1:] < energy[:, :-1]).all())
    torch.testing.assert_close(
        u.mean(2), torch.full((4, 5), 0.2, dtype=torch.float64), atol=1e-12, rtol=0
    )
    fine = solve_burgers(u0, viscosity=0.01, t_final=0.5, dt=5e-4, n_snapshots=5)
    assert float((u - fine).abs().max()) < 1e-6 * float(u0.abs().max())


def test_burgers_data_determinism_and_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("NNATLAS_CACHE_DIR", str(tmp_path))
    a = burgers_data(2, 32, n_snapshots=2, t_final=0.1)
    b = burgers_data(2, 32, n_snapshots=2, t_final=0.1)
    assert (
        torch.equal(a.u, b.u)
        and a.u.shape == (2, 2, 32)
        and a.times.tolist() == pytest.approx([0.05, 0.1])
    )
    with pytest.raises(ConfigError, match="viscosity"):
        burgers_data(2, 32, viscosity=0.0)
    with pytest.raises(ConfigError, match="u0"):
        solve_burgers(torch.zeros(3))
    with pytest.raises(ConfigError, match="resolution"):
        burgers_data(2, 2)


def test_navier_stokes_shear_mode_decays_exactly():
    # A single shear mode is a steady Euler flow (u·∇ω = 0): only viscosity acts, at rate ν 4π².
    s = 16
    xx, _ = torch.meshgrid(_x(s), _x(s), indexing="ij")
    w0 = torch.sin(2 * math.pi * xx)[None]
    zero = torch.zeros(s, s, dtype=torch.float64)
    w = solve_navier_stokes(w0, viscosity=0.01, t_final=1.0, dt=0.01, n_snapshots=1, forcing=zero)
    exact = w0[0] * math.exp(-0.01 * 4 * math.pi**2)
    assert float((w[0, 0] - exact).abs().max()) < 1e-6


def test_navier_stokes_conserves_mean_vorticity():
    d = navier_stokes_data(
        2, 16, t_final=1.0, dt=0.05, n_snapshots=2, cache=False, dtype=torch.float64
    )
    w0 = d.w0 + 0.3
    w = solve_navier_stokes(w0, t_final=1.0, dt=0.05, n_snapshots=4)
    torch.testing.assert_close(
        w.mean((2, 3)), torch.full((2, 4), 0.3, dtype=torch.float64), atol=1e-12, rtol=0
    )
    assert float(d.w.abs().max()) > 0 and d.w.shape == (2, 2, 16, 16)
    with pytest.raises(ConfigError, match="viscosity"):
        solve_navier_stokes(w0, viscosity=-1.0)
    with pytest.raises(ConfigError, match="w0"):
        solve_navier_stokes(torch.zeros(2, 4, 5))
