"""Importing the nn and optim families registers no conformance case (they live in
``nnatlas.testing.cases``); ``load_all`` registers them, each name once."""

from __future__ import annotations

import subprocess
import sys

from nnatlas.testing import load_all, module_cases, optimizer_cases


def test_importing_the_families_registers_nothing() -> None:
    # A fresh interpreter: in this one the test suite has long since loaded every case.
    code = (
        "import nnatlas.nn, nnatlas.optim\n"
        "from nnatlas.testing import catalog\n"
        "assert not catalog.module_cases() and not catalog.optimizer_cases()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_load_all_registers_the_nn_and_optim_cases() -> None:
    load_all()
    names = {case.name for case in module_cases()}
    assert {"MLP", "EvoNormB0", "ParaGRU-chunked", "ReLUSNNK", "GatedMLP-reinforce"} <= names
    assert {"StraightThroughBernoulli-identity", "ReinforceBernoulli", "GINEConv"} <= names
    assert {"PolyStep", "OpenAIES", "SPSA"} <= {case.name for case in optimizer_cases()}
