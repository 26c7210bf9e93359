"""Small character-level language models built from ParaGRU / ParaLSTM, and a Transformer twin.

From "ParaRNN: Unlocking Parallel Training of Nonlinear RNNs for Large Language Models"
(arXiv 2510.21450), which trains ParaGRU / ParaLSTM language models and compares them with
Transformers of similar size. Each block here is pre-norm: ``x + W_o cell(LN(x))`` then
``x + MLP(LN(x))``; the Transformer baseline uses the same embedding, MLP width and head, with
causal self-attention and learned positions in place of the recurrence.

Deviations: a much smaller model (tens of thousands of parameters) and plain LayerNorm blocks;
the paper's exact block layout (gating, normalisation choices) at 400M-7B scale was not copied.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int
from nnatlas.nn._checks import check_factory_dtype
from nnatlas.nn.pararnn.cells import ParaGRU, ParaLSTM
from nnatlas.nn.pararnn.newton import Mode, NewtonConfig

__all__ = ["ParaRNNLM", "TransformerLM"]


def _check_ids(owner: str, ids: object, vocab_size: int, max_len: int | None = None) -> Tensor:
    if not isinstance(ids, Tensor) or ids.dtype not in (torch.int64, torch.int32) or ids.dim() != 2:
        got = (
            f"dtype {ids.dtype}, shape {tuple(ids.shape)}"
            if isinstance(ids, Tensor)
            else type(ids).__name__
        )
        raise TypeError(f"{owner}: ids must be an int64 tensor (batch, L); got {got}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ConfigError(
            f"{owner}: ids must lie in [0, vocab_size={vocab_size}); got range "
            f"[{int(ids.min())}, {int(ids.max())}]"
        )
    if max_len is not None and ids.shape[1] > max_len:
        raise ConfigError(f"{owner}: ids is longer than max_len={max_len}; got L={ids.shape[1]}")
    return ids


class _RNNBlock(nn.Module):
    def __init__(self, cell: nn.Module, d_model: int, hidden: int, mlp: int, **kw: Any) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model, **kw)
        self.cell = cell
        self.out = nn.Linear(hidden, d_model, **kw)
        self.norm2 = nn.LayerNorm(d_model, **kw)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp, **kw),
            nn.GELU(),
            nn.Linear(mlp, d_model, **kw),
        )

    def forward(self, x: Tensor) -> Tensor:
        y, _ = self.cell(self.norm1(x))
        x = x + self.out(y)
        return x + self.mlp(self.norm2(x))


class ParaRNNLM(nn.Module):
    """Character LM: embedding, ``num_layers`` ParaGRU/ParaLSTM blocks, LayerNorm, linear head.

    Args:
        vocab_size: number of token ids.
        d_model: embedding width (and the cells' hidden size).
        num_layers: blocks.
        cell: ``"gru"`` (ParaGRU) or ``"lstm"`` (ParaLSTM).
        num_heads: heads of the cells' block-diagonal input maps.
        mode: ``"sequential"``, ``"parallel"`` or ``"chunked"`` for every cell.
        newton: Newton settings for the cells.
        mlp_ratio: MLP width as a multiple of ``d_model``.
        device, dtype: as for any ``nn.Module``.

    Shapes: ``ids: (batch, L)`` int64 -> logits ``(batch, L, vocab_size)``.
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 64,
        num_layers: int = 2,
        *,
        cell: Literal["gru", "lstm"] = "gru",
        num_heads: int = 2,
        mode: Mode = "parallel",
        newton: NewtonConfig | None = None,
        mlp_ratio: int = 2,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        check_int("vocab_size", vocab_size)
        check_int("d_model", d_model)
        check_int("num_layers", num_layers)
        check_int("mlp_ratio", mlp_ratio)
        if cell not in ("gru", "lstm"):
            raise UnknownNameError("cell", str(cell), ("gru", "lstm"))
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        cls = ParaGRU if cell == "gru" else ParaLSTM
        self.cell_name, self.vocab_size = cell, vocab_size
        self.embed = nn.Embedding(vocab_size, d_model, **kw)
        self.blocks = nn.ModuleList(
            _RNNBlock(
                cls(d_model, d_model, num_heads, mode=mode, newton=newton, **kw),
                d_model, d_model, mlp_ratio * d_model, **kw,
            )
            for _ in range(num_layers)
        )  # fmt: skip
        self.norm = nn.LayerNorm(d_model, **kw)
        self.head = nn.Linear(d_model, vocab_size, **kw)

    def set_mode(self, mode: Mode) -> None:
        """Switch every cell to ``mode`` (weights unchanged)."""
        for block in self.blocks:
            cell: Any = block.cell
            cell.mode = mode

    def forward(self, ids: Tensor) -> Tensor:
        x = self.embed(_check_ids(type(self).__name__, ids, self.vocab_size))
        for block in self.blocks:
            x = block(x)
        logits: Tensor = self.head(self.norm(x))
        return logits

    def extra_repr(self) -> str:
        return f"cell={self.cell_name!r}"


class TransformerLM(nn.Module):
    """A causal pre-norm Transformer of the same layout, the size-matched baseline.

    Args:
        vocab_size, d_model, num_layers, mlp_ratio: as for :class:`ParaRNNLM`.
        nhead: attention heads.
        max_len: longest sequence (learned positions).
        device, dtype: as for any ``nn.Module``.

    Shapes: ``ids: (batch, L)`` -> logits ``(batch, L, vocab_size)``, ``L <= max_len``.
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 64,
        num_layers: int = 2,
        *,
        nhead: int = 4,
        max_len: int = 1024,
        mlp_ratio: int = 2,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("d_model", d_model),
                            ("num_layers", num_layers), ("nhead", nhead), ("max_len", max_len),
                            ("mlp_ratio", mlp_ratio)):  # fmt: skip
            check_int(name, value)
        if d_model % nhead:
            raise ConfigError(f"d_model must be divisible by nhead={nhead}; got d_model={d_model}")
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.vocab_size, self.max_len = vocab_size, max_len
        self.embed = nn.Embedding(vocab_size, d_model, **kw)
        self.pos = nn.Parameter(torch.zeros(max_len, d_model, **kw))
        nn.init.normal_(self.pos, std=0.02)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d_model, nhead, mlp_ratio * d_model, dropout=0.0, activation="gelu",
                batch_first=True, norm_first=True, **kw,
            )
            for _ in range(num_layers)
        )  # fmt: skip
        self.norm = nn.LayerNorm(d_model, **kw)
        self.head = nn.Linear(d_model, vocab_size, **kw)

    def forward(self, ids: Tensor) -> Tensor:
        _check_ids(type(self).__name__, ids, self.vocab_size, self.max_len)
        length = ids.shape[1]
        x = self.embed(ids) + self.pos[:length]
        mask = nn.Transformer.generate_square_subsequent_mask(length, device=ids.device)
        for layer in self.layers:
            x = layer(x, src_mask=mask, is_causal=True)
        logits: Tensor = self.head(self.norm(x))
        return logits
