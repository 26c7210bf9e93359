"""Verdict rules of the pararnn claims, fed made-up per-seed metrics."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers import pararnn


def claim(key):
    c = pararnn.PAPER.claim(key)
    return c, c.config("quick")


@pytest.mark.parametrize(
    ("fwd", "grad", "outcome"),
    [
        (0.9, 0.9, Outcome.REPRODUCED),
        (1.1, 0.9, Outcome.NOT_REPRODUCED),
        (0.9, 1.1, Outcome.NOT_REPRODUCED),
    ],
)
def test_exactness_tolerances(fwd, grad, outcome):
    c, cfg = claim("exactness")
    m = {"max_forward_error": fwd * cfg.forward_tol, "max_grad_error": grad * cfg.grad_tol}
    v = c.judge([m], cfg)
    assert v.outcome is outcome
    assert "max forward error" in v.reason


def test_exactness_nonfinite_error_is_inconclusive():
    c, cfg = claim("exactness")
    v = c.judge([{"max_forward_error": math.nan, "max_grad_error": 0.0}], cfg)
    assert v.outcome is Outcome.INCONCLUSIVE


def conv_seed(*orders):
    cases = [f"gru/{i}" for i in range(len(orders))]
    m = {"cases": cases}
    for k, o in zip(cases, orders, strict=True):
        m[k] = {"errors": [0.4, 0.06, 7e-4, 2e-7], "order": o, "iters_to_1e-10": 5}
    return m


@pytest.mark.parametrize(
    ("below", "outcome"), [(0.0, Outcome.REPRODUCED), (0.01, Outcome.NOT_REPRODUCED)]
)
def test_newton_order_threshold(below, outcome):
    c, cfg = claim("newton-quadratic")
    v = c.judge([conv_seed(2.0, cfg.min_order - below)], cfg)
    assert v.outcome is outcome
    assert "lowest estimated order" in v.reason


def test_newton_without_an_order_is_inconclusive():
    c, cfg = claim("newton-quadratic")
    v = c.judge([conv_seed(2.0, None)], cfg)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "float floor" in v.reason
    assert c.judge([{"cases": []}], cfg).outcome is Outcome.INCONCLUSIVE


def speed_seed(fb, load=None):
    return {
        "forward_backward_speedup": fb,
        "forward_speedup": fb,
        "threads": 1,
        "sequential_forward_s": 1.0,
        "load_average": load,
        "cpu_count": 2,
    }


@pytest.mark.parametrize(
    ("factor", "outcome"), [(1.0, Outcome.REPRODUCED), (0.99, Outcome.NOT_REPRODUCED)]
)
def test_speed_target(factor, outcome):
    c, cfg = claim("cpu-speed")
    v = c.judge([speed_seed(factor * cfg.target)], cfg)
    assert v.outcome is outcome
    assert "sequential / best parallel" in v.reason


def test_speed_reports_a_loaded_machine():
    c, cfg = claim("cpu-speed")
    assert "loaded machine" in c.judge([speed_seed(0.3, load=3.0)], cfg).reason


def lm_seed(gru=2.0, lstm=2.0, tf=2.0, curve_gap=0.0, uniform=4.0):
    return {
        "paragru": {"val_loss": gru, "params": 1},
        "paralstm": {"val_loss": lstm, "params": 1},
        "transformer": {"val_loss": tf, "params": 1},
        "curve_gap": curve_gap,
        "uniform_loss": uniform,
    }


@pytest.mark.parametrize(
    ("kwargs", "outcome"),
    [
        ({"gru": 2.0 * 1.09}, Outcome.REPRODUCED),
        ({"lstm": 2.0 * 1.11}, Outcome.NOT_REPRODUCED),
        ({"curve_gap": 0.021}, Outcome.NOT_REPRODUCED),
        ({"curve_gap": 0.019}, Outcome.REPRODUCED),
    ],
)
def test_lm_comparable_and_curves_match(kwargs, outcome):
    c, cfg = claim("char-lm")
    assert (cfg.max_gap, cfg.max_curve_gap) == (0.10, 0.02)  # the numbers the cases are built on
    v = c.judge([lm_seed(**kwargs)], cfg)
    assert v.outcome is outcome
    assert "worst RNN / Transformer" in v.reason


def test_lm_not_learned_is_inconclusive():
    c, cfg = claim("char-lm")
    high = pararnn.LEARNED_FRACTION * 4.0 + 0.01
    v = c.judge([lm_seed(high, high, high)], cfg)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "barely learned" in v.reason


def test_lm_nhead_relation():
    _, cfg = claim("char-lm")
    with pytest.raises(ConfigError, match="nhead"):
        dataclasses.replace(cfg, d_model=1, nhead=8)


@pytest.mark.parametrize("claim", pararnn.PAPER.claims, ids=lambda c: c.key)
def test_no_completed_seed_is_inconclusive(claim):
    assert claim.judge([], claim.config("quick")).outcome is Outcome.INCONCLUSIVE
