"""Seeded parametric ODE families, a batched RK4 integrator and trajectory data sets.

The data of PROSE ("PROSE: Predicting Operators and Symbolic Expressions using Multimodal
Transformers", Liu, Zhang, Schaeffer; arXiv 2309.16816) and of the multimodal PDE foundation
model (Negrini et al., arXiv 2502.06026): each family is ``du/dt = f(u, t; p)`` with parameters
``p`` drawn around nominal values, and each carries its right-hand side as a symbolic
expression (:mod:`nnatlas.data.symbolic`), so a model can be given — and asked for — the
equation as well as the data.

* :class:`ODEFamily`: name, dimension, the right-hand side as a prefix template over
  parameters ``p0, p1, …`` (:meth:`ODEFamily.rhs` evaluates it in torch on ``(t, y, params)``),
  nominal parameters, in-distribution (``±id_spread`` relative) and out-of-distribution
  (``ood_spread`` relative, shifted beyond the in-distribution box) parameter boxes, a box of
  initial conditions.
* :data:`ODE_FAMILIES` / :data:`ODE_SETS`: the registry. Sets: ``"prose2d"`` (the 2-D set of our
  PROSE-tiny prototype: Lotka–Volterra, Van der Pol, damped Duffing, damped linear oscillator,
  Rayleigh), ``"chaotic3d"`` (the paper's 3-D chaotic systems: Lorenz, Rössler, Thomas,
  Aizawa, Chen–Lee, Dadras, Halvorsen, Sprott B, four-wing) and ``"scalar1d"`` (the five 1-D
  families of the MOL paper plus linear growth/decay, logistic growth and cubic damping).
* :func:`rk4`: classic fixed-step fourth-order Runge–Kutta, batched over trajectories with
  different parameters.
* :func:`sample_ode_data`: an :class:`ODEData` set (times, trajectories, parameters, family
  index), cached on disk through :func:`nnatlas.core.cache.cached_tensors` (namespace
  ``"ode"``); :func:`add_observation_noise` for noisy observations.

Why RK4 and not ``torchdiffeq``: the data are thousands of short trajectories, each with its own
parameters, solved together as one batch. An adaptive solver over a batch takes the step size of
its stiffest member for all of them (or needs one solve per trajectory), and adds a dependency;
fixed-step RK4 is a few lines, deterministic, exactly reproducible across machines, vectorised
over the batch, and its accuracy is set by ``substeps`` (order 4 is tested). PROSE solves with
an adaptive method at rtol 1e-5 / atol 1e-6; with the default substeps the RK4 error on the
2-D set is below that of the 2 % observation noise by orders of magnitude.

Deviations from PROSE: nominal parameters of the chaotic systems are the common textbook ones
(the official code's exact values were not re-read); parameters are uniform in the ±10 % box
(PROSE: ``ode_param_range_gamma=0.1``, the same); initial conditions come from a fixed box per
family instead of PROSE's per-equation sampling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

from nnatlas.core.cache import cached_tensors
from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int, check_real, check_tensor
from nnatlas.data.symbolic import System, evaluate, instantiate, parse_prefix, skeleton, to_prefix

__all__ = [
    "ODE_FAMILIES",
    "ODE_SETS",
    "ODEData",
    "ODEFamily",
    "add_observation_noise",
    "get_family",
    "resolve_families",
    "rk4",
    "sample_ode_data",
]

Split = Literal["id", "ood"]


@dataclass(frozen=True)
class ODEFamily:
    """A parametric ODE family ``du/dt = f(u, t; p)``.

    Attributes:
        name: registry name.
        dim: state dimension.
        template: the right-hand side in prefix notation over ``u_i``, ``t`` and parameters
            ``p0 …`` (components separated by ``|``).
        nominal: nominal parameter values (``len`` = number of parameters).
        init_low, init_high: the box of initial conditions (``dim`` values each).
        id_spread: in-distribution parameters are ``nominal * (1 + δ)``, ``δ ~ U[-s, s]``.
        ood_spread: out-of-distribution parameters are ``nominal * (1 + δ)`` with ``δ ~
            U[lo, hi]`` (a box beyond the in-distribution one, ``lo ≥ id_spread``).
        description: one line on the system.
    """

    name: str
    dim: int
    template: str
    nominal: tuple[float, ...]
    init_low: tuple[float, ...]
    init_high: tuple[float, ...]
    id_spread: float = 0.1
    ood_spread: tuple[float, float] = (0.1, 0.3)
    description: str = ""
    _system: System = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_int("dim", self.dim, low=1, high=10)
        system = parse_prefix(self.template, max_dim=self.dim, allow_params=True)
        if len(system) != self.dim:
            raise ConfigError(
                f"template of {self.name!r} has {len(system)} components; dim={self.dim}"
            )
        if len(self.init_low) != self.dim or len(self.init_high) != self.dim:
            raise ConfigError(f"init_low/init_high of {self.name!r} need {self.dim} values")
        check_real("id_spread", self.id_spread, low=0.0)
        lo, hi = self.ood_spread
        if not self.id_spread <= lo < hi:
            raise ConfigError(f"ood_spread must satisfy id_spread <= lo < hi; got {(lo, hi)}")
        object.__setattr__(self, "_system", system)

    @property
    def num_params(self) -> int:
        return len(self.nominal)

    def rhs(self, t: Tensor | float, y: Tensor, params: Tensor) -> Tensor:
        """``f(u, t; p)``: ``y`` ``(batch, dim)``, ``params`` ``(batch, P)`` → ``(batch, dim)``."""
        return evaluate(self._system, y, t, params)

    def expression(self, params: Sequence[float] | Tensor | None = None) -> System:
        """The system with parameters substituted (nominal ones by default)."""
        return instantiate(self._system, self.nominal if params is None else params)

    def skeleton_tokens(self) -> list[str]:
        """Prefix tokens of the skeleton (every coefficient replaced by ``C``)."""
        return to_prefix(skeleton(self._system))

    def param_box(self, split: Split) -> tuple[Tensor, Tensor]:
        """``(low, high)`` float64 tensors of relative deviations δ for ``split``."""
        if split == "id":
            lo, hi = -self.id_spread, self.id_spread
        elif split == "ood":
            lo, hi = self.ood_spread
        else:
            raise ConfigError(f"split must be 'id' or 'ood'; got {split!r}")
        n = self.num_params
        return torch.full((n,), lo, dtype=torch.float64), torch.full((n,), hi, dtype=torch.float64)

    def sample_params(self, n: int, split: Split, generator: torch.Generator) -> Tensor:
        """``(n, P)`` float64 parameters ``nominal * (1 + δ)`` with δ uniform in the box."""
        lo, hi = self.param_box(split)
        u = torch.rand(n, self.num_params, generator=generator, dtype=torch.float64)
        nominal = torch.tensor(self.nominal, dtype=torch.float64)
        return nominal * (1.0 + lo + (hi - lo) * u)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """``(n, dim)`` float64 initial conditions uniform in the family's box."""
        lo = torch.tensor(self.init_low, dtype=torch.float64)
        hi = torch.tensor(self.init_high, dtype=torch.float64)
        return lo + (hi - lo) * torch.rand(n, self.dim, generator=generator, dtype=torch.float64)


