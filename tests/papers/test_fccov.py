"""The FCCov verdict rule on made-up per-seed metrics, and each claim's smoke preset."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.papers.fccov import PAPER

CLAIMS = [c.key for c in PAPER.claims]
CLAIM = PAPER.claim("distribution-beats-baselines")
CFG = CLAIM.config("quick")


def seeds(ours, sir, gsir):
    return [
        {"dcor_fccov": a, "dcor_sir": b, "dcor_gsir": c}
        for a, b, c in zip(ours, sir, gsir, strict=True)
    ]


def test_beats_both_is_reproduced():
    v = CLAIM.judge(seeds([0.9, 0.91, 0.89], [0.6, 0.62, 0.58], [0.85, 0.86, 0.84]), CFG)
    assert v.outcome is Outcome.REPRODUCED
    assert "GSIR" in v.reason and "SIR" in v.reason


def test_not_above_one_baseline_is_not_reproduced():
    # beats SIR clearly, below GSIR on average
    v = CLAIM.judge(seeds([0.85, 0.86, 0.84], [0.6, 0.6, 0.6], [0.86, 0.87, 0.85]), CFG)
    assert v.outcome is Outcome.NOT_REPRODUCED


def test_boundary_of_one_standard_error():
    # paired differences vs GSIR: mean 0.01; spread set so that se is just above / below it
    gsir = [0.85, 0.85, 0.85]
    wide = [0.85 + 0.01 + d for d in (0.02, -0.02, 0.0)]  # sd 0.02, se 0.0115 > 0.01
    narrow = [0.85 + 0.01 + d for d in (0.015, -0.015, 0.0)]  # sd 0.015, se 0.0087 < 0.01
    sir = [0.5, 0.5, 0.5]
    assert CLAIM.judge(seeds(wide, sir, gsir), CFG).outcome is Outcome.INCONCLUSIVE
    assert CLAIM.judge(seeds(narrow, sir, gsir), CFG).outcome is Outcome.REPRODUCED


def test_guards_make_it_inconclusive():
    one = seeds([0.9], [0.5], [0.6])
    assert CLAIM.judge(one, CFG).outcome is Outcome.INCONCLUSIVE
    nan = seeds([0.9, math.nan], [0.5, 0.5], [0.6, 0.6])
    assert CLAIM.judge(nan, CFG).outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize("key", CLAIMS)
def test_smoke_preset_runs(key):
    claim = PAPER.claim(key)
    cfg = claim.config("smoke")
    m = claim.run(cfg, 0)
    for method in ("fccov", "sir", "gsir"):
        assert 0.0 <= m[f"dcor_{method}"] <= 1.0
    if cfg.outlier_fraction:
        assert m["outliers"] == round(cfg.outlier_fraction * cfg.n)
    assert claim.judge([m, m], cfg).outcome in set(Outcome)


def test_presets_validate():
    for claim in PAPER.claims:
        assert claim.config("paper").n == 10_000
        assert claim.config("quick").n == 1000
