"""On-disk cache of generated PDE data, keyed by a hash of the generator's parameters.

Files live in ``$NNATLAS_CACHE_DIR/pde`` (default ``~/.cache/nnatlas/pde``): one ``.pt`` file of
tensors per parameter set plus a ``.json`` sidecar with the parameters, both written atomically
(temporary file in the same folder, then rename), so concurrent writers and killed processes
never leave a half-written entry behind. A cache folder that cannot be used (a file in the
way, no permission, a full disk) raises a one-line :class:`~nnatlas.core.errors.StorageError`
naming the path and how to avoid it (another ``$NNATLAS_CACHE_DIR``, or ``cache=False``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from nnatlas.core.errors import StorageError
from nnatlas.core.io import atomic_write_bytes, atomic_write_json

__all__ = ["CACHE_ENV", "cache_dir", "cache_key", "cached_tensors"]

CACHE_ENV = "NNATLAS_CACHE_DIR"
"""Environment variable naming the root cache folder; PDE data goes to its ``pde`` subfolder."""

# Bump when a generator's numerics change, so stale entries are never reused.
_FORMAT_VERSION = 1


def cache_dir() -> Path:
    """The folder holding cached PDE data (not created until something is written)."""
    root = os.environ.get(CACHE_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "nnatlas"
    return base / "pde"


def cache_key(kind: str, params: Mapping[str, Any]) -> str:
    """A stable 16-hex-digit key of ``kind`` and the JSON-serialisable ``params``."""
    payload = {"kind": kind, "version": _FORMAT_VERSION, "params": dict(params)}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached_tensors(
    kind: str,
    params: Mapping[str, Any],
    build: Callable[[], dict[str, Tensor]],
    *,
    cache: bool = True,
) -> dict[str, Tensor]:
    """Return ``build()``, loading it from / saving it to the cache when ``cache`` is true.

    Args:
        kind: the generator's name (part of the key and of the file name).
        params: every parameter that determines the output (JSON-serialisable).
        build: computes the tensors; must be a pure function of ``params``.
        cache: ``False`` always computes and never touches the disk.

    Returns:
        A dict of CPU tensors.
    """
    if not cache:
        return build()
    key = cache_key(kind, params)
    path = cache_dir() / f"{kind}-{key}.pt"
    if path.is_file():
        try:
            loaded = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:
            # Any unreadable entry (torn write of an old version, not a pickle, ...) is rebuilt:
            # torch.load raises KeyError/UnpicklingError as well as OSError for those.
            loaded = None
        if isinstance(loaded, dict):
            return loaded
    out = build()
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu().contiguous() for k, v in out.items()}, buffer)
    try:
        atomic_write_bytes(path, buffer.getvalue())
        atomic_write_json(path.with_suffix(".json"), {"kind": kind, "params": dict(params)})
    except StorageError as err:
        wrapped = StorageError(
            f"PDE data cache: {err} (set {CACHE_ENV} to a writable folder, or pass cache=False)"
        )
        wrapped.errno = err.errno
        raise wrapped from None
    return out
