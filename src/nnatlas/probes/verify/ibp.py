"""Interval bound propagation (IBP) over a box, with NAP-fixed neurons clamped.

Part of :mod:`nnatlas.probes.verify`. Paper: "Towards Reliable Neural Specifications", Chuqin Geng, Nham Le, Xiaojie Xu, Zhaoyue Wang,
Arie Gurfinkel, Xujie Si (ICML 2023), arXiv 2210.16114.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from nnatlas.probes.nap import NAP
from nnatlas.probes.verify.network import (
    Affine,
    Masks,
    as_affine,
    check_box,
    margin_matrix,
    nap_masks,
)

__all__ = ["IntervalBounds", "interval_bounds", "margin_lower_bounds", "propagate_intervals"]


@dataclass(frozen=True)
class IntervalBounds:
    """Interval bounds of a ReLU MLP over a box (optionally intersected with a NAP region).

    Attributes:
        pre_lower: per hidden layer, lower bounds of the pre-activations ``(..., width)``.
        pre_upper: per hidden layer, upper bounds ``(..., width)``.
        out_lower: lower bounds of the outputs ``(..., classes)``.
        out_upper: upper bounds of the outputs ``(..., classes)``.
        empty: ``(...)`` bool: the NAP contradicts the bounds, so the region is empty and
            every property holds on it vacuously.
    """

    pre_lower: list[Tensor]
    pre_upper: list[Tensor]
    out_lower: Tensor
    out_upper: Tensor
    empty: Tensor


def propagate_intervals(
    layers: Affine, lo: Tensor, hi: Tensor, masks: Masks | None
) -> tuple[list[Tensor], list[Tensor], Tensor, Tensor, Tensor]:
    """IBP through the hidden layers, NAP-fixed neurons clamped.

    Args:
        layers: the network's affine layers.
        lo, hi: the checked input box ``(..., in_features)`` (from ``check_box``).
        masks: the NAP's per-layer masks, or ``None``.

    Returns:
        ``(pre_lower, pre_upper, last hidden lower, last hidden upper, empty)``: per hidden
        layer the pre-activation bounds, the post-ReLU box of the last hidden layer and
        ``(...)`` bool, True where the NAP contradicts the bounds (an empty region).
    """
    empty = torch.zeros(lo.shape[:-1], dtype=torch.bool, device=lo.device)
    pre_lo: list[Tensor] = []
    pre_hi: list[Tensor] = []
    for k, (w, b) in enumerate(layers[:-1]):
        centre = (lo + hi) / 2 @ w.T + b
        radius = (hi - lo) / 2 @ w.abs().T
        zl, zu = centre - radius, centre + radius
        if masks is not None:
            act, ina = masks[k]
            empty = empty | (act & (zu < 0)).any(-1) | (ina & (zl > 0)).any(-1)
            zl = torch.where(act, zl.clamp(min=0.0), zl)
            zu = torch.where(ina, zu.clamp(max=0.0), zu)
            # On an empty region keep each interval well-formed (degenerate), so that the
            # layers after it still see lower <= upper and the bounds stay inside plain IBP's.
            zu = torch.maximum(zu, torch.where(act, zl, zu))
            zl = torch.minimum(zl, torch.where(ina, zu, zl))
        pre_lo.append(zl)
        pre_hi.append(zu)
        lo, hi = zl.clamp(min=0.0), zu.clamp(min=0.0)
    return pre_lo, pre_hi, lo, hi, empty


def interval_bounds(
    model: nn.Module | Affine, lower: Tensor, upper: Tensor, *, nap: NAP | None = None
) -> IntervalBounds:
    """Interval bound propagation over the box ``[lower, upper]``, optionally inside a NAP.

    With a NAP, fixed-inactive neurons are clamped to pre-activation ≤ 0 (their output is 0)
    and fixed-active ones to ≥ 0 (their output is the pre-activation): the bounds are sound
    for every input of the box whose pattern satisfies the NAP, and contained in the plain
    IBP bounds.

    Args:
        model: a ReLU MLP, or its :func:`affine_layers`.
        lower: box lower corner ``(..., in_features)`` (inputs are flattened).
        upper: box upper corner, same shape.
        nap: optional NAP constraint.

    Returns:
        :class:`IntervalBounds` in float64.
    """
    layers = as_affine(model)
    lo, hi = check_box(lower, upper, layers)
    pre_lo, pre_hi, lo, hi, empty = propagate_intervals(layers, lo, hi, nap_masks(nap, layers))
    w, b = layers[-1]
    centre = (lo + hi) / 2 @ w.T + b
    radius = (hi - lo) / 2 @ w.abs().T
    return IntervalBounds(pre_lo, pre_hi, centre - radius, centre + radius, empty)


def margin_lower_bounds(
    model: nn.Module | Affine,
    lower: Tensor,
    upper: Tensor,
    label: int,
    *,
    nap: NAP | None = None,
) -> tuple[Tensor, Tensor]:
    """Sound lower bounds of the margins y_label − y_j over the box (∩ NAP), by IBP.

    The last layer is folded into the margin (bounding ``(W_ℓ − W_j) h`` directly), which is
    tighter than subtracting output intervals.

    Args:
        model: a ReLU MLP, or its :func:`affine_layers`.
        lower: box lower corner ``(..., in_features)``.
        upper: box upper corner, same shape.
        label: the class ℓ.
        nap: optional NAP constraint (usually NAP_ℓ).

    Returns:
        ``(bounds, empty)``: bounds ``(..., classes)`` float64 (entry ``label`` is 0) and
        ``(...)`` bool, True where the NAP region is proven empty.
    """
    layers = as_affine(model)
    lo, hi = check_box(lower, upper, layers)
    _, _, lo, hi, empty = propagate_intervals(layers, lo, hi, nap_masks(nap, layers))
    dw, db = margin_matrix(layers, label)
    bounds = (lo + hi) / 2 @ dw.T + db - (hi - lo) / 2 @ dw.abs().T
    bounds[..., label] = 0.0
    return bounds, empty
