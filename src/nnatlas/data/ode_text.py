"""Text prompts and family descriptions for ODE trajectories (multimodal foundation model data).

Data of "A Multimodal PDE Foundation Model for Prediction and Scientific Text Descriptions"
(Negrini, Liu, Yang, Osher, Schaeffer; arXiv 2502.06026). Each sample of an ODE family
(:mod:`nnatlas.data.ode`) gets

* a **prompt**: a sentence stating the equation with its sampled coefficients and the initial
  value as numbers (one of a few templates per family, chosen by the seed), e.g. ``"Consider
  the ODE du/dt = a sin(2 pi t) u with a = 0.953 and initial value u(0) = 1.21 ."``;
* a **description**: the family's fixed scientific description (what it models, its
  properties, how to solve it), number-free, which the model must generate.

:data:`FAMILY_TEXTS` maps a family name to its :class:`FamilyText`; :data:`EXTRA_FAMILIES` holds
four families of the paper's ODE set that :mod:`nnatlas.data.ode` does not register
(FitzHugh–Nagumo, Brusselator, SIR, Hindmarsh–Rose), as :class:`~nnatlas.data.ode.ODEFamily`
objects passed by value (the registry is not modified); :data:`TEXT_ODE_SETS` names the sets
(``"mol1d"``: the paper's five 1-D families; ``"mol12"``: the 12-family ODE subset: those five,
Van der Pol, Lotka–Volterra, Duffing, FitzHugh–Nagumo, Brusselator, SIR, Hindmarsh–Rose).
:func:`text_ode_data` samples trajectories and their texts.

Deviations from the paper: the templates and descriptions are ours (the official
``sentences.txt`` and description files have no license and were not copied); the paper's
"neural model" 3-D ODE is taken to be Hindmarsh–Rose (a guess); the Duffing oscillator here is
the damped, unforced one of :mod:`nnatlas.data.ode`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int
from nnatlas.data.ode import ODEData, ODEFamily, Split, get_family, sample_ode_data

__all__ = [
    "EXTRA_FAMILIES",
    "FAMILY_TEXTS",
    "TEXT_ODE_SETS",
    "FamilyText",
    "TextODEData",
    "text_families",
    "text_ode_data",
]


@dataclass(frozen=True)
class FamilyText:
    """The texts of one ODE family.

    Attributes:
        prompts: ``str.format`` templates with ``{p0}``, ``{p1}``, … (the parameters) and
            ``{u0}``, ``{u1}``, … (the initial state).
        description: the family's description (words and punctuation, no digits).
    """

    prompts: tuple[str, ...]
    description: str

    def __post_init__(self) -> None:
        if not self.prompts or not all(isinstance(p, str) and p for p in self.prompts):
            raise ConfigError("prompts must be a non-empty tuple of non-empty templates")
        if any(c.isdigit() for c in self.description):
            raise ConfigError(
                f"a description must hold no digits (the text head generates words); got "
                f"{self.description!r}"
            )


EXTRA_FAMILIES: dict[str, ODEFamily] = {
    f.name: f
    for f in (
        ODEFamily("fitzhugh_nagumo", 2,
                  "add sub sub u_0 div pow3 u_0 3 u_1 p0 | mul p1 sub add u_0 p2 mul p3 u_1",
                  (0.5, 0.08, 0.7, 0.8), (-1.5, -1.0), (1.5, 1.0),
                  description="FitzHugh–Nagumo neuron"),
        ODEFamily("brusselator", 2,
                  "sub add p0 mul pow2 u_0 u_1 mul add p1 1 u_0 | sub mul p1 u_0 mul pow2 u_0 u_1",
                  (1.0, 3.0), (0.5, 0.5), (2.0, 2.0), description="Brusselator"),
        ODEFamily("sir", 3,
                  "neg mul p0 mul u_0 u_1 | sub mul p0 mul u_0 u_1 mul p1 u_1 | mul p1 u_1",
                  (1.5, 0.5), (0.6, 0.05, 0.0), (0.95, 0.2, 0.1), description="SIR epidemic"),
        ODEFamily("hindmarsh_rose", 3,
                  "add sub add sub u_1 mul p0 pow3 u_0 mul p1 pow2 u_0 u_2 p2 | "
                  "sub sub p3 mul p4 pow2 u_0 u_1 | mul p5 sub mul p6 sub u_0 p7 u_2",
                  (1.0, 3.0, 3.25, 1.0, 5.0, 0.005, 4.0, -1.6), (-1.5, -10.0, 1.0),
                  (1.5, 0.0, 3.0), description="Hindmarsh–Rose neuron"),
    )
}  # fmt: skip
"""Families of the paper's ODE set missing from :data:`nnatlas.data.ode.ODE_FAMILIES`."""

