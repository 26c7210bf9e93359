"""Random k-SAT instances, a batched MAX-SAT objective, and the probSAT local-search baseline.

Used by the MAX-SAT benchmark of PolyStep (An T. Le, "Training Non-Differentiable Networks via
Optimal Transport", 2026, arXiv 2605.01928): random 3-SAT at clause ratio α ≈ 4.26 (near the
satisfiability threshold), a continuous relaxation x ∈ R^n read as the assignment ``x > 0``
(the paper's ``round(σ(x))``), and the fraction of satisfied clauses as the score.

* :func:`random_ksat` draws an instance (:class:`SatInstance`): each clause has ``k`` distinct
  variables, each negated with probability 1/2.
* :class:`MaxSatClosure` is a batched closure (see :mod:`nnatlas.optim`) for a parameter
  ``x: (n,)``: calling it gives the number of unsatisfied clauses, ``evaluate_batch`` scores many
  relaxed assignments at once, and ``evaluate_blocks`` scores single-block perturbations
  incrementally (only clauses touching the block are re-evaluated, as in the paper's incremental
  evaluator), which is what makes 10⁵ variables affordable for PolyStep.
* :func:`probsat` is the probSAT local search of Balint & Schöning ("Choosing probability
  distributions for stochastic local search and the role of make versus break", SAT 2012) with
  the polynomial break-only rule ``(eps + break)^(-cb)`` (3-SAT defaults cb = 2.38, eps = 1).
  It returns the best assignment seen (a MAX-SAT answer, not only a SAT one).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive

__all__ = ["MaxSatClosure", "SatInstance", "probsat", "random_ksat"]


@dataclass(frozen=True)
class SatInstance:
    """A CNF formula.

    Attributes:
        num_vars: number of variables n.
        variables: ``(m, k)`` int64 variable indices in ``[0, n)``.
        positive: ``(m, k)`` bool, True where the literal is the variable itself (not negated).
    """

    num_vars: int
    variables: Tensor
    positive: Tensor

    def __post_init__(self) -> None:
        check_int("num_vars", self.num_vars)
        v, p = self.variables, self.positive
        if not isinstance(v, Tensor) or v.dtype != torch.int64 or v.dim() != 2:
            kind = f"{v.dtype} {tuple(v.shape)}" if isinstance(v, Tensor) else type(v).__name__
            raise ConfigError(f"variables must be an (m, k) int64 tensor; got {kind}")
        if v.numel() and (int(v.min()) < 0 or int(v.max()) >= self.num_vars):
            raise ConfigError(
                f"variables must lie in [0, num_vars={self.num_vars}); got range "
                f"[{int(v.min())}, {int(v.max())}]"
            )
        if not isinstance(p, Tensor) or p.dtype != torch.bool or p.shape != v.shape:
            kind = f"{p.dtype} {tuple(p.shape)}" if isinstance(p, Tensor) else type(p).__name__
            raise ConfigError(
                f"positive must be a bool tensor of the shape of variables {tuple(v.shape)}; "
                f"got {kind}"
            )

    @property
    def num_clauses(self) -> int:
        return int(self.variables.shape[0])

    def satisfied(self, assignment: Tensor, chunk: int = 1 << 22) -> Tensor:
        """Satisfied-clause counts of one or many boolean assignments.

        Args:
            assignment: ``(n,)`` or ``(N, n)`` bool.
            chunk: bound on ``N × m × k`` elements per pass (memory).

        Returns:
            ``()`` or ``(N,)`` int64 counts.
        """
        if assignment.shape[-1] != self.num_vars:
            raise ValueError(
                f"assignment must have {self.num_vars} variables in its last dim; "
                f"got shape {tuple(assignment.shape)}"
            )
        single = assignment.ndim == 1
        a = assignment.reshape(-1, self.num_vars).bool()
        per = max(1, chunk // max(1, self.variables.numel()))
        out = torch.cat(
            [
                ((a[i : i + per][:, self.variables] == self.positive).any(-1)).sum(-1)
                for i in range(0, a.shape[0], per)
            ]
        )
        return out[0] if single else out

    def satisfied_fraction(self, assignment: Tensor) -> Tensor:
        """Fraction of satisfied clauses, ``()`` or ``(N,)`` float64."""
        return self.satisfied(assignment).double() / self.num_clauses


def random_ksat(num_vars: int, ratio: float = 4.26, *, k: int = 3, seed: int = 0) -> SatInstance:
    """A uniform random k-SAT instance with ``round(ratio · num_vars)`` clauses.

    Args:
        num_vars: n (≥ k).
        ratio: clauses per variable α (3-SAT threshold ≈ 4.267).
        k: literals per clause (distinct variables).
        seed: seed of the instance.
    """
    check_int("k", k)
    check_int("num_vars", num_vars, low=k)
    check_positive("ratio", ratio)
    g = torch.Generator().manual_seed(seed)
    m = max(1, round(ratio * num_vars))
    # Distinct variables per clause: redraw the clauses that repeat one until none do.
    variables = torch.randint(0, num_vars, (m, k), generator=g)
    while True:
        s, _ = variables.sort(dim=1)
        bad = (s[:, 1:] == s[:, :-1]).any(dim=1)
        if not bool(bad.any()):
            break
        variables[bad] = torch.randint(0, num_vars, (int(bad.sum()), k), generator=g)
    positive = torch.rand(m, k, generator=g) < 0.5
    return SatInstance(num_vars, variables, positive)


class MaxSatClosure:
    """MAX-SAT objective for a relaxed assignment parameter ``x: (n,)`` (assignment ``x > 0``).

    The loss is the number of unsatisfied clauses (an integer, so PolyStep's ``scale_cost="none"``
    and an ε of order 1 give a temperature in "clauses").

    Args:
        instance: the formula.
        x: the parameter holding the relaxed assignment, ``(n,)``.
    """

    def __init__(self, instance: SatInstance, x: Tensor) -> None:
        if not isinstance(instance, SatInstance):
            raise TypeError(f"instance must be a SatInstance; got {type(instance).__name__}")
        if not isinstance(x, Tensor) or not x.is_floating_point():
            kind = x.dtype if isinstance(x, Tensor) else type(x).__name__
            raise TypeError(f"x must be a floating tensor (a relaxed assignment); got {kind}")
        if x.shape != (instance.num_vars,):
            raise ValueError(
                f"x must have shape ({instance.num_vars},) for this instance; got {tuple(x.shape)}"
            )
        self.instance = instance
        self.x = x

    def __call__(self) -> Tensor:
        sat = self.instance.satisfied(self.x.detach() > 0)
        return (self.instance.num_clauses - sat).to(self.x.dtype)

    def evaluate_batch(self, params: Sequence[Tensor], values: Sequence[Tensor]) -> Tensor:
        """Unsatisfied counts ``(N,)`` of candidates ``values[0]: (N, n)``."""
        self._check(params)
        sat = self.instance.satisfied(values[0] > 0)
        return (self.instance.num_clauses - sat).to(values[0].dtype)

    def _check(self, params: Sequence[Tensor]) -> None:
        if len(params) != 1 or params[0] is not self.x:
            raise ValueError("MaxSatClosure optimises exactly its own parameter x")

    @torch.no_grad()
    def evaluate_blocks(self, params: Sequence[Tensor], block_size: int, deltas: Tensor) -> Tensor:
        """Losses of single-block perturbations, re-evaluating only the affected clauses.

        Coordinates are cut into consecutive blocks of ``block_size`` (the last block may run
        past ``n``: the extra coordinates are ignored). Candidate ``(b, c)`` is ``x`` with block
        ``b`` replaced by ``x_b + deltas[b, c]``.

        Args:
            params: ``[x]``.
            block_size: coordinates per block d.
            deltas: ``(num_blocks, C, d)``.

        Returns:
            ``(num_blocks, C)`` unsatisfied-clause counts.
        """
        self._check(params)
        inst = self.instance
        n, d = inst.num_vars, block_size
        num_blocks, n_cand, _ = deltas.shape
        x = torch.zeros(num_blocks * d, dtype=self.x.dtype)
        x[:n] = self.x.detach()
        new_bits = (x.reshape(num_blocks, 1, d) + deltas) > 0  # (B, C, d)
        var, pos = inst.variables, inst.positive
        lit = (x[:n] > 0)[var] == pos  # (m, k)
        old_sat = lit.any(1)
        block = var // d
        offset = var % d
        k = var.shape[1]
        total_unsat = inst.num_clauses - int(old_sat.sum())
        change = torch.zeros(num_blocks, n_cand, dtype=torch.int64)
        for j in range(k):
            bj = block[:, j]
            # Count each (clause, block) pair once: skip j if an earlier literal shares its block.
            first = torch.ones_like(bj, dtype=torch.bool)
            for i in range(j):
                first &= block[:, i] != bj
            rows = first.nonzero().squeeze(1)
            if rows.numel() == 0:
                continue
            b = bj[rows]
            new_sat = torch.zeros(rows.numel(), n_cand, dtype=torch.bool)
            for i in range(k):
                same = (block[rows, i] == b)[:, None]
                moved = new_bits[b, :, offset[rows, i]] == pos[rows, i][:, None]  # (r, C)
                new_sat |= torch.where(same, moved, lit[rows, i][:, None])
            diff = old_sat[rows].long()[:, None] - new_sat.long()  # +1: clause becomes unsat
            change.index_add_(0, b, diff)
        return (total_unsat + change).to(self.x.dtype)


def _occurrences(clauses: list[list[int]], num_vars: int) -> list[list[int]]:
    """For each variable, the clauses it appears in."""
    occurs: list[list[int]] = [[] for _ in range(num_vars)]
    for c, vs in enumerate(clauses):
        for v in vs:
            occurs[v].append(c)
    return occurs


def _break_count(
    v: int,
    occurs: list[list[int]],
    num_true: list[int],
    assign: list[bool],
    clauses: list[list[int]],
    signs: list[list[bool]],
) -> int:
    """How many clauses flipping ``v`` would break: those whose only true literal is ``v``'s."""
    brk = 0
    for d in occurs[v]:
        # v is the sole true literal of d exactly when d has one true literal and v's is true.
        if num_true[d] == 1 and assign[v] == signs[d][clauses[d].index(v)]:
            brk += 1
    return brk


