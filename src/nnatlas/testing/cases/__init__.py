"""nnatlas's own conformance cases, one module per family.

Each module here registers example instances of its family's modules and optimizers with
:func:`~nnatlas.testing.catalog.register_module_case` and
:func:`~nnatlas.testing.catalog.register_optimizer_case`. Nothing here is imported when a user
imports the library: the cases are loaded by :func:`load_all`, which the test suite calls.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__ = ["CASE_MODULES", "load_all"]

#: The case modules, one per family that has modules or optimizers to check: every module of this
#: package, so that a new family's cases are loaded by adding ``cases/<family>.py`` alone.
CASE_MODULES: tuple[str, ...] = tuple(
    f"{__name__}.{info.name}"
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    if not info.name.startswith("_")
)


def load_all() -> list[str]:
    """Import every case module (each registers its cases once; repeated calls are cheap)."""
    for name in CASE_MODULES:
        importlib.import_module(name)
    return list(CASE_MODULES)
