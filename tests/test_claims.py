"""Conformance over the paper registry: every claim's smoke preset runs and yields a verdict."""

from __future__ import annotations

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.config import config_from_dict, config_to_dict
from nnatlas.papers import all_papers
from nnatlas.runs.executors import serial_executor
from nnatlas.runs.runner import plan, reproduce

CLAIMS = [f"{p.key}/{c.key}" for p in all_papers() for c in p.claims]


@pytest.mark.parametrize("selection", CLAIMS)
def test_smoke_preset_runs_and_yields_a_verdict(selection, tmp_path):
    (cs,) = reproduce(
        plan(selection, preset="smoke", seeds=1, root=tmp_path), executor=serial_executor
    )
    assert not cs.failures, cs.failures
    verdict = cs.summary["verdict"]
    assert Outcome(verdict["outcome"]) in Outcome and verdict["reason"]
    assert cs.summary["n_seeds"] == 1


@pytest.mark.parametrize("selection", CLAIMS)
def test_presets_round_trip_through_json(selection):
    paper_key, claim_key = selection.split("/")
    claim = next(p for p in all_papers() if p.key == paper_key).claim(claim_key)
    for preset in ("smoke", "quick", "paper"):
        cfg = claim.config(preset)
        assert config_from_dict(claim.config_cls, config_to_dict(cfg)) == cfg


@pytest.mark.parametrize("paper_key", sorted(p.key for p in all_papers()))
def test_components_name_public_objects(paper_key):
    """Every component a paper record lists imports from the path it gives."""
    import importlib

    paper = next(p for p in all_papers() if p.key == paper_key)
    for path in paper.components:
        module, _, name = path.rpartition(".")
        assert hasattr(importlib.import_module(module), name), (
            f"{paper_key}: {path} does not resolve"
        )
