"""Conformance cases of ``nnatlas.optim``: each optimizer with settings that converge.

Imported by :func:`nnatlas.testing.load_all`, never by ``import nnatlas.optim``.
"""

from __future__ import annotations

from nnatlas.optim import SPSA, OpenAIES, PolyStep
from nnatlas.testing.catalog import register_optimizer_case

# Full-space mode with a decaying cosine radius: fixed radii only hover at radius scale, and the
# orthoplex's antipodal vertex pairs keep the barycentre unbiased in the narrow Rosenbrock valley.
register_optimizer_case(
    "PolyStep",
    build=lambda params: PolyStep(
        params,
        subspace="full",
        polytope="orthoplex",
        epsilon=0.05,
        step_radius=(0.05, 1e-4),
        probe_radius=(0.05, 1e-4),
        total_steps=500,
        scale_cost="max",
        seed=0,
    ),
    steps=500,
)
register_optimizer_case(
    "OpenAIES",
    build=lambda params: OpenAIES(params, lr=0.02, sigma=0.01, population_size=20, seed=0),
    steps=800,
)
# Spall's decaying gains (alpha=0.602, gamma=0.101) stall in the Rosenbrock valley within a few
# thousand steps; constant gains with a per-coordinate step clip reach both tolerances, but
# need 4,000 steps (8,000 evaluations) instead of the battery's default 2,000.
register_optimizer_case(
    "SPSA",
    build=lambda params: SPSA(
        params,
        lr=0.02,
        perturbation=1e-3,
        alpha=0.0,
        gamma=0.0,
        num_perturbations=2,
        max_step=0.01,
        seed=0,
    ),
    steps=4000,
)
