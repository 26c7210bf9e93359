"""The PDE data cache: the ``pde`` namespace of :mod:`nnatlas.core.cache`.

Files live in ``$NNATLAS_CACHE_DIR/pde`` (default ``~/.cache/nnatlas/pde``), written atomically;
an unusable folder raises a one-line :class:`~nnatlas.core.errors.StorageError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from torch import Tensor

from nnatlas.core import cache as _core_cache
from nnatlas.core.cache import CACHE_ENV

__all__ = ["CACHE_ENV", "cache_dir", "cached_tensors"]

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
