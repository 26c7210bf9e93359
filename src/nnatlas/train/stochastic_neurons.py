"""Old location of the stochastic-neuron estimators, kept so existing imports keep working.

The estimators of "Estimating or Propagating Gradients Through Stochastic Neurons for
Conditional Computation" (Bengio, Léonard, Courville; arXiv 1308.3432) are layers, so they live
in :mod:`nnatlas.nn.stochastic_neurons` (``nnatlas.nn`` must not depend on ``nnatlas.train``).
This module re-exports the same objects: ``nnatlas.train.stochastic_neurons.X is
nnatlas.nn.stochastic_neurons.X`` for every public name. New code should import from
``nnatlas.nn``.
"""

from __future__ import annotations

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

__all__ = [
    "ESTIMATORS",
    "NoisyRectifier",
    "ReinforceBernoulli",
    "STBernoulliIdentity",
    "STBernoulliSigmoid",
    "StochasticTimesSmooth",
    "StraightThroughBernoulli",
    "noisy_rectifier",
    "optimal_baseline",
    "stochastic_times_smooth",
    "straight_through_bernoulli",
    "uniform_noise",
]
