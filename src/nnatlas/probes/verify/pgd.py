"""Falsification by projected gradient descent inside a box ∩ NAP (an upper bound on the margin).

Part of :mod:`nnatlas.probes.verify`. Paper: "Towards Reliable Neural Specifications", Chuqin Geng, Nham Le, Xiaojie Xu, Zhaoyue Wang,
Arie Gurfinkel, Xujie Si (ICML 2023), arXiv 2210.16114.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.probes.nap import NAP
from nnatlas.probes.verify.network import (
    Affine,
    as_affine,
    check_box,
    check_points,
    forward_margins,
    in_nap,
    margin_matrix,
    nap_masks,
)

__all__ = ["PGDResult", "pgd_in_nap"]


@dataclass(frozen=True)
class PGDResult:
    """The lowest margin PGD found inside the region.

    Attributes:
        found: some visited point satisfied the NAP (otherwise ``x`` is ``None``).
        x: ``(in_features,)`` the in-region point with the lowest min-margin.
        margin: its min over j ≠ ℓ of y_ℓ − y_j (``inf`` when not found); negative means a
            counterexample to "region ⇒ class ℓ".
        margins: ``(classes,)`` its margins to every class (entry ℓ is 0).
    """

    found: bool
    x: Tensor | None
    margin: float
    margins: Tensor | None


def pgd_in_nap(
    model: nn.Module | Affine,
    lower: Tensor,
    upper: Tensor,
    label: int,
    *,
    nap: NAP | None = None,
    starts: Tensor | None = None,
    restarts: int = 8,
    steps: int = 100,
    step_size: float | None = None,
    penalty: float = 10.0,
    generator: torch.Generator | None = None,
) -> PGDResult:
    """Search for a misclassified input inside ``[lower, upper]`` ∩ NAP by projected gradient.

    Minimises ``min_j≠ℓ (y_ℓ − y_j) + penalty · Σ NAP violations`` with signed-gradient steps
    projected onto the box, from the given ``starts`` plus ``restarts`` uniform random points.
    Only points satisfying the closed NAP half-spaces exactly are recorded, so the result is
    a true point of the region (an upper bound on the minimum margin).

    Args:
        model: a ReLU MLP, or its :func:`affine_layers`.
        lower: box lower corner ``(in_features,)``.
        upper: box upper corner ``(in_features,)``.
        label: the class ℓ.
        nap: optional NAP constraint.
        starts: optional starting points ``(S, in_features)`` (clipped to the box).
        restarts: number of uniform random starts (0 allowed when ``starts`` is given).
        steps: gradient steps per start.
        step_size: per-coordinate step as a fraction of the box width (default
            ``2.5 / steps``).
        penalty: weight of the NAP-violation penalty.
        generator: CPU generator for the random starts.

    Returns:
        A :class:`PGDResult`.
    """
    layers = as_affine(model)
    lo, hi = check_box(lower, upper, layers)
    if lo.dim() != 1:
        raise ConfigError(f"lower and upper must be 1-D for PGD; got shape {tuple(lo.shape)}")
    check_int("restarts", restarts, low=0)
    check_int("steps", steps, low=0)
    for name, value in (("step_size", step_size), ("penalty", penalty)):
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 <= value < math.inf
        ):
            raise ConfigError(f"{name} must be a finite number >= 0; got {value!r}")
    masks = nap_masks(nap, layers)
    margin_matrix(layers, label)
    x = _starting_points(lo, hi, starts, restarts, generator)
    alpha = (hi - lo) * (step_size if step_size is not None else 2.5 / max(steps, 1))
    best = _Best(label)
    for step in range(steps + 1):
        x.requires_grad_(True)
        margins, pre = forward_margins(layers, x, label)
        best.update(x.detach(), margins.detach(), in_nap([z.detach() for z in pre], masks))
        if step == steps:
            break
        others = margins.clone()
        others[:, label] = math.inf
        objective = others.min(dim=1).values
        if masks is not None:
            for z, (act, ina) in zip(pre, masks, strict=True):
                violation = (-z).clamp(min=0) * act + z.clamp(min=0) * ina
                objective = objective + penalty * violation.sum(dim=1)
        (grad,) = torch.autograd.grad(objective.sum(), x)
        with torch.no_grad():
            x = torch.minimum(torch.maximum(x - alpha * grad.sign(), lo), hi)
    return PGDResult(best.x is not None, best.x, best.margin, best.margins)


def _starting_points(
    lo: Tensor,
    hi: Tensor,
    starts: Tensor | None,
    restarts: int,
    generator: torch.Generator | None,
) -> Tensor:
    """The given ``starts`` clipped to the box, then ``restarts`` uniform points of the box."""
    points = []
    if starts is not None:
        check_points("starts", starts)
        if starts.dim() < 2 or starts.numel() != starts.shape[0] * lo.shape[0]:
            raise ConfigError(
                f"starts must be (S, {lo.shape[0]}) (or flatten to it); got {tuple(starts.shape)}"
            )
        points.append(starts.to(lo).reshape(starts.shape[0], -1).clamp(lo, hi))
    if restarts:
        u = torch.rand(restarts, lo.shape[0], generator=generator, dtype=torch.float64)
        points.append(lo + u.to(lo.device) * (hi - lo))
    if not points or sum(p.shape[0] for p in points) == 0:
        raise ConfigError("pgd_in_nap needs starts or restarts >= 1; got neither")
    return torch.cat(points)


class _Best:
    """The in-region point of lowest min-margin seen so far."""

    def __init__(self, label: int) -> None:
        self.label = label
        self.x: Tensor | None = None
        self.margin = math.inf
        self.margins: Tensor | None = None

    def update(self, xs: Tensor, margins: Tensor, inside: Tensor) -> None:
        if not bool(inside.any()):
            return
        others = margins.clone()
        others[:, self.label] = math.inf
        worst = others.min(dim=1).values
        worst = torch.where(inside, worst, torch.full_like(worst, math.inf))
        i = int(worst.argmin())
        if float(worst[i]) < self.margin:
            self.margin, self.x, self.margins = float(worst[i]), xs[i].clone(), margins[i]
