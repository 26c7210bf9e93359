"""Wall-clock timing shared by benchmarks and speed claims."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from nnatlas.core.validation import check_int

__all__ = ["best_time"]


def best_time(fn: Callable[[], object], repeats: int = 3) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn``, after one untimed warm-up call.

    The minimum is the least noisy estimate on a shared machine (other load only adds time);
    the warm-up keeps one-off costs (allocation, compilation, caches) out of the measurement.
    """
    check_int("repeats", repeats)
    fn()
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
