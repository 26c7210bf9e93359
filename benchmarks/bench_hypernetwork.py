"""MIP hypernetwork forward+backward: nnatlas ``HyperModel`` vs the official ``hyperlight``.

The same primary MLP (``--width`` hidden units, two hidden layers, LeakyReLU, every Linear
generated) and the same hypernetwork (hidden 16-64-128, cos|sin encoding, output residual).
Two settings:

* one γ per step (what ``hyperlight`` supports): a minibatch of ``--batch`` inputs;
* ``--gammas`` γ values per step, each with its own minibatch: nnatlas vectorises with
  ``torch.func.vmap``; the baselines loop over γ (nnatlas single-γ calls, and ``hyperlight``).

Times are the best of ``--repeats`` after a warm-up, one thread. Ratios are against
``hyperlight`` (> 1: nnatlas is faster). ``hyperlight`` is a peer, never an nnatlas
dependency: install it in a separate venv (``pip install hyperlight --no-deps``).

    python benchmarks/bench_hypernetwork.py
    python benchmarks/bench_hypernetwork.py --width 128 --gammas 16
"""

from __future__ import annotations

import argparse
import copy
from collections.abc import Callable

import torch
from torch import nn

from nnatlas.core.timing import best_time
from nnatlas.param.hypernetwork import HyperModel


def _primary(width: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(8, width), nn.LeakyReLU(), nn.Linear(width, width), nn.LeakyReLU(), nn.Linear(width, 1)
    )  # fmt: skip


def _nnatlas_steps(args: argparse.Namespace) -> dict[str, Callable[[], None]]:
    model = HyperModel(_primary(args.width), 1)
    x = torch.randn(args.batch, 8)
    xs = torch.randn(args.gammas, args.batch, 8)
    g1 = torch.rand(1)
    gs = torch.rand(args.gammas, 1)

    def single() -> None:
        model.zero_grad(set_to_none=True)
        model(x, g1).square().mean().backward()

    def batched() -> None:
        model.zero_grad(set_to_none=True)
        model(xs, gs).square().mean().backward()

    def looped() -> None:
        model.zero_grad(set_to_none=True)
        sum(model(xs[i], gs[i]).square().mean() for i in range(args.gammas)).backward()

    return {"single": single, "batched (vmap)": batched, "batched (loop)": looped}


def _hyperlight_steps(args: argparse.Namespace) -> dict[str, Callable[[], None]] | str:
    try:
        import hyperlight as hl
    except ImportError:
        return "hyperlight not installed (pip install hyperlight --no-deps in a separate venv)"
    primary = copy.deepcopy(_primary(args.width))
    linears = [m for m in primary.modules() if isinstance(m, nn.Linear)]
    main = hl.hypernetize(primary, modules=linears)
    hyper = hl.HyperNet(
        input_shapes={"g": (1,)},
        output_shapes=main.external_shapes(),
        hidden_sizes=[16, 64, 128],
        encoding="cos|sin",
    )
    x = torch.randn(args.batch, 8)
    xs = torch.randn(args.gammas, args.batch, 8)
    g1 = torch.rand(1)
    gs = torch.rand(args.gammas, 1)

    def one(xb: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        params = hyper(g=g)
        with main.using_externals(params):
            return main(xb).square().mean()

    def single() -> None:
        hyper.zero_grad(set_to_none=True)
        one(x, g1).backward()

    def looped() -> None:
        hyper.zero_grad(set_to_none=True)
        sum(one(xs[i], gs[i]) for i in range(args.gammas)).backward()

    return {"single": single, "batched (loop)": looped}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=64, help="primary hidden width")
    parser.add_argument("--batch", type=int, default=64, help="inputs per γ")
    parser.add_argument("--gammas", type=int, default=8, help="γ values per step (batched rows)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ours = {k: best_time(f, args.repeats) for k, f in _nnatlas_steps(args).items()}
    peer = _hyperlight_steps(args)
    print(
        f"primary MLP 8-{args.width}-{args.width}-1, batch {args.batch} per γ, {args.gammas} γ per "
        f"batched step, {args.threads} thread(s), best of {args.repeats}\n"
    )
    print("| setting | nnatlas | hyperlight | speed-up vs hyperlight |")
    print("|---|---|---|---|")
    theirs = (
        {} if isinstance(peer, str) else {k: best_time(f, args.repeats) for k, f in peer.items()}
    )
    rows = [
        ("single γ", ours["single"], theirs.get("single")),
        (f"{args.gammas} γ, nnatlas vmap", ours["batched (vmap)"], theirs.get("batched (loop)")),
        (f"{args.gammas} γ, nnatlas loop", ours["batched (loop)"], theirs.get("batched (loop)")),
    ]
    for name, t, ref in rows:
        ratio = f"{ref / t:.2f}×" if ref else "—"
        ref_s = f"{ref * 1e3:.2f} ms" if ref else "—"
        print(f"| {name} | {t * 1e3:.2f} ms | {ref_s} | {ratio} |")
    derived = args.gammas * ours["single"]
    print(
        f"\n{args.gammas} × the single-γ time = {derived * 1e3:.2f} ms: vmap is "
        f"{derived / ours['batched (vmap)']:.2f}× faster than that ideal loop (on a loaded machine the "
        "measured loops are slower than this ideal, which inflates the loop rows' ratios)."
    )
    if isinstance(peer, str):
        print(f"\nskipped: {peer}")


if __name__ == "__main__":
    main()
