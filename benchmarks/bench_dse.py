"""Diffusion spectral entropy: nnatlas vs the official implementation (PyPI ``dse-dsmi``).

Same data (uniform in [0, 1]^D, seeded), same σ and t, one thread each. For every N this
prints both DSE values, their absolute difference (must be < 1e-8) and the time ratio
official / nnatlas (median of ``--reps`` repetitions).

Both are exact O(N³) dense symmetric eigensolvers; nnatlas saves the two dense diagonal matrix
products the official code spends on the normalisation (broadcast scaling instead) and calls
``torch.linalg.eigvalsh`` in float64.

``dse-dsmi`` has a non-commercial licence and is never a dependency of nnatlas: install it in a
separate environment, e.g.::

    python3.11 -m venv /tmp/dse-venv
    /tmp/dse-venv/bin/pip install torch==2.13.0 dse-dsmi tqdm
    /tmp/dse-venv/bin/pip install -e . --no-deps
    /tmp/dse-venv/bin/python benchmarks/bench_dse.py

Without it, the script says so and prints nnatlas's numbers alone.
"""

from __future__ import annotations

import argparse
import os

# One BLAS thread for numpy too; must be set before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nnatlas.probes import diffusion_spectral_entropy  # noqa: E402


def _time(fn: Callable[[], float], reps: int) -> tuple[float, float]:
    times, value = [], float("nan")
    for _ in range(reps):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return value, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000])
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--sigma", type=float, default=10.0)
    parser.add_argument("--t", type=float, default=1.0)
    parser.add_argument("--reps", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)

    try:
        from dse_dsmi import diffusion_spectral_entropy as official
    except ImportError as exc:
        official = None
        print(f"official implementation not importable ({exc}); install PyPI dse-dsmi in a "
              "separate venv to compare. Printing nnatlas only.\n")  # fmt: skip

    print(f"DSE, D = {args.dim}, σ = {args.sigma:g}, t = {args.t:g}, uniform data, 1 thread, "
          f"median of {args.reps}; torch {torch.__version__}, numpy {np.__version__}\n")  # fmt: skip
    warm = np.random.default_rng(1).random((64, args.dim))  # first-call set-up, untimed
    diffusion_spectral_entropy(torch.from_numpy(warm), args.sigma, args.t)
    if official is not None:
        official(warm, gaussian_kernel_sigma=args.sigma, t=args.t, max_N=None)
    print("| N | nnatlas DSE | official DSE | abs diff | nnatlas s | official s | ratio |")
    print("|---|---|---|---|---|---|---|")
    for n in args.sizes:
        z = np.random.default_rng(0).random((n, args.dim))
        zt = torch.from_numpy(z)
        ours, t_ours = _time(
            lambda zt=zt: diffusion_spectral_entropy(zt, args.sigma, args.t, max_n=None), args.reps
        )
        if official is None:
            print(f"| {n} | {ours:.10f} | – | – | {t_ours:.2f} | – | – |", flush=True)
            continue
        theirs, t_theirs = _time(
            lambda z=z: float(official(z, gaussian_kernel_sigma=args.sigma, t=args.t, max_N=None)),
            args.reps,
        )
        diff = abs(ours - theirs)
        flag = "" if diff < 1e-8 else "  MISMATCH"
        print(
            f"| {n} | {ours:.10f} | {theirs:.10f} | {diff:.1e}{flag} | {t_ours:.2f} | "
            f"{t_theirs:.2f} | {t_theirs / t_ours:.2f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
