"""The wide-and-deep verdict rules on made-up per-seed metrics (no kernels computed)."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.wide_deep import PAPER, ConsistencyConfig, MajorityConfig

CONS = PAPER.claim("consistent-near-bayes")
MAJ = PAPER.claim("relu-majority-vote")


def judge(claim, per_seed):
    return claim.judge(per_seed, claim.config("quick"))


def cons_seeds(consistent=0.72, bayes=0.74, nn=0.66, majority=0.58, n=2):
    one = {"bayes": bayes, "consistent": consistent, "nearest_neighbor": nn,
           "majority_vote": majority, "devroye": 0.7, "erf": 0.7, "sinh_1": 0.7}  # fmt: skip
    one |= {"gain_over_nn": consistent - nn, "gain_over_majority": consistent - majority,
            "gap_to_bayes": bayes - consistent}  # fmt: skip
    return [dict(one) for _ in range(n)]


def test_consistency_reproduced():
    v = judge(CONS, cons_seeds())
    assert v.outcome is Outcome.REPRODUCED and "gain over 1-NN" in v.reason


def test_consistency_each_margin_just_short():
    cfg = CONS.config("quick")
    c = 0.72
    eps = 1e-3
    assert judge(CONS, cons_seeds(nn=c - cfg.min_gain_nn + eps)).outcome is Outcome.NOT_REPRODUCED
    assert judge(CONS, cons_seeds(nn=c - cfg.min_gain_nn - eps)).outcome is Outcome.REPRODUCED
    v = judge(CONS, cons_seeds(majority=c - cfg.min_gain_majority + eps))
    assert v.outcome is Outcome.NOT_REPRODUCED and "majority" in v.reason
    v = judge(CONS, cons_seeds(bayes=c + cfg.max_gap_bayes + eps))
    assert v.outcome is Outcome.NOT_REPRODUCED and "gap to Bayes" in v.reason


def test_consistency_missing_or_nan_is_inconclusive():
    per_seed = cons_seeds()
    per_seed[1]["gap_to_bayes"] = math.nan
    assert judge(CONS, per_seed).outcome is Outcome.INCONCLUSIVE
    del per_seed[1]["gain_over_nn"]
    assert judge(CONS, per_seed).outcome is Outcome.INCONCLUSIVE


def maj_seeds(shallow, deep, n=2):
    return [{"agreement": [shallow, deep], "agreement_deepest": deep} for _ in range(n)]


def test_majority_boundaries():
    k = MAJ.config("quick").min_agreement
    v = judge(MAJ, maj_seeds(0.6, k))
    assert v.outcome is Outcome.REPRODUCED and "agreement at depth" in v.reason
    assert judge(MAJ, maj_seeds(0.6, k - 0.01)).outcome is Outcome.NOT_REPRODUCED
    assert judge(MAJ, maj_seeds(0.99, 0.99)).outcome is Outcome.NOT_REPRODUCED  # no rise
    assert judge(MAJ, [{"agreement": [0.5, 1.0]}]).outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize(
    ("cls", "changes"),
    [
        (MajorityConfig, {"depths": (1000,)}),
        (MajorityConfig, {"depths": (50_000, 1000)}),
        (MajorityConfig, {"n_train": 100}),
        (ConsistencyConfig, {"alpha1": (1.0, 2.0, 3.0)}),
        (ConsistencyConfig, {"prior1": 1.0}),
    ],
)
def test_config_domains(cls, changes):
    with pytest.raises(ConfigError):
        cls(**changes)
