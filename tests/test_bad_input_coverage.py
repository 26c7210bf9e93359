"""Every public name of every family is exercised by a bad-input test, or exempt with a reason.

Each family's ``tests/<family>/test_bad_inputs.py`` declares ``COVERED`` (public names its
property-based tests feed bad arguments to) and ``EXEMPT`` (name -> why no bad input applies).
This test fails when a family adds a public name that neither lists, so the bad-input suite
grows with the library. It also prints the counts (run with ``-s``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
_PACKAGE = TESTS.parent / "src" / "nnatlas"
# Every subpackage is a family (or core) except the harness above the families: a new family is
# picked up without editing this file, and fails until its bad-input test exists.
_HARNESS = {"papers", "runs", "report", "testing"}
FAMILIES = tuple(
    sorted(
        p.name
        for p in _PACKAGE.iterdir()
        if (p / "__init__.py").is_file() and p.name not in _HARNESS
    )
)


def _declared(family: str) -> tuple[set[str], dict[str, str]]:
    path = TESTS / family / "test_bad_inputs.py"
    if not path.exists():
        pytest.fail(f"tests/{family}/test_bad_inputs.py is missing")
    spec = importlib.util.spec_from_file_location(f"_bad_inputs_{family}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses in the module resolve it through sys.modules
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return set(module.COVERED), dict(module.EXEMPT)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_public_name_is_covered_or_exempt(family: str) -> None:
    public = set(importlib.import_module(f"nnatlas.{family}").__all__)
    covered, exempt = _declared(family)
    unknown = (covered | set(exempt)) - public
    assert not unknown, f"nnatlas.{family}: COVERED/EXEMPT name things not in __all__: {unknown}"
    missing = public - covered - set(exempt)
    assert not missing, f"nnatlas.{family}: public names with no bad-input test: {sorted(missing)}"
    empty = [name for name, why in exempt.items() if not why.strip()]
    assert not empty, f"nnatlas.{family}: exemptions need a reason: {empty}"
    print(f"nnatlas.{family}: {len(covered)} entry points covered, {len(exempt)} exempt")
