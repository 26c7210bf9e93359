"""Training rules that are not optimizers.

* :mod:`nnatlas.train.subspace`: random-subspace training θ = θ₀ + P z (Li et al. 2018),
  with dense, sparse and Fastfood projections.
* :mod:`nnatlas.train.intrinsic_dimension`: the search for the intrinsic dimension d_int.
* :mod:`nnatlas.train.loop`: a minimal supervised training loop shared by reproductions.
* :mod:`nnatlas.train.callbacks`: the per-epoch callback protocol (probes watch training).
"""

from __future__ import annotations

from nnatlas.train.callbacks import Callback, run_callbacks
from nnatlas.train.intrinsic_dimension import (
    IntrinsicDimensionResult,
    direct_training_score,
    intrinsic_dimension,
    subspace_training_score,
)
from nnatlas.train.loop import accuracy, fit
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
    "DenseProjection",
    "FastfoodProjection",
    "IdentityProjection",
    "IntrinsicDimensionResult",
    "Projection",
    "SparseProjection",
    "SubspaceModel",
    "accuracy",
    "direct_training_score",
    "fit",
    "fwht",
    "intrinsic_dimension",
    "make_projection",
    "run_callbacks",
    "subspace_training_score",
]
