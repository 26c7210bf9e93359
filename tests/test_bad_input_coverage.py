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


# Subpackages of a family (``data.pde``, ``nn.pararnn``, ...) whose ``__all__`` holds names the
# family does not re-export: those names are declared in tests/<family>/test_bad_inputs_<sub>.py.
SUBPACKAGES = tuple(
    sorted(
        f"{family}.{p.name}"
        for family in FAMILIES
        for p in (_PACKAGE / family).iterdir()
        if (p / "__init__.py").is_file()
    )
)


def _declared(family: str) -> tuple[set[str], dict[str, str]]:
    head, _, sub = family.partition(".")
    name = f"test_bad_inputs_{sub}.py" if sub else "test_bad_inputs.py"
    path = TESTS / head / name
    if not path.exists():
        pytest.fail(f"tests/{head}/{name} is missing")
    spec = importlib.util.spec_from_file_location(f"_bad_inputs_{family.replace('.', '_')}", path)
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


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_names_only_a_subpackage_exports_are_covered_or_exempt(subpackage: str) -> None:
    family = subpackage.partition(".")[0]
    public = set(importlib.import_module(f"nnatlas.{subpackage}").__all__) - set(
        importlib.import_module(f"nnatlas.{family}").__all__
    )
    if not public:
        return  # everything it exports is re-exported by the family, and covered there
    covered, exempt = _declared(subpackage)
    unknown = (covered | set(exempt)) - public
    assert not unknown, (
        f"nnatlas.{subpackage}: COVERED/EXEMPT name things it does not export alone: {unknown}"
    )
    missing = public - covered - set(exempt)
    assert not missing, (
        f"nnatlas.{subpackage}: public names with no bad-input test: {sorted(missing)}"
    )
    empty = [name for name, why in exempt.items() if not why.strip()]
    assert not empty, f"nnatlas.{subpackage}: exemptions need a reason: {empty}"
