"""Verdict rules of the parameter-free-layers claims, fed made-up per-seed metrics."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers import parameter_free as pf

DIGITS = pf.PAPER.claim("digits-accuracy")
COUNTS = pf.PAPER.claim("imagenet-parameter-counts")
CFG = DIGITS.config("quick")


def digits_seed(conv=0.95, mx=0.95, hybrid=0.95, red_max=0.45, red_hybrid=0.3):
    return {
        "accuracy": {"conv": conv, "max": mx, "hybrid": hybrid},
        "parameters": {"conv": 1000, "max": 550, "hybrid": 700},
        "param_reduction_max": red_max,
        "param_reduction_hybrid": red_hybrid,
    }


def judge(per_seed):
    return DIGITS.judge(per_seed, CFG)


def test_both_within_the_gap_reproduce():
    v = judge([digits_seed(0.95, 0.95 - 0.9 * CFG.max_gap, 0.96)] * 3)
    assert v.outcome is Outcome.REPRODUCED
    assert "max shortfall to conv" in v.reason


@pytest.mark.parametrize("which", ["mx", "hybrid"])
def test_either_beyond_the_gap_does_not_reproduce(which):
    v = judge([digits_seed(**{which: 0.95 - 1.1 * CFG.max_gap})] * 3)
    assert v.outcome is Outcome.NOT_REPRODUCED
    assert "1 of 2 condition(s) fail" in v.reason


def test_weak_baseline_is_inconclusive():
    low = pf.MIN_BASELINE_ACCURACY - 0.01
    v = judge([digits_seed(low, low, low)])
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "conv network" in v.reason


def test_too_small_parameter_saving_is_inconclusive():
    v = judge([digits_seed(red_max=CFG.min_param_reduction - 0.01)])
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "fewer parameters" in v.reason


def test_missing_or_nonfinite_accuracy_is_inconclusive():
    s = digits_seed()
    s["accuracy"]["hybrid"] = math.inf
    assert judge([s]).outcome is Outcome.INCONCLUSIVE
    del s["accuracy"]["hybrid"]
    assert "accuracy.hybrid" in judge([s]).reason


def test_depths_and_widths_must_match():
    with pytest.raises(ConfigError, match="per stage"):
        dataclasses.replace(CFG, depths=(2, 2, 2))


def counts_seed(**shift_m):
    base = {k: round(v * 1e6) for k, v in pf.PAPER_PARAMS_M.items()}
    return {"parameters": {k: v + round(shift_m.get(k, 0.0) * 1e6) for k, v in base.items()}}


def test_counts_at_the_paper_values_reproduce():
    v = COUNTS.judge([counts_seed(conv=0.04, max=-0.04)], COUNTS.config("quick"))
    assert v.outcome is Outcome.REPRODUCED


def test_a_count_off_by_more_than_the_rounding_does_not_reproduce():
    v = COUNTS.judge([counts_seed(hybrid=0.06)], COUNTS.config("quick"))
    assert v.outcome is Outcome.NOT_REPRODUCED
    assert "hybrid" in v.reason


def test_counts_missing_is_inconclusive():
    v = COUNTS.judge([{"parameters": {"conv": 1}}], COUNTS.config("quick"))
    assert v.outcome is Outcome.INCONCLUSIVE


def test_counts_only_for_imagenet_classes():
    with pytest.raises(ConfigError):
        pf.CountConfig(num_classes=10)


@pytest.mark.parametrize("claim", pf.PAPER.claims, ids=lambda c: c.key)
def test_no_completed_seed_is_inconclusive(claim):
    assert claim.judge([], claim.config("quick")).outcome is Outcome.INCONCLUSIVE
