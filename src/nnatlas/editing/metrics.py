"""Editing metrics: EasyEdit's teacher-forced token accuracy and greedy-generation exact match.

Definitions (EasyEdit ``evaluate_utils.test_prediction_acc``, as used for WISE's tables):

* **Rel** / **Gen** (teacher forced): ``prompt + " " + target`` is fed once; the fraction of target
  tokens whose preceding position's argmax equals them (token accuracy, averaged over requests);
* **Loc** (teacher forced): over each locality prompt + its answer, the fraction of answer
  positions whose argmax is unchanged from the pre-edit model (agreement, not correctness).

The stricter family ("The Mirage of Model Editing", arXiv 2502.11177): **Rel/Gen exact match**
(greedy generation of ``len(target)`` tokens equals the target) and **Loc exact match** (the
greedy continuation of the locality prompt equals the pre-edit model's). Both families are
computed after the whole stream (the paper's protocol), never per edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.editing.protocol import EditRequest, encode_batch, logits_of

__all__ = [
    "LocalityReference",
    "edit_metrics",
    "greedy_generate",
    "locality_reference",
    "token_predictions",
]


def _device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return torch.device("cpu") if p is None else p.device


@torch.no_grad()
def token_predictions(
    model: nn.Module,
    tokenizer: Any,
    pairs: Sequence[tuple[str, str]],
    max_length: int,
    *,
    batch_size: int = 256,
) -> list[tuple[Tensor, Tensor]]:
    """Teacher-forced argmax at the positions predicting each target token.

    Returns:
        Per pair ``(predicted, target)`` token-id tensors of the target's length.
    """
    out: list[tuple[Tensor, Tensor]] = []
    for start in range(0, len(pairs), batch_size):
        ids, mask, labels = encode_batch(
            tokenizer, pairs[start : start + batch_size], max_length, device=_device(model)
        )
        pred = logits_of(model(input_ids=ids, attention_mask=mask))[:, :-1].argmax(-1)
        lab = labels[:, 1:]
        for r in range(len(ids)):
            keep = lab[r] != -100
            out.append((pred[r][keep].cpu(), lab[r][keep].cpu()))
    return out


@torch.no_grad()
def greedy_generate(
    model: nn.Module, tokenizer: Any, prompts: Sequence[str], num_tokens: Sequence[int], max_length: int,
    *, batch_size: int = 256,
) -> list[Tensor]:  # fmt: skip
    """Greedy continuation of each prompt by ``num_tokens[i]`` tokens (left padding kept fixed:
    each prompt is padded to ``max_length - num_tokens[i]`` so the full sequence fits).

    Returns:
        Per prompt the generated token ids.
    """
    if len(prompts) != len(num_tokens):
        raise ConfigError(
            f"num_tokens must have one entry per prompt ({len(prompts)}); got {len(num_tokens)}"
        )
    dev = _device(model)
    results: list[Tensor] = []
    for start in range(0, len(prompts), batch_size):
        chunk = list(prompts[start : start + batch_size])
        steps = list(num_tokens[start : start + batch_size])
        top = max(steps)
        ids, mask, _ = encode_batch(
            tokenizer, [(p, "") for p in chunk], max_length - top, device=dev
        )
        gen = torch.zeros(len(chunk), top, dtype=torch.long, device=dev)
        for t in range(top):
            nxt = logits_of(model(input_ids=ids, attention_mask=mask))[:, -1].argmax(-1)
            gen[:, t] = nxt
            ids = torch.cat([ids, nxt[:, None]], 1)
            mask = torch.cat([mask, torch.ones_like(nxt)[:, None]], 1)
        results += [gen[r, : steps[r]].cpu() for r in range(len(chunk))]
    return results


@dataclass
class LocalityReference:
    """The pre-edit model's outputs on the locality prompts of a stream."""

    pairs: list[tuple[str, str]]
    tokens: list[Tensor]
    generated: list[Tensor]


def locality_reference(
    model: nn.Module, tokenizer: Any, requests: Sequence[EditRequest], max_length: int
) -> LocalityReference:
    """Record the pre-edit argmax tokens and greedy continuations on every locality pair."""
    pairs = [p for r in requests for p in r.locality]
    toks = [pred for pred, _ in token_predictions(model, tokenizer, pairs, max_length)]
    lens = [len(t) for t in toks]
    gen = (
        greedy_generate(model, tokenizer, [p for p, _ in pairs], lens, max_length) if pairs else []
    )
    return LocalityReference(pairs, toks, gen)


def edit_metrics(
    model: nn.Module, tokenizer: Any, requests: Sequence[EditRequest], max_length: int,
    reference: LocalityReference | None = None,
) -> dict[str, float]:  # fmt: skip
    """Both metric families after a stream of edits.

    Returns:
        ``rel``, ``gen``, ``loc`` (teacher forced, EasyEdit) and ``rel_em``, ``gen_em``,
        ``loc_em`` (greedy generation); ``loc``/``loc_em`` are NaN without a reference.
    """
    requests = list(requests)
    if not requests:
        raise ConfigError("requests must hold at least one EditRequest; got none")
    rel_pairs = [(r.prompt, r.target) for r in requests]
    gen_pairs = [(p, r.target) for r in requests for p in r.rephrases]
    out: dict[str, float] = {}
    for name, pairs in (("rel", rel_pairs), ("gen", gen_pairs)):
        if not pairs:
            out[name] = out[f"{name}_em"] = float("nan")
            continue
        preds = token_predictions(model, tokenizer, pairs, max_length)
        out[name] = sum(float((p == t).float().mean()) for p, t in preds) / len(preds)
        gens = greedy_generate(
            model, tokenizer, [p for p, _ in pairs], [len(t) for _, t in preds], max_length
        )
        out[f"{name}_em"] = sum(
            float(torch.equal(g, t)) for g, (_, t) in zip(gens, preds, strict=True)
        ) / len(preds)
    if reference is None or not reference.pairs:
        out["loc"] = out["loc_em"] = float("nan")
        return out
    now = [pred for pred, _ in token_predictions(model, tokenizer, reference.pairs, max_length)]
    out["loc"] = sum(
        float((a == b).float().mean()) for a, b in zip(now, reference.tokens, strict=True)
    ) / len(now)
    gens = greedy_generate(
        model,
        tokenizer,
        [p for p, _ in reference.pairs],
        [len(t) for t in reference.tokens],
        max_length,
    )
    out["loc_em"] = sum(
        float(torch.equal(a, b)) for a, b in zip(gens, reference.generated, strict=True)
    ) / len(gens)
    return out
