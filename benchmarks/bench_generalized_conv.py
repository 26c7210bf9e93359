"""Weighted-L2 / weighted-L1 distance convolutions vs ``nn.Conv2d``: time and peak memory.

One 3×3 layer (padding 1) on a ResNet-18-sized activation (default: batch 8, 64 → 64 channels,
28 × 28; shrink with ``--batch``, ``--channels``, ``--size``), forward and forward+backward.
Cases: ``nn.Conv2d``; :class:`WeightedL2Conv2d` (three ordinary convolutions); weighted L2 by the
naive unfold broadcast (what an implementation without the expansion does); and
:class:`WeightedL1Conv2d` (unfold + chunked custom autograd, at its default chunk budget of 2^18
elements and at the former default 2^22, to show the cache effect). Each case
runs in a fresh subprocess; peak memory is the growth of the resident set during one
forward+backward after the warm-up (Linux ``/proc/self/clear_refs``). Times are the minimum
over ``--repeats``; ratios are against ``nn.Conv2d``.

    python benchmarks/bench_generalized_conv.py                  # ~1-2 min on one core
    python benchmarks/bench_generalized_conv.py --batch 2 --size 14

Peer: AdderNet (huawei-noah/AdderNet, unweighted negative-L1 "adder" convolution) is not on
PyPI and ships CUDA kernels only; it is not compared here.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys

from _memory import reset_peak, status_mib

CASES = ("conv2d", "weighted-l2", "weighted-l2-unfold", "weighted-l1", "weighted-l1-4m-chunks")


def worker(args: argparse.Namespace) -> dict[str, float]:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from nnatlas.core.timing import best_time
    from nnatlas.nn.generalized_conv import WeightedL1Conv2d, WeightedL2Conv2d

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    c = args.channels
    layer: nn.Module
    if args.case == "conv2d":
        layer = nn.Conv2d(c, c, 3, padding=1, bias=False)
    elif args.case.startswith("weighted-l2"):
        layer = WeightedL2Conv2d(c, c, 3, padding=1)
    elif args.case == "weighted-l1":
        layer = WeightedL1Conv2d(c, c, 3, padding=1)
    else:
        # The pre-issue-21 default chunk of 2^22 elements (16 MiB in float32): out of L2 cache.
        layer = WeightedL1Conv2d(c, c, 3, padding=1, max_chunk_elements=1 << 22)
    fn = layer
    if args.case == "weighted-l2-unfold":
        assert isinstance(layer, WeightedL2Conv2d)

        def fn(x: torch.Tensor) -> torch.Tensor:
            cols = F.unfold(x, 3, padding=1).transpose(1, 2)  # (N, L, K)
            w = layer.weight.reshape(c, -1)
            a = layer.alpha.reshape(c, -1)
            d = (cols[:, None] - w[None, :, None, :]).square()
            out = -(d * a[None, :, None, :]).sum(-1)
            return out.view(x.shape[0], c, x.shape[2], x.shape[3])

    x = torch.randn(args.batch, c, args.size, args.size, requires_grad=True)
    g = torch.randn(args.batch, c, args.size, args.size)

    def forward() -> None:
        with torch.no_grad():
            fn(x)

    def step() -> None:
        x.grad = None
        layer.zero_grad(set_to_none=True)
        fn(x).backward(g)

    step()
    x.grad = None
    layer.zero_grad(set_to_none=True)
    gc.collect()
    peak = float("nan")
    if reset_peak():
        base = status_mib("VmRSS")
        step()
        peak = status_mib("VmHWM") - base
    return {
        "forward": best_time(forward, args.repeats),
        "step": best_time(step, args.repeats),
        "peak_mib": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return
    import torch

    print(
        f"3×3 layer, {args.channels} → {args.channels} channels, input ({args.batch}, "
        f"{args.channels}, {args.size}, {args.size}), {args.threads} thread(s), min of "
        f"{args.repeats}; torch {torch.__version__}\n"
    )
    print("| layer | forward ms | ratio | fwd+bwd ms | ratio | peak MiB (fwd+bwd) | ratio |")
    print("|---|---|---|---|---|---|---|")
    ref: dict[str, float] | None = None
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    for case in CASES:
        cmd = [
            sys.executable, __file__, "--worker", "--case", case, "--batch", str(args.batch),
            "--channels", str(args.channels), "--size", str(args.size),
            "--repeats", str(args.repeats), "--threads", str(args.threads),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
            print(f"| {case} | failed: {last[:100]} | | | | | |")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        ref = ref or r
        # A peak below 1 MiB (Conv2d's workspace) is within the RSS counter's noise: no ratio.
        mem = f"{r['peak_mib'] / ref['peak_mib']:.1f}" if ref["peak_mib"] >= 1 else "n/a"
        print(
            f"| {case} | {1e3 * r['forward']:.1f} | {r['forward'] / ref['forward']:.1f} | "
            f"{1e3 * r['step']:.1f} | {r['step'] / ref['step']:.1f} | {r['peak_mib']:.0f} | "
            f"{mem} |"
        )


if __name__ == "__main__":
    main()
