"""Verdict rule of the generalized-convolution claim, fed made-up per-seed metrics."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers import generalized_convolution as gc

CLAIM = gc.PAPER.claim("distance-matches-standard")
CFG = CLAIM.config("quick")


def seed(standard=0.95, l2=0.95, l1=0.95):
    return {"accuracy": {"standard": standard, "weighted-l2": l2, "weighted-l1": l1}}


def judge(per_seed):
    return CLAIM.judge(per_seed, CFG)


def test_within_the_gap_reproduces():
    v = judge([seed(0.95, 0.95 - 0.9 * CFG.max_gap, 0.96)] * 3)
    assert v.outcome is Outcome.REPRODUCED
    assert "shortfall" in v.reason


def test_just_beyond_the_gap_does_not_reproduce():
    v = judge([seed(0.95, 0.95, 0.95 - 1.1 * CFG.max_gap)] * 3)
    assert v.outcome is Outcome.NOT_REPRODUCED
    assert "weighted-l1 shortfall" in v.reason


def test_weak_baseline_is_inconclusive():
    low = gc.MIN_STANDARD_ACCURACY - 0.01
    v = judge([seed(low, low, low)] * 3)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "standard CNN" in v.reason


@pytest.mark.parametrize("bad", [math.nan, None])
def test_missing_or_nonfinite_metric_is_inconclusive(bad):
    s = seed()
    if bad is None:
        del s["accuracy"]["weighted-l2"]
    else:
        s["accuracy"]["weighted-l2"] = bad
    v = judge([seed(), s])
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "weighted-l2" in v.reason


def test_variants_must_include_standard():
    with pytest.raises(ConfigError, match="standard"):
        dataclasses.replace(CFG, variants=("weighted-l2", "weighted-l1"))


@pytest.mark.parametrize("claim", gc.PAPER.claims, ids=lambda c: c.key)
def test_no_completed_seed_is_inconclusive(claim):
    assert claim.judge([], claim.config("quick")).outcome is Outcome.INCONCLUSIVE
