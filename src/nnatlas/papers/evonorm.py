"""Evolving Normalization-Activation Layers (Liu, Brock, Simonyan, Le; NeurIPS 2020).

arXiv: 2004.02967. The method (``nnatlas.nn.evonorm``) replaces each ``BatchNorm + ReLU`` pair by
one layer found by evolutionary search: EvoNorm-B0 (batch statistics) or EvoNorm-S0 (per-sample
group statistics, batch-independent).

Claim tested here, at CPU scale:

* ``small-batch-robustness``: going from a large to a tiny batch hurts BatchNorm-ReLU more than
  EvoNorm-S0. The paper's small-batch ImageNet study reports S0 7.8 points above BN-ReLU on
  ResNet-50 (7.3 on MobileNetV2) when the batch is small (figures from the authors' rebuttal, as
  quoted in our notes; the exact table was not retrieved). We measure, per seed, each layer's
  accuracy drop from batch 64 to batch 2 and compare the drops.

The task is made harder than plain digits, because on plain digits BatchNorm does not degrade at
batch 2 (our notes: BN 93.9 % at batch 2 vs S0 93.9 %, 1 seed): training images are randomly
shifted by up to one pixel and get Gaussian noise (σ = 0.5 in z-scored pixel units); test images
get fixed noise of the same level. The CNN has four 3×3 conv layers (32-32-64-64 channels, max-
pool after the second and third, so the last layer works on 2×2 maps, where batch statistics
from 2 samples are the noisiest), global average pooling and a linear head.

Deviations from the paper: digits instead of ImageNet; a 4-layer CNN instead of ResNet-50 /
MobileNetV2; Adam (lr 1e-3) instead of SGD with linear learning-rate scaling; the small-batch run
trains for fewer epochs (3 at batch 2 vs 15 at batch 64: 1,887 vs 300 steps) to stay within the
CPU budget; S0 with 8 groups (our layers have 32–64 channels; the paper's default 32 groups
would leave 1–2 channels per group). With equal epochs at batch 2 (15), both layers matched or
beat their batch-64 accuracy in our exploration (1 seed), so the measured drop is partly an
optimisation-budget effect shared by both layers; the claim compares the two drops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.claims import Claim, Metrics, Paper, Verdict, presets
from nnatlas.core.config import ClaimConfig, ensure, param
from nnatlas.core.seeding import seed_everything
from nnatlas.core.verdicts import guard, paired, stat, values
from nnatlas.data import load_digits
from nnatlas.nn import EvoNormB0, EvoNormS0
from nnatlas.runs.context import log_metrics
from nnatlas.train import accuracy, fit

Norm = Literal["bn", "gn", "b0", "s0"]

BIBTEX = """@inproceedings{liu2020evolving,
  title     = {Evolving Normalization-Activation Layers},
  author    = {Liu, Hanxiao and Brock, Andrew and Simonyan, Karen and Le, Quoc V.},
  booktitle = {Advances in Neural Information Processing Systems},
  volume    = {33},
  year      = {2020},
  url       = {https://arxiv.org/abs/2004.02967}
}"""

PAPER_S0_MINUS_BN_SMALL_BATCH = 7.8  # ResNet-50, small batch, top-1 points [rebuttal, as quoted]

MIN_LARGE_BATCH_ACCURACY = 0.8  # below this a network failed to learn even at batch 64


@dataclass(frozen=True, kw_only=True)
class SmallBatchConfig(ClaimConfig):
    """Claim ``small-batch-robustness``.

    Attributes:
        norms: normalization-activation layers compared; ``bn`` and ``s0`` are required (``gn``
            = GroupNorm + ReLU and ``b0`` = EvoNorm-B0 may be added).
        width: channels of the first two conv layers (the last two have ``2 * width``).
        groups: groups of S0 and GN (S0 takes the largest divisor of C not above it).
        large_batch, large_epochs: the reference run.
        small_batch, small_epochs: the small-batch run (``small_batch < large_batch``).
        lr: Adam learning rate for both runs.
        noise: standard deviation of the Gaussian noise added to train and test images.
        shift: largest random translation (pixels) of training images.
        test_size: held-out fraction of digits (stratified split with seed 0).
    """

    norms: tuple[Norm, ...] = param(("bn", "s0"), min_len=2, distinct=True)
    width: int = param(32, ge=1)
    groups: int = param(8, ge=1)
    large_batch: int = param(64, ge=2)
    large_epochs: int = param(15, ge=1)
    small_batch: int = param(2, ge=1)
    small_epochs: int = param(3, ge=1)
    lr: float = param(1e-3, gt=0)
    noise: float = param(0.5, ge=0)
    shift: int = param(1, ge=0)
    test_size: float = param(0.3, gt=0, lt=1)

    def validate(self) -> None:
        missing = sorted({"bn", "s0"} - set(self.norms))
        ensure(self, not missing, f"norms must include 'bn' and 's0'; missing {missing}")
        ensure(
            self,
            self.small_batch < self.large_batch,
            f"small_batch ({self.small_batch}) must be below large_batch ({self.large_batch})",
        )


def norm_act(kind: Norm, channels: int, groups: int = 8) -> nn.Module:
    """A normalization-activation layer: ``bn``/``gn`` (+ ReLU), or EvoNorm ``b0``/``s0``."""
    if kind == "bn":
        return nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU())
    if kind == "gn":
        return nn.Sequential(nn.GroupNorm(min(groups, channels), channels), nn.ReLU())
    if kind == "b0":
        return EvoNormB0(channels)
    if kind == "s0":
        return EvoNormS0(channels, groups=groups)
    raise ValueError(f"norm must be one of 'bn', 'gn', 'b0', 's0'; got {kind!r}")


def build_cnn(kind: Norm, width: int = 32, groups: int = 8) -> nn.Sequential:
    """Four 3×3 conv + norm-act layers (w, w, 2w, 2w), max-pools, GAP, linear; 8×8 inputs."""
    w = width

    def block(c_in: int, c_out: int) -> list[nn.Module]:
        return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), norm_act(kind, c_out, groups)]

    return nn.Sequential(
        *block(1, w),
        *block(w, w),
        nn.MaxPool2d(2),
        *block(w, 2 * w),
        nn.MaxPool2d(2),
        *block(2 * w, 2 * w),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(2 * w, 10),
    )


def augment(x: Tensor, shift: int, noise: float, generator: torch.Generator) -> Tensor:
    """Random translations by up to ``shift`` pixels (zero fill) plus Gaussian noise."""
    if shift > 0:
        n, _, h, w = x.shape
        padded = F.pad(x, (shift, shift, shift, shift))
        windows = padded.unfold(2, h, 1).unfold(3, w, 1)  # (N, C, 2s+1, 2s+1, H, W)
        dy = torch.randint(0, 2 * shift + 1, (n,), generator=generator)
        dx = torch.randint(0, 2 * shift + 1, (n,), generator=generator)
        x = windows[torch.arange(n), :, dy, dx]
    if noise > 0:
        x = x + noise * torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return x


def _train(kind: Norm, batch: int, epochs: int, config: SmallBatchConfig, seed: int) -> float:
    data = load_digits(test_size=config.test_size, seed=0, as_images=True)
    generator = seed_everything(seed)
    model = build_cnn(kind, config.width, config.groups)

    def batch_loss(m: nn.Module, xb: Tensor, yb: Tensor) -> Tensor:
        # Each minibatch is augmented afresh, from the generator that also shuffles.
        return F.cross_entropy(m(augment(xb, config.shift, config.noise, generator)), yb)

    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    fit(
        model, data.x_train, data.y_train, optimizer=optimizer, epochs=epochs, batch_size=batch,
        generator=generator, batch_loss=batch_loss,
        min_batch=2 if kind == "bn" and batch > 1 else 1,  # BatchNorm needs two samples
        on_epoch=lambda e, r: log_metrics(step=e, norm=kind, batch=batch, loss=r["loss"]),
    )  # fmt: skip
    # The same noisy test set for every run: a fixed generator independent of the seed.
    test_gen = torch.Generator().manual_seed(12345)
    x_test = augment(data.x_test, 0, config.noise, test_gen)
    return accuracy(model, x_test, data.y_test)


def run_small_batch(config: SmallBatchConfig, seed: int) -> Metrics:
    large: dict[str, float] = {}
    small: dict[str, float] = {}
    for kind in config.norms:
        large[kind] = _train(kind, config.large_batch, config.large_epochs, config, seed)
        small[kind] = _train(kind, config.small_batch, config.small_epochs, config, seed)
        log_metrics(norm=kind, large_batch_accuracy=large[kind], small_batch_accuracy=small[kind])
    drops = {k: large[k] - small[k] for k in config.norms}
    return {
        "large_batch_accuracy": large,
        "small_batch_accuracy": small,
        "drop": drops,
        "bn_drop_minus_s0_drop": drops["bn"] - drops["s0"],
        "num_parameters": sum(p.numel() for p in build_cnn("s0", config.width).parameters()),
    }


def verdict_small_batch(per_seed: list[Metrics], config: SmallBatchConfig) -> Verdict:
    ref = {k: min(values(per_seed, "large_batch_accuracy", k)) for k in ("bn", "s0")}
    weakest = min(ref, key=lambda k: ref[k])
    guard(
        ref[weakest] >= MIN_LARGE_BATCH_ACCURACY,
        f"{weakest} reached only {ref[weakest]:.3f} at batch {config.large_batch} "
        f"(< {MIN_LARGE_BATCH_ACCURACY}): the reference run did not learn",
    )
    drop = {k: values(per_seed, "drop", k) for k in config.norms}
    cmp = paired(drop["bn"], drop["s0"])  # effect > 0: BN loses more than S0
    table: dict[str, Any] = {}
    for k in config.norms:
        large = stat(values(per_seed, "large_batch_accuracy", k)).mean
        small = stat(values(per_seed, "small_batch_accuracy", k)).mean
        table[f"{k} accuracy batch {config.large_batch} / {config.small_batch}"] = (
            f"{large:.4f} / {small:.4f}"
        )
        if k not in ("bn", "s0"):  # those two are in the comparison's rows
            table[f"{k} drop (points)"] = stat(drop[k]).format(".2f", 100)
    table |= cmp.table("BN drop", "S0 drop", scale=100)
    table["paper: S0 − BN at small batch (points, ResNet-50)"] = PAPER_S0_MINUS_BN_SMALL_BATCH
    reason = (
        f"accuracy drop from batch {config.large_batch} to {config.small_batch} (points): "
        f"{cmp.describe('BN drop', 'S0 drop', fmt='.2f', scale=100)}; the claim needs BN's drop "
        "to exceed S0's by more than one standard error"
    )
    return Verdict(cmp.outcome(1.0), reason, table)


def plot_small_batch(ax: Any, per_seed: list[Metrics], config: SmallBatchConfig) -> None:
    for i, kind in enumerate(config.norms):
        for m in per_seed:
            ax.plot(
                [config.large_batch, config.small_batch],
                [100 * m["large_batch_accuracy"][kind], 100 * m["small_batch_accuracy"][kind]],
                color=f"C{i}",
                alpha=0.5,
                marker="o",
                label=kind if m is per_seed[0] else "_",
            )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)


_QUICK = SmallBatchConfig()

_SMALL_BATCH_ROBUSTNESS_PRESETS = presets(
    _QUICK,
    smoke={"width": 8, "large_epochs": 1, "small_epochs": 1, "small_batch": 16, "test_size": 0.5},
    paper={"norms": ("bn", "gn", "b0", "s0"), "large_epochs": 30, "small_epochs": 30, "width": 64},
)  # fmt: skip

COMPONENTS = (
    "nnatlas.nn.EvoNormB0", "nnatlas.nn.EvoNormS0", "nnatlas.nn.convert_bn_relu_to_evonorm",
)  # fmt: skip

PAPER = Paper(
    key="evonorm",
    title="Evolving Normalization-Activation Layers",
    authors="Hanxiao Liu, Andrew Brock, Karen Simonyan, Quoc V. Le",
    year=2020,
    venue="NeurIPS",
    arxiv="2004.02967",
    bibtex=BIBTEX,
    family="nn",
    summary=(
        "An evolutionary search over computation graphs finds layers that fuse normalization and "
        "activation: EvoNorm-B0 (uses batch variance) and EvoNorm-S0 (per-sample group variance "
        "times a sigmoid gate, no batch statistics). S0 is claimed to hold up where BatchNorm "
        "fails, at small batch sizes. We compare how much BN-ReLU and S0 lose from batch 64 to "
        "batch 2 on noisy, shifted digits."
    ),
    components=COMPONENTS,
    claims=(
        Claim(
            key="small-batch-robustness",
            statement=(
                "Shrinking the batch from 64 to 2 costs BatchNorm-ReLU more accuracy than "
                "EvoNorm-S0."
            ),
            source="Sec. 5 / Table 4 (small-batch ImageNet), figures from the authors' rebuttal",
            metric="bn_drop_minus_s0_drop",
            paper_value=PAPER_S0_MINUS_BN_SMALL_BATCH / 100,
            paper_value_text=(
                "S0 beats BN-ReLU by 7.8 (ResNet-50) / 7.3 (MobileNetV2) top-1 points at small "
                "batch on ImageNet (rebuttal, as quoted; unverified against the PDF)"
            ),
            tolerance=(
                "mean over seeds of (BN drop − S0 drop) > one standard error (paired): reproduced; "
                "≤ 0: not reproduced; in between: inconclusive; inconclusive if BN or S0 is below "
                f"{MIN_LARGE_BATCH_ACCURACY:.0%} at the large batch"
            ),
            config_cls=SmallBatchConfig,
            presets=_SMALL_BATCH_ROBUSTNESS_PRESETS,
            run=run_small_batch,
            verdict=verdict_small_batch,
            scaled_down=(
                "noisy (σ = 0.5), randomly shifted scikit-learn digits instead of ImageNet; a "
                "4-layer CNN (32-32-64-64) instead of ResNet-50; Adam 1e-3; batch 64 for 15 "
                "epochs vs batch 2 for 3 epochs; S0 with 8 groups; 5 seeds."
            ),
            seeds={"smoke": 1, "quick": 5, "paper": 5},
            plot=plot_small_batch,
        ),
    ),
)
