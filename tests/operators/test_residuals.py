"""Implicit Navier–Stokes step residual: closed forms, agreement with the solver, errors."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.data.pde.navier_stokes import fno_forcing, solve_navier_stokes
from nnatlas.operators.residuals import mean_squared_ns_residual, navier_stokes_step_residual

TWO_PI = 2 * math.pi


def _grid(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.arange(n, dtype=torch.float64) / n
    return torch.meshgrid(x, x, indexing="ij")


def _smooth_field(n: int, batch: int = 2) -> torch.Tensor:
    # Band-limited random field (modes |k| <= 3), so n = 16 resolves every product exactly.
    g = torch.Generator().manual_seed(0)
    xx, yy = _grid(n)
    out = torch.zeros(batch, n, n, dtype=torch.float64)
    for kx in range(-3, 4):
        for ky in range(0, 4):
            if kx == 0 and ky == 0:
                continue
            a, b = torch.randn(2, batch, 1, 1, generator=g, dtype=torch.float64)
            phase = TWO_PI * (kx * xx + ky * yy)
            out += (a * torch.cos(phase) + b * torch.sin(phase)) / (kx * kx + ky * ky)
    return out


@pytest.mark.parametrize("scheme", ["backward_euler", "crank_nicolson"])
def test_steady_kolmogorov_flow_and_single_shell_field_have_zero_residual(scheme):
    n, nu = 16, 0.05
    xx, yy = _grid(n)
    # Shear flow sin(2π·3x): u ∥ level lines, so u·∇ω = 0; steady with f = −νΔω.
    w = torch.sin(TWO_PI * 3 * xx)[None]
    f = nu * (TWO_PI * 3) ** 2 * w[0]
    r = navier_stokes_step_residual(w, w, nu=nu, dt=0.1, forcing=f, scheme=scheme)
    assert r.abs().max() < 1e-10
    # Two modes on the |k|² = 2 shell: ψ ∝ ω, so u·∇ω = 0 pointwise (Taylor–Green-like).
    w = (torch.sin(TWO_PI * xx) * torch.sin(TWO_PI * yy) + 0.5 * torch.cos(TWO_PI * (xx + yy)))[
        None
    ]
    f = nu * 2 * TWO_PI**2 * w[0]
    r = navier_stokes_step_residual(w, w, nu=nu, dt=0.1, forcing=f, scheme=scheme)
    assert r.abs().max() < 1e-10
    # Without the forcing the residual is exactly −νΔω (= f here).
    r = navier_stokes_step_residual(w, w, nu=nu, dt=0.1, scheme=scheme)
    torch.testing.assert_close(r, f[None], atol=1e-10, rtol=0)


def test_advection_term_matches_closed_form():
    # ω = sin 2πx + cos 4πy: ψ = sin 2πx / (4π²) + cos 4πy / (16π²), u = (ψ_y, −ψ_x), so
    # u·∇ω = 1.5 cos 2πx sin 4πy and −νΔω = ν(4π² sin 2πx + 16π² cos 4πy).
    n, nu, dt = 16, 0.01, 0.5
    xx, yy = _grid(n)
    w = (torch.sin(TWO_PI * xx) + torch.cos(2 * TWO_PI * yy))[None]
    expected = 1.5 * torch.cos(TWO_PI * xx) * torch.sin(2 * TWO_PI * yy) + nu * (
        4 * math.pi**2 * torch.sin(TWO_PI * xx) + 16 * math.pi**2 * torch.cos(2 * TWO_PI * yy)
    )
    r = navier_stokes_step_residual(w, w, nu=nu, dt=dt)
    torch.testing.assert_close(r[0], expected, atol=1e-10, rtol=0)
    # The time-difference term: (ω₁ − ω₀)/dt adds linearly.
    r2 = navier_stokes_step_residual(w, w - dt * 3.0, nu=nu, dt=dt, dealias=False)
    torch.testing.assert_close(r2[0], expected + 3.0, atol=1e-10, rtol=0)


def test_crank_nicolson_residual_of_a_solver_step_is_exactly_the_explicit_advection_lag():
    # The solver's first step is CN for viscosity and forward Euler for advection and forcing:
    # (ω₁ − ω₀)/dt = −N(ω₀) + f + ½νΔ(ω₀ + ω₁). Hence R_CN(ω₁; ω₀) = ½[N(ω₁) − N(ω₀)], with
    # N computed by the residual itself (ν = 0, f = 0, ω_next = ω_prev). Tolerance 1e-9.
    n, nu, dt = 16, 1e-2, 1e-2
    w0 = _smooth_field(n)
    xx, yy = _grid(n)
    f = 0.3 * torch.cos(TWO_PI * xx) + 0.1 * torch.sin(TWO_PI * yy)
    w1 = solve_navier_stokes(w0, viscosity=nu, t_final=dt, dt=dt, n_snapshots=1, forcing=f)[:, 0]
    r = navier_stokes_step_residual(w1, w0, nu=nu, dt=dt, forcing=f, scheme="crank_nicolson")

    def adv(w):
        return navier_stokes_step_residual(w, w, nu=0.0, dt=1.0)

    torch.testing.assert_close(r, 0.5 * (adv(w1) - adv(w0)), atol=1e-9, rtol=0)
    assert r.abs().max() > 1e-4  # the lag itself is not negligible: the check is not vacuous


def test_backward_euler_residual_of_solver_steps_shrinks_linearly_with_dt():
    # Both schemes are first-order consistent with the solver step: halving dt halves R.
    n, nu = 16, 1e-2
    w0 = _smooth_field(n)
    f = fno_forcing(n)
    norms = []
    for dt in (4e-3, 2e-3, 1e-3):
        w1 = solve_navier_stokes(w0, viscosity=nu, t_final=dt, dt=dt, n_snapshots=1)[:, 0]
        r = navier_stokes_step_residual(w1, w0, nu=nu, dt=dt, forcing=f)
        norms.append(r.pow(2).mean().sqrt().item())
    for coarse, fine in itertools.pairwise(norms):
        assert 1.8 < coarse / fine < 2.2, norms


def test_pure_decay_of_a_single_mode_is_exact_for_crank_nicolson():
    n, nu, dt = 16, 0.1, 0.05
    xx, yy = _grid(n)
    w0 = torch.sin(TWO_PI * (2 * xx + yy))[None]
    lam = 5 * TWO_PI**2
    w1 = w0 * (1 - 0.5 * dt * nu * lam) / (1 + 0.5 * dt * nu * lam)
    r = navier_stokes_step_residual(w1, w0, nu=nu, dt=dt, scheme="crank_nicolson")
    assert r.abs().max() < 1e-10
    w1 = w0 / (1 + dt * nu * lam)
    r = navier_stokes_step_residual(w1, w0, nu=nu, dt=dt, scheme="backward_euler")
    assert r.abs().max() < 1e-10


def test_gradients_flow_and_mean_squared_residual_normalisation():
    n = 8
    w0 = _smooth_field(n).to(torch.float32)
    w1 = (w0 + 0.01 * torch.ones_like(w0)).requires_grad_(True)
    loss = mean_squared_ns_residual(w1, w0, nu=1e-2, dt=1e-2)
    loss.backward()
    assert w1.grad is not None and torch.isfinite(w1.grad).all() and w1.grad.abs().sum() > 0
    one = mean_squared_ns_residual(w0, w0, nu=1e-2, dt=1e-2)
    torch.testing.assert_close(one, torch.tensor(1.0))
    raw = mean_squared_ns_residual(w0, w0, nu=1e-2, dt=1e-2, normalize=False)
    r = navier_stokes_step_residual(w0, w0, nu=1e-2, dt=1e-2)
    torch.testing.assert_close(raw, r.pow(2).mean())
    # Gradient matches finite differences in float64.
    wd = _smooth_field(n, batch=1)
    v = torch.randn(1, n, n, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x = wd.clone().requires_grad_(True)
    kw = {"nu": 0.02, "dt": 0.1, "normalize": False}
    mean_squared_ns_residual(x, wd * 0.9, **kw).backward()
    eps = 1e-6
    fd = (
        mean_squared_ns_residual(wd + eps * v, wd * 0.9, **kw)
        - mean_squared_ns_residual(wd - eps * v, wd * 0.9, **kw)
    ) / (2 * eps)
    torch.testing.assert_close((x.grad * v).sum(), fd, rtol=1e-6, atol=1e-8)


def test_bad_arguments_raise_clear_errors():
    w = torch.zeros(2, 8, 8)
    with pytest.raises(ConfigError, match="nu"):
        navier_stokes_step_residual(w, w, nu=-1.0, dt=0.1)
    with pytest.raises(TypeError, match="nu"):
        navier_stokes_step_residual(w, w, nu=float("nan"), dt=0.1)
    with pytest.raises(ConfigError, match="dt"):
        navier_stokes_step_residual(w, w, nu=0.1, dt=0.0)
    with pytest.raises(TypeError, match="dt"):
        navier_stokes_step_residual(w, w, nu=0.1, dt="1")
    with pytest.raises(ConfigError, match="omega_next"):
        navier_stokes_step_residual(torch.zeros(2, 8, 6), torch.zeros(2, 8, 6), nu=0.1, dt=0.1)
    with pytest.raises(ConfigError, match="omega_prev"):
        navier_stokes_step_residual(w, torch.zeros(1, 8, 8), nu=0.1, dt=0.1)
    with pytest.raises(TypeError, match="omega_prev"):
        navier_stokes_step_residual(w, w.double(), nu=0.1, dt=0.1)
    with pytest.raises(TypeError, match="omega_next"):
        navier_stokes_step_residual(w.long(), w, nu=0.1, dt=0.1)
    with pytest.raises(ConfigError, match="forcing"):
        navier_stokes_step_residual(w, w, nu=0.1, dt=0.1, forcing=torch.zeros(4, 4))
    with pytest.raises(ConfigError, match="forcing"):
        navier_stokes_step_residual(w, w, nu=0.1, dt=0.1, forcing=torch.zeros(3, 8, 8))
    with pytest.raises(ConfigError, match="scheme"):
        navier_stokes_step_residual(w, w, nu=0.1, dt=0.1, scheme="euler")  # type: ignore[arg-type]
