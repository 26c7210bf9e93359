"""The score-estimation verdict rules on made-up per-seed metrics (no training)."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.score_estimation import (
    PAPER,
    EarlyStoppingConfig,
    SamplingConfig,
    TrackingConfig,
)

ES = PAPER.claim("early-stopping-beats-interpolation")
TRACK = PAPER.claim("wide-network-tracks-ntk")
SAMPLE = PAPER.claim("samples-w2")
RATIO = ES.config("quick").min_ratio


def es_seeds(early, interp, jitter=(0.0, 0.01, -0.01)):
    """One seed per jitter: early errors shifted by the jitter, the rest fixed."""
    return [
        {
            "early_error": [e + j for e in early],
            "interp_error": list(interp),
            "oracle_error": [0.5 * e for e in early],
        }
        for j in jitter
    ]


def test_ratio_and_fall_reproduced():
    v = ES.judge(es_seeds([0.1, 0.05], [1.1, 0.9]), ES.config("quick"))
    assert v.outcome is Outcome.REPRODUCED
    assert "interpolating / early-stopped error at n=200" in v.reason


def test_ratio_just_below_the_threshold_fails():
    # ratio at n=200 slightly under min_ratio (the jitter averages out)
    v = ES.judge(es_seeds([0.1, 0.05], [0.1 * RATIO * 0.99, 0.9]), ES.config("quick"))
    assert v.outcome is Outcome.NOT_REPRODUCED and "n=200" in v.reason
    ok = ES.judge(es_seeds([0.1, 0.05], [0.1 * RATIO * 1.01, 0.9]), ES.config("quick"))
    assert ok.outcome is Outcome.REPRODUCED


def test_error_that_does_not_fall_with_n():
    # ratios hold but the error grows with n: not reproduced
    v = ES.judge(es_seeds([0.05, 0.1], [1.0, 1.0]), ES.config("quick"))
    assert v.outcome is Outcome.NOT_REPRODUCED and "does not fall" in v.reason


def test_fall_within_noise_is_inconclusive():
    # mean fall 0.005 with paired differences spread 0.02 (se ~0.012)
    seeds = es_seeds([0.1, 0.1], [1.0, 1.0], jitter=(0.0, 0.0, 0.0))
    for s, d in zip(seeds, (0.025, -0.015, 0.005), strict=True):
        s["early_error"][1] -= d
    v = ES.judge(seeds, ES.config("quick"))
    assert v.outcome is Outcome.INCONCLUSIVE and "within one standard error" in v.reason


def test_guards_seeds_missing_and_nan():
    cfg = ES.config("quick")
    assert ES.judge(es_seeds([0.1, 0.05], [1.0, 1.0])[:1], cfg).outcome is Outcome.INCONCLUSIVE
    seeds = es_seeds([0.1, 0.05], [1.0, 1.0])
    seeds[1]["early_error"] = [0.1]
    assert ES.judge(seeds, cfg).outcome is Outcome.INCONCLUSIVE
    seeds = es_seeds([0.1, math.nan], [1.0, 1.0])
    assert ES.judge(seeds, cfg).outcome is Outcome.INCONCLUSIVE


MAX_REL = TRACK.config("quick").max_rel_error


def track_seeds(errors, n=3):
    return [
        {
            "worst_rel_error": list(errors),
            "mse_net": [0.1] * len(errors),
            "mse_ntk": [0.1] * len(errors),
        }
        for _ in range(n)
    ]


def test_tracking_both_sides_of_the_bound():
    cfg = TRACK.config("quick")
    v = TRACK.judge(track_seeds([0.5, MAX_REL * 0.99]), cfg)
    assert v.outcome is Outcome.REPRODUCED and "width 4096" in v.reason
    assert TRACK.judge(track_seeds([0.5, MAX_REL * 1.01]), cfg).outcome is Outcome.NOT_REPRODUCED


def test_tracking_must_fall_with_width():
    cfg = TRACK.config("quick")
    assert TRACK.judge(track_seeds([0.05, 0.06]), cfg).outcome is Outcome.NOT_REPRODUCED
    assert TRACK.judge(track_seeds([0.05, 0.05]), cfg).outcome is Outcome.NOT_REPRODUCED


def test_tracking_missing_or_nan_is_inconclusive():
    cfg = TRACK.config("quick")
    assert TRACK.judge(track_seeds([0.1]), cfg).outcome is Outcome.INCONCLUSIVE
    assert TRACK.judge(track_seeds([0.1, math.nan]), cfg).outcome is Outcome.INCONCLUSIVE


MAX_EXACT = SAMPLE.config("quick").max_exact_w2


def sample_seeds(early, interp, exact=0.001):
    return [
        {"w2_early": e, "w2_interp": i, "w2_exact": exact, "w2_sde_early": e, "w2_sde_interp": i}
        for e, i in zip(early, interp, strict=True)
    ]


def test_sampling_sides():
    cfg = SAMPLE.config("quick")
    v = SAMPLE.judge(sample_seeds([0.3, 0.35, 0.32], [0.6, 0.7, 0.65]), cfg)
    assert v.outcome is Outcome.REPRODUCED and "early-stopped" in v.reason
    # better on average but within one paired s.e.
    noisy = sample_seeds([0.3, 0.7, 0.5], [0.6, 0.4, 0.55])
    assert SAMPLE.judge(noisy, cfg).outcome is Outcome.INCONCLUSIVE
    worse = sample_seeds([0.6, 0.7, 0.65], [0.3, 0.35, 0.32])
    assert SAMPLE.judge(worse, cfg).outcome is Outcome.NOT_REPRODUCED
    one = sample_seeds([0.3], [0.6])  # one seed: se = inf
    assert SAMPLE.judge(one, cfg).outcome is Outcome.INCONCLUSIVE


def test_sampling_guard_on_the_exact_sampler():
    cfg = SAMPLE.config("quick")
    bad = sample_seeds([0.3, 0.35, 0.32], [0.6, 0.7, 0.65], exact=MAX_EXACT * 1.01)
    v = SAMPLE.judge(bad, cfg)
    assert v.outcome is Outcome.INCONCLUSIVE and "exact-score sampler" in v.reason
    edge = sample_seeds([0.3, 0.35, 0.32], [0.6, 0.7, 0.65], exact=MAX_EXACT * 0.99)
    assert SAMPLE.judge(edge, cfg).outcome is Outcome.REPRODUCED
    missing = sample_seeds([0.3, 0.35], [0.6, 0.7])
    del missing[0]["w2_interp"]
    assert SAMPLE.judge(missing, cfg).outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize(
    ("cls", "changes"),
    [
        (EarlyStoppingConfig, {"ns": (200,)}),
        (EarlyStoppingConfig, {"ns": (800, 200)}),
        (EarlyStoppingConfig, {"min_ratio": 1.0}),
        (EarlyStoppingConfig, {"t_min": 2.0}),
        (TrackingConfig, {"widths": (4096, 256)}),
        (TrackingConfig, {"checkpoints": ()}),
        (SamplingConfig, {"n_samples": 1}),
        (SamplingConfig, {"component_std": 0.0}),
    ],
)
def test_config_domains(cls, changes):
    with pytest.raises(ConfigError):
        cls(**changes)
