"""Verdict rules of the stochastic-neurons claims, fed made-up per-seed metrics."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers import stochastic_neurons as sn

GATING = sn.PAPER.claim("gating")
RANKING = sn.PAPER.claim("st-among-best")
BASELINE = sn.PAPER.claim("reinforce-baseline")
GCFG, RCFG, BCFG = (c.config("quick") for c in (GATING, RANKING, BASELINE))


def gating_seed(dense=0.95, acc=None, on=None):
    acc, on = acc or {}, on or {}
    return {
        "dense": {"accuracy": dense},
        "gated": {
            e: {"accuracy": acc.get(e, dense - 0.01), "on_fraction": on.get(e, 0.1)}
            for e in sn.ALL_ESTIMATORS
        },
    }


def test_all_estimators_sparse_and_accurate_reproduce():
    v = GATING.judge([gating_seed()] * 3, GCFG)
    assert v.outcome is Outcome.REPRODUCED
    assert "worst accuracy drop" in v.reason


def test_one_estimator_losing_too_much_accuracy_fails():
    v = GATING.judge([gating_seed(acc={"sts": 0.95 - 1.1 * GCFG.max_accuracy_drop})], GCFG)
    assert v.outcome is Outcome.NOT_REPRODUCED
    assert "failing: sts" in v.reason


def test_one_estimator_keeping_too_many_blocks_on_fails():
    v = GATING.judge([gating_seed(on={"reinforce": GCFG.max_on_fraction + 0.01})], GCFG)
    assert v.outcome is Outcome.NOT_REPRODUCED
    assert "highest mean on-rate" in v.reason


def test_weak_dense_network_is_inconclusive():
    v = GATING.judge([gating_seed(dense=sn.MIN_DENSE_ACCURACY - 0.01)], GCFG)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "ungated network" in v.reason


def test_missing_estimator_metric_is_inconclusive():
    s = gating_seed()
    del s["gated"]["sts"]
    v = GATING.judge([s], GCFG)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "gated.sts.accuracy" in v.reason


@pytest.mark.parametrize(
    ("st_gap", "outcome"), [(0.9, Outcome.REPRODUCED), (1.1, Outcome.NOT_REPRODUCED)]
)
def test_st_gap_to_the_best(st_gap, outcome):
    acc = {"sts": 0.95, "st-identity": 0.95 - st_gap * RCFG.st_tolerance, "st-sigmoid": 0.9}
    v = RANKING.judge([gating_seed(dense=0.96, acc=acc)] * 2, RCFG)
    assert v.outcome is outcome
    assert "best straight-through (st-identity)" in v.reason


def test_unmatched_on_rates_are_inconclusive():
    v = RANKING.judge([gating_seed(on={"sts": 0.1 + 1.5 * RCFG.matched_tolerance})], RCFG)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "not matched" in v.reason


def test_ranking_needs_a_straight_through_variant():
    with pytest.raises(ConfigError, match="straight-through"):
        dataclasses.replace(RCFG, estimators=("sts", "reinforce"))


def test_gating_config_relations():
    with pytest.raises(ConfigError, match="multiple"):
        dataclasses.replace(GCFG, hidden=30, num_blocks=4)
    with pytest.raises(ConfigError):
        dataclasses.replace(GCFG, estimators=("st-identity", "nope"))


def baseline_seed(z=1.0, ratio=0.5):
    return {
        "variance_ratio": ratio,
        "variance_ratio_vs_mean": 0.9,
        "optimal": {"max_abs_z": z},
        "none": {"max_abs_z": 1.0},
    }


@pytest.mark.parametrize(
    ("z", "ratio", "outcome"),
    [
        (0.99 * BCFG.max_z, 0.99, Outcome.REPRODUCED),
        (1.01 * BCFG.max_z, 0.5, Outcome.NOT_REPRODUCED),
        (1.0, 1.0, Outcome.NOT_REPRODUCED),
    ],
)
def test_baseline_unbiased_and_lower_variance(z, ratio, outcome):
    v = BASELINE.judge([baseline_seed(z, ratio)] * 2, BCFG)
    assert v.outcome is outcome
    assert "total variance" in v.reason


def test_baseline_nonfinite_is_inconclusive():
    assert BASELINE.judge([baseline_seed(ratio=math.nan)], BCFG).outcome is Outcome.INCONCLUSIVE


def test_baseline_warmup_must_leave_batches():
    with pytest.raises(ConfigError, match="warmup"):
        dataclasses.replace(BCFG, warmup_batches=BCFG.batches)


@pytest.mark.parametrize("claim", sn.PAPER.claims, ids=lambda c: c.key)
def test_no_completed_seed_is_inconclusive(claim):
    assert claim.judge([], claim.config("quick")).outcome is Outcome.INCONCLUSIVE
