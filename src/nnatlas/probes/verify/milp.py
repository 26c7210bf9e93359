"""The exact minimum margin over a box (∩ NAP) by a mixed-integer program (HiGHS via scipy).

Part of :mod:`nnatlas.probes.verify`. Paper: "Towards Reliable Neural Specifications", Chuqin Geng, Nham Le, Xiaojie Xu, Zhaoyue Wang,
Arie Gurfinkel, Xujie Si (ICML 2023), arXiv 2210.16114. Needs scipy (extra ``pde``, or ``test``); imported
lazily.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.optional import require
from nnatlas.probes.nap import NAP
from nnatlas.probes.verify.ibp import IntervalBounds, interval_bounds
from nnatlas.probes.verify.network import (
    Affine,
    Masks,
    as_affine,
    check_box,
    margin_matrix,
    nap_masks,
)

__all__ = ["MarginResult", "milp_margins"]


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
        MissingExtraError: scipy is not installed (``pip install 'nnatlas[pde]'``).
    """
    layers = as_affine(model)
    lo, hi = check_box(lower, upper, layers)
    if lo.dim() != 1:
        raise ConfigError(f"lower and upper must be 1-D for the MILP; got shape {tuple(lo.shape)}")
    dw, db = margin_matrix(layers, label)
    competitors = _check_competitors(competitors, label, dw.shape[0])
    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float)
        or not 0 < time_limit < math.inf
    ):
        raise ConfigError(
            f"time_limit must be a positive number of seconds or None; got {time_limit!r}"
        )
    masks = nap_masks(nap, layers)
    optimize = require("scipy.optimize", "pde")
    bounds = interval_bounds(layers, lo, hi, nap=nap)
    if bool(bounds.empty):
        return {j: MarginResult(j, "infeasible", math.inf, math.inf, None) for j in competitors}
    program = _build_program(layers, lo, hi, bounds, masks)
    constraints, var_bounds, integrality = program.to_scipy(optimize)
    options: dict[str, Any] = {"disp": False}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    dw_np, db_np = dw.cpu().numpy(), db.cpu().numpy()
    results: dict[int, MarginResult] = {}
    for j in competitors:
        # Minimise (W_ℓ − W_j) h_L over the program; the bias difference is a constant.
        cost = np.zeros(program.n_var)
        cost[program.last_hidden] = dw_np[j]
        res = optimize.milp(
            cost,
            integrality=integrality,
            bounds=var_bounds,
            constraints=constraints,
            options=options,
        )
        results[j] = _read_margin(j, res, float(db_np[j]), program.n_inputs)
    return results


def _check_competitors(competitors: Sequence[int] | None, label: int, classes: int) -> list[int]:
    if competitors is None:
        return [j for j in range(classes) if j != label]
    if isinstance(competitors, str | int) or not isinstance(competitors, Sequence):
        raise ConfigError(f"competitors must be a sequence of class indices; got {competitors!r}")
    for j in competitors:
        if isinstance(j, bool) or not isinstance(j, int) or not 0 <= j < classes or j == label:
            raise ConfigError(
                f"competitors must be ints in [0, {classes}) other than {label}; got {j!r}"
            )
    return list(competitors)


Row = tuple[dict[int, float], float, float]
"""One constraint ``lb <= sum_c coef[c] v_c <= ub``; a negative column ``-(a + 1)`` is binary ``a``."""


@dataclass
class _Program:
    """The mixed-integer program over ``v = [x | h_1 | ... | h_L | binaries]``.

    Continuous columns come first (the input, then every hidden layer's outputs); binaries are
    numbered separately while the rows are built and placed after them at the end.
    """

    offsets: list[int]  # start column of x, h_1, ..., h_L, and the end of the continuous part
    var_lo: list[float] = field(default_factory=list)
    var_hi: list[float] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    n_bin: int = 0

    @property
    def n_inputs(self) -> int:
        return self.offsets[1]

    @property
    def n_cont(self) -> int:
        return self.offsets[-1]

    @property
    def n_var(self) -> int:
        return self.n_cont + self.n_bin

    @property
    def last_hidden(self) -> slice:
        return slice(self.offsets[-2], self.offsets[-1])

    def new_binary(self) -> int:
        """Reserve a binary; rows refer to it as column ``-(index + 1)``."""
        self.n_bin += 1
        return -self.n_bin

    def to_scipy(self, optimize: Any) -> tuple[list[Any], Any, np.ndarray]:
        """``(constraints, bounds, integrality)`` for ``scipy.optimize.milp``."""
        a_mat = np.zeros((len(self.rows), self.n_var))
        row_lo = np.empty(len(self.rows))
        row_hi = np.empty(len(self.rows))
        for r, (coef, rl, rh) in enumerate(self.rows):
            for c, v in coef.items():
                a_mat[r, self.n_cont + (-c - 1) if c < 0 else c] = v
            row_lo[r], row_hi[r] = rl, rh
        integrality = np.concatenate([np.zeros(self.n_cont), np.ones(self.n_bin)])
        constraints = [optimize.LinearConstraint(a_mat, row_lo, row_hi)] if self.rows else []
        var_lo = np.array(self.var_lo + [0.0] * self.n_bin)
        var_hi = np.array(self.var_hi + [1.0] * self.n_bin)
        return constraints, optimize.Bounds(var_lo, var_hi), integrality


