"""An on-disk cache of computed tensors and trained weights, keyed by what determines them.

Anything expensive that is a pure function of its parameters — generated PDE or ODE data, a
backbone pretrained in-process, passage embeddings of a corpus under an encoder, a tiny language
model pretrained on a synthetic world — is cached here rather than recomputed by every run:

* :func:`cached_tensors` caches a ``dict[str, Tensor]`` returned by a builder;
* :func:`cached_module` caches the ``state_dict`` of a module after a training function.

Entries live in ``$NNATLAS_CACHE_DIR/<namespace>`` (default ``~/.cache/nnatlas/<namespace>``):
one ``.pt`` file of tensors per parameter set plus a ``.json`` sidecar naming the parameters, both
written atomically through :mod:`nnatlas.core.io` (temporary file in the same folder, then
rename), so concurrent writers and killed processes never leave a half-written entry behind and
a torn or unreadable entry is rebuilt. A cache folder that cannot be used (a file in the way, no
permission, a full disk) raises a one-line :class:`~nnatlas.core.errors.StorageError` naming the
path and how to avoid it (another ``$NNATLAS_CACHE_DIR``, or ``cache=False``).

The key is a hash of ``kind``, ``version`` and the JSON form of ``params``: the caller passes
every parameter the result depends on, and bumps ``version`` when the numerics of the builder
change, so that a stale entry is never reused.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, StorageError
from nnatlas.core.io import atomic_write_bytes, atomic_write_json

__all__ = ["CACHE_ENV", "cache_dir", "cache_key", "cache_root", "cached_module", "cached_tensors"]

CACHE_ENV = "NNATLAS_CACHE_DIR"
"""Environment variable naming the root cache folder; each namespace is a subfolder of it."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
M = TypeVar("M", bound=nn.Module)


def _check_name(arg: str, value: object) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ConfigError(
            f"{arg} must be a non-empty name of letters, digits, '_', '.' or '-' (it becomes "
            f"part of a file name); got {value!r}"
        )
    return value


def cache_root() -> Path:
    """The root cache folder: ``$NNATLAS_CACHE_DIR``, else ``~/.cache/nnatlas``."""
    root = os.environ.get(CACHE_ENV)
    return Path(root).expanduser() if root else Path.home() / ".cache" / "nnatlas"


def cache_dir(namespace: str) -> Path:
    """The folder holding the entries of ``namespace`` (not created until something is written)."""
    return cache_root() / _check_name("namespace", namespace)


def cache_key(kind: str, params: Mapping[str, Any], *, version: int = 1) -> str:
    """A stable 16-hex-digit key of ``kind``, ``version`` and the JSON-serialisable ``params``."""
    if not isinstance(params, Mapping):
        raise ConfigError(f"params must be a mapping of parameter names to values; got {params!r}")
    payload = {"kind": kind, "version": version, "params": dict(params)}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _entry(namespace: str, kind: str, params: Mapping[str, Any], version: int) -> Path:
    _check_name("kind", kind)
    return cache_dir(namespace) / f"{kind}-{cache_key(kind, params, version=version)}.pt"


def _load(path: Path) -> dict[str, Tensor] | None:
    if not path.is_file():
        return None
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        # Any unreadable entry (a torn write of an old version, not a pickle, ...) is rebuilt:
        # torch.load raises KeyError/UnpicklingError as well as OSError for those.
        return None
    if not isinstance(loaded, dict) or not all(isinstance(v, Tensor) for v in loaded.values()):
        return None
    return loaded


def _store(
    path: Path, namespace: str, kind: str, params: Mapping[str, Any], out: Mapping[str, Tensor]
) -> None:
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu().contiguous() for k, v in out.items()}, buffer)
    try:
        atomic_write_bytes(path, buffer.getvalue())
        atomic_write_json(path.with_suffix(".json"), {"kind": kind, "params": dict(params)})
    except StorageError as err:
        wrapped = StorageError(
            f"{namespace} cache: {err} (set {CACHE_ENV} to a writable folder, or pass cache=False)"
        )
        wrapped.errno = err.errno
        raise wrapped from None


def cached_tensors(
    namespace: str,
    kind: str,
    params: Mapping[str, Any],
    build: Callable[[], Mapping[str, Tensor]],
    *,
    cache: bool = True,
    version: int = 1,
) -> dict[str, Tensor]:
    """Return ``build()``, loading it from / saving it to the cache when ``cache`` is true.

    Args:
        namespace: the subfolder of the cache (``"pde"``, ``"ode"``, ``"backbones"``, ...).
        kind: the builder's name (part of the key and of the file name).
        params: every parameter that determines the output (JSON-serialisable).
        build: computes the tensors; must be a pure function of ``params``.
        cache: ``False`` always computes and never touches the disk.
        version: bump when the builder's numerics change.

    Returns:
        A dict of CPU tensors (those of the entry when one was read).
    """
    if not cache:
        return dict(build())
    path = _entry(namespace, kind, params, version)
    loaded = _load(path)
    if loaded is not None:
        return loaded
    out = dict(build())
    if not all(isinstance(v, Tensor) for v in out.values()):
        raise TypeError(f"build() for {namespace}/{kind} must return a dict of tensors")
    _store(path, namespace, kind, params, out)
    return out


def cached_module(
    module: M,
    namespace: str,
    kind: str,
    params: Mapping[str, Any],
    train: Callable[[M], object],
    *,
    cache: bool = True,
    version: int = 1,
) -> M:
    """Load ``module``'s trained weights from the cache, or call ``train(module)`` and store them.

    The entry holds the module's whole ``state_dict`` (parameters and buffers); it is used only
    when its names and shapes are exactly the module's, so a changed architecture that the
    caller forgot to put in ``params`` retrains rather than loading the wrong weights.

    Args:
        module: the freshly built module (its architecture must be determined by ``params``).
        namespace, kind, params, cache, version: as for :func:`cached_tensors`; ``params``
            must name the architecture, the training data and the training recipe.
        train: trains ``module`` in place (its return value is ignored); must be a pure
            function of ``params`` for the cache to be sound.

    Returns:
        ``module``, trained or loaded.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be an nn.Module; got {type(module).__name__}")
    if not cache:
        train(module)
        return module
    path = _entry(namespace, kind, params, version)
    loaded = _load(path)
    current = module.state_dict()
    if (
        loaded is not None
        and loaded.keys() == current.keys()
        and all(loaded[k].shape == current[k].shape for k in current)
    ):
        module.load_state_dict(loaded)
        return module
    train(module)
    _store(path, namespace, kind, params, module.state_dict())
    return module
