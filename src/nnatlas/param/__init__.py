"""How weights are parametrized and generated: abc-parametrizations (muP), hypernetworks, implicit
weight families.

* :mod:`nnatlas.param.mup`: abc-parametrizations and muP (Tensor Programs IV, arXiv 2011.14522):
  :func:`set_base_shapes`, :class:`MuReadout`, :func:`mup_param_groups` for stock optimizers,
  :func:`coord_check`, :func:`lr_sweep`.

Importing this package registers every module's conformance case in
:mod:`nnatlas.core.catalog`.
"""

from __future__ import annotations

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

__all__ = [
    "ABC",
    "PARAMETRIZATIONS",
    "BaseShape",
    "CoordCheck",
    "CoordRecord",
    "LRSweep",
    "MuReadout",
    "ParamScaling",
    "abc_parametrization",
    "base_shapes_from_state_dict",
    "coord_check",
    "get_base_shapes",
    "get_shapes",
    "lr_sweep",
    "mup_attention",
    "mup_attention_scale",
    "mup_init_std",
    "mup_normal_",
    "mup_param_groups",
    "param_scaling",
    "plot_coord_check",
    "set_base_shapes",
]
