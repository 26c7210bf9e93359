"""Checking NAP specifications of ReLU MLPs: interval bounds, exact MILP, PGD, certified radius.

Paper: "Towards Reliable Neural Specifications", Chuqin Geng, Nham Le, Xiaojie Xu, Zhaoyue Wang,
Arie Gurfinkel, Xujie Si (ICML 2023), arXiv 2210.16114.

Method. The specification "every input x in a region R whose activation pattern matches
NAP_ℓ is classified ℓ" holds when, for every competitor j ≠ ℓ, the *margin* y_ℓ(x) − y_j(x)
is positive on R ∩ NAP_ℓ. The NAP constraint is a set of half-spaces on pre-activations
(fixed-active neurons z ≥ 0, fixed-inactive z ≤ 0), which also tells how the ReLU behaves: a
fixed-inactive neuron outputs 0 (it drops out) and a fixed-active one is the identity (it
becomes linear). Four tools are offered here, from cheap and incomplete to exact:

* :func:`interval_bounds` / :func:`margin_lower_bounds`: interval bound propagation (IBP),
  with NAP-fixed neurons clamped (a fixed-inactive neuron's upper pre-activation bound becomes
  ≤ 0, a fixed-active one's lower bound ≥ 0). Sound; with a NAP never looser than plain IBP;
  a NAP that contradicts the bounds proves R ∩ NAP empty.
* :func:`crown_margin_lower_bounds`: CROWN-style linear relaxation (back-substitution of
  linear ReLU bounds to the input box); NAP-fixed neurons are exact there — fixed-inactive
  ones vanish, fixed-active ones are the identity — instead of relaxed by a triangle.
* :func:`milp_margins`: the exact minimum margin by a mixed-integer program (big-M ReLU
  encoding with the NAP-tightened interval bounds, NAP neurons fixed, no binary for them),
  solved by HiGHS through ``scipy.optimize.milp``; feasible for nets with up to a few hundred
  unfixed unstable neurons.
* :func:`pgd_in_nap`: projected-gradient falsification inside R ∩ NAP (NAP violations
  penalised, only points that satisfy the NAP exactly are kept) — an upper bound on the
  minimum margin, so it can refute but never prove.
* :func:`certified_radius`: the largest L∞ radius ε (by bisection) such that the ball
  around x, intersected with the input domain and optionally with NAP_ℓ, is verified.

Deviations from the paper: the paper verifies with Marabou (complete, SMT-based); here the
complete route is a MILP (same answer up to solver tolerances, slower on wide nets); the
incomplete routes are IBP and CROWN with fixed lower slopes (no α/β optimisation as in
α,β-CROWN), and the NAP half-spaces themselves (z ≥ 0 / z ≤ 0) only enter through the
per-neuron bounds, not as constraints on the input region. Regions are axis-aligned boxes (the full input domain or an L∞ ball clipped to it); NAP
half-spaces are closed (z ≥ 0 / z ≤ 0, as in the refactored official code) without margins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.optional import require
from nnatlas.core.validation import check_int
from nnatlas.probes.nap import NAP, relu_layers

__all__ = [
    "IntervalBounds",
    "MarginResult",
    "PGDResult",
    "affine_layers",
    "certified_radius",
    "crown_margin_lower_bounds",
    "forward_margins",
    "interval_bounds",
    "margin_lower_bounds",
    "milp_margins",
    "pgd_in_nap",
    "verify_region",
]

Affine = list[tuple[Tensor, Tensor]]


def affine_layers(model: nn.Module) -> Affine:
    """The weights of a ReLU MLP as float64 ``[(W, b), ...]``, the last one the output layer.

    Args:
        model: a ReLU MLP (see :func:`nnatlas.probes.nap.relu_layers`).

    Returns:
        ``[(W_k (out, in), b_k (out,)), ...]`` detached float64 copies; missing biases are 0.

    Raises:
        ConfigError: the model is not a feed-forward ReLU network.
    """
    structure = relu_layers(model)
    modules = dict(model.named_modules())
    layers: Affine = []
    for name in structure.linear:
        lin = modules[name]
        assert isinstance(lin, nn.Linear)
        w = lin.weight.detach().to(torch.float64)
        b = (
            lin.bias.detach().to(torch.float64)
            if lin.bias is not None
            else torch.zeros(lin.out_features, dtype=torch.float64, device=w.device)
        )
        layers.append((w, b))
    return layers


def _as_affine(model: nn.Module | Affine) -> Affine:
    return affine_layers(model) if isinstance(model, nn.Module) else model


def _nap_masks(nap: NAP | None, layers: Affine) -> list[tuple[Tensor, Tensor]] | None:
    if nap is None:
        return None
    widths = tuple(w.shape[0] for w, _ in layers[:-1])
    if tuple(nap.widths) != widths:
        raise ConfigError(f"nap must have hidden widths {widths} (the model's); got {nap.widths}")
    dev = layers[0][0].device
    return [(a.to(dev), i.to(dev)) for a, i in nap.layer_masks()]


def _box(lower: Tensor, upper: Tensor, layers: Affine) -> tuple[Tensor, Tensor]:
    for name, t in (("lower", lower), ("upper", upper)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
    d = layers[0][0].shape[1]
    dev = layers[0][0].device
    lo = lower.to(device=dev, dtype=torch.float64).reshape(*lower.shape[:-1], -1)
    hi = upper.to(device=dev, dtype=torch.float64).reshape(*upper.shape[:-1], -1)
    if lo.shape[-1] != d or lo.shape != hi.shape:
        raise ConfigError(
            f"lower and upper must have the same shape (..., {d}); got {tuple(lower.shape)} and "
            f"{tuple(upper.shape)}"
        )
    if bool((lo > hi).any()):
        raise ConfigError("lower must be <= upper elementwise; some lower bound exceeds its upper")
    return lo, hi


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


def _propagate(
    layers: Affine, lo: Tensor, hi: Tensor, masks: list[tuple[Tensor, Tensor]] | None
) -> tuple[list[Tensor], list[Tensor], Tensor, Tensor, Tensor]:
    """IBP through the hidden layers; returns pre-bounds, the last hidden box and emptiness."""
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
    layers = _as_affine(model)
    lo, hi = _box(lower, upper, layers)
    pre_lo, pre_hi, lo, hi, empty = _propagate(layers, lo, hi, _nap_masks(nap, layers))
    w, b = layers[-1]
    centre = (lo + hi) / 2 @ w.T + b
    radius = (hi - lo) / 2 @ w.abs().T
    return IntervalBounds(pre_lo, pre_hi, centre - radius, centre + radius, empty)


def _margin_matrix(layers: Affine, label: int) -> tuple[Tensor, Tensor]:
    w, b = layers[-1]
    classes = w.shape[0]
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < classes:
        raise ConfigError(f"label must be an int in [0, {classes}); got {label!r}")
    return w[label] - w, b[label] - b  # (C, H), (C,)


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
    layers = _as_affine(model)
    lo, hi = _box(lower, upper, layers)
    _, _, lo, hi, empty = _propagate(layers, lo, hi, _nap_masks(nap, layers))
    dw, db = _margin_matrix(layers, label)
    bounds = (lo + hi) / 2 @ dw.T + db - (hi - lo) / 2 @ dw.abs().T
    bounds[..., label] = 0.0
    return bounds, empty


def forward_margins(
    model: nn.Module | Affine, x: Tensor, label: int
) -> tuple[Tensor, list[Tensor]]:
    """Exact margins y_label − y_j and pre-activations at inputs ``x`` (float64, differentiable).

    Args:
        model: a ReLU MLP, or its :func:`affine_layers`.
        x: inputs ``(N, in_features)`` (or any shape flattening to it).
        label: the class ℓ.

    Returns:
        ``(margins (N, classes), [pre-activations (N, width) per hidden layer])``.
    """
    layers = _as_affine(model)
    h = x.to(dtype=torch.float64, device=layers[0][0].device).reshape(x.shape[0], -1)
    pre: list[Tensor] = []
    for w, b in layers[:-1]:
        z = h @ w.T + b
        pre.append(z)
        h = z.clamp(min=0.0)
    dw, db = _margin_matrix(layers, label)
    return h @ dw.T + db, pre


def _in_nap(pre: list[Tensor], masks: list[tuple[Tensor, Tensor]] | None) -> Tensor:
    """(N,) bool: the closed NAP half-spaces hold (z ≥ 0 on active, z ≤ 0 on inactive)."""
    ok = torch.ones(pre[0].shape[0], dtype=torch.bool, device=pre[0].device)
    if masks is None:
        return ok
    for z, (act, ina) in zip(pre, masks, strict=True):
        ok &= ~((z < 0) & act).any(-1) & ~((z > 0) & ina).any(-1)
    return ok


# -- linear relaxation (CROWN) -----------------------------------------------------------------


def _backward_lower(
    layers: Affine,
    k: int,
    coef: Tensor,
    lo: Tensor,
    hi: Tensor,
    pre_lo: list[Tensor],
    pre_hi: list[Tensor],
    masks: list[tuple[Tensor, Tensor]] | None,
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
    masks = _nap_masks(nap, layers)
    pre_lo, pre_hi, _, _, empty = _propagate(layers, lo, hi, masks)  # IBP to start from
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
    dw, db = _margin_matrix(layers, label)
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
    layers = _as_affine(model)
    lo, hi = _box(lower, upper, layers)
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


# -- exact MILP -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarginResult:
    """The minimum margin y_ℓ − y_j over a region, from the MILP.

    Attributes:
        competitor: the class j.
        status: ``"optimal"``, ``"infeasible"`` (the region is empty: the property holds
            vacuously), ``"time_limit"`` or ``"error"``.
        value: the best margin found (attained at ``x``; ``inf`` when infeasible or none
            found). A negative value is a counterexample.
        bound: a lower bound on the minimum margin (the solver's dual bound; equals ``value``
            at optimality up to tolerances; ``inf`` when infeasible, ``-inf`` when unknown).
        x: ``(in_features,)`` the minimising input, or ``None``.
    """

    competitor: int
    status: str
    value: float
    bound: float
    x: Tensor | None


def milp_margins(
    model: nn.Module | Affine,
    lower: Tensor,
    upper: Tensor,
    label: int,
    *,
    nap: NAP | None = None,
    competitors: Sequence[int] | None = None,
    time_limit: float | None = None,
) -> dict[int, MarginResult]:
    """Exact minimum margins over ``[lower, upper]`` (∩ NAP) by mixed-integer programming.

    Encoding: variables are the input x, every hidden output h and one binary per *unstable*
    neuron (interval bounds straddle 0 and the NAP does not fix it). A NAP-inactive neuron
    gets ``h = 0`` and the half-space ``z ≤ 0``; a NAP-active one ``h = z`` and ``z ≥ 0``; a
    stable one ``h = z`` or ``h = 0``; an unstable one the big-M constraints
    ``h ≥ z, h ≥ 0, h ≤ u·a, h ≤ z − l·(1 − a)`` with the (NAP-tightened) IBP bounds l, u.

    Args:
        model: a ReLU MLP, or its :func:`affine_layers`.
        lower: box lower corner ``(in_features,)``.
        upper: box upper corner ``(in_features,)``.
        label: the class ℓ.
        nap: optional NAP constraint.
        competitors: the classes j to minimise y_ℓ − y_j for (default: all j ≠ ℓ).
        time_limit: seconds per competitor for HiGHS (``None``: no limit).

    Returns:
        ``{j: MarginResult}``.

    Raises:
        MissingExtraError: scipy is not installed (``pip install 'nnatlas[data]'``).
    """
    optimize = require("scipy.optimize", "data")
    layers = _as_affine(model)
    lo, hi = _box(lower, upper, layers)
    if lo.dim() != 1:
        raise ConfigError(f"lower and upper must be 1-D for the MILP; got shape {tuple(lo.shape)}")
    dw, db = _margin_matrix(layers, label)
    classes = dw.shape[0]
    if competitors is None:
        competitors = [j for j in range(classes) if j != label]
    for j in competitors:
        if not isinstance(j, int) or not 0 <= j < classes or j == label:
            raise ConfigError(
                f"competitors must be ints in [0, {classes}) other than {label}; got {j!r}"
            )
    masks = _nap_masks(nap, layers)
    bounds = interval_bounds(layers, lo, hi, nap=nap)
    if bool(bounds.empty):
        return {j: MarginResult(j, "infeasible", math.inf, math.inf, None) for j in competitors}

    # Variable layout: [x | h_1 | ... | h_L | binaries].
    d = lo.shape[0]
    widths = [w.shape[0] for w, _ in layers[:-1]]
    offsets = np.cumsum([0, d, *widths]).tolist()
    var_lo: list[float] = lo.cpu().tolist()
    var_hi: list[float] = hi.cpu().tolist()
    rows: list[tuple[dict[int, float], float, float]] = []  # (coefficients, lb, ub)
    n_bin = 0
    bin_cols: list[tuple[int, int]] = []  # (binary index, h column) for later bookkeeping
    for k, (w, b) in enumerate(layers[:-1]):
        w_np, b_np = w.cpu().numpy(), b.cpu().numpy()
        l_np = bounds.pre_lower[k].cpu().numpy()
        u_np = bounds.pre_upper[k].cpu().numpy()
        act = masks[k][0].cpu().numpy() if masks else np.zeros(widths[k], dtype=bool)
        ina = masks[k][1].cpu().numpy() if masks else np.zeros(widths[k], dtype=bool)
        prev = range(offsets[k], offsets[k + 1])
        for i in range(widths[k]):
            col = offsets[k + 1] + i
            l_i, u_i = float(l_np[i]), float(u_np[i])
            z_coef = {c: float(w_np[i, t]) for t, c in enumerate(prev) if w_np[i, t] != 0.0}
            bias = float(b_np[i])
            if ina[i] or (not act[i] and u_i <= 0.0):
                var_lo.append(0.0)
                var_hi.append(0.0)
                if ina[i]:
                    rows.append((z_coef, -np.inf, -bias))  # z <= 0
                continue
            var_lo.append(max(l_i, 0.0))
            var_hi.append(max(u_i, 0.0))
            if act[i] or l_i >= 0.0:
                row = {c: -v for c, v in z_coef.items()}
                row[col] = 1.0
                rows.append((row, bias, bias))  # h = z
                if act[i]:
                    rows.append((z_coef, -bias, np.inf))  # z >= 0
                continue
            a_idx = n_bin
            n_bin += 1
            bin_cols.append((a_idx, col))
            row = {c: -v for c, v in z_coef.items()}
            row[col] = 1.0
            rows.append((row, bias, np.inf))  # h - z >= 0
            rows.append(({col: 1.0, -(a_idx + 1): -u_i}, -np.inf, 0.0))  # h <= u a
            row2 = dict(row)
            row2[-(a_idx + 1)] = -l_i
            rows.append((row2, -np.inf, bias - l_i))  # h <= z - l (1 - a)
    n_cont = offsets[-1]
    n_var = n_cont + n_bin
    var_lo += [0.0] * n_bin
    var_hi += [1.0] * n_bin
    a_mat = np.zeros((len(rows), n_var))
    row_lo = np.empty(len(rows))
    row_hi = np.empty(len(rows))
    for r, (coef, rl, rh) in enumerate(rows):
        for c, v in coef.items():
            a_mat[r, n_cont + (-c - 1) if c < 0 else c] = v
        row_lo[r], row_hi[r] = rl, rh
    integrality = np.concatenate([np.zeros(n_cont), np.ones(n_bin)])
    constraints = [optimize.LinearConstraint(a_mat, row_lo, row_hi)] if rows else []
    var_bounds = optimize.Bounds(np.array(var_lo), np.array(var_hi))
    options: dict[str, Any] = {"disp": False}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    dw_np, db_np = dw.cpu().numpy(), db.cpu().numpy()
    results: dict[int, MarginResult] = {}
    for j in competitors:
        cost = np.zeros(n_var)
        cost[offsets[-2] : offsets[-1]] = dw_np[j]
        res = optimize.milp(
            cost,
            integrality=integrality,
            bounds=var_bounds,
            constraints=constraints,
            options=options,
        )
        const = float(db_np[j])
        if res.status == 2:
            results[j] = MarginResult(j, "infeasible", math.inf, math.inf, None)
            continue
        x_opt = torch.as_tensor(res.x[:d], dtype=torch.float64) if res.x is not None else None
        value = float(res.fun) + const if res.fun is not None else math.inf
        dual = getattr(res, "mip_dual_bound", None)
        if res.status == 0:
            bound = (
                value
                if dual is None or not math.isfinite(dual)
                else min(value, float(dual) + const)
            )
            results[j] = MarginResult(j, "optimal", value, bound, x_opt)
        elif res.status == 1:
            bound = float(dual) + const if dual is not None and math.isfinite(dual) else -math.inf
            results[j] = MarginResult(j, "time_limit", value, bound, x_opt)
        else:
            results[j] = MarginResult(j, "error", value, -math.inf, x_opt)
    return results


# -- PGD falsification ------------------------------------------------------------------------


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
    layers = _as_affine(model)
    lo, hi = _box(lower, upper, layers)
    check_int("restarts", restarts, low=0)
    check_int("steps", steps, low=0)
    masks = _nap_masks(nap, layers)
    _margin_matrix(layers, label)
    points = []
    if starts is not None:
        points.append(starts.to(lo).reshape(starts.shape[0], -1).clamp(lo, hi))
    if restarts:
        u = torch.rand(restarts, lo.shape[0], generator=generator, dtype=torch.float64)
        points.append(lo + u.to(lo.device) * (hi - lo))
    if not points:
        raise ConfigError("pgd_in_nap needs starts or restarts >= 1; got neither")
    x = torch.cat(points)
    alpha = (hi - lo) * (step_size if step_size is not None else 2.5 / max(steps, 1))
    best_x: Tensor | None = None
    best_m = math.inf
    best_all: Tensor | None = None

    def record(xs: Tensor, margins: Tensor, pre: list[Tensor]) -> None:
        nonlocal best_x, best_m, best_all
        inside = _in_nap(pre, masks)
        if not bool(inside.any()):
            return
        others = margins.clone()
        others[:, label] = math.inf
        worst = others.min(dim=1).values
        worst = torch.where(inside, worst, torch.full_like(worst, math.inf))
        i = int(worst.argmin())
        if float(worst[i]) < best_m:
            best_m, best_x, best_all = float(worst[i]), xs[i].detach().clone(), margins[i].detach()

    for step in range(steps + 1):
        x.requires_grad_(True)
        margins, pre = forward_margins(layers, x, label)
        record(x.detach(), margins.detach(), [z.detach() for z in pre])
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
    return PGDResult(best_x is not None, best_x, best_m, best_all)


# -- region verification and certified radius -----------------------------------------------

Method = Literal["ibp", "crown", "milp"]


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
    if method not in ("ibp", "crown", "milp"):
        raise ConfigError(f"method must be 'ibp', 'crown' or 'milp'; got {method!r}")
    layers = _as_affine(model)
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
    layers = _as_affine(model)
    centre = x.to(dtype=torch.float64, device=layers[0][0].device).reshape(-1)
    if not (tol > 0 and max_radius > 0):
        raise ConfigError(f"tol and max_radius must be > 0; got {tol} and {max_radius}")

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
