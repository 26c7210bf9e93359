"""Parameter-free blocks vs their trainable counterparts: parameters and CPU time.

Three comparisons, each against the trainable baseline (ratio = case / baseline):

1. one bottleneck block at a ResNet-50 stage-3 shape (1024 → 256 → 1024 channels, 14 × 14):
   3×3-conv vs max-pool vs hybrid, stride 1 and stride 2;
2. whole networks: ResNet-50 vs R50-max vs R50-hybrid at ``--resolution`` (default 112; the
   paper's GPU latency column is at 224: 8.7 / 6.8 / 7.3 ms);
3. one transformer block at ViT-S size (d = 384, 196 tokens): self-attention vs max-pool token
   mixer.

Eval-mode forward under ``torch.no_grad()`` (inference, as in the paper's latency column) and a
train-mode forward+backward; the minimum over ``--repeats`` after a warm-up, one thread, in one
process. On a shared machine compare ratios, not absolute times.

    python benchmarks/bench_parameter_free.py                    # ~1-2 min on one core
    python benchmarks/bench_parameter_free.py --batch 1 --resolution 64 --skip-networks
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
from torch import nn

from nnatlas.core.timing import best_time
from nnatlas.nn.models import num_parameters
from nnatlas.nn.parameter_free import (
    ConvBottleneck,
    HybridBottleneck,
    MaxPoolBottleneck,
    PfTransformerBlock,
    resnet50,
    resnet50_hybrid,
    resnet50_max,
)


def _measure(model: nn.Module, x: torch.Tensor, repeats: int) -> tuple[float, float]:
    def forward() -> None:
        model.eval()
        with torch.no_grad():
            model(x)

    def step() -> None:
        model.train()
        model.zero_grad(set_to_none=True)
        model(x).float().sum().backward()

    return best_time(forward, repeats), best_time(step, repeats)


def _table(
    title: str, cases: list[tuple[str, Callable[[], nn.Module]]], x: torch.Tensor, repeats: int
) -> None:
    print(f"\n### {title}\n")
    print("| case | parameters | ratio | eval fwd ms | ratio | train fwd+bwd ms | ratio |")
    print("|---|---|---|---|---|---|---|")
    ref: tuple[int, float, float] | None = None
    for name, build in cases:
        torch.manual_seed(0)
        model = build()
        p = num_parameters(model)
        f, s = _measure(model, x, repeats)
        ref = ref or (p, f, s)
        print(
            f"| {name} | {p:,} | {p / ref[0]:.2f} | {1e3 * f:.1f} | {f / ref[1]:.2f} | "
            f"{1e3 * s:.1f} | {s / ref[2]:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--resolution", type=int, default=112, help="whole-network input size")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-networks", action="store_true", help="skip the ResNet-50 rows")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"{args.threads} thread(s), batch {args.batch}, min of {args.repeats}; torch {torch.__version__}"
    )

    for stride in (1, 2):
        x = torch.randn(args.batch, 1024, 14, 14)
        _table(
            f"bottleneck block, 1024 → 256 → 1024, 14×14, stride {stride}",
            [
                ("3×3 conv", lambda s=stride: ConvBottleneck(1024, 256, s)),
                ("max-pool", lambda s=stride: MaxPoolBottleneck(1024, 256, s)),
                ("hybrid", lambda s=stride: HybridBottleneck(1024, 256, s)),
            ],
            x,
            args.repeats,
        )
    if not args.skip_networks:
        r = args.resolution
        _table(
            f"whole network, {r}×{r}",
            [("ResNet-50", resnet50), ("R50-max", resnet50_max), ("R50-hybrid", resnet50_hybrid)],
            torch.randn(args.batch, 3, r, r),
            args.repeats,
        )
    _table(
        "transformer block, d = 384, 196 tokens",
        [
            ("self-attention (6 heads)", lambda: PfTransformerBlock(384, 6, mixer="attention")),
            ("max-pool mixer", lambda: PfTransformerBlock(384, 6, mixer="max")),
        ],
        torch.randn(args.batch, 196, 384),
        args.repeats,
    )


if __name__ == "__main__":
    main()
