"""How weights are parametrized and generated: abc-parametrizations (muP), hypernetworks, implicit
weight families.

* :mod:`nnatlas.param.mup`: abc-parametrizations and muP (Tensor Programs IV, arXiv 2011.14522):
  :func:`set_base_shapes`, :class:`MuReadout`, :func:`mup_param_groups` for stock optimizers,
  :func:`coord_check`, :func:`lr_sweep`.
* :mod:`nnatlas.param.hypernetwork`: hypernetworks with magnitude-invariant parametrizations
  (MIP, arXiv 2304.07645): :class:`HyperNetwork`, :class:`HyperModel` (any primary network's
  chosen modules generated, batched over conditioning values with ``vmap``).
* :mod:`nnatlas.param.neumeta`: Neural Metamorphosis (arXiv 2410.11878): :class:`NeuMeta`, an
  implicit representation of a family of networks, and function-preserving permutation
  smoothing (:func:`smooth_permutation`).

Importing this package registers nothing: the conformance cases live in
:mod:`nnatlas.testing.cases.param`.
"""

from __future__ import annotations

from nnatlas.param.hypernetwork import HyperModel, HyperNetwork, encode_input, external_shapes
from nnatlas.param.mup import (
    ABC,
    PARAMETRIZATIONS,
    BaseShape,
    CoordCheck,
    CoordRecord,
    LRSweep,
    MuReadout,
    ParamScaling,
    abc_parametrization,
    base_shapes_from_state_dict,
    coord_check,
    get_base_shapes,
    get_shapes,
    lr_sweep,
    mup_attention,
    mup_attention_scale,
    mup_init_std,
    mup_normal_,
    mup_param_groups,
    param_scaling,
    plot_coord_check,
    set_base_shapes,
)
from nnatlas.param.neumeta import (
    ChannelGroup,
    MorphedModel,
    NeuMeta,
    fourier_features,
    permute_group,
    sequential_channel_groups,
    shortest_hamiltonian_path,
    smooth_permutation,
    total_variation,
    weight_coordinates,
)

__all__ = [
    "ABC",
    "PARAMETRIZATIONS",
    "BaseShape",
    "ChannelGroup",
    "CoordCheck",
    "CoordRecord",
    "HyperModel",
    "HyperNetwork",
    "LRSweep",
    "MorphedModel",
    "MuReadout",
    "NeuMeta",
    "ParamScaling",
    "abc_parametrization",
    "base_shapes_from_state_dict",
    "coord_check",
    "encode_input",
    "external_shapes",
    "fourier_features",
    "get_base_shapes",
    "get_shapes",
    "lr_sweep",
    "mup_attention",
    "mup_attention_scale",
    "mup_init_std",
    "mup_normal_",
    "mup_param_groups",
    "param_scaling",
    "permute_group",
    "plot_coord_check",
    "sequential_channel_groups",
    "set_base_shapes",
    "shortest_hamiltonian_path",
    "smooth_permutation",
    "total_variation",
    "weight_coordinates",
]
