"""The deep-learning-theory verdict rules on made-up per-seed metrics (no simulation)."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.deep_learning_theory import (
    LEADING_ORDER_RELU_SLOPE,
    PAPER,
    KernelMCConfig,
    KurtosisConfig,
    TrainabilityConfig,
    VarianceConfig,
)

VARIANCE = PAPER.claim("variance-criticality")
KURTOSIS = PAPER.claim("kurtosis-depth-width")
TRAIN = PAPER.claim("tanh-trainability")
KERNEL = PAPER.claim("kernel-vs-monte-carlo")


def judge(claim, per_seed):
    return claim.judge(per_seed, claim.config("quick"))


# -- variance-criticality: quick factors (0.75, 1.0, 1.25), band 2, off factor 100 ------------


def variance_seeds(low=1e-3, crit=1.0, high=1e3, gelu=1.0, n=2):
    return [
        {"ratio": [low, crit, high], "gelu_ratio": gelu, "predicted_ratio": [1e-6, 1.0, 1e5]}
        for _ in range(n)
    ]


def test_variance_reproduced_and_each_boundary():
    cfg = VARIANCE.config("quick")
    v = judge(VARIANCE, variance_seeds())
    assert v.outcome is Outcome.REPRODUCED and "log10 K(L)/K(1)" in v.reason
    band, off = cfg.critical_band, cfg.off_factor
    for changes in (
        {"crit": band * 1.01},
        {"crit": 1 / (band * 1.01)},
        {"gelu": band * 1.01},
        {"high": off * 0.99},
        {"low": 1 / (off * 0.99)},
    ):
        assert judge(VARIANCE, variance_seeds(**changes)).outcome is Outcome.NOT_REPRODUCED
    assert judge(VARIANCE, variance_seeds(crit=band * 0.99, high=off * 1.01)).outcome is (
        Outcome.REPRODUCED
    )


def test_variance_underflow_counts_as_vanishing_but_nan_is_inconclusive():
    assert judge(VARIANCE, variance_seeds(low=0.0)).outcome is Outcome.REPRODUCED
    assert judge(VARIANCE, variance_seeds(high=math.nan)).outcome is Outcome.INCONCLUSIVE


# -- kurtosis-depth-width ------------------------------------------------------------------


def kurtosis_seeds(slope=LEADING_ORDER_RELU_SLOPE, spread=1.05, n=2):
    return [{"slope": slope, "collapse_spread": spread, "exact_slope": 16.0} for _ in range(n)]


def test_kurtosis_slope_on_both_sides_of_the_tolerance():
    tol = KURTOSIS.config("quick").slope_tolerance
    s = LEADING_ORDER_RELU_SLOPE
    v = judge(KURTOSIS, kurtosis_seeds(slope=s * (1 + 0.99 * tol)))
    assert v.outcome is Outcome.REPRODUCED and "slope" in v.reason
    assert judge(KURTOSIS, kurtosis_seeds(slope=s * (1 + 1.01 * tol))).outcome is (
        Outcome.NOT_REPRODUCED
    )
    assert judge(KURTOSIS, kurtosis_seeds(slope=s * (1 - 1.01 * tol))).outcome is (
        Outcome.NOT_REPRODUCED
    )


def test_kurtosis_collapse_bound_and_infinite_spread():
    tol = KURTOSIS.config("quick").collapse_tolerance
    assert judge(KURTOSIS, kurtosis_seeds(spread=1 + 1.01 * tol)).outcome is (
        Outcome.NOT_REPRODUCED
    )
    assert judge(KURTOSIS, kurtosis_seeds(spread=math.inf)).outcome is Outcome.NOT_REPRODUCED
    assert judge(KURTOSIS, kurtosis_seeds(slope=math.nan)).outcome is Outcome.INCONCLUSIVE


# -- tanh-trainability: quick c_ws (0.5, 1, 2, 4), trains 0.9, gap 0.2 ----------------------


def train_seeds(acc, n=2):
    return [{"best_train_accuracy": list(acc)} for _ in range(n)]


def test_trainability_boundaries():
    v = judge(TRAIN, train_seeds([0.5, 0.95, 0.95, 0.6]))
    assert v.outcome is Outcome.REPRODUCED and "C_W = 1" in v.reason
    assert judge(TRAIN, train_seeds([0.5, 0.89, 0.95, 0.6])).outcome is Outcome.NOT_REPRODUCED
    assert judge(TRAIN, train_seeds([0.76, 0.95, 0.5, 0.6])).outcome is Outcome.NOT_REPRODUCED
    assert judge(TRAIN, train_seeds([0.5, 0.95, 0.5, 0.76])).outcome is Outcome.NOT_REPRODUCED
    assert judge(TRAIN, train_seeds([0.5, 0.95])).outcome is Outcome.INCONCLUSIVE


# -- kernel-vs-monte-carlo -------------------------------------------------------------------


def test_kernel_tolerance_on_both_sides():
    tol = KERNEL.config("quick").tolerance
    acts = KERNEL.config("quick").activations

    def seeds(err):
        return [{"relative_error": dict.fromkeys(acts, err), "max_relative_error": err}] * 2

    v = judge(KERNEL, seeds(tol * 0.99))
    assert v.outcome is Outcome.REPRODUCED and "max entrywise error" in v.reason
    assert judge(KERNEL, seeds(tol * 1.01)).outcome is Outcome.NOT_REPRODUCED
    assert judge(KERNEL, [{"max_relative_error": 0.01}]).outcome is Outcome.INCONCLUSIVE


# -- configs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "changes"),
    [
        (VarianceConfig, {"c_w_factors": (0.75, 0.9, 1.25)}),  # no critical point
        (VarianceConfig, {"c_w_factors": (0.5, 0.75, 1.0)}),  # nothing above it
        (VarianceConfig, {"num_networks": 1}),
        (VarianceConfig, {"critical_band": math.nan}),
        (KurtosisConfig, {"widths": (32,)}),
        (KurtosisConfig, {"ratios": (1 / 3,)}),  # 32 / 3 is not an integer
        (TrainabilityConfig, {"c_ws": (0.5, 2.0, 1.0)}),
        (TrainabilityConfig, {"c_ws": (0.5, 2.0, 4.0)}),
        (TrainabilityConfig, {"c_ws": (1.0, 2.0, 4.0)}),
        (KernelMCConfig, {"activations": ("relu", "nope")}),
    ],
)
def test_config_domains(cls, changes):
    with pytest.raises(ConfigError):
        cls(**changes)
