"""Anomaly-detection metrics: image AUROC, pooled pixel AUROC and AU-PRO.

As FastFlow (Yu et al., arXiv 2111.07677) and the MVTec AD benchmark report them: the *image*
AUROC ranks images by the maximum of their anomaly map; the *pixel* AUROC pools every pixel of
every test image into one ROC (gathierry/FastFlow prints only this one); AU-PRO integrates the
per-region overlap (each connected ground-truth region weighted equally, 8-connectivity) over
the false-positive rate of normal pixels up to 30 %, normalised so that a perfect map scores 1.

AUROC here is the Mann–Whitney statistic with tied scores counted one half (equal to
scikit-learn's ``roc_auc_score``); all sums are in float64.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from nnatlas.core.errors import ConfigError

__all__ = ["au_pro", "auroc", "connected_regions", "image_auroc", "pixel_auroc"]


def _scores(name: str, x: object) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a tensor; got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a real floating tensor; got dtype {x.dtype}")
    if x.numel() == 0:
        raise ConfigError(f"{name} must not be empty; got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ConfigError(f"{name} has NaN or infinite entries")
    return x.detach().to("cpu", torch.float64)


def _labels(name: str, y: object, shape: torch.Size, scores_name: str) -> Tensor:
    if not isinstance(y, Tensor):
        raise TypeError(f"{name} must be a tensor of 0/1 labels; got {type(y).__name__}")
    if y.is_complex():
        raise TypeError(f"{name} must hold 0/1 labels; got dtype {y.dtype}")
    if y.shape != shape:
        raise ConfigError(
            f"{name} must have the shape of {scores_name} {tuple(shape)}; got {tuple(y.shape)}"
        )
    y = y.detach().cpu()
    if not ((y == 0) | (y == 1)).all():
        raise ConfigError(f"{name} must hold only 0 and 1 (normal / anomalous)")
    return y.bool()


def _auroc(scores: Tensor, positive: Tensor, name: str) -> float:
    n_pos = int(positive.sum())
    n_neg = positive.numel() - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ConfigError(
            f"{name} must contain both normal (0) and anomalous (1) samples for an AUROC; "
            f"got {n_pos} anomalous and {n_neg} normal (a test set with one class)"
        )
    s, order = torch.sort(scores.reshape(-1))
    _, inverse, counts = torch.unique_consecutive(s, return_inverse=True, return_counts=True)
    ends = torch.cumsum(counts, 0).to(torch.float64)
    mid_rank = ends - (counts.to(torch.float64) - 1) / 2  # 1-based average rank of each tie group
    ranks = mid_rank[inverse]
    pos_sorted = positive.reshape(-1)[order]
    u = ranks[pos_sorted].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def auroc(scores: Tensor, labels: Tensor) -> float:
    """Area under the ROC curve of ``scores`` (higher = anomalous) against 0/1 ``labels``.

    Raises:
        ConfigError: shapes differ, labels not 0/1, or only one class present.
    """
    s = _scores("scores", scores)
    return _auroc(s, _labels("labels", labels, scores.shape, "scores"), "labels")


def image_auroc(maps: Tensor, labels: Tensor) -> float:
    """Image-level AUROC: each image scored by its map's maximum.

    Args:
        maps: anomaly maps ``(N, H, W)``.
        labels: ``(N,)`` 0 (normal) / 1 (anomalous).
    """
    m = _maps("maps", maps)
    return _auroc(
        m.flatten(1).amax(dim=1),
        _labels("labels", labels, maps.shape[:1], "maps[:, 0, 0]"),
        "labels",
    )


def pixel_auroc(maps: Tensor, masks: Tensor) -> float:
    """Pixel-level AUROC pooled over every pixel of every image.

    Args:
        maps: anomaly maps ``(N, H, W)``.
        masks: ground truth ``(N, H, W)``, 1 on defect pixels.
    """
    m = _maps("maps", maps)
    return _auroc(m, _labels("masks", masks, maps.shape, "maps"), "masks")


def _maps(name: str, maps: object) -> Tensor:
    m = _scores(name, maps)
    if m.dim() != 3:
        raise ConfigError(f"{name} must have shape (N, H, W); got {tuple(m.shape)}")
    return m


def connected_regions(masks: Tensor) -> Tensor:
    """Label the 8-connected regions of binary masks ``(N, H, W)``.

    Returns:
        int64 ``(N, H, W)``: 0 on background, and one positive id per region (ids are unique
        over the whole batch, not consecutive).
    """
    if not isinstance(masks, Tensor) or masks.dim() != 3:
        raise ConfigError(f"masks must be a tensor (N, H, W); got {masks!r:.60}")
    fg = masks.detach().cpu().bool()
    n, h, w = fg.shape
    ids = torch.arange(1, n * h * w + 1, dtype=torch.float64).reshape(n, 1, h, w)
    ids = ids * fg[:, None]
    # propagate the largest id over each region (exact in float64 below 2^53 pixels)
    while True:
        new = F.max_pool2d(ids, 3, stride=1, padding=1) * fg[:, None]
        if torch.equal(new, ids):
            break
        ids = new
    return ids[:, 0].to(torch.int64)


def au_pro(maps: Tensor, masks: Tensor, *, max_fpr: float = 0.3) -> float:
    """Area under the per-region-overlap curve up to ``max_fpr``, divided by ``max_fpr``.

    At each threshold the PRO is the mean, over all ground-truth regions (8-connected
    components of every mask), of the fraction of the region's pixels above the threshold; the
    FPR is the fraction of all normal pixels above it. The curve is exact (one point per
    distinct score), linearly interpolated at ``max_fpr``.

    Args:
        maps: anomaly maps ``(N, H, W)``.
        masks: ground truth ``(N, H, W)``, 1 on defect pixels.
        max_fpr: the FPR limit, in (0, 1] (MVTec AD: 0.3).
    """
    m = _maps("maps", maps)
    y = _labels("masks", masks, maps.shape, "maps")
    if isinstance(max_fpr, bool) or not isinstance(max_fpr, int | float) or not 0 < max_fpr <= 1:
        raise ConfigError(f"max_fpr must be a number in (0, 1]; got {max_fpr!r}")
    regions = connected_regions(y).reshape(-1)
    ids, inverse, sizes = torch.unique(regions, return_inverse=True, return_counts=True)
    fg = ids > 0
    num_regions = int(fg.sum())
    n_normal = int((regions == 0).sum())
    if num_regions == 0 or n_normal == 0:
        raise ConfigError(
            "masks must contain both defect and normal pixels for AU-PRO; got "
            f"{num_regions} defect regions and {n_normal} normal pixels (a test set with one class)"
        )
    weight = torch.where(fg, 1.0 / (sizes.to(torch.float64) * num_regions), 0.0)[inverse]
    normal = (regions == 0).to(torch.float64) / n_normal
    s, order = torch.sort(m.reshape(-1), descending=True)
    pro = torch.cumsum(weight[order], 0)
    fpr = torch.cumsum(normal[order], 0)
    # one curve point at the end of each group of tied scores
    _, counts = torch.unique_consecutive(s, return_counts=True)
    last = torch.cumsum(counts, 0) - 1
    zero = torch.zeros(1, dtype=torch.float64)
    fpr, pro = torch.cat((zero, fpr[last])), torch.cat((zero, pro[last]))
    keep = fpr <= max_fpr
    k = int(keep.sum())  # points with fpr <= max_fpr (always ≥ 1: the origin)
    x, yv = fpr[:k], pro[:k]
    if k < fpr.numel() and x[-1] < max_fpr:
        x0, x1, y0, y1 = fpr[k - 1], fpr[k], pro[k - 1], pro[k]
        y_end = y0 + (y1 - y0) * (max_fpr - x0) / (x1 - x0)
        x = torch.cat((x, torch.tensor([max_fpr], dtype=torch.float64)))
        yv = torch.cat((yv, y_end.reshape(1)))
    return float(torch.trapezoid(yv, x) / max_fpr)
