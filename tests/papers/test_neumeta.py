"""Verdict rules of the NeuMeta paper on made-up per-seed metrics (no training)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.neumeta import PAPER

PERMUTATION = PAPER.claim("permutation")
TOL = PERMUTATION.config("quick").tolerance


def _perm(change=0.0, ratio=0.8):
    net = {"tv_before": 10.0, "tv_after": 8.0, "accuracy_before": 0.9, "accuracy_after": 0.9}
    return {
        "max_output_change": change, "tv_ratio": ratio,
        "cnn-batchnorm": net, "residual-mlp": net,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("seed", "outcome"),
    [(_perm(TOL), Outcome.REPRODUCED), (_perm(2 * TOL), Outcome.NOT_REPRODUCED),
     (_perm(ratio=1.0), Outcome.NOT_REPRODUCED), (_perm(math.nan), Outcome.NOT_REPRODUCED),
     (_perm(math.inf), Outcome.NOT_REPRODUCED), ({"tv_ratio": 0.5}, Outcome.INCONCLUSIVE)],
)  # fmt: skip
def test_permutation_rule(seed, outcome):
    # A NaN output change (broken forward pass) is the worst case, in either seed order.
    v = PERMUTATION.judge([_perm(), seed], PERMUTATION.config("quick"))
    assert PERMUTATION.judge([seed, _perm()], PERMUTATION.config("quick")).outcome is v.outcome
    assert v.outcome is outcome
    if outcome is not Outcome.INCONCLUSIVE:
        assert "max |output change|" in v.reason and "TV after / before" in v.reason


def _comp(config, gap_points, lead_points, full=0.95):
    neu = full - gap_points / 100
    pru = neu - lead_points / 100
    widths = {str(w): neu for w in config.eval_widths}
    return {
        "full_accuracy": full, "compressed_neumeta": neu, "compressed_pruned": pru,
        "neumeta_accuracy": widths, "pruned_accuracy": {k: pru for k in widths},
        "unseen_widths": [9],
    }  # fmt: skip


@pytest.mark.parametrize("key", ["compression", "all-layers"])
@pytest.mark.parametrize(
    ("gap", "lead", "outcome", "needle"),
    [(2.99, 10.01, Outcome.REPRODUCED, "all conditions hold"),
     (3.01, 10.01, Outcome.NOT_REPRODUCED, "gap of NeuMeta"),
     (2.99, 9.99, Outcome.NOT_REPRODUCED, "lead of NeuMeta"),
     (-1.0, -5.0, Outcome.NOT_REPRODUCED, "lead of NeuMeta")],
)  # fmt: skip
def test_compression_rule(key, gap, lead, outcome, needle):
    claim = PAPER.claim(key)
    config = claim.config("quick")
    v = claim.judge([_comp(config, gap, lead), _comp(config, gap, lead)], config)
    assert v.outcome is outcome and needle in v.reason


def test_compression_missing_width_is_inconclusive():
    claim = PAPER.claim("compression")
    config = claim.config("quick")
    m = _comp(config, 1.0, 20.0)
    del m["pruned_accuracy"][str(config.eval_widths[-1])]
    assert claim.judge([m], config).outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize(
    "change",
    [{"compressed_width": 10}, {"eval_widths": (8, 64)}, {"min_width": 40}, {"compressed_width": 32},
     {"eval_widths": (8, 8)}],
)  # fmt: skip
def test_compression_config_relations(change):
    with pytest.raises(ConfigError):
        dataclasses.replace(PAPER.claim("compression").config("quick"), **change)


def test_permutation_channels_need_two_widths():
    with pytest.raises(ConfigError):
        dataclasses.replace(PERMUTATION.config("quick"), channels=(8,))


def test_permutation_missing_network_is_inconclusive():
    m = _perm()
    del m["residual-mlp"]
    v = PERMUTATION.judge([m], PERMUTATION.config("quick"))
    assert v.outcome is Outcome.INCONCLUSIVE and "residual-mlp" in v.reason
