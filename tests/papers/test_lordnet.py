"""The LordNet verdict rule on made-up per-seed metrics (no training)."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.lordnet import (
    MAX_LEARNED_ERROR,
    MAX_PARAMETER_SPREAD,
    PAPER,
    PoissonConfig,
)

CLAIM = PAPER.claim("poisson-data-free")


def seeds(lord=0.05, cnn=0.10, fno=0.08, params=(1000, 1000, 1000), n=2):
    errs = {"lordnet": lord, "cnn": cnn, "fno": fno}
    one = {
        k: {"test_rel_l2": e, "num_parameters": p}
        for (k, e), p in zip(errs.items(), params, strict=True)
    }
    return [{**one, "timing": {"speedup": 0.5}} for _ in range(n)]


def judge(per_seed):
    return CLAIM.judge(per_seed, CLAIM.config("quick"))


def test_lowest_error_is_reproduced():
    v = judge(seeds())
    assert v.outcome is Outcome.REPRODUCED and "LordNet / CNN" in v.reason


@pytest.mark.parametrize("other", ["cnn", "fno"])
def test_equal_or_higher_than_either_baseline_is_not_reproduced(other):
    assert judge(seeds(lord=0.08, **{other: 0.08})).outcome is Outcome.NOT_REPRODUCED
    assert judge(seeds(lord=0.09, **{other: 0.08})).outcome is Outcome.NOT_REPRODUCED
    assert judge(seeds(lord=0.079, **{other: 0.08})).outcome is Outcome.REPRODUCED


def test_lordnet_that_did_not_learn_is_inconclusive():
    v = judge(seeds(lord=MAX_LEARNED_ERROR + 0.01, cnn=1.0, fno=1.0))
    assert v.outcome is Outcome.INCONCLUSIVE and "did not learn" in v.reason


def test_dissimilar_parameter_counts_are_inconclusive():
    big = int(1000 * MAX_PARAMETER_SPREAD) + 1
    v = judge(seeds(params=(1000, big, 1000)))
    assert v.outcome is Outcome.INCONCLUSIVE and "not similar" in v.reason
    ok = int(1000 * MAX_PARAMETER_SPREAD)
    assert judge(seeds(params=(1000, ok, 1000))).outcome is Outcome.REPRODUCED


def test_missing_or_nonfinite_metric_is_inconclusive():
    bad = seeds()
    bad[0]["fno"] = {"test_rel_l2": math.nan, "num_parameters": 1000}
    assert judge(bad).outcome is Outcome.INCONCLUSIVE
    del bad[0]["timing"]
    bad[0]["fno"] = {"test_rel_l2": 0.08, "num_parameters": 1000}
    assert "timing" in judge(bad).reason


def test_config_relation_fno_modes():
    with pytest.raises(ConfigError, match="fno_modes"):
        PoissonConfig(resolution=9, fno_modes=4)
