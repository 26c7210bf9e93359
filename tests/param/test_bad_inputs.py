"""Bad inputs to every public entry point of ``nnatlas.param`` fail clearly, naming the argument.

Table-driven: each row calls one entry point with one bad argument (wrong type, out of range,
unknown option, wrong shape, wrong dtype, NaN/inf, empty) and names the argument the error must
mention. Property-based tests (hypothesis) feed generated wrong-dtype, non-finite and wrong-rank
tensors to the tensor-taking entry points. ``tests/test_bad_input_coverage.py`` checks that
``COVERED`` and ``EXEMPT`` together are ``nnatlas.param.__all__``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from torch import nn

from nnatlas.param import (
    ABC,
    BaseShape,
    ChannelGroup,
    CoordCheck,
    CoordRecord,
    HyperModel,
    HyperNetwork,
    LRSweep,
    MorphedModel,
    MuReadout,
    NeuMeta,
    abc_parametrization,
    base_shapes_from_state_dict,
    coord_check,
    encode_input,
    external_shapes,
    fourier_features,
    get_base_shapes,
    get_shapes,
    lr_sweep,
    mup_attention,
    mup_attention_scale,
    mup_init_std,
    mup_normal_,
    mup_param_groups,
    param_scaling,
    permute_group,
    plot_coord_check,
    sequential_channel_groups,
    set_base_shapes,
    shortest_hamiltonian_path,
    smooth_permutation,
    total_variation,
    weight_coordinates,
)
from nnatlas.testing.bad_inputs import (
    assert_clear_error,
    bad_dtype_tensors,
    nonfinite_tensors,
    unknown_names,
    wrong_rank_tensors,
)

NAN, INF = math.nan, math.inf


def mlp(width: int = 8) -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, width), nn.ReLU(), MuReadout(width, 2))


def mup_mlp(width: int = 8) -> nn.Sequential:
    model = mlp(width)
    with torch.device("meta"):
        set_base_shapes(model, mlp(4), mlp(6))
    return model


def plain_mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


X, Y = torch.randn(6, 3), torch.randint(0, 2, (6,))
SHAPE = BaseShape((8, 8), (4, 4))
COORD = CoordCheck((4, 8), 1, ("output",), (CoordRecord(4, 0, 0, "output", 1.0),))
SWEEP = LRSweep((4, 8), (0.1, 1.0), ((1.0, 2.0), (1.0, 2.0)))
GROUP = ChannelGroup((("0.weight", 0, 1), ("0.bias", 0, 1), ("2.weight", 1, 1)), 4)
INR = NeuMeta(plain_mlp(), ["0.weight", "2.weight"], hidden=4, num_freqs=1)
HYPER = HyperNetwork(2, {"w": (3, 2)}, hidden=(4,))
HMODEL = HyperModel(plain_mlp(), 2, hidden=(4,))

# (entry point, callable doing one bad call, the argument its error must name)
Case = tuple[str, Callable[[], Any], str | tuple[str, ...]]
CASES: list[Case] = [
    # -- muP: exponents, shapes ---------------------------------------------------------------
    ("ABC", lambda: ABC(0.0, 0.5, 0.0).scales(0), "width"),
    ("ABC", lambda: ABC(0.0, 0.5, 0.0).scales(2.5), "width"),
    ("abc_parametrization", lambda: abc_parametrization("mupp", "hidden"), "name"),
    ("abc_parametrization", lambda: abc_parametrization("mup", "middle"), "layer"),  # type: ignore[arg-type]
    ("abc_parametrization", lambda: abc_parametrization("mup", "input", theta=NAN), "theta"),
    ("BaseShape", lambda: BaseShape((2, 3), (None,)), ("shape", "base")),
    ("BaseShape", lambda: BaseShape((3,), (None,)).fanin_fanout_ratio, "fan-in/fan-out"),
    ("get_shapes", lambda: get_shapes("model"), "model"),  # type: ignore[arg-type]
    ("get_base_shapes", lambda: get_base_shapes(plain_mlp()), "set_base_shapes"),
    ("get_base_shapes", lambda: get_base_shapes(3), "model"),  # type: ignore[arg-type]
    ("base_shapes_from_state_dict", lambda: base_shapes_from_state_dict({}), "state_dict"),
    ("base_shapes_from_state_dict", lambda: base_shapes_from_state_dict([1]), "state_dict"),  # type: ignore[arg-type]
    ("set_base_shapes", lambda: set_base_shapes("m", mlp(4)), "model"),  # type: ignore[arg-type]
    ("set_base_shapes", lambda: set_base_shapes(mlp(8), 4), "base"),  # type: ignore[arg-type]
    ("set_base_shapes", lambda: set_base_shapes(mlp(8), nn.Linear(3, 4)), "base"),
    ("set_base_shapes", lambda: set_base_shapes(mlp(8), mlp(4), "d"), "delta"),  # type: ignore[arg-type]
    ("set_base_shapes", lambda: set_base_shapes(MuReadout(4, 2), {"weight": (0, 4)}), "base"),
    # -- muP: readout, optimizer groups, init, attention -------------------------------------
    ("MuReadout", lambda: MuReadout(0, 2), "in_features"),
    ("MuReadout", lambda: MuReadout(4, 2.0), "out_features"),  # type: ignore[arg-type]
    ("MuReadout", lambda: MuReadout(4, 2, output_mult=INF), "output_mult"),
    ("param_scaling", lambda: param_scaling(SHAPE, "lion"), "optimizer"),
    ("param_scaling", lambda: param_scaling((8, 8), "adam"), "shape"),  # type: ignore[arg-type]
    ("param_scaling", lambda: param_scaling(BaseShape((2, 2, 2), (1, 1, 1))), "shape"),
    ("mup_param_groups", lambda: mup_param_groups(mup_mlp(), NAN), "lr"),
    (
        "mup_param_groups",
        lambda: mup_param_groups(mup_mlp(), 0.1, weight_decay=-1.0),
        "weight_decay",
    ),
    ("mup_param_groups", lambda: mup_param_groups(mup_mlp(), 0.1, optimizer="lion"), "optimizer"),
    (
        "mup_param_groups",
        lambda: mup_param_groups(mup_mlp(), 0.1, parametrization="ntp"),
        "parametrization",
    ),  # type: ignore[arg-type]
    ("mup_param_groups", lambda: mup_param_groups("m", 0.1), "model"),  # type: ignore[arg-type]
    ("mup_init_std", lambda: mup_init_std(SHAPE, -1.0), "std"),
    ("mup_init_std", lambda: mup_init_std(SHAPE, NAN), "std"),
    ("mup_init_std", lambda: mup_init_std((8, 8), 1.0), "shape"),  # type: ignore[arg-type]
    ("mup_normal_", lambda: mup_normal_(mup_mlp(), std=-0.1), "std"),
    ("mup_normal_", lambda: mup_normal_(nn.Linear(2, 2)), "set_base_shapes"),
    ("mup_attention_scale", lambda: mup_attention_scale(0), "head_dim"),
    ("mup_attention_scale", lambda: mup_attention_scale(8, base_head_dim=-64), "base_head_dim"),
    ("mup_attention", lambda: mup_attention(torch.ones(4), torch.ones(4), torch.ones(4)), "query"),
    (
        "mup_attention",
        lambda: mup_attention(torch.ones(2, 4), torch.ones(2, 3), torch.ones(2, 4)),
        "key",
    ),
    (
        "mup_attention",
        lambda: mup_attention(torch.ones(2, 4), torch.ones(3, 4), torch.ones(2, 4)),
        "value",
    ),
    ("mup_attention", lambda: mup_attention(*[torch.ones(2, 4, dtype=torch.int64)] * 3), "query"),
    # -- muP: coordinate check, plot, LR sweep -----------------------------------------------
    ("coord_check", lambda: coord_check(mlp, [8, 4], X, Y), "widths"),
    ("coord_check", lambda: coord_check(mlp, 8, X, Y), "widths"),  # type: ignore[arg-type]
    ("coord_check", lambda: coord_check(mlp, [4, 8], X, Y, lr=-1.0), "lr"),
    ("coord_check", lambda: coord_check(mlp, [4, 8], X, Y, optimizer="lion"), "optimizer"),
    (
        "coord_check",
        lambda: coord_check(mlp, [4, 8], X, Y, parametrization="ntp"),
        "parametrization",
    ),  # type: ignore[arg-type]
    ("coord_check", lambda: coord_check(mlp, [4, 8], X, Y[:3]), ("inputs", "targets")),
    ("coord_check", lambda: coord_check(mlp, [4, 8], X.numpy(), Y), "inputs"),  # type: ignore[arg-type]
    ("coord_check", lambda: coord_check(mlp, [4, 8], X, Y, steps=-1), "steps"),
    (
        "coord_check",
        lambda: coord_check(mlp, [4, 8], X, Y, base_width=4, delta_width=4),
        "delta_width",
    ),
    ("coord_check", lambda: coord_check(lambda w: 3, [4, 8], X, Y), "build"),  # type: ignore[arg-type,return-value]
    ("coord_check", lambda: coord_check("mlp", [4, 8], X, Y), "build"),  # type: ignore[arg-type]
    ("CoordCheck", lambda: COORD.l1("layer0", 0), "module"),
    ("CoordCheck", lambda: COORD.l1("output", 5), "t"),
    ("CoordCheck", lambda: COORD.growth("output", -1), "t"),
    ("plot_coord_check", lambda: plot_coord_check({"widths": [4]}), "result"),  # type: ignore[arg-type]
    ("plot_coord_check", lambda: plot_coord_check(COORD, axes=[None]), "axes"),
    ("LRSweep", lambda: SWEEP.best_lr(16), "width"),
    ("lr_sweep", lambda: lr_sweep(mlp, [4, 8], [], X, Y), "lrs"),
    ("lr_sweep", lambda: lr_sweep(mlp, [4, 8], [1.0, 0.1], X, Y), "lrs"),
    ("lr_sweep", lambda: lr_sweep(mlp, [4, 8], [0.1, INF], X, Y), "lrs"),
    ("lr_sweep", lambda: lr_sweep(mlp, [4, 8], ["a"], X, Y), "lrs"),  # type: ignore[list-item]
    ("lr_sweep", lambda: lr_sweep(mlp, [4, 8], [0.1], X, Y, batch_size=7), "batch_size"),
    ("lr_sweep", lambda: lr_sweep(mlp, [4, 8], [0.1], X, Y[:2]), ("x", "y")),
    ("lr_sweep", lambda: lr_sweep(mlp, [4, 8], [0.1], X[:0], Y[:0]), "x"),
    (
        "lr_sweep",
        lambda: lr_sweep(mlp, [4, 8], [0.1], X, Y, batch_size=2, on_result=1),
        "on_result",
    ),  # type: ignore[arg-type]
    # -- hypernetworks ------------------------------------------------------------------------
    ("encode_input", lambda: encode_input(torch.ones(2), "sin"), "mode"),  # type: ignore[arg-type]
    ("encode_input", lambda: encode_input([0.5], "cos|sin"), "gamma"),  # type: ignore[arg-type]
    ("encode_input", lambda: encode_input(torch.ones(2, dtype=torch.int64)), "gamma"),
    ("external_shapes", lambda: external_shapes(plain_mlp(), ["9"]), "modules"),
    ("external_shapes", lambda: external_shapes(plain_mlp(), "0"), "modules"),
    ("external_shapes", lambda: external_shapes("m"), "model"),  # type: ignore[arg-type]
    ("HyperNetwork", lambda: HyperNetwork(0, {"w": (2,)}), "input_dim"),
    ("HyperNetwork", lambda: HyperNetwork(2, {}), "output_shapes"),
    ("HyperNetwork", lambda: HyperNetwork(2, {"w": (2,)}, hidden=(0,)), "hidden"),
    ("HyperNetwork", lambda: HyperNetwork(2, {"w": (2,)}, encoding="sin"), "encoding"),  # type: ignore[arg-type]
    ("HyperNetwork", lambda: HyperNetwork(2, {"w": (2,)}, init="xavier"), "init"),  # type: ignore[arg-type]
    ("HyperNetwork", lambda: HyperNetwork(2, {"w": (2,)}, activation=3), "activation"),  # type: ignore[arg-type]
    ("HyperNetwork", lambda: HyperNetwork(2, {"w": (2,)}, initial={"w": torch.ones(3)}), "initial"),
    ("HyperNetwork", lambda: HYPER(torch.ones(3)), "gamma"),
    ("HyperNetwork", lambda: HYPER(torch.ones(2, 2, 2)), "gamma"),
    ("HyperModel", lambda: HyperModel("net", 2), "primary"),  # type: ignore[arg-type]
    ("HyperModel", lambda: HyperModel(plain_mlp(), 0), "input_dim"),
    ("HyperModel", lambda: HMODEL(torch.ones(2, 5, 3), torch.rand(3, 2)), "x"),
    ("HyperModel", lambda: HMODEL(torch.ones(5, 3), torch.rand(3)), "gamma"),
    # -- NeuMeta ------------------------------------------------------------------------------
    ("ChannelGroup", lambda: ChannelGroup((), 2), "members"),
    ("ChannelGroup", lambda: ChannelGroup((("0.weight", 0, 1),), 0), "channels"),
    ("permute_group", lambda: permute_group(plain_mlp(), GROUP, [0, 1, 2]), "order"),
    ("permute_group", lambda: permute_group(plain_mlp(), GROUP, [0, 0, 1, 2]), "order"),
    ("permute_group", lambda: permute_group(nn.Linear(2, 2), GROUP, [0, 1, 2, 3]), "group"),
    ("permute_group", lambda: permute_group(plain_mlp(), "g", [0]), "group"),  # type: ignore[arg-type]
    ("total_variation", lambda: total_variation(plain_mlp(), [GROUP, "g"]), "groups"),  # type: ignore[list-item]
    ("total_variation", lambda: total_variation("m", [GROUP]), "model"),  # type: ignore[arg-type]
    ("smooth_permutation", lambda: smooth_permutation(plain_mlp(), GROUP), "groups"),  # type: ignore[arg-type]
    ("shortest_hamiltonian_path", lambda: shortest_hamiltonian_path(torch.ones(2, 3)), "dist"),
    (
        "shortest_hamiltonian_path",
        lambda: shortest_hamiltonian_path(torch.ones(3, 3), restarts=0),
        "restarts",
    ),
    ("shortest_hamiltonian_path", lambda: shortest_hamiltonian_path([[0.0]]), "dist"),  # type: ignore[arg-type]
    (
        "sequential_channel_groups",
        lambda: sequential_channel_groups(nn.Sequential(nn.LSTM(2, 2)), torch.ones(1, 2)),
        "LSTM",
    ),
    (
        "sequential_channel_groups",
        lambda: sequential_channel_groups(nn.Linear(2, 2), torch.ones(1, 2)),
        "model",
    ),  # type: ignore[arg-type]
    (
        "sequential_channel_groups",
        lambda: sequential_channel_groups(plain_mlp(), [1.0]),
        "example_input",
    ),  # type: ignore[arg-type]
    ("fourier_features", lambda: fourier_features(torch.ones(3), -1), "num_freqs"),
    ("fourier_features", lambda: fourier_features(torch.ones(3, dtype=torch.int64), 2), "x"),
    ("weight_coordinates", lambda: weight_coordinates(3, 2, (4, 4)), "k"),
    ("weight_coordinates", lambda: weight_coordinates(0, 2, ()), "shape"),
    ("weight_coordinates", lambda: weight_coordinates(0, 0, (4,)), "num_tensors"),
    ("NeuMeta", lambda: NeuMeta(plain_mlp(), ["9.weight"]), "morph"),
    ("NeuMeta", lambda: NeuMeta(plain_mlp(), ["0.weight"], hidden=0), "hidden"),
    ("NeuMeta", lambda: NeuMeta(plain_mlp(), ["0.weight"], layers=0), "layers"),
    ("NeuMeta", lambda: NeuMeta(plain_mlp(), ["0.weight"], noise=NAN), "noise"),
    ("NeuMeta", lambda: NeuMeta(plain_mlp(), ["0.weight"], norm=0.0), "norm"),
    ("NeuMeta", lambda: NeuMeta(plain_mlp(), "0.weight"), "morph"),
    ("NeuMeta", lambda: INR({"0.weight": (4, 3)}), "shapes"),
    ("NeuMeta", lambda: INR({"0.weight": (4,), "2.weight": (2, 4)}), "shape"),
    ("NeuMeta", lambda: INR({"0.weight": (4, 3), "2.weight": (2, 4)}, noise=-1.0), "noise"),
    ("NeuMeta", lambda: INR.sample({"0.weight": (4, 3), "2.weight": (2, 4)}, 0), "num_samples"),
    ("MorphedModel", lambda: MorphedModel(nn.Linear(3, 4), INR), "model"),
    ("MorphedModel", lambda: MorphedModel(plain_mlp(), "inr"), "inr"),  # type: ignore[arg-type]
]

EXEMPT: dict[str, str] = {
    "PARAMETRIZATIONS": "a constant (the names of the abc-parametrizations)",
    "CoordRecord": "a frozen dataclass of one measured value (built by coord_check)",
    "ParamScaling": "a frozen dataclass of results (built by param_scaling)",
}
COVERED = {name for name, _, _ in CASES}


@pytest.mark.parametrize(
    ("name", "call", "argument"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_bad_argument_is_named(name: str, call: Callable[[], Any], argument: Any) -> None:
    assert_clear_error(call, argument=argument)


def test_unknown_activation_names_the_argument() -> None:
    # The shared activation table raises UnknownNameError (a KeyError listing the valid names).
    assert_clear_error(
        HyperNetwork, 2, {"w": (2,)}, activation="swish", argument="activation", exc=KeyError
    )


# -- property-based: generated bad tensors ----------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(bad=bad_dtype_tensors((2, 4)))
def test_attention_refuses_non_float_dtypes(bad: torch.Tensor) -> None:
    ok = torch.ones(2, 4)
    assert_clear_error(mup_attention, bad, ok, ok, argument="query")
    assert_clear_error(mup_attention, ok, bad, ok, argument="key")
    assert_clear_error(mup_attention, ok, ok, bad, argument="value")


@settings(max_examples=15, deadline=None)
@given(bad=wrong_rank_tensors(1))
def test_hypernetwork_gamma_of_wrong_rank(bad: torch.Tensor) -> None:
    if bad.dim() == 2 and bad.shape[-1] == 2:
        return  # (B, 2) is a valid batch of conditioning vectors
    assert_clear_error(HYPER, bad, argument="gamma")


@settings(max_examples=15, deadline=None)
@given(bad=bad_dtype_tensors((2,)))
def test_hypernetwork_gamma_of_wrong_dtype(bad: torch.Tensor) -> None:
    assert_clear_error(HYPER, bad, argument="gamma")
    assert_clear_error(encode_input, bad, argument="gamma")


@settings(max_examples=15, deadline=None)
@given(bad=nonfinite_tensors((3, 3)))
def test_hamiltonian_path_refuses_nonfinite_distances(bad: torch.Tensor) -> None:
    assert_clear_error(shortest_hamiltonian_path, bad, argument="dist")


@settings(max_examples=15, deadline=None)
@given(bad=nonfinite_tensors((6, 3)))
def test_coord_check_refuses_nonfinite_inputs(bad: torch.Tensor) -> None:
    assert_clear_error(coord_check, mlp, [4, 8], bad, Y, steps=1, argument="inputs")


@settings(max_examples=10, deadline=None)
@given(name=unknown_names(["sp", "ntp", "mup"]))
def test_unknown_parametrization_names(name: str) -> None:
    assert_clear_error(abc_parametrization, name, "hidden", argument="name")


@settings(max_examples=10, deadline=None)
@given(name=unknown_names(["adam", "adamw", "sgd"]))
def test_unknown_optimizer_names(name: str) -> None:
    if name.lower() not in ("adam", "adamw", "sgd"):  # param_scaling ignores case on purpose
        assert_clear_error(param_scaling, SHAPE, name, argument="optimizer")
    assert_clear_error(coord_check, mlp, [4, 8], X, Y, optimizer=name, argument="optimizer")


@settings(max_examples=10, deadline=None)
@given(name=unknown_names(["cos|sin", "z|1-z", "none"]))
def test_unknown_encoding_names(name: str) -> None:
    assert_clear_error(encode_input, torch.ones(2), name, argument="mode")
    assert_clear_error(HyperNetwork, 2, {"w": (2,)}, encoding=name, argument="encoding")


def test_nan_gamma_is_documented_to_give_nan_weights() -> None:
    # Documented (HyperNetwork.forward): NaN conditioning values propagate to the weights.
    out = HYPER(torch.tensor([NAN, 0.5]))
    assert torch.isnan(out["w"]).all()
