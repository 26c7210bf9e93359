"""PolyStep and OpenAI-ES side by side with the official ``polystep`` package and ``evotorch``.

Same model (the hard-LIF :class:`~nnatlas.nn.nondifferentiable.SpikingMLP`, 64-64-10, T = 8, on
scikit-learn digits), same minibatches (128), same settings (rank 4, 128 subspace coordinates,
simplex, 8-D particles, softmax, ε 0.25, step 4, probe 2, biased rotation, absorb every 20
steps; OpenAI-ES / PGPE with fixed σ 0.3, Adam lr 0.05, population 50, centred ranks,
antithetic), same budget of candidate evaluations. Each case runs in a fresh subprocess with
one thread; the table reports steps/s, candidate evaluations/s, peak resident memory of the
process, and test accuracy after the budget, with ratios nnatlas / peer (throughput: > 1 means
nnatlas is faster; memory: < 1 means nnatlas uses less).

Peers (``polystep``, ``evotorch``) are optional; missing ones are skipped with a message.
Install them in a separate environment, never as nnatlas dependencies.

Throughput excludes each case's first step (one-off lazy initialisation). Accuracy differences
partly reflect defaults that differ between the packages beyond the shared settings above (e.g.
the official cost scaling), so they are reported, not interpreted as a quality verdict.

Usage: ``python benchmarks/bench_polystep.py [--evaluations 4320] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from typing import Any

CASES = ("nnatlas-polystep", "official-polystep", "nnatlas-es", "evotorch-pgpe")
PEERS = {"official-polystep": "polystep", "evotorch-pgpe": "evotorch"}


def _run_case(name: str, evaluations: int, seed: int) -> dict[str, Any]:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    from nnatlas.data import load_digits
    from nnatlas.nn.nondifferentiable import SpikingMLP
    from nnatlas.optim import ModelClosure, OpenAIES, PolyStep
    from nnatlas.optim._batched import flat_to_values
    from nnatlas.train.loop import accuracy

    data = load_digits(test_size=0.25, seed=0)
    torch.manual_seed(seed)
    model = SpikingMLP(64, 64, 10, num_steps=8)
    params = list(model.parameters())
    g = torch.Generator().manual_seed(seed + 1)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(0, data.num_train, (128,), generator=g)
        return data.x_train[idx], data.y_train[idx]

    steps = 0
    used = 0
    # Throughput is timed from the end of the first step: the first call pays one-off lazy
    # initialisation (torch.func's first vmap, the peer's evaluator set-up), not steady work.
    start = 0.0
    first_evals = 0

    def mark(evals: int) -> None:
        nonlocal start, first_evals
        if steps == 1:
            start, first_evals = time.perf_counter(), evals

    if name == "nnatlas-polystep":
        opt = PolyStep(
            params,
            epsilon=0.25,
            step_radius=4.0,
            probe_radius=2.0,
            rank=4,
            max_subspace_dim=128,
            absorb_interval=20,
            seed=seed,
        )
        while opt.evaluations < evaluations:
            x, y = batch()
            opt.step(ModelClosure(model, F.cross_entropy, x, y))  # type: ignore[arg-type]
            steps += 1
            mark(opt.evaluations)
        used = opt.evaluations
    elif name == "official-polystep":
        from polystep import HybridSubspace, ParamLayout, PolyStepOptimizer

        sub = HybridSubspace.from_layout(
            ParamLayout.from_module(model),
            rank=4,
            max_subspace_dim=128,
            seed=seed,
            absorb_mode="periodic",
            absorb_interval=20,
        )
        popt = PolyStepOptimizer(
            model,
            subspace=sub,
            subspace_particle_dim=8,
            polytope_type="simplex",
            solver="softmax",
            epsilon=0.25,
            step_radius=4.0,
            probe_radius=2.0,
            biased_rotation=True,
            seed=seed,
        )
        while popt.candidate_evals < evaluations:
            x, y = batch()
            popt.step_batch(x, y, loss_fn=F.cross_entropy)
            steps += 1
            mark(popt.candidate_evals)
        used = popt.candidate_evals
    elif name == "nnatlas-es":
        es = OpenAIES(params, sigma=0.3, lr=0.05, population_size=50, seed=seed)
        while es.evaluations < evaluations:
            x, y = batch()
            es.step(ModelClosure(model, F.cross_entropy, x, y))  # type: ignore[arg-type]
            steps += 1
            mark(es.evaluations)
        used = es.evaluations
    elif name == "evotorch-pgpe":
        from evotorch import Problem
        from evotorch.algorithms import PGPE

        current: dict[str, Any] = {}

        def fitness(solutions: torch.Tensor) -> torch.Tensor:
            closure = ModelClosure(model, F.cross_entropy, current["x"], current["y"])
            return closure.evaluate_batch(params, flat_to_values(solutions.float(), params))

        dim = sum(p.numel() for p in params)
        problem = Problem(
            "min",
            fitness,
            solution_length=dim,
            vectorized=True,
            initial_bounds=(-1.0, 1.0),
            dtype=torch.float32,
            seed=seed,
        )
        centre = torch.cat([p.detach().flatten() for p in params])
        searcher = PGPE(
            problem,
            popsize=50,
            center_learning_rate=0.05,
            stdev_learning_rate=0.0,
            stdev_init=0.3,
            optimizer="adam",
            ranking_method="centered",
            symmetric=True,
            center_init=centre,
        )
        while used < evaluations:
            current["x"], current["y"] = batch()
            searcher.step()
            steps += 1
            used += 50
            mark(used)
        with torch.no_grad():
            for p, v in zip(
                params, flat_to_values(searcher.status["center"][None].float(), params), strict=True
            ):
                p.copy_(v[0])
    else:
        raise SystemExit(f"unknown case {name!r}; choose from {CASES}")
    seconds = time.perf_counter() - start
    return {
        "case": name,
        "steps": steps,
        "evaluations": used,
        "seconds": seconds,
        "steps_per_s": (steps - 1) / seconds,
        "evals_per_s": (used - first_evals) / seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "accuracy": accuracy(model, data.x_test, data.y_test),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--evaluations", type=int, default=4320, help="candidate-evaluation budget per case"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_run_case(args.case, args.evaluations, args.seed)))
        return
    results: dict[str, dict[str, Any]] = {}
    for case in CASES:
        peer = PEERS.get(case)
        if peer and importlib.util.find_spec(peer) is None:
            print(
                f"skipped {case}: `{peer}` is not installed (pip install {peer} in a separate venv)"
            )
            continue
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--case",
                case,
                "--evaluations",
                str(args.evaluations),
                "--seed",
                str(args.seed),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(f"case {case} failed:\n{proc.stderr[-2000:]}")
            continue
        results[case] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"\nSNN 64-64-10 (T=8) on digits, budget {args.evaluations} candidate evaluations, 1 thread\n"
    )
    print("| case | steps | evals | steps/s | evals/s | peak RSS (MiB) | test acc |")
    print("|---|---|---|---|---|---|---|")
    for r in results.values():
        print(
            f"| {r['case']} | {r['steps']} | {r['evaluations']} | {r['steps_per_s']:.2f} | "
            f"{r['evals_per_s']:.0f} | {r['peak_rss_mib']:.0f} | {r['accuracy']:.3f} |"
        )
    print("\n| comparison | evals/s ratio | steps/s ratio | peak RSS ratio | accuracy diff |")
    print("|---|---|---|---|---|")
    for ours, peer in (("nnatlas-polystep", "official-polystep"), ("nnatlas-es", "evotorch-pgpe")):
        if ours in results and peer in results:
            a, b = results[ours], results[peer]
            print(
                f"| {ours} / {peer} | {a['evals_per_s'] / b['evals_per_s']:.2f}× | "
                f"{a['steps_per_s'] / b['steps_per_s']:.2f}× | "
                f"{a['peak_rss_mib'] / b['peak_rss_mib']:.2f}× | "
                f"{a['accuracy'] - b['accuracy']:+.3f} |"
            )


if __name__ == "__main__":
    main()
