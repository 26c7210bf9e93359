"""The Fastfood projection (Le, Sarlós, Smola 2013): P never materialised, O(L log L).

Paper: Li, Farkhoor, Liu, Yosinski, "Measuring the Intrinsic Dimension of Objective
Landscapes", ICLR 2018, arXiv:1804.08838. See :mod:`nnatlas.train.subspace` for the method.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.train.subspace.hadamard import fwht
from nnatlas.train.subspace.projection import Projection, cpu_generator

__all__ = ["FastfoodProjection"]


class FastfoodProjection(Projection):
    """Fastfood projection (Le, Sarlós, Smola 2013): P z = (H G Π H B pad(z))[:D] / c.

    z is zero-padded to L = 2^⌈log2 D⌉, multiplied by a random ±1 diagonal B, transformed
    by the unnormalised Walsh–Hadamard matrix H, permuted by a random Π, multiplied by a
    Gaussian diagonal G, transformed by H again and truncated to its first D entries. P is
    never materialised: memory O(L) ≤ O(2D), time O(L log L).

    Normalisation: c = √(L Σ G²) · √(D / L) = √(D Σ G²), the official code's divisor. It
    makes the map unbiased in squared norm, E‖P z‖² = ‖z‖² for every z (so columns have unit
    norm in expectation, as the dense and sparse columns have exactly): with u = Π H B z,
    ‖u‖² = L‖z‖²; given |G|, each output coordinate w_k of H G u has E w_k² = Σ_i G_i² u_i²
    (sign symmetry of G), so E‖w[:D]‖² / (D Σ G²) = Σ_i G_i² u_i² / Σ G², whose mean over the
    exchangeable weights G_i² / Σ G² is ‖u‖² / L = ‖z‖². The divisor is folded into G.

    Args:
        full_dim: D.
        subspace_dim: d, with 1 ≤ d ≤ D.
        seed: seed of the local generator.
        block: butterfly levels fused per matmul in :func:`fwht`.
        device: where the diagonals live.
        dtype: floating dtype.
    """

    signs: Tensor
    gauss: Tensor
    perm: Tensor

    def __init__(
        self,
        full_dim: int,
        subspace_dim: int,
        *,
        seed: int = 0,
        block: int = 16,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(full_dim, subspace_dim, seed=seed)
        self.padded_dim = 1 << max(0, math.ceil(math.log2(self.full_dim)))
        if self.subspace_dim > self.padded_dim:  # unreachable while d <= D, kept as a guard
            raise ConfigError(
                f"subspace_dim={self.subspace_dim} exceeds the padded size L={self.padded_dim}"
            )
        if block < 2 or block & (block - 1):
            raise ConfigError(f"block must be a power of two >= 2; got {block}")
        self.block = block
        self._generate(torch.device(device or "cpu"), dtype or torch.get_default_dtype())

    def _generate(self, device: torch.device, dtype: torch.dtype) -> None:
        gen = cpu_generator(self.seed)
        length = self.padded_dim
        signs = torch.randint(0, 2, (length,), generator=gen).to(torch.float64) * 2 - 1
        perm = torch.randperm(length, generator=gen)
        gauss = torch.randn(length, generator=gen, dtype=torch.float32).to(torch.float64)
        gauss = gauss / math.sqrt(self.full_dim * float(gauss.square().sum()))
        self.register_buffer("signs", signs.to(device=device, dtype=dtype), persistent=False)
        self.register_buffer("perm", perm.to(device), persistent=False)
        self.register_buffer("gauss", gauss.to(device=device, dtype=dtype), persistent=False)

    def _project(self, z: Tensor) -> Tensor:
        x = F.pad(z, (0, self.padded_dim - self.subspace_dim)) * self.signs
        x = fwht(x, block=self.block)
        x = x.index_select(-1, self.perm) * self.gauss
        x = fwht(x, block=self.block)
        return x[..., : self.full_dim]
