"""Verdict rules of the intrinsic-dimension paper on made-up per-seed metrics (no training)."""

from __future__ import annotations

import dataclasses

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.intrinsic_dimension import MIN_BASELINE_ACCURACY, PAPER

FRACTION = PAPER.claim("small-fraction")
WIDTH = PAPER.claim("width-invariance")
CNN = PAPER.claim("cnn-lower")


def _judge(claim, *seeds):
    return claim.judge(list(seeds), claim.config("quick"))


def _sweep(d=100.0, acc=0.95, found=True, size=10_000):
    return {"baseline_accuracy": acc, "found": found, "d_int90": d, "D": size}


def _fraction(frac, **kw):
    return {**_sweep(**kw), "d_int90_fraction": frac}


def test_fraction_threshold_boundary():
    limit = FRACTION.config("quick").max_fraction
    v = _judge(FRACTION, _fraction(limit), _fraction(limit))
    assert v.outcome is Outcome.REPRODUCED and "d_int90 / D" in v.reason
    assert _judge(FRACTION, _fraction(limit * 1.01)).outcome is Outcome.NOT_REPRODUCED


@pytest.mark.parametrize(
    ("seed", "needle"),
    [(_fraction(0.01, acc=MIN_BASELINE_ACCURACY - 0.01), "did not learn"),
     (_fraction(0.01, found=False), "never reached"),
     (_fraction(None), "d_int90_fraction")],
)  # fmt: skip
def test_fraction_guards(seed, needle):
    v = _judge(FRACTION, _fraction(0.01), seed)
    assert v.outcome is Outcome.INCONCLUSIVE and needle in v.reason


def _width(dints, accs=None, found=None):
    n = len(dints)
    return {
        "baseline_accuracy": accs or [0.95] * n, "found": found or [True] * n,
        "d_int90": list(dints), "D": [1_000 * 2**i for i in range(n)],
    }  # fmt: skip


def test_width_spread_boundary():
    v = _judge(WIDTH, _width([100, 120, 150, 200]), _width([100, 120, 150, 200]))
    assert v.outcome is Outcome.REPRODUCED and "spread" in v.reason
    assert _judge(WIDTH, _width([100, 120, 150, 201])).outcome is Outcome.NOT_REPRODUCED


def test_width_guards():
    weak = _width([100] * 4, accs=[0.95, 0.95, 0.5, 0.95])
    assert _judge(WIDTH, weak).outcome is Outcome.INCONCLUSIVE
    lost = _width([100] * 4, found=[True, False, True, True])
    assert "never reached" in _judge(WIDTH, lost).reason


def test_width_span_is_a_config_relation():
    with pytest.raises(ConfigError, match="span"):
        dataclasses.replace(WIDTH.config("quick"), widths=(32, 48))


def _cnn(cnn_d, fc_d=100.0, cnn_acc=0.95, fc_acc=0.95):
    return {"cnn": _sweep(cnn_d, cnn_acc), "fc": _sweep(fc_d, fc_acc)}


def test_cnn_lower_boundary():
    v = _judge(CNN, _cnn(90.0), _cnn(95.0))
    assert v.outcome is Outcome.REPRODUCED and "CNN / FC" in v.reason
    assert _judge(CNN, _cnn(100.0)).outcome is Outcome.NOT_REPRODUCED


def test_cnn_guards():
    gap = CNN.config("quick").max_accuracy_gap
    v = _judge(CNN, _cnn(50.0, cnn_acc=0.95 - gap - 0.005))
    assert v.outcome is Outcome.INCONCLUSIVE and "similar accuracy" in v.reason
    assert _judge(CNN, _cnn(50.0, cnn_acc=0.5, fc_acc=0.5)).outcome is Outcome.INCONCLUSIVE
    m = _cnn(50.0)
    m["cnn"]["found"] = False
    assert _judge(CNN, m).outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize(
    ("claim", "change"),
    [(FRACTION, {"fraction": 1.5}), (FRACTION, {"dims": (20, 10)}), (FRACTION, {"test_size": 1.0}),
     (CNN, {"channels": ()}), (WIDTH, {"max_spread": 0.5})],
)  # fmt: skip
def test_config_domains(claim, change):
    with pytest.raises(ConfigError):
        dataclasses.replace(claim.config("quick"), **change)
