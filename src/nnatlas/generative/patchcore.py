"""PatchCore: a coreset memory bank of normal patch features, scored by nearest-neighbour distance.

Towards Total Recall in Industrial Anomaly Detection (Roth, Pemula, Zepeda, Schölkopf, Brox,
Gehler; arXiv 2106.08265), a baseline beside FastFlow (arXiv 2111.07677) on the same features.
Patch features are the backbone's maps averaged over a local ``3 × 3`` neighbourhood, upsampled
to the first scale's grid and concatenated. The memory bank is a greedy (k-centre) coreset of
all normal patches, selected on a random Gaussian projection of the features (as PatchCore
does, Johnson–Lindenstrauss) and stored unprojected. The anomaly map is each test patch's
Euclidean distance to its nearest bank entry, upsampled bilinearly to the image size; the image
score is its maximum. Deviation: no re-weighting of the image score by the neighbour's density.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.generative.fastflow import check_image_size
from nnatlas.generative.padim import concat_features

__all__ = ["PatchCore", "greedy_coreset"]


def greedy_coreset(x: Tensor, k: int, *, start: int = 0) -> Tensor:
    """Indices of ``k`` rows of ``x: (M, D)`` chosen greedily to minimise the coverage radius
    (each next row is the one farthest from those chosen so far), starting at row ``start``."""
    if not isinstance(x, Tensor) or x.dim() != 2 or not x.is_floating_point():
        raise TypeError(f"x must be a real floating tensor (M, D); got {x!r:.60}")
    m = x.shape[0]
    check_int("k", k, high=m, high_name="x.shape[0]")
    check_int("start", start, low=0, high=m - 1)
    chosen = torch.empty(k, dtype=torch.int64)
    chosen[0] = start
    dist = ((x - x[start]) ** 2).sum(1)
    for i in range(1, k):
        j = int(torch.argmax(dist))
        chosen[i] = j
        dist = torch.minimum(dist, ((x - x[j]) ** 2).sum(1))
    return chosen


class PatchCore:
    """Coreset nearest-neighbour detector on backbone features (see the module docstring).

    Args:
        coreset_ratio: fraction of the training patches kept, in (0, 1].
        projection_dim: dimension of the random projection used to select the coreset
            (no projection when the features have at most this many channels).
        neighbourhood: odd size of the local average over patches (PatchCore: 3).
        seed: seed of the projection and of the coreset's first element.
        chunk: test patches per distance computation (bounds memory).
    """

    def __init__(
        self,
        *,
        coreset_ratio: float = 0.1,
        projection_dim: int = 128,
        neighbourhood: int = 3,
        seed: int = 0,
        chunk: int = 4096,
    ) -> None:
        if (
            isinstance(coreset_ratio, bool)
            or not isinstance(coreset_ratio, int | float)
            or not (0 < coreset_ratio <= 1)
        ):
            raise ConfigError(f"coreset_ratio must be a number in (0, 1]; got {coreset_ratio!r}")
        check_int("projection_dim", projection_dim)
        check_int("neighbourhood", neighbourhood)
        check_int("seed", seed, low=0)
        check_int("chunk", chunk)
        self.coreset_ratio, self.projection_dim = float(coreset_ratio), projection_dim
        self.neighbourhood, self.seed, self.chunk = neighbourhood, seed, chunk
        self.bank: Tensor | None = None

    def __repr__(self) -> str:
        bank = None if self.bank is None else tuple(self.bank.shape)
        return f"PatchCore(coreset_ratio={self.coreset_ratio:g}, bank={bank})"

    def _patches(self, features: Sequence[Tensor]) -> Tensor:
        return concat_features(features, pool=self.neighbourhood)

    @torch.no_grad()
    def fit(self, features: Sequence[Tensor]) -> PatchCore:
        """Build the memory bank from the features of normal images."""
        emb = self._patches(features)
        self.grid = tuple(emb.shape[1:])
        x = emb.permute(0, 2, 3, 1).reshape(-1, emb.shape[1])
        k = max(1, round(self.coreset_ratio * x.shape[0]))
        gen = torch.Generator().manual_seed(self.seed)
        start = int(torch.randint(x.shape[0], (1,), generator=gen))
        if k == x.shape[0]:
            self.bank = x.clone()
            return self
        proj = x
        if x.shape[1] > self.projection_dim:
            w = torch.randn(x.shape[1], self.projection_dim, generator=gen, dtype=x.dtype)
            proj = x @ w.to(x.device)
        self.bank = x[greedy_coreset(proj, k, start=start).to(x.device)].clone()
        return self

    @torch.no_grad()
    def anomaly_map(self, features: Sequence[Tensor], size: int | tuple[int, int]) -> Tensor:
        """Nearest-bank-entry distance of each patch, upsampled to ``size``: ``(N, H, W)``."""
        hw = check_image_size(size)
        if self.bank is None:
            raise ConfigError("PatchCore.anomaly_map needs fit(features) first")
        emb = self._patches(features)
        if tuple(emb.shape[1:]) != self.grid:
            raise ConfigError(
                f"features give patches of shape {tuple(emb.shape[1:])}; PatchCore was fitted "
                f"on {self.grid} (mismatched image or feature sizes)"
            )
        n, d, h, w = emb.shape
        x = emb.permute(0, 2, 3, 1).reshape(-1, d)
        dist = torch.cat([torch.cdist(x[i : i + self.chunk], self.bank).amin(dim=1)
                          for i in range(0, x.shape[0], self.chunk)])  # fmt: skip
        dist = dist.reshape(n, 1, h, w)
        return F.interpolate(dist, size=hw, mode="bilinear", align_corners=False)[:, 0]
