"""The shared stochastic task of the PolyStep / OpenAI-ES cross-checks.

The task of polystep's ``snn-plateau`` claim: a hard-LIF ``SpikingMLP`` 64-64-10 (T = 8) on
scikit-learn digits (test split 25 %), minibatches of 128 drawn by a seeded generator, and the
claim's gradient-free settings (PolyStep: ε 0.25, step radius 4, probe radius 2, rank 4, 128
subspace coordinates, absorb every 20 steps; OpenAI-ES: σ 0.3, Adam lr 0.05, population 50,
antithetic, centred ranks). Every method stops at the first step reaching ``evaluations``
candidate evaluations and reports the test accuracy then.
"""

from __future__ import annotations

from typing import Any

EVALUATIONS = 4000  # the claim's equal-evaluation checkpoint (SnnConfig.eval_checkpoint)
SEEDS = (0, 1, 2)


def flat_to_values(flat: Any, params: list[Any]) -> list[Any]:
    """``(pop, dim)`` flat candidates -> one ``(pop, *p.shape)`` tensor per parameter."""
    sizes = [p.numel() for p in params]
    return [
        c.reshape(flat.shape[0], *p.shape)
        for c, p in zip(flat.split(sizes, dim=1), params, strict=True)
    ]


def evotorch_openai_es(
    params: list[Any], fitness: Any, *, sigma: float, lr: float, popsize: int, seed: int
) -> Any:
    """evotorch's ``PGPE`` set up as OpenAI-ES on ``params`` (minimising ``fitness``).

    ``fitness`` maps a ``(popsize, dim)`` tensor of flat candidates to ``(popsize,)`` losses.
    PGPE with a fixed σ (``stdev_learning_rate=0``), Adam on the centre, centred ranks and
    antithetic sampling is OpenAI-ES; the centre starts at the parameters' current values.
    """
    import torch
    from evotorch import Problem
    from evotorch.algorithms import PGPE

    dim = sum(p.numel() for p in params)
    problem = Problem("min", fitness, solution_length=dim, vectorized=True,
                      initial_bounds=(-1.0, 1.0), dtype=torch.float32, seed=seed)  # fmt: skip
    centre = torch.cat([p.detach().flatten() for p in params])
    return PGPE(problem, popsize=popsize, center_learning_rate=lr, stdev_learning_rate=0.0,
                stdev_init=sigma, optimizer="adam", ranking_method="centered", symmetric=True,
                center_init=centre)  # fmt: skip


def load_centre(searcher: Any, params: list[Any]) -> None:
    """Copy an evotorch searcher's centre into ``params`` in place."""
    import torch

    with torch.no_grad():
        flat = searcher.status["center"][None].float()
        for p, v in zip(params, flat_to_values(flat, params), strict=True):
            p.copy_(v[0])


ARCHITECTURES = ("int8", "staircase", "attention", "moe")  # polystep's other-architectures claim
ARCH_EVALUATIONS = 6000  # that claim's equal budget (ArchConfig.evaluations)


def build(arch: str) -> Any:
    """The claims' models: ``snn`` (hard-LIF 64-64-10, T = 8) or one of :data:`ARCHITECTURES`."""
    from nnatlas.nn.nondifferentiable import (
        ArgmaxAttentionClassifier,
        HardMoEClassifier,
        Int8MLP,
        SpikingMLP,
        StaircaseMLP,
    )

    if arch == "snn":
        return SpikingMLP(64, 64, 10, num_steps=8)
    if arch == "int8":
        return Int8MLP(64, 64, 10)
    if arch == "staircase":
        return StaircaseMLP(64, 64, 10)
    if arch == "attention":
        return ArgmaxAttentionClassifier(8, 8, 32, 10)
    if arch == "moe":
        return HardMoEClassifier(64, 64, 10, num_experts=4)
    raise ValueError(f"unknown architecture {arch!r}")


def run(
    method: str, seed: int, evaluations: int = EVALUATIONS, arch: str = "snn"
) -> dict[str, Any]:
    """Train one fresh model with ``method`` and return accuracy and evaluations used."""
    import torch
    import torch.nn.functional as F

    from nnatlas.data import load_digits
    from nnatlas.optim import ModelClosure, OpenAIES, PolyStep
    from nnatlas.train import accuracy

    torch.set_num_threads(1)
    data = load_digits(test_size=0.25, seed=0)
    torch.manual_seed(seed)
    model = build(arch)
    params = list(model.parameters())
    gen = torch.Generator().manual_seed(seed + 1)

    def batch() -> tuple[Any, Any]:
        idx = torch.randint(0, data.num_train, (128,), generator=gen)
        return data.x_train[idx], data.y_train[idx]

    used = 0
    if method in ("nnatlas-polystep", "nnatlas-polystep-fixed"):
        opt = PolyStep(params, epsilon=0.25, step_radius=4.0, probe_radius=2.0, rank=4,
                       max_subspace_dim=128, absorb_interval=20, seed=seed,
                       redraw_on_absorb=method == "nnatlas-polystep")  # fmt: skip
        while opt.evaluations < evaluations:
            x, y = batch()
            opt.step(ModelClosure(model, F.cross_entropy, x, y))  # type: ignore[arg-type]
        used = opt.evaluations
    elif method == "official-polystep":
        from polystep import HybridSubspace, ParamLayout, PolyStepOptimizer

        sub = HybridSubspace.from_layout(ParamLayout.from_module(model), rank=4,
                                         max_subspace_dim=128, seed=seed,
                                         absorb_mode="periodic", absorb_interval=20)  # fmt: skip
        popt = PolyStepOptimizer(model, subspace=sub, subspace_particle_dim=8,
                                 polytope_type="simplex", solver="softmax", epsilon=0.25,
                                 step_radius=4.0, probe_radius=2.0, biased_rotation=True,
                                 seed=seed)  # fmt: skip
        while popt.candidate_evals < evaluations:
            x, y = batch()
            popt.step_batch(x, y, loss_fn=F.cross_entropy)
        used = popt.candidate_evals
    elif method == "nnatlas-es":
        es = OpenAIES(params, sigma=0.3, lr=0.05, population_size=50, seed=seed)
        while es.evaluations < evaluations:
            x, y = batch()
            es.step(ModelClosure(model, F.cross_entropy, x, y))  # type: ignore[arg-type]
        used = es.evaluations
    elif method == "evotorch-es":
        current: dict[str, Any] = {}

        def fitness(solutions: Any) -> Any:
            closure = ModelClosure(model, F.cross_entropy, current["x"], current["y"])
            return closure.evaluate_batch(params, flat_to_values(solutions.float(), params))

        searcher = evotorch_openai_es(params, fitness, sigma=0.3, lr=0.05, popsize=50, seed=seed)
        while used < evaluations:
            current["x"], current["y"] = batch()
            searcher.step()
            used += 50
        load_centre(searcher, params)
    else:
        raise ValueError(f"unknown method {method!r}")
    return {"accuracy": float(accuracy(model, data.x_test, data.y_test)), "evaluations": used}
