"""The instance-noise verdict rules on made-up per-seed metrics, and each claim's smoke preset."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.instance_noise import PAPER, BeatsConfig, run_sweep

BEATS = PAPER.claim("perturbation-beats-mle")
USHAPE = PAPER.claim("u-shape-in-sigma")
CFG = BEATS.config("quick")  # sigmas (0.02, 0.05, 0.1, 0.2, 0.4), min_improvement 0.2
UCFG = USHAPE.config("quick")


def seeds(curve, mle, jitter=(0.0, 0.01, -0.01), mle_jitter=(0.0, 0.0, 0.0)):
    """One seed per jitter: the whole W curve shifted by it, the MLE's W by ``mle_jitter``."""
    return [
        {
            "w_sigma": [w + j for w in curve],
            "w_mle": mle + mj,
            "mle_sigma": 0.09,
            "floor": 0.08,
        }
        for j, mj in zip(jitter, mle_jitter, strict=True)
    ]


U = [0.20, 0.15, 0.12, 0.15, 0.22]


def test_beats_reproduced_and_its_threshold():
    # best mean at σ = 0.1 (0.12); gain 1 - 0.12/0.2 = 0.4
    v = BEATS.judge(seeds(U, 0.2), CFG)
    assert v.outcome is Outcome.REPRODUCED and "σ = 0.1" in v.reason
    # gain just under / over the 20 % threshold
    assert BEATS.judge(seeds(U, 0.12 / 0.81), CFG).outcome is Outcome.NOT_REPRODUCED
    assert BEATS.judge(seeds(U, 0.12 / 0.79), CFG).outcome is Outcome.REPRODUCED


def test_beats_not_reproduced_when_mle_is_better():
    v = BEATS.judge(seeds(U, 0.11), CFG)
    assert v.outcome is Outcome.NOT_REPRODUCED and "fail" in v.reason


def test_beats_gain_within_noise_is_inconclusive():
    # mean gain 40 % but paired differences spread ±0.2: s.e. ≈ 0.12 > effect 0.08
    v = BEATS.judge(seeds(U, 0.2, mle_jitter=(0.2, -0.2, 0.0)), CFG)
    assert v.outcome is Outcome.INCONCLUSIVE and "within one standard error" in v.reason


def test_beats_guards():
    assert BEATS.judge(seeds(U, 0.2)[:1], CFG).outcome is Outcome.INCONCLUSIVE
    bad = seeds(U, 0.2)
    bad[1]["w_mle"] = math.nan
    assert BEATS.judge(bad, CFG).outcome is Outcome.INCONCLUSIVE
    bad = seeds(U, 0.2)
    bad[2]["w_sigma"] = U[:2]
    assert BEATS.judge(bad, CFG).outcome is Outcome.INCONCLUSIVE


def test_u_shape_reproduced():
    v = USHAPE.judge(seeds(U, 0.2), UCFG)
    assert v.outcome is Outcome.REPRODUCED and "interior σ = 0.1" in v.reason


def test_u_shape_minimum_at_an_end_is_not_reproduced():
    for curve in ([0.10, 0.12, 0.14, 0.16, 0.2], [0.3, 0.2, 0.15, 0.12, 0.11]):
        v = USHAPE.judge(seeds(curve, 0.2), UCFG)
        assert v.outcome is Outcome.NOT_REPRODUCED and "no interior minimum" in v.reason


def test_u_shape_end_within_noise_is_inconclusive():
    # interior minimum 0.12 but the σ = 0.02 end is only 0.005 worse, with paired spread 0.02
    curve = [0.125, 0.15, 0.12, 0.15, 0.22]
    s = seeds(curve, 0.2, jitter=(0.0, 0.0, 0.0))
    for m, d in zip(s, (0.02, -0.02, 0.0), strict=True):
        m["w_sigma"][0] += d
    v = USHAPE.judge(s, UCFG)
    assert v.outcome is Outcome.INCONCLUSIVE and "within one s.e." in v.reason


def test_u_shape_guards():
    assert USHAPE.judge(seeds(U, 0.2)[:1], UCFG).outcome is Outcome.INCONCLUSIVE
    bad = seeds(U, 0.2)
    bad[0]["w_sigma"] = [math.inf, *U[1:]]
    assert USHAPE.judge(bad, UCFG).outcome is Outcome.INCONCLUSIVE


def test_config_domains():
    with pytest.raises(ConfigError, match="sigmas"):
        BeatsConfig(sigmas=(0.1, 0.05, 0.2))
    with pytest.raises(ConfigError, match="n_gen"):
        BeatsConfig(n_train=100, n_gen=200)
    with pytest.raises(ConfigError, match="dataset"):
        BeatsConfig(dataset="sphere")
    assert BEATS.config("paper").dataset == "digits"


def test_smoke_presets_run_and_share_the_sweep():
    # the second claim reads the first's sweep from the cache: identical numbers
    a = run_sweep(BEATS.config("smoke"), 0)
    b = run_sweep(USHAPE.config("smoke"), 0)
    assert a == b
    assert len(a["w_sigma"]) == 3 and all(w > 0 for w in a["w_sigma"])
    assert a["w_best"] == min(a["w_sigma"]) and a["floor"] > 0 and a["mle_sigma"] > 0
