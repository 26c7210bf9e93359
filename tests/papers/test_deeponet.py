"""The DeepONet verdict rules on made-up per-seed metrics (no training)."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.deeponet import PAPER, FnnConfig, ScalingConfig

FNN = PAPER.claim("beats-fnn")
SCALING = PAPER.claim("data-scaling")
STACKED = PAPER.claim("unstacked-vs-stacked")


def judge(claim, per_seed):
    return claim.judge(per_seed, claim.config("quick"))


# -- beats-fnn ---------------------------------------------------------------------------------


def fnn_seeds(ratios, don=1e-5, n=2):
    return [
        {
            "deeponet": [{"test_mse": don} for _ in ratios],
            "fnn": [{"test_mse": don * r} for r in ratios],
        }
        for _ in range(n)
    ]


def test_beats_fnn_at_every_size_is_reproduced():
    k = FNN.config("quick").min_ratio
    v = judge(FNN, fnn_seeds([k * 1.01, k * 3]))
    assert v.outcome is Outcome.REPRODUCED and "FNN / DeepONet" in v.reason


def test_one_size_below_the_ratio_fails():
    k = FNN.config("quick").min_ratio
    v = judge(FNN, fnn_seeds([k * 0.99, k * 3]))
    assert v.outcome is Outcome.NOT_REPRODUCED and "1 of 2" in v.reason


def test_beats_fnn_missing_size_or_nan_is_inconclusive():
    per_seed = fnn_seeds([20.0])  # the quick config has two sizes
    assert judge(FNN, per_seed).outcome is Outcome.INCONCLUSIVE
    per_seed = fnn_seeds([20.0, 20.0])
    per_seed[0]["fnn"][1]["test_mse"] = math.nan
    assert judge(FNN, per_seed).outcome is Outcome.INCONCLUSIVE


# -- data-scaling ------------------------------------------------------------------------------


def scaling_seeds(rate, n=2):
    sizes = SCALING.config("quick").sizes
    mse = [0.1 * s ** (-rate) for s in sizes]
    return [{"test_mse": mse, "rate": rate} for _ in range(n)]


def test_rate_on_both_sides_of_the_bound():
    r = SCALING.config("quick").min_rate
    v = judge(SCALING, scaling_seeds(r + 0.01))
    assert v.outcome is Outcome.REPRODUCED and "fitted rate" in v.reason
    assert judge(SCALING, scaling_seeds(r - 0.01)).outcome is Outcome.NOT_REPRODUCED


def test_exact_power_law_rate_is_recovered():
    v = judge(SCALING, scaling_seeds(1.5))
    assert v.values["fitted rate r (MSE ∝ n^-r)"] == pytest.approx(1.5, rel=1e-12)


def test_scaling_nonfinite_is_inconclusive():
    per_seed = scaling_seeds(1.0)
    per_seed[1] = {"test_mse": [math.inf] * 4, "rate": 1.0}
    assert judge(SCALING, per_seed).outcome is Outcome.INCONCLUSIVE


# -- unstacked-vs-stacked ---------------------------------------------------------------------


def stacked_seeds(un, st, n=2):
    def entry(x):
        return {"test_mse": x, "train_mse": x / 2, "num_parameters": 100}

    return [{"unstacked": entry(un), "stacked": entry(st)} for _ in range(n)]


def test_unstacked_lower_is_reproduced_equal_or_higher_is_not():
    v = judge(STACKED, stacked_seeds(1e-5, 2e-5))
    assert v.outcome is Outcome.REPRODUCED and "stacked / unstacked" in v.reason
    assert judge(STACKED, stacked_seeds(2e-5, 2e-5)).outcome is Outcome.NOT_REPRODUCED
    assert judge(STACKED, stacked_seeds(3e-5, 2e-5)).outcome is Outcome.NOT_REPRODUCED


def test_stacked_missing_is_inconclusive():
    per_seed = stacked_seeds(1e-5, 2e-5)
    del per_seed[0]["stacked"]
    assert judge(STACKED, per_seed).outcome is Outcome.INCONCLUSIVE


# -- configs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "changes"),
    [
        (ScalingConfig, {"sizes": (100,)}),  # one size has no slope
        (ScalingConfig, {"sizes": (300, 100)}),
        (FnnConfig, {"sizes": ()}),
        (FnnConfig, {"branch_hidden": (0,)}),
    ],
)
def test_config_domains(cls, changes):
    with pytest.raises(ConfigError):
        cls(**changes)
