"""Bad inputs to every public entry point of ``nnatlas.train`` fail clearly, naming the argument.

A table of bad calls (wrong types, shapes, dtypes, NaN/inf, empty inputs, out-of-range numbers,
unknown option strings), each of which must raise ``ValueError`` (``ConfigError``) or
``TypeError`` at the entry point with a message naming the argument; plus property-based checks
(hypothesis) over bad dtypes, non-finite values, wrong ranks and unknown names for the entry
points where those vary freely. ``COVERED`` and ``EXEMPT`` together are ``nnatlas.train.__all__``
(checked by ``tests/test_bad_input_coverage.py``); the stochastic-neuron names that
``nnatlas.train`` re-exports are exercised through ``nnatlas.train``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import nnatlas.train as T
from nnatlas.testing.bad_inputs import (
    assert_clear_error,
    bad_dtype_tensors,
    nonfinite_tensors,
    unknown_names,
    wrong_rank_tensors,
)
from nnatlas.testing.inputs import randn

EXEMPT: dict[str, str] = {
    "PROJECTION_KINDS": "a constant tuple of names",
    "Callback": "a typing Protocol (run_callbacks is the entry point and is covered)",
    "ConvexReLUSolution": "a dataclass of results",
    "GatedReLUSolution": "a dataclass of results",
    "IntrinsicDimensionResult": "a dataclass of results",
    "ConvexReLUWarning": "a warning class",
    "Projection": "an abstract base; its checks run through the concrete projections (covered)",
    "STBernoulliIdentity": "a torch.autograd.Function used through straight_through_bernoulli",
    "STBernoulliSigmoid": "a torch.autograd.Function used through straight_through_bernoulli",
}

X = randn(8, 3, dtype=torch.float64, seed=1)
Y = randn(8, dtype=torch.float64, seed=2)
LABELS = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
PATTERNS = torch.ones(8, 4, dtype=torch.bool)
GATES = randn(4, 5, dtype=torch.float64, seed=3)
NAN_X = X.clone()
NAN_X[2, 1] = float("nan")


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3)).double()


def _opt(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=0.1)


def _fit(**kw: Any) -> Any:
    model = _net()
    args = {"x": X, "y": LABELS, "optimizer": _opt(model), "epochs": 1, **kw}
    return T.fit(model, args.pop("x"), args.pop("y"), **args)


def _dt(**kw: Any) -> T.NoPropDT:
    blocks = kw.pop("blocks", [T.MLPBlock(3, 3, 3, 4) for _ in range(2)])
    return T.NoPropDT(blocks, kw.pop("num_classes", 3), **kw)


def _ct(**kw: Any) -> T.NoPropCT:
    net = kw.pop("net", T.MLPBlock(3, 3 + 4, 3, 4))
    return T.NoPropCT(net, 3, time_features=kw.pop("time_features", 4), **kw)


def _fm(**kw: Any) -> T.NoPropFM:
    net = kw.pop("net", T.MLPBlock(3, 3 + 4, 3, 4))
    return T.NoPropFM(net, 3, time_features=kw.pop("time_features", 4), **kw)


DATA = SimpleNamespace(x_train=X, y_train=LABELS, x_test=X, y_test=LABELS)


def _score(fn: Callable[..., Any], **kw: Any) -> Any:
    args = {"data": DATA, "epochs": 1, "lr": 0.1, **kw}
    if fn is T.subspace_training_score:
        return fn(_net, args.pop("d", 5), **args)
    return fn(_net, **args)


class Bad(NamedTuple):
    """One bad call: ``entry`` (a public name) fails when ``call()`` runs, naming ``argument``."""

    entry: str
    what: str
    call: Callable[[], Any]
    argument: str | tuple[str, ...]


BAD: list[Bad] = [
    # ---------------------------------------------------------------- training loop
    Bad(
        "fit",
        "model not a module",
        lambda: T.fit("net", X, LABELS, optimizer=_opt(_net()), epochs=1),
        "model",
    ),  # type: ignore[arg-type]
    Bad("fit", "x an ndarray", lambda: _fit(x=X.numpy()), "x"),
    Bad("fit", "NaN in x", lambda: _fit(x=NAN_X), "x"),
    Bad("fit", "empty x", lambda: _fit(x=X[:0], y=LABELS[:0]), "x"),
    Bad("fit", "y of another length", lambda: _fit(y=LABELS[:3]), "y"),
    Bad("fit", "epochs float", lambda: _fit(epochs=1.5), "epochs"),
    Bad("fit", "batch_size 0", lambda: _fit(batch_size=0), "batch_size"),
    Bad(
        "fit",
        "loss_fn and batch_loss",
        lambda: _fit(loss_fn=torch.nn.functional.mse_loss, batch_loss=lambda m, a, b: m(a).sum()),
        "batch_loss",
    ),
    Bad("fit", "min_batch above every batch", lambda: _fit(min_batch=9), "min_batch"),
    Bad("fit", "target_loss NaN", lambda: _fit(target_loss=float("nan")), "target_loss"),
    Bad("accuracy", "float labels", lambda: T.accuracy(_net(), X, Y), "y"),
    Bad(
        "accuracy",
        "batch_size 0",
        lambda: T.accuracy(_net(), X, LABELS, batch_size=0),
        "batch_size",
    ),
    Bad("accuracy", "model not a module", lambda: T.accuracy(len, X, LABELS), "model"),  # type: ignore[arg-type]
    Bad("evaluate_loss", "empty x", lambda: T.evaluate_loss(_net(), X[:0], LABELS[:0]), "x"),
    Bad(
        "evaluate_loss",
        "loss_fn not callable",
        lambda: T.evaluate_loss(_net(), X, LABELS, loss_fn="mse"),
        "loss_fn",
    ),  # type: ignore[arg-type]
    Bad(
        "run_callbacks",
        "an object without on_epoch_end",
        lambda: T.run_callbacks([object()], 1, _net()),
        "callbacks",
    ),  # type: ignore[list-item]
    Bad("run_callbacks", "epoch 0", lambda: T.run_callbacks([], 0, _net()), "epoch"),
    # ------------------------------------------------------------------ subspaces
    Bad("DenseProjection", "full_dim 0", lambda: T.DenseProjection(0, 1), "full_dim"),
    Bad(
        "DenseProjection",
        "subspace_dim > full_dim",
        lambda: T.DenseProjection(4, 5),
        "subspace_dim",
    ),
    Bad(
        "DenseProjection",
        "z of the wrong width",
        lambda: T.DenseProjection(6, 2)(torch.zeros(3)),
        "z",
    ),
    Bad(
        "DenseProjection",
        "integer z",
        lambda: T.DenseProjection(6, 2)(torch.zeros(2, dtype=torch.long)),
        "z",
    ),
    Bad("SparseProjection", "density 0", lambda: T.SparseProjection(6, 2, density=0.0), "density"),
    Bad(
        "SparseProjection",
        "unknown matvec",
        lambda: T.SparseProjection(6, 2, matvec="csr"),
        "matvec",
    ),
    Bad("FastfoodProjection", "block 3", lambda: T.FastfoodProjection(6, 2, block=3), "block"),
    Bad("FastfoodProjection", "negative seed", lambda: T.FastfoodProjection(6, 2, seed=-1), "seed"),
    Bad("IdentityProjection", "full_dim 0", lambda: T.IdentityProjection(0), "full_dim"),
    Bad("make_projection", "unknown kind", lambda: T.make_projection("gaussian", 6, 2), "kind"),
    Bad(
        "make_projection",
        "identity with d != D",
        lambda: T.make_projection("identity", 6, 2),
        "subspace_dim",
    ),
    Bad("SubspaceModel", "module not a module", lambda: T.SubspaceModel("mlp", 2), "module"),  # type: ignore[arg-type]
    Bad(
        "SubspaceModel",
        "subspace_dim too large",
        lambda: T.SubspaceModel(_net(), 10**6),
        "subspace_dim",
    ),
    Bad(
        "SubspaceModel",
        "unknown projection",
        lambda: T.SubspaceModel(_net(), 2, projection="pca"),
        "projection",
    ),
    Bad(
        "SubspaceModel",
        "projection of another size",
        lambda: T.SubspaceModel(_net(), 2, projection=T.DenseProjection(5, 2)),
        "projection",
    ),
    Bad("fwht", "length 3", lambda: T.fwht(torch.zeros(2, 3)), "x"),
    Bad("fwht", "0-d x", lambda: T.fwht(torch.tensor(1.0)), "x"),
    Bad("fwht", "block 6", lambda: T.fwht(torch.zeros(8), block=6), "block"),
    Bad("fwht", "x a list", lambda: T.fwht([1.0, 2.0]), "x"),  # type: ignore[arg-type]
    # ---------------------------------------------------------- intrinsic dimension
    Bad(
        "intrinsic_dimension",
        "evaluate not callable",
        lambda: T.intrinsic_dimension(3, baseline=1.0, dims=[1]),
        "evaluate",
    ),  # type: ignore[arg-type]
    Bad(
        "intrinsic_dimension",
        "baseline NaN",
        lambda: T.intrinsic_dimension(float, baseline=float("nan"), dims=[1]),
        "baseline",
    ),
    Bad(
        "intrinsic_dimension",
        "baseline a string",
        lambda: T.intrinsic_dimension(float, baseline="0.9", dims=[1]),  # type: ignore[arg-type]
        "baseline",
    ),
    Bad(
        "intrinsic_dimension",
        "unknown search",
        lambda: T.intrinsic_dimension(float, baseline=1.0, search="binary"),
        "search",
    ),
    Bad(
        "intrinsic_dimension",
        "empty dims",
        lambda: T.intrinsic_dimension(float, baseline=1.0, dims=[]),
        "dims",
    ),
    Bad("subspace_training_score", "d 0", lambda: _score(T.subspace_training_score, d=0), "d"),
    Bad(
        "subspace_training_score",
        "unknown optimizer",
        lambda: _score(T.subspace_training_score, optimizer="lbfgs"),
        "optimizer",
    ),
    Bad(
        "subspace_training_score",
        "negative lr",
        lambda: _score(T.subspace_training_score, lr=-0.1),
        "lr",
    ),
    Bad(
        "direct_training_score",
        "data without x_test",
        lambda: _score(T.direct_training_score, data=SimpleNamespace(x_train=X)),
        "data",
    ),
    Bad(
        "direct_training_score",
        "negative lr",
        lambda: _score(T.direct_training_score, lr=-0.1),
        "lr",
    ),
    Bad(
        "direct_training_score",
        "epochs -1",
        lambda: _score(T.direct_training_score, epochs=-1),
        "epochs",
    ),
    # ---------------------------------------------------------------------- NoProp
    Bad("MLPBlock", "in_features 0", lambda: T.MLPBlock(0, 3, 3), "in_features"),
    Bad(
        "MLPBlock",
        "x of the wrong width",
        lambda: T.MLPBlock(3, 3, 3, 4)(torch.zeros(2, 5), torch.zeros(2, 3)),
        "x",
    ),
    Bad(
        "MLPBlock",
        "z of the wrong width",
        lambda: T.MLPBlock(3, 3, 3, 4)(torch.zeros(2, 3), torch.zeros(2, 4)),
        "z",
    ),
    Bad("ConvBlock", "image_size 6", lambda: T.ConvBlock(1, 6, 3, 3), "image_size"),
    Bad(
        "ConvBlock",
        "two channel widths",
        lambda: T.ConvBlock(1, 4, 3, 3, channels=(2, 3)),
        "channels",
    ),  # type: ignore[arg-type]
    Bad("ConvBlock", "dropout 1", lambda: T.ConvBlock(1, 4, 3, 3, dropout=1.0), "dropout"),
    Bad(
        "ConvBlock",
        "x of the wrong size",
        lambda: T.ConvBlock(1, 4, 3, 3, channels=(2, 2, 2), hidden=4)(
            torch.zeros(2, 1, 8, 8), torch.zeros(2, 3)
        ),
        "x",
    ),
    Bad("MonotoneSchedule", "gamma_0 <= gamma_1", lambda: T.MonotoneSchedule(1.0, 2.0), "gamma_0"),
    Bad(
        "MonotoneSchedule",
        "num_sigmoids 0",
        lambda: T.MonotoneSchedule(num_sigmoids=0),
        "num_sigmoids",
    ),
    Bad("MonotoneSchedule", "t 2-D", lambda: T.MonotoneSchedule()(torch.zeros(2, 2)), "t"),
    Bad("NoPropDT", "no blocks", lambda: _dt(blocks=[]), "blocks"),
    Bad("NoPropDT", "a block that is not a module", lambda: _dt(blocks=[len]), "blocks"),
    Bad("NoPropDT", "num_classes 1", lambda: _dt(num_classes=1), "num_classes"),
    Bad("NoPropDT", "eta 0", lambda: _dt(eta=0.0), "eta"),
    Bad("NoPropDT", "alpha_bar a list", lambda: _dt(alpha_bar=[0.1, 0.5, 0.9]), "alpha_bar"),
    Bad(
        "NoPropDT",
        "alpha_bar decreasing",
        lambda: _dt(alpha_bar=torch.tensor([0.9, 0.5, 0.1])),
        "alpha_bar",
    ),
    Bad(
        "NoPropDT",
        "prototypes of the wrong shape",
        lambda: _dt(embedding="prototype", prototypes=torch.zeros(2, 3)),
        "prototypes",
    ),
    Bad("NoPropDT", "labels out of range", lambda: _dt().local_loss(X.float(), LABELS + 1, 1), "y"),
    Bad("NoPropDT", "float labels", lambda: _dt().backward_local(X.float(), Y.float()), "y"),
    Bad("NoPropDT", "t out of range", lambda: _dt().local_loss(X.float(), LABELS, 3), "t"),
    Bad(
        "NoPropDT",
        "x of another length than y",
        lambda: _dt().backward_local(X.float()[:3], LABELS),
        "y",
    ),
    Bad("NoPropCT", "net not a module", lambda: _ct(net="mlp"), "net"),
    Bad("NoPropCT", "odd time_features", lambda: _ct(time_features=3), "time_features"),
    Bad("NoPropCT", "steps 0", lambda: _ct(steps=0), "steps"),
    Bad("NoPropCT", "schedule not a module", lambda: _ct(schedule="cosine"), "schedule"),
    Bad("NoPropCT", "labels out of range", lambda: _ct().loss(X.float(), LABELS * 2), "y"),
    Bad("NoPropFM", "net not a module", lambda: _fm(net=3), "net"),
    Bad("NoPropFM", "negative ce_weight", lambda: _fm(ce_weight=-1.0), "ce_weight"),
    Bad(
        "NoPropFM", "labels of the wrong shape", lambda: _fm().loss(X.float(), LABELS[:, None]), "y"
    ),
    Bad("class_prototypes", "float labels", lambda: T.class_prototypes(X, Y), "y"),
    Bad(
        "class_prototypes",
        "a class with no example",
        lambda: T.class_prototypes(X, LABELS, num_classes=4),
        "y",
    ),
    Bad("class_prototypes", "x a list", lambda: T.class_prototypes([[1.0]], LABELS[:1]), "x"),  # type: ignore[arg-type]
    Bad("cosine_alpha_bar", "num_blocks 0", lambda: T.cosine_alpha_bar(0), "num_blocks"),
    Bad(
        "cosine_alpha_bar",
        "low >= high",
        lambda: T.cosine_alpha_bar(3, low=0.5, high=0.5),
        ("low", "high"),
    ),
    Bad("cosine_alpha_bar", "negative s", lambda: T.cosine_alpha_bar(3, s=-1.0), "s"),
    Bad("time_features", "odd num", lambda: T.time_features(torch.zeros(3), 3), "num"),
    Bad("time_features", "t 2-D", lambda: T.time_features(torch.zeros(3, 1), 4), "t"),
    Bad("saved_activation_bytes", "fn not callable", lambda: T.saved_activation_bytes(3), "fn"),  # type: ignore[arg-type]
    Bad(
        "saved_activation_bytes",
        "exclude of non-tensors",
        lambda: T.saved_activation_bytes(lambda: X.sum(), exclude=[1]),
        "exclude",
    ),  # type: ignore[list-item]
    # --------------------------------------------------------- convex two-layer ReLU
    Bad("max_arrangements", "n 0", lambda: T.max_arrangements(0, 2), "n"),
    Bad("max_arrangements", "negative rank", lambda: T.max_arrangements(5, -1), "rank"),
    Bad("sample_arrangements", "1-D x", lambda: T.sample_arrangements(Y, 4), "x"),
    Bad("sample_arrangements", "NaN in x", lambda: T.sample_arrangements(NAN_X, 4), "x"),
    Bad("sample_arrangements", "num_samples 0", lambda: T.sample_arrangements(X, 0), "num_samples"),
    Bad(
        "sample_arrangements",
        "weights of the wrong width",
        lambda: T.sample_arrangements(X, 4, weights=torch.zeros(2, 7)),
        "weights",
    ),
    Bad(
        "convex_objective",
        "patterns of another length",
        lambda: T.convex_objective(X, Y, GATES.T[:4, :3], GATES.T[:4, :3], PATTERNS[:3], 0.1),
        "patterns",
    ),
    Bad(
        "convex_objective",
        "v of the wrong width",
        lambda: T.convex_objective(X, Y, torch.zeros(4, 2), torch.zeros(4, 3), PATTERNS, 0.1),
        "v",
    ),
    Bad(
        "network_objective",
        "model not a module",
        lambda: T.network_objective(3, X, Y, 0.1),
        "model",
    ),  # type: ignore[arg-type]
    Bad(
        "network_objective",
        "y of another length",
        lambda: T.network_objective(nn.Linear(3, 1).double(), X, Y[:3], 0.1),
        "y",
    ),
    Bad("admm_convex_relu", "beta 0", lambda: T.admm_convex_relu(X, Y, beta=0.0), "beta"),
    Bad(
        "admm_convex_relu",
        "y of another length",
        lambda: T.admm_convex_relu(X, Y[:3], beta=0.1),
        "y",
    ),
    Bad("admm_convex_relu", "NaN in x", lambda: T.admm_convex_relu(NAN_X, Y, beta=0.1), "x"),
    Bad(
        "admm_convex_relu",
        "log_every 0",
        lambda: T.admm_convex_relu(X, Y, beta=0.1, log_every=0),
        "log_every",
    ),
    Bad(
        "admm_convex_relu",
        "rho negative",
        lambda: T.admm_convex_relu(X, Y, beta=0.1, rho=-1.0),
        "rho",
    ),
    Bad(
        "admm_convex_relu",
        "patterns of another length",
        lambda: T.admm_convex_relu(X, Y, beta=0.1, patterns=PATTERNS[:3]),
        "patterns",
    ),
    Bad(
        "cvxpy_reference",
        "patterns of another length",
        lambda: T.cvxpy_reference(X, Y, PATTERNS[:3], 0.1),
        "patterns",
    ),
    Bad(
        "cvxpy_reference", "beta negative", lambda: T.cvxpy_reference(X, Y, PATTERNS, -0.1), "beta"
    ),
    Bad(
        "adam_two_layer",
        "unknown loss",
        lambda: T.adam_two_layer(X, Y, beta=0.1, width=3, loss="hinge"),
        "loss",
    ),  # type: ignore[arg-type]
    Bad("adam_two_layer", "width 0", lambda: T.adam_two_layer(X, Y, beta=0.1, width=0), "width"),
    Bad("adam_two_layer", "lr 0", lambda: T.adam_two_layer(X, Y, beta=0.1, width=3, lr=0.0), "lr"),
    Bad(
        "adam_two_layer",
        "y of another length",
        lambda: T.adam_two_layer(X, Y[:2], beta=0.1, width=3),
        "y",
    ),
    Bad(
        "robust_convex_relu",
        "negative eps",
        lambda: T.robust_convex_relu(X, Y.sign(), eps=-0.1, beta=0.1),
        "eps",
    ),
    Bad(
        "robust_convex_relu",
        "1-D x",
        lambda: T.robust_convex_relu(Y, Y.sign(), eps=0.1, beta=0.1),
        "x",
    ),
    Bad("pgd_attack", "negative eps", lambda: T.pgd_attack(_net(), X, LABELS, -0.1), "eps"),
    Bad("pgd_attack", "steps 0", lambda: T.pgd_attack(_net(), X, LABELS, 0.1, steps=0), "steps"),
    Bad("pgd_attack", "model not a module", lambda: T.pgd_attack(None, X, LABELS, 0.1), "model"),  # type: ignore[arg-type]
    Bad("pgd_attack", "y of another length", lambda: T.pgd_attack(_net(), X, LABELS[:2], 0.1), "y"),
    # --------------------------------------------------------------- gated ReLU
    Bad("sample_gates", "1-D x", lambda: T.sample_gates(Y, 4), "x"),
    Bad("sample_gates", "num_samples 0", lambda: T.sample_gates(X, 0), "num_samples"),
    Bad("sample_gates", "NaN in x", lambda: T.sample_gates(NAN_X, 4), "x"),
    Bad(
        "gated_relu_objective",
        "gates of the wrong height",
        lambda: T.gated_relu_objective(X, Y, GATES, GATES[:3], 0.1),
        "gates",
    ),
    Bad(
        "gated_relu_objective",
        "u of the wrong shape",
        lambda: T.gated_relu_objective(X, Y, GATES[:, :2], GATES, 0.1),
        "u",
    ),
    Bad(
        "gated_relu_objective",
        "unknown loss",
        lambda: T.gated_relu_objective(X, Y, GATES, GATES, 0.1, loss="hinge"),
        "loss",
    ),  # type: ignore[arg-type]
    Bad("gated_relu_fista", "negative beta", lambda: T.gated_relu_fista(X, Y, beta=-1.0), "beta"),
    Bad(
        "gated_relu_fista",
        "max_iter 0",
        lambda: T.gated_relu_fista(X, Y, beta=0.1, max_iter=0),
        "max_iter",
    ),
    Bad(
        "gated_relu_fista",
        "y of another length",
        lambda: T.gated_relu_fista(X, Y[:3], beta=0.1),
        "y",
    ),
    Bad(
        "gated_relu_cvxpy",
        "gates of the wrong height",
        lambda: T.gated_relu_cvxpy(X, Y, GATES[:3], 0.1),
        "gates",
    ),
    Bad("GatedReLU", "in_features 0", lambda: T.GatedReLU(0, 3), "in_features"),
    Bad("GatedReLU", "x of the wrong width", lambda: T.GatedReLU(3, 2)(torch.zeros(2, 4)), "x"),
    # -------------------------------- stochastic neurons (re-exported from nnatlas.nn)
    Bad("straight_through_bernoulli", "a a list", lambda: T.straight_through_bernoulli([0.5]), "a"),  # type: ignore[arg-type]
    Bad(
        "straight_through_bernoulli",
        "unknown variant",
        lambda: T.straight_through_bernoulli(Y, "logistic"),
        "variant",
    ),  # type: ignore[arg-type]
    Bad(
        "straight_through_bernoulli",
        "noise of another shape",
        lambda: T.straight_through_bernoulli(Y, noise=torch.zeros(3)),
        "noise",
    ),
    Bad(
        "StraightThroughBernoulli",
        "unknown variant",
        lambda: T.StraightThroughBernoulli("tanh"),
        "variant",
    ),  # type: ignore[arg-type]
    Bad("stochastic_times_smooth", "a an int", lambda: T.stochastic_times_smooth(3), "a"),  # type: ignore[arg-type]
    Bad(
        "StochasticTimesSmooth",
        "generator a seed",
        lambda: T.StochasticTimesSmooth(generator=3),
        "generator",
    ),  # type: ignore[arg-type]
    Bad(
        "noisy_rectifier",
        "unknown noise_kind",
        lambda: T.noisy_rectifier(Y, noise_kind="uniform"),
        "noise_kind",
    ),  # type: ignore[arg-type]
    Bad("NoisyRectifier", "negative scale", lambda: T.NoisyRectifier(scale=-1.0), "scale"),
    Bad(
        "optimal_baseline",
        "loss of another shape",
        lambda: T.optimal_baseline(torch.zeros(4, 3), torch.zeros(5)),
        "loss",
    ),
    Bad("ReinforceBernoulli", "num_units 0", lambda: T.ReinforceBernoulli(0), "num_units"),
    Bad(
        "ReinforceBernoulli",
        "unknown baseline",
        lambda: T.ReinforceBernoulli(3, baseline="average"),
        "baseline",
    ),  # type: ignore[arg-type]
    Bad("uniform_noise", "like a float", lambda: T.uniform_noise(0.5), "like"),  # type: ignore[arg-type]
]

COVERED: set[str] = {bad.entry for bad in BAD}


@pytest.mark.parametrize("bad", BAD, ids=lambda b: f"{b.entry}: {b.what}")
def test_bad_call_fails_naming_the_argument(bad: Bad) -> None:
    assert_clear_error(bad.call, argument=bad.argument)


# ------------------------------------------------------------- property-based checks

SETTINGS = settings(max_examples=12, deadline=None)


@SETTINGS
@given(x=bad_dtype_tensors((6, 3)))
def test_convex_and_gated_entry_points_refuse_non_float_x(x: torch.Tensor) -> None:
    for fn in (
        lambda: T.sample_arrangements(x, 4),
        lambda: T.sample_gates(x, 4),
        lambda: T.gated_relu_fista(x, Y[:6], beta=0.1),
        lambda: T.admm_convex_relu(x, Y[:6], beta=0.1),
        lambda: T.fwht(x),
    ):
        assert_clear_error(fn, argument="x")


@SETTINGS
@given(x=nonfinite_tensors((8, 3), dtype=torch.float64))
def test_training_entry_points_refuse_non_finite_x(x: torch.Tensor) -> None:
    for fn in (
        lambda: _fit(x=x),
        lambda: T.accuracy(_net(), x, LABELS),
        lambda: T.gated_relu_fista(x, Y, beta=0.1),
        lambda: T.admm_convex_relu(x, Y, beta=0.1),
        lambda: T.sample_arrangements(x, 3),
    ):
        assert_clear_error(fn, argument="x")


@SETTINGS
@given(y=nonfinite_tensors((8,), dtype=torch.float64))
def test_regression_targets_must_be_finite(y: torch.Tensor) -> None:
    for fn in (
        lambda: T.gated_relu_fista(X, y, beta=0.1),
        lambda: T.admm_convex_relu(X, y, beta=0.1),
        lambda: T.adam_two_layer(X, y, beta=0.1, width=2, steps=1),
    ):
        assert_clear_error(fn, argument="y")


@SETTINGS
@given(x=wrong_rank_tensors(2))
def test_design_matrices_must_be_2d(x: torch.Tensor) -> None:
    for fn in (
        lambda: T.sample_gates(x.double(), 3),
        lambda: T.sample_arrangements(x.double(), 3),
        lambda: T.GatedReLU(3, 2)(x),
    ):
        assert_clear_error(fn, argument="x")


@SETTINGS
@given(t=wrong_rank_tensors(1))
def test_time_inputs_must_be_1d(t: torch.Tensor) -> None:
    assert_clear_error(T.time_features, t, 4, argument="t")
    assert_clear_error(T.MonotoneSchedule(), t, argument="t")


@SETTINGS
@given(data=st.data())
def test_unknown_option_names_are_refused(data: st.DataObject) -> None:
    kind = data.draw(unknown_names(T.PROJECTION_KINDS))
    assert_clear_error(T.make_projection, kind, 6, 6, argument="kind")
    assert_clear_error(lambda: T.SubspaceModel(_net(), 2, projection=kind), argument="projection")
    emb = data.draw(unknown_names(["onehot", "learned", "prototype"]))
    assert_clear_error(lambda: _dt(embedding=emb), argument="embedding")
    loss = data.draw(unknown_names(["squared", "logistic"]))
    assert_clear_error(lambda: T.gated_relu_fista(X, Y, beta=0.1, loss=loss), argument="loss")
    opt = data.draw(unknown_names(["adam", "sgd"]))
    assert_clear_error(lambda: _score(T.direct_training_score, optimizer=opt), argument="optimizer")
    search = data.draw(unknown_names(["grid", "bisect"]))
    assert_clear_error(
        lambda: T.intrinsic_dimension(float, baseline=1.0, search=search), argument="search"
    )


@SETTINGS
@given(n=st.integers(0, 1))
def test_empty_and_single_sample_inputs(n: int) -> None:
    """Empty data is refused; a single example is valid input wherever one makes sense."""
    if n == 0:
        assert_clear_error(T.sample_gates, X[:0], 3, argument="x")
        assert_clear_error(lambda: _fit(x=X[:0], y=LABELS[:0]), argument="x")
        assert_clear_error(lambda: T.gated_relu_fista(X[:0], Y[:0], beta=0.1), argument="x")
        return
    history = _fit(x=X[:1], y=LABELS[:1])
    assert len(history) == 1 and history[0]["loss"] > 0
    assert 0.0 <= T.accuracy(_net(), X[:1], LABELS[:1]) <= 1.0
    gates = T.sample_gates(X[:1], 3, generator=torch.Generator().manual_seed(0))
    assert gates.shape[0] == 4 and gates.shape[1] >= 1
