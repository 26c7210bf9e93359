"""Conformance cases of ``nnatlas.generative``: the FastFlow coupling step, flow and taps.

Imported by :func:`nnatlas.testing.load_all`, never by ``import nnatlas.generative``. The
detectors PaDiM and PatchCore are fitted statistics, not modules, and have no case.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nnatlas.generative import AffineCoupling2d, FastFlow, FeatureTaps, ResNetStages
from nnatlas.testing.catalog import register_module_case
from nnatlas.testing.inputs import seeded_inputs

register_module_case(
    "AffineCoupling2d-3x3",
    build=lambda dt: AffineCoupling2d(5, 3, dtype=dt),
    inputs=seeded_inputs((2, 5, 4, 3)),
)
register_module_case(
    "AffineCoupling2d-1x1-hidden-2",
    build=lambda dt: AffineCoupling2d(4, 1, hidden_ratio=2.0, dtype=dt),
    inputs=seeded_inputs((3, 4, 2, 2)),
)
register_module_case(
    "FastFlow-two-scales-alternating",
    build=lambda dt: FastFlow([(4, 4, 4), (6, 2, 2)], num_steps=2, dtype=dt),
    inputs=seeded_inputs((2, 4, 4, 4), (2, 6, 2, 2)),
)
register_module_case(
    "FastFlow-3x3-only-no-layernorm",
    build=lambda dt: FastFlow(
        [(3, 3, 3)], num_steps=2, conv3x3_only=True, layer_norm=False, dtype=dt
    ),
    inputs=seeded_inputs((2, 3, 3, 3)),
)


class _TapsThenFlow(nn.Module):
    """A frozen ResNet tapped at two stages feeding a FastFlow (the detector's whole forward)."""

    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        torch.manual_seed(0)
        net = ResNetStages((4, 6), (1, 1), dtype=dtype)
        self.taps = FeatureTaps(net, net.stage_names())
        self.flow = FastFlow(self.taps.shapes(16), num_steps=2, dtype=dtype)

    def forward(self, x: Tensor) -> tuple[list[Tensor], list[Tensor]]:
        return self.flow(*self.taps(x))


register_module_case(
    "FeatureTaps-ResNetStages-FastFlow",
    build=_TapsThenFlow,
    inputs=seeded_inputs((2, 3, 16, 16)),
)
register_module_case(
    "ResNetStages-rotation-head",
    build=lambda dt: ResNetStages((4, 6), (1, 1), num_classes=4, dtype=dt),
    inputs=seeded_inputs((2, 3, 16, 16)),
)
