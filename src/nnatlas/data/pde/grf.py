"""Gaussian random fields and the DeepONet antiderivative data set.

* :func:`grf_1d`: samples of a zero-mean GRF on [0, 1] with the RBF (squared-exponential) kernel
  k(x, x') = exp(-|x - x'|² / (2 l²)) on a uniform grid, the input-function space of DeepONet
  (Lu et al., arXiv 1910.03193; official default l = 0.2 on N = 1000 points).
* :func:`antiderivative` and :func:`antiderivative_data`: the operator G(u)(y) = ∫₀^y u, i.e.
  s' = u, s(0) = 0, evaluated exactly for the piecewise-linear interpolant of the grid samples.
* :func:`grf_2d_periodic`, :func:`sine_series_2d`, :func:`cosine_series_2d`: 2-D fields with the
  Matérn-like spectrum (c|k|² + τ²)^(-α/2) used by the FNO data (Li et al., arXiv 2010.08895):
  periodic (FFT), zero on the boundary (sine series) and Neumann-type (cosine series).

Deviations from DeepONet's code: the RBF covariance is factorised by a symmetric eigen-
decomposition with negative eigenvalues clipped (robust where Cholesky needs a jitter), and the
input function between grid points is the linear (not cubic) interpolant — the antiderivative
targets are exact for that interpolant, so inputs and targets are consistent to rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive, check_tensor
from nnatlas.data._split import check_float_dtype
from nnatlas.data.pde._cache import cached_tensors

__all__ = [
    "AntiderivativeData",
    "antiderivative",
    "antiderivative_data",
    "cosine_series_2d",
    "grf_1d",
    "grf_2d_periodic",
    "interpolate_1d",
    "sine_series_2d",
]


def _generator(seed: int) -> torch.Generator:
    check_int("seed", seed, low=0)
    return torch.Generator().manual_seed(seed)


def grf_1d(
    n_samples: int,
    *,
    grid_size: int = 1000,
    length_scale: float = 0.2,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> tuple[Tensor, Tensor]:
    """Samples of a zero-mean, unit-variance GRF on [0, 1] with an RBF kernel.

    Args:
        n_samples: number of functions.
        grid_size: N, the number of uniform grid points (both ends included).
        length_scale: l in exp(-|x - x'|² / (2 l²)).
        seed: seed of the private generator (the global RNG is not touched).
        dtype: dtype of the returned tensors (the factorisation is done in float64).

    Returns:
        ``(grid, values)``: ``grid`` (N,) and ``values`` (n_samples, N).
    """
    check_int("n_samples", n_samples)
    check_int("grid_size", grid_size, low=2)
    check_positive("length_scale", length_scale)
    grid = torch.linspace(0.0, 1.0, grid_size, dtype=torch.float64)
    cov = torch.exp(-0.5 * (grid[:, None] - grid[None, :]) ** 2 / length_scale**2)
    evals, evecs = torch.linalg.eigh(cov)
    factor = evecs * evals.clamp_min(0.0).sqrt()
    noise = torch.randn(n_samples, grid_size, generator=_generator(seed), dtype=torch.float64)
    return grid.to(dtype), (noise @ factor.T).to(dtype)


def _check_grid_values_points(
    owner: str, grid: object, values: object, points: object
) -> tuple[Tensor, Tensor, Tensor]:
    g = check_tensor("grid", grid, ndim=1, owner=owner)
    v = check_tensor("values", values, ndim=2, owner=owner)
    p = check_tensor("points", points, ndim=(1, 2), owner=owner)
    if g.numel() < 2 or not bool((g[1:] > g[:-1]).all()):
        raise ConfigError(
            f"{owner}: grid must be increasing with at least 2 nodes; got {g.numel()}"
        )
    if v.shape[1] != g.numel():
        raise ConfigError(
            f"{owner}: values must have one column per grid node ({g.numel()}); "
            f"got shape {tuple(v.shape)}"
        )
    if p.dim() == 2 and p.shape[0] != v.shape[0]:
        raise ConfigError(
            f"{owner}: points (batch, q) must have the batch of values ({v.shape[0]}); "
            f"got shape {tuple(p.shape)}"
        )
    return g, v, p


def interpolate_1d(grid: Tensor, values: Tensor, points: Tensor) -> Tensor:
    """Piecewise-linear interpolation of ``values`` on a uniform ``grid`` at ``points``.

    Args:
        grid: (N,) uniform, increasing.
        values: (batch, N).
        points: (batch, q) or (q,) (shared by the batch), inside [grid[0], grid[-1]].

    Returns:
        (batch, q).

    Raises:
        TypeError, ConfigError: a non-tensor, a wrong rank, a grid that is not increasing, or
            shapes that do not match (the message names the argument).
    """
    grid, values, points = _check_grid_values_points("interpolate_1d", grid, values, points)
    n = grid.numel()
    h = (grid[-1] - grid[0]) / (n - 1)
    pts = points.expand(values.shape[0], -1) if points.dim() == 1 else points
    t = ((pts - grid[0]) / h).clamp(0, n - 1)
    k = t.floor().long().clamp(max=n - 2)
    frac = t - k
    left = values.gather(1, k)
    right = values.gather(1, k + 1)
    return left + frac * (right - left)


def antiderivative(grid: Tensor, values: Tensor, points: Tensor) -> Tensor:
    """∫₀^y u for the piecewise-linear interpolant u of ``values`` on a uniform ``grid``.

    Exact for that interpolant (cumulative trapezoid at the nodes, a quadratic inside a cell).

    Args:
        grid: (N,) uniform, starting at the lower integration limit.
        values: (batch, N) samples of u.
        points: (batch, q) or (q,) query points y in [grid[0], grid[-1]].

    Returns:
        (batch, q) values of s(y).

    Raises:
        TypeError, ConfigError: as :func:`interpolate_1d`.
    """
    grid, values, points = _check_grid_values_points("antiderivative", grid, values, points)
    n = grid.numel()
    h = (grid[-1] - grid[0]) / (n - 1)
    cum = torch.cat(
        [
            values.new_zeros(values.shape[0], 1),
            torch.cumsum(0.5 * h * (values[:, 1:] + values[:, :-1]), 1),
        ],
        dim=1,
    )
    pts = points.expand(values.shape[0], -1) if points.dim() == 1 else points
    t = ((pts - grid[0]) / h).clamp(0, n - 1)
    k = t.floor().long().clamp(max=n - 2)
    d = (t - k) * h
    left = values.gather(1, k)
    slope = (values.gather(1, k + 1) - left) / h
    return cum.gather(1, k) + left * d + 0.5 * slope * d * d


@dataclass(frozen=True)
class AntiderivativeData:
    """Operator data for G(u)(y) = ∫₀^y u(x) dx, u ~ GRF.

    Attributes:
        sensors: (m,) sensor locations x_1..x_m (shared by all functions).
        u: (n, m) input functions at the sensors (the branch input).
        y: (n, q, 1) query locations (the trunk input); rows are equal when the queries are shared.
        s: (n, q) G(u)(y).
    """

    sensors: Tensor
    u: Tensor
    y: Tensor
    s: Tensor

    def triples(self) -> tuple[Tensor, Tensor, Tensor]:
        """The pointwise layout: ``(u (n q, m), y (n q, 1), s (n q, 1))``, one row per triple."""
        n, q = self.s.shape
        u = self.u[:, None, :].expand(n, q, -1).reshape(n * q, -1)
        return u, self.y.reshape(n * q, 1), self.s.reshape(n * q, 1)


def antiderivative_data(
    n_functions: int,
    *,
    n_queries: int = 1,
    n_sensors: int = 100,
    length_scale: float = 0.2,
    grid_size: int = 1000,
    shared_queries: bool = False,
    seed: int = 0,
    cache: bool = True,
    dtype: torch.dtype = torch.float32,
) -> AntiderivativeData:
    """The DeepONet antiderivative benchmark: u ~ GRF(l), s' = u, s(0) = 0.

    Official setting (DeepONet's code): l = 0.2, N = 1000 grid points, m = 100 equispaced sensors,
    one uniformly random query point per function (so triples = functions).

    Args:
        n_functions: number of input functions n.
        n_queries: q, query points per function.
        n_sensors: m, equispaced sensors on [0, 1] (both ends included).
        length_scale: l of the RBF kernel.
        grid_size: N, the fine grid the GRF is sampled on.
        shared_queries: ``True``: the same q equispaced points for every function (the Cartesian
            layout); ``False``: q uniform random points per function.
        seed: seed of the private generator; different seeds give independent data sets.
        cache: read/write the on-disk cache (see :mod:`nnatlas.data.pde._cache`).
        dtype: dtype of the returned tensors (everything is computed in float64).

    Returns:
        :class:`AntiderivativeData`.
    """
    check_int("n_functions", n_functions)
    check_float_dtype(dtype)
    check_int("n_queries", n_queries)
    check_int("n_sensors", n_sensors, low=2)
    check_int("grid_size", grid_size, low=2)
    check_positive("length_scale", length_scale)
    params = {
        "n_functions": n_functions,
        "n_queries": n_queries,
        "n_sensors": n_sensors,
        "length_scale": float(length_scale),
        "grid_size": grid_size,
        "shared_queries": bool(shared_queries),
        "seed": seed,
    }

    def build() -> dict[str, Tensor]:
        grid, values = grf_1d(
            n_functions, grid_size=grid_size, length_scale=length_scale, seed=seed
        )
        sensors = torch.linspace(0.0, 1.0, n_sensors, dtype=torch.float64)
        u = interpolate_1d(grid, values, sensors)
        if shared_queries:
            y = torch.linspace(0.0, 1.0, n_queries, dtype=torch.float64).expand(n_functions, -1)
        else:
            # A second stream, so that the functions do not depend on n_queries.
            gen = _generator(seed + 1_000_003)
            y = torch.rand(n_functions, n_queries, generator=gen, dtype=torch.float64)
        s = antiderivative(grid, values, y)
        return {"sensors": sensors, "u": u, "y": y.contiguous(), "s": s}

    out = cached_tensors("antiderivative", params, build, cache=cache)
    return AntiderivativeData(
        sensors=out["sensors"].to(dtype),
        u=out["u"].to(dtype),
        y=out["y"].to(dtype)[..., None],
        s=out["s"].to(dtype),
    )


def _spectrum(k2: Tensor, alpha: float, tau: float, scale: float) -> Tensor:
    # Amplitude (standard deviation) of each mode: τ^(α-1) (c|k|² + τ²)^(-α/2), as in FNO's data.
    return tau ** (alpha - 1.0) * (scale * k2 + tau**2) ** (-alpha / 2.0)


def grf_2d_periodic(
    n_samples: int,
    resolution: int,
    *,
    alpha: float = 2.5,
    tau: float = 7.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """A periodic zero-mean GRF on the grid x_i = i / s of [0, 1)², covariance ∝ (-Δ + τ²)^(-α).

    Args:
        n_samples: number of fields.
        resolution: s, grid points per side.
        alpha, tau: smoothness and inverse length scale.
        seed: seed of the private generator.
        dtype: returned dtype.

    Returns:
        (n_samples, s, s) with zero mean over the grid.
    """
    check_int("n_samples", n_samples)
    check_int("resolution", resolution, low=2)
    check_positive("alpha", alpha)
    check_positive("tau", tau)
    k = torch.fft.fftfreq(resolution, d=1.0 / resolution, dtype=torch.float64)
    k2 = k[:, None] ** 2 + k[None, :] ** 2
    amp = _spectrum(k2, alpha, tau, 4 * math.pi**2)
    amp[0, 0] = 0.0
    noise = torch.randn(
        n_samples, resolution, resolution, generator=_generator(seed), dtype=torch.float64
    )
    # White noise has E|ŵ_k|² = s² and ifft2 divides by s²: the factor s gives the pointwise
    # variance Σ_k amp_k², which converges as s grows (the field is a function, not grid noise).
    field = torch.fft.ifft2(torch.fft.fft2(noise) * amp).real * resolution
    return field.to(dtype)


def _series_2d(
    n_samples: int,
    resolution: int,
    modes: int,
    alpha: float,
    tau: float,
    seed: int,
    kind: str,
) -> Tensor:
    check_int("n_samples", n_samples)
    check_int("resolution", resolution, low=3)
    check_int("modes", modes)
    check_positive("alpha", alpha)
    check_positive("tau", tau)
    x = torch.linspace(0.0, 1.0, resolution, dtype=torch.float64)
    if kind == "sine":
        k = torch.arange(1, modes + 1, dtype=torch.float64)
        basis = torch.sin(math.pi * x[:, None] * k[None, :])
    else:
        k = torch.arange(0, modes, dtype=torch.float64)
        basis = torch.cos(math.pi * x[:, None] * k[None, :])
    amp = _spectrum(k[:, None] ** 2 + k[None, :] ** 2, alpha, tau, math.pi**2)
    if kind == "cosine":
        amp[0, 0] = 0.0  # zero mean, as in FNO's coefficient sampler
    coef = (
        torch.randn(n_samples, modes, modes, generator=_generator(seed), dtype=torch.float64) * amp
    )
    return basis @ coef @ basis.T


def sine_series_2d(
    n_samples: int,
    resolution: int,
    *,
    modes: int = 32,
    alpha: float = 2.0,
    tau: float = 3.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """A GRF vanishing on the boundary of [0, 1]²: Σ c_k sin(π k₁ x) sin(π k₂ y), k ∈ [1, modes]².

    The field is a continuous function evaluated at x_i = i / (s - 1) (both ends included), so
    one seed gives the same function at every resolution.

    Returns:
        (n_samples, s, s), zero on the boundary rows and columns.
    """
    return _series_2d(n_samples, resolution, modes, alpha, tau, seed, "sine").to(dtype)


def cosine_series_2d(
    n_samples: int,
    resolution: int,
    *,
    modes: int = 32,
    alpha: float = 2.0,
    tau: float = 3.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """A zero-mean GRF Σ c_k cos(π k₁ x) cos(π k₂ y), k ∈ [0, modes)², on nodes i / (s - 1).

    FNO's Darcy coefficients threshold this field (α = 2, τ = 3) at zero.

    Returns:
        (n_samples, s, s).
    """
    return _series_2d(n_samples, resolution, modes, alpha, tau, seed, "cosine").to(dtype)
