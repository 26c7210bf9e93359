"""Expected calibration error, the scale-mixture classifier's calibration metric.

Part of :mod:`nnatlas.kernels.scale_mixture` (arXiv 2107.01408), which reports it for the
classifiers it compares.
"""

from __future__ import annotations

import torch
from torch import Tensor

from nnatlas.core.validation import check_int
from nnatlas.kernels.validation import check_tensor

__all__ = ["expected_calibration_error"]


def expected_calibration_error(probs: Tensor, labels: Tensor, *, num_bins: int = 15) -> float:
    """Expected calibration error of top-1 confidence, with ``num_bins`` equal-width bins.

    Args:
        probs: ``(m, C)`` predicted class probabilities.
        labels: ``(m,)`` true labels.
    """
    check_int("num_bins", num_bins)
    check_tensor("probs", probs, ndim=2)
    if not isinstance(labels, Tensor) or labels.dtype.is_floating_point or labels.dtype.is_complex:
        raise TypeError(f"labels must be an integer tensor of classes; got {labels!r}")
    if probs.dim() != 2 or labels.shape != (probs.shape[0],):
        raise ValueError(
            f"probs must be (m, C) and labels (m,); got {tuple(probs.shape)} and {tuple(labels.shape)}"
        )
    conf, pred = probs.max(1)
    correct = (pred == labels).to(torch.float64)
    bins = torch.clamp((conf * num_bins).long(), max=num_bins - 1)
    ece = torch.zeros((), dtype=torch.float64)
    for b in range(num_bins):
        mask = bins == b
        if mask.any():
            ece += (
                mask.to(torch.float64).mean()
                * (conf[mask].to(torch.float64).mean() - correct[mask].mean()).abs()
            )
    return float(ece)