def _fam(name: str, dim: int, template: str, nominal: Sequence[float], low: float, high: float,
         description: str, **kw: object) -> ODEFamily:  # fmt: skip
    return ODEFamily(name, dim, template, tuple(nominal), (low,) * dim, (high,) * dim,
                     description=description, **kw)  # type: ignore[arg-type]  # fmt: skip


_FAMILIES = [
    # --- prose2d: the 2-D set of our PROSE-tiny prototype (research notes, section 5(d))
    _fam("lotka_volterra", 2, "sub mul p0 u_0 mul p1 mul u_0 u_1 | sub mul p2 mul u_0 u_1 mul p3 u_1",
         (1.0, 0.6, 0.5, 1.0), 0.5, 2.0, "predator-prey"),
    _fam("van_der_pol", 2, "u_1 | sub sub mul p0 u_1 mul p0 mul pow2 u_0 u_1 u_0",
         (1.0,), -2.0, 2.0, "relaxation oscillator, mu = p0"),
    _fam("duffing", 2, "u_1 | sub sub neg mul p0 u_1 mul p1 u_0 mul p2 pow3 u_0",
         (0.2, 1.0, 1.0), -1.5, 1.5, "damped hardening Duffing oscillator"),
    _fam("damped_oscillator", 2, "u_1 | sub neg mul p0 u_0 mul p1 u_1",
         (4.0, 0.3), -1.5, 1.5, "damped linear oscillator"),
    _fam("rayleigh", 2, "u_1 | sub sub mul p0 u_1 mul p1 pow3 u_1 u_0",
         (1.0, 0.33), -1.5, 1.5, "Rayleigh oscillator u'' - mu (u' - u'^3/3) + u = 0"),
    # --- chaotic3d: PROSE's 3-D chaotic systems (textbook nominal parameters)
    _fam("lorenz", 3, "mul p0 sub u_1 u_0 | sub mul u_0 sub p1 u_2 u_1 | sub mul u_0 u_1 mul p2 u_2",
         (10.0, 28.0, 8.0 / 3.0), -10.0, 10.0, "Lorenz 1963"),
    _fam("rossler", 3, "neg add u_1 u_2 | add u_0 mul p0 u_1 | add p1 mul u_2 sub u_0 p2",
         (0.2, 0.2, 5.7), -5.0, 5.0, "Rössler"),
    _fam("thomas", 3, "sub sin u_1 mul p0 u_0 | sub sin u_2 mul p0 u_1 | sub sin u_0 mul p0 u_2",
         (0.208186,), -2.0, 2.0, "Thomas' cyclically symmetric attractor"),
    _fam("aizawa", 3,
         "sub mul sub u_2 p1 u_0 mul p3 u_1 | add mul p3 u_0 mul sub u_2 p1 u_1 | "
         "add sub sub add p2 mul p0 u_2 div pow3 u_2 3 mul add pow2 u_0 pow2 u_1 "
         "add 1 mul p4 u_2 mul mul p5 u_2 pow3 u_0",
         (0.95, 0.7, 0.6, 3.5, 0.25, 0.1), -1.0, 1.0, "Aizawa"),
    _fam("chen_lee", 3, "sub mul p0 u_0 mul u_1 u_2 | add mul p1 u_1 mul u_0 u_2 | "
         "add mul p2 u_2 div mul u_0 u_1 3", (5.0, -10.0, -0.38), -5.0, 5.0, "Chen–Lee"),
    _fam("dadras", 3, "add sub u_1 mul p0 u_0 mul p1 mul u_1 u_2 | add sub mul p2 u_1 mul u_0 u_2 "
         "u_2 | sub mul p3 mul u_0 u_1 mul p4 u_2", (3.0, 2.7, 1.7, 2.0, 9.0), -5.0, 5.0, "Dadras"),
    _fam("halvorsen", 3,
         "sub sub sub neg mul p0 u_0 mul 4 u_1 mul 4 u_2 pow2 u_1 | "
         "sub sub sub neg mul p0 u_1 mul 4 u_2 mul 4 u_0 pow2 u_2 | "
         "sub sub sub neg mul p0 u_2 mul 4 u_0 mul 4 u_1 pow2 u_0",
         (1.89,), -5.0, 5.0, "Halvorsen"),
    _fam("sprott_b", 3, "mul p0 mul u_1 u_2 | sub u_0 mul p1 u_1 | sub p2 mul u_0 u_1",
         (1.0, 1.0, 1.0), -2.0, 2.0, "Sprott case B"),
    _fam("four_wing", 3, "add mul p0 u_0 mul u_1 u_2 | sub add mul p1 u_0 mul p2 u_1 mul u_0 u_2 | "
         "sub neg u_2 mul u_0 u_1", (0.2, 0.01, -0.4), -2.0, 2.0, "four-wing attractor"),
    # --- scalar1d: the MOL paper's five 1-D families (notes, section 6(d)) and three classics
    _fam("sine_growth", 1, "mul mul p0 sin mul + N628 E-2 t u_0", (1.0,), 0.5, 2.0,
         "du/dt = a sin(2 pi t) u"),
    _fam("exp_forcing", 1, "add mul p0 exp neg t p1", (1.0, 0.5), -1.0, 1.0,
         "du/dt = a exp(-t) + b"),
    _fam("cos_quadratic", 1, "add mul mul p0 pow2 t cos u_0 mul p1 u_0", (0.5, -0.5), -1.0, 1.0,
         "du/dt = a t^2 cos u + b u"),
    _fam("nested_sine", 1, "add mul p0 sin mul exp neg div t 2 sin mul 3 t mul p1 u_0",
         (1.0, -0.5), -1.0, 1.0, "du/dt = a sin(exp(-t/2) sin 3t) + b u"),
    _fam("time_sine", 1, "mul mul p0 t sin u_0", (0.5,), 0.5, 2.5, "du/dt = a t sin u"),
    _fam("linear", 1, "mul p0 u_0", (-0.5,), 0.5, 2.0, "du/dt = a u (decay for a < 0)"),
    _fam("logistic", 1, "mul mul p0 u_0 sub 1 div u_0 p1", (1.0, 2.0), 0.1, 1.0,
         "du/dt = r u (1 - u / K)"),
    _fam("cubic_damping", 1, "sub mul p0 u_0 mul p1 pow3 u_0", (0.5, 1.0), -1.5, 1.5,
         "du/dt = a u - b u^3"),
]  # fmt: skip

