"""PolyStep: training non-differentiable networks with optimal-transport direct search.

Paper: An T. Le, "Training Non-Differentiable Networks via Optimal Transport" (2026),
arXiv 2605.01928. PolyStep extends Sinkhorn Step (Le et al., NeurIPS 2023) to neural networks.

One step, for each param group:

1. **Search space.** Parameters move inside a subspace, θ = θ_base + P z. In ``"hybrid"`` mode
   a weight tensor of shape ``(d_out, d_in...)`` gets ``k (d_out + d_in)`` coordinates
   (``k = min(rank, d_out, d_in)``) through a fixed seeded Gaussian projection scaled by
   ``1/sqrt(coords)``; tensors that would get at least as many coordinates as entries (biases,
   small tensors) are perturbed directly. ``max_subspace_dim`` shrinks every tensor's share
   proportionally. ``"full"`` mode perturbs every entry directly.
2. **Particles.** z is cut into blocks ("particles") of ``particle_dim`` coordinates.
3. **Frames.** Each particle draws a Haar-random rotation; with ``biased_rotation`` its first
   axis is turned towards the particle's previous displacement.
4. **Probes.** Each particle probes the vertices of a template polytope (``simplex``,
   ``orthoplex`` or ``cube``) at radius ``probe_radius``, every other particle held fixed;
   all ``particles × vertices × num_probe`` candidates are scored in one batched call when the
   closure supports it (see below).
5. **Transport.** Costs are rescaled (``scale_cost``), turned into transport weights by a row
   softmax at temperature ``epsilon`` or by entropic Sinkhorn (uniform marginals), and each
   particle moves by ``step_radius`` times the weighted barycentre of its rotated vertices.
6. **Absorb.** Every ``absorb_interval`` steps z is folded into the base and reset (and, with
   ``redraw_on_absorb``, fresh projections are drawn).

**Radius semantics** (as in the official package): float radii are multiplied by the current
ε, so ε = 0.5, ``step_radius=2`` moves by 1.0 subspace units. Passing a ``(start, end)`` pair
for ``epsilon``/``step_radius``/``probe_radius`` gives a cosine schedule over ``total_steps``
whose values are used as they are (not multiplied by ε).

**Closure contract.** ``step(closure)`` takes an ordinary ``torch.optim`` closure returning the
loss at the current parameters; it is called under ``torch.no_grad()`` once per candidate, the
optimizer writing each candidate into the parameters and restoring them afterwards. This works
for any parameters and any code, but costs one Python call per candidate. When the closure
also has ``evaluate_batch(params, values) -> (N,) losses`` (e.g.
:class:`nnatlas.optim.ModelClosure`, built from a model, a loss function and a minibatch), all
candidates are scored with one vectorised call (``vmap`` over ``functional_call``), in chunks
of ``max_batch``. We chose this over the official ``closure(batched_params)`` signature so that
PolyStep remains a drop-in ``torch.optim.Optimizer`` (the same closure drives Adam, ES and
SPSA), while the batched path stays available to anyone who opts in. In ``"full"`` mode a
closure may further offer ``evaluate_blocks(params, block_size, deltas)`` returning the losses
of single-block perturbations directly (used by the incremental MAX-SAT evaluator,
:class:`nnatlas.data.maxsat.MaxSatClosure`).

Deviations from the official implementation: no Anderson acceleration in Sinkhorn (plain
log-domain iterations with optional over-relaxation ``sinkhorn_omega``); the off-by-default
heuristics (amortised OT, CMA covariance, trust region, Newton refinement, multi-fidelity
screening, adaptive radius) are not implemented; ``momentum`` adds a multiple of the previous
displacement. All randomness comes from the optimizer's own ``torch.Generator`` (``seed``),
whose state is part of ``state_dict``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor
from torch.optim import Optimizer

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int
from nnatlas.optim._batched import evaluate_candidates
from nnatlas.optim._checks import (
    check_bool,
    check_floating_groups,
    check_losses,
    check_params,
    check_real,
)

__all__ = ["PolyStep", "haar_rotations", "polytope_vertices", "transport_weights"]

Polytope = Literal["simplex", "orthoplex", "cube"]
Solver = Literal["softmax", "sinkhorn"]
Scalar = float | tuple[float, float]

_POLYTOPES = ("simplex", "orthoplex", "cube")
_SOLVERS = ("softmax", "sinkhorn")
_SCALINGS = ("mean", "max", "none")


def _describe(value: Any) -> str:
    if isinstance(value, Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return f"{type(value).__name__} {repr(value)[:60]}"


def _check_float_dtype(dtype: Any) -> None:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype; got {dtype!r}")


def polytope_vertices(
    kind: str, dim: int, *, dtype: torch.dtype = torch.float32, device: Any = None
) -> Tensor:
    """Vertices of a unit-radius template polytope centred at the origin.

    Args:
        kind: ``"simplex"`` (``dim + 1`` vertices), ``"orthoplex"`` (``±e_k``, ``2 dim``) or
            ``"cube"`` (``2**dim`` vertices, scaled to unit norm).
        dim: ambient dimension (``>= 1``).

    Returns:
        ``(num_vertices, dim)``; every row has unit norm and the rows sum to zero. The first
        simplex/orthoplex vertex is ``e_1``, so a frame whose first axis is a descent direction
        probes straight along it.
    """
    check_int("dim", dim)
    _check_float_dtype(dtype)
    if kind == "orthoplex":
        eye = torch.eye(dim, dtype=torch.float64)
        v = torch.stack([eye, -eye], dim=1).reshape(2 * dim, dim)
    elif kind == "cube":
        if dim > 16:
            raise ConfigError(f"a cube template in dim {dim} has 2**{dim} vertices; use dim <= 16")
        bits = (torch.arange(2**dim)[:, None] >> torch.arange(dim)) & 1
        v = (1.0 - 2.0 * bits.double()) / math.sqrt(dim)
    elif kind == "simplex":
        # Centre the standard basis of R^{d+1}, then express it in an orthonormal basis of the
        # sum-zero hyperplane whose first axis is the first centred vertex.
        e = torch.eye(dim + 1, dtype=torch.float64)
        centred = e - 1.0 / (dim + 1)
        basis, _ = torch.linalg.qr(centred[:, :dim])
        v = centred @ basis
        v = v / v.norm(dim=1, keepdim=True)
        if v[0, 0] < 0:
            v[:, 0] = -v[:, 0]
    else:
        raise UnknownNameError("polytope", kind, _POLYTOPES)
    return v.to(dtype=dtype, device=device)


def haar_rotations(
    n: int,
    dim: int,
    *,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
    bias: Tensor | None = None,
) -> Tensor:
    """``n`` Haar-random rotations in SO(dim), optionally biased towards given directions.

    QR of a Gaussian matrix with the signs of ``diag(R)`` moved into Q is Haar on O(dim); one
    column flip then makes the determinant +1. With ``bias`` (``(n, dim)``), each rotation's
    first column is replaced by the unit direction of its bias row (rows of zero norm keep the
    random frame), the frame is re-orthonormalised, and signs are fixed so that the first axis
    points along the bias.

    Args:
        n: number of rotations (``>= 1``).
        dim: their dimension (``>= 1``).
        generator: the source of randomness (required: results are a function of its state).
        dtype: floating dtype of the result.
        bias: optional finite ``(n, dim)`` directions for the first axes.

    Returns:
        ``(n, dim, dim)`` orthogonal matrices with determinant +1 (columns are the frame axes).
    """
    check_int("n", n)
    check_int("dim", dim)
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator; got {type(generator).__name__}")
    _check_float_dtype(dtype)
    if bias is not None:
        if not isinstance(bias, Tensor) or not bias.is_floating_point():
            raise TypeError(f"bias must be a floating-point tensor or None; got {_describe(bias)}")
        if bias.shape != (n, dim):
            raise ConfigError(
                f"bias must have shape (n, dim) = ({n}, {dim}); got {tuple(bias.shape)}"
            )
        if not bool(torch.isfinite(bias).all()):
            raise ConfigError("bias holds NaN or infinite values")
    g = torch.randn(n, dim, dim, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(g)
    q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)
    if bias is not None:
        b = bias.to(torch.float64)
        norm = b.norm(dim=1)
        use = norm > 0
        if bool(use.any()):
            m = q[use].clone()
            m[:, :, 0] = b[use] / norm[use, None]
            q2, r2 = torch.linalg.qr(m)
            q2 = q2 * torch.sign(torch.diagonal(r2, dim1=-2, dim2=-1)).unsqueeze(-2)
            q[use] = q2
    if dim > 1:
        flip = torch.linalg.det(q) < 0
        q[flip, :, -1] = -q[flip, :, -1]
    return q.to(dtype)


def transport_weights(
    cost: Tensor,
    epsilon: float,
    *,
    solver: str = "softmax",
    sinkhorn_iters: int = 50,
    sinkhorn_omega: float = 1.0,
) -> Tensor:
    """Row-normalised transport weights from particles (rows) to vertices (columns).

    Args:
        cost: ``(particles, vertices)`` scaled costs.
        epsilon: entropic temperature (``> 0``).
        solver: ``"softmax"`` (row softmax of ``-cost/ε``: the source marginal only) or
            ``"sinkhorn"`` (log-domain entropic OT with uniform marginals on both sides).
        sinkhorn_iters: Sinkhorn iterations.
        sinkhorn_omega: over-relaxation of the dual updates, in ``[0.5, 1.95]`` (1 = plain).

    Returns:
        ``(particles, vertices)`` non-negative weights whose rows sum to one (each row is then
        the barycentric weights of that particle's move).
    """
    if not isinstance(cost, Tensor) or not cost.is_floating_point():
        raise TypeError(f"cost must be a floating-point tensor; got {_describe(cost)}")
    if cost.ndim != 2 or cost.numel() == 0:
        raise ConfigError(
            f"cost must be a non-empty (particles, vertices) matrix; got shape {tuple(cost.shape)}"
        )
    if not bool(torch.isfinite(cost).all()):
        raise ConfigError("cost holds NaN or infinite values; the transport plan is undefined")
    check_real("epsilon", epsilon, low=0.0, low_open=True)
    if solver not in _SOLVERS:
        raise UnknownNameError("solver", solver, _SOLVERS)
    check_int("sinkhorn_iters", sinkhorn_iters, low=0)
    check_real("sinkhorn_omega", sinkhorn_omega, low=0.5, high=1.95)
    logits = -cost.double() / epsilon
    if solver == "softmax":
        return torch.softmax(logits, dim=1).to(cost.dtype)
    n, m = logits.shape
    log_a, log_b = -math.log(n), -math.log(m)
    f = torch.zeros(n, dtype=torch.float64)
    g = torch.zeros(m, dtype=torch.float64)
    for _ in range(sinkhorn_iters):
        f_new = log_a - torch.logsumexp(logits + g[None, :], dim=1)
        f = (1 - sinkhorn_omega) * f + sinkhorn_omega * f_new
        g_new = log_b - torch.logsumexp(logits + f[:, None], dim=0)
        g = (1 - sinkhorn_omega) * g + sinkhorn_omega * g_new
    plan = logits + f[:, None] + g[None, :]
    return torch.softmax(plan, dim=1).to(cost.dtype)


def _cosine(value: Scalar, step: int, total: int | None) -> tuple[float, bool]:
    """Current value of a float or a ``(start, end)`` cosine schedule; flag if scheduled."""
    if isinstance(value, tuple | list):
        start, end = float(value[0]), float(value[1])
        t = min(step, total or 1) / max(total or 1, 1)
        return end + 0.5 * (start - end) * (1 + math.cos(math.pi * t)), True
    return float(value), False


def _check_scalar(name: str, value: Any, total_steps: int | None) -> None:
    """A positive finite float, or a ``(start, end)`` pair of them (a cosine schedule)."""
    if isinstance(value, tuple | list):
        if len(value) != 2 or not all(_is_positive(v) for v in value):
            raise ConfigError(
                f"{name} must be a positive float or a (start, end) pair; got {value!r}"
            )
        if total_steps is None:
            raise ConfigError(f"{name}={value!r} is a schedule: pass total_steps as well")
    elif not _is_positive(value):
        raise ConfigError(f"{name} must be a positive float or a (start, end) pair; got {value!r}")


def _is_positive(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


@dataclass(frozen=True)
class _Probes:
    """One group's probes for one step: candidate displacements and the geometry to move."""

    group: dict[str, Any]
    deltas: Tensor  # (particles, vertices * num_probe, particle_dim)
    epsilon: float
    step_radius: float
    rot: Tensor  # (particles, particle_dim, particle_dim)
    verts: Tensor  # (vertices, particle_dim)


def _check_group(group: dict[str, Any]) -> None:
    """Check one param group's hyperparameters, naming the offending one."""
    total_steps = group["total_steps"]
    if total_steps is not None:
        check_int("total_steps", total_steps)
    for name in ("epsilon", "step_radius", "probe_radius"):
        _check_scalar(name, group[name], total_steps)
    for name, known in (
        ("subspace", ("hybrid", "full")),
        ("polytope", _POLYTOPES),
        ("solver", _SOLVERS),
        ("scale_cost", _SCALINGS),
    ):
        if group[name] not in known:
            raise UnknownNameError(name, group[name], known)
    for name in ("rank", "num_probe", "sinkhorn_iters"):
        check_int(name, group[name])
    check_int("absorb_interval", group["absorb_interval"], low=0)
    for name in ("max_subspace_dim", "particle_dim"):
        if group[name] is not None:
            check_int(name, group[name])
    check_real("probe_jitter", group["probe_jitter"], low=0.0, high=1.0, high_open=True)
    check_real("momentum", group["momentum"], low=0.0, high=1.0, high_open=True)
    check_real("sinkhorn_omega", group["sinkhorn_omega"], low=0.5, high=1.95)
    check_bool("biased_rotation", group["biased_rotation"])
    check_bool("redraw_on_absorb", group["redraw_on_absorb"])


class PolyStep(Optimizer):
    """Gradient-free optimizer: optimal-transport direct search in a low-rank subspace.

    See the module docstring for the algorithm and the closure contract. In short::

        opt = PolyStep(model.parameters(), seed=0)
        for xb, yb in batches:
            opt.step(ModelClosure(model, F.cross_entropy, xb, yb))  # batched, vmap
            # or: opt.step(lambda: F.cross_entropy(model(xb), yb))  # any code, one call each

    Args:
        params: tensors or param-group dicts (each group gets its own subspace and particles).
        epsilon: softmax / Sinkhorn temperature ε, or a ``(start, end)`` cosine schedule.
        step_radius: step radius (times ε when a float), or a ``(start, end)`` schedule.
        probe_radius: probe radius (times ε when a float), or a ``(start, end)`` schedule.
        subspace: ``"hybrid"`` (low-rank per weight tensor, direct for small tensors) or
            ``"full"`` (every entry is a coordinate).
        rank: per-tensor rank ``k`` of the hybrid subspace.
        max_subspace_dim: cap on the coordinates of a group (``None``: no cap).
        particle_dim: coordinates per particle (``None``: 8 if the group uses any projection,
            else 2, the official defaults).
        polytope: ``"simplex"`` (official default), ``"orthoplex"`` or ``"cube"``.
        num_probe: probe scales per vertex (costs averaged over them).
        probe_jitter: relative uniform jitter of the probe scales (0 = none).
        solver: ``"softmax"`` or ``"sinkhorn"``.
        scale_cost: divide costs by their ``"mean"`` or ``"max"`` absolute value, or ``"none"``.
        biased_rotation: turn each frame's first axis towards the previous displacement.
        momentum: add this multiple of the previous displacement to each move.
        absorb_interval: fold z into the base every this many steps (0 = never).
        redraw_on_absorb: draw fresh projections at each absorb.
        sinkhorn_iters, sinkhorn_omega: Sinkhorn settings.
        total_steps: length of the cosine schedules (required when one is given).
        max_batch: at most this many candidates per evaluation call (``None``: all).
        seed: seed of the optimizer's own generator (projections, rotations, jitter).

    Raises:
        ConfigError / UnknownNameError / TypeError: on bad arguments, naming the argument.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        *,
        epsilon: Scalar = 0.5,
        step_radius: Scalar = 2.0,
        probe_radius: Scalar = 1.0,
        subspace: Literal["hybrid", "full"] = "hybrid",
        rank: int = 4,
        max_subspace_dim: int | None = None,
        particle_dim: int | None = None,
        polytope: Polytope = "simplex",
        num_probe: int = 1,
        probe_jitter: float = 0.0,
        solver: Solver = "softmax",
        scale_cost: Literal["mean", "max", "none"] = "mean",
        biased_rotation: bool = True,
        momentum: float = 0.0,
        absorb_interval: int = 20,
        redraw_on_absorb: bool = False,
        sinkhorn_iters: int = 50,
        sinkhorn_omega: float = 1.0,
        total_steps: int | None = None,
        max_batch: int | None = None,
        seed: int = 0,
    ) -> None:
        params = check_params(params, "PolyStep")
        if max_batch is not None:
            check_int("max_batch", max_batch)
        check_int("seed", seed, low=0)
        defaults = dict(
            epsilon=epsilon,
            step_radius=step_radius,
            probe_radius=probe_radius,
            subspace=subspace,
            rank=rank,
            max_subspace_dim=max_subspace_dim,
            particle_dim=particle_dim,
            polytope=polytope,
            num_probe=num_probe,
            probe_jitter=probe_jitter,
            solver=solver,
            scale_cost=scale_cost,
            biased_rotation=biased_rotation,
            momentum=momentum,
            absorb_interval=absorb_interval,
            redraw_on_absorb=redraw_on_absorb,
            sinkhorn_iters=sinkhorn_iters,
            sinkhorn_omega=sinkhorn_omega,
            total_steps=total_steps,
        )
        super().__init__(params, defaults)
        self.max_batch = max_batch
        self.seed = seed
        check_floating_groups(self.param_groups, "PolyStep")
        # Every group holds every hyperparameter (the defaults merged with its overrides), so
        # checking the groups checks the keyword arguments and per-group settings alike.
        for group in self.param_groups:
            _check_group(group)
        generator = torch.Generator().manual_seed(seed)
        for group in self.param_groups:
            self._init_group(group, generator)
        self._head["rng_state"] = generator.get_state()

    # -- layout ---------------------------------------------------------------------------

    @property
    def _head(self) -> dict[str, Any]:
        """State dict entry (of the first parameter) holding the optimizer-wide state."""
        return self.state[self.param_groups[0]["params"][0]]

    def _coords(self, group: dict[str, Any]) -> list[int]:
        coords = []
        for p in group["params"]:
            n = p.numel()
            if group["subspace"] == "full" or p.ndim < 2:
                coords.append(n)
                continue
            d_out, d_in = p.shape[0], n // p.shape[0]
            k = min(group["rank"], d_out, d_in)
            coords.append(min(n, k * (d_out + d_in)))
        cap = group["max_subspace_dim"]
        total = sum(coords)
        if cap is not None and total > cap:
            coords = [max(1, int(c * cap / total)) for c in coords]
        return coords

    def _init_group(self, group: dict[str, Any], generator: torch.Generator) -> None:
        coords = self._coords(group)
        projected = any(c < p.numel() for c, p in zip(coords, group["params"], strict=True))
        d_p = group["particle_dim"] or (8 if projected else 2)
        total = sum(coords)
        num_particles = -(-total // d_p)
        offset = 0
        for p, c in zip(group["params"], coords, strict=True):
            state = self.state[p]
            state["coords"] = torch.tensor([offset, c])
            if c < p.numel():
                state["projection"] = self._draw(p, c, generator)
            offset += c
        head = self.state[group["params"][0]]
        head["z"] = torch.zeros(num_particles, d_p, dtype=group["params"][0].dtype)
        head["previous"] = torch.zeros_like(head["z"])
        head["step"] = torch.tensor(0)
        head["evaluations"] = torch.tensor(0)

    @staticmethod
    def _draw(p: Tensor, coords: int, generator: torch.Generator) -> Tensor:
        g = torch.randn(p.numel(), coords, generator=generator, dtype=torch.float64)
        return (g / math.sqrt(coords)).to(dtype=p.dtype, device=p.device)

    # -- one step -------------------------------------------------------------------------

    def _schedule(self, group: dict[str, Any], step: int) -> tuple[float, float, float]:
        total = group["total_steps"]
        eps, _ = _cosine(group["epsilon"], step, total)
        r_s, sched_s = _cosine(group["step_radius"], step, total)
        r_p, sched_p = _cosine(group["probe_radius"], step, total)
        return eps, r_s if sched_s else r_s * eps, r_p if sched_p else r_p * eps

    def _displace_one(self, p: Tensor, dz: Tensor) -> Tensor:
        """Displacement ``(N, *p.shape)`` of tensor ``p`` for subspace displacements ``dz``.

        ``dz: (N, d)`` holds coordinates of the whole group's subspace; ``p`` reads its own
        slice of them (``state["coords"]``), through its projection when it has one.
        """
        state = self.state[p]
        start, c = (int(v) for v in state["coords"])
        block = dz[:, start : start + c]
        if "projection" in state:
            block = block @ state["projection"].T
        return block.reshape(dz.shape[0], *p.shape)

    def _probe_losses(
        self, closure: Callable[[], Any], plans: list[tuple[dict[str, Any], Tensor]]
    ) -> list[Tensor]:
        """Losses ``(particles, candidates)`` per group; ``plans`` holds (group, deltas)."""
        params = [p for g in self.param_groups for p in g["params"]]
        blocks = getattr(closure, "evaluate_blocks", None)
        if (
            blocks is not None
            and len(plans) == 1
            and all("projection" not in self.state[p] for p in params)
        ):
            group, deltas = plans[0]
            d = deltas.shape[-1]
            losses = blocks(params, d, deltas)
            if not isinstance(losses, Tensor) or losses.shape != deltas.shape[:2]:
                got = tuple(losses.shape) if isinstance(losses, Tensor) else type(losses).__name__
                raise ValueError(
                    f"closure.evaluate_blocks must return losses of shape "
                    f"{tuple(deltas.shape[:2])}; got {got}"
                )
            return [check_losses(losses.to("cpu", torch.float64))]
        results: list[Tensor] = []
        for group, deltas in plans:
            n_part, n_cand, d_p = deltas.shape
            width = n_part * d_p
            # Which tensors each particle's coordinates touch. Candidates are scored per set
            # of touched tensors, passing only those as varied: the batched closure then runs
            # everything that depends on untouched tensors once, unbatched (e.g. a first layer
            # whose weights a particle of the last layer leaves alone).
            owner = torch.full((width,), -1, dtype=torch.int64)
            for j, p in enumerate(group["params"]):
                start, c = (int(v) for v in self.state[p]["coords"])
                owner[start : start + c] = j
            touched: dict[tuple[int, ...], list[int]] = {}
            for i in range(n_part):
                key = tuple(sorted(set(owner[i * d_p : (i + 1) * d_p].tolist()) - {-1}))
                touched.setdefault(key, []).append(i)
            losses = torch.empty(n_part, n_cand, dtype=torch.float64)
            for key, members in touched.items():
                sub = [group["params"][j] for j in key]
                rows = torch.tensor(members)
                flat = deltas[rows].reshape(-1, d_p)
                particle = rows.repeat_interleave(n_cand)
                total = flat.shape[0]
                chunk = self.max_batch or total
                out = torch.empty(total, dtype=torch.float64)
                for begin in range(0, total, chunk):
                    idx = torch.arange(begin, min(total, begin + chunk))
                    dz = torch.zeros(idx.numel(), width, dtype=deltas.dtype)
                    dz.scatter_(1, particle[idx, None] * d_p + torch.arange(d_p), flat[idx])
                    values = [p.detach()[None] + self._displace_one(p, dz) for p in sub]
                    out[idx] = evaluate_candidates(closure, sub, values)
                losses[rows] = out.reshape(len(members), n_cand)
            results.append(losses)
        return results

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Tensor | None:  # type: ignore[override]
        """One PolyStep update; returns the closure's loss at the new parameters.

        Args:
            closure: returns the loss at the current parameters (see the module docstring);
                a batched closure (``evaluate_batch``) is scored in one vectorised call.

        Raises:
            ValueError: ``closure`` is ``None`` (PolyStep has nothing to work from), or it
                returned a non-scalar, NaN or infinite loss for a candidate (the step stops
                before moving anything: NaN costs cannot be ranked).
            TypeError: ``closure`` is not callable or returned something that is not a number.
        """
        if closure is None:
            raise ValueError("PolyStep.step needs a closure returning the loss; got None")
        generator = torch.Generator()
        generator.set_state(self._head["rng_state"].to(torch.uint8))
        # All groups' frames are drawn before any candidate is scored, then all groups move:
        # the generator's draws (and so every result) do not depend on the closure.
        probes = [self._plan_probes(group, generator) for group in self.param_groups]
        costs = self._probe_losses(closure, [(probe.group, probe.deltas) for probe in probes])
        for probe, cost in zip(probes, costs, strict=True):
            self._move(probe, cost, generator)
        self._head["rng_state"] = generator.get_state()
        loss = closure()
        return loss if isinstance(loss, Tensor) else torch.as_tensor(loss)

    def _plan_probes(self, group: dict[str, Any], generator: torch.Generator) -> _Probes:
        """Draw each particle's frame and lay out its probe displacements for this step."""
        head = self.state[group["params"][0]]
        eps, r_s, r_p = self._schedule(group, int(head["step"]))
        n_part, d_p = head["z"].shape
        dtype = head["z"].dtype
        bias = head["previous"] if group["biased_rotation"] else None
        rot = haar_rotations(n_part, d_p, generator=generator, dtype=dtype, bias=bias)
        verts = polytope_vertices(group["polytope"], d_p, dtype=dtype)
        k = group["num_probe"]
        scales = torch.linspace(0.5, 1.5, k, dtype=dtype) if k > 1 else torch.ones(1, dtype=dtype)
        scales = scales.expand(n_part, k)
        if group["probe_jitter"] > 0:
            u = torch.rand(n_part, k, generator=generator, dtype=torch.float64).to(dtype)
            scales = scales * (1 + group["probe_jitter"] * (2 * u - 1))
        dirs = torch.einsum("pij,vj->pvi", rot, verts)  # (P, V, d_p)
        deltas = r_p * scales[:, None, :, None] * dirs[:, :, None, :]  # (P, V, K, d_p)
        return _Probes(group, deltas.reshape(n_part, -1, d_p), eps, r_s, rot, verts)

    def _move(self, probe: _Probes, cost: Tensor, generator: torch.Generator) -> None:
        """Transport each particle towards its cheap vertices; count, absorb, redraw."""
        group = probe.group
        head = self.state[group["params"][0]]
        n_part, _ = head["z"].shape
        c = cost.reshape(n_part, probe.verts.shape[0], group["num_probe"]).mean(dim=2)
        scale = {"mean": c.abs().mean(), "max": c.abs().max(), "none": torch.tensor(1.0)}[
            group["scale_cost"]
        ]
        c = c / scale.clamp_min(1e-12)
        w = transport_weights(
            c,
            probe.epsilon,
            solver=group["solver"],
            sinkhorn_iters=group["sinkhorn_iters"],
            sinkhorn_omega=group["sinkhorn_omega"],
        ).to(head["z"].dtype)
        move = probe.step_radius * torch.einsum("pij,pj->pi", probe.rot, w @ probe.verts)
        if group["momentum"] > 0:
            move = move + group["momentum"] * head["previous"]
        head["z"] += move
        head["previous"] = move.clone()
        for p in group["params"]:
            p.add_(self._displace_one(p, move.reshape(1, -1))[0])
        head["step"] += 1
        head["evaluations"] += cost.numel()
        interval = group["absorb_interval"]
        if interval and int(head["step"]) % interval == 0:
            head["z"].zero_()
            if group["redraw_on_absorb"]:
                for p in group["params"]:
                    state = self.state[p]
                    if "projection" in state:
                        state["projection"] = self._draw(p, int(state["coords"][1]), generator)

    # -- reporting ------------------------------------------------------------------------

    @property
    def evaluations(self) -> int:
        """Candidate evaluations used so far (over all groups)."""
        return sum(int(self.state[g["params"][0]]["evaluations"]) for g in self.param_groups)

    def candidates_per_step(self) -> int:
        """How many candidates one step scores."""
        total = 0
        for g in self.param_groups:
            n_part, d_p = self.state[g["params"][0]]["z"].shape
            nv = polytope_vertices(g["polytope"], d_p).shape[0]
            total += n_part * nv * g["num_probe"]
        return total

    def subspace_dims(self) -> list[int]:
        """Subspace coordinates per group (before padding to whole particles)."""
        return [
            sum(int(self.state[p]["coords"][1]) for p in g["params"]) for g in self.param_groups
        ]
