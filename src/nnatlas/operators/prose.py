"""PROSE: multimodal operator learning from data and (possibly wrong) symbolic equations.

"PROSE: Predicting Operators and Symbolic Expressions using Multimodal Transformers" (Liu,
Zhang, Schaeffer; arXiv 2309.16816; Neural Networks 180:106707, 2024). Given noisy samples of a
trajectory on an input window and a symbolic guess of the governing equation ``du/dt = f(u)``,
PROSE predicts the trajectory at arbitrary query times and (2-to-2) outputs the equation.

Architecture (the official ``prose_ode`` code, shrunk by the constructor arguments):

* data encoder: each observation ``(t_i, u(t_i))`` (state zero-padded to ``state_dim``) is one
  token, embedded by ``Linear → GELU → Linear``; a transformer encoder with **no positional
  embedding** (time is inside the token, so the encoder is permutation-equivariant);
* symbol encoder: token embedding + sinusoidal positions, a transformer encoder with a
  padding mask;
* fusion encoder: a transformer encoder over the concatenated data and symbol features, each
  added to a learned 2-way type embedding;
* operator decoder: the queries are embeddings of the output times; cross-attention-only
  blocks (no self-attention among queries, PROSE's default ``data_decoder_attn=False``) attend
  to the data part of the fused sequence (``split_fused_feature_data=True``; ``memory="all"``
  uses the whole fused sequence); a linear head to ``state_dim``. The prediction at one time
  does not depend on the other query times;
* symbol decoder (2-to-2): an autoregressive (causal) transformer decoder with cross-attention
  to the fused sequence, emitting prefix tokens of :mod:`nnatlas.data.symbolic`.

Variants: ``"data-only"`` (no symbol input: data encoder and fusion encoder over the data
tokens alone), ``"2-to-1"`` (data + symbols in, data out) and ``"2-to-2"`` (also symbols out).
Loss (:func:`prose_loss`): ``data_weight × relative squared L² + symbol cross-entropy``
(PROSE: weight 6).

Deviations: the query-time embedding is a two-layer MLP (the official code: one linear map);
decoding is greedy (the official default samples at temperature 0.1 with beam size 1); no
dropout by default; model sizes are arguments (the official: width 512, 8 heads, encoder
layers 2/4/8, decoder layers 8/8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_real, check_tensor
from nnatlas.nn.transformer import TransformerDecoder, TransformerEncoder, sinusoidal_embedding

__all__ = ["PROSE", "ProseOutput", "prose_loss", "relative_squared_l2"]

Variant = Literal["data-only", "2-to-1", "2-to-2"]
VARIANTS = ("data-only", "2-to-1", "2-to-2")


@dataclass(frozen=True)
class ProseOutput:
    """What :meth:`PROSE.forward` returns.

    Attributes:
        data: ``(batch, queries, state_dim)`` predicted states at the query times.
        symbol_logits: ``(batch, length, vocab)`` next-token logits of the symbol decoder
            (2-to-2 with target tokens given), else ``None``.
    """

    data: Tensor
    symbol_logits: Tensor | None


def _mlp(d_in: int, dim: int, **factory: Any) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, dim, **factory), nn.GELU(), nn.Linear(dim, dim, **factory))


class PROSE(nn.Module):
    """The PROSE network.

    Args:
        state_dim: the (padded) state dimension of the data.
        vocab_size: the symbol vocabulary size (required unless ``variant="data-only"``).
        variant: ``"data-only"``, ``"2-to-1"`` or ``"2-to-2"``.
        dim: model width.
        num_heads: attention heads.
        data_layers, symbol_layers, fusion_layers, operator_layers, symbol_decoder_layers:
            block counts of the five transformers (the symbol ones are unused by the variants
            that lack them).
        ffn_dim: feed-forward width (default ``4 * dim``).
        max_symbol_length: longest symbol sequence (for the positional embedding check).
        memory: what the operator decoder attends to: ``"data"`` (the data part of the fused
            sequence, PROSE's default) or ``"all"``.
        pad_id: padding token id of the symbol sequences.
        device, dtype: factory arguments.

    Shapes (``forward``):
        ``obs_times`` ``(batch, n)``, ``obs`` ``(batch, n, state_dim)``, ``query_times``
        ``(batch, q)``, ``symbols`` ``(batch, L)`` long ids (padded with ``pad_id``),
        ``target_symbols`` ``(batch, S)`` long ids starting with BOS (teacher forcing).
    """

    def __init__(
        self,
        state_dim: int,
        vocab_size: int | None = None,
        variant: Variant = "2-to-1",
        dim: int = 64,
        num_heads: int = 4,
        data_layers: int = 2,
        symbol_layers: int = 2,
        fusion_layers: int = 2,
        operator_layers: int = 2,
        symbol_decoder_layers: int = 2,
        ffn_dim: int | None = None,
        max_symbol_length: int = 128,
        memory: Literal["data", "all"] = "data",
        pad_id: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("state_dim", state_dim)
        if variant not in VARIANTS:
            raise ConfigError(f"variant must be one of {VARIANTS}; got {variant!r}")
        check_int("dim", dim)
        if variant != "data-only":
            check_int("vocab_size", vocab_size, low=2)
            if dim % 2:
                raise ConfigError(f"dim must be even (sinusoidal symbol positions); got {dim}")
        for name, n in (("data_layers", data_layers), ("fusion_layers", fusion_layers),
                        ("operator_layers", operator_layers), ("symbol_layers", symbol_layers),
                        ("symbol_decoder_layers", symbol_decoder_layers)):  # fmt: skip
            check_int(name, n)
        check_int("max_symbol_length", max_symbol_length, low=2)
        if memory not in ("data", "all"):
            raise ConfigError(f"memory must be 'data' or 'all'; got {memory!r}")
        check_int("pad_id", pad_id, low=0)
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        self.state_dim, self.variant, self.dim = state_dim, variant, dim
        self.memory, self.pad_id, self.max_symbol_length = memory, pad_id, max_symbol_length
        self.vocab_size = vocab_size
        enc = {"dim": dim, "num_heads": num_heads, "ffn_dim": ffn_dim, **factory}
        self.data_embed = _mlp(1 + state_dim, dim, **factory)
        self.data_encoder = TransformerEncoder(num_layers=data_layers, **enc)
        self.fusion = TransformerEncoder(num_layers=fusion_layers, **enc)
        self.query_embed = _mlp(1, dim, **factory)
        self.operator_decoder = TransformerDecoder(
            num_layers=operator_layers, self_attention=False, **enc
        )
        self.head = nn.Linear(dim, state_dim, **factory)
        if variant != "data-only":
            assert vocab_size is not None
            self.symbol_embed = nn.Embedding(vocab_size, dim, **factory)
            self.symbol_encoder = TransformerEncoder(num_layers=symbol_layers, **enc)
            self.type_embed = nn.Embedding(2, dim, **factory)
        if variant == "2-to-2":
            assert vocab_size is not None
            self.out_embed = nn.Embedding(vocab_size, dim, **factory)
            self.symbol_decoder = TransformerDecoder(
                num_layers=symbol_decoder_layers, causal=True, **enc
            )
            self.symbol_head = nn.Linear(dim, vocab_size, **factory)

    def extra_repr(self) -> str:
        return f"variant={self.variant!r}, state_dim={self.state_dim}, dim={self.dim}"

    # -- pieces ---------------------------------------------------------------------------

    def _dtype(self) -> torch.dtype:
        return self.head.weight.dtype

    def _ids(self, name: str, ids: Any) -> Tensor:
        if not isinstance(ids, Tensor) or ids.dtype != torch.long or ids.ndim != 2:
            got = f"{ids.dtype} {tuple(ids.shape)}" if isinstance(ids, Tensor) else type(ids)
            raise TypeError(f"PROSE: {name} must be a (batch, length) long tensor; got {got}")
        if ids.shape[1] > self.max_symbol_length:
            raise ConfigError(
                f"PROSE: {name} has length {ids.shape[1]} > max_symbol_length="
                f"{self.max_symbol_length}"
            )
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= (self.vocab_size or 0)):
            raise ConfigError(f"PROSE: {name} holds ids outside [0, vocab_size={self.vocab_size})")
        return ids

    def _positions(self, length: int) -> Tensor:
        pos = torch.arange(length, dtype=self._dtype(), device=self.head.weight.device)
        return sinusoidal_embedding(pos, self.dim)

    def encode(
        self, obs_times: Tensor, obs: Tensor, symbols: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None, int]:
        """Fused features ``(batch, n [+ L], dim)``, their padding mask and the data length."""
        dtype = self._dtype()
        check_tensor("obs", obs, ndim=3, finite=False, owner="PROSE")
        check_tensor("obs_times", obs_times, ndim=2, finite=False, owner="PROSE")
        if obs.dtype != dtype or obs_times.dtype != dtype:
            raise TypeError(f"PROSE: obs and obs_times must have the model's dtype {dtype}")
        if obs.shape[-1] != self.state_dim or tuple(obs_times.shape) != tuple(obs.shape[:2]):
            raise ConfigError(
                f"PROSE: obs must be (batch, n, {self.state_dim}) and obs_times (batch, n); got "
                f"{tuple(obs.shape)} and {tuple(obs_times.shape)}"
            )
        tokens = self.data_embed(torch.cat([obs_times.unsqueeze(-1), obs], dim=-1))
        data = self.data_encoder(tokens)
        n = data.shape[1]
        if self.variant == "data-only":
            if symbols is not None:
                raise ConfigError("PROSE: symbols must be None for variant='data-only'")
            return self.fusion(data), None, n
        if symbols is None:
            raise ConfigError(f"PROSE: symbols are required for variant={self.variant!r}")
        ids = self._ids("symbols", symbols)
        if ids.shape[0] != obs.shape[0]:
            raise ConfigError(f"PROSE: symbols must have obs' batch size {obs.shape[0]}")
        pad = ids == self.pad_id
        sym = self.symbol_embed(ids) + self._positions(ids.shape[1])
        sym = self.symbol_encoder(sym, pad)
        fused_in = torch.cat([data + self.type_embed.weight[0], sym + self.type_embed.weight[1]], 1)
        mask = torch.cat(
            [torch.zeros(pad.shape[0], n, dtype=torch.bool, device=pad.device), pad], 1
        )
        return self.fusion(fused_in, mask), mask, n

    def decode_data(
        self, fused: Tensor, mask: Tensor | None, n_data: int, query_times: Tensor
    ) -> Tensor:
        """Predicted states ``(batch, q, state_dim)`` at ``query_times`` ``(batch, q)``."""
        check_tensor("query_times", query_times, ndim=2, finite=False, owner="PROSE")
        if query_times.dtype != self._dtype() or query_times.shape[0] != fused.shape[0]:
            raise ConfigError(
                f"PROSE: query_times must be (batch={fused.shape[0]}, q) of the model's dtype; "
                f"got {query_times.dtype} {tuple(query_times.shape)}"
            )
        if self.memory == "data" or mask is None:
            memory, mem_mask = fused[:, :n_data], None
        else:
            memory, mem_mask = fused, mask
        q = self.query_embed(query_times.unsqueeze(-1))
        return self.head(self.operator_decoder(q, memory, mem_mask))

    def symbol_logits(self, fused: Tensor, mask: Tensor | None, prefix: Tensor) -> Tensor:
        """Next-token logits ``(batch, S, vocab)`` given the token prefix ``(batch, S)``."""
        if self.variant != "2-to-2":
            raise ConfigError(f"PROSE: variant={self.variant!r} has no symbol decoder")
        ids = self._ids("target_symbols", prefix)
        x = self.out_embed(ids) + self._positions(ids.shape[1])
        pad = ids == self.pad_id
        pad[:, 0] = False  # the BOS token is never padding
        h = self.symbol_decoder(x, fused, mask, pad)
        return self.symbol_head(h)

    def forward(
        self,
        obs_times: Tensor,
        obs: Tensor,
        query_times: Tensor,
        symbols: Tensor | None = None,
        target_symbols: Tensor | None = None,
    ) -> ProseOutput:
        """Predict the states at ``query_times`` (and, 2-to-2, the symbol logits)."""
        fused, mask, n = self.encode(obs_times, obs, symbols)
        data = self.decode_data(fused, mask, n, query_times)
        logits = None
        if target_symbols is not None:
            logits = self.symbol_logits(fused, mask, target_symbols[:, :-1])
        return ProseOutput(data, logits)

    @torch.no_grad()
    def generate(
        self,
        obs_times: Tensor,
        obs: Tensor,
        symbols: Tensor,
        *,
        bos_id: int,
        eos_id: int,
        max_length: int = 64,
    ) -> Tensor:
        """Greedy decoding of the output equation: ``(batch, ≤ max_length)`` ids starting with
        ``bos_id``; after ``eos_id`` a row is filled with ``pad_id``."""
        if self.variant != "2-to-2":
            raise ConfigError(f"PROSE: variant={self.variant!r} has no symbol decoder")
        check_int("max_length", max_length, low=2, high=self.max_symbol_length)
        fused, mask, _ = self.encode(obs_times, obs, symbols)
        batch = obs.shape[0]
        out = torch.full((batch, 1), bos_id, dtype=torch.long, device=obs.device)
        done = torch.zeros(batch, dtype=torch.bool, device=obs.device)
        for _ in range(max_length - 1):
            nxt = self.symbol_logits(fused, mask, out)[:, -1].argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, self.pad_id), nxt)
            out = torch.cat([out, nxt[:, None]], dim=1)
            done |= nxt == eos_id
            if bool(done.all()):
                break
        return out


def relative_squared_l2(pred: Tensor, target: Tensor) -> Tensor:
    """Per-sample ``Σ |pred − target|² / Σ |target|²`` over all but the batch dimension.

    Args:
        pred, target: ``(batch, ...)`` tensors of the same shape.

    Returns:
        ``(batch,)`` relative squared errors.
    """
    check_tensor("pred", pred, min_ndim=2, finite=False)
    check_tensor("target", target, min_ndim=2, finite=False)
    if pred.shape != target.shape:
        raise ConfigError(
            f"pred must have target's shape {tuple(target.shape)}; got {tuple(pred.shape)}"
        )
    dims = tuple(range(1, pred.ndim))
    return (pred - target).square().sum(dims) / target.square().sum(dims).clamp_min(1e-12)


def prose_loss(
    output: ProseOutput,
    target: Tensor,
    target_symbols: Tensor | None = None,
    *,
    data_weight: float = 6.0,
    pad_id: int = 0,
) -> tuple[Tensor, dict[str, float]]:
    """PROSE's weighted loss: ``data_weight × mean relative squared L² + symbol cross-entropy``.

    Args:
        output: the model's output.
        target: ``(batch, q, state_dim)`` true states at the query times.
        target_symbols: ``(batch, S)`` target ids (BOS first) for the 2-to-2 cross-entropy.
        data_weight: weight of the data term (PROSE: 6.0).
        pad_id: ignored target id.

    Returns:
        The scalar loss and its parts ``{"data": …, "symbol": …}`` as floats.
    """
    if not isinstance(output, ProseOutput):
        raise TypeError(f"output must be a ProseOutput; got {type(output).__name__}")
    check_real("data_weight", data_weight, low=0.0)
    data = relative_squared_l2(output.data, target).mean()
    loss = data_weight * data
    parts = {"data": float(data.detach())}
    if output.symbol_logits is not None:
        if target_symbols is None:
            raise ConfigError("target_symbols are needed: the output has symbol logits")
        logits = output.symbol_logits
        ce = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), target_symbols[:, 1:].reshape(-1),
            ignore_index=pad_id,
        )  # fmt: skip
        loss = loss + ce
        parts["symbol"] = float(ce.detach())
    return loss, parts
