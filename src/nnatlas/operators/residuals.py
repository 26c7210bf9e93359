"""Implicit Navier–Stokes step residual for data-free operator training (LordNet's second PDE:
Huang et al., "LordNet: an efficient neural network for learning to solve parametric PDEs
without simulated data", arXiv 2206.09418).

For 2-D incompressible flow in vorticity form on the periodic unit square,

    ∂ω/∂t + u·∇ω = ν Δω + f,   u = (∂ψ/∂y, −∂ψ/∂x),   −Δψ = ω,

a network that maps ω_t to ω_{t+1} can be trained without a solver by making the residual of
one *implicit* time step small. Two schemes are offered:

* ``"backward_euler"`` (default, the formula LordNet trains on):
  R = (ω_{t+1} − ω_t)/dt + N(ω_{t+1}) − ν Δω_{t+1} − f;
* ``"crank_nicolson"``: the spatial operator averaged over both time levels,
  R = (ω_{t+1} − ω_t)/dt + ½[N(ω_{t+1}) + N(ω_t)] − ½ν Δ(ω_{t+1} + ω_t) − f,

with N(ω) = u(ω)·∇ω. All spatial derivatives are spectral on the grid x_i = i / n (real 2-D
FFT), with the conventions of :func:`nnatlas.data.pde.navier_stokes.solve_navier_stokes`: the
mean of ψ is set to zero, and the advection term is dealiased by the 2/3 rule (∇ω is
dealiased before the product, the product after it; ``dealias=False`` switches both off).

Deviations from the paper: LordNet's exact discretisation of the NS step (its grid, scheme and
dealiasing) is not public; the spectral discretisation above is ours, chosen to match the
repository's own solver so that a solver step can be checked against the residual.

Non-finite values are not scanned for: a NaN in a field gives NaN residuals.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError

__all__ = ["mean_squared_ns_residual", "navier_stokes_step_residual"]

Scheme = Literal["backward_euler", "crank_nicolson"]
_SCHEMES = ("backward_euler", "crank_nicolson")


def _number(name: str, value: object, *, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number; got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name} must be {'>= 0' if allow_zero else '> 0'}; got {value}")
    return float(value)


def _check_fields(omega_next: Tensor, omega_prev: Tensor, forcing: Tensor | None) -> int:
    for name, t in (("omega_next", omega_next), ("omega_prev", omega_prev), ("forcing", forcing)):
        if t is None and name == "forcing":
            continue
        if not isinstance(t, Tensor) or not t.is_floating_point():
            kind = t.dtype if isinstance(t, Tensor) else type(t).__name__
            raise TypeError(f"{name} must be a real floating tensor; got {kind}")
    shape = tuple(omega_next.shape)
    if omega_next.dim() < 2 or shape[-1] != shape[-2] or shape[-1] < 4:
        raise ConfigError(f"omega_next must have shape (..., n, n) with n >= 4; got {shape}")
    if tuple(omega_prev.shape) != shape:
        raise ConfigError(
            f"omega_prev must have the shape of omega_next {shape}; got {tuple(omega_prev.shape)}"
        )
    if omega_prev.dtype != omega_next.dtype:
        raise TypeError(
            f"omega_prev must have the dtype of omega_next ({omega_next.dtype}); "
            f"got {omega_prev.dtype}"
        )
    if forcing is not None:
        ok = forcing.dim() >= 2 and tuple(forcing.shape[-2:]) == shape[-2:]
        try:
            torch.broadcast_shapes(forcing.shape, omega_next.shape)
        except RuntimeError:
            ok = False
        if not ok:
            raise ConfigError(
                f"forcing must have shape (n, n) or broadcast to omega_next {shape}; "
                f"got {tuple(forcing.shape)}"
            )
    return shape[-1]


class _Spectral:
    """Wavenumber arrays of the real 2-D FFT on the periodic unit square with n points a side."""

    def __init__(self, n: int, dtype: torch.dtype, device: torch.device) -> None:
        self.n = n
        kx = torch.fft.fftfreq(n, d=1.0 / n, dtype=dtype, device=device)[:, None]
        ky = torch.fft.rfftfreq(n, d=1.0 / n, dtype=dtype, device=device)[None, :]
        self.lap = 4 * math.pi**2 * (kx**2 + ky**2)  # symbol of −Δ
        self.inv_lap = torch.where(
            self.lap > 0, 1.0 / self.lap.clamp_min(1e-30), torch.zeros_like(self.lap)
        )
        self.keep = ((kx.abs() < n / 3) & (ky < n / 3)).to(dtype)
        self.dx = 2j * math.pi * kx
        self.dy = 2j * math.pi * ky

    def irfft(self, x: Tensor) -> Tensor:
        return torch.fft.irfft2(x, s=(self.n, self.n))

    def advection(self, wh: Tensor, dealias: bool) -> Tensor:
        """u·∇ω in physical space from ω̂."""
        keep = self.keep if dealias else torch.ones_like(self.keep)
        psi = wh * self.inv_lap
        ux = self.irfft(self.dy * psi)
        uy = self.irfft(-self.dx * psi)
        wx = self.irfft(self.dx * wh * keep)
        wy = self.irfft(self.dy * wh * keep)
        return self.irfft(torch.fft.rfft2(ux * wx + uy * wy) * keep)

    def spatial(self, wh: Tensor, nu: float, dealias: bool) -> Tensor:
        """N(ω) − νΔω in physical space."""
        return self.advection(wh, dealias) + self.irfft(nu * self.lap * wh)


def navier_stokes_step_residual(
    omega_next: Tensor,
    omega_prev: Tensor,
    *,
    nu: float,
    dt: float,
    forcing: Tensor | None = None,
    scheme: Scheme = "backward_euler",
    dealias: bool = True,
) -> Tensor:
    """Residual of one implicit vorticity step on the periodic unit square (see module doc).

    Args:
        omega_next: (..., n, n) candidate ω_{t+1} on x_i = i / n, n ≥ 4 (e.g. a network output).
        omega_prev: (..., n, n) the known ω_t, same shape and dtype.
        nu: viscosity ν ≥ 0.
        dt: time step > 0.
        forcing: f, of shape (n, n) or broadcastable to the fields; ``None`` means f = 0 (not
            FNO's forcing: pass :func:`~nnatlas.data.pde.navier_stokes.fno_forcing` for that).
        scheme: ``"backward_euler"`` or ``"crank_nicolson"``.
        dealias: apply the 2/3 rule to the advection term.

    Returns:
        (..., n, n) residual in the dtype of the inputs; differentiable in both fields.
    """
    nu = _number("nu", nu, allow_zero=True)
    dt = _number("dt", dt, allow_zero=False)
    if scheme not in _SCHEMES:
        raise ConfigError(f"scheme must be one of {list(_SCHEMES)}; got {scheme!r}")
    n = _check_fields(omega_next, omega_prev, forcing)
    ops = _Spectral(n, omega_next.dtype, omega_next.device)
    r = (omega_next - omega_prev) / dt
    op_next = ops.spatial(torch.fft.rfft2(omega_next), nu, dealias)
    if scheme == "backward_euler":
        r = r + op_next
    else:
        r = r + 0.5 * (op_next + ops.spatial(torch.fft.rfft2(omega_prev), nu, dealias))
    if forcing is not None:
        r = r - forcing.to(r.dtype)
    return r


def mean_squared_ns_residual(
    omega_next: Tensor,
    omega_prev: Tensor,
    *,
    nu: float,
    dt: float,
    forcing: Tensor | None = None,
    scheme: Scheme = "backward_euler",
    dealias: bool = True,
    normalize: bool = True,
) -> Tensor:
    """Mean squared step residual over the batch and the grid (LordNet's MSR loss for NS).

    Args:
        omega_next, omega_prev, nu, dt, forcing, scheme, dealias: as in
            :func:`navier_stokes_step_residual`.
        normalize: divide by the (detached) mean squared residual of the "do nothing" guess
            ω_{t+1} = ω_t, so the loss is 1 for that guess whatever the scale of the data.

    Returns:
        a scalar tensor.
    """

    def msr(candidate: Tensor) -> Tensor:
        r = navier_stokes_step_residual(
            candidate, omega_prev, nu=nu, dt=dt, forcing=forcing, scheme=scheme, dealias=dealias
        )
        return r.pow(2).mean()

    loss = msr(omega_next)
    if normalize:
        with torch.no_grad():
            ref = msr(omega_prev)
        loss = loss / ref.clamp_min(torch.finfo(ref.dtype).tiny)
    return loss
