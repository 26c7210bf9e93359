"""muP: nnatlas.param.mup vs the official ``mup`` package (microsoft/mup, PyPI ``mup``).

Same MLP 64-w-w-10 (ReLU) built from the same raw PyTorch initial weights on both sides (base
width 64, delta 128), then:

1. ``set_base_shapes``: the rescaled parameters must agree exactly (max abs difference printed);
   likewise ``mup_normal_`` against ``mup.init.normal_`` under the same seed.
2. Coordinate check: 3 Adam steps (lr 1e-2) on one fixed batch of 64 digits-like inputs; the mean
   |output| of every module at every recorded step and width must agree to 1e-6 (relative).
   ``mup.coord_check.get_coord_data`` records t = 1..nsteps before each update; nnatlas records
   t = 0..steps, so ``mup`` t = k is nnatlas t = k - 1.
3. Training steps with stock ``torch.optim`` Adam/SGD on ``mup_param_groups`` vs ``MuAdam``/
   ``MuSGD``: parameters after ``--steps`` steps must agree to 1e-6.

Time ratios (``mup`` / nnatlas, best of ``--reps``) are printed for the coordinate check and for
one training step (forward, backward, optimizer step) at each width. One thread.

``mup`` pulls torchvision and seaborn; install it without dependencies in a separate venv::

    python3.11 -m venv /tmp/venv-mup && . /tmp/venv-mup/bin/activate
    pip install torch==2.13.0 && pip install -e . && pip install --no-deps mup
    pip install pandas pyyaml   # what mup.coord_check and mup.shape import
    python benchmarks/bench_mup.py

Without it, the script says so and times nnatlas alone.
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import math  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from nnatlas.core.timing import best_time  # noqa: E402
from nnatlas.param.mup import (  # noqa: E402
    MuReadout,
    coord_check,
    mup_normal_,
    mup_param_groups,
    set_base_shapes,
)

BASE, DELTA = 64, 128


def raw_state(width: int, seed: int) -> dict[str, torch.Tensor]:
    """PyTorch's default init of the MLP at ``width`` under ``seed`` (before any muP rescale)."""
    torch.manual_seed(seed)
    return build(width, nn.Linear).state_dict()


def build(width: int, readout: Callable[..., nn.Module]) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(64, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), readout(width, 10)
    )


def ours(width: int, seed: int = 0) -> nn.Module:
    model = build(width, MuReadout)
    model.load_state_dict(raw_state(width, seed))
    with torch.device("meta"):
        base, delta = build(BASE, MuReadout), build(DELTA, MuReadout)
    return set_base_shapes(model, base, delta)


def theirs(mup: Any, width: int, seed: int = 0) -> nn.Module:
    model = build(width, mup.MuReadout)
    model.load_state_dict(raw_state(width, seed))
    base, delta = build(BASE, mup.MuReadout), build(DELTA, mup.MuReadout)
    return mup.set_base_shapes(model, base, delta=delta)


@torch.no_grad()
def max_param_diff(a: nn.Module, b: nn.Module) -> tuple[float, float]:
    """Largest absolute parameter difference, and the largest parameter magnitude."""
    pa, pb = dict(a.named_parameters()), dict(b.named_parameters())
    diff = max(float((pa[n] - pb[n]).abs().max()) for n in pb)
    return diff, max(float(p.abs().max()) for p in pb.values())