def _roulette(weights: list[float], rng: random.Random) -> int:
    """An index drawn with probability proportional to ``weights``."""
    r = rng.random() * sum(weights)
    pick = 0
    while r > weights[pick] and pick < len(weights) - 1:
        r -= weights[pick]
        pick += 1
    return pick


def _check_probsat_args(instance: object, max_flips: object, cb: object, eps: object) -> None:
    if not isinstance(instance, SatInstance):
        raise TypeError(f"instance must be a SatInstance; got {type(instance).__name__}")
    check_int("max_flips", max_flips, low=0)
    if isinstance(cb, bool) or not isinstance(cb, int | float) or not math.isfinite(cb) or cb < 0:
        raise ConfigError(f"cb must be a finite number >= 0; got {cb!r}")
    check_positive("eps", eps)


def probsat(
    instance: SatInstance,
    *,
    max_flips: int,
    cb: float = 2.38,
    eps: float = 1.0,
    seed: int = 0,
) -> tuple[Tensor, int]:
    """probSAT with the polynomial break-only rule; returns the best assignment found.

    Each flip picks an unsatisfied clause uniformly, then one of its variables with probability
    proportional to ``(eps + break(v))^(-cb)``, where ``break(v)`` counts the clauses that ``v``
    alone satisfies.

    Args:
        instance: the formula.
        max_flips: flip budget (stops earlier when all clauses are satisfied).
        cb, eps: the break-rule constants.
        seed: seed of the initial assignment and the choices.

    Returns:
        ``(assignment (n,) bool, satisfied clause count)`` of the best assignment seen.
    """
    _check_probsat_args(instance, max_flips, cb, eps)
    rng = random.Random(seed)
    n = instance.num_vars
    clauses = instance.variables.tolist()
    signs = instance.positive.tolist()
    assign = [rng.random() < 0.5 for _ in range(n)]
    occurs = _occurrences(clauses, n)
    num_true = [
        sum(assign[v] == s for v, s in zip(vs, ss, strict=True))
        for vs, ss in zip(clauses, signs, strict=True)
    ]
    # Unsatisfied clauses in a list with positions, for O(1) uniform choice and removal.
    unsat: list[int] = [c for c, t in enumerate(num_true) if t == 0]
    where = [-1] * len(clauses)
    for i, c in enumerate(unsat):
        where[c] = i
    weight = [(eps + b) ** -cb for b in range(max(len(o) for o in occurs) + 2)]
    initial = assign[:]
    flips: list[int] = []
    # Copying the assignment at every improvement would cost O(n) per flip; keep the flip log
    # and replay it up to the best point instead.
    best, best_at = len(unsat), 0

    def remove(c: int) -> None:
        i, last = where[c], unsat[-1]
        unsat[i], where[last] = last, i
        unsat.pop()
        where[c] = -1

    for _ in range(max_flips):
        if not unsat:
            break
        c = unsat[rng.randrange(len(unsat))]
        ws = [weight[_break_count(v, occurs, num_true, assign, clauses, signs)] for v in clauses[c]]
        v = clauses[c][_roulette(ws, rng)]
        assign[v] = not assign[v]
        flips.append(v)
        for d in occurs[v]:
            now_true = assign[v] == signs[d][clauses[d].index(v)]
            if now_true:
                num_true[d] += 1
                if num_true[d] == 1:
                    remove(d)
            else:
                num_true[d] -= 1
                if num_true[d] == 0:
                    where[d] = len(unsat)
                    unsat.append(d)
        if len(unsat) < best:
            best, best_at = len(unsat), len(flips)
    for v in flips[:best_at]:
        initial[v] = not initial[v]
    return torch.tensor(initial), len(clauses) - best
