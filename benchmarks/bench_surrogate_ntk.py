"""Surrogate-gradient training of sign-network ensembles: batched trainer vs a per-network loop.

``nnatlas.kernels.surrogate_ntk.train_sign_ensemble`` trains many one-hidden-layer sign networks
at once with hand-written, batched surrogate gradients. The alternative a user would write is a
loop over ``SignMLP`` modules with autograd and ``torch.optim.SGD``. Both start from the same
parameters (same generator, same draw order); this prints both times, the ratio loop / batched
and the largest difference of the trained test outputs (must be < 1e-8).

Peers: surrogate-gradient libraries (snntorch, spikingjelly, norse) target spiking neurons over
time, not this static sign network, and are not compared.
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from nnatlas.kernels.surrogate_ntk import SignMLP, train_sign_ensemble


def _loop(x, y, xt, width, nets, steps, lr):
    gen = torch.Generator().manual_seed(0)
    outs = []
    for _ in range(nets):
        net = SignMLP(2, [width], dtype=torch.float64, generator=gen)
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            (0.5 * ((net(x)[:, 0] - y) ** 2).sum()).backward()
            opt.step()
        with torch.no_grad():
            outs.append(net(xt)[:, 0])
    return torch.stack(outs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[30, 300, 3000])
    parser.add_argument("--nets", type=int, default=8)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)
    ang = (
        torch.rand(12, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
        * 2
        * math.pi
    )
    x = torch.stack([ang.cos(), ang.sin()], 1)
    y = torch.sin(2 * ang)
    xt = torch.stack([torch.linspace(0, 6, 50).cos(), torch.linspace(0, 6, 50).sin()], 1).double()
    print(
        f"{args.nets} sign networks, 12 points, {args.steps} full-batch steps, float64, 1 thread; torch {torch.__version__}\n"
    )
    print("| width | batched s | loop s | ratio | max abs diff |")
    print("|---|---|---|---|---|")
    for w in args.widths:
        t0 = time.perf_counter()
        run = train_sign_ensemble(
            x,
            y,
            xt,
            width=w,
            num_networks=args.nets,
            steps=args.steps,
            lr=0.05,
            generator=torch.Generator().manual_seed(0),
        )
        t_b = time.perf_counter() - t0
        t0 = time.perf_counter()
        ref = _loop(x, y, xt, w, args.nets, args.steps, 0.05)
        t_l = time.perf_counter() - t0
        diff = float((run.f_test - ref).abs().max())
        print(f"| {w} | {t_b:.2f} | {t_l:.2f} | {t_l / t_b:.1f}× | {diff:.1e} |", flush=True)


if __name__ == "__main__":
    main()
