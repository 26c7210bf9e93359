"""The PDE data cache: the ``pde`` namespace of :mod:`nnatlas.core.cache`.

Files live in ``$NNATLAS_CACHE_DIR/pde`` (default ``~/.cache/nnatlas/pde``), written atomically;
an unusable folder raises a one-line :class:`~nnatlas.core.errors.StorageError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from nnatlas.core import cache as _core_cache
from nnatlas.core.cache import CACHE_ENV
from nnatlas.core.validation import check_int, check_positive
from nnatlas.data._split import check_float_dtype

__all__ = ["CACHE_ENV", "cache_dir", "cached_tensors", "evolution_params"]

_NAMESPACE = "pde"
# Bump when a generator's numerics change, so stale entries are never reused.
_FORMAT_VERSION = 1


def cache_dir() -> Path:
    """The folder holding cached PDE data (not created until something is written)."""
    return _core_cache.cache_dir(_NAMESPACE)


def cached_tensors(
    kind: str,
    params: Mapping[str, Any],
    build: Callable[[], dict[str, Tensor]],
    *,
    cache: bool = True,
) -> dict[str, Tensor]:
    """Return ``build()`` through the ``pde`` cache (see :func:`nnatlas.core.cache.cached_tensors`)."""
    return _core_cache.cached_tensors(
        _NAMESPACE, kind, params, build, cache=cache, version=_FORMAT_VERSION
    )


def evolution_params(
    *,
    n_samples: int,
    resolution: int,
    viscosity: float,
    t_final: float,
    dt: float,
    n_snapshots: int,
    seed: int,
    dtype: torch.dtype,
) -> dict[str, Any]:
    """Check the arguments every time-dependent generator shares; return its cache key.

    Raises:
        ConfigError / TypeError: one line naming the argument, as the generators document.
    """
    check_int("n_samples", n_samples)
    check_int("resolution", resolution, low=4)
    check_positive("viscosity", viscosity)
    check_positive("t_final", t_final)
    check_positive("dt", dt)
    check_int("n_snapshots", n_snapshots)
    check_float_dtype(dtype)
    return {
        "n_samples": n_samples,
        "resolution": resolution,
        "viscosity": float(viscosity),
        "t_final": float(t_final),
        "dt": float(dt),
        "n_snapshots": n_snapshots,
        "seed": seed,
    }
