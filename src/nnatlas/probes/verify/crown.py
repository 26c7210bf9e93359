"""CROWN-style linear relaxation of the margins, NAP-fixed neurons exact.

Part of :mod:`nnatlas.probes.verify`. Paper: "Towards Reliable Neural Specifications", Chuqin Geng, Nham Le, Xiaojie Xu, Zhaoyue Wang,
Arie Gurfinkel, Xujie Si (ICML 2023), arXiv 2210.16114. The relaxation is CROWN's (Zhang et al. 2018,
arXiv 1811.00866) with fixed lower slopes (no α/β optimisation).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.probes.nap import NAP
from nnatlas.probes.verify.ibp import margin_lower_bounds, propagate_intervals
from nnatlas.probes.verify.network import (
    Affine,
    Masks,
    as_affine,
    check_box,
    margin_matrix,
    nap_masks,
)

__all__ = ["crown_margin_lower_bounds"]


def _backward_lower(
    layers: Affine,
    k: int,
    coef: Tensor,
    lo: Tensor,
    hi: Tensor,
    pre_lo: list[Tensor],
    pre_hi: list[Tensor],
    masks: Masks | None,
    out: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """Lower bounds of ``coef @ z_k`` over the box (∩ NAP) by back-substitution.

    ``z_k`` is the output of affine layer ``k`` (``out`` replaces that layer's ``(W, b)``, e.g.
    by the margin matrix); every ReLU before it is replaced by linear bounds: exact for stable
    and NAP-fixed neurons (a fixed-active neuron is the identity on the NAP region, a
    fixed-inactive one is 0), the CROWN triangle for unstable ones (upper chord, lower slope
    0 or 1, whichever covers more area).
    """
    const = torch.zeros(coef.shape[0], dtype=coef.dtype, device=coef.device)
    for i in range(k, -1, -1):
        w, b = out if (i == k and out is not None) else layers[i]
        const = const + coef @ b
        coef = coef @ w
        if i == 0:
            break
        lb, u = pre_lo[i - 1], pre_hi[i - 1]
        active = lb >= 0
        inactive = u <= 0
        if masks is not None:
            active = active | masks[i - 1][0]
            inactive = inactive | masks[i - 1][1]
        unstable = ~active & ~inactive
        denom = torch.where(unstable, u - lb, torch.ones_like(u))
        up_slope = torch.where(unstable, u / denom, active.to(u.dtype))
        up_icpt = torch.where(unstable, -up_slope * lb, torch.zeros_like(u))
        low_slope = torch.where(unstable, (u > -lb).to(u.dtype), active.to(u.dtype))
        pos = coef >= 0
        const = const + (torch.where(pos, torch.zeros_like(coef), coef) * up_icpt).sum(-1)
        coef = coef * torch.where(pos, low_slope, up_slope)
    centre, radius = (lo + hi) / 2, (hi - lo) / 2
    return const + coef @ centre - coef.abs() @ radius


def _crown(
    layers: Affine, lo: Tensor, hi: Tensor, nap: NAP | None, label: int
) -> tuple[Tensor, Tensor, list[Tensor], list[Tensor]]:
    masks = nap_masks(nap, layers)
    pre_lo, pre_hi, _, _, empty = propagate_intervals(layers, lo, hi, masks)  # IBP to start from
    for k in range(len(layers) - 1):
        width = layers[k][0].shape[0]
        eye = torch.eye(width, dtype=lo.dtype, device=lo.device)
        zl = _backward_lower(layers, k, eye, lo, hi, pre_lo, pre_hi, masks)
        zu = -_backward_lower(layers, k, -eye, lo, hi, pre_lo, pre_hi, masks)
        zl, zu = torch.maximum(zl, pre_lo[k]), torch.minimum(zu, pre_hi[k])
        if masks is not None:
            act, ina = masks[k]
            empty = empty | (act & (zu < 0)).any(-1) | (ina & (zl > 0)).any(-1)
            zl = torch.where(act, zl.clamp(min=0.0), zl)
            zu = torch.where(ina, zu.clamp(max=0.0), zu)
        # Keep intervals well-formed where the region is empty (as in IBP).
        zu = torch.maximum(zu, zl)
        pre_lo[k], pre_hi[k] = zl, zu
    dw, db = margin_matrix(layers, label)
    margins = _backward_lower(
        layers, len(layers) - 1, torch.eye(dw.shape[0], dtype=lo.dtype, device=lo.device),
        lo, hi, pre_lo, pre_hi, masks, out=(dw, db),
    )  # fmt: skip
    return margins, empty, pre_lo, pre_hi


def crown_margin_lower_bounds(
    model: nn.Module | Affine,
    lower: Tensor,
    upper: Tensor,
    label: int,
    *,
    nap: NAP | None = None,
) -> tuple[Tensor, Tensor]:
    """Sound lower bounds of the margins y_label − y_j by linear relaxation (CROWN).

    Each layer's pre-activation bounds come from back-substituting linear ReLU bounds down to
    the input box (intersected with IBP's); a NAP makes its fixed neurons exact (identity or
    zero) instead of relaxed — this is where "fixed-active neurons become linear" pays off.
    The result is the elementwise maximum of this bound, the plain (no-NAP) CROWN bound and
    the IBP bound of :func:`margin_lower_bounds`: all are sound on the region, so the maximum
    is too, and it is never looser than plain IBP or than CROWN without the NAP.

    Args:
        model: a ReLU MLP, or its :func:`affine_layers`.
        lower: box lower corner ``(in_features,)``.
        upper: box upper corner ``(in_features,)``.
        label: the class ℓ.
        nap: optional NAP constraint.

    Returns:
        ``(bounds (classes,), empty)`` as in :func:`margin_lower_bounds`.
    """
    layers = as_affine(model)
    lo, hi = check_box(lower, upper, layers)
    if lo.dim() != 1:
        raise ConfigError(f"lower and upper must be 1-D for CROWN; got shape {tuple(lo.shape)}")
    ibp, ibp_empty = margin_lower_bounds(layers, lo, hi, label, nap=nap)
    bounds, empty, _, _ = _crown(layers, lo, hi, nap, label)
    bounds = torch.maximum(bounds, ibp)
    if nap is not None:
        plain, _, _, _ = _crown(layers, lo, hi, None, label)
        bounds = torch.maximum(bounds, plain)
    bounds[label] = 0.0
    return bounds, empty | ibp_empty
