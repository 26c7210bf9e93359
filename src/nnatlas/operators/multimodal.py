"""A multimodal (numbers + text) foundation model that predicts solutions and describes equations.

Negrini, Liu, Yang, Osher, Schaeffer, "A Multimodal PDE Foundation Model for Prediction and
Scientific Text Descriptions" (arXiv 2502.06026; official code enegrini/MOL-LLM, no license: only
facts were taken from it). One sequence mixes words and numbers: words become token embeddings,
every number in the text becomes the output of a small MLP applied to its value, at the
position where the number stood. A causal transformer reads the sequence; two heads read its
hidden states:

* a **solution decoder**: query coordinates (times) embedded by an MLP cross-attend to the
  hidden states of the prompt (no self-attention among queries, so a query's answer does not
  depend on which other queries were asked) and are projected to the solution values;
* a **text head**: the same causal backbone continues the prompt with a description of the
  equation family, one word at a time (a linear language-model head, greedy decoding).

The loss is relative MSE of the solution plus the cross-entropy of the description, with equal
weights (as in the paper).

Components: :class:`MultimodalTokenizer` (word-level text, numbers kept as values),
:class:`MultimodalTokens` (its batch), :class:`NumberTextEmbedding` (tokens and number MLP into
one sequence), :class:`MultimodalPDEModel` (backbone + the two heads),
:class:`MultimodalOutput` and :func:`multimodal_loss`.

Deviations from the paper:

* the tokenizer is word-level over a vocabulary built from the texts given (the paper uses the
  pretrained GPT-2 BPE tokenizer from the Hugging Face hub, which cannot be loaded offline);
* the backbone is either the in-house causal stack of :mod:`nnatlas.nn.transformer` with learned
  positions (default) or ``transformers``' GPT-2 built **from a config** (random weights, the
  ``llm`` extra) — never the pretrained hub weights the paper fine-tunes;
* the whole sequence (prompt and description) is causal; the paper masks the caption causally
  and lets the data part attend freely. With right padding and a causal mask no real token ever
  sees a padded one, so no key-padding mask is needed in the backbone;
* the solution decoder uses the shared cross-attention-only decoder blocks (pre-norm, one
  hidden FFN layer) instead of the paper's 8-layer, 768-d decoder; sizes are arguments;
* queries outside the training time window raise unless ``extrapolate`` is set (the paper has an
  "extrapolate" evaluation mode but no guard).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.optional import require
from nnatlas.core.validation import check_int, check_real, check_tensor
from nnatlas.nn.transformer import TransformerDecoder, TransformerEncoder

__all__ = [
    "MultimodalOutput",
    "MultimodalPDEModel",
    "MultimodalTokenizer",
    "MultimodalTokens",
    "NumberTextEmbedding",
    "multimodal_loss",
]

PAD, BOS, SEP, EOS, NUM, UNK = "<pad>", "<bos>", "<sep>", "<eos>", "<num>", "<unk>"
SPECIAL_TOKENS = (PAD, BOS, SEP, EOS, NUM, UNK)

# A number: digits with an optional fraction and exponent; a sign belongs to the number only
# where it cannot be a binary minus (at the start, after a space, "(", "=" or ",").
_NUMBER = r"(?:(?<![\w.)\]])[-+])?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
_PIECES = re.compile(rf"({_NUMBER})|([A-Za-z_]+)|(\S)")


class MultimodalTokens(NamedTuple):
    """A batch of right-padded multimodal sequences.

    Attributes:
        ids: ``(batch, length)`` int64 token ids (the number token's id where a number stands).
        values: ``(batch, length)`` float32 number values (0 where there is no number).
        is_number: ``(batch, length)`` bool, True where a number stands.
        padding_mask: ``(batch, length)`` bool, True at padded positions.
    """

    ids: Tensor
    values: Tensor
    is_number: Tensor
    padding_mask: Tensor

    @property
    def lengths(self) -> Tensor:
        """``(batch,)`` int64 number of real tokens per sequence."""
        return (~self.padding_mask).sum(1)

    def to(self, device: torch.device | str) -> MultimodalTokens:
        """The same batch on ``device``."""
        return MultimodalTokens(*(t.to(device) for t in self))


class MultimodalTokenizer:
    """Word-level tokenizer that keeps the numbers of a text as values.

    A text is split into numbers (``1.5``, ``-2``, ``3e-4``), words (letters and ``_``) and
    single punctuation characters. Numbers become the ``<num>`` token with their value beside
    it; words outside the vocabulary become ``<unk>``.

    Args:
        vocabulary: the words and symbols (the special tokens ``<pad> <bos> <sep> <eos> <num>
            <unk>`` come first and need not be listed; duplicates are dropped).

    Attributes:
        tokens: id → token.
        pad_id, bos_id, sep_id, eos_id, num_id, unk_id: the special tokens' ids.
    """

    def __init__(self, vocabulary: Iterable[str]) -> None:
        if isinstance(vocabulary, str) or not isinstance(vocabulary, Iterable):
            raise TypeError(
                f"vocabulary must be an iterable of token strings; got {type(vocabulary).__name__}"
            )
        tokens = list(SPECIAL_TOKENS)
        seen = set(tokens)
        for word in vocabulary:
            if not isinstance(word, str) or not word or any(c.isspace() for c in word):
                raise ConfigError(
                    f"vocabulary entries must be non-empty strings without spaces; got {word!r}"
                )
            if word not in seen:
                seen.add(word)
                tokens.append(word)
        self.tokens: list[str] = tokens
        self._index = {t: i for i, t in enumerate(tokens)}
        self.pad_id, self.bos_id, self.sep_id, self.eos_id, self.num_id, self.unk_id = range(6)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> MultimodalTokenizer:
        """A tokenizer whose vocabulary is every word and symbol of ``texts`` (numbers aside)."""
        words: list[str] = []
        for text in _texts("texts", texts):
            words.extend(p for p, is_num in cls.split(text) if not is_num)
        return cls(words)

    @staticmethod
    def split(text: str) -> list[tuple[str, bool]]:
        """The pieces of ``text`` in order, each with whether it is a number."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str; got {type(text).__name__}")
        return [(m.group(0), m.group(1) is not None) for m in _PIECES.finditer(text)]

    def __len__(self) -> int:
        return len(self.tokens)

    def token_id(self, token: str) -> int:
        """The id of ``token`` (``<unk>``'s id if it is not in the vocabulary)."""
        return self._index.get(token, self.unk_id)

    def encode(
        self, texts: Sequence[str], *, prompt: bool = True, max_length: int | None = None
    ) -> MultimodalTokens:
        """Tokenize a batch of texts into right-padded sequences.

        Args:
            texts: the texts (at least one).
            prompt: wrap each text as a prompt, ``<bos> ... <sep>`` (the text head continues
                after ``<sep>``); ``False`` gives a target description, ``... <eos>``.
            max_length: refuse sequences longer than this (``None``: no limit).

        Returns:
            :class:`MultimodalTokens` of shape ``(len(texts), longest)``.
        """
        texts = _texts("texts", texts)
        if not texts:
            raise ConfigError("texts must hold at least one text; got an empty sequence")
        if max_length is not None:
            check_int("max_length", max_length, low=1)
        rows: list[list[tuple[int, float, bool]]] = []
        for text in texts:
            row = [(self.bos_id, 0.0, False)] if prompt else []
            for piece, is_num in self.split(text):
                if is_num:
                    row.append((self.num_id, float(piece), True))
                else:
                    row.append((self.token_id(piece), 0.0, False))
            row.append((self.sep_id if prompt else self.eos_id, 0.0, False))
            if max_length is not None and len(row) > max_length:
                raise ConfigError(
                    f"a text gives {len(row)} tokens, more than max_length={max_length}: {text!r}"
                )
            rows.append(row)
        length = max(len(r) for r in rows)
        ids = torch.full((len(rows), length), self.pad_id, dtype=torch.long)
        values = torch.zeros(len(rows), length)
        is_number = torch.zeros(len(rows), length, dtype=torch.bool)
        padding = torch.ones(len(rows), length, dtype=torch.bool)
        for i, row in enumerate(rows):
            n = len(row)
            ids[i, :n] = torch.tensor([r[0] for r in row])
            values[i, :n] = torch.tensor([r[1] for r in row])
            is_number[i, :n] = torch.tensor([r[2] for r in row])
            padding[i, :n] = False
        return MultimodalTokens(ids, values, is_number, padding)

    def decode(self, ids: Sequence[int] | Tensor) -> str:
        """The words of ``ids`` joined by spaces, up to the first ``<eos>`` (pads skipped).

        A ``<num>`` token decodes as ``<num>``: the text head generates words, not values.
        """
        if isinstance(ids, Tensor):
            if ids.dim() != 1 or ids.is_floating_point() or ids.is_complex():
                raise ConfigError(
                    f"ids must be a 1-D integer tensor; got {ids.dtype} {tuple(ids.shape)}"
                )
            ids = ids.tolist()
        words = []
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self.tokens):
                raise ConfigError(f"ids must be token ids in [0, {len(self.tokens)}); got {i!r}")
            if i == self.eos_id:
                break
            if i != self.pad_id:
                words.append(self.tokens[i])
        return " ".join(words)

    def __repr__(self) -> str:
        return f"MultimodalTokenizer(vocabulary_size={len(self.tokens)})"


