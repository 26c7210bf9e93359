"""The very sparse random projection (Ping Li, Hastie, Church 2006), unit-norm columns.

Paper: Li, Farkhoor, Liu, Yosinski, "Measuring the Intrinsic Dimension of Objective
Landscapes", ICLR 2018, arXiv:1804.08838. See :mod:`nnatlas.train.subspace` for the method.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.train.subspace.projection import Projection, cpu_generator

__all__ = ["SparseProjection"]


class SparseProjection(Projection):
    """Very sparse random projection (Ping Li, Hastie, Church 2006) with unit-norm columns.

    Each entry is +√(1/s) or -√(1/s) with probability s/2 each and 0 otherwise
    (s = ``density``, default 1/√D, as scikit-learn's ``SparseRandomProjection`` used by
    the official code); each column is then scaled to unit norm, so a column with k
    non-zeros has entries ±1/√k. Non-zero positions are drawn exactly as a Bernoulli(s)
    process over the D·d entries, by summing geometric gaps, in O(nnz) time and memory.

    P is stored as a coalesced sparse COO buffer ``matrix`` of shape ``(D, d)``.

    Args:
        full_dim: D.
        subspace_dim: d, with 1 ≤ d ≤ D.
        density: s ∈ (0, 1]; default 1/√D.
        seed: seed of the local generator.
        matvec: ``"index_add"`` (default; gather/scatter over the stored indices and values,
            several times faster than ``torch.sparse.mm`` on CPU) or ``"torch.sparse"``.
        device: where P lives.
        dtype: floating dtype of the values.
    """

    matrix: Tensor

    def __init__(
        self,
        full_dim: int,
        subspace_dim: int,
        *,
        density: float | None = None,
        seed: int = 0,
        matvec: str = "index_add",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(full_dim, subspace_dim, seed=seed)
        if density is None:
            density = 1.0 / math.sqrt(self.full_dim)
        density = float(density)
        if not 0.0 < density <= 1.0:
            raise ConfigError(f"density must be in (0, 1]; got {density}")
        if matvec not in ("index_add", "torch.sparse"):
            raise ConfigError(f"matvec must be 'index_add' or 'torch.sparse'; got {matvec!r}")
        self.density = density
        self.matvec = matvec
        self._generate(torch.device(device or "cpu"), dtype or torch.get_default_dtype())

    def _config(self) -> dict[str, Any]:
        return {"density": self.density}

    def _generate(self, device: torch.device, dtype: torch.dtype) -> None:
        gen = cpu_generator(self.seed)
        rows_all, d = self.full_dim, self.subspace_dim
        total = rows_all * d
        s = self.density
        # Positions of successes in a Bernoulli(s) sequence over the column-major flattened
        # matrix: partial sums of Geometric(s) gaps (support 1, 2, ...).
        log_q = math.log1p(-s) if s < 1.0 else -math.inf
        expected = total * s
        chunk = int(expected + 6.0 * math.sqrt(expected) + 16)
        pieces: list[Tensor] = []
        last = -1
        while last < total - 1:
            u = 1.0 - torch.rand(chunk, generator=gen, dtype=torch.float64)  # (0, 1]
            gaps = torch.floor(torch.log(u) / log_q).to(torch.int64) + 1
            pos = last + torch.cumsum(gaps, 0)
            pieces.append(pos)
            last = int(pos[-1])
            chunk = max(16, chunk // 4)
        flat = torch.cat(pieces)
        flat = flat[flat < total]
        cols = flat // rows_all
        rows = flat % rows_all
        counts = torch.bincount(cols, minlength=d)
        empty = torch.nonzero(counts == 0).flatten()
        if empty.numel():
            extra_rows = torch.randint(rows_all, (empty.numel(),), generator=gen)
            rows = torch.cat((rows, extra_rows))
            cols = torch.cat((cols, empty))
            counts[empty] = 1
        signs = torch.randint(0, 2, (rows.numel(),), generator=gen).to(torch.float64) * 2 - 1
        values = (signs / counts[cols].to(torch.float64).sqrt()).to(dtype)
        matrix = torch.sparse_coo_tensor(
            torch.stack((rows, cols)),
            values,
            (rows_all, d),
            check_invariants=True,
        ).coalesce()
        self.register_buffer("matrix", matrix.to(device), persistent=False)

    @torch.no_grad()
    def to_dense(self) -> Tensor:
        return self.matrix.to_dense()

    @property
    def nnz(self) -> int:
        """Number of stored non-zero entries of P."""
        return int(self.matrix._nnz())

    def _project(self, z: Tensor) -> Tensor:
        indices = self.matrix._indices()
        values = self.matrix._values()
        lead = z.shape[:-1]
        flat = z.reshape(-1, self.subspace_dim)
        if self.matvec == "torch.sparse":
            out = torch.sparse.mm(self.matrix, flat.T).T
        else:
            rows, cols = indices[0], indices[1]
            out = flat.new_zeros(flat.shape[0], self.full_dim).index_add(
                1, rows, flat[:, cols] * values
            )
        return out.reshape(*lead, self.full_dim)