ODE_FAMILIES: dict[str, ODEFamily] = {f.name: f for f in _FAMILIES}
"""Every registered family by name."""

ODE_SETS: dict[str, tuple[str, ...]] = {
    "prose2d": ("lotka_volterra", "van_der_pol", "duffing", "damped_oscillator", "rayleigh"),
    "chaotic3d": (
        "lorenz", "rossler", "thomas", "aizawa", "chen_lee", "dadras", "halvorsen", "sprott_b",
        "four_wing",
    ),
    "scalar1d": (
        "sine_growth", "exp_forcing", "cos_quadratic", "nested_sine", "time_sine", "linear",
        "logistic", "cubic_damping",
    ),
}  # fmt: skip
"""Named sets of families."""


def get_family(name: str) -> ODEFamily:
    """The registered family ``name`` (an :class:`~nnatlas.core.errors.UnknownNameError`
    listing the known ones otherwise)."""
    if not isinstance(name, str) or name not in ODE_FAMILIES:
        raise UnknownNameError("family", name, tuple(ODE_FAMILIES))
    return ODE_FAMILIES[name]


def resolve_families(families: str | Sequence[str | ODEFamily]) -> tuple[ODEFamily, ...]:
    """A set name, a family name, or a sequence of names / :class:`ODEFamily` objects."""
    if isinstance(families, str):
        names = ODE_SETS.get(families, (families,))
        return tuple(get_family(n) for n in names)
    if isinstance(families, Sequence) and families:
        out = [f if isinstance(f, ODEFamily) else get_family(f) for f in families]
        if len({f.name for f in out}) != len(out):
            raise ConfigError(f"families must have distinct names; got {[f.name for f in out]}")
        return tuple(out)
    raise ConfigError(
        f"families must be a set or family name, or a non-empty sequence; got {families!r}"
    )