def max_rel_diff(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 256, 1024, 2048])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        import mup
        from mup.coord_check import get_coord_data
    except ImportError as exc:
        mup = None
        print(f"mup not importable ({exc}); install it (--no-deps) in a separate venv to compare. "
              "Printing nnatlas only.\n")  # fmt: skip

    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 64, generator=gen), torch.randint(0, 10, (64,), generator=gen)
    widths = tuple(args.widths)
    print(f"muP MLP 64-w-w-10, base {BASE}, delta {DELTA}, widths {widths}, Adam lr {args.lr:g}, "
          f"{args.steps} steps, 1 thread, best of {args.reps}; torch {torch.__version__}\n")  # fmt: skip

    # 1. set_base_shapes: identical rescaled parameters.
    if mup is not None:
        worst = 0.0
        for w in widths:
            worst = max(worst, max_param_diff(ours(w), theirs(mup, w))[0])
        print(f"set_base_shapes: max |param difference| over widths = {worst:.2e}")
        worst = 0.0
        for w in widths:
            a, b = ours(w), theirs(mup, w)
            torch.manual_seed(1)
            mup_normal_(a, 0.02)
            torch.manual_seed(1)
            for p in b.parameters():
                if p.dim() >= 2:
                    mup.init.normal_(p, std=0.02)
            worst = max(worst, max_param_diff(a, b)[0])
        print(f"mup_normal_ vs mup.init.normal_: max |param difference| = {worst:.2e}\n")

    # 2. Coordinate check.
    def coord_check_ours() -> Any:
        # ``coord_check`` seeds torch before each build, so the raw weights equal raw_state(w, 0).
        return coord_check(
            lambda w: build(w, MuReadout),
            widths,
            x,
            y,
            lr=args.lr,
            steps=args.steps,
            parametrization="mup",
            base_width=BASE,
            delta_width=DELTA,
        )

    def coord_check_theirs() -> Any:
        models = {w: (lambda w=w: theirs(mup, w)) for w in widths}
        return get_coord_data(
            models, [(x, y)], optimizer="adam", lr=args.lr, mup=True, nsteps=args.steps,
            cuda=False, show_progress=False,
        )  # fmt: skip

    t_ours = best_time(coord_check_ours, args.reps)
    rows = [("coordinate check (all widths)", t_ours, None)]
    if mup is not None:
        ref = coord_check_ours()
        df = coord_check_theirs()
        worst, n = 0.0, 0
        for rec in ref.records:
            if rec.t >= args.steps:
                continue
            name = "" if rec.module == "output" else rec.module
            sel = df[(df.width == rec.width) & (df.module == name) & (df.t == rec.t + 1)]
            if len(sel) != 1:
                raise SystemExit(f"no unique mup record for {rec}")
            worst = max(worst, max_rel_diff(rec.l1, float(sel.l1.iloc[0])))
            n += 1
        ok = "OK" if worst <= 1e-6 else "MISMATCH"
        print(f"coordinate check: {n} (width, module, t) statistics, max relative difference "
              f"{worst:.2e} ({ok}, tolerance 1e-6)\n")  # fmt: skip
        rows[0] = (
            "coordinate check (all widths)",
            t_ours,
            best_time(coord_check_theirs, args.reps),
        )

    # 3. Training steps, stock optimizers on our groups vs MuAdam / MuSGD.
    for opt_name, lr in (("adam", args.lr), ("sgd", 0.1)):
        for w in widths:
            a = ours(w)
            cls = torch.optim.Adam if opt_name == "adam" else torch.optim.SGD
            opt_a = cls(mup_param_groups(a, lr, optimizer=opt_name), lr=lr)

            def step(model: nn.Module, opt: torch.optim.Optimizer) -> None:
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
                opt.step()

            if mup is not None:
                b = theirs(mup, w)
                opt_b = (mup.MuAdam if opt_name == "adam" else mup.MuSGD)(b.parameters(), lr=lr)
                for _ in range(args.steps):
                    step(a, opt_a)
                    step(b, opt_b)
                diff, scale = max_param_diff(a, b)
                if w == widths[-1] or diff / scale > 1e-6:
                    print(f"{opt_name} width {w}: after {args.steps} steps max |param diff| "
                          f"{diff:.2e} (relative {diff / scale:.1e})")  # fmt: skip
                t_b = best_time(lambda b=b, opt_b=opt_b: step(b, opt_b), args.reps)
            else:
                t_b = None
            t_a = best_time(lambda a=a, opt_a=opt_a: step(a, opt_a), args.reps)
            rows.append((f"one {opt_name} step, width {w}", t_a, t_b))

    print("\n| operation | nnatlas s | mup s | ratio mup / nnatlas |")
    print("|---|---|---|---|")
    for name, ta, tb in rows:
        ratio = f"{tb / ta:.2f}" if tb is not None else "—"
        tb_s = f"{tb:.4f}" if tb is not None else "not installed"
        print(f"| {name} | {ta:.4f} | {tb_s} | {ratio} |")
    if not math.isfinite(rows[0][1]):
        raise SystemExit("timing failed")


if __name__ == "__main__":
    main()
