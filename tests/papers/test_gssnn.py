"""Verdict rule of the G-SSNN paper on made-up per-seed metrics (no training)."""

from __future__ import annotations

import dataclasses

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.gssnn import PAPER

CLAIM = PAPER.claim("structure-spread")
QUICK = CLAIM.config("quick")


def _seed(*, base=0.8, base_sd=0.01, graph_sd=0.03, best=0.02, mean=-0.01, groups=None):
    return {
        "baseline_mean": base, "baseline_sd": base_sd, "graph_sd": graph_sd,
        "best_minus_baseline_mean": best, "mean_minus_baseline_mean": mean,
        "best_minus_baseline_best": 0.0, "graph_mean": base + mean,
        "baseline_train_accuracy": 1.0, "graph_train_accuracy": 1.0,
        "accuracy_vs_elements_correlation": None,
        "graph_accuracies": groups if groups is not None else [[0.7], [0.8], [0.9]],
    }  # fmt: skip


def _judge(*seeds, config=QUICK):
    return CLAIM.judge(list(seeds), config)


def test_all_three_conditions_with_one_run_per_structure_reproduce():
    v = _judge(_seed(), _seed())
    assert v.outcome is Outcome.REPRODUCED
    assert "structure effect not tested" in v.reason


@pytest.mark.parametrize(
    ("change", "quantity"),
    [
        ({"graph_sd": 0.01}, "spread ratio"),  # ratio exactly 1: not > 1
        ({"best": 0.0}, "best structure − baseline mean"),
        ({"mean": 0.001}, "mean structure − baseline mean"),
    ],
)
def test_each_condition_on_its_boundary_fails(change, quantity):
    v = _judge(_seed(**change), _seed(**change))
    assert v.outcome is Outcome.NOT_REPRODUCED
    assert f"{quantity}" in v.reason and "1 of 3 condition(s) fail" in v.reason


def test_mean_structure_equal_to_baseline_still_passes():
    assert _judge(_seed(mean=0.0)).outcome is Outcome.REPRODUCED


def test_weak_baseline_is_inconclusive():
    v = _judge(_seed(base=QUICK.min_baseline_accuracy - 0.01))
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "did not learn" in v.reason


FEW = dataclasses.replace(QUICK, permutations=199)  # p ≥ 1/200: still decides at alpha 0.05


def test_structure_effect_significant_reproduces():
    groups = [[0.6 + 0.02 * i, 0.6 + 0.02 * i + 0.001] for i in range(16)]
    v = _judge(_seed(groups=groups), _seed(groups=groups), config=FEW)
    assert v.outcome is Outcome.REPRODUCED
    assert v.values["structure effect permutation p"] < QUICK.alpha


def test_spread_explained_by_repeats_is_inconclusive():
    # Every structure's two repeats span the whole range: no structure effect.
    groups = [[0.6, 0.9] if i % 2 else [0.9, 0.6] for i in range(16)]
    v = _judge(_seed(groups=groups), config=FEW)
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "not attributable to structure" in v.reason


def test_missing_metric_is_inconclusive():
    m = _seed()
    del m["graph_sd"]
    v = _judge(m)
    assert v.outcome is Outcome.INCONCLUSIVE and "graph_sd" in v.reason


@pytest.mark.parametrize(
    "change", [{"min_elements": 21}, {"baseline_runs": 1}, {"num_graphs": 1}, {"alpha": 1.0}]
)
def test_config_domains(change):
    with pytest.raises(ConfigError):
        dataclasses.replace(QUICK, **change)


def test_missing_structure_runs_are_inconclusive():
    m = _seed()
    m["graph_accuracies"] = []
    v = _judge(m)
    assert v.outcome is Outcome.INCONCLUSIVE and "graph_accuracies" in v.reason