def rk4(
    rhs: Callable[[Tensor, Tensor, Tensor], Tensor],
    y0: Tensor,
    t: Tensor,
    params: Tensor,
    *,
    substeps: int = 1,
) -> Tensor:
    """Classic fourth-order Runge–Kutta on a time grid, batched over trajectories.

    Each interval ``[t_k, t_{k+1}]`` is split into ``substeps`` equal steps.

    Args:
        rhs: ``f(t, y, params)``; ``t`` a 0-d tensor, ``y`` ``(batch, dim)``, ``params``
            ``(batch, P)`` → ``(batch, dim)``.
        y0: ``(batch, dim)`` initial states at ``t[0]``.
        t: ``(T,)`` strictly increasing times.
        params: ``(batch, P)`` per-trajectory parameters.
        substeps: RK4 steps per grid interval (≥ 1).

    Returns:
        ``(batch, T, dim)`` states at the grid times (``[:, 0] == y0``).
    """
    check_tensor("y0", y0, ndim=2, finite=False)
    check_tensor("t", t, ndim=1, nonempty=True)
    check_tensor("params", params, ndim=2, finite=False)
    check_int("substeps", substeps)
    if not callable(rhs):
        raise TypeError(f"rhs must be callable f(t, y, params); got {type(rhs).__name__}")
    if params.shape[0] != y0.shape[0]:
        raise ConfigError(f"params must have y0's batch size {y0.shape[0]}; got {params.shape[0]}")
    if t.numel() > 1 and not bool((t[1:] > t[:-1]).all()):
        raise ConfigError("t must be strictly increasing")
    out = [y0]
    y = y0
    for k in range(t.numel() - 1):
        h = (t[k + 1] - t[k]) / substeps
        for s in range(substeps):
            tk = t[k] + s * h
            k1 = rhs(tk, y, params)
            k2 = rhs(tk + h / 2, y + h / 2 * k1, params)
            k3 = rhs(tk + h / 2, y + h / 2 * k2, params)
            k4 = rhs(tk + h, y + h * k3, params)
            y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(y)
    return torch.stack(out, dim=1)


