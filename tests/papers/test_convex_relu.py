"""Verdict rules of the convex-relu claims, fed made-up per-seed metrics."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.papers import convex_relu as cr


def claim(key):
    c = cr.PAPER.claim(key)
    return c, c.config("quick")


def opt_seed(gap, reference=1.0):
    return {
        "reference_objective": reference,
        "relative_gap": gap,
        "admm_iterations": 500,
        "arrangements": 30,
    }


@pytest.mark.parametrize(
    ("factor", "outcome"), [(0.9, Outcome.REPRODUCED), (1.1, Outcome.NOT_REPRODUCED)]
)
def test_optimality_gap_threshold(factor, outcome):
    c, cfg = claim("admm-optimality")
    v = c.judge([opt_seed(0.0), opt_seed(factor * cfg.max_gap)], cfg)
    assert v.outcome is outcome
    assert "relative gap" in v.reason


def test_optimality_without_cvxpy_is_inconclusive():
    c, cfg = claim("admm-optimality")
    v = c.judge([opt_seed(0.0), opt_seed(None, reference=None)], cfg)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "cvxpy" in v.reason


def adam_seed(convex, adam_best):
    return {
        "recovered_objective": convex,
        "adam_best": adam_best,
        "adam_median": adam_best + 1,
        "coverage": 0.5,
        "num_neurons": 10,
    }


@pytest.mark.parametrize(
    ("pairs", "outcome"),
    [
        ([(1.0, 1.0), (0.9, 1.0)], Outcome.REPRODUCED),
        ([(0.9, 1.0), (1.001, 1.0)], Outcome.NOT_REPRODUCED),
    ],
)
def test_global_vs_adam_every_seed(pairs, outcome):
    c, cfg = claim("global-vs-adam")
    v = c.judge([adam_seed(*p) for p in pairs], cfg)
    assert v.outcome is outcome
    assert "Adam runs" in v.reason


@pytest.mark.parametrize(
    ("pairs", "outcome"),
    [
        ([(1.1, 1.0), (2.0, 1.0)], Outcome.REPRODUCED),
        ([(1.1, 1.0), (1.0, 1.0)], Outcome.NOT_REPRODUCED),
    ],
)
def test_few_arrangements_every_seed(pairs, outcome):
    c, cfg = claim("few-arrangements")
    assert c.judge([adam_seed(*p) for p in pairs], cfg).outcome is outcome


def test_adam_nonfinite_objective_is_inconclusive():
    c, cfg = claim("global-vs-adam")
    v = c.judge([adam_seed(math.nan, 1.0)], cfg)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "recovered_objective" in v.reason


def robust_seed(std_clean=0.9, rob_clean=0.9, std_pgd=0.5, rob_pgd=0.6, available=True):
    return {
        "available": available,
        "standard_clean": std_clean,
        "robust_clean": rob_clean,
        "standard_pgd": std_pgd,
        "robust_pgd": rob_pgd,
    }


def test_robust_more_accurate_under_pgd_reproduces():
    c, cfg = claim("robust-pgd")
    v = c.judge([robust_seed()] * 2, cfg)
    assert v.outcome is Outcome.REPRODUCED
    assert "PGD accuracy" in v.reason


def test_robust_not_more_accurate_does_not_reproduce():
    c, cfg = claim("robust-pgd")
    assert c.judge([robust_seed(rob_pgd=0.5)], cfg).outcome is Outcome.NOT_REPRODUCED


def test_robust_clean_gap_too_large_is_inconclusive():
    c, cfg = claim("robust-pgd")
    v = c.judge([robust_seed(rob_clean=0.9 - 1.1 * cfg.max_clean_gap)], cfg)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "clean accuracies differ" in v.reason


def test_robust_without_cvxpy_is_inconclusive():
    c, cfg = claim("robust-pgd")
    v = c.judge([{"available": False}], cfg)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "cvxpy" in v.reason


def scp_seed(gap_points, kkt=1e-5):
    return {
        "accuracy_gap_points": gap_points,
        "kkt_residual": kkt,
        "scp_accuracy": 0.95,
        "adam_accuracy": 0.95 - gap_points / 100,
        "num_neurons": 20,
    }


@pytest.mark.parametrize(
    ("factor", "outcome"), [(-0.9, Outcome.REPRODUCED), (-1.1, Outcome.NOT_REPRODUCED)]
)
def test_scp_gap_threshold(factor, outcome):
    c, cfg = claim("scp-classification")
    v = c.judge([scp_seed(factor * cfg.max_drop)] * 2, cfg)
    assert v.outcome is outcome
    assert "gated convex − Adam" in v.reason


def test_scp_uncertified_optimum_is_inconclusive():
    c, cfg = claim("scp-classification")
    v = c.judge([scp_seed(0.0, kkt=1.1 * cr.KKT_SLACK * cfg.tol)], cfg)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "KKT" in v.reason


@pytest.mark.parametrize("claim", cr.PAPER.claims, ids=lambda c: c.key)
def test_no_completed_seed_is_inconclusive(claim):
    assert claim.judge([], claim.config("quick")).outcome is Outcome.INCONCLUSIVE
