"""The SNNK verdict rules on made-up per-seed metrics (no training)."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.snnk import (
    MIN_BASELINE_ACCURACY,
    PAPER,
    BundlingConfig,
    EfficiencyConfig,
    KernelConfig,
)

KERNEL = PAPER.claim("kernel-estimation")
EFF = PAPER.claim("parameter-efficiency")
BUNDLE = PAPER.claim("bundling")


def judge(claim, per_seed):
    return claim.judge(per_seed, claim.config("quick"))


def kernel_seeds(relu, urf, n=2):
    one = {"slope_relu": relu, "slope_urf_sin": urf, "slope_relu_orthogonal": relu,
           "orthogonal_to_iid_mse": [0.5, 0.6]}  # fmt: skip
    return [dict(one) for _ in range(n)]


def test_kernel_slopes_inside_and_outside_the_band():
    cfg = KERNEL.config("quick")
    edge = cfg.slope_tolerance * 0.99
    v = judge(KERNEL, kernel_seeds(cfg.slope + edge, cfg.slope - edge))
    assert v.outcome is Outcome.REPRODUCED and "slope ReLU" in v.reason
    out = cfg.slope_tolerance * 1.01
    assert judge(KERNEL, kernel_seeds(cfg.slope + out, cfg.slope)).outcome is (
        Outcome.NOT_REPRODUCED
    )
    v = judge(KERNEL, kernel_seeds(cfg.slope, cfg.slope - out))
    assert v.outcome is Outcome.NOT_REPRODUCED and "URF" in v.reason
    assert judge(KERNEL, kernel_seeds(math.nan, -1.0)).outcome is Outcome.INCONCLUSIVE


def eff_seeds(dense, snnk, ratio=4.0, n=2):
    one = {"accuracy_dense": dense, "accuracy_snnk": snnk, "parameter_ratio": ratio,
           "parameters_dense": 4000, "parameters_snnk": 1000, "layer_parameter_ratio": 7.0}  # fmt: skip
    return [dict(one) for _ in range(n)]


def test_efficiency_boundaries():
    cfg = EFF.config("quick")
    drop = cfg.max_accuracy_drop
    v = judge(EFF, eff_seeds(0.97, 0.97 - drop * 0.9))
    assert v.outcome is Outcome.REPRODUCED and "accuracy drop" in v.reason
    assert judge(EFF, eff_seeds(0.97, 0.97 - drop * 1.1)).outcome is Outcome.NOT_REPRODUCED
    v = judge(EFF, eff_seeds(0.97, 0.97, ratio=cfg.min_parameter_ratio * 0.99))
    assert v.outcome is Outcome.NOT_REPRODUCED and "parameter ratio" in v.reason


def test_efficiency_untrained_baseline_is_inconclusive():
    v = judge(EFF, eff_seeds(MIN_BASELINE_ACCURACY - 0.01, 0.5))
    assert v.outcome is Outcome.INCONCLUSIVE and "did not train" in v.reason
    per_seed = eff_seeds(0.97, 0.97)
    per_seed[1]["accuracy_snnk"] = math.nan
    v = judge(EFF, per_seed)
    assert v.outcome is Outcome.INCONCLUSIVE and "accuracy_snnk" in v.reason


def bundle_seeds(ridge, bp, speedup=5.0, n=2):
    one = {"accuracy_ridge": ridge, "accuracy_backprop": bp, "speedup": speedup}
    return [dict(one) for _ in range(n)]


def test_bundling_boundaries():
    gap = BUNDLE.config("quick").max_accuracy_gap
    v = judge(BUNDLE, bundle_seeds(0.95 - gap * 0.9, 0.95))
    assert v.outcome is Outcome.REPRODUCED and "accuracy gap" in v.reason
    assert judge(BUNDLE, bundle_seeds(0.95 - gap * 1.1, 0.95)).outcome is Outcome.NOT_REPRODUCED
    v = judge(BUNDLE, bundle_seeds(0.95, 0.95, speedup=1.0))
    assert v.outcome is Outcome.NOT_REPRODUCED and "speedup" in v.reason
    v = judge(BUNDLE, bundle_seeds(0.95, MIN_BASELINE_ACCURACY - 0.01))
    assert v.outcome is Outcome.INCONCLUSIVE and "did not train" in v.reason
    assert judge(BUNDLE, [{"accuracy_ridge": 0.9}]).outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize(
    ("cls", "changes"),
    [
        (KernelConfig, {"num_features": (64,)}),
        (KernelConfig, {"num_features": (256, 64)}),
        (EfficiencyConfig, {"test_size": 1.0}),
        (EfficiencyConfig, {"width": -5}),
        (BundlingConfig, {"ridge": 0.0}),
        (BundlingConfig, {"max_accuracy_gap": math.nan}),
    ],
)
def test_config_domains(cls, changes):
    with pytest.raises(ConfigError):
        cls(**changes)
