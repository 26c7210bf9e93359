"""Verdict rules of the diffusion-spectral-entropy paper on made-up per-seed metrics."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.diffusion_spectral_entropy import MIN_MEMORISATION, MIN_TRAIN_ACCURACY, PAPER

BLOBS, DSE, DSMI, NOISE = (
    PAPER.claim(k) for k in ("blobs-log2k", "dse-rises", "dsmi-contrast", "noise-resilience")
)


def _judge(claim, *seeds):
    return claim.judge(list(seeds), claim.config("quick"))


def _blobs(error, monotone=True):
    ks = BLOBS.config("quick").ks
    return {"dse": [math.log2(k) for k in ks], "max_abs_error": error, "monotone": monotone}


def test_blobs_rule():
    tol = BLOBS.config("quick").tolerance
    v = _judge(BLOBS, _blobs(tol), _blobs(0.01))
    assert v.outcome is Outcome.REPRODUCED and "log₂ k" in v.reason
    assert _judge(BLOBS, _blobs(tol + 0.001)).outcome is Outcome.NOT_REPRODUCED
    v = _judge(BLOBS, _blobs(0.01), _blobs(0.01, monotone=False))
    assert v.outcome is Outcome.NOT_REPRODUCED and "not increasing" in v.reason
    assert _judge(BLOBS, _blobs(math.nan)).outcome is Outcome.INCONCLUSIVE


def _train(rise_true=1.0, rise_shuf=0.5, acc=0.99, memorised=0.5, dsmi_true=2.0, dsmi_shuf=0.1):
    return {
        "train_acc_true": acc, "train_acc_shuffled": memorised,
        "dse_rise_true": rise_true, "dse_rise_shuffled": rise_shuf,
        "true": {"dse": [0.0, rise_true]}, "shuffled": {"dse": [0.0, rise_shuf]},
        "dsmi_final_true": dsmi_true, "dsmi_final_shuffled": dsmi_shuf, "dsmi_rise_true": dsmi_true,
    }  # fmt: skip


def test_dse_rises_rule():
    lo = DSE.config("quick").min_rise
    assert _judge(DSE, _train(rise_shuf=lo), _train(rise_shuf=lo)).outcome is Outcome.REPRODUCED
    v = _judge(DSE, _train(rise_shuf=lo - 0.01), _train(rise_shuf=lo - 0.01))
    assert v.outcome is Outcome.NOT_REPRODUCED and "shuffled labels" in v.reason
    # The means pass but one seed went down: every seed must rise.
    v = _judge(DSE, _train(rise_true=-0.1), _train(rise_true=3.0))
    assert v.outcome is Outcome.NOT_REPRODUCED and "smallest rise" in v.reason


@pytest.mark.parametrize(
    ("seed", "needle"),
    [(_train(acc=MIN_TRAIN_ACCURACY - 0.01), "did not learn"),
     (_train(memorised=MIN_MEMORISATION - 0.01), "memorise")],
)  # fmt: skip
def test_dse_guards(seed, needle):
    v = _judge(DSE, seed)
    assert v.outcome is Outcome.INCONCLUSIVE and needle in v.reason


def test_dsmi_rule():
    config = DSMI.config("quick")
    ok = _train(dsmi_true=config.min_contrast * 0.2, dsmi_shuf=0.2)
    assert ok["dsmi_rise_true"] >= config.min_dsmi_rise
    assert _judge(DSMI, ok, ok).outcome is Outcome.REPRODUCED
    low = _train(dsmi_true=config.min_contrast * 0.2 * 0.99, dsmi_shuf=0.2)
    v = _judge(DSMI, low)
    assert v.outcome is Outcome.NOT_REPRODUCED and "contrast" in v.reason
    flat = {**ok, "dsmi_rise_true": config.min_dsmi_rise - 0.01}
    assert _judge(DSMI, flat).outcome is Outcome.NOT_REPRODUCED
    # A near-zero shuffled DSMI is floored at 1e-3, so the contrast stays finite.
    assert _judge(DSMI, _train(dsmi_true=1.0, dsmi_shuf=0.0)).outcome is Outcome.REPRODUCED
    assert _judge(DSMI, _train(acc=0.5)).outcome is Outcome.INCONCLUSIVE


def _noise(drift=0.05, indep=0.01, binned=1.0):
    curve = [0.5, 0.6]
    return {
        "dsmi_drift": drift, "max_independent_dsmi": indep, "binned_drift": binned,
        "dsmi_true": curve, "binned_true": curve, "binned_independent": curve, "knn_true": curve,
    }  # fmt: skip


def test_noise_rule():
    config = NOISE.config("quick")
    v = _judge(NOISE, _noise(drift=config.max_dsmi_drift))
    assert v.outcome is Outcome.REPRODUCED and "binned MI moved" in v.reason
    v = _judge(NOISE, _noise(drift=config.max_dsmi_drift + 0.01))
    assert v.outcome is Outcome.NOT_REPRODUCED and "DSMI relative drift" in v.reason
    v = _judge(NOISE, _noise(indep=config.max_independent_dsmi + 0.01))
    assert v.outcome is Outcome.NOT_REPRODUCED
    # Stable DSMI but the baseline was not disturbed either: no contrast shown.
    v = _judge(NOISE, _noise(binned=config.min_binned_drift - 0.01))
    assert v.outcome is Outcome.INCONCLUSIVE and "did not disturb" in v.reason


@pytest.mark.parametrize(
    ("claim", "change"),
    [(BLOBS, {"ks": (4, 2)}), (BLOBS, {"n": 8}), (BLOBS, {"sigma": 0.0}),
     (DSE, {"probe_every": 41}), (DSE, {"probe_size": 5000}),
     (NOISE, {"extra_dims": (8, 16)}), (NOISE, {"extra_dims": (0,)}), (NOISE, {"n_bins": 1}),
     (NOISE, {"n": 30})],
)  # fmt: skip
def test_config_domains(claim, change):
    with pytest.raises(ConfigError):
        dataclasses.replace(claim.config("quick"), **change)
