"""Gated ReLU convex program: nnatlas R-FISTA vs pyscnn's R-FISTA vs CVXPY, same gates.

The sampled-convex-program route of Bai, Gautam, Sojoudi (arXiv 2201.01965): the group-lasso
program ``½‖Σ_i D_i X u_i − y‖² + β Σ_i ‖u_i‖`` over sampled gates. For each size (n points of
two spirals, ``num_samples`` Gaussian gate directions, de-duplicated to P distinct patterns) this
prints the wall time and the objective reached by each solver, every objective evaluated by the
same formula on the solver's own predictions and weights, and the ratios (peer time / our time;
objective gap to the CVXPY optimum). One thread each.

``pyscnn`` (pilancilab/scnn; the PyPI name ``scnn`` is an unrelated package) minimises the same
program with the loss averaged over the data, so it gets the regulariser ``β / n``; it is given
the same gates and the bias as an input column (``bias=False``, ``unitize_data=False``). It
requires torchvision on paper but imports without it: install it in a separate venv with
``pip install --no-deps pyscnn linalg_backends opt_einsum``. CVXPY comes with
``pip install 'nnatlas[convex]'``. Peers that are missing are skipped with a message.
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import logging  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nnatlas.data import spirals  # noqa: E402
from nnatlas.train.gated_relu import (  # noqa: E402
    gated_relu_cvxpy,
    gated_relu_fista,
    sample_gates,
)


def _scnn(xb: np.ndarray, y: np.ndarray, gates: np.ndarray, beta: float, iters: int, tol: float):
    from scnn.metrics import Metrics
    from scnn.models import ConvexGatedReLU
    from scnn.optimize import optimize_model
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import RFISTA

    logging.getLogger("scnn").setLevel(logging.WARNING)
    model = ConvexGatedReLU(gates, c=1, bias=False)
    start = time.perf_counter()
    fitted, _ = optimize_model(
        model,
        RFISTA(model, max_iters=iters, tol=tol),
        Metrics(),
        xb,
        y[:, None],
        regularizer=NeuronGL1(beta / len(y)),
        unitize_data=False,
        dtype="float64",
        return_convex=True,
    )
    seconds = time.perf_counter() - start
    pred = np.asarray(fitted(xb)).ravel()
    w = np.asarray(fitted.parameters[0])[0]
    return seconds, float(0.5 * ((pred - y) ** 2).sum() + beta * np.linalg.norm(w, axis=1).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="60:500,200:1000,400:2000", help="n:num_samples,...")
    parser.add_argument("--beta", type=float, default=0.1)
    parser.add_argument("--iters", type=int, default=10000)
    parser.add_argument("--tol", type=float, default=1e-6)
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        import scnn.optimize  # noqa: F401

        have_scnn = True
    except ImportError:
        have_scnn = False
        print("pyscnn not installed: skipped")
    try:
        import cvxpy  # noqa: F401

        have_cvxpy = True
    except ImportError:
        have_cvxpy = False
        print("cvxpy not installed: skipped (pip install 'nnatlas[convex]')")
    print(
        "| n | P | ours s | ours obj | pyscnn s | pyscnn obj | cvxpy s | cvxpy obj "
        "| pyscnn/ours time | ours s to pyscnn obj | pyscnn/ours at equal obj | ours gap "
        "| pyscnn gap |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for item in args.sizes.split(","):
        n, samples = (int(v) for v in item.split(":"))
        x, y = spirals(n, seed=0)
        x, y = x.double(), 2 * y.double() - 1
        gates = sample_gates(x, samples, generator=torch.Generator().manual_seed(0))
        start = time.perf_counter()
        sol = gated_relu_fista(x, y, beta=args.beta, gates=gates, max_iter=args.iters, tol=args.tol)
        ours_s = time.perf_counter() - start
        xb = torch.cat([x, torch.ones(n, 1, dtype=x.dtype)], 1).numpy()
        scnn_s = scnn_obj = float("nan")
        if have_scnn:
            scnn_s, scnn_obj = _scnn(xb, y.numpy(), gates.numpy(), args.beta, args.iters, args.tol)
        # pyscnn stops on its own criterion (squared min-norm subgradient of the averaged
        # objective), usually far earlier than our relative KKT residual: time ours to the
        # objective pyscnn reached (the same deterministic run, cut at that iteration).
        to_s = float("nan")
        if have_scnn and sol.objective <= scnn_obj:
            j = next(i for i, f in enumerate(sol.history) if f <= scnn_obj)
            k = j + 1
            while True:
                start = time.perf_counter()
                cut = gated_relu_fista(x, y, beta=args.beta, gates=gates, max_iter=k, tol=0.0)
                to_s = time.perf_counter() - start
                if cut.objective <= scnn_obj or k >= args.iters:
                    break
                k += max(j + 1 - len(cut.history), 1)  # restarts do not enter the history
        cvx_s = cvx_obj = float("nan")
        if have_cvxpy:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cvx_obj = gated_relu_cvxpy(x, y, gates, args.beta)
            cvx_s = time.perf_counter() - start
        print(
            f"| {n} | {gates.shape[1]} | {ours_s:.2f} | {sol.objective:.6g} | {scnn_s:.2f} "
            f"| {scnn_obj:.6g} | {cvx_s:.2f} | {cvx_obj:.6g} | {scnn_s / ours_s:.2f}× "
            f"| {to_s:.2f} | {scnn_s / to_s:.2f}× "
            f"| {(sol.objective - cvx_obj) / cvx_obj:+.2e} | {(scnn_obj - cvx_obj) / cvx_obj:+.2e} |"
        )


if __name__ == "__main__":
    main()
