"""Verdict rules of the neural-specifications (NAP) paper on made-up per-seed metrics."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.neural_specifications import PAPER, PAPER_RECALL

RECALL, TRADEOFF, BOUNDS, RADIUS = (
    PAPER.claim(k)
    for k in (
        "recall-at-delta",
        "delta-tradeoff",
        "nap-bounds-sound-and-tighter",
        "certified-radius",
    )
)


def _judge(claim, *seeds):
    return claim.judge(list(seeds), claim.config("quick"))


def _recall(recall, acc=0.97):
    return {"recall": recall, "precision": 0.9, "fixed_neurons": 40.0, "test_accuracy": acc}


def test_recall_within_tolerance_either_side():
    tol = RECALL.config("quick").tolerance
    for r in (PAPER_RECALL - tol + 1e-9, PAPER_RECALL + tol - 1e-9):
        v = _judge(RECALL, _recall(r), _recall(r))
        assert v.outcome is Outcome.REPRODUCED and "recall" in v.reason
    for r in (PAPER_RECALL - tol - 1e-3, PAPER_RECALL + tol + 1e-3):
        assert _judge(RECALL, _recall(r)).outcome is Outcome.NOT_REPRODUCED


def test_recall_guards():
    config = RECALL.config("quick")
    v = _judge(RECALL, _recall(PAPER_RECALL, acc=config.min_accuracy - 0.01))
    assert v.outcome is Outcome.INCONCLUSIVE and "did not learn" in v.reason
    assert _judge(RECALL, _recall(math.nan)).outcome is Outcome.INCONCLUSIVE


def _tradeoff(recall, precision):
    return {"recall": recall, "precision": precision, "fixed_neurons": [40, 30, 20, 10],
            "test_accuracy": 0.97}  # fmt: skip


@pytest.mark.parametrize(
    ("recall", "precision", "outcome", "needle"),
    [([0.5, 0.6, 0.6, 0.8], [0.99, 0.97, 0.98, 0.9], Outcome.REPRODUCED, "all conditions hold"),
     ([0.5, 0.7, 0.6, 0.8], [0.99, 0.97, 0.95, 0.9], Outcome.NOT_REPRODUCED, "recall falls"),
     ([0.5, 0.5, 0.5, 0.5], [0.99, 0.97, 0.95, 0.9], Outcome.NOT_REPRODUCED, "recall gain"),
     ([0.5, 0.6, 0.7, 0.8], [0.9, 0.97, 0.95, 0.9], Outcome.NOT_REPRODUCED, "precision drop")],
)  # fmt: skip
def test_tradeoff_rule(recall, precision, outcome, needle):
    v = _judge(TRADEOFF, _tradeoff(recall, precision), _tradeoff(recall, precision))
    assert v.outcome is outcome and needle in v.reason


def test_tradeoff_nan_precision_of_one_seed_is_skipped_of_all_is_inconclusive():
    good = _tradeoff([0.5, 0.6, 0.7, 0.8], [0.99, 0.97, 0.95, 0.9])
    bad = _tradeoff([0.5, 0.6, 0.7, 0.8], [math.nan, 0.97, 0.95, 0.9])
    assert _judge(TRADEOFF, good, bad).outcome is Outcome.REPRODUCED
    v = _judge(TRADEOFF, bad)
    assert v.outcome is Outcome.INCONCLUSIVE and "precision" in v.reason


def _bounds(violations=0, looser=0, checked=100):
    return {
        "test_accuracy": 0.97, "checked_points": checked, "soundness_violations": violations,
        "looser_bounds": looser, "milp_checks": 5, "tighter_fraction": 0.4,
        "full_domain_crown_verified": 0, "full_domain_milp_verified": 0,
        "full_domain_falsified": 10, "num_classes": 10, "balls_crown_verified": 3,
        "balls_milp_verified": 3, "num_balls": 4,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("seed", "outcome"),
    [(_bounds(), Outcome.REPRODUCED), (_bounds(violations=1), Outcome.NOT_REPRODUCED),
     (_bounds(looser=1), Outcome.NOT_REPRODUCED)],
)  # fmt: skip
def test_bounds_rule(seed, outcome):
    v = _judge(BOUNDS, _bounds(), seed)
    assert v.outcome is outcome and "looser than plain IBP" in v.reason


def test_bounds_nothing_checked_is_inconclusive():
    v = _judge(BOUNDS, _bounds(checked=0))
    assert v.outcome is Outcome.INCONCLUSIVE and "no point inside" in v.reason


def _radius(plain, nap):
    ratios = [b / a for a, b in zip(plain, nap, strict=True) if a > 0]
    return {
        "test_accuracy": 0.97, "radius": plain, "radius_nap": nap,
        "radius_ratio": sum(ratios) / len(ratios) if ratios else None,
        "smaller_with_nap": sum(b < a for a, b in zip(plain, nap, strict=True)),
    }  # fmt: skip


def test_radius_rule():
    need = RADIUS.config("quick").min_ratio
    v = _judge(RADIUS, _radius([0.01, 0.02], [0.01 * need, 0.02 * need]))
    assert v.outcome is Outcome.REPRODUCED and "ratio" in v.reason
    v = _judge(RADIUS, _radius([0.01, 0.02], [0.01 * need * 0.99, 0.02 * need * 0.99]))
    assert v.outcome is Outcome.NOT_REPRODUCED
    v = _judge(RADIUS, _radius([0.01, 0.02], [0.009, 0.2]))  # big mean gain, one radius shrank
    assert v.outcome is Outcome.NOT_REPRODUCED and "smaller radius" in v.reason
    v = _judge(RADIUS, _radius([0.0], [0.1]))
    assert v.outcome is Outcome.INCONCLUSIVE and "positive certified radius" in v.reason


@pytest.mark.parametrize(
    ("claim", "change"),
    [(RECALL, {"delta": 0.5}), (RECALL, {"delta": 1.01}), (RECALL, {"test_size": 0.0}),
     (TRADEOFF, {"deltas": (0.99, 0.9)}), (TRADEOFF, {"deltas": (0.9,)}),
     (BOUNDS, {"ball_radius": 0.0}), (RADIUS, {"tol": 0.5}), (RADIUS, {"min_ratio": 1.0}),
     (RADIUS, {"hidden": ()})],
)  # fmt: skip
def test_config_domains(claim, change):
    with pytest.raises(ConfigError):
        dataclasses.replace(claim.config("quick"), **change)


@pytest.mark.parametrize(
    "key", ["full_domain_falsified", "full_domain_milp_verified", "looser_bounds"]
)
def test_bounds_missing_metric_is_inconclusive(key):
    m = _bounds()
    del m[key]
    v = _judge(BOUNDS, m)
    assert v.outcome is Outcome.INCONCLUSIVE and key in v.reason
