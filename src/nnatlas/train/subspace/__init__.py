"""Random-subspace training: θ = θ₀ + P z with only z ∈ R^d trainable.

Paper: Chunyuan Li, Heerad Farkhoor, Rosanne Liu, Jason Yosinski, "Measuring the Intrinsic
Dimension of Objective Landscapes", ICLR 2018, arXiv:1804.08838.

Method. A network with D parameters is trained only inside a random d-dimensional affine
subspace of its parameter space: the initial parameters θ₀ are frozen, a fixed random
matrix P ∈ R^{D×d} is drawn, and the optimiser updates z ∈ R^d (starting at 0) in
θ = θ₀ + P z. Sweeping d and recording the smallest d at which the trained model reaches a
given fraction of the directly trained model's performance gives the "intrinsic dimension"
of the objective landscape (see :mod:`nnatlas.train.intrinsic_dimension`). Every
parameter (weights, biases, normalisation scales) is a slice of the one projected vector.

This module provides the projections (dense Gaussian, very sparse, Fastfood, identity) as
``nn.Module`` s mapping z ↦ P z, and :class:`SubspaceModel`, which wraps any ``nn.Module``
so that its only trainable parameter is z.

Deviations from the paper and its official TensorFlow code:

* Normalisation. Dense and sparse P have columns (basis vectors of the subspace, of length
  D, across all layers jointly) of exactly unit norm, as in the official code. The
  Fastfood map keeps the official divisor, which we show gives columns of unit norm in
  expectation (E‖P z‖² = ‖z‖² for every z, see :class:`FastfoodProjection`), so one learning
  rate transfers across the three kinds.
* Learning rate. With unit-norm columns a unit step in z moves θ by a unit distance spread
  over D coordinates, so the learning rate on z must be about 100x the usual one: on
  scikit-learn digits with an MLP, Adam with lr 0.1 on z worked for dense P, whereas lr 3e-3
  failed to reach 90% of direct training even at d = 320 (the project's measurements; lr
  0.03 to 0.1 was best for d in 20..320, 0.01 and 1.0 were worse). Adam moves every
  coordinate of z by about lr per step, so ‖Δθ‖ ≈ lr √d and lr ≈ 0.5 / √d is a fair start.
* Sparse matvec. P is stored as a coalesced ``torch.sparse_coo_tensor`` (memory O(nnz)),
  but by default the product is computed as a gather/scatter (``index_add``) over its
  indices and values, which on CPU is several times faster than ``torch.sparse.mm`` and
  composes with ``torch.func``; ``matvec="torch.sparse"`` selects ``torch.sparse.mm``.
* Sparse columns that happen to draw no non-zero entry (probability (1 - s)^D) get one
  ±1 entry at a random row, so every column has unit norm; the official code would divide
  by zero there.
* Fast Walsh–Hadamard transform. Pure PyTorch, differentiable, with ``block`` butterfly
  levels fused into one small dense Hadamard matmul per stage (16 by default, about 3x
  faster than radix-2 on CPU); ``block=2`` is the textbook radix-2 butterfly.

Layout: :mod:`~nnatlas.train.subspace.projection` (the :class:`Projection` base),
one module per projection (:mod:`~nnatlas.train.subspace.dense`,
:mod:`~nnatlas.train.subspace.sparse`, :mod:`~nnatlas.train.subspace.fastfood`,
:mod:`~nnatlas.train.subspace.identity`), :mod:`~nnatlas.train.subspace.hadamard`
(:func:`fwht`), :mod:`~nnatlas.train.subspace.factory` (:func:`make_projection`) and
:mod:`~nnatlas.train.subspace.wrapper` (:class:`SubspaceModel`).
"""

from __future__ import annotations

from nnatlas.train.subspace.dense import DenseProjection
from nnatlas.train.subspace.factory import PROJECTION_KINDS, make_projection
from nnatlas.train.subspace.fastfood import FastfoodProjection
from nnatlas.train.subspace.hadamard import fwht
from nnatlas.train.subspace.identity import IdentityProjection
from nnatlas.train.subspace.projection import Projection
from nnatlas.train.subspace.sparse import SparseProjection
from nnatlas.train.subspace.wrapper import SubspaceModel

__all__ = [
    "PROJECTION_KINDS",
    "DenseProjection",
    "FastfoodProjection",
    "IdentityProjection",
    "Projection",
    "SparseProjection",
    "SubspaceModel",
    "fwht",
    "make_projection",
]
