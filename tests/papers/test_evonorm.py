"""Verdict rule of the evonorm claim, fed made-up per-seed metrics."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers import evonorm

CLAIM = evonorm.PAPER.claim("small-batch-robustness")
CFG = CLAIM.config("quick")


def seed(bn_drop, s0_drop, large=0.95):
    return {
        "large_batch_accuracy": {"bn": large, "s0": large},
        "small_batch_accuracy": {"bn": large - bn_drop, "s0": large - s0_drop},
        "drop": {"bn": bn_drop, "s0": s0_drop},
    }


def judge(per_seed):
    return CLAIM.judge(per_seed, CFG)


def test_bn_degrading_more_beyond_noise_reproduces():
    v = judge([seed(0.10, 0.02), seed(0.12, 0.03), seed(0.09, 0.02)])
    assert v.outcome is Outcome.REPRODUCED
    assert "improvement of BN drop over S0 drop" in v.reason


def test_positive_within_noise_is_inconclusive():
    v = judge([seed(0.10, 0.02), seed(0.02, 0.09), seed(0.05, 0.04)])
    assert v.outcome is Outcome.INCONCLUSIVE


def test_bn_not_degrading_more_does_not_reproduce():
    v = judge([seed(0.02, 0.05), seed(0.03, 0.06), seed(0.01, 0.01)])
    assert v.outcome is Outcome.NOT_REPRODUCED


def test_one_seed_never_decides():
    assert judge([seed(0.2, 0.0)]).outcome is Outcome.INCONCLUSIVE


def test_weak_reference_run_is_inconclusive():
    low = evonorm.MIN_LARGE_BATCH_ACCURACY - 0.01
    v = judge([seed(0.1, 0.0), seed(0.1, 0.0, large=low)])
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "reference run" in v.reason


def test_nonfinite_drop_is_inconclusive():
    bad = seed(0.1, 0.0)
    bad["drop"]["s0"] = math.nan
    v = judge([seed(0.1, 0.0), bad])
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "drop.s0" in v.reason


@pytest.mark.parametrize(
    "change", [{"norms": ("bn", "gn")}, {"small_batch": 64}, {"small_batch": 128}]
)
def test_config_relations(change):
    with pytest.raises(ConfigError):
        dataclasses.replace(CFG, **change)


@pytest.mark.parametrize("claim", evonorm.PAPER.claims, ids=lambda c: c.key)
def test_no_completed_seed_is_inconclusive(claim):
    assert claim.judge([], claim.config("quick")).outcome is Outcome.INCONCLUSIVE
