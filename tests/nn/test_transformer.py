"""The shared transformer blocks: masks, permutation symmetries, embeddings.

Tolerances: the compared quantities are the same float64 computation up to a reordering of
sums over at most a few dozen terms, so they agree to ~1e-15 relative; 1e-10 leaves a wide
margin yet would catch any real leak (which changes outputs at O(1)).
"""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.nn import (
    TransformerDecoder,
    TransformerDecoderBlock,
    TransformerEncoder,
    TransformerEncoderBlock,
    causal_mask,
    sinusoidal_embedding,
)

F64 = torch.float64
TOL = 1e-10


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_causal_encoder_output_at_t_ignores_later_inputs() -> None:
    torch.manual_seed(0)
    enc = TransformerEncoder(8, 2, 2, causal=True, dtype=F64).eval()
    x = torch.randn(3, 7, 8, generator=_gen(), dtype=F64)
    y = x.clone()
    y[:, 4:] = torch.randn(3, 3, 8, generator=_gen(1), dtype=F64)  # change the future only
    a, b = enc(x), enc(y)
    assert torch.allclose(a[:, :4], b[:, :4], atol=TOL, rtol=0)
    assert (a[:, 4:] - b[:, 4:]).abs().max() > 1e-3  # and the later outputs do change


def test_causal_decoder_self_attention_ignores_later_queries() -> None:
    torch.manual_seed(1)
    dec = TransformerDecoder(8, 2, 2, causal=True, dtype=F64).eval()
    x = torch.randn(2, 6, 8, generator=_gen(), dtype=F64)
    mem = torch.randn(2, 5, 8, generator=_gen(2), dtype=F64)
    y = x.clone()
    y[:, 3:] = torch.randn(2, 3, 8, generator=_gen(9), dtype=F64)
    assert torch.allclose(dec(x, mem)[:, :3], dec(y, mem)[:, :3], atol=TOL, rtol=0)


def test_non_causal_encoder_mixes_the_whole_sequence() -> None:
    torch.manual_seed(0)
    enc = TransformerEncoderBlock(8, 2, dtype=F64).eval()
    x = torch.randn(1, 5, 8, generator=_gen(), dtype=F64)
    y = x.clone()
    y[:, -1] = torch.randn(8, generator=_gen(9), dtype=F64)  # (a constant shift LN would remove)
    assert (enc(x)[:, 0] - enc(y)[:, 0]).abs().max() > 1e-4


def test_padding_mask_equals_dropping_the_padded_items() -> None:
    torch.manual_seed(2)
    enc = TransformerEncoder(8, 2, 2, dtype=F64).eval()
    x = torch.randn(2, 6, 8, generator=_gen(), dtype=F64)
    lengths = (4, 6)
    mask = torch.arange(6).expand(2, 6) >= torch.tensor(lengths)[:, None]
    out = enc(x, mask)
    for i, n in enumerate(lengths):
        alone = enc(x[i : i + 1, :n])
        assert torch.allclose(out[i, :n], alone[0], atol=TOL, rtol=0)


def test_memory_padding_mask_equals_dropping_the_padded_memory() -> None:
    torch.manual_seed(3)
    dec = TransformerDecoder(8, 2, 2, self_attention=False, dtype=F64).eval()
    q = torch.randn(2, 4, 8, generator=_gen(), dtype=F64)
    mem = torch.randn(2, 7, 8, generator=_gen(1), dtype=F64)
    mask = torch.zeros(2, 7, dtype=torch.bool)
    mask[0, 5:] = True
    out = dec(q, mem, mask)
    assert torch.allclose(out[0], dec(q[:1], mem[:1, :5])[0], atol=TOL, rtol=0)
    assert torch.allclose(out[1], dec(q[1:], mem[1:])[0], atol=TOL, rtol=0)


@pytest.mark.parametrize("self_attention", [False, True])
def test_cross_attention_block_is_query_equivariant_and_memory_invariant(
    self_attention: bool,
) -> None:
    torch.manual_seed(4)
    block = TransformerDecoderBlock(8, 2, self_attention=self_attention, dtype=F64).eval()
    q = torch.randn(2, 5, 8, generator=_gen(), dtype=F64)
    mem = torch.randn(2, 6, 8, generator=_gen(1), dtype=F64)
    pq, pm = torch.randperm(5, generator=_gen(2)), torch.randperm(6, generator=_gen(3))
    base = block(q, mem)
    assert torch.allclose(block(q[:, pq], mem), base[:, pq], atol=TOL, rtol=0)
    assert torch.allclose(block(q, mem[:, pm]), base, atol=TOL, rtol=0)


def test_decoder_without_self_attention_treats_each_query_alone() -> None:
    torch.manual_seed(5)
    dec = TransformerDecoder(8, 2, 3, self_attention=False, dtype=F64).eval()
    q = torch.randn(1, 5, 8, generator=_gen(), dtype=F64)
    mem = torch.randn(1, 6, 8, generator=_gen(1), dtype=F64)
    full = dec(q, mem)
    for k in range(5):
        assert torch.allclose(dec(q[:, k : k + 1], mem)[0, 0], full[0, k], atol=TOL, rtol=0)


def test_pre_norm_block_is_identity_plus_branches_at_zero_weights() -> None:
    # With the attention output and the last FFN layer zeroed, both residual branches vanish.
    block = TransformerEncoderBlock(8, 2, dtype=F64)
    with torch.no_grad():
        block.attn.out_proj.weight.zero_()
        block.attn.out_proj.bias.zero_()
        block.ffn.linear2.weight.zero_()
        block.ffn.linear2.bias.zero_()
    x = torch.randn(2, 3, 8, generator=_gen(), dtype=F64)
    assert torch.equal(block(x), x)
    block.reset_parameters()
    assert block.attn.out_proj.weight.abs().sum() > 0


def test_causal_mask_and_sinusoidal_embedding_values() -> None:
    assert causal_mask(3).tolist() == [[False, True, True], [False, False, True], [False] * 3]
    pos = torch.tensor([0.0, 1.0, 2.5], dtype=F64)
    emb = sinusoidal_embedding(pos, 4, base=100.0)
    # dim 4: frequencies 1 and 100^(-1/2) = 0.1; interleaved sin/cos
    want = torch.stack(
        [torch.sin(pos), torch.cos(pos), torch.sin(0.1 * pos), torch.cos(0.1 * pos)], dim=-1
    )
    assert torch.allclose(emb, want, atol=1e-15, rtol=0)
    assert math.isclose(float(emb[0].norm() ** 2), 2.0)


def test_fully_padded_sequence_is_refused() -> None:
    enc = TransformerEncoderBlock(4, 1)
    mask = torch.tensor([[True, True], [False, True]])
    with pytest.raises(ValueError, match="key_padding_mask"):
        enc(torch.zeros(2, 2, 4), mask)
