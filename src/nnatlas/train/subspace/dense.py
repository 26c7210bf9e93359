"""The dense Gaussian projection with unit-norm columns (the paper's default).

Paper: Li, Farkhoor, Liu, Yosinski, "Measuring the Intrinsic Dimension of Objective
Landscapes", ICLR 2018, arXiv:1804.08838. See :mod:`nnatlas.train.subspace` for the method.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from nnatlas.train.subspace.projection import Projection, cpu_generator

__all__ = ["DenseProjection"]


class DenseProjection(Projection):
    """Dense Gaussian projection with unit-norm columns (the paper's default).

    Entries are drawn N(0, 1) and each column of P (one basis vector of the subspace, of
    length D across all layers jointly) is scaled to unit Euclidean norm, as in the official
    code. Stores P as a ``(D, d)`` buffer: O(D d) memory and time per product.

    Args:
        full_dim: D.
        subspace_dim: d, with 1 ≤ d ≤ D.
        seed: seed of the local generator that draws P.
        device: where P lives.
        dtype: floating dtype of P (always drawn in float32, so float32 and float64 instances
            of one seed agree to float32 rounding).
    """

    matrix: Tensor

    def __init__(
        self,
        full_dim: int,
        subspace_dim: int,
        *,
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(full_dim, subspace_dim, seed=seed)
        self._generate(torch.device(device or "cpu"), dtype or torch.get_default_dtype())

    def _generate(self, device: torch.device, dtype: torch.dtype) -> None:
        gen = cpu_generator(self.seed)
        raw = torch.randn(self.full_dim, self.subspace_dim, generator=gen, dtype=torch.float32)
        # Normalise in the wider of float32 and dtype, without a second copy of P.
        matrix = raw.to(torch.float64) if dtype == torch.float64 else raw
        matrix = matrix.div_(torch.linalg.vector_norm(matrix, dim=0)).to(dtype)
        self.register_buffer("matrix", matrix.to(device), persistent=False)

    def _project(self, z: Tensor) -> Tensor:
        return F.linear(z, self.matrix)

    @torch.no_grad()
    def to_dense(self) -> Tensor:
        return self.matrix.clone()
