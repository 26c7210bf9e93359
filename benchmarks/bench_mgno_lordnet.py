"""MgNO and LordNet: training-step cost vs FNO, and LordNet inference vs the exact Poisson solver.

Two tables, one thread, minimum over ``--repeats`` after a warm-up (``nnatlas.core.timing``):

* one Adam training step (batch ``--batch``) of the Darcy-claim models — MgNO (12 channels,
  4 layers, 3 levels) and FNO2d (width 16, 8 modes, 4 layers) — at 32² and 64²; ratio = time /
  MgNO's time at the same grid.
* inference on ``--batch`` Poisson sources: LordNet (8 channels, 3 blocks, full per-axis
  matrices) vs the exact 5-point solver (DST-I, ``nnatlas.data.pde.solve_poisson_dirichlet``)
  on (n − 2)² interior grids; ratio = solver time / LordNet time (> 1: LordNet is faster). The
  LordNet paper reports up to 40× over a GPU solver for Navier–Stokes; a fast-transform Poisson
  solver on a CPU is a much harder reference.

No peers are involved (no public LordNet or MgNO package exists; the FNO peer comparison is in
``bench_operators.py``). Memory is not measured here.

    python benchmarks/bench_mgno_lordnet.py            # ~30 s
    python benchmarks/bench_mgno_lordnet.py --batch 8 --repeats 3
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=20, help="batch size of every case")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import torch
    from torch.nn import functional as F

    from nnatlas.core.timing import best_time
    from nnatlas.data.pde.poisson import solve_poisson_dirichlet
    from nnatlas.operators.fno import FNO2d
    from nnatlas.operators.lordnet import LordNet
    from nnatlas.operators.mgno import MgNO

    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(f"\ntraining step (Adam), batch {args.batch}, 1 thread, min of {args.repeats}\n")
    print("| grid | model | params | ms/step | time ratio |")
    print("|---|---|---|---|---|")
    for n in (32, 64):
        x, y = torch.randn(2, args.batch, 1, n, n)
        ref = None
        for name, model in (
            ("MgNO", MgNO(1, 1, 12, 4, ((1, 0), (1, 0), (2, 0)))),
            ("FNO2d", FNO2d(1, 1, 8, 16, 4)),
        ):
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)

            def step(
                model: torch.nn.Module = model,
                opt: torch.optim.Optimizer = opt,
                x: torch.Tensor = x,
                y: torch.Tensor = y,
            ) -> None:
                opt.zero_grad(set_to_none=True)
                (model(x) - y).pow(2).mean().backward()
                opt.step()

            t = best_time(step, args.repeats)
            ref = ref or t
            params = sum(p.numel() for p in model.parameters())
            print(f"| {n}² | {name} | {params:,} | {1e3 * t:.1f} | {t / ref:.2f} |")

    print(f"\ninference, batch {args.batch}, 1 thread, min of {args.repeats}\n")
    print("| interior grid | LordNet params | LordNet ms | DST solver ms | solver / LordNet |")
    print("|---|---|---|---|---|")
    for s in (17, 33, 65):
        m = s - 2
        net = LordNet(1, 1, m, m, 8, 3).eval()
        f = torch.randn(args.batch, 1, m, m)
        full = F.pad(f, (1, 1, 1, 1))
        with torch.no_grad():
            t_net = best_time(lambda net=net, f=f: net(f), args.repeats)
        t_sol = best_time(lambda full=full: solve_poisson_dirichlet(full), args.repeats)
        params = sum(p.numel() for p in net.parameters())
        print(
            f"| {m}² | {params:,} | {1e3 * t_net:.2f} | {1e3 * t_sol:.2f} | {t_sol / t_net:.2f} |"
        )


if __name__ == "__main__":
    main()
