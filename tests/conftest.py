"""Test-wide settings: torch threads, seeded RNGs, a private cache folder.

Threads: one by default (on 2 shared, loaded cores it is faster, and it makes float reductions
run in one order). ``NNATLAS_TEST_THREADS=N`` sets N threads, and ``NNATLAS_TEST_THREADS=default``
keeps torch's own choice; CI runs the numerical tests both ways, so a tolerance that holds only
for one reduction order is caught.
"""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

_THREADS = os.environ.get("NNATLAS_TEST_THREADS", "1").strip().lower()
if _THREADS != "default":
    torch.set_num_threads(int(_THREADS))


def pytest_report_header(config):
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    return (
        f"nnatlas tests: torch {torch.__version__}, {torch.get_num_threads()} thread(s), CPU {cpu}"
    )


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    """Generated data (e.g. PDE sets) is cached in a per-session folder, not ~/.cache."""
    old = os.environ.get("NNATLAS_CACHE_DIR")
    os.environ["NNATLAS_CACHE_DIR"] = str(tmp_path_factory.mktemp("nnatlas-cache"))
    yield
    if old is None:
        os.environ.pop("NNATLAS_CACHE_DIR", None)
    else:
        os.environ["NNATLAS_CACHE_DIR"] = old


@pytest.fixture(autouse=True)
def _seed_everything() -> None:
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 (code under test may use the legacy global stream)
    torch.manual_seed(0)


@pytest.fixture
def float64():
    """Run a test with float64 as the default dtype."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield torch.float64
    finally:
        torch.set_default_dtype(old)


@pytest.fixture
def toy_paper(monkeypatch):
    """Register the harness-test paper of ``tests/toy_paper.py`` (importable by workers too)."""
    import dataclasses
    import importlib
    from pathlib import Path

    from nnatlas import papers

    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    module = importlib.import_module("toy_paper")
    paper = papers.register_paper(
        dataclasses.replace(module.PAPER, module="toy_paper"), replace=True
    )
    yield paper
    papers.unregister_paper(paper.key)
