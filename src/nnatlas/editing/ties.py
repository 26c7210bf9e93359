"""TIES merging of task vectors (trim, elect sign, disjoint mean).

Yadav et al., "TIES-Merging: Resolving Interference When Merging Models" (arXiv 2306.01708), as
WISE (arXiv 2405.14768) uses it to merge knowledge shards (EasyEdit ``merge/gta.py``): each task
vector ``tau_i = W_i - W_base`` keeps its top ``density`` fraction of entries by magnitude; the
per-entry sign is the sign of the weighted sum of trimmed vectors; the merged vector averages,
per entry, only the trimmed entries whose sign agrees, divided by the sum of their weights.

Deviation: the kept count is ``round(density * numel)``; EasyEdit and mergekit floor it
(mergekit keeps at least one), so where ``density * numel`` is not a whole number ours keeps at
most one entry more (and none below 0.5 entries). Otherwise ours matches mergekit 0.1.5's TIES to
a few ulps (``crosscheck/check_mergekit.py``). Kept so that the measured WISE runs stay valid.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_tensor

__all__ = ["ties_merge", "trim_top"]


def trim_top(tau: Tensor, density: float) -> Tensor:
    """Keep the ``round(density * numel)`` entries of largest ``|tau|``; zero the rest."""
    check_tensor("tau", tau)
    if not 0.0 < float(density) <= 1.0:
        raise ConfigError(f"density must be in (0, 1]; got {density}")
    k = round(density * tau.numel())
    if k >= tau.numel():
        return tau.clone()
    if k == 0:
        return torch.zeros_like(tau)
    flat = tau.flatten()
    keep = torch.zeros_like(flat, dtype=torch.bool)
    keep[flat.abs().topk(k).indices] = True
    return torch.where(keep, flat, torch.zeros_like(flat)).view_as(tau)


def ties_merge(
    base: Tensor,
    tuned: Sequence[Tensor],
    *,
    density: float = 0.53,
    weights: Sequence[float] | None = None,
) -> Tensor:
    """Merge fine-tuned copies of ``base`` with TIES.

    Args:
        base: the base weight, any shape.
        tuned: one or more tensors of ``base``'s shape (the shards).
        density: fraction of entries kept per task vector, in (0, 1].
        weights: one weight per shard (default ``1 / len(tuned)`` each).

    Returns:
        ``base + merged task vector`` (``base``'s shape).
    """
    check_tensor("base", base)
    tuned = list(tuned)
    if not tuned:
        raise ConfigError("tuned must hold at least one tensor")
    for i, t in enumerate(tuned):
        check_tensor(f"tuned[{i}]", t)
        if t.shape != base.shape:
            raise ConfigError(
                f"tuned[{i}] must have base's shape {tuple(base.shape)}; got {tuple(t.shape)}"
            )
    w = [1.0 / len(tuned)] * len(tuned) if weights is None else [float(x) for x in weights]
    if len(w) != len(tuned) or any(not x > 0 for x in w):
        raise ConfigError(f"weights must be {len(tuned)} positive numbers; got {weights!r}")
    taus = torch.stack([trim_top(t - base, density) for t in tuned])  # (k, ...)
    wt = torch.tensor(w, dtype=base.dtype, device=base.device).view(-1, *([1] * base.dim()))
    sign = torch.sign((wt * taus).sum(0))
    agree = (torch.sign(taus) == sign) & (taus != 0)
    num = (wt * taus * agree).sum(0)
    den = (wt * agree).sum(0)
    merged = torch.where(
        den > 0, num / den.clamp_min(torch.finfo(base.dtype).tiny), torch.zeros_like(num)
    )
    return base + merged
