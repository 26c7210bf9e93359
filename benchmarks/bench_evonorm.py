"""EvoNorm-B0 / S0 vs ``BatchNorm2d + ReLU``: forward+backward time and peak memory.

One normalization-activation layer applied to a ResNet-50-sized activation (default: the
output of the first stage, batch 8 × 256 channels × 56 × 56; shrink it with ``--batch``,
``--channels``, ``--size`` on a small machine). Each case runs in a fresh subprocess; its peak
memory is the growth of the resident set during one forward+backward after the warm-up (the
kernel's peak-RSS counter is reset through ``/proc/self/clear_refs``, Linux only; it includes
the activations saved for backward and the temporaries). Times are the minimum over ``--repeats`` after a warm-up
(which also absorbs ``torch.compile``'s compilation). Ratios are against eager BN+ReLU.
``evonorm-*`` rows use the fused autograd functions (the default); ``evonorm-*-ref`` rows the
composite reference (``fused=False``), i.e. the implementation before issue 21.

    python benchmarks/bench_evonorm.py                         # eager and compiled, ~2 min
    python benchmarks/bench_evonorm.py --batch 2 --size 28     # a quick look
    python benchmarks/bench_evonorm.py --no-compile

Peers: timm's ``EvoNorm2dB0`` / ``EvoNorm2dS0`` when ``timm`` is importable (install it in a
separate venv with ``pip install timm --no-deps``); they use eps 1e-3 (B0) and float32
statistics, so compare their times, not their outputs. ``torch.compile`` needs a working C++
compiler on CPU; when it fails, the compiled rows say so.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys

from _memory import reset_peak, status_mib

CASES = (
    "bn-relu", "evonorm-b0", "evonorm-s0", "evonorm-b0-ref", "evonorm-s0-ref", "gn-silu",
    "timm-b0", "timm-s0",
)  # fmt: skip


def worker(args: argparse.Namespace) -> dict[str, object]:
    import torch
    from torch import nn

    from nnatlas.core.timing import best_time
    from nnatlas.nn.evonorm import EvoNormB0, EvoNormS0

    torch.set_num_threads(args.threads)
    c = args.channels
    layer: nn.Module
    if args.case == "bn-relu":
        layer = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU())
    elif args.case == "evonorm-b0":
        layer = EvoNormB0(c)
    elif args.case == "evonorm-s0":
        layer = EvoNormS0(c, groups=32)
    elif args.case == "evonorm-b0-ref":
        layer = EvoNormB0(c, fused=False)
    elif args.case == "evonorm-s0-ref":
        layer = EvoNormS0(c, groups=32, fused=False)
    elif args.case == "gn-silu":
        layer = nn.Sequential(nn.GroupNorm(32, c), nn.SiLU())
    else:
        from timm.layers import EvoNorm2dB0, EvoNorm2dS0

        layer = EvoNorm2dB0(c) if args.case == "timm-b0" else EvoNorm2dS0(c, groups=32)
    layer.train()
    fn = layer
    if args.compile:
        fn = torch.compile(layer)
    x = torch.randn(args.batch, c, args.size, args.size, requires_grad=True)
    g = torch.randn_like(x)

    def step() -> None:
        x.grad = None
        out = fn(x)
        out.backward(g)

    step()  # warm-up (and compilation) before measuring memory
    x.grad = None
    gc.collect()
    if reset_peak():
        base = status_mib("VmRSS")
        step()
        peak = status_mib("VmHWM") - base
    else:
        peak = float("nan")
    seconds = best_time(step, args.repeats)
    return {"seconds": seconds, "peak_mib": peak}


def run_case(case: str, compiled: bool, args: argparse.Namespace) -> dict[str, object]:
    cmd = [
        sys.executable, __file__, "--worker", "--case", case, "--batch", str(args.batch),
        "--channels", str(args.channels), "--size", str(args.size), "--repeats",
        str(args.repeats), "--threads", str(args.threads),
    ]  # fmt: skip
    if compiled:
        cmd.append("--compile")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        return {"error": last[:120]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--channels", type=int, default=256)
    parser.add_argument("--size", type=int, default=56, help="height = width of the activation")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile rows")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--compile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return

    import torch

    try:
        import timm  # noqa: F401

        cases = CASES
    except ImportError:
        cases = CASES[:6]
        print("timm not importable: skipping the timm-b0 / timm-s0 peer rows.\n")
    print(
        f"norm-act forward+backward on ({args.batch}, {args.channels}, {args.size}, {args.size}), "
        f"{args.threads} thread(s), min of {args.repeats}; torch {torch.__version__}\n"
    )
    print("| layer | mode | ms | time ratio vs eager BN+ReLU | peak MiB | memory ratio |")
    print("|---|---|---|---|---|---|")
    modes = (False,) if args.no_compile else (False, True)
    ref: dict[str, object] | None = None
    for compiled in modes:
        for case in cases:
            r = run_case(case, compiled, args)
            mode = "compiled" if compiled else "eager"
            if "error" in r:
                print(f"| {case} | {mode} | failed: {r['error']} | | | |")
                continue
            if ref is None and case == "bn-relu" and not compiled:
                ref = r
            t = float(r["seconds"])  # type: ignore[arg-type]
            m = float(r["peak_mib"])  # type: ignore[arg-type]
            tr = t / float(ref["seconds"]) if ref else float("nan")  # type: ignore[arg-type]
            mr = m / float(ref["peak_mib"]) if ref and float(ref["peak_mib"]) > 0 else float("nan")  # type: ignore[arg-type]
            print(f"| {case} | {mode} | {1e3 * t:.1f} | {tr:.2f} | {m:.0f} | {mr:.2f} |")


if __name__ == "__main__":
    main()
