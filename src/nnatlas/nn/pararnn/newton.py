"""A recurrence as one nonlinear system, solved by Newton's method and a parallel scan.

ParaRNN (Danieli et al., arXiv 2510.21450) writes the whole trajectory of a recurrent cell
h_t = f(h_{t-1}, u_t), t = 0..L-1, as one system F(H) = 0 with F_t = h_t - f(h_{t-1}, u_t).
Each Newton step linearises it into δh_t = J_t δh_{t-1} - F_t(H), J_t = ∂f/∂h at
(h_{t-1}, u_t), a *linear* recurrence that :func:`~nnatlas.nn.pararnn.scan.linear_scan` solves
in log depth. The initial guess is one cell step from the zero state at every position.

The backward pass never differentiates through the Newton loop: the solved trajectory is
saved, the adjoint recurrence λ_t = g_t + J_{t+1}ᵀ λ_{t+1} is solved by the same scan on the
time-reversed sequence, and the gradients of the cell's parameters and inputs are one
vector-Jacobian product of f evaluated at all positions at once. Memory is O(L·D), independent
of the number of Newton iterations.

Deviations from the official code: the default stops on a residual check (``max |F(H)|``
at most ``tol``, up to ``max_iters``) instead of the paper's fixed three iterations with no
check; ``NewtonConfig.paper()`` restores the paper's setting. The scan is the work-efficient
odd-even reduction rather than a Hillis-Steele sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int, check_real, check_tensor
from nnatlas.nn._checks import describe
from nnatlas.nn.pararnn.scan import (
    SCAN_METHODS,
    ScanMethod,
    Structure,
    linear_scan,
    transpose_jacobian,
)

__all__ = [
    "Mode",
    "NewtonConfig",
    "RecurrentCell",
    "apply_recurrence",
    "autograd_jacobian",
    "check_recurrence_inputs",
    "newton_solve",
]

logger = logging.getLogger(__name__)

Mode = Literal["sequential", "parallel", "chunked"]
MODES: tuple[str, ...] = ("sequential", "parallel", "chunked")


@dataclass(frozen=True)
class NewtonConfig:
    """How the Newton solver runs.

    Attributes:
        max_iters: at most this many Newton steps.
        tol: stop once ``max |h_t - f(h_{t-1}, u_t)|`` is at most ``tol``; ``None`` picks
            ``50 × eps`` of the dtype (1.1e-14 in float64, 6e-6 in float32); ``0`` disables the
            check (a fixed ``max_iters`` steps, as in the paper, and no extra residual syncs).
        omega: relaxation of the update, H ← H + ω δH (1 = plain Newton).
        compile: run the cell's ``step_and_jacobian`` and the scan through ``torch.compile``
            (static shapes; each new shape recompiles, which takes tens of seconds on a CPU, so
            it pays off only for long runs at a fixed shape).
    """

    max_iters: int = 10
    tol: float | None = None
    omega: float = 1.0
    compile: bool = False

    def __post_init__(self) -> None:
        check_int("max_iters", self.max_iters, low=1)
        if self.tol is not None:
            check_real("tol", self.tol, low=0.0)
        check_real("omega", self.omega, low=0.0, high=2.0, low_open=True)
        if not isinstance(self.compile, bool):
            raise TypeError(f"compile must be True or False; got {self.compile!r}")

    @classmethod
    def paper(cls) -> NewtonConfig:
        """The official default: three Newton steps, no convergence check."""
        return cls(max_iters=3, tol=0.0)

    def tolerance(self, dtype: torch.dtype) -> float:
        return 50 * torch.finfo(dtype).eps if self.tol is None else float(self.tol)


class RecurrentCell(nn.Module):
    """Base class of a cell h_t = f(h_{t-1}, u_t) that ParaRNN can solve in parallel.

    A subclass sets ``state_size`` (D), ``structure`` (``"diag"``, ``"block"`` or
    ``"dense"``) and, for ``"block"``, ``block_size`` (k, with D = N k), and implements
    :meth:`step`. Work that does not depend on the state (input projections) belongs in
    :meth:`project`, which runs once over the whole sequence under ordinary autograd.
    :meth:`jacobian` defaults to autograd (``k`` vector-Jacobian products for block structure,
    D for dense); cells with a closed form override it.
    """

    state_size: int
    structure: Structure = "dense"
    block_size: int = 1
    #: Width P of :meth:`project`'s output, when the cell knows it (``apply_recurrence`` and
    #: ``newton_solve`` then check ``u`` against it); ``None``: unchecked.
    projected_size: int | None = None

    def project(self, x: Tensor) -> Tensor:
        """State-independent part of the cell. ``x: (..., L, input)`` -> ``u: (..., L, P)``."""
        return x

    def step(self, h: Tensor, u: Tensor) -> Tensor:
        """One step, elementwise over leading dims. ``h: (..., D)``, ``u: (..., P)`` -> ``(..., D)``."""
        raise NotImplementedError

    def jacobian(self, h: Tensor, u: Tensor) -> Tensor:
        """∂ step(h, u) / ∂h in the cell's structure (see :mod:`~nnatlas.nn.pararnn.scan`)."""
        return autograd_jacobian(self.step, h, u, self.structure, self.block_size)

    def step_and_jacobian(self, h: Tensor, u: Tensor) -> tuple[Tensor, Tensor]:
        """``(step(h, u), jacobian(h, u))``; cells override it to share the gate computations."""
        return self.step(h, u), self.jacobian(h, u)

    def output(self, h: Tensor) -> Tensor:
        """The part of the state the layer returns. ``h: (..., D)`` -> ``(..., H)``."""
        return h


