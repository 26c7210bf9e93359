"""Pre-norm transformer blocks shared by the multimodal operator learners (PROSE, MOL).

Both papers build on the same three pieces, defined once here:

* :class:`TransformerEncoderBlock` — pre-norm self-attention + feed-forward,
  ``x + attn(LN(x))`` then ``x + ffn(LN(x))`` (optionally causal), with a key-padding mask;
* :class:`TransformerDecoderBlock` — optional (causal) self-attention, cross-attention from the
  queries to a memory, feed-forward, all pre-norm. With ``self_attention=False`` the queries do
  not see each other: this is PROSE's operator decoder, whose output at one query time does
  not depend on which other times were queried;
* :class:`TransformerEncoder` / :class:`TransformerDecoder` — stacks of blocks with a final
  LayerNorm;
* :func:`sinusoidal_embedding` (Vaswani et al.'s fixed positions) and :func:`causal_mask`.

Sources: "Attention Is All You Need" (Vaswani et al., arXiv 1706.03762) for the blocks;
pre-norm placement as in "On Layer Normalization in the Transformer Architecture" (Xiong et al.,
arXiv 2002.04745), which the official PROSE code (felix-lyx/prose, ``norm_first=True``) uses.
Attention is ``torch.nn.MultiheadAttention`` (``batch_first=True``).

Masks follow PyTorch's convention: a boolean ``key_padding_mask`` of shape ``(batch, length)``
is ``True`` at padded items, which no query attends to. A query row whose keys are all padded
has no defined attention; these blocks refuse it rather than return NaN (it is checked only
when a mask is given, one device sync).

Deviations: dropout is applied to attention weights and to each residual branch (the usual
choice); there is no bias-free or RMSNorm variant.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_real
from nnatlas.nn._checks import check_factory_dtype, check_input, module_dtype
from nnatlas.nn.activations import activation_module

__all__ = [
    "TransformerDecoder",
    "TransformerDecoderBlock",
    "TransformerEncoder",
    "TransformerEncoderBlock",
    "causal_mask",
    "sinusoidal_embedding",
]


def causal_mask(length: int, *, device: torch.device | str | None = None) -> Tensor:
    """Boolean ``(length, length)`` mask, ``True`` above the diagonal (future keys blocked).

    Args:
        length: sequence length (≥ 1).
        device: where to build it.
    """
    check_int("length", length, low=1)
    return torch.ones(length, length, dtype=torch.bool, device=device).triu(1)


def sinusoidal_embedding(positions: Tensor, dim: int, *, base: float = 10000.0) -> Tensor:
    """Fixed sinusoidal embedding of (real-valued) positions.

    ``E[..., 2i] = sin(p / base^(2i/dim))``, ``E[..., 2i+1] = cos(p / base^(2i/dim))``.

    Args:
        positions: ``(...)`` floating tensor of positions (integers or real times).
        dim: embedding size (even, ≥ 2).
        base: the wavelength base (> 1).

    Returns:
        ``(..., dim)`` tensor of ``positions``' dtype.
    """
    if not isinstance(positions, Tensor) or not positions.is_floating_point():
        got = positions.dtype if isinstance(positions, Tensor) else type(positions).__name__
        raise TypeError(f"positions must be a floating-point torch.Tensor; got {got}")
    check_int("dim", dim, low=2)
    if dim % 2:
        raise ConfigError(f"dim must be even; got {dim}")
    check_real("base", base, low=1.0, low_open=True)
    half = torch.arange(dim // 2, dtype=positions.dtype, device=positions.device)
    freq = torch.exp(-math.log(base) * 2.0 * half / dim)
    angle = positions.unsqueeze(-1) * freq
    return torch.stack((angle.sin(), angle.cos()), dim=-1).flatten(-2)


def _check_sizes(dim: Any, num_heads: Any, ffn_dim: Any, dropout: Any, norm_eps: Any) -> int:
    check_int("dim", dim)
    check_int("num_heads", num_heads)
    if dim % num_heads:
        raise ConfigError(f"dim must be divisible by num_heads={num_heads}; got dim={dim}")
    ffn = 4 * dim if ffn_dim is None else check_int("ffn_dim", ffn_dim)
    check_real("dropout", dropout, low=0.0, high=1.0, high_open=True)
    check_real("norm_eps", norm_eps, low=0.0, low_open=True)
    return ffn


def _check_padding(owner: str, name: str, mask: Any, batch: int, length: int) -> Tensor | None:
    if mask is None:
        return None
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise TypeError(f"{owner}: {name} must be a bool torch.Tensor (True = padded); got {got}")
    if tuple(mask.shape) != (batch, length):
        raise ConfigError(
            f"{owner}: {name} must have shape (batch, length) = {(batch, length)}; got "
            f"{tuple(mask.shape)}"
        )
    if length and bool(mask.all(dim=1).any()):
        raise ConfigError(f"{owner}: {name} pads every item of some sequence; nothing to attend to")
    return mask


def _reset_children(module: nn.Module) -> None:
    # MultiheadAttention's initialiser is its ``_reset_parameters``; the others are public.
    inside_attention = set()
    for m in module.modules():
        if isinstance(m, nn.MultiheadAttention):
            m.out_proj.reset_parameters()  # as at construction: Linear init, then MHA's
            m._reset_parameters()
            inside_attention.add(id(m.out_proj))
        elif isinstance(m, nn.Linear | nn.LayerNorm) and id(m) not in inside_attention:
            m.reset_parameters()


class _FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int, activation: str, dropout: float, **factory: Any):
        super().__init__()
        self.linear1 = nn.Linear(dim, hidden, **factory)
        self.act = activation_module(activation)[0]()
        self.linear2 = nn.Linear(hidden, dim, **factory)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.drop(self.act(self.linear1(x))))


class TransformerEncoderBlock(nn.Module):
    """Pre-norm self-attention block: ``x + attn(LN x)``, then ``x + ffn(LN x)``.

    Args:
        dim: model width.
        num_heads: attention heads (must divide ``dim``).
        ffn_dim: hidden width of the feed-forward network (default ``4 * dim``).
        dropout: dropout on attention weights and residual branches, in ``[0, 1)``.
        activation: feed-forward activation name (:mod:`nnatlas.nn.activations`).
        causal: mask future positions (item ``t`` attends to items ``≤ t``).
        norm_eps: LayerNorm epsilon.
        device, dtype: factory arguments of the parameters.

    Shapes:
        ``x``: ``(batch, length, dim)``; ``key_padding_mask``: ``(batch, length)`` bool, True at
        padded items. Output: ``(batch, length, dim)``.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        ffn_dim: int | None = None,
        dropout: float = 0.0,
        activation: str = "gelu",
        causal: bool = False,
        norm_eps: float = 1e-5,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        ffn = _check_sizes(dim, num_heads, ffn_dim, dropout, norm_eps)
        check_factory_dtype(dtype)
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        self.dim, self.num_heads, self.causal = dim, num_heads, bool(causal)
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps, **factory)
        self.attn = nn.MultiheadAttention(
            dim, num_heads, dropout=dropout, batch_first=True, **factory
        )
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps, **factory)
        self.ffn = _FeedForward(dim, ffn, activation, dropout, **factory)
        self.drop = nn.Dropout(dropout)

    def reset_parameters(self) -> None:
        """Re-initialise every parameter as at construction."""
        _reset_children(self)

    def forward(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """Apply the block; see the class docstring for shapes."""
        name = type(self).__name__
        check_input(name, x, ndim=3, last=self.dim, dtype=module_dtype(self))
        mask = _check_padding(name, "key_padding_mask", key_padding_mask, x.shape[0], x.shape[1])
        attn_mask = causal_mask(x.shape[1], device=x.device) if self.causal else None
        h = self.norm1(x)
        h = self.attn(h, h, h, key_padding_mask=mask, attn_mask=attn_mask, need_weights=False)[0]
        x = x + self.drop(h)
        return x + self.drop(self.ffn(self.norm2(x)))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, num_heads={self.num_heads}, causal={self.causal}"


class TransformerDecoderBlock(nn.Module):
    """Pre-norm decoder block: [self-attention], cross-attention to a memory, feed-forward.

    Args:
        dim: model width (of queries and memory).
        num_heads: attention heads (must divide ``dim``).
        ffn_dim: hidden width of the feed-forward network (default ``4 * dim``).
        dropout: dropout on attention weights and residual branches, in ``[0, 1)``.
        activation: feed-forward activation name.
        self_attention: whether queries attend to each other first. ``False`` makes the block
            act on each query independently (PROSE's operator decoder).
        causal: with ``self_attention``, query ``t`` sees queries ``≤ t`` only (autoregressive
            decoding).
        norm_eps: LayerNorm epsilon.
        device, dtype: factory arguments.

    Shapes:
        ``x``: ``(batch, queries, dim)``; ``memory``: ``(batch, keys, dim)``;
        ``memory_key_padding_mask``: ``(batch, keys)`` bool; ``key_padding_mask``:
        ``(batch, queries)`` bool (self-attention only). Output: ``(batch, queries, dim)``.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        ffn_dim: int | None = None,
        dropout: float = 0.0,
        activation: str = "gelu",
        self_attention: bool = True,
        causal: bool = False,
        norm_eps: float = 1e-5,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        ffn = _check_sizes(dim, num_heads, ffn_dim, dropout, norm_eps)
        check_factory_dtype(dtype)
        if causal and not self_attention:
            raise ConfigError("causal=True needs self_attention=True (nothing to mask otherwise)")
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        self.dim, self.num_heads = dim, num_heads
        self.self_attention, self.causal = bool(self_attention), bool(causal)
        if self.self_attention:
            self.norm_self = nn.LayerNorm(dim, eps=norm_eps, **factory)
            self.self_attn = nn.MultiheadAttention(
                dim, num_heads, dropout=dropout, batch_first=True, **factory
            )
        self.norm_cross = nn.LayerNorm(dim, eps=norm_eps, **factory)
        self.norm_memory = nn.LayerNorm(dim, eps=norm_eps, **factory)
        self.cross_attn = nn.MultiheadAttention(
            dim, num_heads, dropout=dropout, batch_first=True, **factory
        )
        self.norm_ffn = nn.LayerNorm(dim, eps=norm_eps, **factory)
        self.ffn = _FeedForward(dim, ffn, activation, dropout, **factory)
        self.drop = nn.Dropout(dropout)

    def reset_parameters(self) -> None:
        """Re-initialise every parameter as at construction."""
        _reset_children(self)

    def forward(
        self,
        x: Tensor,
        memory: Tensor,
        memory_key_padding_mask: Tensor | None = None,
        key_padding_mask: Tensor | None = None,
    ) -> Tensor:
        """Apply the block; see the class docstring for shapes."""
        name = type(self).__name__
        dtype = module_dtype(self)
        check_input(name, x, ndim=3, last=self.dim, dtype=dtype)
        check_input(name, memory, name="memory", ndim=3, last=self.dim, dtype=dtype)
        if memory.shape[0] != x.shape[0]:
            raise ConfigError(
                f"{name}: memory must have x's batch size {x.shape[0]}; got {memory.shape[0]}"
            )
        mem_mask = _check_padding(
            name, "memory_key_padding_mask", memory_key_padding_mask, *memory.shape[:2]
        )
        if self.self_attention:
            mask = _check_padding(name, "key_padding_mask", key_padding_mask, *x.shape[:2])
            attn_mask = causal_mask(x.shape[1], device=x.device) if self.causal else None
            h = self.norm_self(x)
            h = self.self_attn(
                h, h, h, key_padding_mask=mask, attn_mask=attn_mask, need_weights=False
            )[0]
            x = x + self.drop(h)
        elif key_padding_mask is not None:
            raise ConfigError(
                f"{name}: key_padding_mask applies to self-attention, which this block has not "
                "(self_attention=False); pass None"
            )
        m = self.norm_memory(memory)
        h = self.cross_attn(
            self.norm_cross(x), m, m, key_padding_mask=mem_mask, need_weights=False
        )[0]
        x = x + self.drop(h)
        return x + self.drop(self.ffn(self.norm_ffn(x)))

    def extra_repr(self) -> str:
        return (
            f"dim={self.dim}, num_heads={self.num_heads}, "
            f"self_attention={self.self_attention}, causal={self.causal}"
        )


class _Stack(nn.Module):
    """``num_layers`` blocks made by ``block()``, then a LayerNorm (the encoder and decoder)."""

    def __init__(
        self,
        dim: int,
        num_layers: int,
        norm_eps: float,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
        block: Callable[[], nn.Module],
    ) -> None:
        super().__init__()
        check_int("num_layers", num_layers)
        self.dim = dim
        self.layers = nn.ModuleList(block() for _ in range(num_layers))
        self.norm = nn.LayerNorm(dim, eps=norm_eps, device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        """Re-initialise every block and the final norm."""
        _reset_children(self)


class TransformerEncoder(_Stack):
    """A stack of :class:`TransformerEncoderBlock` followed by a LayerNorm.

    Args:
        dim, num_heads, ffn_dim, dropout, activation, causal, norm_eps, device, dtype: as for
            :class:`TransformerEncoderBlock`.
        num_layers: number of blocks (≥ 1).

    Shapes:
        as :class:`TransformerEncoderBlock`.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        num_layers: int,
        ffn_dim: int | None = None,
        dropout: float = 0.0,
        activation: str = "gelu",
        causal: bool = False,
        norm_eps: float = 1e-5,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(
            dim, num_layers, norm_eps, device, dtype,
            lambda: TransformerEncoderBlock(
                dim, num_heads, ffn_dim, dropout, activation, causal, norm_eps, device, dtype
            ),
        )  # fmt: skip

    def forward(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """Apply the blocks in turn, then the final norm."""
        check_input(type(self).__name__, x, ndim=3, last=self.dim, dtype=module_dtype(self))
        for layer in self.layers:
            x = layer(x, key_padding_mask)
        return self.norm(x)


class TransformerDecoder(_Stack):
    """A stack of :class:`TransformerDecoderBlock` followed by a LayerNorm.

    Args:
        dim, num_heads, ffn_dim, dropout, activation, self_attention, causal, norm_eps, device,
            dtype: as for :class:`TransformerDecoderBlock`.
        num_layers: number of blocks (≥ 1).

    Shapes:
        as :class:`TransformerDecoderBlock`.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        num_layers: int,
        ffn_dim: int | None = None,
        dropout: float = 0.0,
        activation: str = "gelu",
        self_attention: bool = True,
        causal: bool = False,
        norm_eps: float = 1e-5,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(
            dim, num_layers, norm_eps, device, dtype,
            lambda: TransformerDecoderBlock(
                dim, num_heads, ffn_dim, dropout, activation, self_attention, causal, norm_eps,
                device, dtype,
            ),
        )  # fmt: skip

    def forward(
        self,
        x: Tensor,
        memory: Tensor,
        memory_key_padding_mask: Tensor | None = None,
        key_padding_mask: Tensor | None = None,
    ) -> Tensor:
        """Apply the blocks in turn, then the final norm."""
        check_input(type(self).__name__, x, ndim=3, last=self.dim, dtype=module_dtype(self))
        for layer in self.layers:
            x = layer(x, memory, memory_key_padding_mask, key_padding_mask)
        return self.norm(x)