@dataclass(frozen=True)
class ODEData:
    """Trajectories of several families on one time grid.

    Attributes:
        t: ``(T,)`` times.
        u: ``(n, T, max_dim)`` clean states, zero-padded beyond each family's dimension.
        params: ``(n, max_params)`` parameters, zero-padded.
        family: ``(n,)`` long index into ``families``.
        families: the families, in index order.
    """

    t: Tensor
    u: Tensor
    params: Tensor
    family: Tensor
    families: tuple[ODEFamily, ...]

    @property
    def dims(self) -> Tensor:
        """``(n,)`` state dimension of each sample."""
        return torch.tensor([f.dim for f in self.families])[self.family]

    def __len__(self) -> int:
        return int(self.u.shape[0])

    def expression(self, i: int) -> System:
        """The system (with its sampled parameters) of sample ``i``."""
        check_int("i", i, low=0, high=len(self) - 1)
        fam = self.families[int(self.family[i])]
        return fam.expression(self.params[i, : fam.num_params])


def sample_ode_data(
    families: str | Sequence[str | ODEFamily],
    num_samples: int,
    *,
    t_end: float = 6.0,
    num_points: int = 96,
    substeps: int = 4,
    split: Split = "id",
    seed: int = 0,
    max_abs: float = 1e3,
    cache: bool = True,
) -> ODEData:
    """Seeded trajectories: samples cycle through the families (sample ``i`` is family
    ``i % len(families)``), each with its own parameters and initial condition.

    A draw whose trajectory leaves ``|u| ≤ max_abs`` or is not finite is redrawn (up to 20
    times), so every returned trajectory is bounded.

    Args:
        families: a set name (``"prose2d"``, ``"chaotic3d"``, ``"scalar1d"``), a family
            name, or a sequence of names / :class:`ODEFamily` objects.
        num_samples: number of trajectories (≥ 1).
        t_end: the grid is ``linspace(0, t_end, num_points)``.
        num_points: grid size (≥ 2).
        substeps: RK4 steps per grid interval.
        split: ``"id"`` or ``"ood"`` parameter box.
        seed: the random seed (the result is a pure function of the arguments).
        max_abs: bound that defines a diverged trajectory.
        cache: read/write the on-disk cache (namespace ``"ode"``).

    Returns:
        An :class:`ODEData` (float32 tensors).
    """
    fams = resolve_families(families)
    check_int("num_samples", num_samples)
    check_real("t_end", t_end, low=0.0, low_open=True)
    check_int("num_points", num_points, low=2)
    check_int("substeps", substeps)
    if split not in ("id", "ood"):
        raise ConfigError(f"split must be 'id' or 'ood'; got {split!r}")
    check_int("seed", seed, low=0)
    check_real("max_abs", max_abs, low=0.0, low_open=True)
    key = {
        "families": [
            [f.name, f.template, list(f.nominal), list(f.init_low), list(f.init_high),
             f.id_spread, list(f.ood_spread)]
            for f in fams
        ],
        "num_samples": num_samples, "t_end": t_end, "num_points": num_points,
        "substeps": substeps, "split": split, "seed": seed, "max_abs": max_abs,
    }  # fmt: skip

    def build() -> dict[str, Tensor]:
        return _generate(fams, num_samples, t_end, num_points, substeps, split, seed, max_abs)

    data = cached_tensors("ode", "trajectories", key, build, cache=cache)
    return ODEData(data["t"], data["u"], data["params"], data["family"], fams)


