"""Verdict rules of the noprop claims, fed made-up per-seed metrics."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.papers import noprop

ACC = noprop.PAPER.claim("dt-vs-backprop")
MEM = noprop.PAPER.claim("memory")
CFG = ACC.config("quick")


def acc_seed(noprop_acc, base=0.95, **extra):
    return {
        "noprop_accuracy": noprop_acc,
        "noprop_stochastic_accuracy": noprop_acc - 0.01,
        "backprop_accuracy": base,
        **extra,
    }


def judge(per_seed):
    return ACC.judge(per_seed, CFG)


@pytest.mark.parametrize(
    ("gap_in_gaps", "outcome"),
    [
        (0.9, Outcome.REPRODUCED),
        (-0.9, Outcome.REPRODUCED),
        (1.1, Outcome.REPRODUCED_WITH_BENEFITS),
        (-1.1, Outcome.NOT_REPRODUCED),
    ],
)
def test_gap_band(gap_in_gaps, outcome):
    v = judge([acc_seed(0.95 + gap_in_gaps * CFG.max_gap / 100, fm_accuracy=0.9)] * 3)
    assert v.outcome is outcome
    assert "NoProp-DT − backprop accuracy (points)" in v.reason


def test_weak_backprop_is_inconclusive():
    low = noprop.MIN_BASELINE_ACCURACY - 0.01
    v = judge([acc_seed(low, base=low)])
    assert v.outcome is Outcome.INCONCLUSIVE
    assert "backprop reached only" in v.reason


def test_missing_or_nonfinite_metric_is_inconclusive():
    assert judge([acc_seed(math.nan)]).outcome is Outcome.INCONCLUSIVE
    s = acc_seed(0.95)
    del s["noprop_accuracy"]
    assert "noprop_accuracy" in judge([s]).reason


def mem_seed(ratio):
    return {"memory_ratio": ratio, "noprop_peak_bytes": 100, "backprop_stacked_bytes": 100 / ratio}


@pytest.mark.parametrize(
    ("ratio", "outcome"), [(0.99, Outcome.REPRODUCED), (1.0, Outcome.NOT_REPRODUCED)]
)
def test_memory_ratio_threshold(ratio, outcome):
    v = MEM.judge([mem_seed(ratio)], CFG)
    assert v.outcome is outcome
    assert "saved bytes" in v.reason


def test_memory_missing_is_inconclusive():
    assert MEM.judge([{"memory_ratio": 0.5}], CFG).outcome is Outcome.INCONCLUSIVE
    assert MEM.judge([], CFG).outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize("claim", noprop.PAPER.claims, ids=lambda c: c.key)
def test_no_completed_seed_is_inconclusive(claim):
    assert claim.judge([], claim.config("quick")).outcome is Outcome.INCONCLUSIVE
