"""The SGL-vs-SG-NTK verdict rule on made-up per-seed metrics (no training)."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.surrogate_gradient_ntk import PAPER, SglConfig

CLAIM = PAPER.claim("sgl-matches-sg-ntk")
MAX = CLAIM.config("quick").max_error  # quick widths (30, 300, 3000)


def seeds(errors, n=2):
    return [{"per_net_error": list(errors), "ensemble_error": list(errors)} for _ in range(n)]


def judge(per_seed):
    return CLAIM.judge(per_seed, CLAIM.config("quick"))


def test_decreasing_and_below_the_bound_is_reproduced():
    v = judge(seeds([0.7, 0.4, MAX]))
    assert v.outcome is Outcome.REPRODUCED and f"width {3000}" in v.reason


def test_bound_at_the_largest_width():
    assert judge(seeds([0.7, 0.4, MAX * 1.01])).outcome is Outcome.NOT_REPRODUCED


@pytest.mark.parametrize("errors", [[0.4, 0.4, 0.2], [0.3, 0.4, 0.2], [0.7, 0.2, 0.25]])
def test_not_strictly_decreasing_fails(errors):
    assert judge(seeds(errors)).outcome is Outcome.NOT_REPRODUCED


def test_missing_width_or_nan_is_inconclusive():
    assert judge(seeds([0.7, 0.4])).outcome is Outcome.INCONCLUSIVE
    assert judge(seeds([0.7, math.nan, 0.2])).outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize(
    "changes", [{"widths": (300,)}, {"widths": (300, 30)}, {"sigma_b": 0.0}, {"max_error": 0.0}]
)
def test_config_domains(changes):
    with pytest.raises(ConfigError):
        SglConfig(**changes)