def _texts(name: str, texts: Any) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Iterable):
        raise TypeError(f"{name} must be a sequence of str; got {type(texts).__name__}")
    out = list(texts)
    for t in out:
        if not isinstance(t, str):
            raise TypeError(f"{name} must be a sequence of str; got an item {type(t).__name__}")
    return out


def _check_tokens(owner: str, tokens: Any, vocab_size: int) -> MultimodalTokens:
    if not isinstance(tokens, MultimodalTokens):
        raise TypeError(
            f"{owner}: tokens must be MultimodalTokens (from MultimodalTokenizer.encode); got "
            f"{type(tokens).__name__}"
        )
    ids, values, is_number, padding = tokens
    for name, t, kind in (("ids", ids, "int64"), ("is_number", is_number, "bool"),
                          ("padding_mask", padding, "bool")):  # fmt: skip
        want = torch.long if kind == "int64" else torch.bool
        if not isinstance(t, Tensor) or t.dtype != want:
            got = t.dtype if isinstance(t, Tensor) else type(t).__name__
            raise TypeError(f"{owner}: tokens.{name} must be a {kind} tensor; got {got}")
    check_tensor("tokens.values", values, ndim=2, owner=owner, finite=False)
    if ids.dim() != 2 or ids.shape[1] == 0 or ids.shape[0] == 0:
        raise ConfigError(
            f"{owner}: tokens.ids must be (batch, length), non-empty; got {tuple(ids.shape)}"
        )
    for name, t in (("values", values), ("is_number", is_number), ("padding_mask", padding)):
        if t.shape != ids.shape:
            raise ConfigError(
                f"{owner}: tokens.{name} must have the shape of tokens.ids {tuple(ids.shape)}; "
                f"got {tuple(t.shape)}"
            )
    if bool((ids < 0).any()) or bool((ids >= vocab_size).any()):
        raise ConfigError(f"{owner}: tokens.ids must lie in [0, {vocab_size}); got values outside")
    if bool(padding[:, 0].any()):
        raise ConfigError(f"{owner}: tokens must be right-padded with a real first token")
    return tokens


