"""Bad inputs to every public entry point of ``nnatlas.operators`` fail clearly.

Layers: wrong-rank and wrong-dtype (int, bool, complex) inputs raise errors naming the input;
a NaN in the input gives NaN in the output (documented in the package docstring). Constructors
and functions: bad integers, unknown option strings, wrong types and mismatched shapes raise
``ConfigError`` / ``TypeError`` (``UnknownNameError`` for activation names) naming the argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nnatlas.core.errors import UnknownNameError
from nnatlas.operators import (
    AttentionOperator2d,
    DeepONet,
    DifferentialKernelConv2d,
    FNO1d,
    FNO2d,
    H1Loss,
    IntegralOperator2d,
    LordMixing,
    LordNet,
    MgConv2d,
    MgNO,
    OperatorNormalizer,
    RelativeL2Loss,
    ResolutionWrapper,
    SpectralConv1d,
    SpectralConv2d,
    UNet2d,
    cell_centers,
    evaluate_operator,
    fit_operator,
    interpolate_kernel,
    kernel_interpolated,
    mean_squared_ns_residual,
    mean_squared_residual,
    multiresolution_batches,
    navier_stokes_step_residual,
    poisson_residual,
    relative_h1_loss,
    relative_l2_loss,
)
from nnatlas.testing.bad_inputs import (
    assert_clear_error,
    bad_dtype_tensors,
    nonfinite_tensors,
    unknown_names,
    wrong_rank_tensors,
)
from nnatlas.testing.inputs import randn

FEW = settings(max_examples=12, deadline=None)
NAME_ERRORS = (ValueError, TypeError, KeyError)  # UnknownNameError is a KeyError
BAD_INTS: list[Any] = [0, -1, 2.5, True, "3"]

# name -> (build, good input shape, the forward argument's name)
LAYERS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...], str]] = {
    "SpectralConv1d": (lambda: SpectralConv1d(2, 3, 4), (2, 2, 10), "x"),
    "SpectralConv2d": (lambda: SpectralConv2d(2, 3, 3, 2), (2, 2, 8, 6), "x"),
    "FNO1d": (lambda: FNO1d(1, 2, 4, 6, 2, projection_width=8), (2, 1, 12), "x"),
    "FNO2d": (lambda: FNO2d(1, 1, 3, 5, 2, projection_width=8), (2, 1, 8, 7), "x"),
    "MgConv2d": (lambda: MgConv2d(2, 3, ((1, 0), (1, 0))), (2, 2, 4, 6), "input"),
    "MgNO": (lambda: MgNO(1, 2, 4, 2, ((1, 0), (1, 0))), (2, 1, 4, 4), "input"),
    "LordMixing": (lambda: LordMixing(3, 4, 5), (2, 3, 4, 5), "x"),
    "LordNet": (lambda: LordNet(1, 2, 5, 6, 3, 2), (2, 1, 5, 6), "x"),
    "UNet2d": (lambda: UNet2d(1, 2, 3, 1, 3), (2, 1, 4, 6), "x"),
    "IntegralOperator2d": (lambda: IntegralOperator2d(2, 3, 8), (2, 2, 3, 4), "x"),
    "AttentionOperator2d": (lambda: AttentionOperator2d(4, 2), (2, 4, 3, 3), "x"),
    "DifferentialKernelConv2d": (lambda: DifferentialKernelConv2d(2, 3, 3), (2, 2, 5, 5), "x"),
    "ResolutionWrapper": (
        lambda: ResolutionWrapper(nn.Conv2d(2, 1, 3, padding=1), (6, 6)),
        (2, 2, 4, 5),
        "x",
    ),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
@FEW
@given(data=st.data())
def test_layers_refuse_wrong_rank_and_dtype(name, data):
    build, shape, arg = LAYERS[name]
    layer = build()
    bad_rank = data.draw(wrong_rank_tensors(len(shape)), label="wrong rank")
    assert_clear_error(layer, bad_rank, argument=(arg, "input"))
    bad_dtype = data.draw(bad_dtype_tensors(shape), label="bad dtype")
    assert_clear_error(layer, bad_dtype, argument=arg)
    assert_clear_error(layer, shape, argument=arg)  # not a tensor at all


@pytest.mark.parametrize("name", sorted(LAYERS))
@FEW
@given(data=st.data())
def test_layers_propagate_nan(name, data):
    build, shape, _ = LAYERS[name]
    x = data.draw(nonfinite_tensors(shape), label="x")
    x = torch.where(torch.isfinite(x), x, torch.full_like(x, float("nan")))
    with torch.no_grad():
        out = build()(x)
    assert torch.isnan(out).any()  # documented: NaN propagates, never a crash


def test_deeponet_refuses_bad_u_and_y():
    net = DeepONet([5, 8, 6], [1, 8, 6])
    u, y = randn(3, 5), randn(3, 1)
    assert_clear_error(net, u.long(), y, argument="u")
    assert_clear_error(net, u, y.to(torch.complex64), argument="y")
    assert_clear_error(net, randn(3, 4), y, argument="u")
    assert_clear_error(net, u, randn(2, 1), argument="y")
    assert_clear_error(net.cartesian, u, randn(3, 2, 1), argument="y")
    assert torch.isnan(net(torch.full_like(u, float("nan")), y)).all()


# -- constructors: bad integers and unknown option strings ------------------------------------

CONSTRUCTOR_INTS: list[tuple[Callable[..., Any], str, dict[str, Any]]] = [
    (SpectralConv1d, "modes", {"in_channels": 2, "out_channels": 3, "modes": 4}),
    (SpectralConv2d, "modes1", {"in_channels": 2, "out_channels": 3, "modes1": 3}),
    (FNO1d, "width", {"in_channels": 1, "out_channels": 1, "width": 4}),
    (FNO2d, "n_layers", {"in_channels": 1, "out_channels": 1, "n_layers": 2}),
    (MgConv2d, "in_channels", {"in_channels": 2, "out_channels": 3}),
    (MgNO, "width", {"in_channels": 1, "out_channels": 1, "width": 4}),
    (LordMixing, "height", {"channels": 2, "height": 3, "width": 3}),
    (LordNet, "n_blocks", {"in_channels": 1, "out_channels": 1, "height": 3, "width": 3}),
    (UNet2d, "levels", {"in_channels": 1, "out_channels": 1, "levels": 1}),
    (IntegralOperator2d, "hidden", {"in_channels": 1, "out_channels": 1, "hidden": 4}),
    (AttentionOperator2d, "heads", {"channels": 4, "heads": 2}),
    (DifferentialKernelConv2d, "kernel_size", {"in_channels": 1, "out_channels": 1}),
    (DeepONet, "num_outputs", {"branch_sizes": [3, 4], "trunk_sizes": [1, 4]}),
    (ResolutionWrapper, "resolution", {"module": nn.Identity(), "resolution": 4}),
    (cell_centers, "height", {"height": 3, "width": 2}),
]


@pytest.mark.parametrize(("build", "arg", "good"), CONSTRUCTOR_INTS, ids=lambda v: str(v)[:20])
@pytest.mark.parametrize("bad", BAD_INTS, ids=repr)
def test_integer_arguments_are_checked(build, arg, good, bad):
    build(**good)  # the good call works
    assert_clear_error(build, argument=arg, **{**good, arg: bad})


CHOICES: list[tuple[Callable[..., Any], str, tuple[str, ...], dict[str, Any]]] = [
    (FNO1d, "activation", ("gelu", "relu"), {"in_channels": 1, "out_channels": 1}),
    (FNO2d, "activation", ("gelu",), {"in_channels": 1, "out_channels": 1}),
    (MgNO, "activation", ("gelu",), {"in_channels": 1, "out_channels": 1}),
    (MgNO, "boundary", ("dirichlet", "periodic"), {"in_channels": 1, "out_channels": 1}),
    (MgConv2d, "boundary", ("dirichlet", "periodic"), {"in_channels": 1, "out_channels": 1}),
    (
        LordNet,
        "activation",
        ("gelu",),
        {"in_channels": 1, "out_channels": 1, "height": 3, "width": 3},
    ),
    (DeepONet, "activation", ("relu",), {"branch_sizes": [3, 4], "trunk_sizes": [1, 4]}),
    (
        DeepONet,
        "layout",
        ("pointwise", "cartesian"),
        {"branch_sizes": [3, 4], "trunk_sizes": [1, 4]},
    ),
    (
        DeepONet,
        "multi_output",
        ("split_both", "split_branch", "split_trunk"),
        {"branch_sizes": [3, 4], "trunk_sizes": [1, 4]},
    ),
    (
        DifferentialKernelConv2d,
        "padding_mode",
        ("circular", "zeros", "reflect", "replicate"),
        {"in_channels": 1, "out_channels": 1},
    ),
    (RelativeL2Loss, "reduction", ("mean", "sum", "none"), {}),
    (H1Loss, "reduction", ("mean", "sum", "none"), {}),
    (H1Loss, "method", ("fft", "fd"), {}),
]


@pytest.mark.parametrize(("build", "arg", "known", "good"), CHOICES, ids=lambda v: str(v)[:20])
@FEW
@given(data=st.data())
def test_unknown_option_strings_are_refused(build, arg, known, good, data):
    bad = data.draw(unknown_names(known), label=arg)
    assert_clear_error(build, argument=arg, exc=NAME_ERRORS, **{**good, arg: bad})


def test_activation_names_come_from_the_shared_table():
    # Any name of nn.activations works everywhere; an unknown one lists the valid names.
    for build in (
        lambda a: FNO1d(1, 1, 2, 4, 1, activation=a),
        lambda a: MgNO(1, 1, 2, 1, ((1, 0),), activation=a),
        lambda a: LordNet(1, 1, 3, 3, 2, 1, activation=a),
        lambda a: DeepONet([3, 4], [1, 4], activation=a),
    ):
        build("softplus")
        with pytest.raises(UnknownNameError, match="valid choices: relu"):
            build("swish")


# -- functions -----------------------------------------------------------------------------------


@FEW
@given(pred=bad_dtype_tensors((2, 1, 4, 4)))
def test_losses_refuse_bad_dtypes_and_shapes(pred):
    target = randn(2, 1, 4, 4)
    for loss in (relative_l2_loss, relative_h1_loss, RelativeL2Loss(), H1Loss()):
        assert_clear_error(loss, pred, target, argument="pred")
        assert_clear_error(loss, target, pred, argument="target")
        assert_clear_error(loss, target, randn(2, 1, 4, 3), argument=("pred", "target"))
        assert_clear_error(loss, randn(4), randn(4), argument=("batch", "pred"))
    assert_clear_error(relative_l2_loss, target, target, reduction="avg", argument="reduction")
    assert_clear_error(relative_h1_loss, target, target, method="cg", argument="method")
    assert_clear_error(
        relative_h1_loss, target, target, domain_length=0.0, argument="domain_length"
    )
    assert_clear_error(relative_h1_loss, target, target, spatial_dims=9, argument="spatial_dims")
    assert_clear_error(H1Loss, domain_length=float("nan"), argument="domain_length")


def test_losses_and_residuals_propagate_nan():
    nan = torch.full((2, 1, 4, 4), float("nan"))
    good = randn(2, 1, 4, 4)
    assert torch.isnan(relative_l2_loss(nan, good))
    assert torch.isnan(relative_h1_loss(good, nan))
    assert torch.isnan(poisson_residual(nan, good)).all()
    assert torch.isnan(mean_squared_residual(good, nan))
    w = randn(2, 8, 8)
    assert torch.isnan(navier_stokes_step_residual(torch.full_like(w, float("nan")), w, nu=1e-3,
                                                   dt=0.1)).all()  # fmt: skip
    assert torch.isnan(mean_squared_ns_residual(w, torch.full_like(w, float("nan")), nu=1e-3,
                                                dt=0.1))  # fmt: skip


@FEW
@given(u=bad_dtype_tensors((2, 5, 5)))
def test_poisson_residuals_refuse_bad_fields(u):
    f = randn(2, 5, 5)
    for fn in (poisson_residual, mean_squared_residual):
        assert_clear_error(fn, u, f, argument="u")
        assert_clear_error(fn, f, u, argument="f")
        assert_clear_error(fn, f, randn(2, 5, 4), argument=("u", "f"))


@FEW
@given(w=bad_dtype_tensors((1, 8, 8)), scheme=unknown_names(("backward_euler", "crank_nicolson")))
def test_navier_stokes_residuals_refuse_bad_arguments(w, scheme):
    good = randn(1, 8, 8)
    for fn in (navier_stokes_step_residual, mean_squared_ns_residual):
        assert_clear_error(fn, w, good, nu=1e-3, dt=0.1, argument="omega_next")
        assert_clear_error(fn, good, w, nu=1e-3, dt=0.1, argument="omega_prev")
        assert_clear_error(fn, good, randn(1, 8, 7), nu=1e-3, dt=0.1, argument="omega_prev")
        assert_clear_error(fn, randn(8), randn(8), nu=1e-3, dt=0.1, argument="omega_next")
        assert_clear_error(fn, good, good, nu=-1.0, dt=0.1, argument="nu")
        assert_clear_error(fn, good, good, nu=1e-3, dt=0.0, argument="dt")
        assert_clear_error(fn, good, good, nu=1e-3, dt=float("nan"), argument="dt")
        assert_clear_error(fn, good, good, nu=1e-3, dt=0.1, scheme=scheme, argument="scheme")
        assert_clear_error(fn, good, good, nu=1e-3, dt=0.1, forcing=randn(3, 3),
                           argument="forcing")  # fmt: skip


@FEW
@given(weight=bad_dtype_tensors((2, 1, 3, 3)))
def test_kernel_interpolation_refuses_bad_kernels_and_models(weight):
    assert_clear_error(interpolate_kernel, weight, 2, argument="weight")
    assert_clear_error(interpolate_kernel, randn(2, 1, 3), 2, argument="weight")
    assert_clear_error(interpolate_kernel, randn(2, 1, 4, 4), 2, argument=("kernel size", "k"))
    for bad in BAD_INTS:
        assert_clear_error(interpolate_kernel, randn(2, 1, 3, 3), bad, argument="factor")
        assert_clear_error(kernel_interpolated, nn.Conv2d(1, 1, 3), bad, argument="factor")
    assert_clear_error(kernel_interpolated, "unet", 2, argument="model")
    assert_clear_error(kernel_interpolated, nn.Conv2d(1, 1, 3, stride=2), 2, argument="stride")


def test_attention_refuses_bad_quadrature_weights():
    layer = AttentionOperator2d(4, 2)
    x = randn(1, 4, 3, 3)
    assert_clear_error(layer, x, torch.ones(3, 3, dtype=torch.int64), argument="weights")
    assert_clear_error(layer, x, torch.ones(3, 4), argument="weights")
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        assert_clear_error(layer, x, torch.full((3, 3), bad), argument="weights")


def test_multiresolution_batches_refuses_bad_data_and_schedules():
    data = {4: (randn(3, 4, 4), randn(3, 4, 4)), 8: (randn(2, 8, 8), randn(2, 8, 8))}
    assert_clear_error(multiresolution_batches, {}, 2, 3, argument="data")
    assert_clear_error(multiresolution_batches, {4: randn(3, 4)}, 2, 3, argument="data")
    assert_clear_error(multiresolution_batches, {4: (randn(3), randn(2))}, 2, 3, argument="data")
    assert_clear_error(multiresolution_batches, data, 2, 3, schedule=[16], argument="schedule")
    for bad in BAD_INTS:
        assert_clear_error(multiresolution_batches, data, bad, 3, argument="batch_size")
        assert_clear_error(multiresolution_batches, data, 2, bad, argument="n_batches")


@FEW
@given(x=bad_dtype_tensors((6, 1, 4, 4)))
def test_normalizer_refuses_bad_training_data(x):
    y = randn(6, 1, 4, 4)
    assert_clear_error(OperatorNormalizer.fit, x, y, argument="x")
    assert_clear_error(OperatorNormalizer.fit, y, x, argument="y")
    assert_clear_error(OperatorNormalizer.fit, y[:0], y[:0], argument="x")
    assert_clear_error(OperatorNormalizer.fit, y, y[:5], argument=("x", "y"))
    assert_clear_error(OperatorNormalizer.fit, y, y, per_channel=True, channel_dim=4,
                       argument="channel_dim")  # fmt: skip
    assert_clear_error(OperatorNormalizer.fit, y, y, correction=-1, argument="correction")
    assert_clear_error(OperatorNormalizer.fit, y, y, per_channel="yes", argument="per_channel")
    norm = OperatorNormalizer.fit(y, y)
    assert_clear_error(norm.encode_x, x, argument="x")
    assert_clear_error(norm.decode_y, x, argument="z")
    assert_clear_error(OperatorNormalizer.from_state_dict, {"x_mean": 1}, argument="state")


@FEW
@given(x=nonfinite_tensors((6, 1, 2, 2)))
def test_normalizer_refuses_non_finite_training_data(x):
    y = randn(6, 1, 2, 2)
    assert_clear_error(OperatorNormalizer.fit, x, y, argument="x")
    assert_clear_error(OperatorNormalizer.fit, y, x, argument="y")


@FEW
@given(x=bad_dtype_tensors((6, 1, 4, 4)))
def test_evaluate_and_fit_refuse_bad_data(x):
    model = nn.Conv2d(1, 1, 1)
    y = randn(6, 1, 4, 4)
    for fn, kw in ((evaluate_operator, {}), (fit_operator, {"steps": 1, "batch_size": 2,
                                                           "lr": 1e-3})):  # fmt: skip
        assert_clear_error(fn, model, x, y, argument="x", **kw)
        assert_clear_error(fn, model, y, x, argument="y", **kw)
        assert_clear_error(fn, model, y, y[:4], argument=("x", "y"), **kw)
        assert_clear_error(fn, "model", y, y, argument="model", **kw)
    assert_clear_error(evaluate_operator, model, y, y, batch_size=0, argument="batch_size")
    assert_clear_error(evaluate_operator, model, y, y, normalizer={}, argument="normalizer")
    base = {"steps": 1, "batch_size": 2, "lr": 1e-3}
    for arg, bad in (("steps", 0), ("batch_size", 1.5), ("lr", float("nan")), ("lr", -1.0),
                     ("weight_decay", -1.0), ("on_step", 3)):  # fmt: skip
        assert_clear_error(fit_operator, model, y, y, argument=arg, **{**base, arg: bad})


# -- the multimodal foundation model (Negrini et al.) ----------------------------------------


def _mm():
    from nnatlas.operators import MultimodalPDEModel, MultimodalTokenizer

    tok = MultimodalTokenizer.from_texts(["du/dt = a u with a = 1.5 .", "a linear law ."])
    net = MultimodalPDEModel(len(tok), dim=8, num_heads=2, ffn_dim=8, number_hidden=4,
                             time_range=(0.0, 1.0))  # fmt: skip
    return tok, net


def test_multimodal_tokenizer_refuses_bad_texts_and_ids():
    from nnatlas.operators import MultimodalTokenizer

    tok, _ = _mm()
    assert_clear_error(MultimodalTokenizer, "abc", argument="vocabulary")
    assert_clear_error(MultimodalTokenizer, ["a b"], argument="vocabulary")
    assert_clear_error(MultimodalTokenizer.from_texts, "one text", argument="texts")
    assert_clear_error(tok.encode, [], argument="texts")
    assert_clear_error(tok.encode, [3.0], argument="texts")
    assert_clear_error(tok.encode, ["a = 1 . a = 2 ."], max_length=3, argument="max_length")
    assert_clear_error(tok.encode, ["a"], max_length=0, argument="max_length")
    assert_clear_error(tok.split, 5, argument="text")
    assert_clear_error(tok.decode, [len(tok)], argument="ids")
    assert_clear_error(tok.decode, torch.zeros(3), argument="ids")


def test_multimodal_model_refuses_bad_configs_and_inputs():
    from nnatlas.operators import MultimodalPDEModel, MultimodalTokens

    tok, net = _mm()
    for arg, bad in (("dim", 0), ("num_layers", 1.5), ("max_length", 1), ("vocab_size", 3),
                     ("query_dim", True)):  # fmt: skip
        assert_clear_error(MultimodalPDEModel, argument=arg, **{"vocab_size": 10, arg: bad})
    assert_clear_error(MultimodalPDEModel, 10, backbone="bert", argument="backbone")
    assert_clear_error(MultimodalPDEModel, 10, time_range=(1.0, 0.0), argument="time_range")
    assert_clear_error(MultimodalPDEModel, 10, time_range=(0.0,), argument="time_range")
    assert_clear_error(MultimodalPDEModel, 10, extrapolate="yes", argument="extrapolate")
    p = tok.encode(["du/dt = a u with a = 1.5 ."])
    q = torch.tensor([[0.0, 0.5]])
    assert_clear_error(net, p.ids, q, argument="tokens")
    assert_clear_error(net, p._replace(ids=p.ids.float()), q, argument="tokens.ids")
    assert_clear_error(net, p._replace(values=p.values[:, :2]), q, argument="tokens.values")
    assert_clear_error(net, p._replace(ids=p.ids + 100), q, argument="tokens.ids")
    left = MultimodalTokens(*(t.flip(1) for t in p))  # padding first
    assert_clear_error(net, left._replace(padding_mask=torch.ones_like(p.padding_mask)), q,
                       argument="right-padded")  # fmt: skip
    assert_clear_error(net, p, q.long(), argument="query")
    assert_clear_error(net, p, q[0], argument="query")
    assert_clear_error(net, p, q.expand(2, -1), argument="query")
    assert_clear_error(net, p, torch.tensor([[0.5, 1.5]]), argument="query times")  # outside
    assert_clear_error(net, p, q, extrapolate=1, argument="extrapolate")
    assert_clear_error(net, p, q, torch.zeros(1, 3), argument="description")
    assert_clear_error(net, p, q, torch.zeros(2, 3, dtype=torch.long), argument="description")
    assert_clear_error(net, p, q, torch.full((1, 3), 99), argument="description")
    assert_clear_error(net.generate, p, 0, argument="max_new_tokens")
    # a NaN number in the prompt propagates to the solution (documented for the package)
    nan = p._replace(values=torch.where(p.is_number, float("nan"), p.values))
    with torch.no_grad():
        assert torch.isnan(net(nan, q).solution).all()


def test_number_text_embedding_and_loss_refuse_bad_inputs():
    from nnatlas.operators import MultimodalOutput, NumberTextEmbedding, multimodal_loss

    emb = NumberTextEmbedding(10, 4, number_hidden=3, max_length=4)
    ids, vals, isn = (
        torch.zeros(1, 3, dtype=torch.long),
        torch.zeros(1, 3),
        torch.zeros(1, 3).bool(),
    )
    assert_clear_error(emb, ids.float(), vals, isn, argument="ids")
    assert_clear_error(emb, ids, vals.long(), isn, argument="values")
    assert_clear_error(emb, ids, vals, isn.long(), argument="is_number")
    assert_clear_error(emb, ids, vals[:, :2], isn, argument=("ids", "values"))
    assert_clear_error(emb, *(torch.zeros(1, 5, dtype=d) for d in (torch.long, torch.float,
                                                                     torch.bool)),
                       argument="max_length")  # fmt: skip
    for arg in ("vocab_size", "dim", "number_hidden", "max_length"):
        for bad in BAD_INTS:
            good = {"vocab_size": 10, "dim": 4, "number_hidden": 3, "max_length": 4}
            assert_clear_error(NumberTextEmbedding, argument=arg, **{**good, arg: bad})
    out = MultimodalOutput(torch.zeros(2, 3, 1), torch.zeros(2, 4, 6))
    desc = torch.zeros(2, 4, dtype=torch.long)
    assert_clear_error(multimodal_loss, "out", torch.zeros(2, 3), argument="output")
    assert_clear_error(multimodal_loss, out, torch.zeros(2, 4), desc, argument="target")
    assert_clear_error(multimodal_loss, out, torch.zeros(2, 3).long(), desc, argument="target")
    assert_clear_error(multimodal_loss, out, torch.zeros(2, 3), None, argument="description")
    assert_clear_error(multimodal_loss, out, torch.zeros(2, 3), desc[:, :2], argument="description")
    assert_clear_error(multimodal_loss, out, torch.zeros(2, 3), desc, text_weight=-1.0,
                       argument="text_weight")  # fmt: skip


# -- PROSE (Liu, Zhang, Schaeffer) -----------------------------------------------------------


def test_prose_refuses_bad_configs():
    from nnatlas.operators import PROSE

    for arg, bad in (("state_dim", 0), ("dim", 2.5), ("data_layers", 0), ("max_symbol_length", 1),
                     ("pad_id", -1), ("symbol_decoder_layers", "2")):  # fmt: skip
        assert_clear_error(PROSE, argument=arg, **{"state_dim": 2, "vocab_size": 10, arg: bad})
    assert_clear_error(PROSE, 2, None, "2-to-1", argument="vocab_size")
    assert_clear_error(PROSE, 2, 10, "3-to-3", argument="variant")
    assert_clear_error(PROSE, 2, 10, "2-to-1", dim=10, num_heads=4, argument="dim")
    assert_clear_error(PROSE, 2, 10, "2-to-1", dim=9, num_heads=3, argument="dim")
    assert_clear_error(PROSE, 2, 10, memory="both", argument="memory")


def test_prose_refuses_bad_inputs():
    from nnatlas.operators import PROSE

    net = PROSE(2, 10, "2-to-2", dim=8, num_heads=2)
    only = PROSE(2, None, "data-only", dim=8, num_heads=2)
    t, u, q = torch.zeros(2, 3), torch.zeros(2, 3, 2), torch.zeros(2, 4)
    s = torch.ones(2, 5, dtype=torch.long)
    assert_clear_error(net, t, u[..., :1], q, s, argument="obs")
    assert_clear_error(net, t, u.long(), q, s, argument="obs")
    assert_clear_error(net, t[:, :2], u, q, s, argument="obs_times")
    assert_clear_error(net, t.double(), u, q, s, argument="obs_times")
    assert_clear_error(net, t, u, q[0], s, argument="query_times")
    assert_clear_error(net, t, u, q[:1], s, argument="query_times")
    assert_clear_error(net, t, u, q, None, argument="symbols")
    assert_clear_error(net, t, u, q, s.float(), argument="symbols")
    assert_clear_error(net, t, u, q, s + 20, argument="symbols")
    assert_clear_error(net, t, u, q, s[:1], argument="symbols")
    assert_clear_error(net, t, u, q, torch.ones(2, 200, dtype=torch.long), argument="symbols")
    assert_clear_error(net, t, u, q, s, s.float(), argument="target_symbols")
    assert_clear_error(only, t, u, q, s, argument="symbols")
    assert_clear_error(net.generate, t, u, s, bos_id=1, eos_id=2, max_length=1,
                       argument="max_length")  # fmt: skip
    assert_clear_error(only.generate, t, u, s, bos_id=1, eos_id=2, argument="variant")


def test_prose_loss_refuses_bad_inputs():
    from nnatlas.operators import ProseOutput, prose_loss, relative_squared_l2

    y = torch.zeros(2, 3, 1)
    out = ProseOutput(y, torch.zeros(2, 3, 5))
    ids = torch.ones(2, 4, dtype=torch.long)
    assert_clear_error(prose_loss, y, y, argument="output")
    assert_clear_error(prose_loss, out, y, None, argument="target_symbols")
    assert_clear_error(prose_loss, out, y, ids, data_weight=-1.0, argument="data_weight")
    assert_clear_error(prose_loss, out, y[:, :2], ids, argument="pred")
    assert_clear_error(relative_squared_l2, y, y[0], argument="target")
    assert_clear_error(relative_squared_l2, y.long(), y, argument="pred")
    assert_clear_error(relative_squared_l2, [0.0], y, argument="pred")


COVERED = {
    "AttentionOperator2d",
    "DeepONet",
    "DifferentialKernelConv2d",
    "FNO1d",
    "FNO2d",
    "H1Loss",
    "IntegralOperator2d",
    "LordMixing",
    "LordNet",
    "MgConv2d",
    "MgNO",
    "MultimodalPDEModel",
    "MultimodalTokenizer",
    "NumberTextEmbedding",
    "OperatorNormalizer",
    "PROSE",
    "RelativeL2Loss",
    "ResolutionWrapper",
    "SpectralConv1d",
    "SpectralConv2d",
    "UNet2d",
    "cell_centers",
    "evaluate_operator",
    "fit_operator",
    "interpolate_kernel",
    "kernel_interpolated",
    "mean_squared_ns_residual",
    "mean_squared_residual",
    "multimodal_loss",
    "multiresolution_batches",
    "navier_stokes_step_residual",
    "poisson_residual",
    "prose_loss",
    "relative_h1_loss",
    "relative_l2_loss",
    "relative_squared_l2",
}
EXEMPT: dict[str, str] = {
    "ProseOutput": "a frozen dataclass of the model's two outputs; prose_loss checks it",
    "MultimodalOutput": "a frozen dataclass of two tensors the model returns; checked where used",
    "MultimodalTokens": "a NamedTuple of tensors; MultimodalPDEModel checks its fields",
}
