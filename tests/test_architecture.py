"""The layering of the package, checked on the source: families stand on ``core`` alone.

```
cli, report, runs  ->  papers  ->  families (nn, optim, train, ...)  ->  core
```

* a family never imports ``runs``, ``report``, ``cli`` or ``papers``;
* ``core`` imports nothing of nnatlas outside ``core``;
* no module imports a private name (``_x``) from another module;
* a paper module never imports another paper module;
* listing the papers imports no heavy optional dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "nnatlas"
FAMILIES = (
    "nn", "optim", "train", "param", "operators", "kernels", "probes", "data",
    "generative", "editing", "meta",
)  # fmt: skip
HARNESS = ("runs", "report", "cli", "papers")


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, imported names, line) for every import in the file, resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            out.append((module, [a.name for a in node.names], node.lineno))
    return out


SOURCES = sorted(SRC.rglob("*.py"))


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_layering(path: Path) -> None:
    me = _module_name(path)
    layer = _layer(me)
    problems = []
    for module, names, line in _imports(path):
        if not module.startswith("nnatlas"):
            continue
        target = _layer(module)
        targets = {target} | {_layer(f"{module}.{n}") for n in names if module == "nnatlas"}
        if layer in FAMILIES and targets & set(HARNESS):
            problems.append(f"line {line}: family {layer!r} imports {module} ({names})")
        if layer == "core" and targets - {"core", ""}:
            problems.append(f"line {line}: core imports {module}")
        if layer == "papers" and target == "papers" and module.count(".") >= 2:
            own = module.split(".")[2]
            if not own.startswith("_") and module != me:
                problems.append(f"line {line}: a paper module imports another paper, {module}")
    assert not problems, f"{me}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_name_crosses_modules(path: Path) -> None:
    me = _module_name(path)
    bad = []
    for module, names, line in _imports(path):
        if not module.startswith("nnatlas") or module == me:
            continue
        # A package's __init__ may re-export from its own private modules.
        inside_package = module.startswith(me + ".") and path.name == "__init__.py"
        for name in names:
            if name.startswith("_") and not name.startswith("__") and not inside_package:
                bad.append(f"line {line}: from {module} import {name}")
    assert not bad, f"{me}:\n  " + "\n  ".join(bad)


def test_listing_papers_imports_no_heavy_dependency() -> None:
    code = (
        "import sys\n"
        "from nnatlas.papers import all_papers\n"
        "assert len(all_papers()) >= 24\n"
        "heavy = sorted({'scipy', 'sklearn', 'cvxpy', 'matplotlib', 'h5py', 'pandas', "
        "'transformers', 'sentence_transformers', 'faiss', 'ot', 'dcor', 'sympy'} & set(sys.modules))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "", f"listing papers imported {out.stdout.strip()}"


def test_importing_the_library_registers_no_conformance_case() -> None:
    code = (
        "import nnatlas.nn, nnatlas.optim, nnatlas.train, nnatlas.param, nnatlas.operators\n"
        "import nnatlas.kernels, nnatlas.probes, nnatlas.data\n"
        "from nnatlas.testing import catalog\n"
        "print(len(catalog.module_cases()) + len(catalog.optimizer_cases()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "0", f"{out.stdout.strip()} cases registered at import time"
