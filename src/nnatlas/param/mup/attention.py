"""muP attention: logits scaled by 1/d instead of 1/sqrt(d).

Part of :mod:`nnatlas.param.mup` (Tensor Programs V, arXiv 2203.03466, Sec. 4 and App. B).
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor

from nnatlas.core.validation import check_int

__all__ = ["mup_attention", "mup_attention_scale"]


def mup_attention_scale(head_dim: int, base_head_dim: int = 64) -> float:
    """The muP attention-logit scale ``sqrt(base_head_dim) / head_dim``.

    muP scales q.k by 1/d instead of 1/sqrt(d) (TP5, Sec. 4 and App. B); anchoring at the base head
    size keeps the base model unchanged, giving the ``mup`` package's ``8/d`` at base 64.
    """
    d = check_int("head_dim", head_dim)
    b = check_int("base_head_dim", base_head_dim)
    return math.sqrt(b) / d


def mup_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    *,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    dropout_p: float = 0.0,
    base_head_dim: int = 64,
) -> Tensor:
    """Scaled dot-product attention with the muP scale :func:`mup_attention_scale`.

    Args:
        query: ``(*, L, d)``; key: ``(*, S, d)``; value: ``(*, S, d_v)``.
        attn_mask, is_causal, dropout_p: as in ``torch.nn.functional.scaled_dot_product_attention``.
        base_head_dim: head size at which the scale equals 1/sqrt(d).

    Returns:
        ``(*, L, d_v)``.
    """
    if query.dim() < 2 or query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query (*, L, d) and key (*, S, d) must share d; got {tuple(query.shape)} and {tuple(key.shape)}"
        )
    scale = mup_attention_scale(int(query.shape[-1]), base_head_dim)
    return F.scaled_dot_product_attention(
        query,
        key,
        value,
        attn_mask=attn_mask,
        dropout_p=dropout_p,
        is_causal=is_causal,
        scale=scale,
    )
