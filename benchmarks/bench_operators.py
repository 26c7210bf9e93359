"""Neural operators: nnatlas FNO2d vs neuraloperator's FNO, nnatlas DeepONet vs DeepXDE's.

One training step (forward, backward, Adam update) of matched configurations:

* FNO on Darcy-sized inputs: 1 input channel (+ 2 grid channels), width 32, 12 × 12 modes,
  4 layers, batch ``--batch`` at ``--size``² (default 8 × 64²). neuraloperator's ``FNO``
  (``neuralop.models.FNO``, ``n_modes=(24, 23)``: the same retained modes in its convention)
  has different lifting/projection MLPs, so its real-equivalent parameter count is printed
  next to ours.
* DeepONet on the antiderivative: branch [100, 40, 40], trunk [1, 40, 40], ReLU, ``--points``
  triples per step (default 10 000, the paper's full batch). DeepXDE's ``dde.nn.DeepONet`` runs
  on its PyTorch backend (``DDE_BACKEND=pytorch``).

Each case runs in a fresh subprocess with one thread; time is the minimum over ``--repeats``
after a warm-up; peak memory is the growth of the resident set during one step (Linux
``/proc/self/clear_refs``; steps that allocate less than ~1 MiB of new pages show 0). Ratios are against the nnatlas row of the same model.

    python benchmarks/bench_operators.py                 # ~1 min
    python benchmarks/bench_operators.py --size 32 --points 2000

Peers are optional: install them in a separate venv with ``pip install neuraloperator deepxde
--no-deps`` (plus ``tensorly tensorly-torch opt-einsum`` for neuraloperator); missing ones are
skipped with a message.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys

from _memory import reset_peak, status_mib

CASES = ("nnatlas-fno", "neuralop-fno", "nnatlas-deeponet", "deepxde-deeponet")


def worker(args: argparse.Namespace) -> dict[str, object]:
    import torch

    from nnatlas.core.timing import best_time

    torch.set_num_threads(1)
    torch.manual_seed(0)
    if args.case.endswith("fno"):
        x = torch.randn(args.batch, 1, args.size, args.size)
        y = torch.randn(args.batch, 1, args.size, args.size)
        if args.case == "nnatlas-fno":
            from nnatlas.operators import FNO2d

            model = FNO2d(1, 1, modes=12, width=32, n_layers=4)
        else:
            from neuralop.models import FNO

            # neuralop counts modes over both signs and halves the last axis (rfft): (24, 23)
            # keeps the same 2 × 12 × 12 complex weights per channel pair as our modes=12.
            model = FNO(
                n_modes=(24, 23), hidden_channels=32, in_channels=1, out_channels=1, n_layers=4
            )

        def loss() -> torch.Tensor:
            return (model(x) - y).pow(2).mean()

    else:
        u = torch.randn(args.points, 100)
        yq = torch.rand(args.points, 1)
        s = torch.randn(args.points)
        if args.case == "nnatlas-deeponet":
            from nnatlas.operators import DeepONet

            model = DeepONet([100, 40, 40], [1, 40, 40])

            def loss() -> torch.Tensor:
                return (model(u, yq) - s).pow(2).mean()

        else:
            os.environ["DDE_BACKEND"] = "pytorch"
            import deepxde as dde

            model = dde.nn.DeepONet([100, 40, 40], [1, 40, 40], "relu", "Glorot normal")

            def loss() -> torch.Tensor:
                return (model((u, yq))[:, 0] - s).pow(2).mean()

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss().backward()
        opt.step()

    step()
    gc.collect()
    if reset_peak():
        base = status_mib("VmRSS")
        step()
        peak = status_mib("VmHWM") - base
    else:
        peak = float("nan")
    seconds = best_time(step, args.repeats)
    return {
        "seconds": seconds,
        "peak_mib": peak,
        # Real-equivalent count: a complex weight is two real numbers (ours are real pairs).
        "params": sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters()),
    }


def run_case(case: str, args: argparse.Namespace) -> dict[str, object]:
    cmd = [
        sys.executable, __file__, "--worker", "--case", case, "--batch", str(args.batch),
        "--size", str(args.size), "--points", str(args.points), "--repeats", str(args.repeats),
    ]  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", DDE_BACKEND="pytorch")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        return {"error": last[:120]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _available(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="FNO batch size")
    parser.add_argument("--size", type=int, default=64, help="FNO grid side")
    parser.add_argument("--points", type=int, default=10_000, help="DeepONet triples per step")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return

    import torch

    cases = list(CASES)
    for case, module in (("neuralop-fno", "neuralop"), ("deepxde-deeponet", "deepxde")):
        if not _available(module):
            cases.remove(case)
            print(f"{module} not importable: skipping the {case} row.")
    print(
        f"\none training step (Adam), 1 thread, min of {args.repeats}; FNO batch {args.batch} at "
        f"{args.size}², DeepONet {args.points} triples; torch {torch.__version__}\n"
    )
    print("| case | params | ms/step | time ratio | peak MiB | memory ratio |")
    print("|---|---|---|---|---|---|")
    refs: dict[str, dict[str, object]] = {}
    for case in cases:
        r = run_case(case, args)
        kind = case.split("-")[1]
        if "error" in r:
            print(f"| {case} | | failed: {r['error']} | | | |")
            continue
        if case.startswith("nnatlas"):
            refs[kind] = r
        ref = refs.get(kind)
        t, m = float(r["seconds"]), float(r["peak_mib"])  # type: ignore[arg-type]
        tr = t / float(ref["seconds"]) if ref else float("nan")  # type: ignore[arg-type]
        mr = m / float(ref["peak_mib"]) if ref and float(ref["peak_mib"]) > 0 else float("nan")  # type: ignore[arg-type]
        print(f"| {case} | {r['params']:,} | {1e3 * t:.1f} | {tr:.2f} | {m:.0f} | {mr:.2f} |")


if __name__ == "__main__":
    main()
