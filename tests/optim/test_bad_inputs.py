"""Bad inputs to every public entry point of ``nnatlas.optim`` fail clearly, naming the argument.

Table-driven rows feed one bad hyperparameter (non-positive, NaN, inf, wrong type, a negative
population, an unknown option string), bad ``params`` (a bare tensor, empty, not tensors,
integer tensors) or a bad closure (not callable, returning NaN/inf, a non-scalar, a string) to
each optimizer and building block; hypothesis generates wrong-dtype, wrong-rank and non-finite
tensors and unknown option strings. ``tests/test_bad_input_coverage.py`` checks that
``COVERED`` and ``EXEMPT`` together are ``nnatlas.optim.__all__``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nnatlas.core.errors import UnknownNameError
from nnatlas.optim import (
    SPSA,
    ModelClosure,
    OpenAIES,
    PolyStep,
    centered_ranks,
    evaluate_candidates,
    haar_rotations,
    polytope_vertices,
    transport_weights,
)
from nnatlas.testing.bad_inputs import (
    assert_clear_error,
    bad_dtype_tensors,
    nonfinite_tensors,
    unknown_names,
    wrong_rank_tensors,
)

COVERED = {
    "SPSA",
    "ModelClosure",
    "OpenAIES",
    "PolyStep",
    "centered_ranks",
    "evaluate_candidates",
    "haar_rotations",
    "polytope_vertices",
    "transport_weights",
}
EXEMPT = {
    "BatchedClosure": "a typing Protocol (structural type, nothing to call with arguments)",
}

NAN, INF = math.nan, math.inf
NAMES = (ValueError, TypeError, UnknownNameError)
OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "PolyStep": PolyStep,
    "OpenAIES": OpenAIES,
    "SPSA": SPSA,
}


def param() -> torch.Tensor:
    return torch.zeros(3, requires_grad=True)


# ------------------------------------------------------------------------- hyperparameters

HYPER_ROWS: list[tuple[str, str, Any]] = [
    # (optimizer, keyword, bad value)
    *[("PolyStep", "epsilon", v) for v in (0.0, -1.0, NAN, INF, "0.5", (0.5,), (0.5, NAN))],
    ("PolyStep", "step_radius", NAN),
    ("PolyStep", "probe_radius", INF),
    ("PolyStep", "rank", 0),
    ("PolyStep", "rank", 2.5),
    ("PolyStep", "num_probe", 0),
    ("PolyStep", "particle_dim", 0),
    ("PolyStep", "max_subspace_dim", -3),
    ("PolyStep", "max_batch", 0),
    ("PolyStep", "seed", -1),
    ("PolyStep", "absorb_interval", -1),
    ("PolyStep", "sinkhorn_iters", 0),
    ("PolyStep", "total_steps", 0),
    *[("PolyStep", "probe_jitter", v) for v in (1.0, -0.1, NAN, "0.1")],
    *[("PolyStep", "momentum", v) for v in (-0.1, 1.0, NAN, None)],
    *[("PolyStep", "sinkhorn_omega", v) for v in (0.1, 3.0, NAN)],
    ("PolyStep", "biased_rotation", "yes"),
    ("PolyStep", "redraw_on_absorb", 1),
    *[("OpenAIES", "lr", v) for v in (0.0, -1.0, NAN, INF, "0.1", True)],
    *[("OpenAIES", "sigma", v) for v in (0.0, NAN, INF)],
    *[("OpenAIES", "population_size", v) for v in (7, 0, -4, 2.5, None)],
    ("OpenAIES", "momentum", 1.0),
    ("OpenAIES", "momentum", NAN),
    ("OpenAIES", "betas", (1.0, 0.9)),
    ("OpenAIES", "betas", (0.9, NAN)),
    ("OpenAIES", "betas", (0.9,)),
    ("OpenAIES", "betas", "ab"),
    ("OpenAIES", "eps", 0.0),
    ("OpenAIES", "eps", NAN),
    ("OpenAIES", "weight_decay", -1.0),
    ("OpenAIES", "weight_decay", NAN),
    ("OpenAIES", "max_batch", 0),
    ("OpenAIES", "seed", -1),
    *[("SPSA", "lr", v) for v in (0.0, -1.0, NAN, INF)],
    *[("SPSA", "perturbation", v) for v in (0.0, NAN)],
    *[("SPSA", "alpha", v) for v in (-1.0, NAN, "a")],
    ("SPSA", "gamma", -0.1),
    ("SPSA", "stability", INF),
    ("SPSA", "num_perturbations", 0),
    ("SPSA", "max_step", 0.0),
    ("SPSA", "max_step", NAN),
    ("SPSA", "seed", 1.5),
]


@pytest.mark.parametrize(("name", "key", "value"), HYPER_ROWS, ids=repr)
def test_bad_hyperparameter_is_named(name: str, key: str, value: Any) -> None:
    argument = "betas" if key == "betas" else key
    assert_clear_error(
        OPTIMIZERS[name], [param()], argument=(argument, f"{key}[1]"), **{key: value}
    )


@pytest.mark.parametrize(
    ("name", "key"),
    [("PolyStep", "epsilon"), ("PolyStep", "momentum"), ("OpenAIES", "lr"), ("SPSA", "lr")],
)
def test_bad_per_group_override_is_named(name: str, key: str) -> None:
    # A param group's own setting is checked like the keyword argument.
    assert_clear_error(OPTIMIZERS[name], [{"params": [param()], key: NAN}], argument=key)


UNKNOWN_OPTIONS = {
    ("PolyStep", "subspace"): ("hybrid", "full"),
    ("PolyStep", "polytope"): ("simplex", "orthoplex", "cube"),
    ("PolyStep", "solver"): ("softmax", "sinkhorn"),
    ("PolyStep", "scale_cost"): ("mean", "max", "none"),
    ("OpenAIES", "update"): ("adam", "sgd"),
}


@pytest.mark.parametrize(("name", "key"), list(UNKNOWN_OPTIONS))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_unknown_option_string_is_named(name: str, key: str, data: st.DataObject) -> None:
    value = data.draw(unknown_names(UNKNOWN_OPTIONS[name, key]))
    assert_clear_error(OPTIMIZERS[name], [param()], argument=key, exc=NAMES, **{key: value})


# ------------------------------------------------------------------------- params


BAD_PARAMS: list[Any] = [
    torch.zeros(3, requires_grad=True),  # a bare tensor, not an iterable of them
    [],
    [1.0, 2.0],
    ["w"],
    [{"params": [3.0]}],
    [torch.zeros(3, dtype=torch.int64)],
    [torch.zeros(3, dtype=torch.complex64)],
    None,
    "params",
]


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("params", BAD_PARAMS, ids=lambda p: type(p).__name__)
def test_bad_params_are_named(name: str, params: Any) -> None:
    assert_clear_error(OPTIMIZERS[name], params, argument="params")


# ------------------------------------------------------------------------- closures


def _bad_closures() -> list[tuple[str, Callable[[torch.Tensor], Any]]]:
    return [
        ("nan", lambda p: torch.tensor(NAN) + p.sum()),
        ("inf", lambda p: p.sum() + INF),
        ("vector", lambda p: p * 2),
        ("string", lambda p: "loss"),
        ("none", lambda p: None),
        ("python-nan", lambda p: float("nan")),
    ]


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("kind", [k for k, _ in _bad_closures()])
def test_closure_with_a_bad_loss_is_named_and_leaves_params_alone(name: str, kind: str) -> None:
    p = param()
    opt = OPTIMIZERS[name]([p])
    make = dict(_bad_closures())[kind]
    assert_clear_error(opt.step, lambda: make(p), argument="closure")
    assert torch.equal(p.detach(), torch.zeros(3))  # candidates restored, no step taken


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("closure", [None, "closure", 3.0])
def test_missing_or_uncallable_closure_is_named(name: str, closure: Any) -> None:
    assert_clear_error(OPTIMIZERS[name]([param()]).step, closure, argument="closure")


class _Batched:
    """A batched closure whose ``evaluate_batch`` returns what it is told to."""

    def __init__(self, result: Callable[[int], Any]) -> None:
        self.result = result

    def __call__(self) -> torch.Tensor:
        return torch.tensor(0.0)

    def evaluate_batch(self, params: Any, values: Any) -> Any:
        return self.result(values[0].shape[0])


@pytest.mark.parametrize(
    "result",
    [
        lambda n: torch.full((n,), NAN),
        lambda n: torch.zeros(n + 1),
        lambda n: torch.zeros(n, 2),
        lambda n: [0.0] * n,
    ],
    ids=["nan", "too-long", "2-d", "list"],
)
def test_batched_closure_with_bad_losses_is_named(result: Callable[[int], Any]) -> None:
    for name in OPTIMIZERS:
        assert_clear_error(OPTIMIZERS[name]([param()]).step, _Batched(result), argument="closure")


# ------------------------------------------------------------------------- building blocks


@pytest.mark.parametrize(
    ("value", "argument"),
    [([1.0, 2.0], "x"), (torch.ones(1), "x"), (torch.ones(0), "x"), (torch.ones(3) > 0, "x")],
    ids=["list", "single", "empty", "bool"],
)
def test_centered_ranks_bad_x(value: Any, argument: str) -> None:
    assert_clear_error(centered_ranks, value, argument=argument)


@settings(max_examples=15, deadline=None)
@given(x=nonfinite_tensors((5,)))
def test_centered_ranks_refuses_nonfinite_values(x: torch.Tensor) -> None:
    assert_clear_error(centered_ranks, x, argument="x")


def test_centered_ranks_refuses_complex() -> None:
    assert_clear_error(centered_ranks, torch.ones(3, dtype=torch.complex64), argument="x")


GEN = torch.Generator().manual_seed(0)

HAAR_ROWS: list[tuple[dict[str, Any], str]] = [
    ({"n": 0}, "n"),
    ({"n": 2.0}, "n"),
    ({"dim": 0}, "dim"),
    ({"generator": None}, "generator"),
    ({"generator": 0}, "generator"),
    ({"dtype": torch.int64}, "dtype"),
    ({"dtype": "float32"}, "dtype"),
    ({"bias": torch.zeros(2, 4)}, "bias"),
    ({"bias": torch.full((3, 2), NAN)}, "bias"),
    ({"bias": torch.zeros(3, 2, dtype=torch.int64)}, "bias"),
]


@pytest.mark.parametrize(("bad", "argument"), HAAR_ROWS, ids=repr)
def test_haar_rotations_bad_arguments(bad: dict[str, Any], argument: str) -> None:
    kwargs: dict[str, Any] = {"n": 3, "dim": 2, "generator": GEN} | bad
    n, dim = kwargs.pop("n"), kwargs.pop("dim")
    assert_clear_error(haar_rotations, n, dim, argument=argument, **kwargs)


@settings(max_examples=10, deadline=None)
@given(kind=unknown_names(("simplex", "orthoplex", "cube")))
def test_polytope_vertices_unknown_kind(kind: str) -> None:
    assert_clear_error(polytope_vertices, kind, 3, argument="polytope", exc=NAMES)


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        (("simplex", 0), {}, "dim"),
        (("simplex", 2.5), {}, "dim"),
        (("cube", 17), {}, "dim"),
        (("orthoplex", 2), {"dtype": torch.int64}, "dtype"),
        (("orthoplex", 2), {"dtype": torch.complex64}, "dtype"),
    ],
    ids=repr,
)
def test_polytope_vertices_bad_arguments(
    args: tuple[Any, ...], kwargs: dict[str, Any], argument: str
) -> None:
    assert_clear_error(polytope_vertices, *args, argument=argument, **kwargs)


@settings(max_examples=15, deadline=None)
@given(cost=st.one_of(wrong_rank_tensors(2), bad_dtype_tensors((3, 4)), nonfinite_tensors((3, 4))))
def test_transport_weights_bad_cost(cost: torch.Tensor) -> None:
    assert_clear_error(transport_weights, cost, 0.5, argument="cost")


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"epsilon": 0.0}, "epsilon"),
        ({"epsilon": NAN}, "epsilon"),
        ({"epsilon": "0.5"}, "epsilon"),
        ({"solver": "greedy"}, "solver"),
        ({"solver": "sinkhorn", "sinkhorn_iters": -1}, "sinkhorn_iters"),
        ({"solver": "sinkhorn", "sinkhorn_omega": 0.1}, "sinkhorn_omega"),
        ({"solver": "sinkhorn", "sinkhorn_omega": NAN}, "sinkhorn_omega"),
    ],
    ids=repr,
)
def test_transport_weights_bad_settings(kwargs: dict[str, Any], argument: str) -> None:
    kwargs = {"epsilon": 0.5} | kwargs
    eps = kwargs.pop("epsilon")
    assert_clear_error(
        transport_weights, torch.zeros(3, 4), eps, argument=argument, exc=NAMES, **kwargs
    )


def test_transport_weights_empty_and_list_cost() -> None:
    assert_clear_error(transport_weights, torch.zeros(0, 4), 0.5, argument="cost")
    assert_clear_error(transport_weights, [[0.0, 1.0]], 0.5, argument="cost")


def test_evaluate_candidates_bad_arguments() -> None:
    p = torch.zeros(3)
    values = [torch.zeros(4, 3)]
    assert_clear_error(evaluate_candidates, "closure", [p], values, argument="closure")
    assert_clear_error(evaluate_candidates, lambda: p.sum(), [p], [], argument="values")
    assert_clear_error(
        evaluate_candidates, lambda: p.sum(), [p], [torch.zeros(4, 2)], argument="values[0]"
    )
    assert_clear_error(evaluate_candidates, lambda: p.sum(), [3.0], values, argument="params[0]")
    for kind, make in _bad_closures():
        assert_clear_error(
            evaluate_candidates, lambda m=make: m(p), [p], values, argument="closure"
        )
        assert torch.equal(p, torch.zeros(3)), kind


MODEL = nn.Linear(2, 2)
X, Y = torch.zeros(4, 2), torch.zeros(4, dtype=torch.int64)


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        ((nn.Linear, F.cross_entropy, X, Y), {}, "model"),
        ((MODEL, "cross_entropy", X, Y), {}, "loss_fn"),
        ((MODEL, F.cross_entropy, [X], Y), {}, "inputs"),
        ((MODEL, F.cross_entropy, X, [Y]), {}, "targets"),
        ((MODEL, F.cross_entropy, X, Y), {"chunk_size": 0}, "chunk_size"),
        ((MODEL, F.cross_entropy, X, Y), {"use_vmap": "yes"}, "use_vmap"),
    ],
    ids=repr,
)
def test_model_closure_bad_arguments(
    args: tuple[Any, ...], kwargs: dict[str, Any], argument: str
) -> None:
    assert_clear_error(ModelClosure, *args, argument=argument, **kwargs)


def test_model_closure_refuses_foreign_params() -> None:
    closure = ModelClosure(MODEL, F.cross_entropy, X, Y)
    stranger = torch.zeros(2, 2)
    assert_clear_error(
        closure.evaluate_batch, [stranger], [torch.zeros(3, 2, 2)], argument="params"
    )
