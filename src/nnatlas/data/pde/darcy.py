"""2-D Darcy flow −∇·(a ∇u) = f on [0, 1]² with u = 0 on the boundary, as in FNO's data.

* :func:`solve_darcy`: a 5-point finite-volume discretisation on the nodes x_i = i / (s − 1)
  (both ends included, so s counts boundary nodes): the flux through the face between two
  neighbouring nodes uses the harmonic mean of their coefficients, which is exact for a
  coefficient that jumps across that face. One sparse LU solve (``scipy.sparse``) per sample.
* :func:`darcy_coefficients`: FNO's piecewise-constant coefficient, a cosine-series GRF
  (α = 2, τ = 3) thresholded at zero to ``a_high`` (≥ 0) or ``a_low`` (< 0): 12 and 3 in FNO.
* :func:`darcy_data`: coefficients and solutions on **nested** grids: the coefficient is drawn at
  the finest resolution and every coarser grid is an exact subsampling of it, so one seed gives
  the same input function at every resolution (what zero-shot super-resolution tests need).

Deviations from FNO's data (Li et al., arXiv 2010.08895): FNO solved on a 421² grid with its own
second-order finite-difference scheme (MATLAB) and subsampled; we solve at the finest requested
grid (or at each grid, ``coarse_targets="solve"``). Needs SciPy (extra ``pde``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.optional import require
from nnatlas.core.validation import check_int, check_positive
from nnatlas.data._split import check_float_dtype
from nnatlas.data.pde._cache import cached_tensors
from nnatlas.data.pde.grf import cosine_series_2d

__all__ = ["DarcyData", "darcy_coefficients", "darcy_data", "darcy_operator", "solve_darcy"]


def _harmonic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 2.0 * a * b / (a + b)


def darcy_operator(a: np.ndarray) -> object:
    """The sparse matrix of −∇·(a∇·) on the interior nodes (row-major), as ``scipy.sparse.csc``.

    Args:
        a: (s, s) positive node coefficients, nodes i / (s − 1).
    """
    if not isinstance(a, np.ndarray) or a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 3:
        got = a.shape if isinstance(a, np.ndarray) else type(a).__name__
        raise ConfigError(
            f"darcy_operator: a must be a square (s, s) numpy array, s >= 3; got {got}"
        )
    if not np.isfinite(a).all() or not (a > 0).all():
        raise ConfigError("darcy_operator: a must be finite and positive everywhere")
    sparse = require("scipy.sparse", "pde")
    s = a.shape[0]
    n = s - 2
    inv_h2 = float((s - 1) ** 2)
    idx = np.arange(n * n).reshape(n, n)
    center = a[1:-1, 1:-1]
    diag = np.zeros((n, n))
    rows, cols, vals = [], [], []
    for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        nb = a[1 + di : s - 1 + di, 1 + dj : s - 1 + dj]
        face = _harmonic(center, nb) * inv_h2
        diag += face
        # Neighbours that are interior nodes couple; boundary neighbours have u = 0.
        ii = np.arange(n)[:, None] + di
        jj = np.arange(n)[None, :] + dj
        mask = (ii >= 0) & (ii < n) & (jj >= 0) & (jj < n)
        mask = np.broadcast_to(mask, (n, n))
        rows.append(idx[mask])
        cols.append(idx[np.clip(ii, 0, n - 1), np.clip(jj, 0, n - 1)][mask])
        vals.append(-face[mask])
    rows.append(idx.ravel())
    cols.append(idx.ravel())
    vals.append(diag.ravel())
    return sparse.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n * n, n * n)
    )


def solve_darcy(a: Tensor, f: Tensor | float = 1.0) -> Tensor:
    """Solve −∇·(a∇u) = f with u = 0 on the boundary of [0, 1]² (5-point finite volumes).

    Args:
        a: (s, s) or (batch, s, s) positive coefficients at the nodes i / (s − 1), s ≥ 3.
        f: a scalar or a tensor broadcastable to ``a`` (boundary values are ignored).

    Returns:
        u: same shape and dtype as ``a``, zero on the boundary.
    """
    linalg = require("scipy.sparse.linalg", "pde")
    if not isinstance(a, Tensor) or a.dim() not in (2, 3):
        shape = tuple(a.shape) if isinstance(a, Tensor) else type(a).__name__
        raise ConfigError(f"a must be a tensor of shape (s, s) or (batch, s, s); got {shape}")
    s = a.shape[-1]
    if a.shape[-2] != s or s < 3:
        raise ConfigError(f"a must be square with side >= 3; got shape {tuple(a.shape)}")
    if not bool((a > 0).all()):
        raise ConfigError("a must be positive everywhere (an elliptic problem needs a > 0)")
    batch = a.reshape(-1, s, s).detach().cpu().double().numpy()
    rhs = torch.broadcast_to(torch.as_tensor(f, dtype=torch.float64), a.shape).reshape(-1, s, s)
    rhs_np = rhs.detach().cpu().numpy()
    out = np.zeros_like(batch)
    for b in range(batch.shape[0]):
        matrix = darcy_operator(batch[b])
        out[b, 1:-1, 1:-1] = linalg.spsolve(matrix, rhs_np[b, 1:-1, 1:-1].ravel()).reshape(
            s - 2, s - 2
        )
    return torch.from_numpy(out).reshape(a.shape).to(a.dtype)


def darcy_coefficients(
    n_samples: int,
    resolution: int,
    *,
    a_high: float = 12.0,
    a_low: float = 3.0,
    alpha: float = 2.0,
    tau: float = 3.0,
    modes: int = 32,
    seed: int = 0,
) -> Tensor:
    """FNO-style piecewise-constant coefficients on nodes i / (s − 1): (n, s, s) float64."""
    for name, value in (("a_high", a_high), ("a_low", a_low)):
        check_positive(name, value)
    field = cosine_series_2d(n_samples, resolution, modes=modes, alpha=alpha, tau=tau, seed=seed)
    return torch.where(field >= 0, a_high, a_low).to(torch.float64)


@dataclass(frozen=True)
class DarcyData:
    """Darcy pairs on nested grids.

    Attributes:
        resolutions: the grid sizes s (nodes per side, boundary included), ascending.
        a: resolution -> (n, s, s) coefficients; coarser ones are exact subsamplings of the finest.
        u: resolution -> (n, s, s) solutions (zero on the boundary).
    """

    resolutions: tuple[int, ...]
    a: dict[int, Tensor]
    u: dict[int, Tensor]

    def at(self, resolution: int) -> tuple[Tensor, Tensor]:
        """``(a, u)`` at one resolution, each (n, s, s)."""
        if resolution not in self.a:
            raise ConfigError(
                f"resolution {resolution} was not generated; have {list(self.resolutions)}"
            )
        return self.a[resolution], self.u[resolution]

    @staticmethod
    def grid(resolution: int, dtype: torch.dtype = torch.float32) -> Tensor:
        """The node coordinates i / (s − 1) along each axis: (s,)."""
        return torch.linspace(0.0, 1.0, resolution, dtype=dtype)


def _nested_resolutions(resolutions: tuple[int, ...] | int) -> tuple[int, ...]:
    """The sorted distinct grid sizes, each (s - 1) dividing (s_max - 1); else ConfigError."""
    if isinstance(resolutions, int):
        res: tuple[int, ...] = (resolutions,)
    elif isinstance(resolutions, tuple | list):
        res = tuple(resolutions)
    else:
        raise TypeError(
            f"resolutions must be an int or a tuple of ints; got {type(resolutions).__name__}"
        )
    if not res:
        raise ConfigError("resolutions must name at least one grid size")
    for r in res:
        check_int("resolutions", r, low=3)
    res = tuple(sorted(set(res)))
    finest = res[-1]
    bad = [r for r in res if (finest - 1) % (r - 1)]
    if bad:
        raise ConfigError(
            f"resolutions must be nested: (s - 1) must divide {finest - 1} for every s; got {list(bad)}"
        )
    return res


def _nested_solutions(
    a_fine: Tensor, res: tuple[int, ...], forcing: float, coarse_targets: str
) -> dict[str, Tensor]:
    """``{"a<s>", "u<s>"}`` for every s in ``res``: exact subsamplings of the finest grid."""
    finest = res[-1]
    u_fine = solve_darcy(a_fine, forcing)
    out: dict[str, Tensor] = {}
    for r in res:
        step = (finest - 1) // (r - 1)
        a_r = a_fine[:, ::step, ::step].contiguous()
        out[f"a{r}"] = a_r
        if r == finest or coarse_targets == "subsample":
            out[f"u{r}"] = u_fine[:, ::step, ::step].contiguous()
        else:
            out[f"u{r}"] = solve_darcy(a_r, forcing)
    return out


def darcy_data(
    n_samples: int,
    resolutions: tuple[int, ...] | int = (33, 65),
    *,
    forcing: float = 1.0,
    a_high: float = 12.0,
    a_low: float = 3.0,
    alpha: float = 2.0,
    tau: float = 3.0,
    modes: int = 32,
    coarse_targets: Literal["subsample", "solve"] = "subsample",
    seed: int = 0,
    cache: bool = True,
    dtype: torch.dtype = torch.float32,
) -> DarcyData:
    """FNO-style Darcy data (−∇·(a∇u) = forcing, u = 0 on ∂Ω) on nested grids.

    Args:
        n_samples: number of coefficient fields.
        resolutions: grid sizes s (nodes per side, boundary included); each (s − 1) must divide
            (s_max − 1), e.g. (17, 33, 65).
        forcing: the constant right-hand side f.
        a_high, a_low: coefficient values where the GRF is ≥ 0 / < 0.
        alpha, tau, modes: the GRF's spectrum and truncation.
        coarse_targets: ``subsample``: coarse solutions are the finest solution subsampled (FNO's
            convention: the same function at every resolution, one solve); ``solve``: each
            resolution is solved on its own grid.
        seed: private generator seed.
        cache: use the on-disk cache.
        dtype: returned dtype (solved in float64).

    Returns:
        :class:`DarcyData`.
    """
    check_int("n_samples", n_samples)
    res = _nested_resolutions(resolutions)
    finest = res[-1]
    if coarse_targets not in ("subsample", "solve"):
        raise ConfigError(f"coarse_targets must be 'subsample' or 'solve'; got {coarse_targets!r}")
    if isinstance(forcing, bool) or not isinstance(forcing, int | float):
        raise TypeError(f"forcing must be a number; got {type(forcing).__name__} {forcing!r}")
    if not math.isfinite(forcing):
        raise ConfigError(f"forcing must be a finite number; got {forcing}")
    for name, value in (("a_high", a_high), ("a_low", a_low), ("alpha", alpha), ("tau", tau)):
        check_positive(name, value)
    check_int("modes", modes)
    check_float_dtype(dtype)
    params = {
        "n_samples": n_samples,
        "resolutions": list(res),
        "forcing": float(forcing),
        "a_high": float(a_high),
        "a_low": float(a_low),
        "alpha": float(alpha),
        "tau": float(tau),
        "modes": modes,
        "coarse_targets": coarse_targets,
        "seed": seed,
    }

    def build() -> dict[str, Tensor]:
        a_fine = darcy_coefficients(
            n_samples, finest, a_high=a_high, a_low=a_low, alpha=alpha, tau=tau, modes=modes,
            seed=seed,
        )  # fmt: skip
        return _nested_solutions(a_fine, res, forcing, coarse_targets)

    out = cached_tensors("darcy", params, build, cache=cache)
    return DarcyData(
        resolutions=res,
        a={r: out[f"a{r}"].to(dtype) for r in res},
        u={r: out[f"u{r}"].to(dtype) for r in res},
    )
