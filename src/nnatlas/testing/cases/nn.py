"""Conformance cases of ``nnatlas.nn``: one small example instance of every layer and model.

Each case builds a fresh module in the requested dtype and feeds it seeded inputs from
:mod:`nnatlas.testing.inputs`, so two calls give the same tensors whatever the global RNG did.
Imported by :func:`nnatlas.testing.load_all`, never by ``import nnatlas.nn``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nnatlas.nn.evonorm import EvoNormB0, EvoNormS0
from nnatlas.nn.gated import GatedMLP
from nnatlas.nn.generalized_conv import KernelConv2d, WeightedL1Conv2d, WeightedL2Conv2d
from nnatlas.nn.graph_head import (
    GINEConv,
    GraphStructure,
    GraphStructuredHead,
    random_graph_population,
)
from nnatlas.nn.models import MLP, LeNet
from nnatlas.nn.nondifferentiable import (
    ArgmaxAttentionClassifier,
    HardMoEClassifier,
    Int8MLP,
    SpikingMLP,
    StaircaseMLP,
)
from nnatlas.nn.parameter_free import (
    BottleneckResNet,
    HybridBottleneck,
    MaxPoolBottleneck,
    PfTransformerBlock,
)
from nnatlas.nn.pararnn import ParaGRU, ParaLSTM
from nnatlas.nn.snnk import URFSNNK, BundledSNNK, ReLUSNNK, SNNKAdapter, fourier_series_spectrum
from nnatlas.nn.stochastic_neurons import (
    ESTIMATORS,
    NoisyRectifier,
    ReinforceBernoulli,
    StochasticTimesSmooth,
    StraightThroughBernoulli,
)
from nnatlas.testing.catalog import register_module_case
from nnatlas.testing.inputs import randn, seeded_inputs

# -- models -------------------------------------------------------------------------------

register_module_case(
    "MLP", build=lambda dt: MLP(6, [8, 8], 3, dtype=dt), inputs=seeded_inputs((4, 6))
)
register_module_case(
    "MLP-gelu-image-input",
    build=lambda dt: MLP(12, [5], 2, activation="gelu", dtype=dt),
    inputs=seeded_inputs((3, 1, 3, 4)),
)
register_module_case(
    "LeNet-8x8-batchnorm",
    build=lambda dt: LeNet(1, 10, image_size=8, batch_norm=True, dtype=dt),
    inputs=seeded_inputs((4, 1, 8, 8)),
)
register_module_case(
    "LeNet-28x28",
    build=lambda dt: LeNet(1, 10, image_size=28, dtype=dt),
    inputs=seeded_inputs((2, 1, 28, 28)),
)

# -- EvoNorm ------------------------------------------------------------------------------

register_module_case(
    "EvoNormB0", build=lambda dt: EvoNormB0(6, dtype=dt), inputs=seeded_inputs((4, 6, 5, 5))
)
register_module_case(
    "EvoNormB0-affine",
    build=lambda dt: EvoNormB0(6, nonlinearity=False, dtype=dt),
    inputs=seeded_inputs((4, 6, 3, 3)),
)
register_module_case(
    "EvoNormS0-groups3",
    build=lambda dt: EvoNormS0(6, groups=4, dtype=dt),
    inputs=seeded_inputs((3, 6, 4, 5)),
)
register_module_case(
    "EvoNormS0-affine",
    build=lambda dt: EvoNormS0(6, nonlinearity=False, dtype=dt),
    inputs=seeded_inputs((3, 6, 4, 4)),
)

# -- generalized convolutions -------------------------------------------------------------

register_module_case(
    "WeightedL2Conv2d",
    build=lambda dt: WeightedL2Conv2d(2, 3, 3, padding=1, bias=True, dtype=dt),
    inputs=seeded_inputs((2, 2, 5, 5)),
)
register_module_case(
    "WeightedL1Conv2d-strided",
    build=lambda dt: WeightedL1Conv2d(
        2, 3, (3, 2), stride=2, padding=1, bias=True, max_chunk_elements=40, dtype=dt
    ),
    inputs=seeded_inputs((2, 2, 5, 6)),
)
register_module_case(
    "KernelConv2d-polynomial",
    build=lambda dt: KernelConv2d(2, 3, 3, kernel="polynomial", degree=3, dtype=dt),
    inputs=seeded_inputs((2, 2, 5, 5)),
)
register_module_case(
    "KernelConv2d-gaussian",
    build=lambda dt: KernelConv2d(2, 3, 3, padding=1, kernel="gaussian", bias=True, dtype=dt),
    inputs=seeded_inputs((2, 2, 4, 4)),
)

# -- graph-structured head ----------------------------------------------------------------

_GRAPH = GraphStructure(4, ((0, 1), (1, 2), (2, 0), (3, 2), (0, 3)))


def _gine_inputs(dtype: torch.dtype) -> tuple[Tensor, ...]:
    h = randn(2, _GRAPH.num_nodes, 6, dtype=dtype, seed=0)
    e = randn(2, _GRAPH.num_edges, 6, dtype=dtype, seed=1)
    return h, _GRAPH.edge_index(), e


register_module_case(
    "GraphStructuredHead",
    build=lambda dt: GraphStructuredHead(12, 2, _GRAPH, hidden=8, dtype=dt),
    inputs=seeded_inputs((3, 12)),
)
register_module_case(
    "GINEConv", build=lambda dt: GINEConv(6, eps=0.1, dtype=dt), inputs=_gine_inputs
)
register_module_case(
    "GraphStructuredHead-random-graph",
    build=lambda dt: GraphStructuredHead(
        20, 1, random_graph_population(1, seed=3)[0], hidden=12, num_layers=2, dropout=0.0,
        dtype=dt,
    ),
    inputs=seeded_inputs((2, 20)),
)  # fmt: skip

# -- non-differentiable models (with their surrogate backward) ----------------------------

register_module_case(
    "SpikingMLP-surrogate",
    build=lambda dt: SpikingMLP(6, 8, 3, num_steps=4, surrogate=True, dtype=dt),
    inputs=seeded_inputs((5, 6), scale=3.0),
)
register_module_case(
    "Int8MLP-surrogate",
    build=lambda dt: Int8MLP(6, 8, 3, surrogate=True, dtype=dt),
    inputs=seeded_inputs((5, 6)),
)
register_module_case(
    "StaircaseMLP-surrogate",
    build=lambda dt: StaircaseMLP(6, 8, 3, surrogate=True, dtype=dt),
    inputs=seeded_inputs((5, 6), scale=3.0),
)
register_module_case(
    "ArgmaxAttentionClassifier-surrogate",
    build=lambda dt: ArgmaxAttentionClassifier(4, 3, 8, 3, surrogate=True, dtype=dt),
    inputs=seeded_inputs((5, 12)),
)
register_module_case(
    "HardMoEClassifier-surrogate",
    build=lambda dt: HardMoEClassifier(6, 8, 3, num_experts=3, surrogate=True, dtype=dt),
    inputs=seeded_inputs((16, 6)),
)

# -- parameter-free layers ----------------------------------------------------------------

register_module_case(
    "MaxPoolBottleneck-stride2",
    build=lambda dt: MaxPoolBottleneck(8, 4, 2, dtype=dt),
    inputs=seeded_inputs((3, 8, 5, 5)),
)
register_module_case(
    "HybridBottleneck-stride2",
    build=lambda dt: HybridBottleneck(8, 4, 2, dtype=dt),
    inputs=seeded_inputs((3, 8, 4, 4)),
)
register_module_case(
    "BottleneckResNet-hybrid-small",
    build=lambda dt: BottleneckResNet(
        "hybrid", (1, 1), (4, 8), num_classes=3, in_channels=1, stem="small", stem_channels=8,
        dtype=dt,
    ),
    inputs=seeded_inputs((3, 1, 8, 8)),
)  # fmt: skip
register_module_case(
    "PfTransformerBlock-max",
    build=lambda dt: PfTransformerBlock(8, 2, mixer="max", dtype=dt),
    inputs=seeded_inputs((2, 9, 8)),
)

# -- ParaRNN ------------------------------------------------------------------------------

for _mode in ("sequential", "parallel", "chunked"):
    register_module_case(
        f"ParaGRU-{_mode}",
        build=lambda dt, m=_mode: ParaGRU(4, 6, 2, mode=m, dtype=dt),
        inputs=seeded_inputs((3, 7, 4)),
    )
    register_module_case(
        f"ParaLSTM-{_mode}",
        build=lambda dt, m=_mode: ParaLSTM(4, 6, 2, mode=m, dtype=dt),
        inputs=seeded_inputs((3, 7, 4)),
    )

# -- SNNK ---------------------------------------------------------------------------------

register_module_case(
    "ReLUSNNK", build=lambda dt: ReLUSNNK(6, 5, 16, dtype=dt), inputs=seeded_inputs((4, 6))
)
register_module_case(
    "ReLUSNNK-orthogonal-3d",
    build=lambda dt: ReLUSNNK(6, 3, 10, orthogonal=True, bias=False, dtype=dt),
    inputs=seeded_inputs((2, 4, 6)),
)
# Small inputs: the sin/cos features of a 0.3-scaled input stay in the well-resolved range.
register_module_case(
    "URFSNNK-sin",
    build=lambda dt: URFSNNK(5, 4, 8, activation="sin", dtype=dt),
    inputs=seeded_inputs((3, 5), scale=0.3),
)
register_module_case(
    "URFSNNK-fourier-orthogonal",
    build=lambda dt: URFSNNK(
        5, 2, 6, activation=fourier_series_spectrum(torch.tanh, period=8.0, num_terms=3),
        orthogonal=True, dtype=dt,
    ),
    inputs=seeded_inputs((3, 5), scale=0.3),
)  # fmt: skip
register_module_case(
    "SNNKAdapter",
    build=lambda dt: SNNKAdapter(6, 3, 8, up_init="normal", dtype=dt),
    inputs=seeded_inputs((2, 3, 6)),
)
register_module_case(
    "BundledSNNK-relu",
    build=lambda dt: BundledSNNK(6, 3, 12, dtype=dt),
    inputs=seeded_inputs((4, 6)),
)
register_module_case(
    "BundledSNNK-cos",
    build=lambda dt: BundledSNNK(6, 3, 4, activation="cos", dtype=dt),
    inputs=seeded_inputs((4, 6), scale=0.3),
)

# -- stochastic neurons and gated conditional computation ---------------------------------


def _after_linear(neuron: nn.Module, dtype: torch.dtype) -> nn.Module:
    # A linear layer in front, so the battery checks that the estimator's gradient reaches it.
    return nn.Sequential(nn.Linear(5, 5, dtype=dtype), neuron)


register_module_case(
    "StraightThroughBernoulli-identity",
    build=lambda dt: _after_linear(StraightThroughBernoulli("identity"), dt),
    inputs=seeded_inputs((6, 5)),
)
register_module_case(
    "StraightThroughBernoulli-sigmoid",
    build=lambda dt: _after_linear(StraightThroughBernoulli("sigmoid"), dt),
    inputs=seeded_inputs((6, 5)),
)
register_module_case(
    "StochasticTimesSmooth",
    build=lambda dt: _after_linear(StochasticTimesSmooth(), dt),
    inputs=seeded_inputs((6, 5)),
)
register_module_case(
    "NoisyRectifier",
    build=lambda dt: _after_linear(NoisyRectifier(), dt),
    inputs=seeded_inputs((6, 5)),
)
# REINFORCE sends no pathwise gradient through its sample (a layer in front would learn only
# through surrogate(), which the battery does not call), so the case is the bare module.
register_module_case(
    "ReinforceBernoulli",
    build=lambda dt: ReinforceBernoulli(5, dtype=dt),
    inputs=seeded_inputs((6, 5)),
)

# REINFORCE gaters learn only through auxiliary_loss(), not through the output.
_REINFORCE_GATERS = tuple(
    f"layers.{i}.gater.{kind}" for i in range(2) for kind in ("weight", "bias")
)
for _estimator in ESTIMATORS:
    register_module_case(
        f"GatedMLP-{_estimator}",
        build=lambda dt, e=_estimator: GatedMLP(6, [8, 8], 3, 4, e, dtype=dt),
        inputs=seeded_inputs((5, 6)),
        frozen_ok=_REINFORCE_GATERS if _estimator == "reinforce" else (),
    )

# -- transformer blocks (shared by PROSE and MOL) -----------------------------------------

from nnatlas.nn.transformer import (  # noqa: E402
    TransformerDecoder,
    TransformerDecoderBlock,
    TransformerEncoder,
    TransformerEncoderBlock,
)

register_module_case(
    "TransformerEncoderBlock",
    build=lambda dt: TransformerEncoderBlock(8, 2, dtype=dt),
    inputs=seeded_inputs((3, 5, 8)),
)
register_module_case(
    "TransformerEncoder-causal",
    build=lambda dt: TransformerEncoder(8, 2, 2, ffn_dim=12, causal=True, dtype=dt),
    inputs=seeded_inputs((2, 4, 8)),
)
register_module_case(
    "TransformerDecoderBlock",
    build=lambda dt: TransformerDecoderBlock(8, 2, causal=True, dtype=dt),
    inputs=seeded_inputs((3, 5, 8), (3, 4, 8)),
)
register_module_case(
    "TransformerDecoder-cross-only",
    build=lambda dt: TransformerDecoder(8, 2, 2, self_attention=False, dtype=dt),
    inputs=seeded_inputs((2, 6, 8), (2, 3, 8)),
)
