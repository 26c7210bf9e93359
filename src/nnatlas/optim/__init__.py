"""Optimizers in the ``torch.optim`` protocol, including gradient-free ones.

* :class:`PolyStep`: optimal-transport direct search in a low-rank subspace (Le, 2026,
  "Training Non-Differentiable Networks via Optimal Transport", arXiv 2605.01928), with its
  building blocks :func:`polytope_vertices`, :func:`haar_rotations` and
  :func:`transport_weights`.
* :class:`OpenAIES`: the OpenAI evolution strategy (Salimans et al., 2017, arXiv 1703.03864).
* :class:`SPSA`: simultaneous-perturbation stochastic approximation (Spall, 1992).
* :class:`ModelClosure`: a closure for any ``nn.Module`` + loss that also scores stacks of
  candidate parameters in one vectorised call (``vmap`` over ``functional_call``); the
  :class:`BatchedClosure` protocol it implements; :func:`evaluate_candidates`.

Importing this package registers nothing; the optimizers' conformance cases are in
:mod:`nnatlas.testing.cases.optim`.
"""

from __future__ import annotations

from nnatlas.optim._batched import BatchedClosure, ModelClosure, evaluate_candidates
from nnatlas.optim.es import SPSA, OpenAIES, centered_ranks
from nnatlas.optim.polystep import PolyStep, haar_rotations, polytope_vertices, transport_weights

__all__ = [
    "SPSA",
    "BatchedClosure",
    "ModelClosure",
    "OpenAIES",
    "PolyStep",
    "centered_ranks",
    "evaluate_candidates",
    "haar_rotations",
    "polytope_vertices",
    "transport_weights",
]
