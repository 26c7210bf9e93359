from __future__ import annotations

import dataclasses

import pytest

from nnatlas.core.claims import Claim, Outcome, Paper, Verdict, mean_std
from nnatlas.core.errors import UnknownNameError
from nnatlas.papers import all_papers, get_paper, select_claims


def test_every_registered_paper_is_well_formed():
    papers = all_papers()
    assert papers, "no paper registered"
    for paper in papers:
        assert paper.claims
        assert paper.bibtex.lstrip().startswith("@")
        for claim in paper.claims:
            for preset in ("smoke", "quick", "paper"):
                assert isinstance(claim.config(preset), claim.config_cls)


def test_selection_by_key_pattern_and_claim(toy_paper):
    assert {c.key for _, c in select_claims("toy")} == {"pi", "sweep"}
    assert [c.key for _, c in select_claims("toy/pi")] == ["pi"]
    assert [c.key for _, c in select_claims("to*/sw*")] == ["sweep"]
    with pytest.raises(UnknownNameError, match="toy/pi"):
        select_claims("nope")
    with pytest.raises(UnknownNameError, match="unknown paper 'nope'"):
        get_paper("nope")


def test_unknown_preset_and_claim(toy_paper):
    with pytest.raises(UnknownNameError, match="smoke"):
        toy_paper.claims[0].config("huge")
    with pytest.raises(UnknownNameError, match="pi"):
        toy_paper.claim("nope")


def test_claim_requires_all_presets_of_its_config_type(toy_paper):
    claim = toy_paper.claims[0]
    with pytest.raises(ValueError, match="lacks presets"):
        dataclasses.replace(claim, presets={"quick": claim.config("quick")})
    with pytest.raises(TypeError, match="expected PiConfig"):
        dataclasses.replace(claim, presets={**claim.presets, "paper": object()})
    with pytest.raises(ValueError, match="duplicate"):
        dataclasses.replace(toy_paper, claims=(claim, claim))


def test_verdict_and_mean_std():
    assert mean_std([1.0, 3.0]) == (2.0, pytest.approx(2**0.5), 2)
    assert mean_std([None, float("nan"), 5.0]) == (5.0, 0.0, 1)
    assert Verdict(Outcome.REPRODUCED, "x").to_dict()["outcome"] == "reproduced"
    assert isinstance(Paper, type) and isinstance(Claim, type)
