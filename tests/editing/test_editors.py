"""Editors on a tiny untrained LLaMA-style LM: restore, routing, masks, clamp, TIES, metrics."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.editing import (
    FTL,
    GRACE,
    WISE,
    EditRequest,
    FTLConfig,
    GRACEConfig,
    WISEConfig,
    activation_loss,
    edit_metrics,
    locality_reference,
    random_mask,
    ties_merge,
    trim_top,
)

L = 12


def _requests(world, n=3):
    out = []
    for i in range(n):
        out.append(
            EditRequest(
                world.prompt_a(i, 0), "o1 n2", rephrases=(world.prompt_b(i, 0, alias=True),),
                locality=((world.prompt_locality(i, 1), world.answer(i, 1)),),
                irrelevant=(world.prompt_locality(i + 4, 1), world.answer(i + 4, 1)),
            )
        )  # fmt: skip
    return out


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _logits(model, world):
    ids = torch.tensor([world.tokenizer.encode(world.prompt_a(1, 0), add_special_tokens=True)])
    return model(ids)


def _small_wise(**kw):
    return WISEConfig(n_iter=4, edit_lr=0.5, **kw)


@pytest.mark.parametrize(
    "make",
    [
        lambda m, t: WISE(m, t, max_length=L, config=_small_wise(save_freq=1, merge_freq=2)),
        lambda m, t: FTL(m, t, max_length=L, config=FTLConfig(lr=1e-2, n_iter=3)),
        lambda m, t: GRACE(m, t, max_length=L, config=GRACEConfig(eps=0.5, n_iter=3)),
    ],
    ids=["wise", "ft-l", "grace"],
)
def test_restore_is_bit_identical(tiny, world, make):
    model, tok = tiny
    before, out0 = _state(model), _logits(model, world)
    editor = make(model, tok)
    editor.edit_stream(_requests(world))
    assert not torch.equal(_logits(model, world), out0) or editor.name != "ft-l"
    restored = editor.restore()
    after = _state(restored)
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert torch.equal(_logits(model, world), out0)  # same modules, same weights: exact


def test_loc_is_one_when_no_memory_fires(tiny, world):
    model, tok = tiny
    reqs = _requests(world)
    ref = locality_reference(model, tok, reqs, L)
    editor = WISE(model, tok, max_length=L, config=_small_wise())
    editor.edit_stream(reqs)
    editor.adapter.side_threshold = math.inf  # no memory can fire
    m = edit_metrics(model, tok, reqs, L, ref)
    assert m["loc"] == 1.0 and m["loc_em"] == 1.0
    assert bool((editor.adapter.last_choice == -1).all())


def test_untouched_side_memory_never_fires(tiny, world):
    # W' = W_v gives Δ = 0 exactly; with no edits there is no candidate memory at all
    model, tok = tiny
    out0 = _logits(model, world)
    WISE(model, tok, max_length=L, config=_small_wise())
    assert torch.equal(_logits(model, world), out0)


@pytest.mark.parametrize("ratio", [0.2, 0.53, 1.0])
def test_mask_density_equals_ratio(ratio):
    # exactly round(ratio * numel) ones: the density error is at most 0.5 / numel
    m = random_mask((37, 23), ratio, torch.Generator().manual_seed(0))
    assert set(m.unique().tolist()) <= {0.0, 1.0}
    assert abs(float(m.mean()) - ratio) <= 0.5 / m.numel()


def test_masked_gradient_and_clamp_hold_after_edits(tiny, world):
    model, tok = tiny
    c = 0.01  # small enough that the clamp binds with lr 0.5
    editor = WISE(model, tok, max_length=L, config=_small_wise(norm_constraint=c, weight_decay=0.0))
    base = editor.adapter.base.detach().clone()
    mask = editor.mask.clone()
    editor.edit_stream(_requests(world, 2))
    diff = editor.adapter.side.detach() - base
    assert float(diff.abs().max()) <= c * (1 + 1e-6)
    assert float(diff.abs().max()) > 0.5 * c  # the clamp was reached, so the check above can fail
    assert bool((diff[mask == 0] == 0).all())  # without weight decay only masked entries move


def test_shards_get_fresh_masks_and_merge(tiny, world):
    model, tok = tiny
    editor = WISE(model, tok, max_length=L, config=_small_wise(save_freq=1, merge_freq=2))
    m0 = editor.mask.clone()
    editor.edit(_requests(world, 1)[0])
    assert len(editor.pending) == 1 and not torch.equal(m0, editor.mask)
    editor.edit(_requests(world, 2)[1])
    assert len(editor.pending) == 0 and len(editor.merged) == 1
    assert len(editor.adapter.memories) == 1 and math.isfinite(editor.adapter.thresholds[0])


def test_wise_merge_keeps_one_memory(tiny, world):
    model, tok = tiny
    editor = WISE(
        model, tok, max_length=L, config=_small_wise(save_freq=1, merge_freq=1, retrieve=False)
    )
    editor.edit_stream(_requests(world, 3))
    assert len(editor.merged) == 1 and len(editor.adapter.memories) == 1


def test_ties_one_shard_density_one_is_identity():
    torch.manual_seed(0)
    base, shard = torch.randn(5, 7), torch.randn(5, 7)
    # base + (shard - base) rounds once each way: a few ulps of |values| ~ 1e-6 in float32
    torch.testing.assert_close(ties_merge(base, [shard], density=1.0), shard, rtol=0, atol=1e-6)


def _ties_reference(base, tuned, density, weights):
    # a direct, loop-based re-computation of trim / elect / disjoint mean
    flat = [(t - base).flatten().tolist() for t in tuned]
    n = len(flat[0])
    k = round(density * n)
    trimmed = []
    for tau in flat:
        order = sorted(range(n), key=lambda i: -abs(tau[i]))[:k]
        keep = set(order)
        trimmed.append([tau[i] if i in keep else 0.0 for i in range(n)])
    out = []
    for i in range(n):
        s = sum(w * t[i] for w, t in zip(weights, trimmed, strict=True))
        sign = (s > 0) - (s < 0)
        num = sum(
            w * t[i]
            for w, t in zip(weights, trimmed, strict=True)
            if t[i] != 0 and ((t[i] > 0) - (t[i] < 0)) == sign
        )
        den = sum(
            w
            for w, t in zip(weights, trimmed, strict=True)
            if t[i] != 0 and ((t[i] > 0) - (t[i] < 0)) == sign
        )
        out.append(num / den if den > 0 else 0.0)
    return base + torch.tensor(out, dtype=base.dtype).view_as(base)


@pytest.mark.parametrize("density,weights", [(0.53, None), (0.3, [0.2, 0.5, 0.3])])
def test_ties_matches_direct_recomputation(density, weights):
    g = torch.Generator().manual_seed(1)
    base = torch.randn(6, 9, generator=g, dtype=torch.float64)
    tuned = [base + torch.randn(6, 9, generator=g, dtype=torch.float64) for _ in range(3)]
    w = weights or [1 / 3] * 3
    got = ties_merge(base, tuned, density=density, weights=weights)
    torch.testing.assert_close(
        got, _ties_reference(base, tuned, density, w), rtol=1e-12, atol=1e-12
    )


def test_trim_top_keeps_largest():
    tau = torch.tensor([0.1, -3.0, 2.0, -0.5])
    assert torch.equal(trim_top(tau, 0.5), torch.tensor([0.0, -3.0, 2.0, 0.0]))


def test_routing_picks_the_max_score_memory(tiny, world):
    model, tok = tiny
    editor = WISE(model, tok, max_length=L, config=_small_wise())
    ad = editor.adapter
    base = ad.base.detach()
    g = torch.Generator().manual_seed(0)
    small = base + 0.01 * torch.randn(base.shape, generator=g)
    big = base + 0.5 * torch.randn(base.shape, generator=g)
    ad.memories, ad.thresholds = [small, big], [0.0, 0.0]
    x = torch.randn(3, 5, base.shape[1], generator=g)
    y = ad(x)
    assert ad.last_choice.tolist() == [1, 1, 1]
    torch.testing.assert_close(y, x @ big.t())
    # a memory above its threshold beats a higher-scoring one below its own threshold
    ad.thresholds = [0.0, math.inf]
    y = ad(x)
    assert ad.last_choice.tolist() == [0, 0, 0]
    torch.testing.assert_close(y, x @ small.t())
    ad.thresholds = [math.inf, math.inf]
    torch.testing.assert_close(ad(x), x @ base.t())


def test_activation_loss_closed_form():
    de, di = torch.tensor([3.0, 10.0]), torch.tensor([2.0])
    # hinge 1: [2-1]_+ = 1; hinge 2: [5-3]_+=2, [5-10]_+=0 -> mean of positives 2;
    # hinge 3: [2-3+4]_+=3, [2-10+4]_+=0 -> 3
    assert float(activation_loss(de, di, 1.0, 5.0, 4.0)) == pytest.approx(6.0)
    assert float(activation_loss(torch.tensor([9.0]), torch.tensor([0.0]), 1.0, 5.0, 4.0)) == 0.0


def test_save_load_roundtrip(tiny, world, tmp_path):
    model, tok = tiny
    reqs = _requests(world)
    editor = WISE(model, tok, max_length=L, config=_small_wise(save_freq=2, merge_freq=2))
    editor.edit_stream(reqs)
    out = _logits(model, world)
    editor.save(tmp_path / "wise.pt")
    editor.restore()
    fresh = WISE(model, tok, max_length=L, config=_small_wise(save_freq=2, merge_freq=2))
    fresh.load(tmp_path / "wise.pt")
    assert fresh.num_edits == 3
    assert torch.equal(_logits(model, world), out)


def test_grace_save_load_and_codebook(tiny, world, tmp_path):
    model, tok = tiny
    editor = GRACE(model, tok, max_length=L, config=GRACEConfig(eps=1e-3, n_iter=3))
    editor.edit_stream(_requests(world, 2))
    assert editor.codebook_size == 4  # one entry per target token, radii too small to merge
    out = _logits(model, world)
    editor.save(tmp_path / "g.pt")
    editor.restore()
    fresh = GRACE(model, tok, max_length=L, config=GRACEConfig(eps=1e-3, n_iter=3))
    fresh.load(tmp_path / "g.pt")
    assert torch.equal(_logits(model, world), out)


def test_grace_rel_after_edit(tiny, world):
    # the codebook replaces the layer output exactly at the edited keys: after enough value
    # steps the edit prompt must produce its target (untrained model, so a clear signal)
    model, tok = tiny
    reqs = _requests(world, 2)
    editor = GRACE(model, tok, max_length=L, config=GRACEConfig(eps=1e-3, edit_lr=0.5, n_iter=60))
    editor.edit_stream(reqs)
    m = edit_metrics(model, tok, reqs, L)
    assert m["rel"] == 1.0 and m["rel_em"] == 1.0


def test_metrics_on_unedited_model(tiny, world):
    model, tok = tiny
    reqs = _requests(world)
    ref = locality_reference(model, tok, reqs, L)
    m = edit_metrics(model, tok, reqs, L, ref)
    assert m["loc"] == 1.0 and m["loc_em"] == 1.0
    # exact match implies all tokens right, so EM <= token accuracy
    assert m["rel_em"] <= m["rel"] + 1e-12 and m["gen_em"] <= m["gen"] + 1e-12
