"""Bad inputs to every public entry point of ``nnatlas.meta`` fail clearly, naming the argument.

``tests/test_bad_input_coverage.py`` checks that ``COVERED`` and ``EXEMPT`` together are
``nnatlas.meta.__all__``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nnatlas.meta import (
    EpisodeSampler,
    MultiViewFusion,
    PassageIndex,
    TextEncoder,
    albert_base_config,
    class_prototypes,
    class_split,
    corpus_hash,
    cosine_top_k,
    faiss_top_k,
    fit_linear_probe,
    masked_mean,
    protonet_logits,
    view_texts,
)
from nnatlas.testing.bad_inputs import (
    assert_clear_error,
    bad_dtype_tensors,
    nonfinite_tensors,
    wrong_rank_tensors,
)

_LABELS = torch.arange(4).repeat_interleave(3)
_F = MultiViewFusion(8, 2)
_P, _H = torch.randn(3, 8), torch.randn(2, 2, 4, 8)
_X = torch.randn(6, 4)
_Y = torch.tensor([0, 0, 1, 1, 2, 2])

ROWS: list[tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any], str]] = [
    ("class_split", class_split, (0, (1,)), {}, "num_classes"),
    ("class_split", class_split, (5, (3, 3)), {}, "sizes"),
    ("class_split", class_split, (5, (3, 0)), {}, "sizes[1]"),
    ("class_split", class_split, (5, "ab"), {}, "sizes"),
    ("EpisodeSampler", EpisodeSampler, (_LABELS.float(), [0, 1], 2, 1, 1), {}, "labels"),
    ("EpisodeSampler", EpisodeSampler, (_LABELS, [0, 1], 3, 1, 1), {}, "n_way"),
    ("EpisodeSampler", EpisodeSampler, (_LABELS, [0, 1], 2, 0, 1), {}, "k_shot"),
    ("EpisodeSampler", EpisodeSampler, (_LABELS, [0, 1], 2, 1, 0), {}, "n_query"),
    ("EpisodeSampler", EpisodeSampler, (_LABELS, [0, 1], 2, 2, 2), {}, "classes"),
    ("EpisodeSampler", EpisodeSampler, (_LABELS, [0, 0], 2, 1, 1), {}, "classes"),
    ("EpisodeSampler", EpisodeSampler, (_LABELS, [], 2, 1, 1), {}, "classes"),
    ("MultiViewFusion", MultiViewFusion, (8, 3), {}, "num_heads"),
    ("MultiViewFusion", MultiViewFusion, (0,), {}, "dim"),
    ("MultiViewFusion", MultiViewFusion, (8, 2), {"dropout": 1.0}, "dropout"),
    ("MultiViewFusion", _F, (torch.randn(3, 6), _H), {}, "prototypes"),
    ("MultiViewFusion", _F, (_P, torch.randn(2, 4, 8)), {}, "views"),
    ("MultiViewFusion", _F, (_P, _H, torch.ones(2, 2, 3)), {}, "mask"),
    ("MultiViewFusion", _F, (_P, _H, torch.zeros(2, 2, 4)), {}, "mask"),
    ("MultiViewFusion", _F.load_attention, (nn.Linear(8, 8),), {}, "attention"),
    ("cosine_top_k", cosine_top_k, (torch.randn(2, 3), torch.randn(5, 3), 6), {}, "k"),
    ("cosine_top_k", cosine_top_k, (torch.randn(2, 3), torch.randn(5, 4), 1), {}, "keys"),
    (
        "cosine_top_k",
        cosine_top_k,
        (torch.randn(2, 3), torch.randn(5, 3), 1),
        {"chunk": 0},
        "chunk",
    ),
    ("faiss_top_k", faiss_top_k, (torch.randn(2, 3), torch.randn(5, 3), 0), {}, "k"),
    ("corpus_hash", corpus_hash, ([],), {}, "passages"),
    ("corpus_hash", corpus_hash, (["a", 3],), {}, "passages"),
    ("PassageIndex", PassageIndex, (["a", "b"], torch.randn(3, 4)), {}, "embeddings"),
    ("PassageIndex", PassageIndex.build, ("encoder", ["a"]), {}, "encoder"),
    ("view_texts", view_texts, (["q"], ["p"], torch.tensor([[1]])), {}, "indices"),
    ("view_texts", view_texts, (["q"], ["p"], torch.tensor([0.0])), {}, "indices"),
    (
        "view_texts",
        view_texts,
        (["q"], ["p"], torch.tensor([[0]])),
        {"template": "{text}"},
        "template",
    ),
    ("class_prototypes", class_prototypes, (_X, _Y, 4), {}, "labels"),
    ("class_prototypes", class_prototypes, (_X, _Y[:3], 3), {}, "labels"),
    ("class_prototypes", class_prototypes, (_X, _Y + 1, 3), {}, "labels"),
    ("protonet_logits", protonet_logits, (_X, torch.randn(3, 5)), {}, "prototypes"),
    ("fit_linear_probe", fit_linear_probe, (_X, _Y, 3), {"lr": 0.0}, "lr"),
    ("fit_linear_probe", fit_linear_probe, (_X, _Y, 3), {"steps": -1}, "steps"),
    ("fit_linear_probe", fit_linear_probe, (_X, _Y, 1), {}, "n_way"),
    ("fit_linear_probe", fit_linear_probe, (_X, _Y.float(), 3), {}, "labels"),
    ("masked_mean", masked_mean, (torch.randn(2, 3, 4), torch.ones(2, 4)), {}, "mask"),
    ("masked_mean", masked_mean, (torch.randn(2, 3, 4), torch.zeros(2, 3)), {}, "mask"),
    ("TextEncoder", TextEncoder, ("bert", lambda t: t), {}, "model"),
    ("TextEncoder", TextEncoder, (nn.Linear(2, 2), None), {}, "tokenizer"),
    ("TextEncoder", TextEncoder, (nn.Linear(2, 2), lambda t: t), {"max_length": 1}, "max_length"),
    ("TextEncoder", TextEncoder.from_pretrained, ("/nonexistent/model",), {}, "path"),
]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r[0]}-{r[4]}-{i}" for i, r in enumerate(ROWS)])
def test_table(row):
    _, fn, args, kwargs, argument = row
    if fn is faiss_top_k:
        pytest.importorskip("faiss")
    assert_clear_error(fn, *args, argument=argument, **kwargs)


def test_albert_config_has_albert_base_size():
    cfg = albert_base_config(num_hidden_layers=2)
    assert (cfg.hidden_size, cfg.embedding_size, cfg.num_attention_heads) == (768, 128, 12)
    assert cfg.num_hidden_layers == 2


def test_text_encoder_rejects_bad_texts():
    enc = TextEncoder(nn.Linear(2, 2), lambda texts, **kw: texts)
    assert_clear_error(enc.tokens, "one string", argument="texts")
    assert_clear_error(enc.tokens, [], argument="texts")
    assert_clear_error(enc.embed, ["a", 3], argument="texts")


_TENSOR_ENTRY_POINTS: list[tuple[Callable[[torch.Tensor], Any], str, tuple[int, ...]]] = [
    (lambda x: _F(x, _H), "prototypes", (3, 8)),
    (lambda x: _F(_P, x), "views", (2, 2, 4, 8)),
    (lambda x: cosine_top_k(x, torch.randn(5, 3), 2), "queries", (2, 3)),
    (lambda x: protonet_logits(x, torch.randn(3, 4)), "query", (2, 4)),
    (lambda x: class_prototypes(x, _Y, 3), "support", (6, 4)),
    (lambda x: fit_linear_probe(x, _Y, 3), "support", (6, 4)),
]


@pytest.mark.parametrize("i", range(len(_TENSOR_ENTRY_POINTS)))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_bad_dtypes_and_nonfinite(i, data):
    fn, name, shape = _TENSOR_ENTRY_POINTS[i]
    assert_clear_error(fn, data.draw(bad_dtype_tensors(shape)), argument=name)
    assert_clear_error(fn, data.draw(nonfinite_tensors(shape)), argument=name)


@settings(max_examples=10, deadline=None)
@given(bad=wrong_rank_tensors(4))
def test_wrong_rank_views(bad):
    assert_clear_error(_F, _P, bad, argument="views")


COVERED = {
    "EpisodeSampler",
    "MultiViewFusion",
    "PassageIndex",
    "TextEncoder",
    "class_prototypes",
    "class_split",
    "corpus_hash",
    "cosine_top_k",
    "faiss_top_k",
    "fit_linear_probe",
    "masked_mean",
    "protonet_logits",
    "view_texts",
}
EXEMPT = {
    "Episode": "a plain frozen record built by EpisodeSampler, no validation of its own",
    "minilm_path": "takes no arguments (a missing package raises MissingExtraError naming 'meta')",
    "albert_base_config": "keyword overrides are passed to transformers.AlbertConfig, which validates them",
}
