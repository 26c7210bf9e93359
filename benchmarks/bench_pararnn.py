"""ParaRNN on CPU: sequential loop vs Newton + parallel scan vs chunked scan vs ``pararnn-torch``.

Every (implementation, L) pair runs in a fresh subprocess, so that its peak resident memory
(``ru_maxrss`` growth over the set-up) is its own. Times are the minimum over ``--repeats``
after one warm-up; ratios are against nnatlas's sequential loop at the same L.

    python benchmarks/bench_pararnn.py                      # ParaGRU, L = 256 .. 16k (~3 min)
    python benchmarks/bench_pararnn.py --cell lstm --batch 8 --hidden 128 --repeats 3
    python benchmarks/bench_pararnn.py --peer-python /tmp/pr-venv/bin/python
    python benchmarks/bench_pararnn.py --lengths 4096 --impls sequential,sequential-compiled,parallel,parallel-compiled

The peer is the unofficial ``pararnn-torch`` (PyPI; MIT), never a dependency: install it in a
separate environment (it imports ``triton`` at import time) and point ``--peer-python`` at
that interpreter (default: ``/tmp/pr-venv/bin/python`` if it exists). Its cells differ from ours
in detail (initialisation, recurrent-norm caps), so compare its times, not its outputs.
Newton runs a fixed ``--iters`` steps (3, the paper's default) in both libraries.

Where the parallel forward wins on CPU (issue 21; ParaGRU, batch 4, hidden 64, one thread): from
about L = 64 on (1.2-2.4× at L = 64 .. 16k); at L = 16 it is about 2× slower. The profile
(torch.profiler) says why: the loop costs ~31 small ops per step, the Newton solve ~750 ops in
all at L = 16 and ~1400 at L = 1024 (three iterations of a whole-sequence cell evaluation, its
diagonal Jacobian and a log2(L)-level scan), so below a few dozen steps the fixed dispatch cost
of the parallel path is larger than the whole loop; it also does ~3× the loop's arithmetic
(three Newton passes), which one CPU thread cannot hide, so the forward gain stays near 2×,
while forward+backward gains more (the backward is one linear scan instead of a loop of
autograd nodes). Use ``--lengths 16,64,256,1024`` to see the crossover.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from _memory import peak_rss_mib
from nnatlas.core.timing import best_time

DEFAULT_PEER = "/tmp/pr-venv/bin/python"
IMPLS = ("sequential", "parallel", "chunked", "peer-newton")
# Opt-in (``--impls``): the peer's own sequential loop (minutes at L = 16k: its fwd+bwd is
# ~8x slower than ours at L = 4k), and torch.compile of the loop's step / of Newton's
# step+Jacobian and scan (compilation, tens of seconds on a CPU, is excluded from the times by
# the warm-up call).
OPT_IN = ("peer-sequential", "sequential-compiled", "parallel-compiled")


def worker(args: argparse.Namespace) -> dict[str, float]:
    """Time one implementation at one L (runs in its own process)."""
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    impl = args.impl
    if impl.startswith("peer"):
        from pararnn import NewtonConfig as PeerConfig
        from pararnn import ParaGRU as PeerGRU
        from pararnn import ParaLSTM as PeerLSTM
        from pararnn import ParaRNN

        cls = PeerGRU if args.cell == "gru" else PeerLSTM
        model = ParaRNN(
            cls(input_size=args.hidden, hidden_size=args.hidden),
            config=PeerConfig(max_iters=args.iters, residual_atol=None, residual_fail=None),
            solver="sequential" if impl == "peer-sequential" else "newton",
        )

        def run(x: torch.Tensor) -> torch.Tensor:
            out = model(x)
            return out[0] if isinstance(out, tuple) else out
    else:
        from nnatlas.nn.pararnn import NewtonConfig, ParaGRU, ParaLSTM

        cls = ParaGRU if args.cell == "gru" else ParaLSTM
        mode = impl.removesuffix("-compiled")
        newton = NewtonConfig(max_iters=args.iters, tol=0.0, compile=impl == "parallel-compiled")
        cell = cls(args.hidden, args.hidden, 2, mode=mode, newton=newton)
        if impl == "sequential-compiled":
            cell.step = torch.compile(cell.step, dynamic=False)  # type: ignore[method-assign]

        def run(x: torch.Tensor) -> torch.Tensor:
            return cell(x)[0]

    x = torch.randn(args.batch, args.length, args.hidden)
    xg = x.clone().requires_grad_(True)
    base = peak_rss_mib()

    def fwd() -> None:
        with torch.no_grad():
            run(x)

    def fwd_bwd() -> None:
        run(xg).sum().backward()

    result = {"forward_s": best_time(fwd, args.repeats)}
    result["forward_mib"] = peak_rss_mib() - base
    result["forward_backward_s"] = best_time(fwd_bwd, args.repeats)
    result["forward_backward_mib"] = peak_rss_mib() - base
    return result


def _spawn(python: str, impl: str, length: int, args: argparse.Namespace) -> dict | str:
    cmd = [
        python, __file__, "--worker", "--impl", impl, "--length", str(length),
        "--cell", args.cell, "--batch", str(args.batch), "--hidden", str(args.hidden),
        "--iters", str(args.iters), "--threads", str(args.threads),
        "--repeats", str(args.repeats if length <= 4096 else 1),
    ]  # fmt: skip
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout)
    if proc.returncode:
        return (proc.stderr.strip().splitlines() or ["failed"])[-1][:100]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cell", choices=("gru", "lstm"), default="gru")
    parser.add_argument("--lengths", default="256,1024,4096,16384")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--impls",
        default=",".join(IMPLS),
        help=f"comma-separated, from {', '.join(IMPLS + OPT_IN)}",
    )
    parser.add_argument(
        "--peer-python", default=DEFAULT_PEER if Path(DEFAULT_PEER).exists() else ""
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--impl", help=argparse.SUPPRESS)
    parser.add_argument("--length", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return

    impls = [i for i in args.impls.split(",") if i]
    lengths = [int(v) for v in args.lengths.split(",")]
    peer_note = ""
    if any(i.startswith("peer") for i in impls):
        if not args.peer_python:
            peer_note = "pararnn-torch: not run (no --peer-python; install it in a separate venv)"
            impls = [i for i in impls if not i.startswith("peer")]
        else:
            check = subprocess.run(
                [args.peer_python, "-c", "import pararnn, importlib.metadata as m; print(m.version('pararnn-torch'))"],
                capture_output=True, text=True,
            )  # fmt: skip
            if check.returncode:
                peer_note = f"pararnn-torch: unavailable under {args.peer_python}"
                impls = [i for i in impls if not i.startswith("peer")]
            else:
                peer_note = f"pararnn-torch {check.stdout.strip()} under {args.peer_python}"
    load = os.getloadavg()[0]
    print(
        f"ParaRNN CPU benchmark: cell {args.cell}, batch {args.batch}, hidden {args.hidden}, "
        f"{args.iters} Newton steps, {args.threads} thread(s), float32; load average {load:.1f} "
        f"on {os.cpu_count()} cores"
    )
    if peer_note:
        print(peer_note)
    t_start = time.perf_counter()
    rows: dict[tuple[str, int], dict | str] = {}
    for length in lengths:
        for impl in impls:
            python = args.peer_python if impl.startswith("peer") else sys.executable
            rows[impl, length] = _spawn(python, impl, length, args)
    header = f"{'impl':<16}{'L':>7}{'fwd ms':>10}{'fwd×':>8}{'f+b ms':>10}{'f+b×':>8}{'fwd MiB':>9}{'f+b MiB':>9}"
    print(header)
    print("-" * len(header))
    for length in lengths:
        ref = rows.get(("sequential", length))
        for impl in impls:
            r = rows[impl, length]
            if isinstance(r, str):
                print(f"{impl:<16}{length:>7}  failed: {r}")
                continue
            fx = ref["forward_s"] / r["forward_s"] if isinstance(ref, dict) else math.nan
            bx = (
                ref["forward_backward_s"] / r["forward_backward_s"]
                if isinstance(ref, dict)
                else math.nan
            )
            print(
                f"{impl:<16}{length:>7}{1e3 * r['forward_s']:>10.1f}{fx:>8.2f}"
                f"{1e3 * r['forward_backward_s']:>10.1f}{bx:>8.2f}"
                f"{r['forward_mib']:>9.1f}{r['forward_backward_mib']:>9.1f}"
            )
    print(
        f"ratios (×) are sequential-loop time / impl time (> 1: faster than the loop); "
        f"total {time.perf_counter() - t_start:.0f} s"
    )


if __name__ == "__main__":
    main()
