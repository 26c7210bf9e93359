"""Generalizing the Convolution Operator in Convolutional Neural Networks (Ghiasi-Shirazi, 2017).

arXiv: 1707.09864 (Neural Processing Letters, 2019). The method (``nnatlas.nn.generalized_conv``)
replaces the inner product between a filter and an input patch by another similarity: a
positive-definite kernel, or a negated *weighted* L1 / L2 distance between the patch and a
learned template with learned non-negative per-element weights.

Claim tested here, at CPU scale on scikit-learn digits instead of MNIST:

* ``distance-matches-standard``: a CNN whose convolutions are weighted-L2 or weighted-L1
  distance convolutions reaches the accuracy of the same CNN with ordinary convolutions
  (paper, abstract: "generalized CNNs based on weighted L1/L2 distances reach the performance of
  ordinary CNNs" on MNIST). Our rule: both distance CNNs within 1 point of the standard CNN
  (mean test accuracy over seeds).

Deviations from the paper: digits (8×8, 1,257 training images, 70/30 split, pixels scaled to
[0, 1] like MNIST's) instead of MNIST; a
two-convolution network with BatchNorm after each convolution (distance outputs are all ≤ 0 and
scale with the patch size, so they need re-centring; the paper's exact network and schedule
were not retrieved); element weights parametrised as softplus(ρ)/ln 2; distance templates
initialised from random patches of each layer's input (our notes measured weighted L1 at 86.7 %
with Gaussian templates vs 96.3 % with patch templates after 25 epochs); Adam instead of
Caffe-era SGD. Short schedules leave the distance networks behind (notes, 10 epochs: 48 % /
32 % vs 95.6 %; here, 30 epochs with 16/32 channels, seed 0: weighted L2 97.8 %, weighted L1
96.5 % vs standard 99.1 %), so the quick preset trains for 60 epochs; it uses 8/16 channels to
keep the weighted-L1 network (unfold-based, several times slower) within the CPU budget.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import torch
from torch import nn

from nnatlas.core.claims import Claim, Metrics, Paper, Verdict, presets
from nnatlas.core.config import ClaimConfig, ensure, param
from nnatlas.core.seeding import seed_everything
from nnatlas.core.verdicts import Check, guard, judge, stat, values
from nnatlas.data import load_digits
from nnatlas.nn import WeightedL1Conv2d, WeightedL2Conv2d, init_templates_from_data, num_parameters
from nnatlas.runs.context import log_metrics
from nnatlas.train import accuracy, fit

Variant = Literal["standard", "weighted-l2", "weighted-l1"]

BIBTEX = """@article{ghiasishirazi2019generalizing,
  title   = {Generalizing the Convolution Operator in Convolutional Neural Networks},
  author  = {Ghiasi-Shirazi, Kamaledin},
  journal = {Neural Processing Letters},
  volume  = {50},
  pages   = {2627--2646},
  year    = {2019},
  url     = {https://arxiv.org/abs/1707.09864}
}"""

MIN_STANDARD_ACCURACY = 0.85  # below this the baseline itself failed to learn


@dataclass(frozen=True, kw_only=True)
class DistanceConfig(ClaimConfig):
    """Claim ``distance-matches-standard``.

    Attributes:
        variants: the convolution types trained (``standard`` must be among them).
        channels: output channels of the two convolutions.
        epochs, lr, batch_size: Adam training of every variant (same schedule for all).
        patch_init: initialise distance templates from random input patches (else Gaussian).
        cosine: anneal the learning rate to 0 over the epochs (cosine, stepped per epoch).
        test_size: held-out fraction of digits (stratified split with seed 0).
        max_gap: largest allowed shortfall (accuracy fraction) of a distance CNN vs standard.
    """

    variants: tuple[Variant, ...] = param(
        ("standard", "weighted-l2", "weighted-l1"), min_len=2, distinct=True
    )
    channels: tuple[int, int] = param((8, 16), ge=1, min_len=2, max_len=2)
    epochs: int = param(60, ge=1)
    lr: float = param(3e-3, gt=0)
    batch_size: int = param(32, ge=1)
    patch_init: bool = True
    cosine: bool = False
    test_size: float = param(0.3, gt=0, lt=1)
    max_gap: float = param(0.01, ge=0, lt=1)

    def validate(self) -> None:
        ensure(
            self,
            "standard" in self.variants,
            f"variants must include 'standard'; got {self.variants}",
        )


def build_cnn(
    variant: Variant, channels: tuple[int, int] = (16, 32), num_classes: int = 10
) -> nn.Sequential:
    """``conv(1→c1)-BN-ReLU-maxpool-conv(c1→c2)-BN-ReLU-maxpool-flatten-linear`` for 8×8 inputs.

    ``variant`` picks the convolution: ``nn.Conv2d``, :class:`WeightedL2Conv2d` or
    :class:`WeightedL1Conv2d` (3×3, padding 1, no bias: the BatchNorm re-centres).
    """
    convs = {"weighted-l2": WeightedL2Conv2d, "weighted-l1": WeightedL1Conv2d}
    if variant != "standard" and variant not in convs:
        raise ValueError(
            f"variant must be 'standard', 'weighted-l2' or 'weighted-l1'; got {variant!r}"
        )

    def conv(c_in: int, c_out: int) -> nn.Module:
        if variant == "standard":
            return nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        return convs[variant](c_in, c_out, 3, padding=1)

    c1, c2 = channels
    return nn.Sequential(
        conv(1, c1), nn.BatchNorm2d(c1), nn.ReLU(), nn.MaxPool2d(2),
        conv(c1, c2), nn.BatchNorm2d(c2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * 4, num_classes),
    )  # fmt: skip


def _train(variant: Variant, config: DistanceConfig, seed: int) -> tuple[float, int]:
    raw = load_digits(test_size=config.test_size, seed=0, as_images=True, standardize=False)
    # Pixels scaled to [0, 1] rather than z-scored: z-scoring turns rarely-inked pixels into
    # values of 20+ whose squares dominate a weighted-L2 layer's batch statistics, so BatchNorm's
    # running statistics stop matching training (measured: eval accuracy near chance while
    # train-mode accuracy was 90 %).
    data = replace(raw, x_train=raw.x_train / 16.0, x_test=raw.x_test / 16.0)
    generator = seed_everything(seed)
    model = build_cnn(variant, config.channels)
    if variant != "standard" and config.patch_init:
        model.eval()  # BatchNorm statistics must not move during the initialisation pass
        init_templates_from_data(model, data.x_train, generator=generator)
        model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    schedule = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
        if config.cosine
        else None
    )

    def on_epoch(epoch: int, record: dict[str, float]) -> None:
        log_metrics(step=epoch, variant=variant, loss=record["loss"])
        if schedule is not None:
            schedule.step()

    fit(
        model, data.x_train, data.y_train, optimizer=optimizer, epochs=config.epochs,
        batch_size=config.batch_size, generator=generator, on_epoch=on_epoch,
    )  # fmt: skip
    return accuracy(model, data.x_test, data.y_test), num_parameters(model)


def run_distance(config: DistanceConfig, seed: int) -> Metrics:
    accs: dict[str, float] = {}
    params: dict[str, int] = {}
    for variant in config.variants:
        accs[variant], params[variant] = _train(variant, config, seed)
        log_metrics(variant=variant, test_accuracy=accs[variant])
    gaps = {v: accs["standard"] - a for v, a in accs.items() if v != "standard"}
    return {
        "accuracy": accs,
        "gap": gaps,
        "max_gap": max(gaps.values()) if gaps else 0.0,
        "parameters": params,
        "num_parameters": params["standard"],
    }


def verdict_distance(per_seed: list[Metrics], config: DistanceConfig) -> Verdict:
    acc = {v: stat(values(per_seed, "accuracy", v)) for v in config.variants}
    standard = acc["standard"].mean
    guard(
        standard >= MIN_STANDARD_ACCURACY,
        f"the standard CNN reached only {standard:.3f} (< {MIN_STANDARD_ACCURACY}): train longer",
    )
    checks = [
        Check(f"{v} shortfall to standard (points)", 100 * (standard - s.mean), "<=",
              100 * config.max_gap, ".2f")
        for v, s in acc.items() if v != "standard"
    ]  # fmt: skip
    shown = ", ".join(f"{v} {100 * s.mean:.2f} %" for v, s in acc.items())
    return judge(
        checks,
        values={f"{v} accuracy": s.format() for v, s in acc.items()},
        prefix=f"mean test accuracy over {acc['standard'].n} seed(s): {shown}",
    )


def plot_distance(ax: Any, per_seed: list[Metrics], config: DistanceConfig) -> None:
    for i, variant in enumerate(config.variants):
        accs = [100 * m["accuracy"][variant] for m in per_seed]
        ax.scatter([i] * len(accs), accs, color=f"C{i}", alpha=0.7)
        ax.hlines(sum(accs) / len(accs), i - 0.25, i + 0.25, color=f"C{i}")
    ax.set_xticks(range(len(config.variants)), list(config.variants))
    ax.set_ylabel("test accuracy (%)")


_QUICK = DistanceConfig()

_DISTANCE_MATCHES_STANDARD_PRESETS = presets(
    _QUICK,
    smoke={"epochs": 1, "channels": (4, 8), "batch_size": 128},
    paper={"epochs": 100, "channels": (32, 64)},
)  # fmt: skip

COMPONENTS = (
    "nnatlas.nn.WeightedL2Conv2d", "nnatlas.nn.WeightedL1Conv2d", "nnatlas.nn.KernelConv2d",
    "nnatlas.nn.init_templates_from_data",
)  # fmt: skip

PAPER = Paper(
    key="generalized-convolution",
    title="Generalizing the Convolution Operator in Convolutional Neural Networks",
    authors="Kamaledin Ghiasi-Shirazi",
    year=2019,
    venue="Neural Processing Letters",
    arxiv="1707.09864",
    bibtex=BIBTEX,
    family="nn",
    summary=(
        "A convolution scores each input patch against each filter by an inner product; the paper "
        "swaps in other similarities trained by back-propagation: positive-definite kernels and "
        "negated weighted L1 / L2 distances to a learned template with learned non-negative "
        "element weights. It reports that weighted-distance CNNs match ordinary CNNs on MNIST. We "
        "train the same small CNN with each convolution type on digits."
    ),
    components=COMPONENTS,
    claims=(
        Claim(
            key="distance-matches-standard",
            statement=(
                "CNNs built from weighted-L2 or weighted-L1 distance convolutions reach the test "
                "accuracy of the same CNN with ordinary convolutions."
            ),
            source="Abstract and Sec. 5 (MNIST experiments)",
            metric="max_gap",
            paper_value=None,
            paper_value_text=(
                "weighted L1/L2 CNNs 'reach the performance of ordinary CNNs' on MNIST (abstract; "
                "exact error rates not retrieved — unverified)"
            ),
            tolerance=(
                f"mean accuracy of each distance CNN ≥ mean standard accuracy − "
                f"{100 * _QUICK.max_gap:g} point; inconclusive if the standard CNN is below "
                f"{MIN_STANDARD_ACCURACY:.0%}"
            ),
            config_cls=DistanceConfig,
            presets=_DISTANCE_MATCHES_STANDARD_PRESETS,
            run=run_distance,
            verdict=verdict_distance,
            scaled_down=(
                "scikit-learn digits (8×8, 1,257 train / 540 test) instead of MNIST; a two-"
                "convolution CNN with BatchNorm (8/16 channels), Adam 3e-3, 60 epochs, batch 32; "
                "pixels scaled to [0, 1]; distance templates initialised from input patches; "
                "3 seeds."
            ),
            plot=plot_distance,
        ),
    ),
)
