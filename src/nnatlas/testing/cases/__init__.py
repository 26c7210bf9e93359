"""nnatlas's own conformance cases, one module per family.

Each module here registers example instances of its family's modules and optimizers with
:func:`~nnatlas.testing.catalog.register_module_case` and
:func:`~nnatlas.testing.catalog.register_optimizer_case`. Nothing here is imported when a user
imports the library: the cases are loaded by :func:`load_all`, which the test suite calls.
"""

from __future__ import annotations

import importlib

__all__ = ["CASE_MODULES", "load_all"]

#: The case modules, one per family that has modules or optimizers to check.
CASE_MODULES: tuple[str, ...] = (
    "nnatlas.testing.cases.nn",
    "nnatlas.testing.cases.optim",
    "nnatlas.testing.cases.train",
    "nnatlas.testing.cases.param",
    "nnatlas.testing.cases.operators",
    "nnatlas.testing.cases.kernels",
    "nnatlas.testing.cases.generative",
)


def load_all() -> list[str]:
    """Import every case module (each registers its cases once; repeated calls are cheap)."""
    for name in CASE_MODULES:
        importlib.import_module(name)
    return list(CASE_MODULES)
