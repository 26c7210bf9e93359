"""Convex two-layer ReLU training: nnatlas ADMM vs CVXPY on the same sampled program.

Two spirals (2-D + bias), β = 0.01, for several (n, num_samples). For each size this prints the
number of distinct arrangements P, the variable count 2(d+1)P, the ADMM time and objective after
``--iters`` iterations (one factorisation, Woodbury u-step), the CVXPY time and optimum, and the
relative gap. One thread each.

CVXPY is a test-only dependency (``pip install nnatlas[test]``); without it only ADMM is timed.
``pyscnn`` (pilancilab/scnn) solves the gated program of the paper's other route; it is compared
in ``bench_gated_relu.py``.
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402

import torch  # noqa: E402

from nnatlas.data import spirals  # noqa: E402
from nnatlas.train.convex_relu import (  # noqa: E402
    admm_convex_relu,
    cvxpy_reference,
    sample_arrangements,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30:200,60:1000,60:5000,120:2000")
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--rho", type=float, default=0.1)
    parser.add_argument("--beta", type=float, default=0.01)
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        import cvxpy  # noqa: F401

        have_cvxpy = True
    except ImportError:
        have_cvxpy = False
    print(
        f"{'n':>5} {'P':>6} {'vars':>7} {'admm s':>8} {'admm obj':>10} {'cvxpy s':>8} {'cvxpy obj':>10} {'gap':>8}"
    )
    for item in args.sizes.split(","):
        n, samples = (int(v) for v in item.split(":"))
        x, y = spirals(n, seed=0)
        x, y = x.double(), 2 * y.double() - 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pats = sample_arrangements(x, samples, generator=torch.Generator().manual_seed(0))
        t0 = time.perf_counter()
        sol = admm_convex_relu(
            x, y, beta=args.beta, patterns=pats, rho=args.rho, max_iter=args.iters, tol=0.0
        )
        t_admm = time.perf_counter() - t0
        line = f"{n:>5} {pats.shape[1]:>6} {6 * pats.shape[1]:>7} {t_admm:>8.2f} {sol.objective:>10.5f}"
        if have_cvxpy:
            t0 = time.perf_counter()
            ref = cvxpy_reference(x, y, pats, args.beta)
            t_ref = time.perf_counter() - t0
            line += f" {t_ref:>8.2f} {ref:>10.5f} {(sol.objective - ref) / ref:>8.2%}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
