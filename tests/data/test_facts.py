"""The synthetic fact world, its tokenizer and the tiny LLaMA-style LM (``nnatlas.data.facts``).

Public names for ``nnatlas.data`` coverage: Fact, FactWorld, TinyLlama, WordTokenizer,
pretrain_fact_lm, pretrained_fact_lm.
"""

from __future__ import annotations

import random

import pytest
import torch

from nnatlas.data.facts import (
    FactWorld,
    TinyLlama,
    WordTokenizer,
    pretrain_fact_lm,
    pretrained_fact_lm,
)
from nnatlas.testing.bad_inputs import assert_clear_error


def test_world_is_seeded_and_prompt_families_are_disjoint():
    a, b = FactWorld(seed=3), FactWorld(seed=3)
    assert a.facts == b.facts and a.facts != FactWorld(seed=4).facts
    tok = a.tokenizer
    pa, pb, pl = (
        a.prompt_a(5, 0),
        a.prompt_b(5, 0, alias=True, prefix="f1 f2"),
        a.prompt_locality(5, 2),
    )
    assert "al5" in pb and "s5" not in pb and pb.startswith("f1 f2")
    assert set(pa.split()) & set(pl.split()) == {"s5"}  # only the subject is shared
    assert all(i != tok.unk_token_id for i in tok.encode(f"{pa} {pb} {pl} {a.answer(5, 0)}"))
    rng = random.Random(0)
    assert a.new_object(5, 0, rng) != a.answer(5, 0)


def test_tokenizer_roundtrip():
    tok = WordTokenizer(["a", "b"])
    assert tok.encode("a b zz", add_special_tokens=True) == [1, 3, 4, 2]
    assert tok.decode([0, 3, 4]) == "a b"


def test_left_padding_does_not_change_the_logits_of_real_tokens():
    # rotary positions count real tokens and pads are masked: the last logits agree to float error
    torch.manual_seed(0)
    m = TinyLlama(12, dim=16, layers=2, heads=2, hidden=16).eval()
    ids = torch.tensor([[1, 5, 6, 7]])
    padded = torch.tensor([[0, 0, 1, 5, 6, 7]])
    mask = torch.tensor([[0, 0, 1, 1, 1, 1]])
    with torch.no_grad():
        torch.testing.assert_close(m(ids)[0, -1], m(padded, mask)[0, -1], rtol=1e-5, atol=1e-5)


def test_pretraining_learns_a_tiny_world(tmp_path, monkeypatch):
    monkeypatch.setenv("NNATLAS_CACHE_DIR", str(tmp_path))
    w = FactWorld(num_subjects=6, num_relations=2, num_first=3, num_last=3, num_fillers=2, seed=1)
    m = pretrained_fact_lm(
        w, dim=32, layers=1, heads=2, hidden=64, steps=150, batch_size=12, lr=1e-2
    )
    again = pretrained_fact_lm(
        w, dim=32, layers=1, heads=2, hidden=64, steps=150, batch_size=12, lr=1e-2
    )
    assert all(
        torch.equal(x, y)
        for x, y in zip(m.state_dict().values(), again.state_dict().values(), strict=True)
    )
    tok = w.tokenizer
    right = 0
    for s in range(6):
        ids = torch.tensor([tok.encode(w.prompt_a(s, 0), add_special_tokens=True)])
        with torch.no_grad():
            right += int(m(ids)[0, -1].argmax()) == tok.encode(w.answer(s, 0))[0]
    assert right >= 5  # 6 facts memorised by 150 AdamW steps; chance is 1/3 per fact


@pytest.mark.parametrize(
    "fn,kwargs,argument",
    [
        (FactWorld, {"num_subjects": 1}, "num_subjects"),
        (FactWorld, {"num_relations": 3}, "num_relations"),
        (FactWorld, {"num_fillers": 0}, "num_fillers"),
        (WordTokenizer, {"words": ["a b"]}, "words"),
        (WordTokenizer, {"words": ["a", "a"]}, "words"),
        (TinyLlama, {"vocab_size": 10, "dim": 6, "heads": 4}, "dim"),
        (TinyLlama, {"vocab_size": 1}, "vocab_size"),
        (pretrained_fact_lm, {"world": "w"}, "world"),
    ],
)
def test_bad_inputs(fn, kwargs, argument):
    assert_clear_error(fn, argument=argument, **kwargs)


def test_bad_inputs_to_calls():
    m = TinyLlama(12, dim=8, layers=1, heads=2, hidden=8)
    assert_clear_error(m, torch.zeros(2, 3), argument="input_ids")
    assert_clear_error(WordTokenizer(["a"]).encode, 3, argument="text")
    assert_clear_error(pretrain_fact_lm, m, FactWorld(num_subjects=2), steps=0, argument="steps")
