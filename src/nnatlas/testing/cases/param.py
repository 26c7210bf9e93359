"""Conformance cases of ``nnatlas.param``: the muP readout, MIP hypernetworks, NeuMeta.

Inputs come from :mod:`nnatlas.testing.inputs` (seeded, independent of the global RNG).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nnatlas.param.hypernetwork import HyperModel
from nnatlas.param.mup import MuReadout, set_base_shapes
from nnatlas.param.neumeta import MorphedModel, NeuMeta
from nnatlas.testing.catalog import register_module_case
from nnatlas.testing.inputs import randn, seeded_inputs

# -- muP ------------------------------------------------------------------------------------------


def _readout(dtype: torch.dtype) -> nn.Module:
    layer = MuReadout(16, 3, output_mult=2.0, dtype=dtype)
    set_base_shapes(layer, {"weight": (None, 4), "bias": (None,)})
    return layer


register_module_case("MuReadout", build=_readout, inputs=seeded_inputs((5, 16)))
register_module_case(
    "MuReadout-plain",
    build=lambda dtype: MuReadout(8, 2, bias=False, dtype=dtype),
    inputs=seeded_inputs((2, 3, 8)),
)

# -- MIP hypernetworks ------------------------------------------------------------------------------


def _primary(dtype: torch.dtype) -> nn.Module:
    return nn.Sequential(
        nn.Linear(4, 6, dtype=dtype),
        nn.LayerNorm(6, dtype=dtype),
        nn.ReLU(),
        nn.Linear(6, 2, dtype=dtype),
    )


def _hyper_inputs(dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    # Conditioning values live in [0, 1] (the cos|sin encoding's range): squash a normal draw.
    return randn(3, 5, 4, dtype=dtype, seed=0), torch.sigmoid(randn(3, 2, dtype=dtype, seed=1))


register_module_case(
    "HyperModel-mip-layernorm-batched",
    build=lambda dtype: HyperModel(_primary(dtype), 2, hidden=(8, 16), dtype=dtype),
    inputs=_hyper_inputs,
)
register_module_case(
    "HyperModel-default-single-gamma",
    build=lambda dtype: HyperModel(
        _primary(dtype),
        2,
        modules=["0"],
        hidden=(8,),
        encoding="none",
        residual=False,
        dtype=dtype,
    ),
    inputs=lambda dtype: tuple(t[0] for t in _hyper_inputs(dtype)),
)

# -- NeuMeta ----------------------------------------------------------------------------------------


def _member(width: int, dtype: torch.dtype) -> nn.Module:
    return nn.Sequential(
        nn.Linear(5, width, dtype=dtype), nn.ReLU(), nn.Linear(width, 3, dtype=dtype)
    )


register_module_case(
    "MorphedModel-mlp",
    build=lambda dtype: MorphedModel(
        _member(6, dtype),
        NeuMeta(
            _member(6, dtype),
            ["0.weight", "0.bias", "2.weight"],
            hidden=8,
            num_freqs=2,
            dtype=dtype,
        ),
    ),
    inputs=seeded_inputs((4, 5)),
)