def autograd_jacobian(
    step: Any, h: Tensor, u: Tensor, structure: Structure, block_size: int = 1
) -> Tensor:
    """∂ step(h, u)/∂h by reverse-mode autograd, in a diagonal, block or dense layout.

    Args:
        step: the cell function ``(h, u) -> h'``.
        h: ``(..., D)``; u: ``(..., P)``.
        structure: the Jacobian's known sparsity; ``"diag"`` costs one vector-Jacobian
            product, ``"block"`` ``block_size`` products and ``"dense"`` D products.
        block_size: k for ``"block"``.

    Returns:
        ``(..., D)`` (diag), ``(..., D/k, k, k)`` (block) or ``(..., D, D)`` (dense).
    """
    if not callable(step):
        raise TypeError(f"step must be a callable (h, u) -> h'; got {type(step).__name__}")
    h = check_tensor("h", h, min_ndim=1, finite=False, owner="autograd_jacobian")
    u = check_tensor("u", u, min_ndim=1, finite=False, owner="autograd_jacobian")
    if structure not in ("diag", "block", "dense"):
        raise UnknownNameError("structure", str(structure), ("diag", "block", "dense"))
    dim = h.shape[-1]
    if structure == "block":
        check_int("block_size", block_size)
        if dim % block_size:
            raise ConfigError(f"block_size must divide the state size {dim}; got {block_size}")
    k = {"diag": 1, "block": block_size, "dense": dim}[structure]
    with torch.enable_grad():
        hh = h.detach().requires_grad_(True)
        out = step(hh, u.detach())
        if structure == "diag":
            (jac,) = torch.autograd.grad(out, hh, torch.ones_like(out))
            return jac
        rows = []
        for j in range(k):
            v = torch.zeros_like(out).unflatten(-1, (-1, k))
            v[..., j] = 1.0
            (row,) = torch.autograd.grad(out, hh, v.flatten(-2), retain_graph=j < k - 1)
            rows.append(row.unflatten(-1, (-1, k)))  # (..., N, k): row j of each block
    jac = torch.stack(rows, dim=-2)  # (..., N, k(rows), k(cols))
    return jac.squeeze(-3) if structure == "dense" else jac


def _shift(h: Tensor, h0: Tensor) -> Tensor:
    """(h0, h_0, ..., h_{L-2}): the state each position starts from."""
    return torch.cat([h0.unsqueeze(-2), h[..., :-1, :]], dim=-2)


def _time_dim(structure: Structure) -> int:
    return -2 if structure == "diag" else -4 if structure == "block" else -3


def check_recurrence_inputs(owner: str, cell: Any, u: Any, h0: Any) -> None:
    """The arguments every recurrence solver shares: a cell, projected inputs, initial state.

    Raises:
        TypeError: ``cell`` is not a :class:`RecurrentCell`; ``u``/``h0`` are not floating
            tensors of one dtype.
        ConfigError: ``u`` is not ``(..., L, P)`` (with ``P = cell.projected_size`` when the
            cell declares it) or ``h0`` is not ``(..., D)`` with ``u``'s batch dims.
    """
    if not isinstance(cell, RecurrentCell):
        raise TypeError(f"{owner}: cell must be a RecurrentCell; got {type(cell).__name__}")
    if not isinstance(u, Tensor) or not u.is_floating_point():
        raise TypeError(f"{owner}: u must be a floating-point tensor; got {describe(u)}")
    p = cell.projected_size
    if u.dim() < 2 or (p is not None and u.shape[-1] != p):
        raise ConfigError(
            f"{owner}: u must be (..., L, P{'' if p is None else f'={p}'}); got shape "
            f"{tuple(u.shape)}"
        )
    if h0 is None:
        return
    if not isinstance(h0, Tensor) or h0.dtype != u.dtype:
        raise TypeError(f"{owner}: h0 must be a tensor of u's dtype {u.dtype}; got {describe(h0)}")
    if h0.shape != (*u.shape[:-2], cell.state_size):
        raise ConfigError(
            f"h0 must have shape {(*u.shape[:-2], cell.state_size)} (batch dims of u, state "
            f"size); got {tuple(h0.shape)}"
        )


