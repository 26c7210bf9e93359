"""NoProp-DT training step vs backprop on the same blocks: time, peak memory, saved activations.

Three ways to take one training step on a minibatch of flattened inputs, all with T blocks of
the same :class:`~nnatlas.train.MLPBlock` (or the paper's :class:`~nnatlas.train.ConvBlock` with
``--block cnn``) and AdamW:

* ``noprop-dt``: NoPropDT's block-local step (each block's backward runs before the next block's
  forward, so one block's graph is alive at a time);
* ``backprop-stacked``: backprop of the cross-entropy through the T blocks chained as at
  inference (the network NoProp replaces);
* ``backprop-one-block``: a single block-sized network trained end to end (the accuracy
  baseline of the ``noprop/dt-vs-backprop`` claim).

Each case runs in a fresh subprocess, so its peak resident memory (``ru_maxrss`` growth over
the set-up) is its own; times are the minimum over ``--repeats`` steps after a warm-up; "saved"
is the bytes autograd keeps for backward (:func:`~nnatlas.train.saved_activation_bytes`,
parameters excluded). One thread. Prints a Markdown table with ratios to ``noprop-dt``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import subprocess  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from _memory import peak_rss_mib  # noqa: E402

CASES = ("noprop-dt", "backprop-stacked", "backprop-one-block")


def worker(args: argparse.Namespace) -> dict[str, float]:
    from nnatlas.train import ConvBlock, MLPBlock, NoPropDT, saved_activation_bytes

    torch.set_num_threads(1)
    torch.manual_seed(0)
    side = int(args.features**0.5)
    c = 10

    def block(z_dim: int, out: int) -> nn.Module:
        if args.block == "cnn":
            return ConvBlock(1, side, z_dim, out, hidden=args.hidden)
        return MLPBlock(args.features, z_dim, out, args.hidden)

    x = torch.randn(args.batch, args.features)
    y = torch.randint(0, c, (args.batch,))
    model: nn.Module
    if args.case == "backprop-one-block":
        model = nn.Sequential(block(1, c))
        z0 = torch.zeros(args.batch, 1)

        def loss_fn() -> torch.Tensor:
            return F.cross_entropy(model[0](x, z0), y)
    else:
        model = NoPropDT([block(c, c) for _ in range(args.blocks)], c)

        def loss_fn() -> torch.Tensor:
            return F.cross_entropy(model(x), y)

    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        if args.case == "noprop-dt":
            model.backward_local(x, y)  # type: ignore[operator]
        else:
            loss_fn().backward()
        opt.step()

    params = list(model.parameters())
    if args.case == "noprop-dt":
        assert isinstance(model, NoPropDT)
        saved = max(
            saved_activation_bytes(lambda t=t: model.local_loss(x, y, t), params)
            for t in range(1, args.blocks + 1)
        )
    else:
        saved = saved_activation_bytes(loss_fn, params)
    base = peak_rss_mib()
    step()  # warm-up
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {"seconds": min(times), "peak_mib": peak_rss_mib() - base, "saved_mib": saved / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=10, help="T")
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--features", type=int, default=784, help="input size (a square for cnn)")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--block", choices=("mlp", "cnn"), default="mlp")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(worker(args)))
        return
    print(
        f"T = {args.blocks} {args.block} blocks, hidden {args.hidden}, {args.features} features, "
        f"batch {args.batch}, one thread"
    )
    results = {}
    for case in CASES:
        cmd = [sys.executable, __file__, "--case", case]
        for key in ("blocks", "hidden", "features", "batch", "block", "repeats"):
            cmd += [f"--{key}", str(getattr(args, key))]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode:
            print(f"{case} failed:\n{proc.stderr[-2000:]}")
            continue
        results[case] = json.loads(proc.stdout.strip().splitlines()[-1])
    ref = results.get("noprop-dt")
    print(
        "| case | step s | peak RSS MiB | saved MiB | time / NoProp | peak / NoProp | saved / NoProp |"
    )
    print("|---|---|---|---|---|---|---|")
    for case, r in results.items():
        ratios = (
            [
                r[k] / ref[k] if ref[k] > 0 else float("nan")
                for k in ("seconds", "peak_mib", "saved_mib")
            ]
            if ref
            else [float("nan")] * 3
        )
        print(
            f"| {case} | {r['seconds']:.4f} | {r['peak_mib']:.1f} | {r['saved_mib']:.2f} | "
            + " | ".join(f"{v:.2f}×" for v in ratios)
            + " |"
        )


if __name__ == "__main__":
    main()
