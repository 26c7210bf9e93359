"""Layers and architectures, each an ``nn.Module`` with PyTorch-style constructor arguments.

* :class:`MLP`, :class:`LeNet`: small reference models used by many papers' experiments.
* :func:`num_parameters`: count of trainable parameters.
* :mod:`nnatlas.nn.nondifferentiable`: the non-differentiable models of PolyStep (hard-LIF
  :class:`SpikingMLP`, :class:`Int8MLP`, :class:`StaircaseMLP`, argmax attention, hard
  mixture of experts), each with an optional surrogate backward.
* :mod:`nnatlas.nn.evonorm`: EvoNorm-B0/S0 normalization-activation layers (arXiv 2004.02967)
  and :func:`convert_bn_relu_to_evonorm`.
* :mod:`nnatlas.nn.parameter_free`: max-pool and hybrid bottlenecks, ResNet-50 builders and the
  max-pool token mixer (Learning Features with Parameter-Free Layers, arXiv 2202.02777).
* :mod:`nnatlas.nn.generalized_conv`: kernel and weighted L1/L2 distance convolutions (arXiv
  1707.09864).
* :mod:`nnatlas.nn.stochastic_neurons`: gradient estimators through stochastic neurons
  (Bengio, Léonard, Courville; arXiv 1308.3432): straight-through
  (:class:`StraightThroughBernoulli`), stochastic times smooth, noisy rectifier, REINFORCE with
  the per-unit optimal baseline (:class:`ReinforceBernoulli`). ``nnatlas.train`` and
  ``nnatlas.train.stochastic_neurons`` (the old location) re-export them.
* :mod:`nnatlas.nn.gated`: conditional computation with stochastic binary gates (same paper):
  :class:`GatedMLP`, :class:`GatedLayer`, any estimator of :data:`ESTIMATORS`.
* :mod:`nnatlas.nn.snnk`: Scalable Neural Network Kernels (arXiv 2310.13225): :class:`ReLUSNNK`,
  :class:`URFSNNK`, :class:`SNNKAdapter`, :class:`BundledSNNK` with the closed-form
  :func:`ridge_head`.
* :mod:`nnatlas.nn.graph_head`: the graph-structured head of G-SSNN (arXiv 2303.03340):
  :class:`GraphStructuredHead`, :class:`GINEConv`, :class:`GraphStructure`, random graph
  populations.
* :mod:`nnatlas.nn.transformer`: pre-norm transformer blocks shared by the multimodal operator
  learners (PROSE, MOL): :class:`TransformerEncoderBlock`, :class:`TransformerDecoderBlock`
  (optional causal self-attention, cross-attention), the stacks :class:`TransformerEncoder`,
  :class:`TransformerDecoder`, :func:`sinusoidal_embedding`, :func:`causal_mask`.
* :mod:`nnatlas.nn.pararnn`: ParaRNN (arXiv 2510.21450): nonlinear RNNs (:class:`ParaGRU`,
  :class:`ParaLSTM`) solved over the whole sequence by Newton iterations and a parallel scan.

Activation names are resolved by :mod:`nnatlas.nn.activations`, the one table every family
shares. Importing this package registers nothing; the conformance cases of these modules are in
:mod:`nnatlas.testing.cases.nn`.

Bad inputs: constructors reject bad sizes, non-finite or out-of-range reals, integer dtypes
and unknown option strings with a :class:`~nnatlas.core.errors.ConfigError`, ``TypeError`` or
:class:`~nnatlas.core.errors.UnknownNameError` naming the argument; forward passes reject
non-tensors, wrong shapes and dtypes other than the layer's the same way (metadata checks only,
so they cost no device synchronisation and work under ``torch.func.vmap``). Forward passes do
not scan their inputs' *values* for NaN/inf, as no ``torch.nn`` layer does: smooth layers
propagate a NaN to their output; the hard-threshold functions follow their comparison rule
(:func:`spike` gives no spike for a NaN potential, :func:`hard_argmax` treats NaN as the
maximum, as ``torch.argmax`` does). Solvers that would return garbage (:func:`ridge_head`)
refuse non-finite data.
"""

from __future__ import annotations

