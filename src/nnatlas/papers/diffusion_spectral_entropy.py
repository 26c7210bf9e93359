"""Assessing Neural Network Representations During Training Using Noise-Resilient Diffusion
Spectral Entropy (Liao, Liu, Christensen, Tong, Huguet, Wolf, Nickel, Adelstein, Krishnaswamy;
IEEE CISS 2024, ICML 2023 TAGML workshop).

arXiv: 2312.04823. The method (:mod:`nnatlas.probes.dse`) builds a Gaussian-affinity diffusion
operator on a representation Z and takes the Shannon entropy of its normalised eigenvalue
powers |λ|^t (diffusion spectral entropy, DSE); the diffusion spectral mutual information DSMI
compares each class's DSE with that of size-matched random subsets.

Claims tested here, at CPU scale:

* ``blobs-log2k``: on k well separated Gaussian blobs, DSE at t = 2 ≈ log₂ k (known answer).
* ``dse-rises``: DSE of an MLP's penultimate layer rises during training, both with true labels
  and with shuffled labels (the paper: ConvNets and ViTs on MNIST/CIFAR/STL, Fig. 3).
* ``dsmi-contrast``: DSMI(Z; Y) rises with true labels and stays near zero when the network is
  trained on shuffled labels (the paper's central contrast, Fig. 3).
* ``noise-resilience``: DSMI changes little when isotropic noise dimensions are appended to the
  representation, while classic binned Shannon MI jumps (the paper's toy study, Sec. 4).

Deviations from the paper: an MLP on scikit-learn digits (pixels scaled to [0, 1]) instead of
ResNets/ViTs on MNIST, CIFAR-10 and STL-10; DSE/DSMI on 600 fixed probe images instead of the test set; DSMI against
the true labels in both training conditions; the noise study on 10 Gaussian blobs in 3
dimensions with our own choice of noise level and dimensions (the paper's exact toy settings are
not recorded in our notes); the binned MI is the textbook plug-in estimate with one binning of
all of Z (the official code re-bins every subset and size-matches like DSMI).
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor, nn

from nnatlas.core.claims import Claim, Metrics, Outcome, Paper, Verdict, presets
from nnatlas.core.config import ClaimConfig, ensure, param
from nnatlas.core.verdicts import Check, guard, judge, stat, values
from nnatlas.data import load_digits
from nnatlas.nn import MLP, num_parameters
from nnatlas.probes import ProbeCallback, extract_features
from nnatlas.probes.dse import (
    binned_mutual_information,
    diffusion_eigenvalues,
    diffusion_spectral_entropy,
    diffusion_spectral_mutual_information,
    knn_mutual_information,
    spectral_entropy,
)
from nnatlas.runs.context import log_metrics
from nnatlas.train.callbacks import Callback
from nnatlas.train.loop import accuracy, fit

BIBTEX = """@inproceedings{liao2024assessing,
  title     = {Assessing Neural Network Representations During Training Using
               Noise-Resilient Diffusion Spectral Entropy},
  author    = {Liao, Danqi and Liu, Chen and Christensen, Benjamin W. and Tong, Alexander and
               Huguet, Guillaume and Wolf, Guy and Nickel, Maximilian and Adelstein, Ian and
               Krishnaswamy, Smita},
  booktitle = {58th Annual Conference on Information Sciences and Systems (CISS)},
  year      = {2024},
  url       = {https://arxiv.org/abs/2312.04823}
}"""

MIN_TRAIN_ACCURACY = 0.9  # below this the true-label network did not learn and nothing is decided
MIN_MEMORISATION = (
    0.2  # shuffled-label training accuracy (chance 0.1) below which it has not trained
)


# -- claim: k blobs give log2 k -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BlobsConfig(ClaimConfig):
    """Claim ``blobs-log2k``: DSE of ``k`` Gaussian blobs at diffusion time ``t``.

    Attributes:
        n: points (split evenly over the blobs; at least one per blob).
        dim: ambient dimension.
        ks: blob counts tried, strictly increasing (monotonicity in k is part of the rule).
        box: centres are uniform in ``[-box, box]^dim``.
        std: per-axis standard deviation of each blob.
        sigma: absolute Gaussian bandwidth (the paper's default 10).
        t: diffusion time.
        tolerance: largest allowed ``|DSE - log₂ k|`` in bits.
    """

    n: int = param(1000, ge=2)
    dim: int = param(20, ge=1)
    ks: tuple[int, ...] = param((1, 2, 4, 8, 16), ge=1, min_len=2, increasing=True)
    box: float = param(50.0, gt=0)
    std: float = param(1.0, gt=0)
    sigma: float = param(10.0, gt=0)
    t: float = param(2.0, gt=0)
    tolerance: float = param(0.15, gt=0)

    def validate(self) -> None:
        ensure(self, self.n >= max(self.ks), "n must be ≥ max(ks) (a point per blob)")


def _blobs(
    n: int, k: int, dim: int, box: float, std: float, gen: torch.Generator
) -> tuple[Tensor, Tensor]:
    centres = (torch.rand(k, dim, generator=gen, dtype=torch.float64) * 2 - 1) * box
    labels = torch.arange(n) % k
    z = centres[labels] + std * torch.randn(n, dim, generator=gen, dtype=torch.float64)
    return z, labels


def run_blobs(config: BlobsConfig, seed: int) -> Metrics:
    gen = torch.Generator().manual_seed(seed)
    dse, dse_t1 = [], []
    for k in config.ks:
        z, _ = _blobs(config.n, k, config.dim, config.box, config.std, gen)
        # One spectrum serves both diffusion times (DSE(t) = spectral_entropy(λ, t)).
        lam = diffusion_eigenvalues(z, config.sigma)
        dse.append(spectral_entropy(lam, config.t))
        dse_t1.append(spectral_entropy(lam, 1))
        log_metrics(step=k, k=k, dse=dse[-1], dse_t1=dse_t1[-1])
    errors = [abs(d - math.log2(k)) for d, k in zip(dse, config.ks, strict=True)]
    return {
        "ks": list(config.ks),
        "dse": dse,
        "dse_t1": dse_t1,
        "log2k": [math.log2(k) for k in config.ks],
        "max_abs_error": max(errors),
        "monotone": all(b > a for a, b in itertools.pairwise(dse)),
    }


def verdict_blobs(per_seed: list[Metrics], config: BlobsConfig) -> Verdict:
    means = [stat(values(per_seed, "dse", i)).mean for i in range(len(config.ks))]
    table: dict[str, Any] = {
        f"k = {k}: DSE (log₂ k = {math.log2(k):.2f})": mu
        for k, mu in zip(config.ks, means, strict=True)
    }
    bent = sum(not m.get("monotone", False) for m in per_seed)
    return judge(
        [
            Check("worst-seed max_k |DSE - log₂ k| (bits)", max(values(per_seed, "max_abs_error")), "<=", config.tolerance, fmt=".3g"),
            Check("seeds whose DSE is not increasing in k", bent, "<=", 0),
        ],
        values=table,
        prefix=(
            f"DSE(t={config.t:g}) = {', '.join(f'{v:.2f}' for v in means)} for k = "
            f"{', '.join(map(str, config.ks))} over {len(per_seed)} seed(s)"
        ),
    )  # fmt: skip


def plot_blobs(ax: Any, per_seed: list[Metrics], config: BlobsConfig) -> None:
    ks = config.ks
    for j, m in enumerate(per_seed):
        ax.plot(ks, m["dse"], "o-", color="C0", alpha=0.6,
                label=f"DSE, t={config.t:g}" if j == 0 else "_")  # fmt: skip
        ax.plot(ks, m["dse_t1"], "s--", color="C1", alpha=0.6, label="DSE, t=1" if j == 0 else "_")
    ax.plot(ks, [math.log2(k) for k in ks], "k:", label="log₂ k")
    ax.set_xscale("log", base=2)
    ax.set(xlabel="number of blobs k", ylabel="DSE (bits)")
    ax.legend(fontsize=8)


# -- claims: DSE and DSMI during training ---------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TrainConfig(ClaimConfig):
    """Claims ``dse-rises`` and ``dsmi-contrast``: an MLP on digits, true vs shuffled labels.

    Attributes:
        hidden: hidden widths of the MLP 64-…-10; the probe reads the last hidden layer (post-ReLU).
        inputs: ``"unit"``: pixels / 16, in [0, 1] (our notes' setting, whose table this
            reproduces); ``"standardized"``: per-pixel z-scores. With the absolute σ = 10 the
            input scale matters: standardized inputs let the net memorise random labels faster
            (larger activations), which raises DSE and DSMI in the shuffled condition.
        epochs, lr, batch_size: Adam training on all 1,797 digits.
        probe_every: probe every this many epochs (and before training); ≤ ``epochs``.
        probe_size: fixed probe images (the same for both conditions).
        sigma, t: DSE/DSMI kernel bandwidth (absolute, the paper's 10) and diffusion time.
        num_repetitions: DSMI reference subsets per class.
        min_rise: smallest DSE rise (bits, last - first probe) that counts as rising.
        min_dsmi_rise: smallest rise of DSMI with true labels that counts as rising.
        min_contrast: true-label DSMI must end at least this many times the shuffled one.
    """

    hidden: tuple[int, ...] = param((128, 128), ge=1, min_len=1)
    inputs: Literal["unit", "standardized"] = "unit"
    epochs: int = param(40, ge=1)
    lr: float = param(1e-3, gt=0)
    batch_size: int = param(64, ge=1)
    probe_every: int = param(8, ge=1)
    probe_size: int = param(600, ge=20, le=1797)
    sigma: float = param(10.0, gt=0)
    t: float = param(1.0, gt=0)
    num_repetitions: int = param(5, ge=1)
    min_rise: float = param(0.1, ge=0)
    min_dsmi_rise: float = param(0.5, ge=0)
    min_contrast: float = param(5.0, gt=0)

    def validate(self) -> None:
        ensure(self, self.probe_every <= self.epochs, "probe_every must be ≤ epochs (no probe)")


class _AccuracyCallback:
    """Training accuracy every ``every`` epochs (a :class:`nnatlas.train.Callback`)."""

    def __init__(self, x: Tensor, y: Tensor, every: int) -> None:
        self.x, self.y, self.every = x, y, every

    def on_epoch_end(self, epoch: int, model: nn.Module) -> dict[str, float] | None:
        return None if epoch % self.every else {"train_acc": accuracy(model, self.x, self.y)}


def _train_condition(config: TrainConfig, seed: int, shuffled: bool) -> Metrics:
    data = load_digits(seed=0, standardize=config.inputs == "standardized")
    x = torch.cat([data.x_train, data.x_test])
    if config.inputs == "unit":
        x = x / 16.0
    y_true = torch.cat([data.y_train, data.y_test])
    gen = torch.Generator().manual_seed(10_000 + seed)
    y_train = y_true[torch.randperm(len(y_true), generator=gen)] if shuffled else y_true
    probe_idx = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[
        : config.probe_size
    ]
    probe_x, probe_y = x[probe_idx], y_true[probe_idx]

    torch.manual_seed(seed)
    model = MLP(x.shape[1], list(config.hidden), 10)
    layer = f"layers.{2 * len(config.hidden) - 1}"  # the last hidden ReLU
    dse = functools.partial(diffusion_spectral_entropy, sigma=config.sigma, t=config.t)
    dsmi = functools.partial(
        diffusion_spectral_mutual_information, sigma=config.sigma, t=config.t,
        num_repetitions=config.num_repetitions, seed=seed,
    )  # fmt: skip
    probe = functools.partial(
        ProbeCallback, layer=layer, inputs=probe_x, every=config.probe_every, on_log=log_metrics
    )
    callbacks: list[Callback] = [
        probe(dse, name="dse"),
        probe(dsmi, labels=probe_y, name="dsmi"),
        _AccuracyCallback(x, y_train, config.probe_every),
    ]
    feats = extract_features(model, probe_x, layer)[layer]
    acc = accuracy(model, x, y_train)
    records = [{"epoch": 0, "dse": dse(feats), "dsmi": dsmi(feats, probe_y), "train_acc": acc}]
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    history = fit(
        model, x, y_train, optimizer=opt, epochs=config.epochs, batch_size=config.batch_size,
        generator=torch.Generator().manual_seed(seed), callbacks=callbacks,
    )  # fmt: skip
    records += [
        {"epoch": int(r["epoch"]), "dse": r["dse"], "dsmi": r["dsmi"], "train_acc": r["train_acc"]}
        for r in history
        if "dse" in r
    ]
    label = "shuffled" if shuffled else "true"
    for r in records:
        log_metrics(
            step=int(r["epoch"]), condition=label, **{k: v for k, v in r.items() if k != "epoch"}
        )
    out: Metrics = {k: [r[k] for r in records] for k in ("dse", "dsmi", "train_acc")}
    return {"epochs": [r["epoch"] for r in records], **out, "num_parameters": num_parameters(model)}


@functools.lru_cache(maxsize=4)
def _train_both(config: TrainConfig, seed: int) -> tuple[Metrics, Metrics]:
    # ``dse-rises`` and ``dsmi-contrast`` read the same two training runs: a serial executor
    # trains them once per (config, seed); a run is a pure function of both, so this is safe.
    return (
        _train_condition(config, seed, shuffled=False),
        _train_condition(config, seed, shuffled=True),
    )


def run_training(config: TrainConfig, seed: int) -> Metrics:
    true, shuf = copy.deepcopy(_train_both(config, seed))
    dsmi_true, dsmi_shuf = true["dsmi"][-1], shuf["dsmi"][-1]
    return {
        "true": true,
        "shuffled": shuf,
        "train_acc_true": true["train_acc"][-1],
        "train_acc_shuffled": shuf["train_acc"][-1],
        "dse_rise_true": true["dse"][-1] - true["dse"][0],
        "dse_rise_shuffled": shuf["dse"][-1] - shuf["dse"][0],
        "dsmi_final_true": dsmi_true,
        "dsmi_final_shuffled": dsmi_shuf,
        "dsmi_rise_true": dsmi_true - true["dsmi"][0],
        "dsmi_contrast": dsmi_true / max(dsmi_shuf, 1e-3),
        "num_parameters": true["num_parameters"],
    }


def _learned(per_seed: list[Metrics]) -> None:
    acc = stat(values(per_seed, "train_acc_true")).mean
    guard(
        acc >= MIN_TRAIN_ACCURACY,
        f"true-label training accuracy {acc:.3f} < {MIN_TRAIN_ACCURACY}: the network did not "
        "learn, so the representation curves say nothing (raise epochs)",
    )


def verdict_dse(per_seed: list[Metrics], config: TrainConfig) -> Verdict:
    _learned(per_seed)
    memorised = stat(values(per_seed, "train_acc_shuffled")).mean
    guard(
        memorised >= MIN_MEMORISATION,
        f"shuffled-label training accuracy {memorised:.3f} < {MIN_MEMORISATION} (chance 0.1): "
        "the random-label network has not begun to memorise (raise epochs)",
    )
    rise = {c: values(per_seed, f"dse_rise_{c}") for c in ("true", "shuffled")}
    table: dict[str, Any] = {
        f"DSE {c} labels: first → last": f"{stat(values(per_seed, c, 'dse', 0)).mean:.2f} → "
        f"{stat(values(per_seed, c, 'dse', -1)).mean:.2f}"
        for c in ("true", "shuffled")
    }
    return judge(
        [
            Check("mean DSE rise, true labels (bits)", stat(rise["true"]).mean, ">=", config.min_rise, fmt=".3g"),
            Check("mean DSE rise, shuffled labels (bits)", stat(rise["shuffled"]).mean, ">=", config.min_rise, fmt=".3g"),
            Check("smallest rise of any seed and condition", min(rise["true"] + rise["shuffled"]), ">", 0.0, fmt=".3g"),
        ],
        values=table,
        prefix=f"DSE rise (last − first probe) over {len(per_seed)} seed(s)",
    )  # fmt: skip


def verdict_dsmi(per_seed: list[Metrics], config: TrainConfig) -> Verdict:
    _learned(per_seed)
    true = stat(values(per_seed, "dsmi_final_true"))
    shuf = stat(values(per_seed, "dsmi_final_shuffled"))
    return judge(
        [
            Check("mean DSMI rise, true labels (bits)", stat(values(per_seed, "dsmi_rise_true")).mean, ">=", config.min_dsmi_rise, fmt=".3g"),
            Check("contrast: final DSMI true / shuffled", true.mean / max(shuf.mean, 1e-3), ">=", config.min_contrast, fmt=".3g"),
        ],
        values={"final DSMI, true labels": true.format(".3f"), "final DSMI, shuffled labels": shuf.format(".3f")},
        prefix=f"final DSMI(Z; Y) {true.mean:.3f} (true labels) vs {shuf.mean:.3f} (shuffled)",
    )  # fmt: skip


def _plot_curves(ax: Any, per_seed: list[Metrics], key: str, ylabel: str) -> None:
    for j, m in enumerate(per_seed):
        for cond, colour, style in (("true", "C0", "-"), ("shuffled", "C3", "--")):
            c = m[cond]
            ax.plot(
                c["epochs"], c[key], style, marker="o", ms=3, color=colour, alpha=0.7,
                label=f"{cond} labels" if j == 0 else "_",
            )  # fmt: skip
    ax.set(xlabel="epoch", ylabel=ylabel)
    ax.legend(fontsize=8)


def plot_dse(ax: Any, per_seed: list[Metrics], config: TrainConfig) -> None:
    _plot_curves(ax, per_seed, "dse", "DSE of penultimate layer (bits)")


def plot_dsmi(ax: Any, per_seed: list[Metrics], config: TrainConfig) -> None:
    _plot_curves(ax, per_seed, "dsmi", "DSMI(Z; Y_true) (bits)")


# -- claim: noise resilience ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class NoiseConfig(ClaimConfig):
    """Claim ``noise-resilience``: MI estimates as noise dimensions are appended to Z.

    Z is ``k`` Gaussian blobs in ``dim`` dimensions, Y the blob id (and, as a control, labels
    independent of Z); ``extra_dims`` columns of N(0, ``noise_std``²) are appended.

    Attributes:
        n, k, dim, box, std: the blobs (centres uniform in ``[-box, box]^dim``).
        noise_std: standard deviation of every appended noise column.
        extra_dims: numbers of appended noise columns, strictly increasing from 0 (the clean
            reference) with at least one noisy setting.
        sigma, t: DSMI kernel bandwidth (absolute) and diffusion time.
        n_bins: bins per feature of the classic binned MI.
        knn_k: neighbours of the kNN (Ross) MI estimator, reported for comparison.
        max_dsmi_drift: largest allowed relative change of DSMI (true labels) from its clean value.
        max_independent_dsmi: largest allowed DSMI (bits) with independent labels.
        min_binned_drift: the binned MI must move at least this many bits, else the noise was
            too weak to tell the estimators apart (inconclusive).
    """

    n: int = param(1000, ge=2)
    k: int = param(10, ge=2)
    dim: int = param(3, ge=1)
    box: float = param(20.0, gt=0)
    std: float = param(1.0, gt=0)
    noise_std: float = param(0.5, gt=0)
    extra_dims: tuple[int, ...] = param((0, 8, 16, 32), ge=0, min_len=2, increasing=True)
    sigma: float = param(10.0, gt=0)
    t: float = param(1.0, gt=0)
    n_bins: int = param(2, ge=2)
    knn_k: int = param(3, ge=1)
    max_dsmi_drift: float = param(0.15, ge=0)
    max_independent_dsmi: float = param(0.1, ge=0)
    min_binned_drift: float = param(0.5, ge=0)

    def validate(self) -> None:
        ensure(self, self.extra_dims[0] == 0, "extra_dims must start at 0 (the clean reference)")
        ensure(
            self, self.n // self.k > self.knn_k, "n // k must exceed knn_k (neighbours per blob)"
        )


def run_noise(config: NoiseConfig, seed: int) -> Metrics:
    gen = torch.Generator().manual_seed(seed)
    z, y = _blobs(config.n, config.k, config.dim, config.box, config.std, gen)
    y_indep = y[torch.randperm(config.n, generator=gen)]
    out: dict[str, list[float]] = {
        f"{est}_{lab}": [] for est in ("dsmi", "binned", "knn") for lab in ("true", "independent")
    }
    for e in config.extra_dims:
        noise = config.noise_std * torch.randn(config.n, e, generator=gen, dtype=torch.float64)
        ze = torch.cat([z, noise], dim=1)
        for lab, labels in (("true", y), ("independent", y_indep)):
            out[f"dsmi_{lab}"].append(
                diffusion_spectral_mutual_information(ze, labels, config.sigma, config.t, seed=seed)
            )
            out[f"binned_{lab}"].append(binned_mutual_information(ze, labels, config.n_bins))
            out[f"knn_{lab}"].append(knn_mutual_information(ze, labels, config.knn_k))
        log_metrics(step=e, extra_dims=e, **{k: v[-1] for k, v in out.items()})
    clean = out["dsmi_true"][0]
    dsmi_drift = max(abs(v - clean) for v in out["dsmi_true"]) / max(abs(clean), 1e-12)
    binned_drift = max(
        abs(v - out[f"binned_{lab}"][0])
        for lab in ("true", "independent")
        for v in out[f"binned_{lab}"]
    )
    return {
        "extra_dims": list(config.extra_dims),
        **out,
        "dsmi_drift": dsmi_drift,
        "binned_drift": binned_drift,
        "max_independent_dsmi": max(abs(v) for v in out["dsmi_independent"]),
    }


def verdict_noise(per_seed: list[Metrics], config: NoiseConfig) -> Verdict:
    drift = stat(values(per_seed, "dsmi_drift"))
    binned = stat(values(per_seed, "binned_drift")).mean
    last = config.extra_dims[-1]
    table: dict[str, Any] = {
        f"{name}: 0 → {last} noise dims": f"{stat(values(per_seed, key, 0)).mean:.3f} → "
        f"{stat(values(per_seed, key, -1)).mean:.3f}"
        for key, name in (
            ("dsmi_true", "DSMI true"), ("binned_true", "binned MI true"),
            ("binned_independent", "binned MI independent"), ("knn_true", "kNN MI true"),
        )
    }  # fmt: skip
    table["binned MI drift (bits, mean)"] = binned
    verdict = judge(
        [
            Check("DSMI relative drift (mean)", drift.mean, "<=", config.max_dsmi_drift, fmt=".3g"),
            Check("max |DSMI| with independent labels (bits)", max(values(per_seed, "max_independent_dsmi")), "<=", config.max_independent_dsmi, fmt=".3g"),
        ],
        values=table,
        prefix=f"over {drift.n} seed(s), up to {last} noise dims",
    )  # fmt: skip
    if verdict.outcome is not Outcome.REPRODUCED:
        return verdict
    contrast = f"binned MI moved {binned:.2f} bits (≥ {config.min_binned_drift:g} needed to show a contrast)"
    guard(
        binned >= config.min_binned_drift,
        f"{verdict.reason}; {contrast}: the noise did not disturb the baseline",
        table,
    )
    return Verdict(Outcome.REPRODUCED, f"{verdict.reason}; {contrast}", table)  # fmt: skip


def plot_noise(ax: Any, per_seed: list[Metrics], config: NoiseConfig) -> None:
    dims = config.extra_dims
    styles = {
        "dsmi_true": ("C0", "-", "DSMI, Y = blob"),
        "dsmi_independent": ("C0", ":", "DSMI, Y independent"),
        "binned_true": ("C3", "-", "binned MI, Y = blob"),
        "binned_independent": ("C3", ":", "binned MI, Y independent"),
        "knn_true": ("C2", "-", "kNN MI, Y = blob"),
    }
    for j, m in enumerate(per_seed):
        for key, (colour, style, label) in styles.items():
            ax.plot(dims, m[key], style, marker="o", ms=3, color=colour, alpha=0.7,
                    label=label if j == 0 else "_")  # fmt: skip
    ax.set_xlabel(f"appended noise dimensions (std {config.noise_std:g})")
    ax.set_ylabel("MI estimate (bits)")
    ax.legend(fontsize=7)


# -- presets --------------------------------------------------------------------------------

_BLOBS = presets(
    BlobsConfig(),
    smoke={"n": 300, "ks": (1, 2, 4)},
    paper={"n": 10_000, "ks": (1, 2, 4, 8, 16, 32)},
)
_NOISE = presets(NoiseConfig(), smoke={"n": 300, "extra_dims": (0, 16)}, paper={"n": 3000})
_TRAIN = presets(
    TrainConfig(),
    smoke={"epochs": 4, "probe_every": 2, "probe_size": 150, "num_repetitions": 1},
    paper={"epochs": 200, "probe_every": 10, "probe_size": 1797},
)

SCALED_DOWN = (
    "An MLP 64-128-128-10 on scikit-learn digits (all 1,797 images scaled to [0, 1], 40 epochs, Adam "
    "1e-3) instead of "
    "ResNet/ViT backbones on MNIST, CIFAR-10 and STL-10; DSE/DSMI on 600 fixed probe images with "
    "σ = 10 and t = 1 (the official defaults), every 8 epochs; 3 seeds instead of the paper's 3 seeds "
    "× 6 backbones."
)

PAPER = Paper(
    key="diffusion-spectral-entropy",
    title=(
        "Assessing Neural Network Representations During Training Using Noise-Resilient "
        "Diffusion Spectral Entropy"
    ),
    authors=(
        "Danqi Liao, Chen Liu, Benjamin W. Christensen, Alexander Tong, Guillaume Huguet, Guy Wolf, "
        "Maximilian Nickel, Ian Adelstein, Smita Krishnaswamy"
    ),
    year=2024,
    venue="IEEE CISS (ICML 2023 TAGML workshop)",
    arxiv="2312.04823",
    bibtex=BIBTEX,
    family="probes",
    summary=(
        "Diffusion spectral entropy (DSE) is the entropy of the eigenvalue spectrum of a diffusion "
        "operator built on a representation; diffusion spectral mutual information (DSMI) compares "
        "class-conditional DSE with size-matched random subsets. The paper uses them to track "
        "representations during training: DSE rises in training, DSMI(Z; Y) rises only when the "
        "labels are learnable, and both are robust to noise dimensions that break binned "
        "estimators. We test a known-answer sanity case, the two training curves, and the noise "
        "robustness on CPU."
    ),
    components=(
        "nnatlas.probes.diffusion_spectral_entropy",
        "nnatlas.probes.diffusion_spectral_mutual_information",
        "nnatlas.probes.diffusion_matrix",
        "nnatlas.probes.binned_entropy",
        "nnatlas.probes.binned_mutual_information",
        "nnatlas.probes.knn_mutual_information",
    ),
    claims=(
        Claim(
            key="blobs-log2k",
            statement=(
                "On k well separated Gaussian blobs, DSE at diffusion time t = 2 is log₂ k "
                "(within 0.15 bits), and DSE increases with k."
            ),
            source="Sec. 3 (DSE of k blobs; upper bound grows from one blob to k) and our notes' check",
            metric="max_abs_error",
            paper_value=0.04,
            paper_value_text=(
                "DSE(t=2) = 0.03, 1.03, 2.03, 3.03, 4.04 for k = 1, 2, 4, 8, 16 (1,000 points, D = 20, "
                "σ = 10): measured in our research notes, not a number printed in the paper; "
                "the paper states the log₂ k behaviour as theory"
            ),
            tolerance=(
                f"worst-seed max_k |DSE - log₂ k| ≤ {_BLOBS['quick'].tolerance:g} bits and DSE "
                "increasing in k in every seed"
            ),
            config_cls=BlobsConfig,
            presets=_BLOBS,
            run=run_blobs,
            verdict=verdict_blobs,
            scaled_down="None at quick (N = 1,000 as in the check); paper preset uses N = 10,000 (max_N).",
            plot=plot_blobs,
        ),
        Claim(
            key="dse-rises",
            statement=(
                "DSE of the penultimate-layer representation rises during training, both with true "
                "labels (generalisation) and with shuffled labels (memorisation)."
            ),
            source="Sec. 4.1, Fig. 3 (DSE(Z) curves, supervised vs random-label training)",
            metric="dse_rise_true",
            paper_value=None,
            paper_value_text=(
                "qualitative: DSE increases in both conditions (figure; no table). Our notes' CPU run "
                "(same setting): 0.03 → 4.50 (true) and 0.03 → 0.51 (shuffled) over 40 epochs"
            ),
            tolerance=(
                f"mean rise (last - first probe) ≥ {_TRAIN['quick'].min_rise:g} bits in both "
                "conditions and positive in every seed; inconclusive if true-label training "
                f"accuracy < {MIN_TRAIN_ACCURACY:g} or shuffled-label accuracy < "
                f"{MIN_MEMORISATION:g} (not yet memorising)"
            ),
            config_cls=TrainConfig,
            presets=_TRAIN,
            run=run_training,
            verdict=verdict_dse,
            scaled_down=SCALED_DOWN,
            plot=plot_dse,
        ),
        Claim(
            key="dsmi-contrast",
            statement=(
                "DSMI(Z; Y) of the penultimate layer rises when training with true labels and stays "
                "near zero when training with shuffled labels."
            ),
            source="Sec. 4.1, Fig. 3 (DSMI(Z;Y) curves, supervised vs random-label training)",
            metric="dsmi_contrast",
            paper_value=None,
            paper_value_text=(
                "qualitative: DSMI(Z;Y) rises with true labels, flat with random labels (figure). Our "
                "notes' CPU run: 2.09 vs 0.13 bits at epoch 40 (16×)"
            ),
            tolerance=(
                f"true-label DSMI rises ≥ {_TRAIN['quick'].min_dsmi_rise:g} bits and ends ≥ "
                f"{_TRAIN['quick'].min_contrast:g}× the shuffled-label DSMI (means over seeds); "
                f"inconclusive if true-label training accuracy < {MIN_TRAIN_ACCURACY:g}"
            ),
            config_cls=TrainConfig,
            presets=_TRAIN,
            run=run_training,
            verdict=verdict_dsmi,
            scaled_down=(
                SCALED_DOWN + " DSMI is taken against the true labels in both conditions. Input "
                "scale matters with the absolute σ: the first quick run, on per-pixel z-scored "
                "inputs (--set inputs=standardized), measured a 4.4× contrast (not reproduced "
                "under the 5× rule); the default [0, 1] scale is the one our notes' run used."
            ),
            plot=plot_dsmi,
        ),
        Claim(
            key="noise-resilience",
            statement=(
                "DSMI stays stable when isotropic noise dimensions are appended to the representation, "
                "while classic binned Shannon MI does not."
            ),
            source="Sec. 4 toy experiments (DSE/DSMI vs CSE/CSMI under noise; figure, as recalled)",
            metric="dsmi_drift",
            paper_value=None,
            paper_value_text=(
                "qualitative (recalled, unverified: our notes do not record the toy settings): DSE/DSMI "
                "robust to noise, CSE/CSMI saturate"
            ),
            tolerance=(
                f"DSMI (Y = blob id) within {_NOISE['quick'].max_dsmi_drift:.0%} of its clean value "
                f"(mean over seeds of the worst noise level) and ≤ "
                f"{_NOISE['quick'].max_independent_dsmi:g} bits for independent Y; inconclusive "
                f"if binned MI moves < {_NOISE['quick'].min_binned_drift:g} bits"
            ),
            config_cls=NoiseConfig,
            presets=_NOISE,
            run=run_noise,
            verdict=verdict_noise,
            scaled_down=(
                "Our own toy setting (10 blobs in 3-D, noise std 0.5 = half the blob std, up to 32 "
                "noise dimensions). With the absolute σ = 10, DSMI does decay once the noise energy "
                "(dims × std²) approaches σ²: at 128 noise dims of std 0.5 it falls by ~30 %."
            ),
            plot=plot_noise,
        ),
    ),
)
