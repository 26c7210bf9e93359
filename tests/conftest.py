"""Test-wide settings: one thread (faster on 2 shared cores), seeded RNGs."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

torch.set_num_threads(1)


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

    from nnatlas.core import registry

    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    module = importlib.import_module("toy_paper")
    paper = registry.register_paper(
        dataclasses.replace(module.PAPER, module="toy_paper"), replace=True
    )
    yield paper
    registry._registry().pop(paper.key, None)
