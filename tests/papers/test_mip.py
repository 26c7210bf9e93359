"""Verdict rule of the MIP paper on made-up per-seed metrics (no training)."""

from __future__ import annotations

import dataclasses

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.mip import METHODS, PAPER

CLAIMS = [c.key for c in PAPER.claims]


def _seed(config, mip_first, default_first, mip_failed=0, default_failed=0):
    runs = {
        m: {repr(lr): {"steps_to_threshold": 100, "failed": False} for lr in config.lrs}
        for m in METHODS
    }
    return {
        "runs": runs, "mip_first": mip_first, "default_first": default_first,
        "mip_failed": mip_failed, "default_failed": default_failed,
    }  # fmt: skip


def _judge(key, *seeds):
    claim = PAPER.claim(key)
    config = claim.config("quick")
    return claim.judge([_seed(config, *s) for s in seeds], config)


@pytest.mark.parametrize("key", CLAIMS)
def test_mip_first_in_significantly_more_pairs_and_no_more_failures_reproduces(key):
    # 5 of 5 decided pairs: p = 2^-5 = 0.03125 <= 0.05
    v = _judge(key, (2, 0, 0, 0), (2, 0, 1, 1), (1, 0))
    assert v.outcome is Outcome.REPRODUCED
    assert "MIP first in 5 of 5 decided pairs = 0.0312 ≤ 0.05" in v.reason


@pytest.mark.parametrize("key", CLAIMS)
def test_more_wins_that_chance_explains_is_not_reproduced(key):
    # 4 vs 3 (the old "more wins" rule said reproduced): p = P(Bin(7, 1/2) >= 4) = 1/2
    v = _judge(key, (2, 1), (2, 0), (0, 2))
    assert v.outcome is Outcome.NOT_REPRODUCED
    assert "MIP first in 4 of 7 decided pairs = 0.5 > 0.05" in v.reason


def test_just_above_the_level_is_not_reproduced():
    # 6 of 7: p = 8/128 = 0.0625 > 0.05; 7 of 8 would give 9/256 = 0.035
    assert _judge("regression", (3, 0), (3, 0), (0, 1)).outcome is Outcome.NOT_REPRODUCED
    assert _judge("regression", (3, 0), (3, 0), (1, 1)).outcome is Outcome.REPRODUCED


def test_too_few_decided_pairs_is_inconclusive():
    # 4 of 4 gives p = 1/16 > 0.05 whatever happens: the rule cannot decide, so it says so
    v = _judge("regression", (2, 0), (2, 0), (0, 0))
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "too few decided (lr, seed) pairs: 4" in v.reason


def test_more_failed_mip_runs_is_not_reproduced():
    v = _judge("regression", (3, 0, 1, 0), (3, 0), (3, 0))
    assert v.outcome is Outcome.NOT_REPRODUCED
    assert "failed (diverged/stalled) MIP runs = 1 > 0" in v.reason


def test_missing_metric_is_inconclusive():
    claim = PAPER.claim("digits")
    config = claim.config("quick")
    m = _seed(config, 2, 0)
    del m["mip_failed"]
    v = claim.judge([m], config)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "mip_failed" in v.reason


def test_eval_every_beyond_steps_is_rejected():
    config = PAPER.claim("regression").config("quick")
    with pytest.raises(ConfigError, match="eval_every"):
        dataclasses.replace(config, eval_every=config.steps + 1)


def test_missing_runs_is_inconclusive():
    claim = PAPER.claim("regression")
    config = claim.config("quick")
    m = _seed(config, 2, 0)
    del m["runs"]
    assert claim.judge([m], config).outcome is Outcome.INCONCLUSIVE
