"""The MgNO verdict rule on made-up per-seed metrics (no training)."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.mgno import MAX_LEARNED_ERROR, PAPER, DarcyConfig

CLAIM = PAPER.claim("darcy-beats-fno")


def seeds(mg, fno, p_mg=1000, p_fno=4000):
    return [
        {
            "mgno": {"test_rel_l2": a, "num_parameters": p_mg},
            "fno": {"test_rel_l2": b, "num_parameters": p_fno},
        }
        for a, b in zip(mg, fno, strict=True)
    ]


def judge(per_seed):
    return CLAIM.judge(per_seed, CLAIM.config("quick"))


def test_lower_beyond_noise_is_reproduced():
    v = judge(seeds([0.030, 0.031, 0.032], [0.040, 0.041, 0.042]))
    assert v.outcome is Outcome.REPRODUCED
    assert "MgNO" in v.reason and "s.e." in v.reason


def test_within_noise_is_a_tie():
    v = judge(seeds([0.030, 0.040, 0.035], [0.036, 0.034, 0.038]))
    assert v.outcome is Outcome.INCONCLUSIVE


def test_higher_beyond_noise_is_not_reproduced():
    v = judge(seeds([0.050, 0.051, 0.052], [0.040, 0.041, 0.042]))
    assert v.outcome is Outcome.NOT_REPRODUCED


def test_more_parameters_is_not_reproduced_even_when_better():
    v = judge(seeds([0.030, 0.031, 0.032], [0.040, 0.041, 0.042], p_mg=5000))
    assert v.outcome is Outcome.NOT_REPRODUCED
    assert "fewer parameters" in v.reason


def test_one_seed_never_decides():
    assert judge(seeds([0.01], [0.04])).outcome is Outcome.INCONCLUSIVE


def test_a_model_that_did_not_learn_is_inconclusive():
    bad = MAX_LEARNED_ERROR + 0.1
    v = judge(seeds([0.03, 0.03, 0.03], [bad, bad, bad]))
    assert v.outcome is Outcome.INCONCLUSIVE and "did not learn" in v.reason


@pytest.mark.parametrize("value", [math.nan, None])
def test_missing_or_nonfinite_metric_is_inconclusive(value):
    per_seed = seeds([0.03, 0.03], [0.04, 0.04])
    per_seed[1]["mgno"]["test_rel_l2"] = value
    if value is None:
        del per_seed[1]["mgno"]["test_rel_l2"]
    v = judge(per_seed)
    assert v.outcome is Outcome.INCONCLUSIVE and "test_rel_l2" in v.reason


@pytest.mark.parametrize(
    "changes",
    [
        {"resolution": 34},  # 33 is not divisible by 4 for a 3-level cycle
        {"mg_iterations": ((1, 0), (0, 0))},
        {"fno_modes": 17},
    ],
)
def test_config_relations(changes):
    with pytest.raises(ConfigError):
        DarcyConfig(**changes)
