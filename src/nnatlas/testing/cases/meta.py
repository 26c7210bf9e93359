"""Conformance cases of ``nnatlas.meta``: the RAML multi-view fusion layer (both computations).

Imported by :func:`nnatlas.testing.load_all`, never by ``import nnatlas.meta``. The encoder wraps
a pretrained model and the baselines are functions, so they have no case.
"""

from __future__ import annotations

from nnatlas.meta import MultiViewFusion
from nnatlas.testing.catalog import register_module_case
from nnatlas.testing.inputs import seeded_inputs

register_module_case(
    "MultiViewFusion-factored",
    build=lambda dt: MultiViewFusion(8, 2, dtype=dt),
    inputs=seeded_inputs((3, 8), (2, 4, 5, 8)),
    # the key bias adds one constant to every token's score of a prototype, which the softmax
    # cancels: the factored form drops it (the textbook form gives it a zero gradient up to
    # rounding)
    frozen_ok=("key.bias",),
)
register_module_case(
    "MultiViewFusion-textbook",
    build=lambda dt: MultiViewFusion(8, 4, factored=False, dtype=dt),
    inputs=seeded_inputs((5, 8), (3, 2, 6, 8)),
)
