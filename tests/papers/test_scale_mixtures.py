"""The scale-mixture verdict rules on made-up per-seed metrics (no GP fits)."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.scale_mixtures import PAPER, ClassificationConfig, RegressionConfig

REG = PAPER.claim("regression-outliers")
CLS = PAPER.claim("classification-corruption")


def judge(claim, per_seed):
    return claim.judge(per_seed, claim.config("quick"))


def reg_seeds(gain, n=2):
    one = {"nll_gain_outliers": gain, "nll_gain_clean": 0.0}
    return [{**one, "gp_nll_outliers": 1.0, "tp_nll_outliers": 1.0 - gain} for _ in range(n)]


def test_regression_gain_on_both_sides_of_the_bound():
    k = REG.config("quick").min_gain
    v = judge(REG, reg_seeds(k + 1e-3))
    assert v.outcome is Outcome.REPRODUCED and "NLL gain" in v.reason
    assert judge(REG, reg_seeds(k - 1e-3)).outcome is Outcome.NOT_REPRODUCED
    assert judge(REG, reg_seeds(math.nan)).outcome is Outcome.INCONCLUSIVE


def cls_seeds(gain, n=2):
    levels = CLS.config("quick").noise_levels
    one = {
        f"{m}_{q}": [0.5] * len(levels) for m in ("tp", "gp") for q in ("nll", "ece", "accuracy")
    }
    return [{**one, "nll_gain_corrupted": gain} for _ in range(n)]


def test_classification_three_way_rule():
    margin = CLS.config("quick").margin
    v = judge(CLS, cls_seeds(margin + 1e-3))
    assert v.outcome is Outcome.REPRODUCED and "NLL gain" in v.reason
    assert judge(CLS, cls_seeds(margin - 1e-3)).outcome is Outcome.INCONCLUSIVE
    assert judge(CLS, cls_seeds(-margin + 1e-3)).outcome is Outcome.INCONCLUSIVE
    assert judge(CLS, cls_seeds(-margin - 1e-3)).outcome is Outcome.NOT_REPRODUCED


def test_classification_missing_level_is_inconclusive():
    per_seed = cls_seeds(0.1)
    per_seed[0]["gp_ece"] = [0.5]
    assert judge(CLS, per_seed).outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize(
    ("cls", "changes"),
    [
        (ClassificationConfig, {"noise_levels": (2.0, 0.0)}),  # the verdict reads the last
        (ClassificationConfig, {"margin": -0.01}),
        (RegressionConfig, {"outlier_fraction": 0.0}),
        (RegressionConfig, {"outlier_fraction": 2.0}),
        (RegressionConfig, {"sigma_w2": 0.0}),
    ],
)
def test_config_domains(cls, changes):
    with pytest.raises(ConfigError):
        cls(**changes)
