"""The PROSE network: symmetries of its encoders/decoders, variants, loss and decoding.

Tolerances: compared outputs are the same float64 computation up to a reordering of sums of at
most ~100 terms (relative round-off ~1e-15); 1e-10 is far below any real dependence (O(1e-2)
or larger with random weights).
"""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.nn import num_parameters
from nnatlas.operators import PROSE, ProseOutput, prose_loss, relative_squared_l2

F64 = torch.float64
TOL = 1e-10
VOCAB = 30


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _inputs(batch: int = 3, n: int = 6, q: int = 5, length: int = 7):
    obs_t = torch.rand(batch, n, generator=_gen(0), dtype=F64)
    obs = torch.randn(batch, n, 2, generator=_gen(1), dtype=F64)
    query = torch.rand(batch, q, generator=_gen(2), dtype=F64) + 1.0
    symbols = torch.randint(3, VOCAB, (batch, length), generator=_gen(3))
    symbols[0, -2:] = 0  # padding
    return obs_t, obs, query, symbols


def _model(variant: str = "2-to-2", **kw) -> PROSE:
    torch.manual_seed(0)
    vocab = None if variant == "data-only" else VOCAB
    return PROSE(2, vocab, variant, dim=16, num_heads=2, dtype=F64, **kw).eval()  # type: ignore[arg-type]


@pytest.mark.parametrize("memory", ["data", "all"])
def test_operator_decoder_is_invariant_to_query_order_and_count(memory: str) -> None:
    model = _model("2-to-1", memory=memory)
    obs_t, obs, query, symbols = _inputs()
    out = model(obs_t, obs, query, symbols).data
    perm = torch.randperm(query.shape[1], generator=_gen(4))
    assert torch.allclose(model(obs_t, obs, query[:, perm], symbols).data, out[:, perm], atol=TOL)
    # the prediction at one time does not depend on the other query times
    single = model(obs_t, obs, query[:, 2:3], symbols).data
    assert torch.allclose(single[:, 0], out[:, 2], atol=TOL)


def test_data_encoder_has_no_positions_so_observation_order_is_irrelevant() -> None:
    model = _model("2-to-2")
    obs_t, obs, query, symbols = _inputs()
    perm = torch.randperm(obs.shape[1], generator=_gen(5))
    a = model(obs_t, obs, query, symbols).data
    b = model(obs_t[:, perm], obs[:, perm], query, symbols).data
    assert torch.allclose(a, b, atol=TOL)
    # but the times inside the tokens matter
    c = model(obs_t + 0.5, obs, query, symbols).data
    assert (a - c).abs().max() > 1e-4


def test_symbols_change_the_prediction_and_padding_is_ignored() -> None:
    model = _model("2-to-1")
    obs_t, obs, query, symbols = _inputs()
    base = model(obs_t, obs, query, symbols).data
    other = symbols.clone()
    other[:, 1] = (other[:, 1] + 1 - 3) % (VOCAB - 3) + 3  # a different non-pad token
    assert (model(obs_t, obs, query, other).data - base).abs().max() > 1e-5
    # sample 0 with its padding removed gives the same prediction
    trimmed = model(obs_t[:1], obs[:1], query[:1], symbols[:1, :-2]).data
    assert torch.allclose(trimmed, base[:1], atol=TOL)


def test_symbol_decoder_is_causal() -> None:
    model = _model("2-to-2")
    obs_t, obs, query, symbols = _inputs()
    target = torch.randint(3, VOCAB, (3, 8), generator=_gen(6))
    target[:, 0] = 1
    logits = model(obs_t, obs, query, symbols, target).symbol_logits
    assert logits is not None and logits.shape == (3, 7, VOCAB)
    changed = target.clone()
    changed[:, 5:] = 4
    logits2 = model(obs_t, obs, query, symbols, changed).symbol_logits
    assert logits2 is not None
    assert torch.allclose(logits[:, :5], logits2[:, :5], atol=TOL)
    assert (logits[:, 5:] - logits2[:, 5:]).abs().max() > 1e-6


def test_greedy_generation_agrees_with_teacher_forced_argmax() -> None:
    model = _model("2-to-2")
    obs_t, obs, _, symbols = _inputs()
    out = model.generate(obs_t, obs, symbols, bos_id=1, eos_id=2, max_length=6)
    assert out.shape[0] == 3 and out.shape[1] <= 6 and bool((out[:, 0] == 1).all())
    fused, mask, _ = model.encode(obs_t, obs, symbols)
    # re-scoring the generated prefix: each generated token is the argmax given the ones before
    logits = model.symbol_logits(fused, mask, out[:, :-1])
    live = torch.cumprod((out[:, :-1] != 2).long(), dim=1).bool()  # before EOS
    assert torch.equal(logits.argmax(-1)[live], out[:, 1:][live])


def test_variants_and_parameter_counts() -> None:
    only, two_one, two_two = _model("data-only"), _model("2-to-1"), _model("2-to-2")
    obs_t, obs, query, symbols = _inputs()
    assert only(obs_t, obs, query).data.shape == (3, 5, 2)
    assert num_parameters(only) < num_parameters(two_one) < num_parameters(two_two)
    # the 2-to-1 model is the data-only one plus the symbol encoder, its embeddings and the
    # type embedding (counted by hand: embedding V*d, type 2*d)
    enc = sum(p.numel() for p in two_one.symbol_encoder.parameters())
    assert num_parameters(two_one) - num_parameters(only) == enc + VOCAB * 16 + 2 * 16
    with pytest.raises(ValueError, match="symbols are required"):
        two_one(obs_t, obs, query)
    with pytest.raises(ValueError, match="no symbol decoder"):
        two_one.generate(obs_t, obs, symbols, bos_id=1, eos_id=2)


def test_relative_squared_l2_and_weighted_loss() -> None:
    target = torch.ones(2, 4, 1, dtype=F64)
    pred = target.clone()
    pred[0] *= 1.5  # error 0.25 per point over |target|^2 = 1 per point
    rel = relative_squared_l2(pred, target)
    assert torch.allclose(rel, torch.tensor([0.25, 0.0], dtype=F64))
    logits = torch.zeros(2, 3, 5, dtype=F64)  # uniform: cross-entropy log 5
    ids = torch.tensor([[1, 3, 4, 0], [1, 2, 0, 0]])
    loss, parts = prose_loss(ProseOutput(pred, logits), target, ids, data_weight=6.0)
    assert math.isclose(parts["data"], 0.125) and math.isclose(parts["symbol"], math.log(5))
    assert math.isclose(float(loss), 6 * 0.125 + math.log(5), rel_tol=1e-12)


def test_a_few_steps_of_training_fit_a_tiny_batch() -> None:
    torch.manual_seed(0)
    model = PROSE(2, VOCAB, "2-to-2", dim=16, num_heads=2)
    obs_t, obs, query, symbols = (x.float() if x.is_floating_point() else x for x in _inputs())
    target_u = torch.sin(query).unsqueeze(-1).expand(-1, -1, 2).contiguous()
    ids = torch.tensor([[1, 5, 6, 2], [1, 7, 2, 0], [1, 8, 9, 2]])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(60):
        loss, _ = prose_loss(model(obs_t, obs, query, symbols, ids), target_u, ids)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = float(loss.detach()) if first is None else first
    assert float(loss.detach()) < 0.2 * first
