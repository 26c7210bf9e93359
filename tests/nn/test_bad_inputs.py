"""Bad inputs to every public entry point of ``nnatlas.nn`` fail clearly, naming the argument.

* Layers: hypothesis feeds each forward wrong-dtype tensors (integer, bool, complex, and a float
  dtype other than the layer's), tensors of the wrong rank, and non-tensors. Input sizes are
  primes above the generators' largest side (4), so a generated wrong-rank tensor can never
  happen to fit.
* Constructors: every argument gets type-appropriate bad values (0, negative, fractional and
  string sizes; NaN, inf, negative and string reals; unknown option strings; integer dtypes),
  derived from the signature, so a new argument is covered without editing this file.
* Functions: a table of one bad argument per row (wrong type/dtype/shape, NaN, empty).
* Non-finite *values* in a forward are not scanned for (no device sync per call): smooth layers
  propagate NaN to their output, hard-threshold functions follow their comparison rule; both
  are documented in ``nnatlas.nn`` and checked at the end of this file.

``tests/test_bad_input_coverage.py`` checks that ``COVERED`` and ``EXEMPT`` together are
``nnatlas.nn.__all__``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import nnatlas.nn as N
from nnatlas.core.errors import UnknownNameError
from nnatlas.testing.bad_inputs import (
    assert_clear_error,
    bad_dtype_tensors,
    nonfinite_tensors,
    unknown_names,
    wrong_rank_tensors,
)

EXEMPT = {
    "ESTIMATORS": "a constant tuple of estimator names",
    "RecurrentCell": "an abstract base class (subclasses define step); it takes no arguments",
}
NAN, INF = math.nan, math.inf
NAMES = (ValueError, TypeError, UnknownNameError)
F32 = torch.float32
GRAPH = N.GraphStructure(4, ((0, 1), (1, 2), (2, 0), (3, 2), (0, 3)))

# ------------------------------------------------------------------------- layer forwards

# name -> (build, good input shape, exact rank or None for "any rank", argument names)
LAYERS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...], int | None]] = {
    "MLP": (lambda: N.MLP(5, [4], 3), (3, 5), None),
    "LeNet": (lambda: N.LeNet(1, 3, image_size=8), (2, 1, 8, 8), 4),
    "EvoNormB0": (lambda: N.EvoNormB0(5), (3, 5, 2, 2), None),
    "EvoNormS0": (lambda: N.EvoNormS0(5, groups=5), (3, 5, 2, 2), None),
    "GatedLayer": (lambda: N.GatedLayer(5, 8, 4), (3, 5), 2),
    "GatedMLP": (lambda: N.GatedMLP(5, [8], 3, 4), (3, 5), None),
    "KernelConv2d": (lambda: N.KernelConv2d(5, 3, 1), (2, 5, 3, 3), 4),
    "WeightedL1Conv2d": (lambda: N.WeightedL1Conv2d(5, 3, 1), (2, 5, 3, 3), 4),
    "WeightedL2Conv2d": (lambda: N.WeightedL2Conv2d(5, 3, 1), (2, 5, 3, 3), 4),
    "GraphStructuredHead": (lambda: N.GraphStructuredHead(11, 2, GRAPH, hidden=8), (3, 11), 2),
    "SpikingMLP": (lambda: N.SpikingMLP(5, 8, 3), (3, 5), 2),
    "Int8Linear": (lambda: N.Int8Linear(5, 3), (3, 5), None),
    "Int8MLP": (lambda: N.Int8MLP(5, 8, 3), (3, 5), 2),
    "Staircase": (lambda: N.Staircase(), (3, 5), None),
    "StaircaseMLP": (lambda: N.StaircaseMLP(5, 8, 3), (3, 5), 2),
    "ArgmaxAttention": (lambda: N.ArgmaxAttention(5), (2, 3, 5), 3),
    "ArgmaxAttentionClassifier": (lambda: N.ArgmaxAttentionClassifier(5, 1, 8, 3), (3, 5), 2),
    "HardMoE": (lambda: N.HardMoE(5, 3), (3, 5), 2),
    "HardMoEClassifier": (lambda: N.HardMoEClassifier(5, 8, 3), (3, 5), 2),
    "ConvBottleneck": (lambda: N.ConvBottleneck(5, 4), (2, 5, 4, 4), 4),
    "MaxPoolBottleneck": (lambda: N.MaxPoolBottleneck(5, 4), (2, 5, 4, 4), 4),
    "HybridBottleneck": (lambda: N.HybridBottleneck(5, 4), (2, 5, 4, 4), 4),
    "BottleneckResNet": (
        lambda: N.BottleneckResNet(
            "hybrid", (1,), (4,), num_classes=3, in_channels=5, stem="small", stem_channels=8
        ),
        (2, 5, 8, 8),
        4,
    ),
    "MaxPoolTokenMixer": (lambda: N.MaxPoolTokenMixer(5), (2, 4, 5), 3),
    "PfTransformerBlock": (lambda: N.PfTransformerBlock(5, 1), (2, 4, 5), 3),
    "ParaGRU": (lambda: N.ParaGRU(5, 6, 1), (2, 3, 5), None),
    "ParaLSTM": (lambda: N.ParaLSTM(5, 6, 1), (2, 3, 5), None),
    "ReLUSNNK": (lambda: N.ReLUSNNK(5, 4, 8), (3, 5), None),
    "URFSNNK": (lambda: N.URFSNNK(5, 4, 8), (3, 5), None),
    "SNNKAdapter": (lambda: N.SNNKAdapter(5, 3, 8), (3, 5), None),
    "BundledSNNK": (lambda: N.BundledSNNK(5, 3, 8), (3, 5), None),
    "StraightThroughBernoulli": (lambda: N.StraightThroughBernoulli(), (3, 5), None),
    "StochasticTimesSmooth": (lambda: N.StochasticTimesSmooth(), (3, 5), None),
    "NoisyRectifier": (lambda: N.NoisyRectifier(), (3, 5), None),
    "ReinforceBernoulli": (lambda: N.ReinforceBernoulli(5), (3, 5), None),
    "TransformerEncoderBlock": (lambda: N.TransformerEncoderBlock(5, 1), (2, 3, 5), 3),
    "TransformerEncoder": (lambda: N.TransformerEncoder(5, 1, 1), (2, 3, 5), 3),
}
ELEMENTWISE = {"Staircase", "StraightThroughBernoulli", "StochasticTimesSmooth", "NoisyRectifier"}
# Layers without floating parameters take any floating input (ReinforceBernoulli's statistics
# are cast to the input's dtype); only non-float dtypes are wrong for them.
ANY_FLOAT = ELEMENTWISE | {"ReinforceBernoulli"}
INPUT_NAMES = ("x", "input", "z", "a")
WRONG_DTYPES = (torch.int64, torch.bool, torch.complex64, torch.float16, torch.float64)
_BUILT: dict[str, nn.Module] = {}


def layer(name: str) -> nn.Module:
    if name not in _BUILT:
        _BUILT[name] = LAYERS[name][0]()
    return _BUILT[name]


def test_every_layer_works_on_its_good_input() -> None:
    # The tables below only mean something if the good input is accepted.
    for name, (_, shape, _) in LAYERS.items():
        out = layer(name)(torch.randn(*shape, generator=torch.Generator().manual_seed(0)))
        assert isinstance(out, torch.Tensor | tuple), name


@pytest.mark.parametrize("name", list(LAYERS))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_forward_refuses_wrong_dtypes(name: str, data: st.DataObject) -> None:
    shape = LAYERS[name][1]
    dtypes = WRONG_DTYPES if name not in ANY_FLOAT else WRONG_DTYPES[:3]
    x = data.draw(bad_dtype_tensors(shape, dtypes))
    assert_clear_error(layer(name), x, argument=INPUT_NAMES)


@pytest.mark.parametrize("name", [n for n in LAYERS if n not in ELEMENTWISE])
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_forward_refuses_wrong_ranks(name: str, data: st.DataObject) -> None:
    _, shape, rank = LAYERS[name]
    x = data.draw(wrong_rank_tensors(rank if rank is not None else len(shape)))
    assert_clear_error(layer(name), x, argument=INPUT_NAMES)


@pytest.mark.parametrize("name", list(LAYERS))
def test_forward_refuses_non_tensors(name: str) -> None:
    shape = LAYERS[name][1]
    assert_clear_error(layer(name), torch.zeros(shape).tolist(), argument=INPUT_NAMES)


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("EvoNormB0", (0, 5, 2, 2)),  # batch statistics of nothing
        ("EvoNormS0", (0, 5, 2, 2)),
        ("GatedMLP", (0, 5)),
        ("HybridBottleneck-stride2", (2, 5, 5, 5)),  # odd size: pool floors, shortcut ceils
    ],
)
def test_forward_refuses_degenerate_inputs(name: str, shape: tuple[int, ...]) -> None:
    module = N.HybridBottleneck(5, 4, 2) if name == "HybridBottleneck-stride2" else layer(name)
    assert_clear_error(module, torch.zeros(shape), argument=INPUT_NAMES)


@pytest.mark.parametrize(
    "name", ["MLP", "GatedLayer", "Int8Linear", "SpikingMLP", "ReLUSNNK", "WeightedL1Conv2d"]
)
def test_single_sample_and_empty_batches_work(name: str) -> None:
    shape = LAYERS[name][1]
    module = layer(name)
    for batch in (1, 0):
        out = module(torch.zeros(batch, *shape[1:]))
        assert out.shape[0] == batch, (name, batch)


def test_gine_conv_names_each_argument() -> None:
    conv, ei = N.GINEConv(5), GRAPH.edge_index()
    h, e = torch.zeros(2, 4, 5), torch.zeros(2, 5, 5)
    assert_clear_error(conv, h.double(), ei, e, argument="h")
    assert_clear_error(conv, h, ei, e.long(), argument="e")
    assert_clear_error(conv, h, ei.float(), e, argument="edge_index")
    assert_clear_error(conv, h, ei + 4, e, argument="edge_index")
    assert_clear_error(conv, h, ei[:1], e, argument="edge_index")
    assert_clear_error(conv, h[0], ei, e, argument="h")


def test_reinforce_surrogate_names_loss() -> None:
    neurons = N.ReinforceBernoulli(5)
    neurons(torch.zeros(3, 5))
    assert_clear_error(neurons.surrogate, torch.zeros(4), argument="loss")


# ------------------------------------------------------------------------- constructors

# Good keyword arguments per public class or builder; the bad values are derived from the
# annotations of the signature.
CONSTRUCTORS: dict[str, dict[str, Any]] = {
    "MLP": dict(in_features=6, hidden=[4], out_features=3),
    "LeNet": dict(in_channels=1, num_classes=3, image_size=8),
    "EvoNormB0": dict(num_features=6),
    "EvoNormS0": dict(num_features=6, groups=3),
    "GatedLayer": dict(in_features=6, out_features=8, num_blocks=4),
    "GatedMLP": dict(in_features=6, hidden=[8], out_features=3, num_blocks=4),
    "KernelConv2d": dict(in_channels=2, out_channels=3, kernel_size=3),
    "WeightedL1Conv2d": dict(in_channels=2, out_channels=3, kernel_size=3),
    "WeightedL2Conv2d": dict(in_channels=2, out_channels=3, kernel_size=3),
    "GraphStructuredHead": dict(in_features=12, out_features=2, graph=GRAPH, hidden=8),
    "GINEConv": dict(dim=6),
    "GraphStructure": dict(num_nodes=4, edges=((0, 1),)),
    "SpikingMLP": dict(in_features=6, hidden_features=8, out_features=3),
    "Int8Linear": dict(in_features=6, out_features=3),
    "Int8MLP": dict(in_features=6, hidden_features=8, out_features=3),
    "Staircase": dict(),
    "StaircaseMLP": dict(in_features=6, hidden_features=8, out_features=3),
    "ArgmaxAttention": dict(embed_dim=8),
    "ArgmaxAttentionClassifier": dict(num_tokens=4, token_features=3, embed_dim=8, num_classes=3),
    "HardMoE": dict(in_features=6, out_features=3),
    "HardMoEClassifier": dict(in_features=6, hidden_features=8, num_classes=3),
    "ConvBottleneck": dict(in_channels=8, width=4),
    "MaxPoolBottleneck": dict(in_channels=8, width=4),
    "HybridBottleneck": dict(in_channels=8, width=4),
    "BottleneckResNet": dict(
        block="hybrid",
        depths=(1,),
        widths=(4,),
        num_classes=3,
        in_channels=1,
        stem="small",
        stem_channels=8,
    ),
    "MaxPoolTokenMixer": dict(dim=8),
    "PfTransformerBlock": dict(dim=8, num_heads=2),
    "ParaGRU": dict(input_size=4, hidden_size=6, num_heads=2),
    "ParaLSTM": dict(input_size=4, hidden_size=6, num_heads=2),
    "NewtonConfig": dict(),
    "ReLUSNNK": dict(in_features=6, out_features=5, num_features=16),
    "URFSNNK": dict(in_features=5, out_features=4, num_features=8),
    "SNNKAdapter": dict(dim=6, bottleneck=3, num_features=8),
    "BundledSNNK": dict(in_features=6, out_features=3, num_features=12),
    "StraightThroughBernoulli": dict(),
    "StochasticTimesSmooth": dict(),
    "NoisyRectifier": dict(),
    "ReinforceBernoulli": dict(num_units=5),
    "TransformerEncoderBlock": dict(dim=8, num_heads=2),
    "TransformerEncoder": dict(dim=8, num_heads=2, num_layers=1),
    "TransformerDecoderBlock": dict(dim=8, num_heads=2),
    "TransformerDecoder": dict(dim=8, num_heads=2, num_layers=1),
}
# Keyword-only arguments hidden behind **kwargs in the signature.
EXTRA_ARGUMENTS = {
    name: {"mode": "str", "newton": "NewtonConfig | None", "chunk_size": "int | None",
           "a_scale": "float", "dtype": "torch.dtype | None"}
    for name in ("ParaGRU", "ParaLSTM")
}  # fmt: skip
# Arguments where a value the generic table calls bad is legitimate.
ALLOWED = {("GatedLayer", "gate_bias", "-1.0"), ("GatedMLP", "gate_bias", "-1.0")}
ALLOWED |= {("GINEConv", "eps", "-1.0")}  # GIN's ε may be negative (it only rescales h_i)


def _bad_values(name: str, annotation: str) -> list[Any]:
    if name == "device":
        return []
    if name == "dtype":
        return [torch.int64, torch.complex64, "float32"]
    if name == "generator":
        return [0, "seed"]
    if name == "graph":
        return ["graph"]
    if name == "edges":
        return ["ab", ((0, 1.5),), ((0, 9),)]
    if name == "newton":
        return ["newton"]
    if "bool" in annotation and "int" not in annotation and "float" not in annotation:
        return []
    bad: list[Any] = []
    if "Sequence[int]" in annotation or name in ("hidden", "depths", "widths", "channels"):
        bad += [[0], 3.5, "ab"]
    elif "int" in annotation or "IntPair" in annotation:
        bad += [-1, 2.5, "3"] + ([] if name in ("padding",) else [0])
    if "float" in annotation:
        bad += [NAN, INF, -1.0, "x"]
    if any(k in annotation for k in ("str", "Literal", "Kind", "Variant", "Spec", "Spectrum")):
        bad += ["bogus"]
    return bad


def _constructor_rows() -> list[tuple[str, str, Any]]:
    rows = []
    for cls_name in CONSTRUCTORS:
        params = {
            k: str(p.annotation)
            for k, p in inspect.signature(getattr(N, cls_name)).parameters.items()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
        params |= EXTRA_ARGUMENTS.get(cls_name, {})
        for arg, annotation in params.items():
            for value in _bad_values(arg, annotation):
                if (cls_name, arg, repr(value)) not in ALLOWED:
                    rows.append((cls_name, arg, value))
    return rows


CONSTRUCTOR_ROWS = _constructor_rows()


def test_the_constructor_table_is_substantial() -> None:
    assert len(CONSTRUCTOR_ROWS) > 250
    assert {name for name, _, _ in CONSTRUCTOR_ROWS} == set(CONSTRUCTORS)


@pytest.mark.parametrize(("cls_name", "arg", "value"), CONSTRUCTOR_ROWS, ids=repr)
def test_constructor_names_the_bad_argument(cls_name: str, arg: str, value: Any) -> None:
    kwargs = CONSTRUCTORS[cls_name] | {arg: value}
    assert_clear_error(getattr(N, cls_name), argument=arg, exc=NAMES, **kwargs)


@pytest.mark.parametrize("builder", ["resnet50", "resnet50_max", "resnet50_hybrid"])
def test_resnet50_builders_refuse_bad_arguments_before_building(builder: str) -> None:
    for kwargs, arg in (({"num_classes": 0}, "num_classes"), ({"dtype": torch.int64}, "dtype")):
        assert_clear_error(getattr(N, builder), argument=arg, **kwargs)


OPTIONS: list[tuple[Callable[..., Any], dict[str, Any], str, tuple[str, ...]]] = [
    (N.MLP, dict(in_features=4, hidden=[3], out_features=2), "activation", ("relu", "gelu")),
    (N.GatedMLP, dict(in_features=4, hidden=[4], out_features=2, num_blocks=2), "estimator",
     tuple(N.ESTIMATORS)),
    (N.KernelConv2d, dict(in_channels=1, out_channels=1, kernel_size=1), "kernel",
     ("polynomial", "gaussian")),
    (N.BottleneckResNet, dict(block="max", depths=(1,), widths=(2,), num_classes=2), "block",
     ("conv", "max", "hybrid")),
    (N.PfTransformerBlock, dict(dim=4, num_heads=1), "mixer", ("max", "attention")),
    (N.SNNKAdapter, dict(dim=4, bottleneck=2, num_features=4), "up_init", ("zeros", "normal")),
    (N.URFSNNK, dict(in_features=2, out_features=2, num_features=2), "activation",
     ("sin", "cos")),
    (N.StraightThroughBernoulli, {}, "variant", ("identity", "sigmoid")),
    (N.NoisyRectifier, {}, "noise_kind", ("logistic", "gaussian")),
    (N.ReinforceBernoulli, dict(num_units=2), "baseline", ("optimal", "mean", "none")),
    (N.TransformerEncoderBlock, dict(dim=4, num_heads=1), "activation", ("relu", "gelu")),
    (N.TransformerDecoder, dict(dim=4, num_heads=1, num_layers=1), "activation",
     ("relu", "gelu")),
    (N.ParaGRU, dict(input_size=2, hidden_size=2, num_heads=1), "mode",
     ("sequential", "parallel", "chunked")),
    (N.make_gate, dict(num_units=2), "estimator", tuple(N.ESTIMATORS)),
    (N.gate_bias_for_rate, dict(rate=0.5), "estimator", tuple(N.ESTIMATORS)),
    (N.convert_bn_relu_to_evonorm, dict(model=nn.Sequential()), "kind", ("B0", "S0")),
    (N.linear_scan, dict(a=torch.zeros(2, 3), b=torch.zeros(2, 3)), "structure",
     ("diag", "block", "dense")),
    (N.linear_scan, dict(a=torch.zeros(2, 3), b=torch.zeros(2, 3)), "method",
     ("sequential", "parallel", "chunked")),
    (N.straight_through_bernoulli, dict(a=torch.zeros(2)), "variant", ("identity", "sigmoid")),
    (N.noisy_rectifier, dict(a=torch.zeros(2)), "noise_kind", ("logistic", "gaussian")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fn", "good", "arg", "known"), OPTIONS, ids=lambda v: getattr(v, "__name__", None)
)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_unknown_option_strings_are_named(
    fn: Callable[..., Any], good: dict[str, Any], arg: str, known: tuple[str, ...], data: Any
) -> None:
    value = data.draw(unknown_names(known))
    assert_clear_error(fn, argument=arg, exc=NAMES, **(good | {arg: value}))


# ------------------------------------------------------------------------- functions

X = torch.zeros(3, 4)
I64 = torch.zeros(3, 4, dtype=torch.int64)
CELL = N.ParaGRU(4, 6, 2)
U = CELL.project(torch.zeros(2, 5, 4)).detach()
H0 = torch.zeros(2, CELL.state_size)
W_TPL, A_TPL = torch.zeros(3, 2, 3, 3), torch.ones(3, 2, 3, 3)
IMG = torch.zeros(1, 2, 5, 5)

SEQ, MEM = torch.zeros(2, 3, 4), torch.zeros(2, 4, 4)
DEC, CROSS = N.TransformerDecoderBlock(4, 1), N.TransformerDecoderBlock(4, 1, self_attention=False)

# (function, positional args, keyword args, the argument the error must name)
FUNCTION_ROWS: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any], str]] = [
    (N.spike, ([1.0],), {}, "v"),
    (N.spike, (I64,), {}, "v"),
    (N.spike, (X, NAN), {}, "threshold"),
    (N.spike, (X,), {"surrogate": True, "slope": -1.0}, "slope"),
    (N.int8_quantize, (I64,), {}, "w"),
    (N.int8_quantize, (X, 0.0), {}, "scale"),
    (N.int8_quantize, (X, NAN), {}, "scale"),
    (N.staircase, (I64,), {}, "x"),
    (N.staircase, (X, 1), {}, "levels"),
    (N.staircase, (X, 5, INF), {}, "scale"),
    (N.hard_argmax, ([1.0, 2.0],), {}, "scores"),
    (N.hard_argmax, (torch.tensor(1.0),), {}, "scores"),
    (N.hard_argmax, (X,), {"dim": 5}, "dim"),
    (N.hard_argmax, (torch.zeros(3, 0),), {}, "scores"),
    (N.arccos_kernel, (I64, X), {}, "x"),
    (N.arccos_kernel, (X, X.double()), {}, "w"),
    (N.arccos_kernel, (torch.zeros(4), X), {}, "x"),
    (N.arccos_kernel, (torch.zeros(3, 5), X), {}, "x"),
    (N.relu_features, (I64, torch.zeros(5, 4)), {}, "x"),
    (N.relu_features, (X, torch.zeros(5, 3)), {}, "x"),
    (N.relu_features, (X, torch.zeros(4)), {}, "projection"),
    (N.gaussian_projection, (0, 4), {}, "num_features"),
    (N.gaussian_projection, (3, 2.5), {}, "dim"),
    (N.gaussian_projection, (3, 4), {"generator": 0}, "generator"),
    (N.gaussian_projection, (3, 4), {"dtype": torch.int64}, "dtype"),
    (N.fourier_series_spectrum, (torch.tanh,), {"period": NAN, "num_terms": 3}, "period"),
    (N.fourier_series_spectrum, (torch.tanh,), {"period": 1.0, "num_terms": -1}, "num_terms"),
    (N.fourier_series_spectrum, (3,), {"period": 1.0, "num_terms": 2}, "f"),
    (N.fourier_series_spectrum, (lambda t: t * NAN,), {"period": 1.0, "num_terms": 2}, "f"),
    (N.fourier_series_spectrum, (lambda t: t[:3],), {"period": 1.0, "num_terms": 2}, "f"),
    (N.fourier_series_spectrum, (torch.tanh,), {"period": 1.0, "num_terms": 2, "num_samples": 4},
     "num_samples"),
    (N.urf_input_features, (I64, torch.zeros(5, 4), torch.ones(2)), {}, "x"),
    (N.urf_input_features, (X, torch.zeros(5, 3), torch.ones(2)), {}, "x"),
    (N.urf_input_features, (X, torch.zeros(5, 4), torch.ones(2, 2)), {}, "frequencies"),
    (N.urf_weight_features, (torch.zeros(2, 4), None, torch.zeros(5, 4), torch.ones(2),
                             torch.ones(3)), {}, "coefficients"),
    (N.urf_weight_features, (torch.zeros(2, 4), torch.zeros(3), torch.zeros(5, 4), torch.ones(2),
                             torch.ones(2, 2)), {}, "b"),
    (N.urf_weight_features, (I64[:2], None, torch.zeros(5, 4), torch.ones(2), torch.ones(2, 2)),
     {}, "w"),
    (N.ridge_head, (I64, torch.zeros(3, 2)), {}, "features"),
    (N.ridge_head, (torch.zeros(5, 3), torch.zeros(4, 2)), {}, "targets"),
    (N.ridge_head, (torch.randn(5, 3), torch.zeros(5, 2), -1.0), {}, "ridge"),
    (N.ridge_head, (torch.randn(5, 3), torch.zeros(5, 2), NAN), {}, "ridge"),
    (N.ridge_head, (torch.full((5, 3), NAN), torch.zeros(5, 2)), {}, "features"),
    (N.ridge_head, (torch.randn(5, 3), torch.full((5, 2), INF)), {}, "targets"),
    (N.ridge_head, (torch.zeros(0, 3), torch.zeros(0, 2)), {}, "features"),
    (N.gine_aggregate, (torch.zeros(4, 6), GRAPH.edge_index(), torch.zeros(1, 5, 6)), {}, "h"),
    (N.gine_aggregate, (torch.zeros(1, 4, 6), GRAPH.edge_index().float(), torch.zeros(1, 5, 6)),
     {}, "edge_index"),
    (N.gine_aggregate, (torch.zeros(1, 4, 6), GRAPH.edge_index() + 10, torch.zeros(1, 5, 6)),
     {}, "edge_index"),
    (N.gine_aggregate, (torch.zeros(1, 4, 6), GRAPH.edge_index(), torch.zeros(1, 4, 6)), {}, "e"),
    (N.sincos_embedding_2d, (torch.zeros(3, 2), 6), {}, "dim"),
    (N.sincos_embedding_2d, (torch.zeros(3, 3), 8), {}, "positions"),
    (N.sincos_embedding_2d, ([[0.0, 1.0]], 8), {}, "positions"),
    (N.sincos_embedding_2d, (torch.zeros(3, 2), 8, 0.0), {}, "temperature"),
    (N.sincos_embedding_2d, (torch.zeros(3, 2), 8, NAN), {}, "temperature"),
    (N.random_graph, (3, 10), {}, "num_edges"),
    (N.random_graph, (-1, 2), {}, "num_nodes"),
    (N.random_graph, (4, 3), {"generator": 1}, "generator"),
    (N.random_graph_population, (0,), {}, "count"),
    (N.random_graph_population, (2,), {"min_elements": 10, "max_elements": 5}, "max_elements"),
    (N.evonorm_groups, (0,), {}, "num_channels"),
    (N.evonorm_groups, (8, 0), {}, "max_groups"),
    (N.evonorm_groups, ("8",), {}, "num_channels"),
    (N.convert_bn_relu_to_evonorm, (3,), {}, "model"),
    (N.convert_bn_relu_to_evonorm, (nn.Sequential(),), {"groups": 0}, "groups"),
    (N.convert_bn_relu_to_evonorm, (nn.Sequential(),), {"eps": -1.0}, "eps"),
    (N.gate_bias_for_rate, ("sts", 1.0), {}, "rate"),
    (N.gate_bias_for_rate, ("sts", NAN), {}, "rate"),
    (N.gate_bias_for_rate, ("sts", True), {}, "rate"),
    (N.make_gate, ("sts", 0), {}, "num_units"),
    (N.make_gate, ("sts", 3), {"generator": 1}, "generator"),
    (N.num_parameters, (3,), {}, "module"),
    (N.weighted_l2_conv2d, (torch.zeros(2, 5, 5), W_TPL, A_TPL), {}, "x"),
    (N.weighted_l2_conv2d, (IMG.long(), W_TPL, A_TPL), {}, "x"),
    (N.weighted_l2_conv2d, (IMG, W_TPL, A_TPL[..., :2]), {}, "alpha"),
    (N.weighted_l2_conv2d, (torch.zeros(1, 3, 5, 5), W_TPL, A_TPL), {}, "weight"),
    (N.weighted_l2_conv2d, (IMG, W_TPL, A_TPL), {"stride": 0}, "stride"),
    (N.weighted_l2_conv2d, (IMG[..., :2, :2], W_TPL, A_TPL), {}, "x"),
    (N.weighted_l1_conv2d, (IMG, W_TPL, A_TPL), {"padding": -1}, "padding"),
    (N.weighted_l1_conv2d, (IMG, W_TPL.double(), A_TPL), {}, "weight"),
    (N.weighted_l1_conv2d, (IMG, W_TPL, A_TPL), {"max_chunk_elements": 0}, "max_chunk_elements"),
    (N.init_templates_from_data, (nn.Linear(2, 2), torch.zeros(2, 2)), {}, "model"),
    (N.init_templates_from_data, (N.WeightedL2Conv2d(2, 3, 3), torch.zeros(0, 2, 5, 5)), {}, "x"),
    (N.init_templates_from_data, (N.WeightedL2Conv2d(2, 3, 3), IMG), {"generator": 3},
     "generator"),
    (N.optimal_baseline, ([1.0], torch.zeros(3)), {}, "score"),
    (N.optimal_baseline, (I64, torch.zeros(3, 1)), {}, "score"),
    (N.optimal_baseline, (X, torch.zeros(4, 1)), {}, "loss"),
    (N.optimal_baseline, (X, torch.zeros(3, 1)), {"dim": 5}, "dim"),
    (N.uniform_noise, ([1.0],), {}, "like"),
    (N.uniform_noise, (I64,), {}, "like"),
    (N.uniform_noise, (X, 0), {}, "generator"),
    (N.straight_through_bernoulli, (X,), {"noise": torch.zeros(3)}, "noise"),
    (N.straight_through_bernoulli, (I64,), {}, "a"),
    (N.stochastic_times_smooth, (X,), {"noise": I64}, "noise"),
    (N.stochastic_times_smooth, ([0.0],), {}, "a"),
    (N.noisy_rectifier, (X,), {"scale": INF}, "scale"),
    (N.noisy_rectifier, (X,), {"scale": 0.0}, "scale"),
    (N.STBernoulliIdentity.apply, (I64, torch.zeros(3, 4)), {}, "a"),
    (N.STBernoulliIdentity.apply, ([1.0], torch.zeros(3)), {}, "a"),
    (N.STBernoulliSigmoid.apply, (X, torch.zeros(2)), {}, "u"),
    (N.linear_scan, ([1.0], torch.zeros(2, 3, 4)), {}, "a"),
    (N.linear_scan, (I64, I64), {}, "a"),
    (N.linear_scan, (torch.zeros(2, 3, 4), torch.zeros(2, 3, 5)), {}, "a"),
    (N.linear_scan, (torch.zeros(2, 3, 4), torch.zeros(2, 3, 4).double()), {}, "b"),
    (N.linear_scan, (torch.zeros(()), torch.zeros(())), {}, "b"),
    (N.linear_scan, (torch.zeros(2, 3), torch.zeros(2, 3)), {"method": "chunked", "chunk_size": 0},
     "chunk_size"),
    (N.newton_solve, (3, U, H0), {}, "cell"),
    (N.newton_solve, (CELL, [1.0], H0), {}, "u"),
    (N.newton_solve, (CELL, U, torch.zeros(2, 3)), {}, "h0"),
    (N.newton_solve, (CELL, U, None), {}, "h0"),
    (N.newton_solve, (CELL, U, H0, "config"), {}, "config"),
    (N.newton_solve, (CELL, U, H0), {"scan": "fast"}, "scan"),
    (N.newton_solve, (CELL, U.long(), H0), {}, "u"),
    (N.apply_recurrence, (3, U), {}, "cell"),
    (N.apply_recurrence, (CELL, torch.zeros(2, 5, 7)), {}, "u"),
    (N.apply_recurrence, (CELL, [1.0]), {}, "u"),
    (N.apply_recurrence, (CELL, U, torch.zeros(3)), {}, "h0"),
    (N.apply_recurrence, (CELL, U, H0.long()), {}, "h0"),
    (N.apply_recurrence, (CELL, U), {"newton": 3}, "newton"),
    (N.apply_recurrence, (CELL, U), {"mode": "chunked", "chunk_size": 0}, "chunk_size"),
    (N.causal_mask, (0,), {}, "length"),
    (N.causal_mask, (2.5,), {}, "length"),
    (N.sinusoidal_embedding, (torch.arange(3), 4), {}, "positions"),
    (N.sinusoidal_embedding, ([0.0, 1.0], 4), {}, "positions"),
    (N.sinusoidal_embedding, (torch.zeros(3), 3), {}, "dim"),
    (N.sinusoidal_embedding, (torch.zeros(3), 4), {"base": 1.0}, "base"),
    (N.sinusoidal_embedding, (torch.zeros(3), 4), {"base": NAN}, "base"),
    (N.TransformerEncoderBlock, (6, 4), {}, "dim"),
    (N.TransformerDecoderBlock, (4, 1), {"self_attention": False, "causal": True}, "causal"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fn", "args", "kwargs", "argument"),
    FUNCTION_ROWS,
    ids=[f"{getattr(r[0], '__qualname__', r[0])}-{r[3]}-{i}" for i, r in enumerate(FUNCTION_ROWS)],
)
def test_function_names_the_bad_argument(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], argument: str
) -> None:
    assert_clear_error(fn, *args, argument=argument, exc=NAMES, **kwargs)


# Forward calls of the transformer blocks with a memory (the LAYERS table feeds one argument).
TRANSFORMER_CALLS: list[tuple[nn.Module, tuple[Any, ...], dict[str, Any], str]] = [
    (DEC, (SEQ, MEM.double()), {}, "memory"),
    (DEC, (SEQ, MEM[:1]), {}, "memory"),
    (DEC, (SEQ, MEM[..., :3]), {}, "memory"),
    (DEC, (SEQ[0], MEM), {}, "x"),
    (DEC, (SEQ.long(), MEM), {}, "x"),
    (DEC, (SEQ, MEM), {"memory_key_padding_mask": torch.zeros(2, 4)}, "memory_key_padding_mask"),
    (DEC, (SEQ, MEM), {"memory_key_padding_mask": torch.zeros(2, 3, dtype=torch.bool)},
     "memory_key_padding_mask"),
    (DEC, (SEQ, MEM), {"key_padding_mask": torch.ones(2, 3, dtype=torch.bool)},
     "key_padding_mask"),
    (CROSS, (SEQ, MEM), {"key_padding_mask": torch.zeros(2, 3, dtype=torch.bool)},
     "key_padding_mask"),
    (N.TransformerDecoder(4, 1, 1), ([[0.0]], MEM), {}, "x"),
    (N.TransformerEncoderBlock(4, 1), (SEQ,), {"key_padding_mask": [[False] * 3] * 2},
     "key_padding_mask"),
]  # fmt: skip


@pytest.mark.parametrize(("module", "args", "kwargs", "argument"), TRANSFORMER_CALLS)
def test_transformer_forward_names_the_bad_argument(
    module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], argument: str
) -> None:
    assert_clear_error(module, *args, argument=argument, exc=NAMES, **kwargs)


@settings(max_examples=15, deadline=None)
@given(x=bad_dtype_tensors((3, 4)))
def test_elementwise_functions_refuse_non_float_dtypes(x: torch.Tensor) -> None:
    for fn, name in (
        (N.spike, "v"),
        (N.int8_quantize, "w"),
        (N.staircase, "x"),
        (N.hard_argmax, "scores"),
        (N.straight_through_bernoulli, "a"),
        (N.stochastic_times_smooth, "a"),
        (N.noisy_rectifier, "a"),
        (N.uniform_noise, "like"),
    ):
        assert_clear_error(fn, x, argument=name)


@settings(max_examples=15, deadline=None)
@given(features=nonfinite_tensors((6, 3), dtype=torch.float64))
def test_ridge_head_refuses_nonfinite_features(features: torch.Tensor) -> None:
    assert_clear_error(N.ridge_head, features, torch.zeros(6, 2), argument="features")


@settings(max_examples=10, deadline=None)
@given(ei=wrong_rank_tensors(2).map(lambda t: t.long()))
def test_gine_aggregate_refuses_wrong_rank_edge_index(ei: torch.Tensor) -> None:
    h, e = torch.zeros(1, 4, 6), torch.zeros(1, 5, 6)
    assert_clear_error(N.gine_aggregate, h, ei, e, argument="edge_index")


# ------------------------------------------------------------------------- documented NaN rules

SMOOTH = [
    "MLP", "LeNet", "EvoNormS0", "KernelConv2d", "WeightedL2Conv2d", "MaxPoolBottleneck",
    "PfTransformerBlock", "TransformerEncoderBlock", "ReLUSNNK", "SNNKAdapter", "NoisyRectifier", "StochasticTimesSmooth",
    "StraightThroughBernoulli",
]  # fmt: skip


@pytest.mark.parametrize("name", SMOOTH)
def test_nan_inputs_propagate_through_smooth_layers(name: str) -> None:
    # The documented policy: no value scan in forward; a NaN input shows up as NaN output.
    shape = LAYERS[name][1]
    x = torch.zeros(shape)
    x.view(-1)[0] = NAN
    module = layer(name).eval()
    try:
        assert bool(torch.isnan(module(x)).any()), name
    finally:
        module.train()


def test_hard_thresholds_follow_their_documented_nan_rules() -> None:
    v = torch.tensor([NAN, 2.0, 0.0])
    assert N.spike(v).tolist() == [0.0, 1.0, 0.0]  # NaN >= threshold is false: no spike
    one_hot = N.hard_argmax(torch.tensor([0.0, NAN, 1.0]))
    assert one_hot.tolist() == [0.0, 1.0, 0.0]  # NaN counts as the maximum (torch.argmax)


COVERED = (
    set(LAYERS)
    | set(CONSTRUCTORS)
    | {"GINEConv", "resnet50", "resnet50_max", "resnet50_hybrid"}
    | {fn.__self__.__name__ if hasattr(fn, "__self__") else fn.__name__ for fn, *_ in FUNCTION_ROWS}
)