@torch.no_grad()
def newton_solve(
    cell: RecurrentCell,
    u: Tensor,
    h0: Tensor,
    config: NewtonConfig | None = None,
    *,
    scan: ScanMethod = "parallel",
    chunk_size: int | None = None,
    history: list[Tensor] | None = None,
    residuals: list[float] | None = None,
) -> Tensor:
    """The trajectory of ``cell`` by Newton's method on the whole sequence (no autograd).

    Args:
        cell: a :class:`RecurrentCell`.
        u: projected inputs ``(..., L, P)``.
        h0: initial state ``(..., D)``.
        config: iteration count, tolerance, relaxation.
        scan: linear solver of each Newton step (``"parallel"`` or ``"chunked"``;
            ``"sequential"`` gives the same numbers with an O(L)-depth loop).
        chunk_size: chunk length of the ``"chunked"`` scan.
        history: if given, the iterate after every Newton step is appended (for convergence
            studies; the initial guess first).
        residuals: if given, ``max |F(H)|`` before every step is appended.

    Returns:
        H: ``(..., L, D)``.
    """
    if h0 is None:
        raise TypeError("newton_solve: h0 must be a tensor (..., D); got None")
    check_recurrence_inputs("newton_solve", cell, u, h0)
    if config is not None and not isinstance(config, NewtonConfig):
        raise TypeError(f"config must be a NewtonConfig or None; got {describe(config)}")
    if scan not in SCAN_METHODS:
        raise UnknownNameError("scan", str(scan), SCAN_METHODS)
    config = config or NewtonConfig()
    step_and_jacobian, scan_fn = cell.step_and_jacobian, linear_scan
    if config.compile:
        step_and_jacobian, scan_fn = _compiled(cell), _compiled_scan()
    tol = config.tolerance(u.dtype)
    check = tol > 0 or residuals is not None
    # Initial guess: one step from the zero state everywhere (from h0 at position 0).
    start = h0.new_zeros(*u.shape[:-1], h0.shape[-1])
    start[..., 0, :] = h0
    h = cell.step(start, u)
    if history is not None:
        history.append(h.clone())
    converged = False
    for _ in range(config.max_iters):
        prev = _shift(h, h0)
        value, jac = step_and_jacobian(prev, u)
        rhs = value - h
        if check:
            res = float(rhs.abs().max()) if rhs.numel() else 0.0
            if residuals is not None:
                residuals.append(res)
            if res <= tol:
                converged = True
                break
        delta = scan_fn(jac, rhs, structure=cell.structure, method=scan, chunk_size=chunk_size)
        h = h + config.omega * delta if config.omega != 1.0 else h + delta
        if history is not None:
            history.append(h.clone())
    if tol > 0 and not converged:
        logger.warning(
            "Newton did not reach residual %.1e in %d iterations; raise NewtonConfig.max_iters",
            tol,
            config.max_iters,
        )
    return h


_COMPILED_SCAN: list[Any] = []


def _compiled_scan() -> Any:
    if not _COMPILED_SCAN:
        _COMPILED_SCAN.append(torch.compile(linear_scan, dynamic=False))
    return _COMPILED_SCAN[0]


def _compiled(cell: RecurrentCell) -> Any:
    """``torch.compile`` of the cell's ``step_and_jacobian``, cached on the instance."""
    fn = cell.__dict__.get("_compiled_step_and_jacobian")
    if fn is None:
        fn = torch.compile(cell.step_and_jacobian, dynamic=False)
        cell.__dict__["_compiled_step_and_jacobian"] = fn
    return fn


