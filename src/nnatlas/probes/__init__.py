"""Probes: functions of a network's features, usable on any model and as training callbacks.

* :mod:`nnatlas.probes.features`: take any layer's outputs by name (forward hooks).
* :mod:`nnatlas.probes.nap`, :mod:`nnatlas.probes.verify`: neural activation patterns (Geng et al.
  2023) and sound/exact checks of NAP specifications (``verify`` is a subpackage: IBP, CROWN,
  MILP, PGD, certified radius, one module each).
* :mod:`nnatlas.probes.dse`: diffusion spectral entropy and mutual information (Liao et al. 2023),
  with binned and kNN entropy/MI baselines.
* :mod:`nnatlas.probes.callbacks`: :class:`ProbeCallback`, a probe computed every epoch
  (reported through its ``on_log`` argument; the family never imports ``nnatlas.runs``).
"""

from nnatlas.probes.callbacks import ProbeCallback
from nnatlas.probes.dse import (
    binned_entropy,
    binned_mutual_information,
    diffusion_eigenvalues,
    diffusion_matrix,
    diffusion_spectral_entropy,
    diffusion_spectral_mutual_information,
    discretize_labels,
    knn_mutual_information,
    median_distance,
    pairwise_squared_distances,
    resolve_sigma,
    spectral_entropy,
)
from nnatlas.probes.features import capture_features, extract_features, layer_names
from nnatlas.probes.nap import (
    NAP,
    NAPStats,
    ReluLayers,
    activation_patterns,
    mine_naps,
    mine_naps_from_patterns,
    nap_statistics,
    non_ambiguity,
    relu_layers,
)
from nnatlas.probes.verify import (
    IntervalBounds,
    MarginResult,
    PGDResult,
    affine_layers,
    certified_radius,
    crown_margin_lower_bounds,
    forward_margins,
    interval_bounds,
    margin_lower_bounds,
    milp_margins,
    pgd_in_nap,
    verify_region,
)

__all__ = [
    "NAP",
    "IntervalBounds",
    "MarginResult",
    "NAPStats",
    "PGDResult",
    "ProbeCallback",
    "ReluLayers",
    "activation_patterns",
    "affine_layers",
    "binned_entropy",
    "binned_mutual_information",
    "capture_features",
    "certified_radius",
    "crown_margin_lower_bounds",
    "diffusion_eigenvalues",
    "diffusion_matrix",
    "diffusion_spectral_entropy",
    "diffusion_spectral_mutual_information",
    "discretize_labels",
    "extract_features",
    "forward_margins",
    "interval_bounds",
    "knn_mutual_information",
    "layer_names",
    "margin_lower_bounds",
    "median_distance",
    "milp_margins",
    "mine_naps",
    "mine_naps_from_patterns",
    "nap_statistics",
    "non_ambiguity",
    "pairwise_squared_distances",
    "pgd_in_nap",
    "relu_layers",
    "resolve_sigma",
    "spectral_entropy",
    "verify_region",
]
