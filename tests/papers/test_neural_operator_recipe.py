"""The zero-shot-resolution verdict rule on made-up per-seed metrics (no training)."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.neural_operator_recipe import MAX_LEARNED_ERROR, PAPER, TransferConfig

CLAIM = PAPER.claim("zero-shot-resolution")
CFG = CLAIM.config("quick")


def seeds(f1=0.05, f2=0.06, u1=0.05, u2=0.10, ui=0.06, n=2):
    one = {
        "fno": {"error_coarse": f1, "error_fine": f2, "num_parameters": 100},
        "unet": {
            "error_coarse": u1,
            "error_fine": u2,
            "error_fine_interpolated": ui,
            "num_parameters": 90,
        },
    }
    return [one] * n


def judge(per_seed):
    return CLAIM.judge(per_seed, CFG)


def test_all_three_conditions_hold():
    v = judge(seeds())
    assert v.outcome is Outcome.REPRODUCED and "all conditions hold" in v.reason


def test_fno_ratio_at_the_bound():
    f1 = 0.04
    assert judge(seeds(f1=f1, f2=f1 * CFG.max_fno_ratio)).outcome is Outcome.REPRODUCED
    v = judge(seeds(f1=f1, f2=f1 * CFG.max_fno_ratio * 1.01))
    assert v.outcome is Outcome.NOT_REPRODUCED and "FNO error @2× / @1×" in v.reason


def test_unet_must_grow_beyond_the_bound():
    u1 = 0.05
    v = judge(seeds(u1=u1, u2=u1 * CFG.min_unet_ratio * 0.99, ui=u1))
    assert v.outcome is Outcome.NOT_REPRODUCED and "plain U-Net" in v.reason
    assert judge(seeds(u1=u1, u2=u1 * CFG.min_unet_ratio * 1.01, ui=u1)).outcome is (
        Outcome.REPRODUCED
    )


def test_recovered_fraction_on_both_sides():
    u1, u2 = 0.05, 0.10
    just = u2 - CFG.min_recovered * (u2 - u1)
    assert judge(seeds(u1=u1, u2=u2, ui=just - 1e-4)).outcome is Outcome.REPRODUCED
    v = judge(seeds(u1=u1, u2=u2, ui=just + 1e-4))
    assert v.outcome is Outcome.NOT_REPRODUCED and "recovered" in v.reason


def test_no_growth_fails_rather_than_dividing_by_zero():
    v = judge(seeds(u1=0.05, u2=0.05, ui=0.05))
    assert v.outcome is Outcome.NOT_REPRODUCED


def test_a_model_that_did_not_learn_is_inconclusive():
    v = judge(seeds(u1=MAX_LEARNED_ERROR + 0.01, u2=1.0, ui=0.6))
    assert v.outcome is Outcome.INCONCLUSIVE and "did not learn" in v.reason


def test_missing_or_nonfinite_metric_is_inconclusive():
    bad = seeds()
    bad[1] = {**bad[1], "unet": {**bad[1]["unet"], "error_fine": math.inf}}
    assert judge(bad).outcome is Outcome.INCONCLUSIVE
    bad[1] = {"fno": bad[1]["fno"]}
    v = judge(bad)
    assert v.outcome is Outcome.INCONCLUSIVE and "unet" in v.reason


@pytest.mark.parametrize(
    "changes", [{"unet_kernel": 4}, {"resolution": 35}, {"fno_modes": 17}, {"min_recovered": 0.0}]
)
def test_config_relations(changes):
    with pytest.raises(ConfigError):
        TransferConfig(**changes)
