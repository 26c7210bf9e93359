"""muP attention: logits scaled by 1/d instead of 1/sqrt(d).

Part of :mod:`nnatlas.param.mup` (Tensor Programs V, arXiv 2203.03466, Sec. 4 and App. B).
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor

from nnatlas.core.errors import ConfigError
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
        ``(*, L, d_v)``; NaN in the inputs gives NaN outputs (not checked, to keep the call cheap).

    Raises:
        TypeError: a non-tensor argument.
        ConfigError: non-float tensors, fewer than 2 dims, or shapes that do not match.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
        if not t.is_floating_point():
            raise ConfigError(f"{name} must be a float tensor; got {t.dtype}")
        if t.dim() < 2:
            raise ConfigError(f"{name} must be (*, length, dim); got shape {tuple(t.shape)}")
    if query.shape[-1] != key.shape[-1]:
        raise ConfigError(
            f"query (*, L, d) and key (*, S, d) must share d; got {tuple(query.shape)} and "
            f"{tuple(key.shape)}"
        )
    if value.shape[:-1] != key.shape[:-1]:
        raise ConfigError(
            f"value (*, S, d_v) must match key (*, S, d) in all but the last dim; got "
            f"{tuple(value.shape)} and {tuple(key.shape)}"
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
