"""Training Non-Differentiable Networks via Optimal Transport (An T. Le, 2026; arXiv 2605.01928).

PolyStep (:class:`nnatlas.optim.PolyStep`) trains networks from forward passes only: each
particle of a low-rank parameter subspace probes the vertices of a randomly rotated polytope,
and moves to the barycentre of the vertices weighted by an entropic transport plan on their
losses. The paper's benchmarks are networks with zero or absent gradients
(:mod:`nnatlas.nn.nondifferentiable`), MAX-SAT (:mod:`nnatlas.data.maxsat`) and quantised control
policies (:mod:`nnatlas.data.control`).

Claims tested here, at CPU scale:

* ``snn-plateau``: on a hard-LIF spiking MLP, Adam on the exact gradient cannot leave the
  initial plateau (the gradient is absent), while PolyStep crosses it and beats OpenAI-ES and
  SPSA at equal wall-clock. The equal-*evaluation* comparison with OpenAI-ES (which our notes
  measured in ES's favour) and surrogate-gradient Adam (the ceiling) are recorded beside it.
* ``other-architectures``: on the INT8 MLP, the staircase MLP, argmax attention and the hard
  MoE, PolyStep is ahead of OpenAI-ES and SPSA at an equal number of evaluations.
* ``maxsat``: on random 3-SAT at clause ratio 4.26, PolyStep satisfies ≥ 92 % of clauses from
  100 to 100,000 variables; OpenAI-ES and probSAT run beside it.
* ``policy-search``: on cart-pole, PolyStep matches OpenAI-ES with a float policy and keeps its
  return when the policy's hidden activations are int8 or binary.

Where a claim may not reproduce at this scale (the verdict rules are unchanged; these notes
only explain): ``other-architectures`` compares methods after about 6,000 evaluations, some 2,500×
fewer than the paper, where population methods are known to progress faster per evaluation
early on (the paper's own matched-evaluation check puts OpenAI-ES ahead on argmax attention);
``policy-search`` gives each method 15 updates instead of 200, so a seed whose binary policy
has not left its initial plateau pulls the mean below the 95 % bar.

Deviations from the paper (all claims): scikit-learn digits (8×8, 1,347 train / 450 test)
instead of MNIST / Fashion-MNIST; networks of width 64 instead of 128; budgets of seconds to a
minute instead of 30 epochs (3,180 steps, ~15M evaluations); one minibatch of 128 per step
instead of 512; the paper tunes every method on a 9-configuration grid, we use one setting per
method taken from our notes' small sweep (PolyStep: step 4, probe 2, ε 0.25, 128 subspace
coordinates, and, chosen after a first run, fresh projections at every absorb; OpenAI-ES:
σ 0.3, Adam lr 0.05, population 50). Wall-clock comparisons run each method for the same
number of seconds on the same (shared) machine, so their numbers move with the machine's load;
the equal-evaluation numbers are deterministic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from nnatlas.core.claims import Claim, Metrics, Outcome, Paper, Verdict, presets
from nnatlas.core.config import ClaimConfig, ensure, param
from nnatlas.core.verdicts import Check, judge, paired, stat, threshold, values
from nnatlas.data import load_digits
from nnatlas.data.control import CartPoleClosure, CartPolePolicy, episode_returns
from nnatlas.data.maxsat import MaxSatClosure, probsat, random_ksat
from nnatlas.nn.nondifferentiable import (
    ArgmaxAttentionClassifier,
    HardMoEClassifier,
    Int8MLP,
    SpikingMLP,
    StaircaseMLP,
)  # fmt: skip
from nnatlas.optim import SPSA, ModelClosure, OpenAIES, PolyStep
from nnatlas.runs.context import log_metrics
from nnatlas.train import accuracy, fit

BIBTEX = """@article{le2026polystep,
  title   = {Training Non-Differentiable Networks via Optimal Transport},
  author  = {Le, An T.},
  journal = {arXiv preprint arXiv:2605.01928},
  year    = {2026},
  url     = {https://arxiv.org/abs/2605.01928}
}"""

# Paper numbers (official 1.1.0 README / TMLR text, as read in our notes).
PAPER_SNN = 93.0
PAPER_SNN_ES = 79.6
PAPER_MAXSAT_1M = 92.6
PAPER_MAXSAT_100K = 98.1
PAPER_ARCH = {  # PolyStep vs the best gradient-free baseline (README)
    "INT8": (97.0, 94.4), "staircase": (94.3, 89.2), "argmax attention": (86.6, 80.0),
    "MoE": (90.6, 82.5),
}  # fmt: skip
ARCHITECTURES = ("int8", "staircase", "attention", "moe")
ACTIVATIONS = ("float", "int8", "binary")


@dataclass(frozen=True, kw_only=True)
class MethodConfig(ClaimConfig):
    """Hyperparameters of the three gradient-free methods (shared by the digits claims).

    Attributes:
        ps_epsilon, ps_step_radius, ps_probe_radius: PolyStep's ε and (ε-scaled) radii.
        ps_rank, ps_max_subspace_dim, ps_absorb_interval: PolyStep's subspace.
        ps_redraw_on_absorb: draw fresh projections at each absorb. Chosen after a first
            quick run: with one fixed 128-dimensional subspace PolyStep's SNN accuracy stopped
            rising near 55–65 % after ~4k evaluations (an intrinsic-dimension ceiling), while
            redrawing lets it keep improving; this is a tuning choice made after seeing results
            and is reported as such.
        es_sigma, es_lr, es_population: OpenAI-ES (Adam update).
        spsa_lr, spsa_perturbation, spsa_perturbations: SPSA gains and estimates per step.
    """

    ps_epsilon: float = param(0.25, gt=0)
    ps_step_radius: float = param(4.0, gt=0)
    ps_probe_radius: float = param(2.0, gt=0)
    ps_rank: int = param(4, ge=1)
    ps_max_subspace_dim: int = param(128, ge=1)
    ps_absorb_interval: int = param(20, ge=1)
    ps_redraw_on_absorb: bool = True
    es_sigma: float = param(0.3, gt=0)
    es_lr: float = param(0.05, gt=0)
    es_population: int = param(50, ge=2)
    spsa_lr: float = param(0.05, gt=0)
    spsa_perturbation: float = param(0.3, gt=0)
    spsa_perturbations: int = param(8, ge=1)


@dataclass(frozen=True, kw_only=True)
class SnnConfig(MethodConfig):
    """Claim ``snn-plateau`` (plus the gradient-free settings of :class:`MethodConfig`).

    Attributes:
        hidden, num_steps: the hard-LIF MLP 64-hidden-10 and its time steps T.
        batch_size: minibatch per optimizer step.
        seconds: wall-clock budget of each gradient-free method.
        eval_checkpoint: evaluations at which the equal-evaluation accuracy is read.
        adam_epochs, adam_lr: plain Adam on the exact (absent) gradient.
        surrogate_epochs, surrogate_lr: surrogate-gradient Adam (the ceiling).
        min_gain: PolyStep must beat the initial accuracy by this much (plateau crossed).
        plateau_band: plain Adam must stay within this of the initial accuracy.
    """

    hidden: int = param(64, ge=1)
    num_steps: int = param(8, ge=1)
    batch_size: int = param(128, ge=1)
    seconds: float = param(22.0, gt=0)
    eval_checkpoint: int = param(4000, ge=1)
    adam_epochs: int = param(5, ge=1)
    adam_lr: float = param(1e-2, gt=0)
    surrogate_epochs: int = param(20, ge=1)
    surrogate_lr: float = param(1e-2, gt=0)
    min_gain: float = param(0.2, ge=0, le=1)
    plateau_band: float = param(0.05, ge=0, le=1)


@dataclass(frozen=True, kw_only=True)
class ArchConfig(MethodConfig):
    """Claim ``other-architectures`` (plus the settings of :class:`MethodConfig`).

    Attributes:
        architectures: which of ``int8``, ``staircase``, ``attention``, ``moe`` to run.
        hidden: hidden width (attention: embedding width).
        evaluations: the equal budget of candidate evaluations per method and architecture.
        batch_size: minibatch per step.
        surrogate_epochs, surrogate_lr: surrogate-gradient Adam, recorded as the ceiling.
    """

    architectures: tuple[str, ...] = param(
        ARCHITECTURES, choices=ARCHITECTURES, min_len=1, distinct=True
    )
    hidden: int = param(64, ge=2)  # attention embeds in hidden // 2
    evaluations: int = param(6000, ge=1)
    batch_size: int = param(128, ge=1)
    surrogate_epochs: int = param(20, ge=1)
    surrogate_lr: float = param(1e-2, gt=0)


# -- shared training helpers -----------------------------------------------------------------


def _digits() -> Any:
    return load_digits(test_size=0.25, seed=0)


def _optimizer(name: str, params: Any, c: Any, seed: int, **ps_extra: Any) -> torch.optim.Optimizer:
    """PolyStep, OpenAI-ES or SPSA with the ``ps_*`` / ``es_*`` / ``spsa_*`` settings of config
    ``c`` (any of this module's configs); ``ps_extra`` adds PolyStep arguments."""
    if name == "polystep":
        return PolyStep(
            params, epsilon=c.ps_epsilon, step_radius=c.ps_step_radius,
            probe_radius=c.ps_probe_radius, seed=seed, **ps_extra,
        )  # fmt: skip
    if name == "es":
        return OpenAIES(
            params, sigma=c.es_sigma, lr=c.es_lr, population_size=c.es_population, seed=seed
        )
    return SPSA(
        params, lr=c.spsa_lr, perturbation=c.spsa_perturbation,
        num_perturbations=c.spsa_perturbations, stability=10.0, seed=seed,
    )  # fmt: skip


def _subspace(m: MethodConfig) -> dict[str, Any]:
    """PolyStep's low-rank subspace settings of the digits claims."""
    return {
        "rank": m.ps_rank, "max_subspace_dim": m.ps_max_subspace_dim,
        "absorb_interval": m.ps_absorb_interval, "redraw_on_absorb": m.ps_redraw_on_absorb,
    }  # fmt: skip


def train_gradient_free(
    build: Callable[[], nn.Module],
    method: str,
    methods: MethodConfig,
    data: Any,
    *,
    seed: int,
    batch_size: int,
    seconds: float | None = None,
    evaluations: int | None = None,
    checkpoint: int | None = None,
) -> Metrics:
    """Train a fresh model with a gradient-free method for a time or evaluation budget.

    Returns the test accuracy, steps, evaluations and seconds when the budget ran out, and the
    test accuracy at the first step reaching ``checkpoint`` evaluations (training continues
    past the budget, untimed, until then).
    """
    torch.manual_seed(seed)
    model = build()
    extra = _subspace(methods) if method == "polystep" else {}
    opt = _optimizer(method, model.parameters(), methods, seed, **extra)
    g = torch.Generator().manual_seed(seed + 1)
    at_checkpoint: float | None = None
    checkpoint_evals: int | None = None
    final: Metrics | None = None
    steps = 0
    start = time.perf_counter()
    while True:
        used = opt.evaluations  # type: ignore[attr-defined]
        if checkpoint is not None and at_checkpoint is None and used >= checkpoint:
            at_checkpoint = accuracy(model, data.x_test, data.y_test)
            checkpoint_evals = used
        elapsed = time.perf_counter() - start
        if final is None and (
            (seconds is not None and elapsed >= seconds)
            or (evaluations is not None and used >= evaluations)
        ):
            final = {
                "accuracy": accuracy(model, data.x_test, data.y_test),
                "steps": steps,
                "evaluations": used,
                "seconds": elapsed,
            }
        # Past the budget, keep going (untimed) only until the equal-evaluation checkpoint,
        # so that the equal-evaluation accuracy exists whatever the machine's load.
        if final is not None and (checkpoint is None or at_checkpoint is not None):
            break
        idx = torch.randint(0, data.num_train, (batch_size,), generator=g)
        closure = ModelClosure(model, F.cross_entropy, data.x_train[idx], data.y_train[idx])
        opt.step(closure)  # type: ignore[arg-type]
        steps += 1
    return {
        **final,
        "accuracy_at_checkpoint": at_checkpoint,
        "checkpoint_evaluations": checkpoint_evals,
    }


def train_adam(
    model: nn.Module, data: Any, *, epochs: int, lr: float, batch_size: int, seed: int
) -> tuple[float, float]:
    """Adam with backprop; returns (test accuracy, largest gradient norm seen).

    A loss that does not require grad (no differentiable path) leaves every gradient absent,
    which Adam treats as "no update": that is the exact-gradient behaviour we want to show
    (hence a ``backward_fn`` that skips ``backward()`` for such a loss).
    """
    largest = 0.0

    def backward(m: nn.Module, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        nonlocal largest
        loss = F.cross_entropy(m(xb), yb)
        if loss.requires_grad:
            loss.backward()
            norms = [float(p.grad.norm()) for p in m.parameters() if p.grad is not None]
            largest = max([largest, *norms])
        return loss

    fit(
        model, data.x_train, data.y_train, optimizer=torch.optim.Adam(model.parameters(), lr=lr),
        epochs=epochs, batch_size=batch_size, backward_fn=backward,
        generator=torch.Generator().manual_seed(seed + 2),
    )  # fmt: skip
    return accuracy(model, data.x_test, data.y_test), largest


# -- claim: SNN plateau ----------------------------------------------------------------------


def run_snn(config: SnnConfig, seed: int) -> Metrics:
    data = _digits()

    def build(surrogate: bool = False) -> nn.Module:
        return SpikingMLP(64, config.hidden, 10, num_steps=config.num_steps, surrogate=surrogate)

    torch.manual_seed(seed)
    model = build()
    init = accuracy(model, data.x_test, data.y_test)
    adam, grad = train_adam(
        model, data, epochs=config.adam_epochs, lr=config.adam_lr, batch_size=config.batch_size,
        seed=seed,
    )  # fmt: skip
    torch.manual_seed(seed)
    surrogate, _ = train_adam(
        build(surrogate=True), data, epochs=config.surrogate_epochs, lr=config.surrogate_lr,
        batch_size=64, seed=seed,
    )  # fmt: skip
    out: Metrics = {
        "init_accuracy": init,
        "adam_exact_accuracy": adam,
        "adam_exact_max_grad_norm": grad,
        "surrogate_adam_accuracy": surrogate,
    }
    for method in ("polystep", "es", "spsa"):
        r = train_gradient_free(
            build, method, config, data, seed=seed, batch_size=config.batch_size,
            seconds=config.seconds, checkpoint=config.eval_checkpoint,
        )  # fmt: skip
        log_metrics(method=method, **r)
        for key, value in r.items():
            out[f"{method}_{key}"] = value
    out["polystep_minus_best_baseline"] = out["polystep_accuracy"] - max(
        out["es_accuracy"], out["spsa_accuracy"]
    )
    ps_eq, es_eq = out["polystep_accuracy_at_checkpoint"], out["es_accuracy_at_checkpoint"]
    out["equal_evals_polystep_minus_es"] = None if ps_eq is None or es_eq is None else ps_eq - es_eq
    out["num_parameters"] = sum(p.numel() for p in model.parameters())
    return out


def verdict_snn(per_seed: list[Metrics], config: SnnConfig) -> Verdict:
    def avg(key: str) -> float:
        return stat(values(per_seed, key)).mean

    init, adam, ps = avg("init_accuracy"), avg("adam_exact_accuracy"), avg("polystep_accuracy")
    grad = max(values(per_seed, "adam_exact_max_grad_norm"))
    es, spsa, sur = avg("es_accuracy"), avg("spsa_accuracy"), avg("surrogate_adam_accuracy")
    eq = [m.get("equal_evals_polystep_minus_es") for m in per_seed]
    eq_mean = stat(eq).mean if all(e is not None for e in eq) else None  # type: ignore[arg-type]
    best = [max(e, s) for e, s in zip(values(per_seed, "es_accuracy"),
                                      values(per_seed, "spsa_accuracy"), strict=True)]  # fmt: skip
    # "Beats" must exceed the seed noise: the paired PolyStep − best-baseline difference has to be
    # larger than its standard error; within ±1 s.e. it is a tie (inconclusive).
    cmp = paired(values(per_seed, "polystep_accuracy"), best)
    table: dict[str, Any] = {
        "init accuracy": init,
        "plain Adam (exact gradient) accuracy": adam,
        "PolyStep accuracy (equal wall-clock)": ps,
        "OpenAI-ES accuracy (equal wall-clock)": es,
        "SPSA accuracy (equal wall-clock)": spsa,
        "PolyStep evaluations": avg("polystep_evaluations"),
        "OpenAI-ES evaluations": avg("es_evaluations"),
        f"PolyStep − OpenAI-ES at {config.eval_checkpoint} evaluations": eq_mean,
        "surrogate-gradient Adam accuracy (ceiling)": sur,
        "paper PolyStep / best GF baseline (MNIST)": f"{PAPER_SNN} / {PAPER_SNN_ES}",
        **cmp.table("PolyStep", "best baseline"),
    }
    checks = [
        Check("largest exact gradient norm", grad, "<=", 0.0, "g"),
        Check("|plain Adam − init accuracy|", abs(adam - init), "<=", config.plateau_band, ".3f"),
        Check("PolyStep − init accuracy", ps - init, ">=", config.min_gain, ".3f"),
    ]
    eq_text = "n/a (checkpoint not reached)" if eq_mean is None else f"{eq_mean:+.3f}"
    context = (
        f"at {config.seconds:g} s each PolyStep {ps:.3f} vs OpenAI-ES {es:.3f}, SPSA {spsa:.3f}: "
        f"{cmp.describe('PolyStep', 'best baseline', fmt='.3f')}; at equal evaluations "
        f"PolyStep − ES = {eq_text}; surrogate Adam {sur:.3f}"
    )
    plateau = judge(checks, values=table, prefix=f"plateau and crossing ({context})")
    if plateau.outcome is not Outcome.REPRODUCED:
        return plateau
    outcome = cmp.outcome(1.0, two_sided=True)
    if outcome is Outcome.REPRODUCED:
        tail = "; PolyStep beats the best baseline by more than one standard error"
    elif outcome is Outcome.NOT_REPRODUCED:
        tail = "; PolyStep is behind the best baseline by more than one standard error"
    elif cmp.n > 1:
        tail = "; PolyStep and the best baseline tie within one standard error"
    else:
        tail = "; one seed cannot decide the comparison (a standard error needs two)"
    return Verdict(outcome, plateau.reason + tail, table)


# -- claim: the other four architectures ---------------------------------------------------------


def _arch_builder(name: str, hidden: int, surrogate: bool) -> nn.Module:
    if name == "int8":
        return Int8MLP(64, hidden, 10, surrogate=surrogate)
    if name == "staircase":
        return StaircaseMLP(64, hidden, 10, surrogate=surrogate)
    if name == "attention":
        return ArgmaxAttentionClassifier(8, 8, hidden // 2, 10, surrogate=surrogate)
    if name == "moe":
        return HardMoEClassifier(64, hidden, 10, num_experts=4, surrogate=surrogate)
    raise ValueError(f"unknown architecture {name!r}; choose int8, staircase, attention, moe")


def run_arch(config: ArchConfig, seed: int) -> Metrics:
    data = _digits()
    out: Metrics = {"architectures": list(config.architectures)}
    for arch in config.architectures:
        res: Metrics = {}
        for method in ("polystep", "es", "spsa"):
            r = train_gradient_free(
                partial(_arch_builder, arch, config.hidden, False), method, config, data,
                seed=seed, batch_size=config.batch_size, evaluations=config.evaluations,
            )  # fmt: skip
            log_metrics(arch=arch, method=method, **r)
            res[method] = r["accuracy"]
            res[f"{method}_seconds"] = r["seconds"]
        torch.manual_seed(seed)
        sur, _ = train_adam(
            _arch_builder(arch, config.hidden, True), data, epochs=config.surrogate_epochs,
            lr=config.surrogate_lr, batch_size=64, seed=seed,
        )  # fmt: skip
        res["surrogate_adam"] = sur
        out[arch] = res
    margins = [out[a]["polystep"] - max(out[a]["es"], out[a]["spsa"]) for a in config.architectures]
    out["min_margin_over_baselines"] = min(margins)
    return out


def verdict_arch(per_seed: list[Metrics], config: ArchConfig) -> Verdict:
    table: dict[str, Any] = {}
    checks = []
    for arch in config.architectures:
        ps, es, spsa, sur = (
            stat(values(per_seed, arch, k)).mean
            for k in ("polystep", "es", "spsa", "surrogate_adam")
        )
        table[f"{arch}: PolyStep / OpenAI-ES / SPSA / surrogate Adam"] = (
            f"{ps:.3f} / {es:.3f} / {spsa:.3f} / {sur:.3f}"
        )
        checks.append(
            Check(f"{arch}: PolyStep − best baseline", ps - max(es, spsa), ">", 0.0, "+.3f")
        )
    table["paper (MNIST/FMNIST) PolyStep vs best GF"] = "; ".join(
        f"{k} {a} vs {b}" for k, (a, b) in PAPER_ARCH.items()
    )
    return judge(
        checks, values=table, prefix=f"mean test accuracy at {config.evaluations} evaluations each"
    )


# -- claim: MAX-SAT ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MaxSatConfig(ClaimConfig):
    """Claim ``maxsat``.

    Attributes:
        sizes: numbers of variables n (3-SAT at ``ratio``).
        ratio: clauses per variable.
        steps: PolyStep updates (OpenAI-ES gets the same number of updates).
        ps_epsilon, ps_step_radius, ps_probe_radius: PolyStep in full space, 2-D particles,
            costs in unsatisfied clauses (``scale_cost="none"``).
        es_sigma, es_lr, es_population: OpenAI-ES on the same relaxation.
        probsat_flips_per_var: probSAT flip budget per variable.
        threshold: PolyStep's clause satisfaction must reach this at every size.
    """

    sizes: tuple[int, ...] = param((100, 1_000, 10_000, 100_000), ge=3, min_len=1, increasing=True)
    ratio: float = param(4.26, gt=0)
    steps: int = param(30, ge=1)
    ps_epsilon: float = param(0.5, gt=0)
    ps_step_radius: float = param(0.5, gt=0)
    ps_probe_radius: float = param(6.0, gt=0)
    es_sigma: float = param(0.5, gt=0)
    es_lr: float = param(0.1, gt=0)
    es_population: int = param(50, ge=2)
    probsat_flips_per_var: float = param(1.0, gt=0)
    threshold: float = param(0.92, gt=0, le=1)


def run_maxsat(config: MaxSatConfig, seed: int) -> Metrics:
    out: Metrics = {"sizes": list(config.sizes)}
    for key in ("polystep", "es", "probsat", "polystep_seconds", "es_seconds", "probsat_seconds"):
        out[key] = []
    for n in config.sizes:
        inst = random_ksat(n, config.ratio, seed=seed)
        m = inst.num_clauses
        for method in ("polystep", "es"):
            g = torch.Generator().manual_seed(seed + 1)
            x = torch.randn(n, generator=g)
            extra = {"subspace": "full", "scale_cost": "none"} if method == "polystep" else {}
            opt = _optimizer(method, [x], config, seed, **extra)
            closure = MaxSatClosure(inst, x)
            start = time.perf_counter()
            for _ in range(config.steps):
                opt.step(closure)  # type: ignore[arg-type]
            out[f"{method}_seconds"].append(time.perf_counter() - start)
            out[method].append(1.0 - float(closure()) / m)
        start = time.perf_counter()
        flips = max(1, round(config.probsat_flips_per_var * n))
        _, sat = probsat(inst, max_flips=flips, seed=seed)
        out["probsat_seconds"].append(time.perf_counter() - start)
        out["probsat"].append(sat / m)
        log_metrics(n=n, polystep=out["polystep"][-1], es=out["es"][-1], probsat=out["probsat"][-1])
    out["polystep_min_satisfaction"] = min(out["polystep"])
    return out


def verdict_maxsat(per_seed: list[Metrics], config: MaxSatConfig) -> Verdict:
    table: dict[str, Any] = {}
    worst = 1.0
    for i, n in enumerate(config.sizes):
        ps, es, pr = (stat(values(per_seed, k, i)).mean for k in ("polystep", "es", "probsat"))
        table[f"n = {n:,}: PolyStep / OpenAI-ES / probSAT"] = f"{ps:.4f} / {es:.4f} / {pr:.4f}"
        worst = min(worst, ps)
    table["paper PolyStep (100K / 1M)"] = f"{PAPER_MAXSAT_100K} % / {PAPER_MAXSAT_1M} %"
    return threshold(
        "lowest mean clause satisfaction of PolyStep", worst, ">=", config.threshold, fmt=".2%",
        values=table,
        prefix=f"after {config.steps} updates over n = {config.sizes[0]:,}…{config.sizes[-1]:,} "
        "(probSAT and OpenAI-ES in the values)",
    )  # fmt: skip


# -- claim: policy search ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PolicyConfig(ClaimConfig):
    """Claim ``policy-search``.

    Attributes:
        activations: hidden activations of the policy (``float``, ``int8``, ``binary``).
        hidden: hidden width of the 4-hidden-2 policy.
        updates: the shared update budget of both methods.
        episodes: training rollouts per candidate (fresh start states every update).
        test_episodes: rollouts of the final policy on held-out start states.
        max_steps: episode cap (the normalised return divides by it).
        ps_epsilon, ps_step_radius, ps_probe_radius: PolyStep (full space: the policy is tiny).
        es_sigma, es_lr, es_population: OpenAI-ES.
        match_tolerance: float PolyStep must be within this of float OpenAI-ES.
        keep_fraction: quantised PolyStep must keep this fraction of its float return.

    The method settings are the better of two per method on the float policy over seeds 0–2
    (PolyStep probe radius 1 or 4, i.e. 0.5 or 2 after the ε scaling; OpenAI-ES σ 0.1 / lr 0.05
    or σ 0.5 / lr 0.1): at probe 1 PolyStep often stays on the initial plateau, where every
    candidate scores the same and the centred simplex's barycentre does not move.
    """

    activations: tuple[str, ...] = param(ACTIVATIONS, choices=ACTIVATIONS, min_len=2, distinct=True)
    hidden: int = param(16, ge=1)
    updates: int = param(15, ge=1)
    episodes: int = param(4, ge=1)
    test_episodes: int = param(20, ge=1)
    max_steps: int = param(200, ge=1)
    ps_epsilon: float = param(0.5, gt=0)
    ps_step_radius: float = param(2.0, gt=0)
    ps_probe_radius: float = param(4.0, gt=0)
    es_sigma: float = param(0.1, gt=0)
    es_lr: float = param(0.05, gt=0)
    es_population: int = param(50, ge=2)
    match_tolerance: float = param(0.05, ge=0, le=1)
    keep_fraction: float = param(0.95, gt=0, le=1)

    def validate(self) -> None:
        ensure(
            self,
            "float" in self.activations,
            f"activations must include 'float' (the reference policy); got {self.activations}",
        )


def run_policy(config: PolicyConfig, seed: int) -> Metrics:
    out: Metrics = {"activations": list(config.activations)}
    for act in config.activations:
        for method in ("polystep", "es"):
            torch.manual_seed(seed)
            policy = CartPolePolicy(config.hidden, act)  # type: ignore[arg-type]
            opt = _optimizer(method, policy.parameters(), config, seed)
            for i in range(config.updates):
                closure = CartPoleClosure(
                    policy,
                    episodes=config.episodes,
                    max_steps=config.max_steps,
                    seed=1000 * seed + i,
                )
                opt.step(closure)  # type: ignore[arg-type]
            test = episode_returns(
                policy, episodes=config.test_episodes, max_steps=config.max_steps, seed=10**6 + seed
            )
            key = f"{method}_{act}"
            out[key] = float(test.mean()) / config.max_steps
            out[f"{key}_evaluations"] = opt.evaluations  # type: ignore[attr-defined]
            log_metrics(activation=act, method=method, normalised_return=out[key])
    if "float" in config.activations:
        out["float_polystep_minus_es"] = out["polystep_float"] - out["es_float"]
    return out


def verdict_policy(per_seed: list[Metrics], config: PolicyConfig) -> Verdict:
    means = {
        f"{method}_{act}": stat(values(per_seed, f"{method}_{act}")).mean
        for act in config.activations
        for method in ("polystep", "es")
    }
    table: dict[str, Any] = {
        f"{a}: PolyStep / OpenAI-ES normalised return": (
            f"{means[f'polystep_{a}']:.3f} / {means[f'es_{a}']:.3f}"
        )
        for a in config.activations
    }
    table["paper"] = "normalised final return 0.995–1.000 for Float32 / INT8 / binary (CartPole)"
    ps_f = means["polystep_float"]
    checks = [
        Check("float PolyStep − OpenAI-ES return", ps_f - means["es_float"], ">=",
              -config.match_tolerance, "+.3f"),
        *(Check(f"{a} PolyStep return (bound: {config.keep_fraction:.0%} of float)",
                means[f"polystep_{a}"], ">=", config.keep_fraction * ps_f, ".3f")
          for a in config.activations if a != "float"),
    ]  # fmt: skip
    return judge(
        checks, values=table, prefix=f"normalised test returns after {config.updates} updates"
    )


# -- presets -------------------------------------------------------------------------------------

SCALED_DOWN = (
    "digits (8×8) instead of MNIST/FMNIST; width 64; seconds-long budgets (≈ 10⁴ evaluations) "
    "instead of 30 epochs (≈ 1.5×10⁷); one hyperparameter setting per method instead of a "
    "9-configuration grid; minibatch 128 instead of 512."
)

_SNN_PLATEAU_PRESETS = presets(
    SnnConfig(),
    smoke={"seconds": 0.6, "eval_checkpoint": 300, "adam_epochs": 1, "surrogate_epochs": 1,
           "num_steps": 4, "min_gain": 0.0},
    paper={"hidden": 128, "num_steps": 15, "batch_size": 512, "seconds": 1800.0,
           "eval_checkpoint": 1_000_000},
)  # fmt: skip

_OTHER_ARCHITECTURES_PRESETS = presets(
    ArchConfig(),
    smoke={"evaluations": 300, "surrogate_epochs": 1, "architectures": ("int8", "moe")},
    paper={"hidden": 128, "batch_size": 512, "evaluations": 15_000_000},
)  # fmt: skip

_MAXSAT_PRESETS = presets(
    MaxSatConfig(),
    smoke={"sizes": (100, 1000), "steps": 10},
    paper={"sizes": (100_000, 1_000_000), "steps": 500},
)  # fmt: skip

_POLICY_SEARCH_PRESETS = presets(
    PolicyConfig(),
    smoke={"activations": ("float", "binary"), "hidden": 8, "updates": 2, "episodes": 2,
           "max_steps": 30, "test_episodes": 4, "es_population": 10},
    paper={"updates": 200, "max_steps": 500, "episodes": 16},
)  # fmt: skip

COMPONENTS = (
    "nnatlas.optim.PolyStep", "nnatlas.optim.OpenAIES", "nnatlas.optim.SPSA",
    "nnatlas.optim.ModelClosure", "nnatlas.nn.nondifferentiable.SpikingMLP",
    "nnatlas.nn.nondifferentiable.Int8MLP", "nnatlas.nn.nondifferentiable.StaircaseMLP",
    "nnatlas.nn.nondifferentiable.ArgmaxAttentionClassifier",
    "nnatlas.nn.nondifferentiable.HardMoEClassifier",
)  # fmt: skip

PAPER = Paper(
    key="polystep",
    title="Training Non-Differentiable Networks via Optimal Transport",
    authors="An T. Le",
    year=2026,
    venue="arXiv (TMLR 2026)",
    arxiv="2605.01928",
    bibtex=BIBTEX,
    family="optim",
    summary=(
        "PolyStep is a zeroth-order optimizer: particles of a low-rank parameter subspace probe "
        "the vertices of randomly rotated polytopes and move to the barycentre of the vertices "
        "weighted by an entropic transport plan on their losses. It trains networks whose "
        "gradients are zero or absent (spiking, quantised, staircase, argmax attention, hard "
        "MoE). We test that it crosses a hard-LIF plateau where Adam cannot, that it leads the "
        "gradient-free baselines on the other architectures, MAX-SAT and quantised control."
    ),
    components=COMPONENTS,
    claims=(
        Claim(
            key="snn-plateau",
            peer=(
                "At 4,000 evaluations on this task (the claim's equal-evaluation checkpoint; "
                "crosscheck/check_polystep.py, check_evotorch.py, seeds 0-2): evotorch 0.6.1's "
                "PGPE run as OpenAI-ES 0.245 ± 0.077 vs our OpenAI-ES 0.266 ± 0.013 (agree); "
                "official polystep 1.1.0 at the claim's settings 0.164 ± 0.052 vs our PolyStep "
                "0.627 ± 0.050, but the official optimizer barely leaves its initialisation "
                "with these arguments (its radii may not be ε-scaled as ours), so it is not a "
                "like-for-like peer result; the equal-wall-clock comparison that is judged was "
                "not rerun with the peers"
            ),
            statement=(
                "On a hard-LIF spiking MLP the exact gradient is absent, so Adam stays at its initial "
                "accuracy; PolyStep crosses the plateau and beats OpenAI-ES and SPSA at equal "
                "wall-clock. (The equal-evaluation comparison with OpenAI-ES and surrogate-gradient "
                "Adam are reported beside it, not gated.)"
            ),
            source="README benchmark table (SNN hard LIF, MNIST) and TMLR Sec. 5",
            metric="polystep_minus_best_baseline",
            paper_value=PAPER_SNN - PAPER_SNN_ES,
            paper_value_text=(
                "PolyStep 93.0 ± 0.2 % vs OpenAI-ES 79.6 ± 5.2 % on MNIST (1.1.0 README); "
                "surrogate BPTT 86.3 ± 10.6 % (tuned) in the TMLR text"
            ),
            tolerance=(
                f"exact gradient norm 0 and plain Adam within ±{100 * SnnConfig().plateau_band:g} pp "
                f"of init; PolyStep ≥ init + {100 * SnnConfig().min_gain:g} pp; "
                "PolyStep − max(OpenAI-ES, SPSA) at equal wall-clock, paired over seeds, above one "
                "standard error (within ±1 s.e.: inconclusive, a tie; rule tightened after the first "
                "quick run, which was a 0.001 tie)"
            ),
            config_cls=SnnConfig,
            presets=_SNN_PLATEAU_PRESETS,
            run=run_snn,
            verdict=verdict_snn,
            scaled_down=SCALED_DOWN + " SNN 64-64-10 with T = 8 (paper 784-128-10, T = 15).",
        ),
        Claim(
            key="other-architectures",
            peer=(
                "official polystep 1.1.0 at the claim's settings and 6,000 evaluations "
                "(crosscheck/check_polystep_arch.py, seeds 0-2): INT8 0.129 ± 0.077 (ours 0.688"
                " ± 0.056), staircase 0.125 ± 0.023 (ours 0.653 ± 0.032), attention 0.097 ± "
                "0.050 (ours 0.349 ± 0.058), MoE 0.158 ± 0.023 (ours 0.772 ± 0.019); the "
                "official optimizer barely leaves its initialisation with these arguments, so "
                "it does not show the method reaching the paper's margin here; our OpenAI-ES "
                "agrees with evotorch's on the SNN task (0.266 vs 0.245)"
            ),
            statement=(
                "On the INT8 MLP, the staircase MLP, argmax attention and the hard MoE, PolyStep is "
                "more accurate than every gradient-free baseline (OpenAI-ES, SPSA) at equal budget."
            ),
            source="README benchmark table (INT8, staircase, argmax attention, hard MoE)",
            metric="min_margin_over_baselines",
            paper_value=None,
            paper_value_text=(
                "INT8 97.0 vs 94.4 (ES); staircase 94.3 vs 89.2 (CMA-ES); argmax attention 86.6 vs "
                "80.0 (ES); hard MoE 90.6 vs 82.5 (ES) — but the paper's matched-evaluation "
                "population-2048 ES beats PolyStep on argmax attention (86.95 vs 86.41)"
            ),
            tolerance="mean PolyStep accuracy > mean of each baseline on every architecture",
            config_cls=ArchConfig,
            presets=_OTHER_ARCHITECTURES_PRESETS,
            run=run_arch,
            verdict=verdict_arch,
            scaled_down=SCALED_DOWN
            + " Argmax attention over the 8 rows of a digit (paper: slots on FMNIST).",
        ),
        Claim(
            key="maxsat",
            statement=(
                "On random 3-SAT at clause ratio 4.26, PolyStep (full-space, 2-D particles) "
                "satisfies at least 92 % of clauses at every size from 100 to 100,000 variables."
            ),
            source="README benchmark table (MAX-SAT 100K and 1M variables)",
            metric="polystep_min_satisfaction",
            paper_value=PAPER_MAXSAT_1M / 100,
            paper_value_text=(
                "98.1 % at 100K variables, 92.6 % at 1M (PolyStep); probSAT 99.6 / 98.9 %; "
                "best population baseline 90.7 (CMA-ES, 100K) / 87.8 % (OpenAI-ES, 1M)"
            ),
            tolerance=f"mean clause satisfaction of PolyStep ≥ {MaxSatConfig().threshold:.0%} at every size",
            config_cls=MaxSatConfig,
            presets=_MAXSAT_PRESETS,
            run=run_maxsat,
            verdict=verdict_maxsat,
            scaled_down=(
                "sizes up to 10⁵ variables (paper 10⁶) and 30 updates (paper 500); one instance "
                "per seed; probSAT gets one flip per variable."
            ),
        ),
        Claim(
            key="policy-search",
            peer=(
                "the claim's baseline against its peer (crosscheck/check_evotorch_policy.py, "
                "quick settings, seeds 0-4): normalised test return of our OpenAI-ES vs "
                "evotorch 0.6.1's PGPE run as OpenAI-ES, float 0.819 ± 0.301 vs 0.699 ± 0.309, "
                "int8 0.824 ± 0.300 vs 0.634 ± 0.238, binary 0.865 ± 0.164 vs 0.766 ± 0.328 "
                "(agree: ours not weaker, all |t| ≤ 1.1); the official polystep 1.1.0 was not "
                "run on this task"
            ),
            statement=(
                "On cart-pole, PolyStep matches OpenAI-ES with a float policy under a shared update "
                "budget, and keeps its return when the hidden activations are int8 or binary."
            ),
            source="TMLR Sec. on reinforcement learning (CartPole/Acrobot, Float32/INT8/binary)",
            metric="float_polystep_minus_es",
            paper_value=None,
            paper_value_text="normalised final return 0.995–1.000, ahead of OpenAI-ES at 200 updates",
            tolerance=(
                f"float PolyStep ≥ float OpenAI-ES − {PolicyConfig().match_tolerance:g} and quantised "
                f"PolyStep ≥ {PolicyConfig().keep_fraction:.0%} of its float return (normalised test "
                "returns, means over seeds)"
            ),
            config_cls=PolicyConfig,
            presets=_POLICY_SEARCH_PRESETS,
            run=run_policy,
            verdict=verdict_policy,
            scaled_down=(
                "15 updates (paper 200), episodes capped at 200 steps (CartPole-v1: 500), 4 "
                "training rollouts per candidate; cart-pole only (no Acrobot)."
            ),
        ),
    ),
)