from nnatlas.nn.evonorm import EvoNormB0, EvoNormS0, convert_bn_relu_to_evonorm, evonorm_groups
from nnatlas.nn.gated import GatedLayer, GatedMLP, gate_bias_for_rate, make_gate
from nnatlas.nn.generalized_conv import (
    KernelConv2d,
    WeightedL1Conv2d,
    WeightedL2Conv2d,
    init_templates_from_data,
    weighted_l1_conv2d,
    weighted_l2_conv2d,
)
from nnatlas.nn.graph_head import (
    GINEConv,
    GraphStructure,
    GraphStructuredHead,
    gine_aggregate,
    random_graph,
    random_graph_population,
    sincos_embedding_2d,
)
from nnatlas.nn.models import MLP, LeNet, num_parameters
from nnatlas.nn.nondifferentiable import (
    ArgmaxAttention,
    ArgmaxAttentionClassifier,
    HardMoE,
    HardMoEClassifier,
    Int8Linear,
    Int8MLP,
    SpikingMLP,
    Staircase,
    StaircaseMLP,
    hard_argmax,
    int8_quantize,
    spike,
    staircase,
)
from nnatlas.nn.parameter_free import (
    BottleneckResNet,
    ConvBottleneck,
    HybridBottleneck,
    MaxPoolBottleneck,
    MaxPoolTokenMixer,
    PfTransformerBlock,
    resnet50,
    resnet50_hybrid,
    resnet50_max,
)
from nnatlas.nn.pararnn import (
    NewtonConfig,
    ParaGRU,
    ParaLSTM,
    RecurrentCell,
    apply_recurrence,
    linear_scan,
    newton_solve,
)
from nnatlas.nn.snnk import (
    URFSNNK,
    BundledSNNK,
    ReLUSNNK,
    SNNKAdapter,
    arccos_kernel,
    fourier_series_spectrum,
    gaussian_projection,
    relu_features,
    ridge_head,
    urf_input_features,
    urf_weight_features,
)
from nnatlas.nn.stochastic_neurons import (
    ESTIMATORS,
    NoisyRectifier,
    ReinforceBernoulli,
    STBernoulliIdentity,
    STBernoulliSigmoid,
    StochasticTimesSmooth,
    StraightThroughBernoulli,
    noisy_rectifier,
    optimal_baseline,
    stochastic_times_smooth,
    straight_through_bernoulli,
    uniform_noise,
)
from nnatlas.nn.transformer import (
    TransformerDecoder,
    TransformerDecoderBlock,
    TransformerEncoder,
    TransformerEncoderBlock,
    causal_mask,
    sinusoidal_embedding,
)

__all__ = [
    "ESTIMATORS",
    "MLP",
    "URFSNNK",
    "ArgmaxAttention",
    "ArgmaxAttentionClassifier",
    "BottleneckResNet",
    "BundledSNNK",
    "ConvBottleneck",
    "EvoNormB0",
    "EvoNormS0",
    "GINEConv",
    "GatedLayer",
    "GatedMLP",
    "GraphStructure",
    "GraphStructuredHead",
    "HardMoE",
    "HardMoEClassifier",
    "HybridBottleneck",
    "Int8Linear",
    "Int8MLP",
    "KernelConv2d",
    "LeNet",
    "MaxPoolBottleneck",
    "MaxPoolTokenMixer",
    "NewtonConfig",
    "NoisyRectifier",
    "ParaGRU",
    "ParaLSTM",
    "PfTransformerBlock",
    "ReLUSNNK",
    "RecurrentCell",
    "ReinforceBernoulli",
    "SNNKAdapter",
    "STBernoulliIdentity",
    "STBernoulliSigmoid",
    "SpikingMLP",
    "Staircase",
    "StaircaseMLP",
    "StochasticTimesSmooth",
    "StraightThroughBernoulli",
    "TransformerDecoder",
    "TransformerDecoderBlock",
    "TransformerEncoder",
    "TransformerEncoderBlock",
    "WeightedL1Conv2d",
    "WeightedL2Conv2d",
    "apply_recurrence",
    "arccos_kernel",
    "causal_mask",
    "convert_bn_relu_to_evonorm",
    "evonorm_groups",
    "fourier_series_spectrum",
    "gate_bias_for_rate",
    "gaussian_projection",
    "gine_aggregate",
    "hard_argmax",
    "init_templates_from_data",
    "int8_quantize",
    "linear_scan",
    "make_gate",
    "newton_solve",
    "noisy_rectifier",
    "num_parameters",
    "optimal_baseline",
    "random_graph",
    "random_graph_population",
    "relu_features",
    "resnet50",
    "resnet50_hybrid",
    "resnet50_max",
    "ridge_head",
    "sincos_embedding_2d",
    "sinusoidal_embedding",
    "spike",
    "staircase",
    "stochastic_times_smooth",
    "straight_through_bernoulli",
    "uniform_noise",
    "urf_input_features",
    "urf_weight_features",
    "weighted_l1_conv2d",
    "weighted_l2_conv2d",
]
