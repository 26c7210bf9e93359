"""Progress bars: tqdm bars that switch off when output is not a terminal, or when asked to."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from tqdm.auto import tqdm

__all__ = ["progress", "progress_enabled", "set_progress"]

T = TypeVar("T")
_ENABLED: bool | None = None  # None: tqdm decides (on for a TTY, off otherwise)


def set_progress(enabled: bool | None) -> None:
    """``True``/``False`` force bars on/off; ``None`` shows them only on a terminal."""
    global _ENABLED
    _ENABLED = enabled


def progress_enabled() -> bool | None:
    return _ENABLED


def progress(
    iterable: Iterable[T], *, desc: str = "", total: int | None = None, **kw: Any
) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar, honouring :func:`set_progress`."""
    disable = None if _ENABLED is None else not _ENABLED
    bar = tqdm(
        iterable, desc=desc, total=total, disable=disable, leave=False, dynamic_ncols=True, **kw
    )
    with contextlib.closing(bar):
        yield from bar
