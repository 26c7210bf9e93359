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
def test_mip_first_more_often_and_no_more_failures_reproduces(key):
    v = _judge(key, (2, 1, 0, 0), (1, 1, 1, 1))
    assert v.outcome is Outcome.REPRODUCED
    assert "reached it first = 3" in v.reason


def test_a_tie_in_first_arrivals_is_not_reproduced():
    v = _judge("regression", (1, 1), (2, 2))
    assert v.outcome is Outcome.NOT_REPRODUCED
    assert "reached it first = 3 ≤ 3" in v.reason


def test_more_failed_mip_runs_is_not_reproduced():
    v = _judge("regression", (3, 0, 1, 0))
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
