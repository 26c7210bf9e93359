"""Conformance cases of ``nnatlas.train``: small example instances of its modules.

Each case builds a fresh module in the requested dtype and feeds it seeded inputs from
:mod:`nnatlas.testing.inputs`, so two calls give the same tensors whatever the global RNG did.
Imported by :func:`nnatlas.testing.load_all`, never by ``import nnatlas.train``. The
stochastic-neuron estimators re-exported by ``nnatlas.train`` are layers of ``nnatlas.nn``;
their cases are in :mod:`nnatlas.testing.cases.nn`.
"""

from __future__ import annotations

import torch
from torch import nn

from nnatlas.nn.models import MLP, LeNet
from nnatlas.testing.catalog import register_module_case
from nnatlas.testing.inputs import randn, seeded_inputs
from nnatlas.train.gated_relu import GatedReLU
from nnatlas.train.noprop import ConvBlock, MLPBlock, NoPropCT, NoPropDT, NoPropFM
from nnatlas.train.subspace import SubspaceModel

__all__: list[str] = []


# ----------------------------------------------------------------------------- NoProp


def _noprop_dt_mlp(dtype: torch.dtype, kind: str) -> nn.Module:
    embed_dim = 4 if kind == "learned" else None
    blocks = [MLPBlock(6, embed_dim or 3, 3, 8, dtype=dtype) for _ in range(3)]
    return NoPropDT(blocks, 3, embedding=kind, embed_dim=embed_dim, dtype=dtype)  # type: ignore[arg-type]


for _kind in ("onehot", "learned"):
    register_module_case(
        f"NoPropDT-MLPBlock-{_kind}",
        build=lambda dtype, kind=_kind: _noprop_dt_mlp(dtype, kind),
        inputs=seeded_inputs((5, 6)),
    )

register_module_case(
    "NoPropDT-ConvBlock-prototype",
    build=lambda dtype: NoPropDT(
        [ConvBlock(1, 4, 16, 3, channels=(2, 3, 4), hidden=6, dtype=dtype) for _ in range(2)],
        3,
        embedding="prototype",
        prototypes=randn(3, 16, seed=0),
        dtype=dtype,
    ),
    inputs=seeded_inputs((5, 1, 4, 4)),
)
register_module_case(
    "NoPropFM-MLPBlock-learned",
    build=lambda dtype: NoPropFM(
        MLPBlock(6, 4 + 4, 4, 8, dtype=dtype),
        3,
        embedding="learned",
        embed_dim=4,
        time_features=4,
        steps=3,
        dtype=dtype,
    ),
    inputs=seeded_inputs((5, 6)),
)
register_module_case(
    "NoPropCT-MLPBlock-learned",
    build=lambda dtype: NoPropCT(
        MLPBlock(6, 4 + 4, 3, 8, dtype=dtype),
        3,
        embedding="learned",
        embed_dim=4,
        time_features=4,
        steps=3,
        dtype=dtype,
    ),
    inputs=seeded_inputs((5, 6)),
)

# ------------------------------------------------------------------ random subspaces

for _kind in ("dense", "sparse", "fastfood"):
    register_module_case(
        f"SubspaceModel-MLP-{_kind}",
        build=lambda dtype, kind=_kind: SubspaceModel(
            MLP(6, [8], 3, dtype=dtype), 7, projection=kind, seed=0
        ),
        inputs=seeded_inputs((5, 6)),
    )
register_module_case(
    "SubspaceModel-LeNet-batchnorm",
    build=lambda dtype: SubspaceModel(
        LeNet(1, 4, image_size=8, channels=(2, 3), hidden=(5,), batch_norm=True, dtype=dtype),
        9,
        projection="fastfood",
    ),
    inputs=seeded_inputs((4, 1, 8, 8)),
)

# ----------------------------------------------------------------------- gated ReLU

register_module_case(
    "GatedReLU",
    build=lambda dtype: GatedReLU(5, 7, dtype=dtype),
    inputs=seeded_inputs((4, 5)),
)
