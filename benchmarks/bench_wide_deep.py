"""Deep dual-activation kernels: ``nnatlas.kernels.wide_deep.deep_kernel`` vs the generic recursion.

``deep_kernel`` iterates the normalised dual activation ϕ directly on the cosine matrix (one
elementwise map per layer). The same kernel comes out of the generic layer-by-layer recursion
``nnatlas.kernels.analytic.serial(Dense, act, Dense, act, ...)``, which also tracks the
diagonals and the Dense scalings. For each (activation, depth, N) this prints both times, the
ratio generic / deep_kernel and the largest absolute difference of the NNGPs.

Expect ``nan`` differences for the constructed activations (2d_opt) beyond a few tens of layers:
in the generic recursion the variance fixed point q = 1 is repelling when ϕ'(1) > 1, so rounding
errors in the diagonal grow like ϕ'(1)^L; ``deep_kernel`` stays on the sphere by construction
(what the paper's code does). The generic path for 2d_opt is also slow because its expectations
use Gauss–Hermite quadrature.

Peers: the official code (uhlerlab/inf_depth_ntks) is a research script, not a package, and
neural-tangents needs JAX; neither is compared here.
"""

from __future__ import annotations

import argparse
import math

import torch

from nnatlas.core.timing import best_time
from nnatlas.kernels.analytic import Dense, serial
from nnatlas.kernels.wide_deep import (
    NormalizedErf,
    NormalizedReLU,
    consistent_activation,
    deep_kernel,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 400])
    parser.add_argument("--depth", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        f"NNGP of depth {args.depth} on the circle, float64, 1 thread, best of {args.repeats}; torch {torch.__version__}\n"
    )
    print("| activation | N | deep_kernel s | serial s | ratio | max abs diff |")
    print("|---|---|---|---|---|---|")
    for act in (consistent_activation(2), NormalizedErf(), NormalizedReLU()):
        layers: list = [Dense(1.0, 0.0)]
        for _ in range(args.depth):
            layers += [act, Dense(1.0, 0.0)]
        net = serial(*layers)
        for n in args.sizes:
            ang = (
                torch.rand(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
                * math.pi
                / 2
            )
            x = torch.stack([ang.cos(), ang.sin()], 1)
            ours = deep_kernel(x, None, act, args.depth)
            ref = net(x * math.sqrt(2), get="nngp").nngp
            diff = float((ours - ref).abs().max())
            t_ours = best_time(
                lambda x=x, act=act: deep_kernel(x, None, act, args.depth), args.repeats
            )
            t_ref = best_time(lambda x=x, net=net: net(x * math.sqrt(2), get="nngp"), args.repeats)
            print(
                f"| {act.name} | {n} | {t_ours:.3f} | {t_ref:.3f} | {t_ref / t_ours:.2f}× | {diff:.1e} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
