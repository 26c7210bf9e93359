"""Training rules that are not optimizers.

* :mod:`nnatlas.train.subspace`: random-subspace training θ = θ₀ + P z (Li et al. 2018),
  with dense, sparse and Fastfood projections.
* :mod:`nnatlas.train.intrinsic_dimension`: the search for the intrinsic dimension d_int.
* :mod:`nnatlas.train.loop`: the family's supervised training loop (:func:`fit`) and its
  evaluation helpers (:func:`accuracy`, :func:`evaluate_loss`), shared by the reproductions.
* :mod:`nnatlas.train.callbacks`: the per-epoch callback protocol (probes watch training).
* :mod:`nnatlas.train.noprop`: NoProp-DT/CT/FM (arXiv 2503.24322), block-local denoising.
* :mod:`nnatlas.train.convex_relu`: convex training of two-layer ReLU networks by ADMM and the
  robust L∞ program (arXiv 2201.01965).
* :mod:`nnatlas.train.gated_relu`: the same paper's sampled-convex-program route, the gated
  ReLU program solved by FISTA (squared or logistic loss).
* Gradient estimators through stochastic neurons (Bengio, Léonard, Courville; arXiv
  1308.3432) now live in :mod:`nnatlas.nn.stochastic_neurons`; their names are re-exported here
  (and from :mod:`nnatlas.train.stochastic_neurons`, the old location) so old imports work.
"""

from __future__ import annotations

from nnatlas.train.callbacks import Callback, run_callbacks
from nnatlas.train.convex_relu import (
    ConvexReLUSolution,
    ConvexReLUWarning,
    adam_two_layer,
    admm_convex_relu,
    convex_objective,
    cvxpy_reference,
    max_arrangements,
    network_objective,
    pgd_attack,
    robust_convex_relu,
    sample_arrangements,
)
from nnatlas.train.gated_relu import (
    GatedReLU,
    GatedReLUSolution,
    gated_relu_cvxpy,
    gated_relu_fista,
    gated_relu_objective,
    sample_gates,
)
from nnatlas.train.intrinsic_dimension import (
    IntrinsicDimensionResult,
    direct_training_score,
    intrinsic_dimension,
    subspace_training_score,
)
from nnatlas.train.loop import accuracy, evaluate_loss, fit
from nnatlas.train.noprop import (
    ConvBlock,
    MLPBlock,
    MonotoneSchedule,
    NoPropCT,
    NoPropDT,
    NoPropFM,
    class_prototypes,
    cosine_alpha_bar,
    saved_activation_bytes,
    time_features,
)
from nnatlas.train.stochastic_neurons import (
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
from nnatlas.train.subspace import (
    PROJECTION_KINDS,
    DenseProjection,
    FastfoodProjection,
    IdentityProjection,
    Projection,
    SparseProjection,
    SubspaceModel,
    fwht,
    make_projection,
)

__all__ = [
    "PROJECTION_KINDS",
    "Callback",
    "ConvBlock",
    "ConvexReLUSolution",
    "ConvexReLUWarning",
    "DenseProjection",
    "FastfoodProjection",
    "GatedReLU",
    "GatedReLUSolution",
    "IdentityProjection",
    "IntrinsicDimensionResult",
    "MLPBlock",
    "MonotoneSchedule",
    "NoPropCT",
    "NoPropDT",
    "NoPropFM",
    "NoisyRectifier",
    "Projection",
    "ReinforceBernoulli",
    "STBernoulliIdentity",
    "STBernoulliSigmoid",
    "SparseProjection",
    "StochasticTimesSmooth",
    "StraightThroughBernoulli",
    "SubspaceModel",
    "accuracy",
    "adam_two_layer",
    "admm_convex_relu",
    "class_prototypes",
    "convex_objective",
    "cosine_alpha_bar",
    "cvxpy_reference",
    "direct_training_score",
    "evaluate_loss",
    "fit",
    "fwht",
    "gated_relu_cvxpy",
    "gated_relu_fista",
    "gated_relu_objective",
    "intrinsic_dimension",
    "make_projection",
    "max_arrangements",
    "network_objective",
    "noisy_rectifier",
    "optimal_baseline",
    "pgd_attack",
    "robust_convex_relu",
    "run_callbacks",
    "sample_arrangements",
    "sample_gates",
    "saved_activation_bytes",
    "stochastic_times_smooth",
    "straight_through_bernoulli",
    "subspace_training_score",
    "time_features",
    "uniform_noise",
]
