"""Bad inputs to every public entry point of ``nnatlas.editing`` fail clearly, naming the argument.

Table-driven rows call one entry point with one bad argument and the argument the error must
name; ``tests/test_bad_input_coverage.py`` checks that ``COVERED`` and ``EXEMPT`` together are
``nnatlas.editing.__all__``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from nnatlas.data.facts import FactWorld, TinyLlama
from nnatlas.editing import (
    FTL,
    GRACE,
    WISE,
    EditRequest,
    FTLConfig,
    GRACEConfig,
    WISEConfig,
    activation_loss,
    edit_metrics,
    encode_batch,
    greedy_generate,
    locate,
    logits_of,
    random_mask,
    ties_merge,
    trim_top,
)
from nnatlas.testing.bad_inputs import assert_clear_error

WORLD = FactWorld(num_subjects=4, num_relations=2, num_first=2, num_last=2, num_fillers=2)
TOK = WORLD.tokenizer
MODEL = TinyLlama(len(TOK), dim=8, layers=1, heads=2, hidden=8).eval()
REQ = EditRequest(WORLD.prompt_a(0, 0), "o0 n1", irrelevant=(WORLD.prompt_locality(1, 1), "o1 n1"))
LONG = EditRequest(WORLD.prompt_a(0, 0), " ".join(["o0"] * 20))
G = torch.Generator().manual_seed(0)

ROWS: list[tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any], str]] = [
    ("EditRequest", EditRequest, ("", "x"), {}, "prompt"),
    ("EditRequest", EditRequest, ("p", "  "), {}, "target"),
    ("EditRequest", EditRequest, ("p", "t"), {"rephrases": ("",)}, "rephrases"),
    ("EditRequest", EditRequest, ("p", "t"), {"locality": (("a",),)}, "locality"),
    ("EditRequest", EditRequest, ("p", "t"), {"irrelevant": ("a", "")}, "irrelevant"),
    ("locate", locate, (MODEL, "model.layers.7.mlp.down_proj"), {}, "layer"),
    ("locate", locate, (MODEL, 5), {}, "layer"),
    ("locate", locate, (MODEL, "model.layers.0.mlp"), {}, "layer"),
    ("locate", locate, (nn.Sequential(nn.Linear(2, 2)), 0), {}, "layer"),
    ("locate", locate, ("model", 0), {}, "model"),
    ("locate", locate, (MODEL, 1.5), {}, "layer"),
    ("WISE", WISE, (MODEL, TOK), {"layer": "nope"}, "layer"),
    ("WISE", WISE, (MODEL, TOK), {"config": {"n_iter": 3}}, "config"),
    ("WISE", WISE, (MODEL, TOK), {"max_length": 0}, "max_length"),
    ("WISE", WISE, ("model", TOK), {}, "model"),
    ("WISE", WISE, (MODEL, object()), {}, "tokenizer"),
    ("FTL", FTL, (MODEL, TOK), {"config": WISEConfig()}, "config"),
    ("FTL", FTL, (MODEL, TOK), {"layer": -9}, "layer"),
    ("GRACE", GRACE, (MODEL, TOK), {"config": FTLConfig()}, "config"),
    ("GRACE", GRACE, (MODEL, TOK), {"layer": "model.embed_tokens"}, "layer"),
    ("WISEConfig", WISEConfig, (), {"mask_ratio": 0.0}, "mask_ratio"),
    ("WISEConfig", WISEConfig, (), {"edit_lr": float("nan")}, "edit_lr"),
    ("WISEConfig", WISEConfig, (), {"n_iter": 0}, "n_iter"),
    ("WISEConfig", WISEConfig, (), {"save_freq": 3, "merge_freq": 5}, "merge_freq"),
    ("WISEConfig", WISEConfig, (), {"margins": (1.0, 2.0)}, "margins"),
    ("WISEConfig", WISEConfig, (), {"margin_scale": "rms"}, "margin_scale"),
    ("WISEConfig", WISEConfig, (), {"density": 1.5}, "density"),
    ("WISEConfig", WISEConfig, (), {"reduce": "sum"}, "reduce"),
    ("WISEConfig", WISEConfig, (), {"weight_decay": -1.0}, "weight_decay"),
    ("FTLConfig", FTLConfig, (), {"lr": -1.0}, "lr"),
    ("FTLConfig", FTLConfig, (), {"n_iter": 0}, "n_iter"),
    ("FTLConfig", FTLConfig, (), {"norm_constraint": 0.0}, "norm_constraint"),
    ("GRACEConfig", GRACEConfig, (), {"eps": 0.0}, "eps"),
    ("GRACEConfig", GRACEConfig, (), {"edit_lr": float("inf")}, "edit_lr"),
    ("GRACEConfig", GRACEConfig, (), {"n_iter": True}, "n_iter"),
    ("encode_batch", encode_batch, (TOK, [("what is", " ".join(["o0"] * 20))], 8), {}, "target"),
    ("encode_batch", encode_batch, (object(), [("a", "b")], 8), {}, "tokenizer"),
    ("edit_metrics", edit_metrics, (MODEL, TOK, [], 8), {}, "requests"),
    ("greedy_generate", greedy_generate, (MODEL, TOK, ["what is"], [1, 2], 8), {}, "num_tokens"),
    ("logits_of", logits_of, ("text",), {}, "logits"),
    ("random_mask", random_mask, ((3, 3), 0.0, G), {}, "ratio"),
    ("ties_merge", ties_merge, (torch.zeros(2, 2), []), {}, "tuned"),
    ("ties_merge", ties_merge, (torch.zeros(2, 2), [torch.zeros(3)]), {}, "tuned[0]"),
    (
        "ties_merge",
        ties_merge,
        (torch.zeros(2, 2), [torch.zeros(2, 2)]),
        {"density": 0.0},
        "density",
    ),
    (
        "ties_merge",
        ties_merge,
        (torch.zeros(2, 2), [torch.zeros(2, 2)]),
        {"weights": [-1.0]},
        "weights",
    ),
    ("ties_merge", ties_merge, (torch.tensor([float("nan")]), [torch.zeros(1)]), {}, "base"),
    ("trim_top", trim_top, (torch.zeros(3), 2.0), {}, "density"),
    (
        "activation_loss",
        activation_loss,
        (torch.zeros(0), torch.zeros(1), 1.0, 1.0, 1.0),
        {},
        "delta_edit",
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r[0]}-{r[4]}-{i}" for i, r in enumerate(ROWS)])
def test_table(row):
    _, fn, args, kwargs, argument = row
    assert_clear_error(fn, *args, argument=argument, **kwargs)


@pytest.mark.parametrize("make", [WISE, FTL, GRACE])
def test_target_longer_than_the_context(make):
    kw = {"config": WISEConfig(n_iter=1)} if make is WISE else {}
    editor = make(MODEL, TOK, max_length=12, **kw)
    assert_clear_error(editor.edit, LONG, argument="target")
    assert_clear_error(editor.edit, "not a request", argument="request")
    assert_clear_error(editor.edit_stream, [], argument="requests")
    editor.restore()


def test_wise_needs_an_irrelevant_prompt():
    editor = WISE(MODEL, TOK, max_length=12, config=WISEConfig(n_iter=1))
    assert_clear_error(
        editor.edit, EditRequest(WORLD.prompt_a(0, 0), "o0 n0"), argument="irrelevant"
    )
    editor.restore()


def test_load_of_a_missing_or_foreign_state(tmp_path):
    editor = WISE(MODEL, TOK, max_length=12, config=WISEConfig(n_iter=1))
    assert_clear_error(editor.load, tmp_path / "none.pt", argument="path")
    editor.edit(REQ)
    editor.save(tmp_path / "w.pt")
    editor.restore()
    other = FTL(MODEL, TOK, max_length=12)
    assert_clear_error(other.load, tmp_path / "w.pt", argument="path")
    other.restore()


COVERED = {
    "EditRequest", "locate", "WISE", "FTL", "GRACE", "WISEConfig", "FTLConfig", "GRACEConfig",
    "encode_batch", "edit_metrics", "greedy_generate", "logits_of", "random_mask", "ties_merge",
    "trim_top", "activation_loss",
}  # fmt: skip
EXEMPT = {
    "Editor": "abstract base: its checks (request, stream, target length, load) run through WISE/FTL/GRACE above",
    "WISELayer": "internal adapter built by WISE from a located layer; takes no user arguments to validate",
    "GRACELayer": "internal adapter built by GRACE from a located layer",
    "Located": "a result record returned by locate",
    "LocalityReference": "a result record returned by locality_reference",
    "linear_apply": "a one-line matmul helper called with a located layer's own weight",
    "locality_reference": "validated through encode_batch (same pairs, same errors) and EditRequest",
    "token_predictions": "validated through encode_batch (same pairs, same errors)",
}
