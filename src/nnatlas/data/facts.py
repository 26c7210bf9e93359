"""A seeded synthetic fact world, a word-level tokenizer and a tiny LLaMA-style LM trained on it.

The world is the offline stand-in for ZsRE (edits) and NQ (locality) used by lifelong model
editing (WISE, arXiv 2405.14768): ``num_subjects`` subjects, each with an alias word, and
``num_relations`` relations mapping every subject to a two-word object (first word, last word),
so that a target is two tokens and teacher-forced token accuracy and greedy exact match differ.

Prompt families:

* **edit family** (relations ``0 .. num_relations // 2 - 1``): template A
  ``"what is the rel{r} of s{i} ?"`` (edit prompts) and template B ``"s{i} 's rel{r} is"``
  (paraphrases);
* **paraphrases that move the key**: template B, the subject often replaced by its alias
  ``"al{i}"``, behind a distractor prefix of filler words;
* **locality family** (the other relations): a disjoint template ``"tell rel{r} for s{i} :"``.

The LM (:class:`TinyLlama`) is pre-LN with RMSNorm, rotary attention and a SwiGLU FFN; its
module names mirror Hugging Face's LLaMA (``model.layers[k].mlp.down_proj``, ``lm_head``), so
editing code that locates LLaMA layers by name finds them here. :func:`pretrained_fact_lm`
trains it on every fact under both templates, with and without aliases and random filler
prefixes, and caches the weights with :func:`nnatlas.core.cache.cached_module`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from nnatlas.core.cache import cached_module
from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive

__all__ = [
    "Fact",
    "FactWorld",
    "TinyLlama",
    "WordTokenizer",
    "pretrain_fact_lm",
    "pretrained_fact_lm",
]

_SPECIALS = ("<pad>", "<bos>", "<unk>")


class WordTokenizer:
    """Whitespace word-level tokenizer with a fixed vocabulary (ids 0, 1, 2 = pad, bos, unk).

    The interface is the subset of Hugging Face tokenizers that :mod:`nnatlas.editing` uses:
    ``encode(text, add_special_tokens=False)``, ``decode(ids)``, ``pad_token_id``,
    ``bos_token_id``, ``len()``.

    Args:
        words: the vocabulary words (specials are prepended); no duplicates, no whitespace.
    """

    def __init__(self, words: Sequence[str]) -> None:
        words = list(words)
        if not words or any(not isinstance(w, str) or not w or w.split() != [w] for w in words):
            raise ConfigError("words must be a non-empty list of non-empty words without spaces")
        vocab = [*_SPECIALS, *words]
        if len(set(vocab)) != len(vocab):
            raise ConfigError("words must not repeat (or reuse <pad>, <bos>, <unk>)")
        self.vocab = vocab
        self.index = {w: i for i, w in enumerate(vocab)}
        self.pad_token_id = 0
        self.bos_token_id = 1
        self.unk_token_id = 2

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        """Token ids of ``text`` (unknown words → ``<unk>``); ``<bos>`` first if asked."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str; got {type(text).__name__}")
        ids = [self.index.get(w, self.unk_token_id) for w in text.split()]
        return [self.bos_token_id, *ids] if add_special_tokens else ids

    def decode(self, ids: Sequence[int]) -> str:
        """Words of ``ids`` joined by spaces, pads dropped."""
        return " ".join(self.vocab[int(i)] for i in ids if int(i) != self.pad_token_id)


@dataclass(frozen=True)
class Fact:
    """One fact: subject index, relation index, object (first word, last word)."""

    subject: int
    relation: int
    obj: tuple[str, str]