class _NewtonRecurrence(torch.autograd.Function):
    """Forward: Newton + scan. Backward: the adjoint recurrence by the same scan."""

    @staticmethod
    def forward(
        ctx: Any,
        cell: RecurrentCell,
        config: NewtonConfig,
        scan: ScanMethod,
        chunk_size: int | None,
        u: Tensor,
        h0: Tensor,
        *params: Tensor,
    ) -> Tensor:
        h = newton_solve(cell, u, h0, config, scan=scan, chunk_size=chunk_size)
        ctx.cell, ctx.scan, ctx.chunk_size = cell, scan, chunk_size
        ctx.save_for_backward(h, u, h0, *params)
        return h

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_h: Tensor) -> tuple[Tensor | None, ...]:
        h, u, h0, *params = ctx.saved_tensors
        cell: RecurrentCell = ctx.cell
        prev = _shift(h, h0)
        jac = transpose_jacobian(cell.jacobian(prev, u), cell.structure)
        tdim = _time_dim(cell.structure)
        # λ_t = g_t + J_{t+1}ᵀ λ_{t+1}: in reversed time s = L-1-t the transition is J_{L-s}ᵀ.
        jac_next = torch.cat(
            [jac.narrow(tdim, 1, jac.shape[tdim] - 1), jac.narrow(tdim, 0, 1)], tdim
        )
        lam = linear_scan(
            jac_next.flip(tdim),
            grad_h.flip(-2),
            structure=cell.structure,
            method=ctx.scan,
            chunk_size=ctx.chunk_size,
        ).flip(-2)
        needs = ctx.needs_input_grad
        wanted = [needs[4], needs[5], *needs[6:]]
        with torch.enable_grad():
            prev_ = prev.detach().requires_grad_(needs[5])
            u_ = u.detach().requires_grad_(needs[4])
            out = cell.step(prev_, u_)
            inputs = [u_, prev_, *params]
            chosen = [x for x, w in zip(inputs, wanted, strict=True) if w]
            grads = torch.autograd.grad(out, chosen, lam, allow_unused=True) if chosen else ()
        it = iter(grads)
        full = [next(it) if w else None for w in wanted]
        grad_u, grad_prev, *grad_params = full
        grad_h0 = grad_prev[..., 0, :] if grad_prev is not None else None
        return (None, None, None, None, grad_u, grad_h0, *grad_params)


def _sequential(cell: RecurrentCell, u: Tensor, h0: Tensor) -> Tensor:
    # unbind, not u[..., t, :]: the backward of one slice would write a full-size zero tensor.
    h, out = h0, []
    for u_t in u.unbind(-2):
        h = cell.step(h, u_t)
        out.append(h)
    return torch.stack(out, dim=-2)


def apply_recurrence(
    cell: RecurrentCell,
    u: Tensor,
    h0: Tensor | None = None,
    *,
    mode: Mode = "parallel",
    newton: NewtonConfig | None = None,
    chunk_size: int | None = None,
    params: Sequence[Tensor] | None = None,
) -> Tensor:
    """The trajectory h_t = cell.step(h_{t-1}, u_t), differentiable, by loop or by Newton.

    Args:
        cell: a :class:`RecurrentCell`.
        u: projected inputs ``(..., L, P)`` (see :meth:`RecurrentCell.project`).
        h0: initial state ``(..., D)``; zeros if ``None``.
        mode: ``"sequential"`` (a loop, autograd through it), ``"parallel"`` (Newton +
            log-depth scan, adjoint backward) or ``"chunked"`` (Newton + chunked scan).
        newton: the Newton settings (parallel and chunked modes).
        chunk_size: chunk length of the chunked scan (default ``ceil(sqrt(L))``).
        params: tensors ``step`` uses that need gradients (default: all of the cell's
            parameters that require grad).

    Returns:
        H: ``(..., L, D)``.
    """
    if mode not in MODES:
        raise UnknownNameError("mode", str(mode), MODES)
    check_recurrence_inputs("apply_recurrence", cell, u, h0)
    if newton is not None and not isinstance(newton, NewtonConfig):
        raise TypeError(f"newton must be a NewtonConfig or None; got {describe(newton)}")
    if chunk_size is not None:
        check_int("chunk_size", chunk_size)
    if h0 is None:
        h0 = u.new_zeros(*u.shape[:-2], cell.state_size)
    if u.shape[-2] == 0:
        return u.new_zeros(*u.shape[:-1], cell.state_size)
    if mode == "sequential":
        return _sequential(cell, u, h0)
    tensors = (
        tuple(params)
        if params is not None
        else tuple(p for p in cell.parameters() if p.requires_grad)
    )
    scan: ScanMethod = "parallel" if mode == "parallel" else "chunked"
    out: Tensor = _NewtonRecurrence.apply(
        cell, newton or NewtonConfig(), scan, chunk_size, u, h0, *tensors
    )
    return out
