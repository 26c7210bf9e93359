"""Verdict rules of the muP paper on made-up per-seed metrics (no training)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.mup import PAPER

COORD = PAPER.claim("coord-check")
TRANSFER = PAPER.claim("lr-transfer")


def _curve(growth, n):
    """l1 per width growing geometrically from 1 to ``growth`` at the widest width."""
    return [growth ** (i / (n - 1)) for i in range(n)]


def _coord_seed(config, mup=(1.0, 1.0), sp_output=10.0):
    n = len(config.widths)
    return {
        "mup": {"l1_last": {"0": _curve(mup[0], n), "output": _curve(mup[1], n)}},
        "sp": {"l1_last": {"0": _curve(1.0, n), "output": _curve(sp_output, n)}},
    }


def _coord(**kw):
    config = COORD.config("quick")
    return COORD.judge([_coord_seed(config, **kw), _coord_seed(config, **kw)], config)


def test_coord_flat_mup_and_growing_sp_reproduce():
    v = _coord()
    assert v.outcome is Outcome.REPRODUCED
    assert "SP output growth" in v.reason


@pytest.mark.parametrize(
    ("mup", "outcome"),
    [((2.0, 1.0), Outcome.REPRODUCED), ((2.1, 1.0), Outcome.NOT_REPRODUCED),
     ((1.0, 0.5), Outcome.REPRODUCED), ((1.0, 0.49), Outcome.NOT_REPRODUCED)],
)  # fmt: skip
def test_coord_mup_band_boundaries(mup, outcome):
    assert _coord(mup=mup).outcome is outcome


def test_coord_sp_growth_threshold():
    config = COORD.config("quick")
    need = (config.widths[-1] / config.widths[0]) ** config.sp_growth_power
    assert _coord(sp_output=need * 1.01).outcome is Outcome.REPRODUCED
    v = _coord(sp_output=need * 0.99)
    assert v.outcome is Outcome.NOT_REPRODUCED and "SP output growth" in v.reason


def test_coord_nonfinite_activation_is_inconclusive():
    config = COORD.config("quick")
    m = _coord_seed(config)
    m["mup"]["l1_last"]["0"][1] = math.nan
    assert COORD.judge([m], config).outcome is Outcome.INCONCLUSIVE


def _row(best, n, floor=0.1):
    return [floor + 0.2 * abs(j - best) for j in range(n)]


def _transfer(mup_best=(6, 6, 6), sp_best=(9, 7, 6), **row_kw):
    config = TRANSFER.config("quick")
    n = len(config.log2_lrs)
    seed = {
        "mup": {"losses": [_row(b, n, **row_kw) for b in mup_best]},
        "sp": {"losses": [_row(b, n, **row_kw) for b in sp_best]},
    }
    return TRANSFER.judge([seed, seed], config)


def test_transfer_mup_stable_and_sp_moving_reproduces():
    v = _transfer()
    assert v.outcome is Outcome.REPRODUCED
    assert "|SP shift| (octaves) = 3 ≥ 3" in v.reason


def test_transfer_boundaries():
    assert _transfer(mup_best=(6, 6, 7)).outcome is Outcome.REPRODUCED  # 1 octave allowed
    v = _transfer(mup_best=(6, 6, 8))
    assert v.outcome is Outcome.NOT_REPRODUCED and "|muP shift|" in v.reason
    v = _transfer(sp_best=(8, 7, 6))
    assert v.outcome is Outcome.NOT_REPRODUCED and "|SP shift| (octaves) = 2 < 3" in v.reason


def test_transfer_optimum_at_grid_edge_is_inconclusive():
    v = _transfer(sp_best=(9, 7, 13))
    assert v.outcome is Outcome.INCONCLUSIVE and "edge of the grid" in v.reason


def test_transfer_no_learning_is_inconclusive():
    v = _transfer(floor=10.0)
    assert v.outcome is Outcome.INCONCLUSIVE and "never got below" in v.reason


def test_transfer_diverged_cell_counts_as_infinite():
    config = TRANSFER.config("quick")
    n = len(config.log2_lrs)
    good = {"mup": {"losses": [_row(6, n)] * 3}, "sp": {"losses": [_row(b, n) for b in (9, 7, 6)]}}
    bad = {"mup": {"losses": [_row(6, n)] * 3}, "sp": {"losses": [_row(b, n) for b in (9, 7, 6)]}}
    bad["sp"]["losses"][0] = list(bad["sp"]["losses"][0])
    bad["sp"]["losses"][0][9] = math.inf  # diverged at SP's narrow optimum in one seed
    v = TRANSFER.judge([good, bad], config)
    assert v.values["SP width 64: best log2 lr (loss)"].split()[0] != "-5"


@pytest.mark.parametrize(
    ("claim", "change"),
    [(COORD, {"widths": (256, 64)}), (COORD, {"delta_width": 64}), (COORD, {"flat_band": 1.0}),
     (TRANSFER, {"log2_lrs": (-3.0, -4.0, -5.0)}), (TRANSFER, {"min_learning": 0.0})],
)  # fmt: skip
def test_config_domains(claim, change):
    with pytest.raises(ConfigError):
        dataclasses.replace(claim.config("quick"), **change)


@pytest.mark.parametrize("claim", [COORD, TRANSFER])
def test_missing_structure_is_inconclusive(claim):
    v = claim.judge([{"mup": {}, "sp": {}}], claim.config("quick"))
    assert v.outcome is Outcome.INCONCLUSIVE and "missing" in v.reason
    assert claim.judge([], claim.config("quick")).outcome is Outcome.INCONCLUSIVE
