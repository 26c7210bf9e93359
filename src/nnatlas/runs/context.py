"""What a run function can reach while it runs: per-step logging and memoised partial results.

Run functions stay ``(config, seed) -> metrics``; inside one, :func:`log_metrics` appends a line
to the run's ``metrics.jsonl`` and :func:`memoize` stores a finished piece of work (say, one
point of a sweep) so that a run killed midway resumes without recomputing it. Outside a run
(e.g. a user calling the function in a notebook) both are harmless no-ops.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from nnatlas.core.io import atomic_write_json, read_json, storage_error

__all__ = ["RunContext", "current_run", "log_metrics", "memoize", "run_context"]

T = TypeVar("T")
_CURRENT: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar(
    "nnatlas_run", default=None
)


class RunContext:
    """The run folder of the run in progress.

    Args:
        run_dir: the ``seed-<k>`` folder.
        on_log: called after each logged step (the CLI advances the run's progress bar).
    """

    def __init__(self, run_dir: Path, on_log: Callable[[], object] | None = None) -> None:
        self.run_dir = Path(run_dir)
        self._on_log = on_log
        self.artifacts = self.run_dir / "artifacts"
        self.memo_hits = 0
        self._t0 = time.perf_counter()

    def log(self, step: int | None = None, **metrics: Any) -> None:
        """Append one JSON line ``{"step": step, "time_s": ..., **metrics}`` to metrics.jsonl."""
        record = {"step": step, "time_s": round(time.perf_counter() - self._t0, 4), **metrics}
        line = json.dumps(record, default=_jsonable)
        path = self.run_dir / "metrics.jsonl"
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            raise storage_error(exc, path, "append to") from None
        if self._on_log is not None:
            self._on_log()

    def _memo_path(self, key: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9_.=-]+", "_", key)[:60]
        digest = hashlib.sha256(key.encode()).hexdigest()[:10]
        return self.artifacts / "memo" / f"{slug}-{digest}.json"

    def memoize(self, key: str, fn: Callable[[], T]) -> T:
        """Return the stored value for ``key`` or compute ``fn()`` and store it atomically.

        The value must be JSON-serialisable.
        """
        path = self._memo_path(key)
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
            value = read_json(path)["value"]
            self.memo_hits += 1
            return value
        value = fn()
        atomic_write_json(path, {"key": key, "value": value})
        return value


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"metric value of type {type(obj).__name__} is not JSON-serialisable")


def current_run() -> RunContext | None:
    """The run in progress in this thread, or ``None``."""
    return _CURRENT.get()


@contextlib.contextmanager
def run_context(run_dir: Path, on_log: Callable[[], object] | None = None) -> Iterator[RunContext]:
    """Make ``run_dir`` the current run inside the block."""
    ctx = RunContext(run_dir, on_log)
    token = _CURRENT.set(ctx)
    try:
        yield ctx
    finally:
        _CURRENT.reset(token)


def log_metrics(step: int | None = None, **metrics: Any) -> None:
    """Log per-step metrics to the current run (no-op outside a run)."""
    ctx = _CURRENT.get()
    if ctx is not None:
        ctx.log(step, **metrics)


def memoize(key: str, fn: Callable[[], T]) -> T:
    """Memoise ``fn()`` under ``key`` in the current run (plain call outside a run)."""
    ctx = _CURRENT.get()
    return fn() if ctx is None else ctx.memoize(key, fn)
