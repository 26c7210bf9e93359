"""Verdict rules of the polystep claims, fed made-up per-seed metrics."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers import polystep


def claim(key):
    c = polystep.PAPER.claim(key)
    return c, c.config("quick")


def snn_seed(ps=0.6, es=0.4, spsa=0.3, init=0.1, adam=0.1, grad=0.0):
    return {
        "init_accuracy": init,
        "adam_exact_accuracy": adam,
        "adam_exact_max_grad_norm": grad,
        "polystep_accuracy": ps,
        "es_accuracy": es,
        "spsa_accuracy": spsa,
        "surrogate_adam_accuracy": 0.9,
        "polystep_evaluations": 5000,
        "es_evaluations": 5000,
        "equal_evals_polystep_minus_es": -0.02,
    }


def test_snn_beats_baselines_beyond_one_se_reproduces():
    c, cfg = claim("snn-plateau")
    v = c.judge([snn_seed(ps=0.60), snn_seed(ps=0.62), snn_seed(ps=0.58)], cfg)
    assert v.outcome is Outcome.REPRODUCED
    assert "beats the best baseline" in v.reason
    assert "improvement of PolyStep over best baseline" in v.reason


def test_snn_tie_within_noise_is_inconclusive():
    c, cfg = claim("snn-plateau")
    v = c.judge([snn_seed(ps=0.60, es=0.55), snn_seed(ps=0.60, es=0.64), snn_seed()], cfg)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "tie within one standard error" in v.reason


def test_snn_losing_beyond_noise_does_not_reproduce():
    c, cfg = claim("snn-plateau")
    v = c.judge(
        [snn_seed(ps=0.5, es=0.60), snn_seed(ps=0.5, es=0.62), snn_seed(ps=0.5, es=0.61)], cfg
    )
    assert v.outcome is Outcome.NOT_REPRODUCED
    assert "behind the best baseline" in v.reason


def test_snn_one_seed_never_decides():
    c, cfg = claim("snn-plateau")
    v = c.judge([snn_seed(ps=0.9)], cfg)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "one seed cannot decide" in v.reason


@pytest.mark.parametrize(
    "kwargs",
    [
        {"grad": 1e-6},  # a gradient exists: no plateau
        {"adam": 0.1 + 0.051},  # Adam moved beyond the band
        {"ps": 0.1 + 0.199},  # PolyStep did not cross the plateau
    ],
)
def test_snn_plateau_conditions(kwargs):
    c, cfg = claim("snn-plateau")
    assert (cfg.plateau_band, cfg.min_gain) == (0.05, 0.2)  # the numbers the cases are built on
    seeds = [
        snn_seed(**{**kwargs, "es": 0.0, "spsa": 0.0, "ps": kwargs.get("ps", 0.6) + d})
        for d in (0, 0.01, -0.01)
    ]
    assert c.judge(seeds, cfg).outcome is Outcome.NOT_REPRODUCED


def test_snn_nonfinite_is_inconclusive():
    c, cfg = claim("snn-plateau")
    assert c.judge([snn_seed(ps=math.nan)], cfg).outcome is Outcome.INCONCLUSIVE


def arch_seed(margin):
    return {
        a: {"polystep": 0.8 + margin, "es": 0.8, "spsa": 0.7, "surrogate_adam": 0.9}
        for a in polystep.ARCHITECTURES
    }


@pytest.mark.parametrize(
    ("margin", "outcome"), [(0.001, Outcome.REPRODUCED), (0.0, Outcome.NOT_REPRODUCED)]
)
def test_arch_polystep_ahead_everywhere(margin, outcome):
    c, cfg = claim("other-architectures")
    v = c.judge([arch_seed(margin)] * 2, cfg)
    assert v.outcome is outcome
    assert "PolyStep − best baseline" in v.reason


def test_arch_missing_architecture_is_inconclusive():
    c, cfg = claim("other-architectures")
    s = arch_seed(0.1)
    del s["moe"]
    assert c.judge([s], cfg).outcome is Outcome.INCONCLUSIVE


def maxsat_seed(cfg, worst):
    k = len(cfg.sizes)
    return {"polystep": [0.99] * (k - 1) + [worst], "es": [0.9] * k, "probsat": [0.99] * k}


@pytest.mark.parametrize(
    ("delta", "outcome"), [(0.0, Outcome.REPRODUCED), (-0.001, Outcome.NOT_REPRODUCED)]
)
def test_maxsat_threshold(delta, outcome):
    c, cfg = claim("maxsat")
    v = c.judge([maxsat_seed(cfg, cfg.threshold + delta)], cfg)
    assert v.outcome is outcome
    assert "clause satisfaction" in v.reason


def test_maxsat_short_list_is_inconclusive():
    c, cfg = claim("maxsat")
    assert (
        c.judge([{"polystep": [0.99], "es": [0.9], "probsat": [1.0]}], cfg).outcome
        is Outcome.INCONCLUSIVE
    )


def policy_seed(ps_float=0.9, es_float=0.9, quantised=0.9):
    m = {"polystep_float": ps_float, "es_float": es_float}
    for a in ("int8", "binary"):
        m[f"polystep_{a}"] = quantised
        m[f"es_{a}"] = 0.5
    return m


@pytest.mark.parametrize(
    ("kwargs", "outcome"),
    [
        ({"ps_float": 0.9, "es_float": 0.9 + 0.049}, Outcome.REPRODUCED),
        ({"ps_float": 0.9, "es_float": 0.9 + 0.051}, Outcome.NOT_REPRODUCED),
        ({"quantised": 0.95 * 0.9 + 1e-9}, Outcome.REPRODUCED),
        ({"quantised": 0.95 * 0.9 - 1e-3}, Outcome.NOT_REPRODUCED),
    ],
)
def test_policy_match_and_keep(kwargs, outcome):
    c, cfg = claim("policy-search")
    assert (cfg.match_tolerance, cfg.keep_fraction) == (0.05, 0.95)
    v = c.judge([policy_seed(**kwargs)] * 2, cfg)
    assert v.outcome is outcome
    assert "float PolyStep − OpenAI-ES" in v.reason


def test_policy_config_needs_the_float_reference():
    _, cfg = claim("policy-search")
    with pytest.raises(ConfigError, match="float"):
        dataclasses.replace(cfg, activations=("int8", "binary"))
    with pytest.raises(ConfigError):
        dataclasses.replace(cfg, activations=("float", "int4"))


def test_maxsat_sizes_must_increase():
    _, cfg = claim("maxsat")
    with pytest.raises(ConfigError):
        dataclasses.replace(cfg, sizes=(1000, 100))


@pytest.mark.parametrize("claim", polystep.PAPER.claims, ids=lambda c: c.key)
def test_no_completed_seed_is_inconclusive(claim):
    assert claim.judge([], claim.config("quick")).outcome is Outcome.INCONCLUSIVE