def _build_program(
    layers: Affine, lo: Tensor, hi: Tensor, bounds: IntervalBounds, masks: Masks | None
) -> _Program:
    """Encode every hidden neuron of the network over the box (see :func:`milp_margins`)."""
    widths = [w.shape[0] for w, _ in layers[:-1]]
    program = _Program(offsets=np.cumsum([0, lo.shape[0], *widths]).tolist())
    program.var_lo += lo.cpu().tolist()
    program.var_hi += hi.cpu().tolist()
    for k, (w, b) in enumerate(layers[:-1]):
        w_np, b_np = w.cpu().numpy(), b.cpu().numpy()
        l_np = bounds.pre_lower[k].cpu().numpy()
        u_np = bounds.pre_upper[k].cpu().numpy()
        act = masks[k][0].cpu().numpy() if masks else np.zeros(widths[k], dtype=bool)
        ina = masks[k][1].cpu().numpy() if masks else np.zeros(widths[k], dtype=bool)
        prev = range(program.offsets[k], program.offsets[k + 1])
        for i in range(widths[k]):
            z_coef = {c: float(w_np[i, t]) for t, c in enumerate(prev) if w_np[i, t] != 0.0}
            _encode_neuron(
                program,
                col=program.offsets[k + 1] + i,
                z_coef=z_coef,
                bias=float(b_np[i]),
                lower=float(l_np[i]),
                upper=float(u_np[i]),
                fixed_active=bool(act[i]),
                fixed_inactive=bool(ina[i]),
            )
    return program


def _encode_neuron(
    program: _Program,
    *,
    col: int,
    z_coef: dict[int, float],
    bias: float,
    lower: float,
    upper: float,
    fixed_active: bool,
    fixed_inactive: bool,
) -> None:
    """Add ``h = ReLU(z)``, ``z = z_coef · v + bias``, with interval bounds ``[lower, upper]``."""
    if fixed_inactive or (not fixed_active and upper <= 0.0):
        program.var_lo.append(0.0)
        program.var_hi.append(0.0)
        if fixed_inactive:
            program.rows.append((z_coef, -np.inf, -bias))  # z <= 0
        return
    program.var_lo.append(max(lower, 0.0))
    program.var_hi.append(max(upper, 0.0))
    h_minus_z = {c: -v for c, v in z_coef.items()}
    h_minus_z[col] = 1.0
    if fixed_active or lower >= 0.0:
        program.rows.append((h_minus_z, bias, bias))  # h = z
        if fixed_active:
            program.rows.append((z_coef, -bias, np.inf))  # z >= 0
        return
    a = program.new_binary()
    program.rows.append((h_minus_z, bias, np.inf))  # h - z >= 0
    program.rows.append(({col: 1.0, a: -upper}, -np.inf, 0.0))  # h <= u a
    program.rows.append(({**h_minus_z, a: -lower}, -np.inf, bias - lower))  # h <= z - l (1 - a)


def _read_margin(j: int, res: Any, const: float, n_inputs: int) -> MarginResult:
    """A :class:`MarginResult` from HiGHS's answer (``const``: the bias difference b_ℓ − b_j)."""
    if res.status == 2:
        return MarginResult(j, "infeasible", math.inf, math.inf, None)
    x_opt = torch.as_tensor(res.x[:n_inputs], dtype=torch.float64) if res.x is not None else None
    value = float(res.fun) + const if res.fun is not None else math.inf
    dual = getattr(res, "mip_dual_bound", None)
    # The solver's lower bound on the margin, when it reports a finite one.
    lower = float(dual) + const if dual is not None and math.isfinite(dual) else None
    if res.status == 0:
        return MarginResult(
            j, "optimal", value, value if lower is None else min(value, lower), x_opt
        )
    if res.status == 1:
        return MarginResult(j, "time_limit", value, -math.inf if lower is None else lower, x_opt)
    return MarginResult(j, "error", value, -math.inf, x_opt)
