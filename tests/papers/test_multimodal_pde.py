"""The multimodal-pde verdict rules on made-up per-seed metrics, and one smoke run."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.multimodal_pde import (
    PAPER,
    AccuracyConfig,
    MolConfig,
    run_mol,
    tokenizer_for,
)

DESC = PAPER.claim("description-exact-match")
ACC = PAPER.claim("id-error-below-ood")
EXT = PAPER.claim("extrapolation-in-time")
MAX_ID = ACC.config("quick").max_id_error
MAX_OOD = ACC.config("quick").max_ood_error
MAX_EXT = EXT.config("quick").max_extrapolation_error


def seeds(**columns):
    n = len(next(iter(columns.values())))
    return [{k: v[i] for k, v in columns.items()} for i in range(n)]


def test_description_needs_every_seed_exact():
    cfg = DESC.config("quick")
    ok = seeds(exact_match_id=[1.0, 1.0, 1.0], exact_match_ood=[0.9, 1.0, 0.8])
    assert DESC.judge(ok, cfg).outcome is Outcome.REPRODUCED
    one_miss = seeds(exact_match_id=[1.0, 0.998, 1.0], exact_match_ood=[1.0, 1.0, 1.0])
    v = DESC.judge(one_miss, cfg)
    assert v.outcome is Outcome.NOT_REPRODUCED and "worst seed" in v.reason
    nan = seeds(exact_match_id=[1.0, math.nan, 1.0], exact_match_ood=[1.0, 1.0, 1.0])
    assert DESC.judge(nan, cfg).outcome is Outcome.INCONCLUSIVE


def acc(id_err, ood_err):
    return seeds(id_error=id_err, ood_error=ood_err, id_median_error=id_err,
                 ood_median_error=ood_err)  # fmt: skip


def test_accuracy_both_sides_of_the_bounds():
    cfg = ACC.config("quick")
    v = ACC.judge(acc([0.02, 0.021, 0.019], [0.05, 0.055, 0.052]), cfg)
    assert v.outcome is Outcome.REPRODUCED and "beyond one paired s.e." in v.reason
    # ID error just above the paper's 3.3 %: not reproduced, whatever the ordering
    high = [MAX_ID * 1.01] * 3
    assert ACC.judge(acc(high, [0.05] * 3), cfg).outcome is Outcome.NOT_REPRODUCED
    just = [MAX_ID * 0.99, MAX_ID * 0.98, MAX_ID * 0.97]
    assert ACC.judge(acc(just, [0.05, 0.05, 0.05]), cfg).outcome is Outcome.REPRODUCED
    # OOD just above 7.8 %
    v = ACC.judge(acc([0.02] * 3, [MAX_OOD * 1.01] * 3), cfg)
    assert v.outcome is Outcome.NOT_REPRODUCED and "OOD mean relative L2" in v.reason


def test_accuracy_ordering():
    cfg = ACC.config("quick")
    worse = ACC.judge(acc([0.03, 0.031, 0.032], [0.02, 0.021, 0.019]), cfg)
    assert worse.outcome is Outcome.NOT_REPRODUCED and "not below" in worse.reason
    # ID lower on average but the paired differences straddle zero: within one s.e.
    noisy = ACC.judge(acc([0.02, 0.03, 0.01], [0.03, 0.01, 0.025]), cfg)
    assert noisy.outcome is Outcome.INCONCLUSIVE


def test_accuracy_guards():
    cfg = ACC.config("quick")
    assert ACC.judge(acc([0.02], [0.05]), cfg).outcome is Outcome.INCONCLUSIVE  # one seed
    missing = acc([0.02, 0.02], [0.05, 0.05])
    del missing[1]["ood_error"]
    assert ACC.judge(missing, cfg).outcome is Outcome.INCONCLUSIVE


def ext(values, window=(0.02, 0.02, 0.02)):
    return seeds(extrapolation_error_id=list(values), id_error=list(window),
                 extrapolation_error_ood=list(values))  # fmt: skip


def test_extrapolation_bound():
    cfg = EXT.config("quick")
    assert EXT.judge(ext([MAX_EXT * 0.99] * 3), cfg).outcome is Outcome.REPRODUCED
    v = EXT.judge(ext([MAX_EXT * 1.01] * 3), cfg)
    assert v.outcome is Outcome.NOT_REPRODUCED and "(2, 2.5]" in v.reason
    assert EXT.judge(ext([0.05, math.nan, 0.05]), cfg).outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize(
    "changes",
    [
        {"t_window": 3.0},  # beyond t_end
        {"dim": 10, "num_heads": 4},
        {"queries": 40},  # more than the window's 33 grid times
        {"families": "chaotic3d"},
        {"warmup": 1.0},
    ],
)
def test_config_domains(changes):
    with pytest.raises(ConfigError):
        MolConfig(**changes)


def test_threshold_domains():
    with pytest.raises(ConfigError):
        AccuracyConfig(max_id_error=0.0)


def test_paper_preset_builds_and_tokenizer_covers_its_families():
    cfg = ACC.config("paper")
    assert cfg.families == "mol12" and cfg.backbone == "gpt2"
    tok = tokenizer_for("mol12")
    assert tok.token_id("Brusselator") != tok.unk_id and tok.token_id("gamma") != tok.unk_id


def test_smoke_run_gives_every_metric(tmp_path, monkeypatch):
    monkeypatch.setenv("NNATLAS_CACHE_DIR", str(tmp_path))
    cfg = ACC.config("smoke")
    m = run_mol(cfg, 0)
    for key in ("id_error", "ood_error", "extrapolation_error_id", "exact_match_id"):
        assert math.isfinite(m[key]) and m[key] >= 0
    assert 0 <= m["exact_match_id"] <= 1
    assert set(m["generated_examples"]) == set(m["family_id_error"])
    # the second claim's run loads the cached model: the same numbers
    again = run_mol(EXT.config("smoke"), 0)
    assert again["id_error"] == m["id_error"]
    assert again["generated_examples"] == m["generated_examples"]
    for claim in (DESC, ACC, EXT):
        assert claim.judge([m], claim.config("smoke")).outcome in set(Outcome)
