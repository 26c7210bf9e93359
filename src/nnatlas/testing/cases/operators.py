"""Conformance cases of ``nnatlas.operators``: every operator layer and loss, small and seeded.

Importing this module registers the cases (``nnatlas.testing.catalog.load_all()`` does it);
importing :mod:`nnatlas.operators` itself registers nothing.
"""

from __future__ import annotations

from torch import nn

from nnatlas.operators import (
    AttentionOperator2d,
    DeepONet,
    DifferentialKernelConv2d,
    FNO1d,
    FNO2d,
    H1Loss,
    IntegralOperator2d,
    LordMixing,
    LordNet,
    MgConv2d,
    MgNO,
    RelativeL2Loss,
    ResolutionWrapper,
    SpectralConv1d,
    SpectralConv2d,
    UNet2d,
)
from nnatlas.testing.catalog import register_module_case
from nnatlas.testing.inputs import seeded_inputs

# Fourier neural operators (grids of at least 2 * modes points per axis).
register_module_case(
    "SpectralConv1d",
    build=lambda dtype: SpectralConv1d(2, 3, 4, dtype=dtype),
    inputs=seeded_inputs((2, 2, 10)),
)
register_module_case(
    "SpectralConv2d",
    build=lambda dtype: SpectralConv2d(2, 3, 3, 2, dtype=dtype),
    inputs=seeded_inputs((2, 2, 8, 6)),
)
register_module_case(
    "FNO1d",
    build=lambda dtype: FNO1d(1, 2, 4, 6, 2, projection_width=8, dtype=dtype),
    inputs=seeded_inputs((2, 1, 12)),
)
register_module_case(
    "FNO2d",
    build=lambda dtype: FNO2d(1, 1, 3, 5, 2, projection_width=8, dtype=dtype),
    inputs=seeded_inputs((2, 1, 8, 7)),
)

# DeepONet: (u: (batch, sensors), y: query points) in each data layout.
register_module_case(
    "DeepONet-unstacked",
    build=lambda dtype: DeepONet([5, 8, 6], [1, 8, 6], dtype=dtype),
    inputs=seeded_inputs((3, 5), (3, 1)),
)
register_module_case(
    "DeepONet-stacked-cartesian",
    build=lambda dtype: DeepONet(
        [5, 7, 6], [2, 8, 6], stacked=True, layout="cartesian", dtype=dtype
    ),
    inputs=seeded_inputs((3, 5), (4, 2)),
)
register_module_case(
    "DeepONet-multi-output",
    build=lambda dtype: DeepONet(
        [5, 8, 6], [1, 8, 3], num_outputs=2, multi_output="split_branch", dtype=dtype
    ),
    inputs=seeded_inputs((3, 5), (3, 4, 1)),
)

# MgNO: grid sides divisible by 2^(levels - 1).
register_module_case(
    "MgConv2d",
    build=lambda dtype: MgConv2d(2, 3, ((2, 1), (1, 1), (2, 0)), dtype=dtype),
    inputs=seeded_inputs((2, 2, 8, 12)),
)
register_module_case(
    "MgConv2d-periodic",
    build=lambda dtype: MgConv2d(2, 3, ((1, 0), (1, 1)), boundary="periodic", dtype=dtype),
    inputs=seeded_inputs((2, 2, 6, 4)),
)
register_module_case(
    "MgNO",
    build=lambda dtype: MgNO(1, 2, 4, 2, ((1, 0), (1, 0), (2, 0)), dtype=dtype),
    inputs=seeded_inputs((2, 1, 8, 8)),
)

# LordNet: built for one grid.
register_module_case(
    "LordNet",
    build=lambda dtype: LordNet(1, 2, 5, 6, 3, 2, dtype=dtype),
    inputs=seeded_inputs((2, 1, 5, 6)),
)
register_module_case(
    "LordNet-lowrank",
    build=lambda dtype: LordNet(2, 1, 6, 4, 3, 1, rank=2, dtype=dtype),
    inputs=seeded_inputs((2, 2, 6, 4)),
)
register_module_case(
    "LordMixing",
    build=lambda dtype: LordMixing(3, 4, 5, dtype=dtype),
    inputs=seeded_inputs((2, 3, 4, 5)),
)

# The recipe's U-Net and function-space layers.
register_module_case(
    "UNet2d",
    build=lambda dtype: UNet2d(1, 2, 3, 2, 3, dtype=dtype),
    inputs=seeded_inputs((2, 1, 8, 12)),
)
register_module_case(
    "IntegralOperator2d",
    build=lambda dtype: IntegralOperator2d(2, 3, 8, dtype=dtype),
    inputs=seeded_inputs((2, 2, 4, 5)),
)
register_module_case(
    "AttentionOperator2d",
    build=lambda dtype: AttentionOperator2d(4, 2, dtype=dtype),
    inputs=seeded_inputs((2, 4, 5, 3)),
)
register_module_case(
    "DifferentialKernelConv2d",
    build=lambda dtype: DifferentialKernelConv2d(2, 3, 3, dtype=dtype),
    inputs=seeded_inputs((2, 2, 6, 6)),
)
register_module_case(
    "ResolutionWrapper",
    build=lambda dtype: ResolutionWrapper(nn.Conv2d(2, 1, 3, padding=1, dtype=dtype), (8, 8)),
    inputs=seeded_inputs((2, 2, 5, 7)),
)

# Losses (pred, target).
register_module_case(
    "RelativeL2Loss",
    build=lambda dtype: RelativeL2Loss(),
    inputs=seeded_inputs((2, 1, 8, 8), (2, 1, 8, 8)),
)
register_module_case(
    "H1Loss", build=lambda dtype: H1Loss(), inputs=seeded_inputs((2, 1, 8, 8), (2, 1, 8, 8))
)
register_module_case(
    "H1Loss-fd",
    build=lambda dtype: H1Loss(method="fd"),
    inputs=seeded_inputs((2, 1, 8, 8), (2, 1, 8, 8)),
)