class FactWorld:
    """A seeded world of subjects × relations → two-word objects, with prompt families.

    Args:
        num_subjects: subjects (each has an alias word).
        num_relations: relations, even; the first half form the edit family, the rest locality.
        num_first, num_last: object first / last word vocabularies (objects are pairs).
        num_fillers: filler words for distractor prefixes and context augmentation.
        seed: the world's seed (objects are drawn from it).
    """

    def __init__(
        self,
        num_subjects: int = 200,
        num_relations: int = 4,
        num_first: int = 16,
        num_last: int = 16,
        num_fillers: int = 24,
        seed: int = 0,
    ) -> None:
        self.num_subjects = check_int("num_subjects", num_subjects, low=2)
        self.num_relations = check_int("num_relations", num_relations, low=2)
        if num_relations % 2:
            raise ConfigError(
                f"num_relations must be even (edit / locality halves); got {num_relations}"
            )
        self.num_first = check_int("num_first", num_first, low=2)
        self.num_last = check_int("num_last", num_last, low=2)
        self.num_fillers = check_int("num_fillers", num_fillers, low=1)
        self.seed = check_int("seed", seed, low=0)
        rng = random.Random(seed)
        self.firsts = [f"o{k}" for k in range(num_first)]
        self.lasts = [f"n{k}" for k in range(num_last)]
        self.fillers = [f"f{k}" for k in range(num_fillers)]
        self.facts = {
            (s, r): Fact(s, r, (rng.choice(self.firsts), rng.choice(self.lasts)))
            for s in range(num_subjects)
            for r in range(num_relations)
        }
        words = [
            "what", "is", "the", "of", "?", "'s", "tell", "for", ":",
            *(f"rel{r}" for r in range(num_relations)),
            *(f"s{i}" for i in range(num_subjects)),
            *(f"al{i}" for i in range(num_subjects)),
            *self.firsts, *self.lasts, *self.fillers,
        ]  # fmt: skip
        self.tokenizer = WordTokenizer(words)

    @property
    def edit_relations(self) -> list[int]:
        return list(range(self.num_relations // 2))

    @property
    def locality_relations(self) -> list[int]:
        return list(range(self.num_relations // 2, self.num_relations))

    def params(self) -> dict[str, int]:
        """Every parameter the world depends on (a cache key component)."""
        return {
            "num_subjects": self.num_subjects, "num_relations": self.num_relations,
            "num_first": self.num_first, "num_last": self.num_last,
            "num_fillers": self.num_fillers, "seed": self.seed,
        }  # fmt: skip

    def prompt_a(self, subject: int, relation: int) -> str:
        """Template A (the edit prompt)."""
        return f"what is the rel{relation} of s{subject} ?"

    def prompt_b(
        self, subject: int, relation: int, *, alias: bool = False, prefix: str = ""
    ) -> str:
        """Template B (paraphrase): reordered, optionally aliased, behind a filler prefix."""
        name = f"al{subject}" if alias else f"s{subject}"
        return f"{prefix + ' ' if prefix else ''}{name} 's rel{relation} is"

    def prompt_locality(self, subject: int, relation: int) -> str:
        """The locality template (a prompt family disjoint from A and B)."""
        return f"tell rel{relation} for s{subject} :"

    def answer(self, subject: int, relation: int) -> str:
        return " ".join(self.facts[(subject, relation)].obj)

    def filler_prefix(self, rng: random.Random, length: int) -> str:
        """``length`` random filler words (a distractor / context prefix)."""
        return " ".join(rng.choice(self.fillers) for _ in range(length))

    def new_object(self, subject: int, relation: int, rng: random.Random) -> str:
        """A random object different from the fact's current one (an edit target)."""
        old = self.facts[(subject, relation)].obj
        while True:
            obj = (rng.choice(self.firsts), rng.choice(self.lasts))
            if obj != old:
                return " ".join(obj)

    def training_pairs(self, rng: random.Random) -> list[tuple[str, str]]:
        """One (prompt, answer) per fact under a random template/alias/prefix choice."""
        out = []
        for (s, r), _fact in self.facts.items():
            ans = self.answer(s, r)
            if r in self.locality_relations:
                prompt = self.prompt_locality(s, r)
                k = rng.randrange(3)
                if k:
                    prompt = f"{self.filler_prefix(rng, k)} {prompt}"
            elif rng.random() < 0.5:
                prompt = self.prompt_a(s, r)
                k = rng.randrange(3)
                if k:
                    prompt = f"{self.filler_prefix(rng, k)} {prompt}"
            else:
                prompt = self.prompt_b(
                    s, r, alias=rng.random() < 0.5, prefix=self.filler_prefix(rng, rng.randrange(4))
                )
            out.append((prompt, ans))
        return out


class _RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def _rotate(x: Tensor, positions: Tensor) -> Tensor:
    # rotary embedding on the last dim (pairs (i, i + d/2)), positions: (batch, seq)
    d = x.shape[-1]
    inv = 1.0 / (10000 ** (torch.arange(0, d, 2, dtype=x.dtype, device=x.device) / d))
    ang = positions[:, None, :, None].to(x.dtype) * inv  # (b, 1, s, d/2)
    cos, sin = ang.cos(), ang.sin()
    x1, x2 = x[..., : d // 2], x[..., d // 2 :]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.o_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x: Tensor, positions: Tensor, mask: Tensor) -> Tensor:
        b, s, d = x.shape
        h = self.heads

        def split(t: Tensor) -> Tensor:
            return t.view(b, s, h, d // h).transpose(1, 2)

        q = _rotate(split(self.q_proj(x)), positions)
        k = _rotate(split(self.k_proj(x)), positions)
        v = split(self.v_proj(x))
        y = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None])
        return self.o_proj(y.transpose(1, 2).reshape(b, s, d))


class _MLP(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(dim, hidden, bias=False)
        self.up_proj = nn.Linear(dim, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.input_layernorm = _RMSNorm(dim)
        self.self_attn = _Attention(dim, heads)
        self.post_attention_layernorm = _RMSNorm(dim)
        self.mlp = _MLP(dim, hidden)

    def forward(self, x: Tensor, positions: Tensor, mask: Tensor) -> Tensor:
        x = x + self.self_attn(self.input_layernorm(x), positions, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class _Body(nn.Module):
    def __init__(self, vocab: int, dim: int, layers: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(_Block(dim, heads, hidden) for _ in range(layers))
        self.norm = _RMSNorm(dim)


class TinyLlama(nn.Module):
    """A LLaMA-style causal LM: RMSNorm, rotary attention, SwiGLU FFN, untied head.

    Args:
        vocab_size: vocabulary size.
        dim: model width (divisible by ``heads``, head width even).
        layers: transformer blocks.
        heads: attention heads.
        hidden: SwiGLU intermediate width (the ``down_proj`` input).
        seed: initialisation seed.
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int = 64,
        layers: int = 3,
        heads: int = 4,
        hidden: int = 256,
        seed: int = 0,
    ) -> None:
        super().__init__()
        check_int("vocab_size", vocab_size, low=2)
        check_int("dim", dim, low=2)
        check_int("layers", layers, low=1)
        check_int("heads", heads, low=1)
        check_int("hidden", hidden, low=1)
        if dim % heads or (dim // heads) % 2:
            raise ConfigError(
                f"dim must be divisible by heads with an even head width; got dim={dim}, heads={heads}"
            )
        self.config = {
            "vocab_size": vocab_size,
            "dim": dim,
            "layers": layers,
            "heads": heads,
            "hidden": hidden,
        }
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.model = _Body(vocab_size, dim, layers, heads, hidden)
            self.lm_head = nn.Linear(dim, vocab_size, bias=False)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """Logits.

        Args:
            input_ids: (batch, seq) token ids.
            attention_mask: (batch, seq), 1 for real tokens, 0 for (left) padding; positions
                count real tokens only, so left padding does not shift rotary positions.

        Returns:
            (batch, seq, vocab) logits.
        """
        if (
            not isinstance(input_ids, Tensor)
            or input_ids.dim() != 2
            or input_ids.dtype != torch.long
        ):
            raise TypeError("input_ids must be a (batch, seq) long tensor")
        _b, s = input_ids.shape
        keep = (
            torch.ones_like(input_ids, dtype=torch.bool)
            if attention_mask is None
            else attention_mask.bool()
        )
        positions = (keep.long().cumsum(-1) - 1).clamp_min(0)
        causal = torch.ones(s, s, dtype=torch.bool, device=input_ids.device).tril()
        mask = causal[None] & keep[:, None, :]
        mask = (
            mask | torch.eye(s, dtype=torch.bool, device=input_ids.device)[None]
        )  # pads see themselves
        x = self.model.embed_tokens(input_ids)
        for block in self.model.layers:
            x = block(x, positions, mask)
        return self.lm_head(self.model.norm(x))


def _encode_batch(
    tok: WordTokenizer, pairs: Sequence[tuple[str, str]], length: int
) -> tuple[Tensor, Tensor, Tensor]:
    ids, masks, labels = [], [], []
    for prompt, answer in pairs:
        p = tok.encode(prompt, add_special_tokens=True)
        a = tok.encode(answer)
        seq = p + a
        pad = length - len(seq)
        if pad < 0:
            raise ConfigError(
                f"prompt + answer of {len(seq)} tokens exceeds length {length}: {prompt!r}"
            )
        ids.append([tok.pad_token_id] * pad + seq)
        masks.append([0] * pad + [1] * len(seq))
        labels.append([-100] * (pad + len(p)) + a)
    return torch.tensor(ids), torch.tensor(masks), torch.tensor(labels)


def pretrain_fact_lm(
    model: TinyLlama,
    world: FactWorld,
    *,
    steps: int = 1500,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    length: int = 16,
) -> TinyLlama:
    """Train ``model`` in place on the world's facts (answer tokens only), AdamW with cosine decay.

    Returns:
        ``model`` in eval mode.
    """
    check_int("steps", steps, low=1)
    check_int("batch_size", batch_size, low=1)
    check_positive("lr", lr)
    rng = random.Random(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps))
    )
    model.train()
    pool: list[tuple[str, str]] = []
    for _ in range(steps):
        if len(pool) < batch_size:
            pool = world.training_pairs(rng)
            rng.shuffle(pool)
        batch, pool = pool[:batch_size], pool[batch_size:]
        ids, mask, labels = _encode_batch(world.tokenizer, batch, length)
        logits = model(ids, mask)
        loss = nn.functional.cross_entropy(
            logits[:, :-1].flatten(0, 1), labels[:, 1:].flatten(), ignore_index=-100
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model.eval()


def pretrained_fact_lm(
    world: FactWorld,
    *,
    dim: int = 64,
    layers: int = 3,
    heads: int = 4,
    hidden: int = 256,
    steps: int = 1500,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    cache: bool = True,
) -> TinyLlama:
    """A :class:`TinyLlama` pretrained on ``world`` (cached on disk under namespace ``facts``).

    Returns:
        The model in eval mode with gradients off.
    """
    if not isinstance(world, FactWorld):
        raise TypeError(f"world must be a FactWorld; got {type(world).__name__}")
    model = TinyLlama(len(world.tokenizer), dim, layers, heads, hidden, seed=seed)
    params = {
        "world": world.params(), "dim": dim, "layers": layers, "heads": heads, "hidden": hidden,
        "steps": steps, "batch_size": batch_size, "lr": lr, "seed": seed,
    }  # fmt: skip
    cached_module(
        model, "facts", "tiny-llama", params,
        lambda m: pretrain_fact_lm(m, world, steps=steps, batch_size=batch_size, lr=lr, seed=seed),
        cache=cache,
    )  # fmt: skip
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model
