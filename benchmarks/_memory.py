"""Memory probes shared by the benchmark scripts (Linux; each case runs in its own process).

Import it from a script in this folder as ``from _memory import ...`` (the script's folder is on
``sys.path`` when it is run as ``python benchmarks/bench_x.py``).
"""

from __future__ import annotations

import resource

__all__ = ["peak_rss_mib", "reset_peak", "status_mib"]


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def status_mib(field: str) -> float:
    """A memory field of ``/proc/self/status`` (e.g. ``VmHWM``, ``VmRSS``) in MiB; NaN if absent."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return float("nan")


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter (``clear_refs`` 5), so ``VmHWM`` measures from now.

    Returns False where the kernel does not support it.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
