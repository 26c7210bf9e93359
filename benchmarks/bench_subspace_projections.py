"""Speed and memory of the random-subspace projections z ↦ P z (Li et al. 2018).

For each D and each kind (dense, sparse with both matvec back ends, fastfood) this times
forward + backward of z ↦ P z (median over repetitions, one thread) and measures the peak
resident memory the case adds, each case in a fresh subprocess (``ru_maxrss`` after minus
before building P). Prints a Markdown table with ratios relative to dense.

The peer a user would pick is a stored dense P (``theta0 + P @ z``), the ``dense`` row: the
only PyPI package, ``intrinsic-dimensionality`` 0.1 (jgamper), ships a wheel that contains no
module (checked 2026-11), so there is no installable peer to time.

Run: ``python benchmarks/bench_subspace_projections.py`` (about a minute), or e.g.
``--full-dims 10000 100000 --subspace-dim 500 --mem-cap-gb 4``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

from _memory import peak_rss_mib

CASES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("dense", {}),
    ("sparse", {}),
    ("sparse", {"matvec": "torch.sparse"}),
    ("fastfood", {}),
)


def run_case(
    kind: str, full_dim: int, subspace_dim: int, reps: int, kwargs: dict[str, Any]
) -> dict:
    """Build one projection and time forward + backward; runs inside the child process."""
    import torch

    from nnatlas.train import make_projection

    torch.set_num_threads(1)
    z = torch.randn(subspace_dim, requires_grad=True)
    cotangent = torch.randn(full_dim)
    before = peak_rss_mib()
    start = time.perf_counter()
    proj = make_projection(kind, full_dim, subspace_dim, seed=0, **kwargs)
    build = time.perf_counter() - start
    times = []
    for _ in range(reps + 1):  # the first is a warm-up
        start = time.perf_counter()
        proj(z).backward(cotangent)
        times.append(time.perf_counter() - start)
        z.grad = None
    state = sum(b.element_size() * b.numel() for b in proj.buffers() if not b.is_sparse)
    state += sum(
        b._values().element_size() * b._nnz() + b._indices().element_size() * b._indices().numel()
        for b in proj.buffers()
        if b.is_sparse
    )
    return {
        "build_s": build,
        "step_ms": 1e3 * statistics.median(times[1:]),
        "peak_mb": peak_rss_mib() - before,
        "state_mb": state / 2**20,
    }


def in_subprocess(spec: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def label(kind: str, kwargs: dict[str, Any]) -> str:
    return kind + (f" ({kwargs['matvec']})" if "matvec" in kwargs else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full-dims", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--subspace-dim", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--mem-cap-gb", type=float, default=2.0, help="skip dense P above this")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        spec = json.loads(args.child)
        result = run_case(**spec)
        print(json.dumps(result))
        return

    import torch

    print(f"torch {torch.__version__}, 1 thread, d = {args.subspace_dim}, median of {args.reps}\n")
    print(
        "| D | projection | build s | fwd+bwd ms | peak MB | P state MB | time / dense | mem / dense |"
    )
    print("|---|---|---|---|---|---|---|---|")
    d = args.subspace_dim
    for full_dim in args.full_dims:
        dense: dict | None = None
        for kind, kwargs in CASES:
            name = label(kind, kwargs)
            dense_gb = 4 * full_dim * d / 1e9
            if kind == "dense" and dense_gb > args.mem_cap_gb:
                print(
                    f"| {full_dim:,} | {name} | skipped (P would be {dense_gb:.1f} GB) | | | | | |"
                )
                continue
            res = in_subprocess(
                {
                    "kind": kind,
                    "full_dim": full_dim,
                    "subspace_dim": d,
                    "reps": args.reps,
                    "kwargs": kwargs,
                }
            )
            if "error" in res:
                print(f"| {full_dim:,} | {name} | error: {res['error']} | | | | | |")
                continue
            if kind == "dense":
                dense = res
            t_ratio = f"{res['step_ms'] / dense['step_ms']:.3g}" if dense else "n/a"
            m_ratio = f"{res['peak_mb'] / max(dense['peak_mb'], 1e-9):.3g}" if dense else "n/a"
            print(
                f"| {full_dim:,} | {name} | {res['build_s']:.2f} | {res['step_ms']:.2f} | "
                f"{res['peak_mb']:.0f} | {res['state_mb']:.1f} | {t_ratio} | {m_ratio} |"
            )

    print(
        "\nNo peer row: the only PyPI package, `intrinsic-dimensionality` 0.1 (jgamper), ships a "
        "wheel with no module in it (metadata only), so there is nothing to install and time. "
        "The dense row is what a user writes by hand (theta0 + P @ z with a stored P)."
    )


if __name__ == "__main__":
    main()
