"""2-D Poisson problems −Δu = f on the unit square, solved exactly, and data sets of them.

* :func:`solve_poisson_periodic`: periodic grid x_i = i / s; the exact solution of either the
  spectral Laplacian (symbol 4π²|k|²) or the 5-point Laplacian, via the FFT. The mean of f is
  removed (solvability) and u has zero mean.
* :func:`solve_poisson_dirichlet`: nodes x_i = i / (s - 1) with u = 0 on the boundary; the exact
  solution of the 5-point Laplacian via the type-I discrete sine transform (DST-I, written here
  with one real FFT, so no SciPy is needed).
* :func:`poisson_data`: pairs (f, u) with f a random field (periodic GRF or sine series).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive, check_tensor
from nnatlas.data._split import check_float_dtype
from nnatlas.data.pde._cache import cached_tensors
from nnatlas.data.pde.grf import grf_2d_periodic, sine_series_2d

__all__ = [
    "PoissonData",
    "dst1",
    "laplacian_5point",
    "poisson_data",
    "solve_poisson_dirichlet",
    "solve_poisson_periodic",
]


def _check_field(name: str, f: Tensor, low: int) -> None:
    if not isinstance(f, Tensor):
        raise TypeError(f"{name} must be a tensor; got {type(f).__name__}")
    if f.dim() < 2 or f.shape[-1] < low or f.shape[-2] < low:
        raise ConfigError(
            f"{name} must have shape (..., H, W) with H, W >= {low}; got {tuple(f.shape)}"
        )
    if not f.is_floating_point():
        raise TypeError(f"{name} must be a floating tensor; got {f.dtype}")


def dst1(x: Tensor, dim: int = -1) -> Tensor:
    """Unnormalised DST-I along ``dim``: X_k = Σ_{j=1}^{n} x_j sin(π j k / (n + 1)), k = 1..n.

    Its own inverse up to the factor 2 / (n + 1).
    """
    x = check_tensor("x", x, min_ndim=1, finite=False, owner="dst1")
    if isinstance(dim, bool) or not isinstance(dim, int) or not -x.dim() <= dim < x.dim():
        raise ConfigError(f"dst1: dim must be an int in [{-x.dim()}, {x.dim()}); got {dim!r}")
    x = x.movedim(dim, -1)
    n = x.shape[-1]
    zero = x.new_zeros(*x.shape[:-1], 1)
    # Odd extension of length 2(n + 1): its DFT is -2i times the sine transform.
    ext = torch.cat([zero, x, zero, -x.flip(-1)], dim=-1)
    out = -torch.fft.rfft(ext, dim=-1).imag[..., 1 : n + 1] / 2
    return out.movedim(-1, dim)


def laplacian_5point(u: Tensor, *, periodic: bool) -> Tensor:
    """−Δ_h u with the 5-point stencil on the unit square.

    Args:
        u: (..., H, W). ``periodic``: spacing 1/H, 1/W with wrap-around. Otherwise nodes with both
            ends included (spacing 1/(H-1)), the result on the interior and zero on the boundary.
        periodic: boundary treatment.

    Returns:
        (..., H, W).
    """
    u = check_tensor("u", u, min_ndim=2, finite=False, owner="laplacian_5point")
    if not isinstance(periodic, bool):
        raise TypeError(f"laplacian_5point: periodic must be a bool; got {periodic!r}")
    if min(u.shape[-2:]) < 3:
        raise ConfigError(
            f"laplacian_5point: u must be at least 3 x 3 in its last two dims; got {tuple(u.shape)}"
        )
    if periodic:
        hx, hy = 1.0 / u.shape[-2], 1.0 / u.shape[-1]
        return (2 * u - u.roll(1, -2) - u.roll(-1, -2)) / hx**2 + (
            2 * u - u.roll(1, -1) - u.roll(-1, -1)
        ) / hy**2
    hx, hy = 1.0 / (u.shape[-2] - 1), 1.0 / (u.shape[-1] - 1)
    out = torch.zeros_like(u)
    c = u[..., 1:-1, 1:-1]
    out[..., 1:-1, 1:-1] = (2 * c - u[..., :-2, 1:-1] - u[..., 2:, 1:-1]) / hx**2 + (
        2 * c - u[..., 1:-1, :-2] - u[..., 1:-1, 2:]
    ) / hy**2
    return out


def solve_poisson_periodic(
    f: Tensor, *, stencil: Literal["spectral", "5point"] = "spectral"
) -> Tensor:
    """Solve −Δu = f − mean(f) on the periodic unit square, mean(u) = 0.

    Args:
        f: (..., H, W) on x_i = i / H, y_j = j / W.
        stencil: ``spectral`` (exact for trigonometric polynomials resolved by the grid) or
            ``5point`` (exact solution of the 5-point discrete Laplacian).

    Returns:
        u: (..., H, W), same dtype as f.
    """
    _check_field("f", f, 2)
    if stencil not in ("spectral", "5point"):
        raise ConfigError(f"stencil must be 'spectral' or '5point'; got {stencil!r}")
    h, w = f.shape[-2:]
    kx = torch.fft.fftfreq(h, d=1.0 / h, dtype=torch.float64)[:, None]
    ky = torch.fft.rfftfreq(w, d=1.0 / w, dtype=torch.float64)[None, :]
    if stencil == "spectral":
        symbol = 4 * math.pi**2 * (kx**2 + ky**2)
    else:
        symbol = (
            4 * h**2 * torch.sin(math.pi * kx / h) ** 2
            + 4 * w**2 * torch.sin(math.pi * ky / w) ** 2
        )
    symbol[0, 0] = 1.0
    fhat = torch.fft.rfft2(f.to(torch.float64))
    uhat = fhat / symbol
    uhat[..., 0, 0] = 0.0
    return torch.fft.irfft2(uhat, s=(h, w)).to(f.dtype)


def solve_poisson_dirichlet(f: Tensor) -> Tensor:
    """Exact solution of −Δ_h u = f (5-point stencil) on nodes of [0, 1]², u = 0 on the boundary.

    Args:
        f: (..., s, s) (or (..., H, W)) on nodes i / (H - 1), both ends included; its boundary
            values are ignored.

    Returns:
        u: (..., H, W), zero on the boundary, same dtype as f.
    """
    _check_field("f", f, 3)
    h, w = f.shape[-2:]
    nx, ny = h - 2, w - 2
    kx = torch.arange(1, nx + 1, dtype=torch.float64)[:, None]
    ky = torch.arange(1, ny + 1, dtype=torch.float64)[None, :]
    eig = (
        4 * (h - 1) ** 2 * torch.sin(math.pi * kx / (2 * (nx + 1))) ** 2
        + 4 * (w - 1) ** 2 * torch.sin(math.pi * ky / (2 * (ny + 1))) ** 2
    )
    inner = f[..., 1:-1, 1:-1].to(torch.float64)
    coef = dst1(dst1(inner, -1), -2) / eig
    u_in = dst1(dst1(coef, -1), -2) * (4.0 / ((nx + 1) * (ny + 1)))
    u = torch.zeros(f.shape, dtype=torch.float64)
    u[..., 1:-1, 1:-1] = u_in
    return u.to(f.dtype)


@dataclass(frozen=True)
class PoissonData:
    """Pairs of a source f and the solution u of −Δu = f.

    Attributes:
        f: (n, s, s) sources.
        u: (n, s, s) solutions.
        grid: (s,) coordinates along each axis (periodic: i / s; Dirichlet: i / (s - 1)).
        boundary: ``periodic`` or ``dirichlet``.
    """

    f: Tensor
    u: Tensor
    grid: Tensor
    boundary: str


def poisson_data(
    n_samples: int,
    resolution: int,
    *,
    boundary: Literal["periodic", "dirichlet"] = "dirichlet",
    alpha: float = 2.0,
    tau: float = 3.0,
    modes: int = 32,
    seed: int = 0,
    cache: bool = True,
    dtype: torch.dtype = torch.float32,
) -> PoissonData:
    """Random sources and the exact discrete solutions of −Δu = f.

    Args:
        n_samples: number of pairs.
        resolution: s, grid points per side (Dirichlet: including both boundary nodes).
        boundary: ``periodic`` (GRF source, spectral solve) or ``dirichlet`` (sine-series source,
            5-point DST solve).
        alpha, tau: the source's spectrum (c|k|² + τ²)^(-α/2).
        modes: modes per axis of the sine series (Dirichlet only).
        seed: private generator seed.
        cache: use the on-disk cache.
        dtype: returned dtype (computed in float64).
    """
    check_int("n_samples", n_samples)
    check_int("resolution", resolution, low=3 if boundary == "dirichlet" else 2)
    if boundary not in ("periodic", "dirichlet"):
        raise ConfigError(f"boundary must be 'periodic' or 'dirichlet'; got {boundary!r}")
    check_positive("alpha", alpha)
    check_positive("tau", tau)
    check_int("modes", modes)
    check_float_dtype(dtype)
    params = {
        "n_samples": n_samples,
        "resolution": resolution,
        "boundary": boundary,
        "alpha": float(alpha),
        "tau": float(tau),
        "modes": modes,
        "seed": seed,
    }

    def build() -> dict[str, Tensor]:
        if boundary == "periodic":
            f = grf_2d_periodic(n_samples, resolution, alpha=alpha, tau=tau, seed=seed)
            return {"f": f, "u": solve_poisson_periodic(f)}
        f = sine_series_2d(n_samples, resolution, modes=modes, alpha=alpha, tau=tau, seed=seed)
        return {"f": f, "u": solve_poisson_dirichlet(f)}

    out = cached_tensors("poisson", params, build, cache=cache)
    if boundary == "periodic":
        grid = torch.arange(resolution, dtype=dtype) / resolution
    else:
        grid = torch.linspace(0.0, 1.0, resolution, dtype=dtype)
    return PoissonData(f=out["f"].to(dtype), u=out["u"].to(dtype), grid=grid, boundary=boundary)
