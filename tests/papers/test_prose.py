"""The PROSE verdict rules on made-up per-seed metrics, and one smoke run of each claim."""

from __future__ import annotations

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.prose import PAPER, ProseConfig

HELP = PAPER.claim("symbols-help")
ROBUST = PAPER.claim("corruption-robust")
EXPR = PAPER.claim("expressions")
Q = HELP.config("quick")
PARAMS = {"params_prose": 1000, "params_data_only": 990}
JITTER = (0.0, 0.002, -0.002)


def helps(sym: float, base: float, **extra) -> list[dict]:
    return [PARAMS | {"error_symbols": sym + j, "error_data_only": base} | extra for j in JITTER]


def test_symbols_help_boundary() -> None:
    # gain = 1 - sym/base; the bound is 0.10
    assert HELP.judge(helps(0.08, 0.1), Q).outcome is Outcome.REPRODUCED  # gain 0.20
    assert HELP.judge(helps(0.089, 0.1), Q).outcome is Outcome.REPRODUCED  # gain 0.11
    assert HELP.judge(helps(0.091, 0.1), Q).outcome is Outcome.NOT_REPRODUCED  # gain 0.09
    assert HELP.judge(helps(0.12, 0.1), Q).outcome is Outcome.NOT_REPRODUCED  # worse


def test_symbols_help_guards() -> None:
    assert HELP.judge(helps(0.08, 0.1)[:1], Q).outcome is Outcome.INCONCLUSIVE  # one seed
    bad_match = [m | {"params_data_only": 800} for m in helps(0.08, 0.1)]  # 20 % off
    v = HELP.judge(bad_match, Q)
    assert v.outcome is Outcome.INCONCLUSIVE and "parameter counts" in v.reason
    assert HELP.judge(helps(0.4, 0.6), Q).outcome is Outcome.INCONCLUSIVE  # data-only failed
    missing = [{k: v for k, v in m.items() if k != "error_symbols"} for m in helps(0.08, 0.1)]
    assert HELP.judge(missing, Q).outcome is Outcome.INCONCLUSIVE


def robust(clean: float, bad: float, base: float) -> list[dict]:
    return [
        PARAMS | {"error_clean": clean, "error_corrupted": bad + j, "error_data_only": base}
        for j in JITTER
    ]


def test_corruption_robust_boundaries() -> None:
    assert ROBUST.judge(robust(0.08, 0.085, 0.1), Q).outcome is Outcome.REPRODUCED
    # ratio 1.125 > 1.1
    assert ROBUST.judge(robust(0.08, 0.09, 0.1), Q).outcome is Outcome.NOT_REPRODUCED
    # within 1.1x of clean but not below data-only
    assert ROBUST.judge(robust(0.1, 0.105, 0.1), Q).outcome is Outcome.NOT_REPRODUCED
    assert ROBUST.judge(robust(0.08, 0.085, 0.7), Q).outcome is Outcome.INCONCLUSIVE
    assert ROBUST.judge(robust(0.08, 0.085, 0.1)[:1], Q).outcome is Outcome.INCONCLUSIVE


def expr(valid: float, err: float) -> list[dict]:
    return [
        PARAMS | {"valid_fraction": valid, "median_decoded_error": err + j, "examples": []}
        for j in JITTER
    ]


def test_expressions_boundaries() -> None:
    assert EXPR.judge(expr(0.97, 0.1), Q).outcome is Outcome.REPRODUCED
    assert EXPR.judge(expr(0.94, 0.1), Q).outcome is Outcome.NOT_REPRODUCED  # validity
    assert EXPR.judge(expr(1.0, 0.26), Q).outcome is Outcome.NOT_REPRODUCED  # accuracy
    assert EXPR.judge(expr(1.0, 0.24), Q).outcome is Outcome.REPRODUCED
    assert EXPR.judge(expr(1.0, 0.1)[:1], Q).outcome is Outcome.INCONCLUSIVE


def test_config_relations_are_checked() -> None:
    with pytest.raises(ConfigError, match="n_input"):
        ProseConfig(n_input=96)
    with pytest.raises(ConfigError, match="num_heads"):
        ProseConfig(dim=30, num_heads=4)
    with pytest.raises(ConfigError, match="add_prob"):
        ProseConfig(add_prob=0.6, drop_prob=0.6)
    with pytest.raises(ConfigError, match="n_decode"):
        ProseConfig(n_test=10, n_decode=20)
    assert PAPER.claim("expressions").config("paper").families == "chaotic3d"


def test_each_claim_runs_at_the_smoke_preset() -> None:
    cfg = HELP.config("smoke")
    m1 = HELP.run(cfg, 0)
    assert abs(m1["params_data_only"] - m1["params_prose"]) / m1["params_prose"] < 0.1
    assert set(m1["per_family_symbols_vs_data_only"]) == {
        "lotka_volterra", "van_der_pol", "duffing", "damped_oscillator", "rayleigh",
    }  # fmt: skip
    m2 = ROBUST.run(cfg, 0)  # loads the models cached by the first run
    assert m2["error_clean"] == pytest.approx(m1["error_symbols"], rel=1e-6)
    assert 0.0 < m2["corrupted_fraction"] <= 1.0
    m3 = EXPR.run(cfg, 0)
    assert 0.0 <= m3["valid_fraction"] <= 1.0 and len(m3["examples"]) == 4
    for claim, m in ((HELP, m1), (ROBUST, m2), (EXPR, m3)):
        assert claim.judge([m, m], cfg).outcome in set(Outcome)
