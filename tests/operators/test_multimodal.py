"""The multimodal foundation model: tokenizer, number embedding, causality, decoder, generation."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.data.ode_text import FAMILY_TEXTS, TEXT_ODE_SETS, text_families, text_ode_data
from nnatlas.operators.multimodal import (
    MultimodalOutput,
    MultimodalPDEModel,
    MultimodalTokenizer,
    NumberTextEmbedding,
    multimodal_loss,
)

TEXTS = [
    "Consider du/dt = a sin(2 pi t) u with a = 1.25 and u(0) = -0.5 .",
    "Solve du/dt = b u where b = 3e-2 , starting from u(0) = 2 .",
]
DESCRIPTIONS = ["a linear equation ; solved exactly .", "exponential decay ."]


def tokenizer() -> MultimodalTokenizer:
    return MultimodalTokenizer.from_texts(TEXTS + DESCRIPTIONS)


def model(**kw) -> MultimodalPDEModel:
    torch.manual_seed(0)
    return MultimodalPDEModel(len(tokenizer()), dim=16, num_heads=2, ffn_dim=24,
                              number_hidden=8, time_range=(0.0, 2.0), **kw)  # fmt: skip


def test_numbers_are_split_with_their_signs():
    pieces = MultimodalTokenizer.split("b = -0.3, t-1 (-2) 3e-4 x^2")
    nums = [float(p) for p, is_num in pieces if is_num]
    assert nums == [-0.3, 1.0, -2.0, 3e-4, 2.0]  # "t-1" is a binary minus, "(-2)" a sign
    assert ("-", False) in pieces and ("x", False) in pieces


def test_number_positions_and_values_match_the_text():
    tok = tokenizer()
    batch = tok.encode(TEXTS)
    for row, text in enumerate(TEXTS):
        pieces = tok.split(text)
        n = len(pieces) + 2  # <bos> ... <sep>
        assert int(batch.lengths[row]) == n and bool(batch.padding_mask[row, n:].all())
        want = [i + 1 for i, (_, is_num) in enumerate(pieces) if is_num]
        got = batch.is_number[row].nonzero().flatten().tolist()
        assert got == want
        assert batch.values[row, want].tolist() == pytest.approx(
            [float(p) for p, is_num in pieces if is_num], rel=1e-6
        )  # float32 storage of the parsed values
        assert (batch.ids[row, want] == tok.num_id).all()
        # word tokens round-trip
        assert tok.decode(batch.ids[row, 1 : n - 1]).split() == [
            "<num>" if is_num else p for p, is_num in pieces
        ]


def test_number_embeddings_sit_where_the_text_has_numbers():
    tok = tokenizer()
    batch = tok.encode(TEXTS)
    torch.manual_seed(0)
    emb = NumberTextEmbedding(len(tok), 12, number_hidden=8, max_length=64)
    with torch.no_grad():
        x = (
            emb(batch.ids, batch.values, batch.is_number)
            - emb.position.weight[: batch.ids.shape[1]]
        )
        numbers = emb.number(batch.values.unsqueeze(-1))
        words = emb.token(batch.ids)
    mask = batch.is_number
    torch.testing.assert_close(x[mask], numbers[mask], rtol=0, atol=1e-6)
    torch.testing.assert_close(x[~mask], words[~mask], rtol=0, atol=1e-6)
    # changing one number changes exactly that position's embedding
    values = batch.values.clone()
    r, c = mask.nonzero()[0].tolist()
    values[r, c] += 1.0
    with torch.no_grad():
        moved = emb(batch.ids, values, batch.is_number) - emb(
            batch.ids, batch.values, batch.is_number
        )
    changed = moved.abs().sum(-1) > 0
    assert changed.nonzero().tolist() == [[r, c]]


def test_backbone_is_causal_and_the_solution_ignores_the_description():
    tok, net = tokenizer(), model()
    net.eval()
    prompt = tok.encode(TEXTS)
    desc = tok.encode(DESCRIPTIONS, prompt=False).ids
    other = desc.clone()
    other[:, 0] = tok.token_id(".")
    q = torch.linspace(0, 2, 7).expand(2, -1)
    with torch.no_grad():
        a, b, plain = net(prompt, q, desc), net(prompt, q, other), net(prompt, q)
    # the solution reads the prompt only, so the description cannot move it; and the text
    # logits predicting description token 0 (computed before it is seen) are unchanged too
    torch.testing.assert_close(a.solution, b.solution, rtol=0, atol=1e-5)
    torch.testing.assert_close(a.solution, plain.solution, rtol=0, atol=1e-5)
    torch.testing.assert_close(a.text_logits[:, 0], b.text_logits[:, 0], rtol=0, atol=1e-5)
    assert not torch.allclose(a.text_logits[:, 1], b.text_logits[:, 1])


def test_padding_does_not_change_a_sequence():
    tok, net = tokenizer(), model()
    net.eval()
    both = tok.encode(TEXTS)
    alone = tok.encode(TEXTS[1:])  # the shorter text, without the batch's padding
    q = torch.tensor([[0.1, 0.7, 1.9]])
    with torch.no_grad():
        out_both = net(both, q.expand(2, -1)).solution[1]
        out_alone = net(alone, q).solution[0]
    torch.testing.assert_close(out_both, out_alone, rtol=0, atol=1e-5)


def test_solution_decoder_is_equivariant_to_query_order():
    tok, net = tokenizer(), model()
    net.eval()
    prompt = tok.encode(TEXTS)
    q = torch.rand(2, 9, generator=torch.Generator().manual_seed(1)) * 2
    perm = torch.randperm(9, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        out = net(prompt, q).solution
        out_perm = net(prompt, q[:, perm]).solution
        single = net(prompt, q[:, :1]).solution
    torch.testing.assert_close(out[:, perm], out_perm, rtol=0, atol=1e-5)
    torch.testing.assert_close(out[:, :1], single, rtol=0, atol=1e-5)


def test_query_times_outside_the_window_need_extrapolate():
    tok, net = tokenizer(), model()
    prompt = tok.encode(TEXTS)
    late = torch.tensor([[0.5, 2.5], [0.0, 1.0]])
    with pytest.raises(ConfigError, match=r"query times must lie .*\[0, 2\].*extrapolate"):
        net(prompt, late)
    with pytest.raises(ConfigError, match="query"):
        net(prompt, -late.abs() - 0.1)
    assert net(prompt, late, extrapolate=True).solution.shape == (2, 2, 1)
    assert model(extrapolate=True)(prompt, late).solution.shape == (2, 2, 1)


def test_text_logits_index_the_description_positions():
    # logits for description token k must come from the hidden state after prompt + k tokens
    tok, net = tokenizer(), model()
    net.eval()
    prompt = tok.encode(TEXTS[:1])
    desc = tok.encode(DESCRIPTIONS[:1], prompt=False).ids
    n = int(prompt.lengths[0])
    with torch.no_grad():
        out = net(prompt, torch.zeros(1, 1), desc)
        ids = torch.cat([prompt.ids[:, :n], desc], 1)
        values = torch.cat([prompt.values[:, :n], torch.zeros_like(desc, dtype=torch.float)], 1)
        is_num = torch.cat([prompt.is_number[:, :n], torch.zeros_like(desc, dtype=torch.bool)], 1)
        hidden = net.hidden_states(ids, values, is_num)
        want = net.text_head(hidden[:, n - 1 : n - 1 + desc.shape[1]])
    torch.testing.assert_close(out.text_logits, want, rtol=0, atol=1e-5)


def test_generation_is_greedy_decoding_of_the_teacher_forced_logits():
    tok, net = tokenizer(), model()
    net.eval()
    prompt = tok.encode(TEXTS)
    gen = net.generate(prompt, max_new_tokens=5)
    # feeding the generated tokens back gives logits whose argmax is the generation itself
    with torch.no_grad():
        out = net(prompt, torch.zeros(2, 1), gen)
    steps = gen.shape[1]
    for row in range(2):
        k = steps
        eos = (gen[row] == tok.eos_id).nonzero()
        if eos.numel():
            k = int(eos[0]) + 1
            assert (gen[row, k:] == tok.pad_id).all()
        assert out.text_logits[row, :k].argmax(-1).tolist() == gen[row, :k].tolist()


def test_a_small_model_learns_to_describe_two_families():
    # two prompts of two families, two descriptions: 60 Adam steps make greedy decoding exact
    tok = tokenizer()
    torch.manual_seed(0)
    net = MultimodalPDEModel(len(tok), dim=16, num_heads=2, num_layers=1, decoder_layers=1,
                             ffn_dim=32, number_hidden=8)  # fmt: skip
    prompt = tok.encode(TEXTS)
    desc = tok.encode(DESCRIPTIONS, prompt=False).ids
    q = torch.linspace(0, 1, 5).expand(2, -1)
    target = torch.stack([torch.exp(-q[0]), 1 + q[0]])
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        loss, data, text = multimodal_loss(net(prompt, q, desc), target, desc)
        loss.backward()
        opt.step()
    assert float(text.detach()) < 0.05 and float(data.detach()) < 0.05
    gen = net.generate(prompt, 12)
    assert [tok.decode(g) for g in gen] == [
        " ".join(p for p, _ in tok.split(d)) for d in DESCRIPTIONS
    ]


def test_loss_is_relative_mse_plus_cross_entropy():
    pred = torch.tensor([[[1.0], [2.0]], [[0.0], [1.0]]])
    target = torch.tensor([[[1.0], [1.0]], [[1.0], [1.0]]])
    logits = torch.zeros(2, 3, 6)  # uniform over 6 ids: CE = log 6 per token
    desc = torch.tensor([[1, 2, 0], [3, 0, 0]])  # pads ignored
    total, data, text = multimodal_loss(MultimodalOutput(pred, logits), target, desc)
    assert float(data) == pytest.approx((1 / 2 + 1 / 2) / 2)  # per-sample |err|²/|u|²
    assert float(text) == pytest.approx(math.log(6))
    assert float(total) == pytest.approx(0.5 + math.log(6))
    half = multimodal_loss(MultimodalOutput(pred, logits), target, desc, text_weight=0.5)[0]
    assert float(half) == pytest.approx(0.5 + 0.5 * math.log(6))


def test_gpt2_backbone_from_a_config_is_causal():
    pytest.importorskip("transformers")
    tok = tokenizer()
    torch.manual_seed(0)
    net = MultimodalPDEModel(len(tok), dim=16, num_heads=2, ffn_dim=24, backbone="gpt2")
    net.eval()
    prompt = tok.encode(TEXTS)
    desc = tok.encode(DESCRIPTIONS, prompt=False).ids
    other = desc.clone()
    other[:, 0] = tok.token_id(".")
    q = torch.rand(2, 3)
    with torch.no_grad():
        a, b = net(prompt, q, desc), net(prompt, q, other)
    torch.testing.assert_close(a.solution, b.solution, rtol=0, atol=1e-5)
    assert a.text_logits.shape == (2, desc.shape[1], len(tok))
    assert net.generate(prompt, 3).shape[0] == 2


def test_text_data_prompts_state_the_sampled_numbers():
    data = text_ode_data("mol1d", 10, num_points=9, cache=False)
    tok = MultimodalTokenizer.from_texts(data.prompts + data.descriptions)
    fams = text_families("mol1d")
    assert [f.name for f in fams] == list(TEXT_ODE_SETS["mol1d"])
    for i, prompt in enumerate(data.prompts):
        nums = [float(p) for p, is_num in tok.split(prompt) if is_num]
        fam = fams[int(data.data.family[i])]
        # the last number is the initial value, after the "0" of "u(0)"; the coefficients come
        # just before (4 significant digits: relative rounding ≤ 5e-4 with margin)
        assert nums[-1] == pytest.approx(float(data.data.u[i, 0, 0]), rel=6e-4, abs=1e-6)
        assert nums[-2] == 0.0
        coefs = nums[-2 - fam.num_params : -2]
        assert coefs == pytest.approx(data.data.params[i, : fam.num_params].tolist(), rel=6e-4)
        assert data.descriptions[i] == FAMILY_TEXTS[fam.name].description
    with pytest.raises(KeyError):
        text_families(["rossler"])  # no texts