_T = FamilyText
FAMILY_TEXTS: dict[str, FamilyText] = {
    "sine_growth": _T(
        ("Consider the ODE du/dt = a sin(2 pi t) u with a = {p0} and initial value u(0) = {u0} .",
         "Solve du/dt = a sin(2 pi t) u where a = {p0} , starting from u(0) = {u0} ."),
        "a linear equation with a periodic growth rate ; the solution keeps its sign and "
        "oscillates with period one ; it is solved exactly by separation of variables .",
    ),
    "exp_forcing": _T(
        ("Consider the ODE du/dt = a exp(-t) + b with a = {p0} , b = {p1} and initial value "
         "u(0) = {u0} .",
         "Solve du/dt = a exp(-t) + b where a = {p0} and b = {p1} , starting from u(0) = {u0} ."),
        "a forced equation whose right side does not depend on the state ; the forcing decays "
        "and the solution grows linearly at late times ; it is solved exactly by integration .",
    ),
    "cos_quadratic": _T(
        ("Consider the ODE du/dt = a t^2 cos(u) + b u with a = {p0} , b = {p1} and initial "
         "value u(0) = {u0} .",
         "Solve du/dt = a t^2 cos(u) + b u where a = {p0} and b = {p1} , starting from "
         "u(0) = {u0} ."),
        "a nonlinear nonautonomous equation with a time growing forcing of the cosine of the "
        "state and linear damping ; solve it with a Runge Kutta method .",
    ),
    "nested_sine": _T(
        ("Consider the ODE du/dt = a sin(exp(-t/2) sin(3 t)) + b u with a = {p0} , b = {p1} "
         "and initial value u(0) = {u0} .",
         "Solve du/dt = a sin(exp(-t/2) sin(3 t)) + b u where a = {p0} and b = {p1} , starting "
         "from u(0) = {u0} ."),
        "a linear equation with a damped oscillatory forcing ; the forcing fades and the "
        "solution relaxes towards zero ; it is solved by an integrating factor and quadrature .",
    ),
    "time_sine": _T(
        ("Consider the ODE du/dt = a t sin(u) with a = {p0} and initial value u(0) = {u0} .",
         "Solve du/dt = a t sin(u) where a = {p0} , starting from u(0) = {u0} ."),
        "a separable nonlinear equation whose equilibria are multiples of pi ; the solution "
        "moves monotonically to a stable equilibrium ; separation of variables gives it exactly .",
    ),
    "linear": _T(
        ("Consider the ODE du/dt = a u with a = {p0} and initial value u(0) = {u0} .",),
        "the linear equation of exponential growth or decay ; the solution is an exponential .",
    ),
    "logistic": _T(
        ("Consider the ODE du/dt = r u (1 - u / K) with r = {p0} , K = {p1} and initial value "
         "u(0) = {u0} .",),
        "the logistic model of population growth ; solutions approach the carrying capacity .",
    ),
    "cubic_damping": _T(
        ("Consider the ODE du/dt = a u - b u^3 with a = {p0} , b = {p1} and initial value "
         "u(0) = {u0} .",),
        "a bistable equation with cubic damping ; solutions settle on one of two stable states .",
    ),
    "van_der_pol": _T(
        ("Consider the Van der Pol system dx/dt = y , dy/dt = mu (1 - x^2) y - x with mu = {p0} "
         "and initial state x(0) = {u0} , y(0) = {u1} .",),
        "the Van der Pol oscillator with nonlinear damping ; trajectories approach a stable "
        "limit cycle ; solve it with a Runge Kutta method .",
    ),
    "lotka_volterra": _T(
        ("Consider the Lotka Volterra system dx/dt = a x - b x y , dy/dt = c x y - d y with "
         "a = {p0} , b = {p1} , c = {p2} , d = {p3} and initial state x(0) = {u0} , y(0) = {u1} .",),
        "the predator prey model ; populations oscillate on closed orbits around a center ; "
        "a symplectic or Runge Kutta method preserves the cycles .",
    ),
    "duffing": _T(
        ("Consider the Duffing system dx/dt = y , dy/dt = - d y - a x - b x^3 with d = {p0} , "
         "a = {p1} , b = {p2} and initial state x(0) = {u0} , y(0) = {u1} .",),
        "the damped Duffing oscillator with a hardening cubic spring ; oscillations decay to "
        "rest ; solve it with a Runge Kutta method .",
    ),
    "fitzhugh_nagumo": _T(
        ("Consider the FitzHugh Nagumo system dv/dt = v - v^3 / 3 - w + I , dw/dt = e (v + a - "
         "b w) with I = {p0} , e = {p1} , a = {p2} , b = {p3} and initial state v(0) = {u0} , "
         "w(0) = {u1} .",),
        "a simplified neuron model with a fast voltage and a slow recovery variable ; it shows "
        "excitability and relaxation oscillations ; solve it with a stiff or Runge Kutta method .",
    ),
    "brusselator": _T(
        ("Consider the Brusselator dx/dt = A + x^2 y - (B + 1) x , dy/dt = B x - x^2 y with "
         "A = {p0} , B = {p1} and initial state x(0) = {u0} , y(0) = {u1} .",),
        "an autocatalytic chemical reaction model ; beyond a Hopf bifurcation the concentrations "
        "oscillate on a limit cycle ; solve it with a Runge Kutta method .",
    ),
    "sir": _T(
        ("Consider the SIR model dS/dt = - beta S I , dI/dt = beta S I - gamma I , dR/dt = "
         "gamma I with beta = {p0} , gamma = {p1} and initial state S(0) = {u0} , I(0) = {u1} , "
         "R(0) = {u2} .",),
        "the compartmental epidemic model of susceptible , infected and recovered fractions ; "
        "the total is conserved and an outbreak rises then fades ; solve it with a Runge Kutta "
        "method .",
    ),
    "hindmarsh_rose": _T(
        ("Consider the Hindmarsh Rose model dx/dt = y - a x^3 + b x^2 - z + I , dy/dt = c - d "
         "x^2 - y , dz/dt = r (s (x - x_R) - z) with a = {p0} , b = {p1} , I = {p2} , c = {p3} , "
         "d = {p4} , r = {p5} , s = {p6} , x_R = {p7} and initial state x(0) = {u0} , "
         "y(0) = {u1} , z(0) = {u2} .",),
        "a neuron model with spiking and bursting driven by a slow adaptation current ; the time "
        "scales are widely separated , so a stiff solver is advisable .",
    ),
}  # fmt: skip
"""Prompt templates and the description of every family that has texts."""

