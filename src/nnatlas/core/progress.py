"""Progress bars: tqdm bars that switch off when output is not a terminal, or when asked to."""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm

__all__ = ["progress_bar", "progress_enabled", "set_progress"]

_ENABLED: bool | None = None  # None: tqdm decides (on for a TTY, off otherwise)


def set_progress(enabled: bool | None) -> None:
    """``True``/``False`` force bars on/off; ``None`` shows them only on a terminal."""
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(f"enabled must be True, False or None; got {enabled!r}")
    global _ENABLED
    _ENABLED = enabled


def progress_enabled() -> bool | None:
    return _ENABLED


def progress_bar(desc: str = "", *, total: int | None = None, **kw: Any) -> tqdm:
    """A tqdm bar updated by hand (``bar.update(n)``, ``bar.close()``), honouring :func:`set_progress`."""
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise ValueError(f"total must be a non-negative int or None; got {total!r}")
    disable = None if _ENABLED is None else not _ENABLED
    return tqdm(desc=desc, total=total, disable=disable, leave=False, dynamic_ncols=True, **kw)