def _generate(
    fams: tuple[ODEFamily, ...],
    n: int,
    t_end: float,
    num_points: int,
    substeps: int,
    split: Split,
    seed: int,
    max_abs: float,
) -> dict[str, Tensor]:
    gen = torch.Generator().manual_seed(seed)
    t = torch.linspace(0.0, t_end, num_points, dtype=torch.float64)
    max_dim = max(f.dim for f in fams)
    max_p = max(f.num_params for f in fams)
    u = torch.zeros(n, num_points, max_dim, dtype=torch.float64)
    params = torch.zeros(n, max_p, dtype=torch.float64)
    family = torch.arange(n) % len(fams)
    for j, fam in enumerate(fams):
        rows = (family == j).nonzero().flatten()
        todo = rows
        for _ in range(20):
            if todo.numel() == 0:
                break
            p = fam.sample_params(todo.numel(), split, gen)
            y0 = fam.sample_initial(todo.numel(), gen)
            traj = rk4(fam.rhs, y0, t, p, substeps=substeps)
            ok = torch.isfinite(traj).all(dim=(1, 2)) & (traj.abs() <= max_abs).all(dim=(1, 2))
            u[todo[ok], :, : fam.dim] = traj[ok]
            params[todo[ok], : fam.num_params] = p[ok]
            todo = todo[~ok]
        if todo.numel():
            raise ConfigError(
                f"family {fam.name!r}: {todo.numel()} trajectories kept diverging (|u| > "
                f"max_abs={max_abs}); shorten t_end or raise substeps"
            )
    return {"t": t.float(), "u": u.float(), "params": params.float(), "family": family}


def add_observation_noise(
    u: Tensor,
    level: float,
    *,
    kind: Literal["multiplicative", "additive"] = "multiplicative",
    generator: torch.Generator | None = None,
) -> Tensor:
    """Noisy observations of trajectories ``u`` ``(n, T, d)``.

    ``multiplicative``: ``u (1 + level ε)`` (our prototype, 2 %); ``additive``: ``u + level σ ε``
    with ``σ`` the per-trajectory, per-component standard deviation over time (PROSE adds
    γ = 0.02 Gaussian noise); ``ε`` standard normal.

    Args:
        u: ``(n, T, d)`` floating tensor.
        level: noise level ≥ 0.
        kind: ``"multiplicative"`` or ``"additive"``.
        generator: random source (``None``: the global one).
    """
    check_tensor("u", u, ndim=3)
    check_real("level", level, low=0.0)
    if kind not in ("multiplicative", "additive"):
        raise ConfigError(f"kind must be 'multiplicative' or 'additive'; got {kind!r}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator or None; got {type(generator).__name__}"
        )
    eps = torch.randn(u.shape, generator=generator, dtype=u.dtype)
    if kind == "multiplicative":
        return u * (1.0 + level * eps)
    sigma = u.std(dim=1, keepdim=True) if u.shape[1] > 1 else torch.ones_like(u[:, :1])
    return u + level * sigma * eps