class NumberTextEmbedding(nn.Module):
    """Token embeddings and a number MLP written into one sequence (the multimodal tokenizer).

    ``x[b, t] = MLP(values[b, t])`` where ``is_number[b, t]``, else ``E[ids[b, t]]``; plus a
    learned position embedding ``P[t]`` when ``max_length`` is given.

    Args:
        vocab_size: number of token ids.
        dim: embedding width.
        number_hidden: hidden width of the number MLP ``1 → hidden → dim`` (GELU).
        max_length: longest sequence (learned positions); ``None`` adds no positions.
        device, dtype: factory arguments.

    Shapes:
        ``ids``, ``values``, ``is_number``: ``(batch, length)``. Output ``(batch, length, dim)``.
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        number_hidden: int = 64,
        max_length: int | None = 256,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("vocab_size", vocab_size, low=len(SPECIAL_TOKENS))
        check_int("dim", dim)
        check_int("number_hidden", number_hidden)
        if max_length is not None:
            check_int("max_length", max_length)
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        self.vocab_size, self.dim, self.max_length = vocab_size, dim, max_length
        self.token = nn.Embedding(vocab_size, dim, **factory)
        self.number = nn.Sequential(
            nn.Linear(1, number_hidden, **factory),
            nn.GELU(),
            nn.Linear(number_hidden, dim, **factory),
        )
        self.position = nn.Embedding(max_length, dim, **factory) if max_length is not None else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2's initialisation: embeddings N(0, 0.02²); the MLP as ``nn.Linear``."""
        nn.init.normal_(self.token.weight, std=0.02)
        if self.position is not None:
            nn.init.normal_(self.position.weight, std=0.02)
        for m in self.number:
            if isinstance(m, nn.Linear):
                m.reset_parameters()

    def forward(self, ids: Tensor, values: Tensor, is_number: Tensor) -> Tensor:
        """Embed one batch; see the class docstring for shapes."""
        owner = type(self).__name__
        if not isinstance(ids, Tensor) or ids.dtype != torch.long:
            got = ids.dtype if isinstance(ids, Tensor) else type(ids).__name__
            raise TypeError(f"{owner}: ids must be an int64 tensor; got {got}")
        check_tensor("values", values, ndim=2, owner=owner, finite=False)
        if not isinstance(is_number, Tensor) or is_number.dtype != torch.bool:
            got = is_number.dtype if isinstance(is_number, Tensor) else type(is_number).__name__
            raise TypeError(f"{owner}: is_number must be a bool tensor; got {got}")
        if ids.dim() != 2 or values.shape != ids.shape or is_number.shape != ids.shape:
            raise ConfigError(
                f"{owner}: ids, values and is_number must share one (batch, length) shape; got "
                f"{tuple(ids.shape)}, {tuple(values.shape)}, {tuple(is_number.shape)}"
            )
        weight = self.token.weight
        numbers = self.number(values.to(weight.dtype).unsqueeze(-1))
        x = torch.where(is_number.unsqueeze(-1), numbers, self.token(ids))
        if self.position is not None:
            length = ids.shape[1]
            if length > self.position.num_embeddings:
                raise ConfigError(
                    f"{owner}: sequence length {length} exceeds max_length="
                    f"{self.position.num_embeddings}"
                )
            x = x + self.position.weight[:length]
        return x

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, dim={self.dim}, max_length={self.max_length}"