TEXT_ODE_SETS: dict[str, tuple[str, ...]] = {
    "mol1d": ("sine_growth", "exp_forcing", "cos_quadratic", "nested_sine", "time_sine"),
    "mol12": (
        "sine_growth", "exp_forcing", "cos_quadratic", "nested_sine", "time_sine",
        "van_der_pol", "lotka_volterra", "duffing", "fitzhugh_nagumo", "brusselator", "sir",
        "hindmarsh_rose",
    ),
}  # fmt: skip
"""Named sets of families with texts."""


def text_families(families: str | Sequence[str]) -> tuple[ODEFamily, ...]:
    """A set name of :data:`TEXT_ODE_SETS`, or family names, as :class:`ODEFamily` objects.

    Every family must have texts in :data:`FAMILY_TEXTS`.
    """
    if isinstance(families, str):
        names: Sequence[str] = TEXT_ODE_SETS.get(families, (families,))
    elif isinstance(families, Sequence) and families and all(isinstance(f, str) for f in families):
        names = families
    else:
        raise ConfigError(
            f"families must be a set name {sorted(TEXT_ODE_SETS)} or a non-empty sequence of "
            f"family names; got {families!r}"
        )
    out = []
    for name in names:
        if name not in FAMILY_TEXTS:
            raise UnknownNameError("family with texts", name, tuple(FAMILY_TEXTS))
        out.append(EXTRA_FAMILIES[name] if name in EXTRA_FAMILIES else get_family(name))
    return tuple(out)


@dataclass(frozen=True)
class TextODEData:
    """Trajectories with their prompts and descriptions.

    Attributes:
        data: the trajectories (:class:`~nnatlas.data.ode.ODEData`).
        prompts: one prompt per trajectory (coefficients and initial state as numbers).
        descriptions: the description of each trajectory's family.
    """

    data: ODEData
    prompts: tuple[str, ...]
    descriptions: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.prompts)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def text_ode_data(
    families: str | Sequence[str],
    num_samples: int,
    *,
    t_end: float = 2.5,
    num_points: int = 41,
    substeps: int = 4,
    split: Split = "id",
    seed: int = 0,
    cache: bool = True,
) -> TextODEData:
    """Seeded ODE trajectories (:func:`~nnatlas.data.ode.sample_ode_data`) with their texts.

    The prompts show the coefficients and initial state with 4 significant digits (a relative
    rounding of at most 5e-5, far below the errors the models reach).

    Args:
        families: a set name (``"mol1d"``, ``"mol12"``) or family names with texts.
        num_samples: number of trajectories.
        t_end, num_points, substeps, split, seed, cache: as for
            :func:`~nnatlas.data.ode.sample_ode_data`.

    Returns:
        :class:`TextODEData`.
    """
    fams = text_families(families)
    check_int("num_samples", num_samples)
    data = sample_ode_data(
        fams, num_samples, t_end=t_end, num_points=num_points, substeps=substeps, split=split,
        seed=seed, cache=cache,
    )  # fmt: skip
    rng = random.Random(seed)
    prompts, descriptions = [], []
    params = data.params.tolist()
    init = data.u[:, 0].tolist()
    for i, j in enumerate(data.family.tolist()):
        fam = fams[j]
        text = FAMILY_TEXTS[fam.name]
        values = {f"p{k}": _fmt(params[i][k]) for k in range(fam.num_params)}
        values |= {f"u{k}": _fmt(init[i][k]) for k in range(fam.dim)}
        prompts.append(rng.choice(text.prompts).format(**values))
        descriptions.append(text.description)
    return TextODEData(data, tuple(prompts), tuple(descriptions))
