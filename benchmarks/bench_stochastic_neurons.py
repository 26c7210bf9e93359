"""Stochastic-neuron estimators: cost of a gated training step vs the ungated network.

For each gate estimator of ``nnatlas.nn.gated.GatedMLP`` (straight-through identity / sigmoid,
stochastic times smooth, noisy rectifier, REINFORCE with the optimal baseline) this times one
training step (forward, per-example cross-entropy, ``auxiliary_loss``, backward, Adam step) on
digits-shaped data and prints the time ratio against the same MLP without gates (``nnatlas.nn.MLP``
with the same hidden width). Best of ``--repeats`` runs of ``--steps`` steps each, one thread.

The gated network computes every block densely and multiplies it by its gate, so the ratio is
the overhead of the gater and the estimator; it does not show conditional-computation savings
(which need kernels that skip the switched-off blocks).

Peers: PyTorch-based estimator libraries (e.g. ``relaxit``) are not compared here; the nnatlas
estimators are a few elementwise operations, and this script measures their overhead over the
ungated step instead.
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from nnatlas.core.timing import best_time  # noqa: E402
from nnatlas.nn.gated import GatedMLP  # noqa: E402
from nnatlas.nn.models import MLP  # noqa: E402
from nnatlas.nn.stochastic_neurons import ESTIMATORS  # noqa: E402


def _step_fn(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int):  # type: ignore[no-untyped-def]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def run() -> None:
        for _ in range(steps):
            per_example = F.cross_entropy(model(x), y, reduction="none")
            loss = per_example.mean()
            if isinstance(model, GatedMLP):
                loss = loss + model.auxiliary_loss(per_example)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 512])
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--blocks", type=int, default=16)
    parser.add_argument("--in-features", type=int, default=64)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        f"time per training step, MLP {args.in_features}-{args.hidden}-10 with {args.blocks} gated "
        f"blocks; best of {args.repeats} × {args.steps} steps, 1 thread, torch {torch.__version__}\n"
    )
    print("| batch | network | ms / step | ratio vs ungated |")
    print("|---|---|---|---|")
    for batch in args.batch_sizes:
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(batch, args.in_features, generator=gen)
        y = torch.randint(0, 10, (batch,), generator=gen)
        torch.manual_seed(0)
        dense = MLP(args.in_features, [args.hidden], 10)
        base = best_time(_step_fn(dense, x, y, args.steps), args.repeats) / args.steps
        print(f"| {batch} | ungated MLP | {1e3 * base:.3f} | 1.00× |", flush=True)
        for estimator in ESTIMATORS:
            torch.manual_seed(0)
            model = GatedMLP(
                args.in_features,
                [args.hidden],
                10,
                args.blocks,
                estimator,
                generator=torch.Generator().manual_seed(1),
            )
            t = best_time(_step_fn(model, x, y, args.steps), args.repeats) / args.steps
            print(f"| {batch} | gated, {estimator} | {1e3 * t:.3f} | {t / base:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