@dataclass(frozen=True)
class MultimodalOutput:
    """What :meth:`MultimodalPDEModel.forward` returns.

    Attributes:
        solution: ``(batch, queries, out_dim)`` predicted values at the query coordinates.
        text_logits: ``(batch, description_length, vocab)`` logits predicting each description
            token (``None`` when no description was given).
    """

    solution: Tensor
    text_logits: Tensor | None


class MultimodalPDEModel(nn.Module):
    """Causal transformer over a text-and-numbers prompt with a solution decoder and a text head.

    Args:
        vocab_size: tokenizer size (``len(tokenizer)``).
        dim: model width.
        num_heads: attention heads.
        num_layers: backbone layers.
        decoder_layers: cross-attention layers of the solution decoder.
        ffn_dim: feed-forward width (default ``4 * dim``).
        number_hidden: hidden width of the number MLP.
        max_length: longest prompt + description (learned positions).
        query_dim: coordinates per query (1: time).
        out_dim: solution values per query.
        time_range: ``(t_min, t_max)`` of the training window (the first query coordinate).
        extrapolate: allow query times outside ``time_range``; otherwise they raise.
        backbone: ``"transformer"`` (in-house, :class:`~nnatlas.nn.transformer.TransformerEncoder`
            with ``causal=True``) or ``"gpt2"`` (``transformers.GPT2Model`` from a config, random
            weights; the ``llm`` extra).
        dropout: dropout of the backbone and decoder.
        device, dtype: factory arguments.

    Shapes:
        prompt tokens ``(batch, length)``; ``query``: ``(batch, queries)`` or ``(batch,
        queries, query_dim)``; ``description``: ``(batch, description_length)`` int64 ids ending
        in ``<eos>``, padded with ``pad_id`` (:meth:`MultimodalTokenizer.encode` with
        ``prompt=False``).
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int = 64,
        num_heads: int = 4,
        num_layers: int = 2,
        decoder_layers: int = 2,
        ffn_dim: int | None = None,
        number_hidden: int = 64,
        max_length: int = 256,
        query_dim: int = 1,
        out_dim: int = 1,
        time_range: tuple[float, float] = (0.0, 1.0),
        extrapolate: bool = False,
        backbone: Literal["transformer", "gpt2"] = "transformer",
        dropout: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if backbone not in ("transformer", "gpt2"):
            raise ConfigError(f"backbone must be 'transformer' or 'gpt2'; got {backbone!r}")
        check_int("vocab_size", vocab_size, low=len(SPECIAL_TOKENS))
        check_int("dim", dim)
        check_int("num_heads", num_heads)
        check_int("num_layers", num_layers)
        check_int("decoder_layers", decoder_layers)
        check_int("max_length", max_length, low=2)
        check_int("query_dim", query_dim)
        check_int("out_dim", out_dim)
        self.time_range = _check_range(time_range)
        if not isinstance(extrapolate, bool):
            raise TypeError(f"extrapolate must be a bool; got {type(extrapolate).__name__}")
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        self.vocab_size, self.dim, self.max_length = vocab_size, dim, max_length
        self.query_dim, self.out_dim = query_dim, out_dim
        self.extrapolate, self.backbone_kind = extrapolate, backbone
        self.pad_id, self.eos_id = 0, SPECIAL_TOKENS.index(EOS)
        own_positions = backbone == "transformer"
        self.embed = NumberTextEmbedding(
            vocab_size, dim, number_hidden, max_length if own_positions else None, **factory
        )
        self.backbone: nn.Module
        if backbone == "transformer":
            self.backbone = TransformerEncoder(
                dim, num_heads, num_layers, ffn_dim, dropout, causal=True, **factory
            )
        else:
            self.backbone = _gpt2(dim, num_heads, num_layers, ffn_dim, dropout, max_length, factory)
        self.query_embed = nn.Sequential(
            nn.Linear(query_dim, dim, **factory), nn.GELU(), nn.Linear(dim, dim, **factory)
        )
        self.decoder = TransformerDecoder(
            dim, num_heads, decoder_layers, ffn_dim, dropout, self_attention=False, **factory
        )
        self.solution_head = nn.Linear(dim, out_dim, **factory)
        self.text_head = nn.Linear(dim, vocab_size, bias=False, **factory)
        nn.init.normal_(self.text_head.weight, std=0.02)

    def reset_parameters(self) -> None:
        """Re-initialise every parameter as at construction."""
        self.embed.reset_parameters()
        backbone: Any = self.backbone
        if self.backbone_kind == "transformer":
            backbone.reset_parameters()
        else:
            backbone.apply(backbone._init_weights)  # transformers' own initialiser
        self.decoder.reset_parameters()
        for m in (*self.query_embed, self.solution_head):
            if isinstance(m, nn.Linear):
                m.reset_parameters()
        nn.init.normal_(self.text_head.weight, std=0.02)

    # -- pieces -----------------------------------------------------------------------------

    def hidden_states(self, ids: Tensor, values: Tensor, is_number: Tensor) -> Tensor:
        """Causal backbone over a right-padded sequence: ``(batch, length, dim)``."""
        if ids.shape[1] > self.max_length:
            raise ConfigError(
                f"{type(self).__name__}: sequence length {ids.shape[1]} exceeds max_length="
                f"{self.max_length}"
            )
        x = self.embed(ids, values, is_number)
        if self.backbone_kind == "transformer":
            return self.backbone(x)
        return self.backbone(inputs_embeds=x).last_hidden_state

    def solve(self, hidden: Tensor, prompt_padding: Tensor, query: Tensor) -> Tensor:
        """The solution decoder: queries cross-attend to the prompt's hidden states.

        Args:
            hidden: ``(batch, prompt_length, dim)`` hidden states of the prompt.
            prompt_padding: ``(batch, prompt_length)`` bool, True at padding.
            query: ``(batch, queries, query_dim)`` checked coordinates.

        Returns:
            ``(batch, queries, out_dim)``.
        """
        q = self.query_embed(query.to(hidden.dtype))
        return self.solution_head(self.decoder(q, hidden, memory_key_padding_mask=prompt_padding))

    def check_query(self, query: Any, batch: int, *, extrapolate: bool | None = None) -> Tensor:
        """Return ``query`` as ``(batch, queries, query_dim)``; refuse times outside the window.

        Args:
            query: ``(batch, queries)`` or ``(batch, queries, query_dim)`` coordinates.
            batch: the prompt's batch size.
            extrapolate: overrides the model's ``extrapolate`` flag for this call.
        """
        owner = type(self).__name__
        q = check_tensor("query", query, ndim=(2, 3), owner=owner)
        if q.dim() == 2:
            if self.query_dim != 1:
                raise ConfigError(
                    f"{owner}: query must be (batch, queries, {self.query_dim}); got "
                    f"{tuple(q.shape)}"
                )
            q = q.unsqueeze(-1)
        if q.shape[0] != batch or q.shape[-1] != self.query_dim or q.shape[1] == 0:
            raise ConfigError(
                f"{owner}: query must be (batch={batch}, queries ≥ 1, {self.query_dim}); got "
                f"{tuple(q.shape)}"
            )
        allow = self.extrapolate if extrapolate is None else extrapolate
        if not isinstance(allow, bool):
            raise TypeError(f"{owner}: extrapolate must be a bool or None; got {allow!r}")
        if not allow:
            lo, hi = self.time_range
            slack = 1e-6 * max(1.0, hi - lo)  # float32 round-off of grid times
            t = q[..., 0]
            t_lo, t_hi = float(t.min()), float(t.max())
            if t_lo < lo - slack or t_hi > hi + slack:
                raise ConfigError(
                    f"{owner}: query times must lie in the training window time_range=[{lo:g}, "
                    f"{hi:g}] (extrapolate=False); got times in [{t_lo:g}, {t_hi:g}]. Pass "
                    "extrapolate=True to predict outside it"
                )
        return q

    # -- forward, loss, generation ----------------------------------------------------------

    def forward(
        self,
        tokens: MultimodalTokens,
        query: Tensor,
        description: Tensor | None = None,
        *,
        extrapolate: bool | None = None,
    ) -> MultimodalOutput:
        """Predict the solution at ``query`` and (teacher-forced) the description's logits.

        Args:
            tokens: the prompt (``MultimodalTokenizer.encode(texts)``).
            query: ``(batch, queries[, query_dim])`` coordinates (time first).
            description: ``(batch, description_length)`` int64 target ids, or ``None``.
            extrapolate: overrides the model's flag for this call.

        Returns:
            :class:`MultimodalOutput`.
        """
        owner = type(self).__name__
        tokens = _check_tokens(owner, tokens, self.vocab_size)
        batch, length = tokens.ids.shape
        q = self.check_query(query, batch, extrapolate=extrapolate)
        if description is None:
            hidden = self.hidden_states(tokens.ids, tokens.values, tokens.is_number)
            return MultimodalOutput(self.solve(hidden, tokens.padding_mask, q), None)
        desc = self._check_description(description, batch)
        ids, values, is_number, lengths = self._concat(tokens, desc)
        hidden = self.hidden_states(ids, values, is_number)
        solution = self.solve(hidden[:, :length], tokens.padding_mask, q)
        # the hidden state at position (prompt_length - 1 + k) predicts description token k
        pos = (lengths - 1).unsqueeze(1) + torch.arange(desc.shape[1], device=ids.device)
        index = pos.unsqueeze(-1).expand(-1, -1, hidden.shape[-1])
        logits = self.text_head(hidden.gather(1, index))
        return MultimodalOutput(solution, logits)

    @torch.no_grad()
    def generate(self, tokens: MultimodalTokens, max_new_tokens: int = 64) -> Tensor:
        """Greedy autoregressive description after each prompt.

        Args:
            tokens: the prompts.
            max_new_tokens: the longest description (≥ 1).

        Returns:
            ``(batch, generated)`` int64 ids; each row ends at its first ``<eos>`` and is padded
            with ``pad_id`` after it (decode with :meth:`MultimodalTokenizer.decode`).
        """
        owner = type(self).__name__
        tokens = _check_tokens(owner, tokens, self.vocab_size)
        check_int("max_new_tokens", max_new_tokens)
        batch = tokens.ids.shape[0]
        out = torch.full(
            (batch, max_new_tokens), self.pad_id, dtype=torch.long, device=tokens.ids.device
        )
        done = torch.zeros(batch, dtype=torch.bool, device=tokens.ids.device)
        lengths = tokens.lengths
        rows = torch.arange(batch, device=tokens.ids.device)
        for k in range(max_new_tokens):
            ids, values, is_number, _ = self._concat(tokens, out[:, :k])
            ids = ids[:, : int((lengths + k).max())]
            hidden = self.hidden_states(
                ids, values[:, : ids.shape[1]], is_number[:, : ids.shape[1]]
            )
            logits = self.text_head(hidden[rows, lengths - 1 + k])
            nxt = logits.argmax(-1)
            out[:, k] = torch.where(done, torch.full_like(nxt, self.pad_id), nxt)
            done |= nxt == self.eos_id
            if bool(done.all()):
                return out[:, : k + 1]
        return out

    def _check_description(self, description: Any, batch: int) -> Tensor:
        owner = type(self).__name__
        if not isinstance(description, Tensor) or description.dtype != torch.long:
            got = (
                description.dtype if isinstance(description, Tensor) else type(description).__name__
            )
            raise TypeError(f"{owner}: description must be an int64 tensor of ids; got {got}")
        if description.dim() != 2 or description.shape[0] != batch:
            raise ConfigError(
                f"{owner}: description must be (batch={batch}, length); got "
                f"{tuple(description.shape)}"
            )
        if bool((description < 0).any()) or bool((description >= self.vocab_size).any()):
            raise ConfigError(f"{owner}: description ids must lie in [0, {self.vocab_size})")
        return description

    def _concat(
        self, tokens: MultimodalTokens, desc: Tensor
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        # Each row: its prompt, then its description, then padding (positions stay contiguous).
        lengths = tokens.lengths
        batch, length = tokens.ids.shape
        total = length + desc.shape[1]
        j = torch.arange(total, device=tokens.ids.device).unsqueeze(0)
        in_prompt = j < lengths.unsqueeze(1)
        p_idx = j.clamp(max=length - 1).expand(batch, -1)
        d_idx = (j - lengths.unsqueeze(1)).clamp(0, max(desc.shape[1] - 1, 0))
        d_ids = desc.gather(1, d_idx) if desc.shape[1] else torch.full_like(d_idx, self.pad_id)
        ids = torch.where(in_prompt, tokens.ids.gather(1, p_idx), d_ids)
        values = torch.where(in_prompt, tokens.values.gather(1, p_idx), torch.zeros(()))
        is_number = in_prompt & tokens.is_number.gather(1, p_idx)
        return ids, values, is_number, lengths

    def extra_repr(self) -> str:
        lo, hi = self.time_range
        return (
            f"backbone={self.backbone_kind!r}, dim={self.dim}, vocab_size={self.vocab_size}, "
            f"time_range=({lo:g}, {hi:g}), extrapolate={self.extrapolate}"
        )


def _check_range(time_range: Any) -> tuple[float, float]:
    if not isinstance(time_range, tuple | list) or len(time_range) != 2:
        raise ConfigError(f"time_range must be a pair (t_min, t_max); got {time_range!r}")
    lo = check_real("time_range[0]", time_range[0])
    hi = check_real("time_range[1]", time_range[1])
    if not hi > lo:
        raise ConfigError(f"time_range must have t_max > t_min; got {time_range!r}")
    return float(lo), float(hi)


def _gpt2(
    dim: int,
    num_heads: int,
    num_layers: int,
    ffn_dim: int | None,
    dropout: float,
    max_length: int,
    factory: dict[str, Any],
) -> nn.Module:
    if dim % num_heads:
        raise ConfigError(f"dim must be divisible by num_heads={num_heads}; got dim={dim}")
    transformers = require("transformers", "llm")
    config = transformers.GPT2Config(
        vocab_size=1,  # inputs arrive as embeddings; GPT-2's token table is not used
        bos_token_id=None,
        eos_token_id=None,
        n_positions=max_length,
        n_embd=dim,
        n_layer=num_layers,
        n_head=num_heads,
        n_inner=ffn_dim,
        resid_pdrop=dropout,
        embd_pdrop=dropout,
        attn_pdrop=dropout,
    )
    model = transformers.GPT2Model(config)
    model.wte.weight.requires_grad_(False)
    return model.to(**{k: v for k, v in factory.items() if v is not None})


def multimodal_loss(
    output: MultimodalOutput,
    target: Tensor,
    description: Tensor | None = None,
    *,
    text_weight: float = 1.0,
    pad_id: int = 0,
) -> tuple[Tensor, Tensor, Tensor]:
    """Relative MSE of the solution plus ``text_weight`` × description cross-entropy.

    The data term is ``mean_b Σ_q |û_bq − u_bq|² / Σ_q |u_bq|²`` (relative squared L² per
    sample); the text term is the mean cross-entropy over the non-pad description tokens.

    Args:
        output: the model's output.
        target: ``(batch, queries, out_dim)`` (or ``(batch, queries)`` with ``out_dim`` 1).
        description: ``(batch, description_length)`` target ids (needed when
            ``output.text_logits`` is not ``None``).
        text_weight: weight of the text term (the paper: 1).
        pad_id: the padding id ignored by the cross-entropy.

    Returns:
        ``(total, data_loss, text_loss)`` scalars (``text_loss`` is 0 without logits).
    """
    if not isinstance(output, MultimodalOutput):
        raise TypeError(f"output must be a MultimodalOutput; got {type(output).__name__}")
    check_tensor("target", target, ndim=(2, 3), finite=False)
    check_real("text_weight", text_weight, low=0.0)
    pred = output.solution
    if target.dim() == 2:
        target = target.unsqueeze(-1)
    if target.shape != pred.shape:
        raise ConfigError(
            f"target must have the solution's shape {tuple(pred.shape)}; got {tuple(target.shape)}"
        )
    err = (pred - target).pow(2).flatten(1).sum(1)
    data = (err / target.pow(2).flatten(1).sum(1).clamp_min(1e-12)).mean()
    if output.text_logits is None:
        zero = data.new_zeros(())
        return data, data, zero
    if not isinstance(description, Tensor) or description.dtype != torch.long:
        raise TypeError("description must be the int64 target ids when the output has text logits")
    logits = output.text_logits
    if description.shape != logits.shape[:2]:
        raise ConfigError(
            f"description must have shape {tuple(logits.shape[:2])}; got {tuple(description.shape)}"
        )
    text = F.cross_entropy(logits.flatten(0, 1), description.flatten(), ignore_index=pad_id)
    return data + text_weight * text, data, text
