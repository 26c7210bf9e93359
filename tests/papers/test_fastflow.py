"""The FastFlow verdict rules on made-up per-seed metrics (no training)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.fastflow import (
    MIN_PIXEL_AUROC,
    PAPER,
    BaselineConfig,
    ContextConfig,
    PretrainConfig,
    SpeedConfig,
)

CONTEXT = PAPER.claim("spatial-context")
BASELINE = PAPER.claim("beats-padim")
SPEED = PAPER.claim("inference-speed")


def judge(claim, per_seed):
    return claim.judge(per_seed, claim.config("quick"))


def _scores(pix, img=0.9, pro=0.8):
    return {"pixel_auroc": pix, "image_auroc": img, "au_pro": pro}


# -- spatial-context --------------------------------------------------------------------------


def context_seeds(a, gains):
    """3×3 pixel AUROC ``a`` on every seed, 1×1 lower by each of ``gains``."""
    return [{"conv3x3": _scores(a), "conv1x1": _scores(a - g)} for g in gains]


def test_context_gain_clearly_above_the_margin_reproduces():
    k = CONTEXT.config("quick").min_gain
    v = judge(CONTEXT, context_seeds(0.95, [k + 0.02, k + 0.03, k + 0.025]))
    assert v.outcome is Outcome.REPRODUCED and "gain" in v.reason


def test_context_gain_clearly_below_the_margin_fails():
    k = CONTEXT.config("quick").min_gain
    v = judge(CONTEXT, context_seeds(0.95, [k - 0.03, k - 0.02, k - 0.025]))
    assert v.outcome is Outcome.NOT_REPRODUCED and "gain" in v.reason
    v = judge(CONTEXT, context_seeds(0.95, [-0.01, -0.02, -0.015]))  # 1×1 better
    assert v.outcome is Outcome.NOT_REPRODUCED


def test_context_gain_within_one_se_of_the_margin_is_inconclusive():
    k = CONTEXT.config("quick").min_gain
    v = judge(CONTEXT, context_seeds(0.95, [k - 0.03, k + 0.04, k + 0.0]))
    assert v.outcome is Outcome.INCONCLUSIVE and "within one s.e." in v.reason


def test_context_guards():
    k = CONTEXT.config("quick").min_gain
    v = judge(CONTEXT, context_seeds(MIN_PIXEL_AUROC - 0.01, [k + 0.1] * 3))
    assert v.outcome is Outcome.INCONCLUSIVE and "did not train" in v.reason
    v = judge(CONTEXT, context_seeds(0.95, [k + 0.1]))  # one seed: s.e. infinite
    assert v.outcome is Outcome.INCONCLUSIVE
    seeds = context_seeds(0.95, [k + 0.1] * 3)
    seeds[1]["conv1x1"]["pixel_auroc"] = math.nan
    assert judge(CONTEXT, seeds).outcome is Outcome.INCONCLUSIVE
    del seeds[2]["conv3x3"]
    assert judge(CONTEXT, seeds).outcome is Outcome.INCONCLUSIVE


# -- beats-padim ------------------------------------------------------------------------------


def baseline_seeds(effects, ff=0.95):
    """``effects``: texture -> per-seed FastFlow − PaDiM pixel-AUROC differences."""
    n = len(next(iter(effects.values())))
    out = []
    for i in range(n):
        one = {}
        for tex, eff in effects.items():
            one[tex] = {"fastflow": _scores(ff), "padim": _scores(ff - eff[i]),
                        "padim_diagonal": _scores(0.7), "fastflow_jacobian": _scores(0.9)}  # fmt: skip
        out.append(one)
    return out


def test_baseline_beats_on_every_texture_reproduces():
    v = judge(BASELINE, baseline_seeds({"stripes": [0.05, 0.06, 0.04], "grid": [0.1, 0.12, 0.11]}))
    assert v.outcome is Outcome.REPRODUCED and "every category" in v.reason


def test_baseline_loses_on_one_texture_fails():
    v = judge(
        BASELINE, baseline_seeds({"stripes": [0.05, 0.06, 0.04], "grid": [-0.1, -0.12, -0.11]})
    )
    assert v.outcome is Outcome.NOT_REPRODUCED and "grid" in v.reason
    v = judge(BASELINE, baseline_seeds({"stripes": [0.05, 0.06, 0.04], "grid": [0.0, 0.0, 0.0]}))
    assert v.outcome is Outcome.NOT_REPRODUCED  # a tie is not a win


def test_baseline_within_noise_is_inconclusive():
    v = judge(BASELINE, baseline_seeds({"stripes": [0.05, 0.06, 0.04], "grid": [0.1, -0.08, 0.01]}))
    assert v.outcome is Outcome.INCONCLUSIVE and "within one s.e." in v.reason


def test_baseline_guards():
    good = {"stripes": [0.05, 0.06, 0.04], "grid": [0.1, 0.12, 0.11]}
    v = judge(BASELINE, baseline_seeds(good, ff=MIN_PIXEL_AUROC - 0.05))
    assert v.outcome is Outcome.INCONCLUSIVE and "did not train" in v.reason
    seeds = baseline_seeds(good)
    seeds[0]["grid"]["padim"]["pixel_auroc"] = math.inf
    assert judge(BASELINE, seeds).outcome is Outcome.INCONCLUSIVE
    one = baseline_seeds({"stripes": [0.2], "grid": [0.2]})  # one seed: s.e. infinite
    assert judge(BASELINE, one).outcome is Outcome.INCONCLUSIVE


# -- inference-speed --------------------------------------------------------------------------


def speed_seeds(r_padim, r_patch, ff_pix=0.95, base_pix=0.94, n=3):
    one = {"fastflow": _scores(ff_pix) | {"images_per_second": 100.0},
           "padim": _scores(base_pix) | {"images_per_second": 100.0 / r_padim},
           "patchcore": _scores(base_pix - 0.05) | {"images_per_second": 100.0 / r_patch},
           "speed_ratio_padim": r_padim, "speed_ratio_patchcore": r_patch}  # fmt: skip
    return [dict(one) for _ in range(n)]


def test_speed_faster_at_equal_auroc_reproduces():
    v = judge(SPEED, speed_seeds(1.5, 3.0))
    assert v.outcome is Outcome.REPRODUCED and "images/s ratio" in v.reason


def test_speed_boundaries():
    r = SPEED.config("quick").min_speed_ratio
    tol = SPEED.config("quick").auroc_tolerance
    assert judge(SPEED, speed_seeds(r * 1.01, r * 1.01)).outcome is Outcome.REPRODUCED
    v = judge(SPEED, speed_seeds(r * 0.99, 3.0))
    assert v.outcome is Outcome.NOT_REPRODUCED and "PaDiM" in v.reason
    v = judge(SPEED, speed_seeds(3.0, r * 0.99))
    assert v.outcome is Outcome.NOT_REPRODUCED and "PatchCore" in v.reason
    ok = judge(SPEED, speed_seeds(2.0, 2.0, ff_pix=0.9, base_pix=0.9 + tol * 0.9))
    assert ok.outcome is Outcome.REPRODUCED
    v = judge(SPEED, speed_seeds(2.0, 2.0, ff_pix=0.9, base_pix=0.9 + tol * 1.5))
    assert v.outcome is Outcome.NOT_REPRODUCED and "best baseline" in v.reason


def test_speed_guards():
    v = judge(SPEED, speed_seeds(2.0, 2.0, ff_pix=MIN_PIXEL_AUROC - 0.1, base_pix=0.5))
    assert v.outcome is Outcome.INCONCLUSIVE and "did not train" in v.reason
    seeds = speed_seeds(2.0, 2.0)
    seeds[0] = dict(seeds[0], speed_ratio_padim=math.nan)
    assert judge(SPEED, seeds).outcome is Outcome.INCONCLUSIVE


# -- configs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [ContextConfig, BaselineConfig, SpeedConfig, PretrainConfig])
def test_widths_and_blocks_must_pair_up(cls):
    with pytest.raises(ConfigError, match="blocks"):
        cls(widths=(8, 16), blocks=(1, 1, 1))


def test_every_preset_validates_and_smoke_is_small():
    for claim in PAPER.claims:
        smoke, quick, paper = (claim.config(p) for p in ("smoke", "quick", "paper"))
        assert smoke.epochs < quick.epochs < paper.epochs
        assert paper.image_size == 256 and paper.widths == (64, 128, 256) and paper.num_steps == 8


# -- pretrained-backbone ----------------------------------------------------------------------

PRETRAIN = PAPER.claim("pretrained-backbone")


def pretrain_seeds(random, gains):
    return [{"random": {"fastflow": _scores(random), "padim": _scores(0.9)},
             "pretrained": {"fastflow": _scores(random + g), "padim": _scores(0.95)}, "gain": g}
            for g in gains]  # fmt: skip


def test_pretrain_rule():
    v = judge(PRETRAIN, pretrain_seeds(0.9, [0.03, 0.04, 0.035]))
    assert v.outcome is Outcome.REPRODUCED and "beyond one s.e." in v.reason
    v = judge(PRETRAIN, pretrain_seeds(0.9, [-0.01, 0.0, -0.02]))
    assert v.outcome is Outcome.NOT_REPRODUCED and "no better" in v.reason
    v = judge(PRETRAIN, pretrain_seeds(0.9, [0.05, -0.04, 0.01]))
    assert v.outcome is Outcome.INCONCLUSIVE and "within one s.e." in v.reason


def test_pretrain_guards():
    v = judge(PRETRAIN, pretrain_seeds(MIN_PIXEL_AUROC - 0.1, [0.2, 0.3, 0.25]))
    assert v.outcome is Outcome.INCONCLUSIVE and "did not train" in v.reason
    assert judge(PRETRAIN, pretrain_seeds(0.9, [0.2])).outcome is Outcome.INCONCLUSIVE
    seeds = pretrain_seeds(0.9, [0.03, 0.04, 0.035])
    seeds[2]["pretrained"]["fastflow"]["pixel_auroc"] = math.nan
    assert judge(PRETRAIN, seeds).outcome is Outcome.INCONCLUSIVE


def test_context_reports_the_best_epoch_without_judging_it():
    k = CONTEXT.config("quick").min_gain
    seeds = context_seeds(0.9, [k + 0.02, k + 0.03, k + 0.025])
    for m in seeds:
        m["conv3x3"]["pixel_auroc_per_epoch"] = [0.8, 0.97, 0.9]
    v = judge(CONTEXT, seeds)
    assert v.outcome is Outcome.REPRODUCED
    best = next(val for key, val in v.values.items() if "best epoch" in key)
    assert best.startswith("0.97")


def test_pretrained_backbone_is_cached_and_gives_the_same_numbers(tmp_path, monkeypatch):
    # The cached backbone must be the trained one: a second run (loading it) gives exactly the
    # metrics of the first (training it), and exactly one entry is written.
    from nnatlas.core.cache import CACHE_ENV, cache_dir
    from nnatlas.papers import get_paper

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    claim = next(c for c in get_paper("fastflow").claims if c.key == "pretrained-backbone")
    cfg = claim.config("smoke")
    first = claim.run(cfg, 0)
    (entry,) = cache_dir("backbones").glob("resnet-rotation-*.pt")
    second = claim.run(cfg, 0)
    assert first == second
    assert list(cache_dir("backbones").glob("*.pt")) == [entry]


def test_object_category_runs_through_the_claims():
    from nnatlas.papers import get_paper

    claim = next(c for c in get_paper("fastflow").claims if c.key == "beats-padim")
    cfg = dataclasses.replace(claim.config("smoke"), textures=("gear",))
    out = claim.run(cfg, 0)
    assert 0.0 <= out["gear"]["fastflow"]["pixel_auroc"] <= 1.0
