"""Deciding a region (IBP, then CROWN, then the MILP) and the certified L∞ radius by bisection.

Part of :mod:`nnatlas.probes.verify`. Paper: "Towards Reliable Neural Specifications", Chuqin Geng, Nham Le, Xiaojie Xu, Zhaoyue Wang,
Arie Gurfinkel, Xujie Si (ICML 2023), arXiv 2210.16114.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_positive
from nnatlas.probes.nap import NAP
from nnatlas.probes.verify.crown import crown_margin_lower_bounds
from nnatlas.probes.verify.ibp import margin_lower_bounds
from nnatlas.probes.verify.milp import milp_margins
from nnatlas.probes.verify.network import Affine, as_affine, check_points

__all__ = ["METHODS", "Method", "certified_radius", "verify_region"]

Method = Literal["ibp", "crown", "milp"]
#: The decision procedures of :func:`verify_region`, cheapest first.
METHODS: tuple[str, ...] = ("ibp", "crown", "milp")


def verify_region(
    model: nn.Module | Affine,
    lower: Tensor,
    upper: Tensor,
    label: int,
    *,
    nap: NAP | None = None,
    method: Method = "ibp",
    time_limit: float | None = None,
) -> bool | None:
    """Decide "every input of ``[lower, upper]`` (∩ NAP) is classified ``label``".

    Args:
        model: a ReLU MLP, or its :func:`affine_layers`.
        lower: box lower corner ``(in_features,)``.
        upper: box upper corner ``(in_features,)``.
        label: the class ℓ.
        nap: optional NAP constraint.
        method: ``"ibp"`` (sound, incomplete), ``"crown"`` (IBP, then linear relaxation;
            sound, incomplete, tighter) or ``"milp"`` (IBP and CROWN first, then the exact
            MILP for the competitors they leave open).
        time_limit: seconds per MILP query.

    Returns:
        ``True`` proven; ``False`` refuted (MILP found a counterexample: margin ≤ 0); ``None``
        undecided (IBP could not prove it, or the MILP hit its time limit).
    """
    _check_method(method)
    layers = as_affine(model)
    bounds, empty = margin_lower_bounds(layers, lower, upper, label, nap=nap)
    if bool(empty):
        return True
    open_j = [j for j in range(bounds.shape[-1]) if j != label and float(bounds[j]) <= 0.0]
    if not open_j:
        return True
    if method == "ibp":
        return None
    bounds, empty = crown_margin_lower_bounds(layers, lower, upper, label, nap=nap)
    if bool(empty):
        return True
    open_j = [j for j in open_j if float(bounds[j]) <= 0.0]
    if not open_j:
        return True
    if method == "crown":
        return None
    results = milp_margins(
        layers, lower, upper, label, nap=nap, competitors=open_j, time_limit=time_limit
    )
    if any(r.status != "infeasible" and r.value <= 0.0 for r in results.values()):
        return False
    if all(r.status == "infeasible" or r.bound > 0.0 for r in results.values()):
        return True
    return None


def certified_radius(
    model: nn.Module | Affine,
    x: Tensor,
    label: int,
    *,
    nap: NAP | None = None,
    domain: tuple[float, float] | None = (0.0, 1.0),
    method: Method = "ibp",
    max_radius: float = 1.0,
    tol: float = 1e-3,
    time_limit: float | None = None,
) -> float:
    """The largest L∞ radius ε (to ``tol``) such that the ball around ``x`` is verified.

    The region is ``{x' : ‖x' − x‖∞ ≤ ε}`` clipped to ``domain`` and, with ``nap``,
    intersected with the NAP region. Bisection assumes the check is monotone in ε, which
    holds for the exact MILP and for IBP (interval arithmetic is inclusion-monotone); CROWN's
    adaptive slopes are not guaranteed monotone, but the returned ε is always one that was
    verified, so the answer stays sound. A MILP
    query that times out counts as not verified, so the result stays a sound lower bound.

    Args:
        model: a ReLU MLP, or its :func:`affine_layers`.
        x: one input ``(in_features,)`` (or any shape flattening to it).
        label: the class ℓ to certify.
        nap: optional NAP constraint (usually NAP_ℓ).
        domain: the valid input range per coordinate, or ``None`` for no clipping.
        method: ``"ibp"``, ``"crown"`` or ``"milp"`` (see :func:`verify_region`; the MILP
            bisection starts from the CROWN radius).
        max_radius: the largest ε tried.
        tol: bisection stops when the bracket is narrower than this.
        time_limit: seconds per MILP query.

    Returns:
        The certified radius (0 when even ``x`` itself is not verified).
    """
    layers = as_affine(model)
    _check_method(method)
    centre = _centre(x, layers)
    check_positive("tol", tol)
    check_positive("max_radius", max_radius)
    _check_domain(domain)

    def verified(eps: float) -> bool:
        lo, hi = centre - eps, centre + eps
        if domain is not None:
            lo, hi = lo.clamp(*domain), hi.clamp(*domain)
        return (
            verify_region(layers, lo, hi, label, nap=nap, method=method, time_limit=time_limit)
            is True
        )

    good = 0.0
    if method == "milp":
        # The CROWN radius is already certified: bisect the MILP only above it.
        good = certified_radius(
            layers, centre, label, nap=nap, domain=domain, method="crown",
            max_radius=max_radius, tol=tol,
        )  # fmt: skip
        if good >= max_radius:
            return good
    elif not verified(0.0):
        return 0.0
    if verified(max_radius):
        return max_radius
    bad = max_radius
    while bad - good > tol:
        mid = (good + bad) / 2
        good, bad = (mid, bad) if verified(mid) else (good, mid)
    return good


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")


def _centre(x: Tensor, layers: Affine) -> Tensor:
    """One input ``x`` as a float64 ``(in_features,)`` tensor on the layers' device."""
    check_points("x", x)
    d = layers[0][0].shape[1]
    if x.numel() != d:
        raise ConfigError(f"x must be one input ({d},) (or flatten to it); got {tuple(x.shape)}")
    return x.to(dtype=torch.float64, device=layers[0][0].device).reshape(-1)


def _check_domain(domain: tuple[float, float] | None) -> None:
    if domain is not None and not (
        isinstance(domain, tuple | list)
        and len(domain) == 2
        and all(isinstance(v, int | float) and math.isfinite(v) for v in domain)
        and domain[0] <= domain[1]
    ):
        raise ConfigError(
            f"domain must be None or a pair (low, high) with low <= high; got {domain!r}"
        )
