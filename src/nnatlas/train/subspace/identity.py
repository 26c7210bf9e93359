"""The identity projection P = I (d = D): subspace training becomes ordinary training.

Paper: Li, Farkhoor, Liu, Yosinski, "Measuring the Intrinsic Dimension of Objective
Landscapes", ICLR 2018, arXiv:1804.08838. See :mod:`nnatlas.train.subspace` for the method.
"""

from __future__ import annotations

import torch
from torch import Tensor

from nnatlas.train.subspace.projection import Projection

__all__ = ["IdentityProjection"]


class IdentityProjection(Projection):
    """P = I with d = D: subspace training reduces to ordinary training (for tests)."""

    def __init__(
        self,
        full_dim: int,
        *,
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        del device, dtype  # no buffers
        super().__init__(full_dim, full_dim, seed=seed)

    def _generate(self, device: torch.device, dtype: torch.dtype) -> None:
        pass

    def _project(self, z: Tensor) -> Tensor:
        return z
