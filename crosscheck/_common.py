"""Shared helpers of the cross-check scripts (run inside each peer's venv).

A check script builds one or more rows with :func:`row` and ends with :func:`emit`, which prints
them as one JSON line (the last line of stdout is what ``run.py`` reads). Scripts set one
thread and seed everything so a row is reproducible.
"""

from __future__ import annotations

import json
import math
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

VERDICTS = ("agree", "disagree", "cannot run")


def version(dist: str) -> str:
    """Installed version of a distribution, or ``"not installed"``."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def row(
    component: str,
    peer: str,
    quantity: str,
    value: str,
    verdict: str,
    note: str = "",
) -> dict[str, str]:
    """One table row. ``verdict`` is ``agree``, ``disagree`` or ``cannot run``."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}; got {verdict!r}")
    return {
        "component": component,
        "peer": peer,
        "quantity": quantity,
        "value": value,
        "verdict": verdict,
        "note": note,
    }


def judge_max(diff: float, tol: float) -> str:
    """``agree`` when a finite ``diff`` is at most ``tol``."""
    return "agree" if math.isfinite(diff) and diff <= tol else "disagree"


def mean_std(xs: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    n = len(xs)
    m = sum(xs) / n
    s = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1)) if n > 1 else 0.0
    return m, s


def fmt_ms(xs: Sequence[float], digits: int = 3) -> str:
    m, s = mean_std(xs)
    return f"{m:.{digits}f} ± {s:.{digits}f} (n={len(xs)})"


def welch_t(a: Sequence[float], b: Sequence[float]) -> float:
    """Welch's t statistic of mean(a) - mean(b) (0 when both spreads vanish and means agree)."""
    ma, sa = mean_std(a)
    mb, sb = mean_std(b)
    se = math.sqrt(sa**2 / len(a) + sb**2 / len(b))
    if se == 0.0:
        return 0.0 if ma == mb else math.copysign(math.inf, ma - mb)
    return (ma - mb) / se


def emit(rows: list[dict[str, str]]) -> None:
    """Print the rows as the last stdout line (what run.py parses)."""
    sys.stdout.flush()
    print(json.dumps(rows))


def guarded(components: Sequence[str], peer: str, body: Callable[[], list[dict[str, str]]]) -> None:
    """Run ``body``; on an exception emit one ``cannot run`` row per component with the error."""
    try:
        rows = body()
    except Exception as exc:  # a failing peer becomes a row, not a crash
        traceback.print_exc()
        msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
        rows = [row(c, peer, "-", "-", "cannot run", msg) for c in components]
    emit(rows)


def setup(threads: int = 1, seed: int = 0) -> Any:
    """One thread, seeded torch; returns the torch module."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    return torch


def import_skipping_init(package: str, module: str) -> Any:
    """Import ``package.module`` from an installed package without running its ``__init__``.

    For peers whose top-level ``__init__`` imports something unavailable (timm imports
    torchvision, whose PyPI wheels cannot load next to a CPU-only torch): the package and its
    sub-packages on the way are registered as bare namespace modules, so only ``module`` and
    what it imports relatively are executed, unmodified.
    """
    import importlib
    import importlib.util
    import types
    from pathlib import Path

    spec = importlib.util.find_spec(package) if package not in sys.modules else None
    if spec is not None:
        if spec.submodule_search_locations is None:
            raise ImportError(f"{package} is not a package")
        root = Path(next(iter(spec.submodule_search_locations)))
        parts = module.split(".")
        name, path = package, root
        for part in [None, *parts[:-1]]:
            if part is not None:
                name, path = f"{name}.{part}", path / part
            if name not in sys.modules:
                mod = types.ModuleType(name)
                mod.__path__ = [str(path)]  # type: ignore[attr-defined]
                sys.modules[name] = mod
    return importlib.import_module(f"{package}.{module}")
