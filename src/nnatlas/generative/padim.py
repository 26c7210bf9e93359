"""PaDiM: a Gaussian per feature location, scored by the Mahalanobis distance.

PaDiM: a Patch Distribution Modeling Framework for Anomaly Detection and Localization (Defard,
Setkaliev, Loesch, Audigier; arXiv 2011.08785), the baseline FastFlow (arXiv 2111.07677)
compares with. The feature maps of all scales are upsampled (nearest) to the first scale's
grid and concatenated; at each location ``u`` a Gaussian ``N(μ_u, Σ_u)`` is fitted to the
normal images' embeddings, with full covariance shrunk towards a scaled identity,
``Σ̂ = (1 − λ) Σ + λ (tr Σ / D) I + ε I`` (PaDiM adds ``0.01 I``; the shrinkage keeps ``Σ̂``
invertible when there are fewer images than channels). The anomaly map is the Mahalanobis
distance at each location, upsampled bilinearly to the image size. Optionally a random subset
of ``num_channels`` channels is kept, as PaDiM does to save memory. Deviation: no Gaussian
smoothing of the map.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.generative.fastflow import check_features, check_image_size

__all__ = ["PaDiM", "concat_features"]


def concat_features(features: Sequence[Tensor], *, pool: int = 1) -> Tensor:
    """Upsample every scale (nearest) to the first scale's grid and concatenate the channels.

    Args:
        features: one ``(N, C_i, H_i, W_i)`` map per scale.
        pool: average each map over a ``pool × pool`` neighbourhood first (PatchCore's local
            aggregation; 1 = none).

    Returns:
        ``(N, Σ C_i, H_0, W_0)``.
    """
    feats = check_features(features)
    check_int("pool", pool)
    if pool % 2 == 0:
        raise ConfigError(f"pool must be odd (the grid must keep its size); got {pool}")
    size = feats[0].shape[2:]
    out = []
    for f in feats:
        if pool > 1:
            f = F.avg_pool2d(f, pool, stride=1, padding=pool // 2, count_include_pad=False)
        if f.shape[2:] != size:
            f = F.interpolate(f, size=size, mode="nearest")
        out.append(f)
    return torch.cat(out, dim=1)


class PaDiM:
    """Per-location Gaussians on backbone features (see the module docstring).

    Args:
        shrinkage: λ in [0, 1], the weight of the scaled identity in the covariance.
        eps: ε > 0 added to the diagonal.
        num_channels: keep a random subset of this many channels (``None``: all).
        seed: seed of that subset.
        diagonal: keep only the covariance's diagonal (a per-location diagonal Gaussian, the
            weaker baseline of the FastFlow prototype in the project notes).
    """

    def __init__(
        self,
        *,
        shrinkage: float = 0.1,
        eps: float = 0.01,
        num_channels: int | None = None,
        seed: int = 0,
        diagonal: bool = False,
    ) -> None:
        if (
            isinstance(shrinkage, bool)
            or not isinstance(shrinkage, int | float)
            or not (0 <= shrinkage <= 1)
        ):
            raise ConfigError(f"shrinkage must be a number in [0, 1]; got {shrinkage!r}")
        if isinstance(eps, bool) or not isinstance(eps, int | float) or not eps > 0:
            raise ConfigError(f"eps must be a number > 0; got {eps!r}")
        if num_channels is not None:
            check_int("num_channels", num_channels)
        check_int("seed", seed, low=0)
        self.shrinkage, self.eps = float(shrinkage), float(eps)
        self.num_channels, self.seed, self.diagonal = num_channels, seed, bool(diagonal)
        self.channels: Tensor | None = None
        self.mean: Tensor | None = None
        self.precision: Tensor | None = None

    def __repr__(self) -> str:
        return (
            f"PaDiM(shrinkage={self.shrinkage:g}, eps={self.eps:g}, "
            f"num_channels={self.num_channels}, diagonal={self.diagonal}, fitted={self.mean is not None})"
        )

    def _embed(self, features: Sequence[Tensor]) -> Tensor:
        emb = concat_features(features)
        if self.channels is not None:
            emb = emb[:, self.channels]
        return emb

    @torch.no_grad()
    def fit(self, features: Sequence[Tensor]) -> PaDiM:
        """Fit the Gaussians to the features of normal images (at least two)."""
        emb = concat_features(features)
        n, d = emb.shape[:2]
        if n < 2:
            raise ConfigError(f"features must hold at least 2 images to fit PaDiM; got {n}")
        if self.num_channels is not None:
            if self.num_channels > d:
                raise ConfigError(
                    f"num_channels={self.num_channels} exceeds the {d} feature channels"
                )
            gen = torch.Generator().manual_seed(self.seed)
            self.channels = torch.randperm(d, generator=gen)[: self.num_channels].sort().values
            emb = emb[:, self.channels]
            d = self.num_channels
        x = emb.flatten(2).permute(2, 0, 1).to(torch.float64)  # (L, N, D)
        mean = x.mean(dim=1)
        xc = x - mean[:, None]
        cov = xc.transpose(1, 2) @ xc / (n - 1)
        if self.diagonal:
            cov = torch.diag_embed(cov.diagonal(dim1=1, dim2=2))
        eye = torch.eye(d, dtype=cov.dtype, device=cov.device)
        trace = cov.diagonal(dim1=1, dim2=2).sum(-1)[:, None, None]
        shrunk = (1 - self.shrinkage) * cov + (self.shrinkage * trace / d + self.eps) * eye
        self.mean, self.precision = mean, torch.linalg.inv(shrunk)
        self.grid = tuple(emb.shape[1:])
        return self

    @torch.no_grad()
    def anomaly_map(self, features: Sequence[Tensor], size: int | tuple[int, int]) -> Tensor:
        """Mahalanobis distance at each location, upsampled to ``size``: ``(N, H, W)``."""
        hw = check_image_size(size)
        if self.mean is None or self.precision is None:
            raise ConfigError("PaDiM.anomaly_map needs fit(features) first")
        emb = self._embed(features)
        if tuple(emb.shape[1:]) != self.grid:
            raise ConfigError(
                f"features give embeddings of shape {tuple(emb.shape[1:])}; PaDiM was fitted "
                f"on {self.grid} (mismatched image or feature sizes)"
            )
        n, _, h, w = emb.shape
        x = emb.flatten(2).permute(2, 0, 1).to(torch.float64) - self.mean[:, None]
        dist2 = ((x @ self.precision) * x).sum(-1).clamp(min=0)  # (L, N)
        dist = dist2.sqrt().T.reshape(n, 1, h, w).to(emb.dtype)
        return F.interpolate(dist, size=hw, mode="bilinear", align_corners=False)[:, 0]
