"""Scalable Neural Network Kernels (Sehanobish, Choromanski, Zhao, Dubey, Likhosherstov; ICLR 2024).

arXiv: 2310.13225. The method (:mod:`nnatlas.nn.snnk`) replaces a feed-forward layer
``f(Wx + b)`` by ``φ(x) Ψᵀ``: a fixed random feature map of the input and trainable weight
features, with ReLU random features (an arc-cosine kernel) or universal random features (an
unbiased estimate of ``f(wᵀx + b)`` from the Fourier expansion of ``f``).

Claims tested here, at CPU scale:

* ``kernel-estimation``: the SNNK feature maps are unbiased Monte-Carlo estimators, so the
  squared error of a kernel estimate falls as ``1/m``. Precisely: the *relative mean squared
  error* ``Σ (k̂ − k)² / Σ k²`` (over input/weight pairs and independent projections) has slope
  −1 ± 0.2 in log–log against ``m``, equivalently the relative RMSE falls as ``m^{-1/2}``. Checked
  for ReLU features (against the closed-form arc-cosine kernel) and for universal random
  features of ``sin`` (against ``sin(wᵀx + b)``), both with i.i.d. Gaussian projections. The
  error of orthogonal features is reported beside it (not part of the verdict).
* ``parameter-efficiency``: on digits, an MLP 64-256-256-10 whose middle layer is a ReLU-SNNK
  layer (``m = 32``) is within 1 accuracy point of the dense MLP with ≥ 3× fewer trainable
  parameters (paper: "up to 5× fewer trainable parameters while maintaining competitive
  accuracy", on GLUE/CIFAR adapters and uptrained BERT/ViT, which are out of reach offline).
* ``bundling``: a fully bundled model (fixed ReLU random features of digits, m = 2,048, and one
  linear head) gets its head in closed form by ridge regression as accurately (within 0.5
  point) as a cross-entropy head trained by Adam, and faster (abstract: explicit formulae for
  the optimal parameters of the fully bundled network "bypass backpropagation").

Deviations: digits instead of the paper's pretrained-transformer benchmarks (no pretrained
weights offline); one SNNK layer in a small MLP rather than adapters in BERT/ViT; the estimator
check uses our own random unit vectors (the paper's point-wise estimation plots are not matched
numerically).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nnatlas.core.claims import ANY_DEVICE, Claim, Metrics, Paper, Verdict, presets
from nnatlas.core.config import ClaimConfig, param
from nnatlas.core.device import current_device
from nnatlas.core.verdicts import Check, guard, judge, stat, values
from nnatlas.data import load_digits
from nnatlas.nn import (
    BundledSNNK,
    ReLUSNNK,
    arccos_kernel,
    gaussian_projection,
    num_parameters,
    relu_features,
    urf_input_features,
    urf_weight_features,
)
from nnatlas.nn.snnk import spectrum
from nnatlas.runs.context import log_metrics
from nnatlas.train import accuracy, fit

BIBTEX = """@inproceedings{sehanobish2024scalable,
  title     = {Scalable Neural Network Kernels},
  author    = {Sehanobish, Arijit and Choromanski, Krzysztof and Zhao, Yunfan and Dubey, Avinava
               and Likhosherstov, Valerii},
  booktitle = {International Conference on Learning Representations},
  year      = {2024},
  url       = {https://arxiv.org/abs/2310.13225}
}"""


MIN_BASELINE_ACCURACY = 0.9
"""Digits test accuracy a backprop-trained baseline must reach for a comparison with it to count."""


def _stat(per_seed: list[Metrics], key: str) -> Any:
    return stat(values(per_seed, key))


# -- claim: kernel estimation ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class KernelConfig(ClaimConfig):
    """Claim ``kernel-estimation``.

    Attributes:
        dim: input dimension d.
        num_features: the m grid (increasing, at least two values for a slope).
        trials: independent projections per m.
        num_inputs, num_weights: random unit inputs x and weights w (pairs: all combinations).
        weight_norm: ‖w‖ (inputs have norm 1).
        slope: the expected log–log slope of the relative MSE; ``slope_tolerance`` its band.
    """

    dim: int = param(64, ge=1)
    num_features: tuple[int, ...] = param((64, 256, 1024, 4096), ge=1, min_len=2, increasing=True)
    trials: int = param(60, ge=1)
    num_inputs: int = param(16, ge=1)
    num_weights: int = param(16, ge=1)
    weight_norm: float = param(1.0, gt=0)
    slope: float = param(-1.0)
    slope_tolerance: float = param(0.2, gt=0)


def _relative_mse(estimates: list[torch.Tensor], exact: torch.Tensor) -> float:
    err = torch.stack([((e - exact) ** 2).sum() for e in estimates]).mean()
    return float(err / (exact**2).sum())


def _slope(ms: tuple[int, ...], errors: list[float]) -> float:
    x = torch.log(torch.tensor(ms, dtype=torch.float64))
    y = torch.log(torch.tensor(errors, dtype=torch.float64))
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc * xc).sum())


def run_kernel(config: KernelConfig, seed: int) -> Metrics:
    f64 = torch.float64
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(config.num_inputs, config.dim, generator=gen, dtype=f64)
    x = x / x.norm(dim=1, keepdim=True)
    w = torch.randn(config.num_weights, config.dim, generator=gen, dtype=f64)
    w = config.weight_norm * w / w.norm(dim=1, keepdim=True)
    b = 0.5 * torch.randn(config.num_weights, generator=gen, dtype=f64)
    sin = spectrum("sin")
    freqs = torch.tensor(sin.frequencies, dtype=f64)
    coeffs = torch.tensor([[c.real, c.imag] for c in sin.coefficients], dtype=f64)
    exact_relu = arccos_kernel(x, w)
    exact_sin = sin(x @ w.T + b)

    out: dict[str, list[float]] = {"relu": [], "relu_orthogonal": [], "urf_sin": []}
    for m in config.num_features:
        est: dict[str, list[torch.Tensor]] = {k: [] for k in out}
        for _ in range(config.trials):
            g = gaussian_projection(m, config.dim, generator=gen, dtype=f64)
            est["relu"].append(relu_features(x, g) @ relu_features(w, g).T)
            phi = urf_input_features(x, g, freqs)
            psi = urf_weight_features(w, b, g, freqs, coeffs)
            est["urf_sin"].append((phi @ psi.T).real)
            go = gaussian_projection(m, config.dim, orthogonal=True, generator=gen, dtype=f64)
            est["relu_orthogonal"].append(relu_features(x, go) @ relu_features(w, go).T)
        exact = {"relu": exact_relu, "relu_orthogonal": exact_relu, "urf_sin": exact_sin}
        for k in out:
            out[k].append(_relative_mse(est[k], exact[k]))
        log_metrics(step=m, **{f"relative_mse_{k}": v[-1] for k, v in out.items()})
    return {
        "num_features": list(config.num_features),
        **{f"relative_mse_{k}": v for k, v in out.items()},
        "slope_relu": _slope(config.num_features, out["relu"]),
        "slope_urf_sin": _slope(config.num_features, out["urf_sin"]),
        "slope_relu_orthogonal": _slope(config.num_features, out["relu_orthogonal"]),
        "orthogonal_to_iid_mse": [
            o / i for o, i in zip(out["relu_orthogonal"], out["relu"], strict=True)
        ],
    }


def verdict_kernel(per_seed: list[Metrics], config: KernelConfig) -> Verdict:
    relu, urf = _stat(per_seed, "slope_relu"), _stat(per_seed, "slope_urf_sin")
    orth = [m.get("orthogonal_to_iid_mse") or [math.nan] for m in per_seed]  # reported only
    ratios = [sum(r) / len(r) for r in orth]
    table = {
        "slope ReLU features (mean ± sd)": str(relu),
        "slope URF sin features (mean ± sd)": str(urf),
        "slope ReLU orthogonal features": _stat(per_seed, "slope_relu_orthogonal").mean,
        "orthogonal / i.i.d. relative MSE (mean over m, not judged)": stat(ratios).mean,
    }
    tol, target = config.slope_tolerance, config.slope
    checks = [
        Check(f"|slope ReLU − ({target:g})|", abs(relu.mean - target), "<=", tol, ".3g"),
        Check(f"|slope URF(sin) − ({target:g})|", abs(urf.mean - target), "<=", tol, ".3g"),
    ]
    ms = list(config.num_features)
    prefix = f"log–log slope of the relative MSE over m = {ms}, {relu.n} seed(s)"
    return judge(checks, values=table, prefix=prefix)


def plot_kernel(ax: Any, per_seed: list[Metrics], config: KernelConfig) -> None:
    for key, colour, label in (
        ("relative_mse_relu", "C0", "ReLU (i.i.d.)"),
        ("relative_mse_relu_orthogonal", "C2", "ReLU (orthogonal)"),
        ("relative_mse_urf_sin", "C1", "URF sin"),
    ):
        for i, m in enumerate(per_seed):
            ax.plot(m["num_features"], m[key], marker="o", ms=3, color=colour,
                    label=label if i == 0 else "_")  # fmt: skip
    ms = list(config.num_features)
    ref = per_seed[0]["relative_mse_relu"][0]
    ax.plot(ms, [ref * ms[0] / m for m in ms], ls=":", color="k", label="∝ 1/m")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="random features m",
        ylabel="relative MSE of the kernel estimate",
    )
    ax.legend(fontsize=8)


# -- claim: parameter efficiency ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EfficiencyConfig(ClaimConfig):
    """Claim ``parameter-efficiency``: dense MLP vs the same MLP with a ReLU-SNNK middle layer.

    Attributes:
        width: hidden width (both hidden layers).
        num_features: m of the SNNK layer.
        projection_std_scale: G ~ N(0, scale² / width).
        epochs, lr, batch_size: Adam training of both networks.
        test_size: held-out fraction of digits.
        max_accuracy_drop: allowed mean accuracy loss of SNNK vs dense (fraction).
        min_parameter_ratio: required dense / SNNK trainable-parameter ratio.
    """

    width: int = param(256, ge=1)
    num_features: int = param(32, ge=1)
    projection_std_scale: float = param(1.0, gt=0)
    epochs: int = param(40, ge=1)
    lr: float = param(2e-3, gt=0)
    batch_size: int = param(64, ge=1)
    test_size: float = param(0.25, gt=0, lt=1)
    max_accuracy_drop: float = param(0.01, ge=0, le=1)
    min_parameter_ratio: float = param(3.0, gt=0)


class _Net(nn.Module):
    """64 → width (ReLU) → middle → LayerNorm → 10, the middle dense+ReLU or an SNNK layer."""

    def __init__(self, width: int, middle: nn.Module, classes: int = 10) -> None:
        super().__init__()
        self.first = nn.Linear(64, width)
        self.middle = middle
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.middle(torch.relu(self.first(x)))))


def _train_digits(model: nn.Module, config: EfficiencyConfig, seed: int, data: Any) -> float:
    model.to(current_device())
    fit(
        model,
        data.x_train,
        data.y_train,
        optimizer=torch.optim.Adam(model.parameters(), lr=config.lr),
        epochs=config.epochs,
        batch_size=config.batch_size,
        generator=torch.Generator().manual_seed(seed),
    )
    return accuracy(model, data.x_test, data.y_test)


def run_efficiency(config: EfficiencyConfig, seed: int) -> Metrics:
    data = load_digits(test_size=config.test_size, seed=0).to(device=current_device())
    torch.manual_seed(seed)
    dense = _Net(config.width, nn.Sequential(nn.Linear(config.width, config.width), nn.ReLU()))
    torch.manual_seed(seed)
    std = config.projection_std_scale / math.sqrt(config.width)
    snnk = _Net(
        config.width, ReLUSNNK(config.width, config.width, config.num_features, projection_std=std)
    )
    acc_dense = _train_digits(dense, config, seed, data)
    log_metrics(step=0, model="dense", accuracy=acc_dense)
    acc_snnk = _train_digits(snnk, config, seed, data)
    log_metrics(step=1, model="snnk", accuracy=acc_snnk)
    p_dense, p_snnk = num_parameters(dense), num_parameters(snnk)
    return {
        "accuracy_dense": acc_dense,
        "accuracy_snnk": acc_snnk,
        "accuracy_drop": acc_dense - acc_snnk,
        "parameters_dense": p_dense,
        "parameters_snnk": p_snnk,
        "parameter_ratio": p_dense / p_snnk,
        "layer_parameter_ratio": (config.width * config.width + config.width)
        / (config.width * config.num_features + config.width),
        "num_parameters": p_snnk,
    }


def verdict_efficiency(per_seed: list[Metrics], config: EfficiencyConfig) -> Verdict:
    dense, snnk = _stat(per_seed, "accuracy_dense"), _stat(per_seed, "accuracy_snnk")
    ratio = values(per_seed, "parameter_ratio")[0]
    table = {
        "dense accuracy": str(dense),
        "SNNK accuracy": str(snnk),
        "dense parameters": values(per_seed, "parameters_dense")[0],
        "SNNK parameters": values(per_seed, "parameters_snnk")[0],
        "ratio in the replaced layer": values(per_seed, "layer_parameter_ratio")[0],
    }
    low = f"the dense baseline reached only {dense.mean:.3f} (< {MIN_BASELINE_ACCURACY:g})"
    guard(dense.mean >= MIN_BASELINE_ACCURACY, f"{low}: it did not train", table)
    drop, min_ratio = config.max_accuracy_drop, config.min_parameter_ratio
    checks = [
        Check("accuracy drop (dense − SNNK)", dense.mean - snnk.mean, "<=", drop, ".4f"),
        Check("trainable-parameter ratio (dense / SNNK)", ratio, ">=", min_ratio, ".3g"),
    ]
    prefix = f"SNNK (m = {config.num_features}) vs dense, {dense.n} seed(s)"
    return judge(checks, values=table, prefix=prefix)


def plot_efficiency(ax: Any, per_seed: list[Metrics], config: EfficiencyConfig) -> None:
    for i, (key, label) in enumerate((("dense", "dense"), ("snnk", "ReLU-SNNK"))):
        ax.scatter(
            [m[f"parameters_{key}"] for m in per_seed],
            [m[f"accuracy_{key}"] for m in per_seed],
            color=f"C{i}",
            label=label,
        )
    ax.set(xscale="log", xlabel="trainable parameters", ylabel="digits test accuracy")
    ax.legend(fontsize=8)


# -- claim: bundling ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BundlingConfig(ClaimConfig):
    """Claim ``bundling``: fixed ReLU features of digits with a closed-form vs a trained head.

    Attributes:
        num_features: ReLU random features m (G ~ N(0, 1/d)).
        ridge: λ of the closed-form head (one-hot squared loss).
        epochs, lr, batch_size: Adam training of the same head with cross-entropy.
        test_size: held-out fraction of digits.
        max_accuracy_gap: the closed form may trail the trained head by at most this.
    """

    num_features: int = param(2048, ge=1)
    ridge: float = param(0.1, gt=0)
    epochs: int = param(40, ge=1)
    lr: float = param(1e-2, gt=0)
    batch_size: int = param(64, ge=1)
    test_size: float = param(0.25, gt=0, lt=1)
    max_accuracy_gap: float = param(0.005, ge=0, le=1)


def run_bundling(config: BundlingConfig, seed: int) -> Metrics:
    data = load_digits(test_size=config.test_size, seed=0).to(device=current_device())
    torch.manual_seed(seed)
    model = BundledSNNK(data.num_features, data.num_classes, config.num_features).to(
        current_device()
    )
    start = time.perf_counter()
    model.fit_ridge(data.x_train, data.y_train, config.ridge)
    ridge_seconds = time.perf_counter() - start
    acc_ridge = accuracy(model, data.x_test, data.y_test)
    model.head.reset_parameters()
    start = time.perf_counter()
    fit(
        model,
        data.x_train,
        data.y_train,
        optimizer=torch.optim.Adam(model.head.parameters(), lr=config.lr),
        epochs=config.epochs,
        batch_size=config.batch_size,
        generator=torch.Generator().manual_seed(seed),
    )
    backprop_seconds = time.perf_counter() - start
    acc_backprop = accuracy(model, data.x_test, data.y_test)
    log_metrics(step=0, accuracy_ridge=acc_ridge, accuracy_backprop=acc_backprop)
    return {
        "accuracy_ridge": acc_ridge,
        "accuracy_backprop": acc_backprop,
        "ridge_seconds": ridge_seconds,
        "backprop_seconds": backprop_seconds,
        "speedup": backprop_seconds / ridge_seconds,
        "num_parameters": sum(p.numel() for p in model.head.parameters()),
    }


def verdict_bundling(per_seed: list[Metrics], config: BundlingConfig) -> Verdict:
    ridge, bp = _stat(per_seed, "accuracy_ridge"), _stat(per_seed, "accuracy_backprop")
    table = {"closed-form accuracy": str(ridge), "backprop accuracy": str(bp)}
    low = f"the trained head reached only {bp.mean:.3f} (< {MIN_BASELINE_ACCURACY:g})"
    guard(bp.mean >= MIN_BASELINE_ACCURACY, f"{low}: it did not train", table)
    speedup = _stat(per_seed, "speedup").mean
    checks = [
        Check("accuracy gap (backprop − closed form)", bp.mean - ridge.mean, "<=",
              config.max_accuracy_gap, ".4f"),
        Check("speedup (backprop time / closed-form time)", speedup, ">", 1.0, ".3g"),
    ]  # fmt: skip
    prefix = f"closed-form head vs {config.epochs} epochs of Adam, {bp.n} seed(s)"
    return judge(checks, values=table, prefix=prefix)


# -- record ---------------------------------------------------------------------------------

_K, _E, _B = KernelConfig(), EfficiencyConfig(), BundlingConfig()

# fmt: off
PAPER = Paper(
    key="snnk",
    title="Scalable Neural Network Kernels",
    authors="Arijit Sehanobish, Krzysztof Choromanski, Yunfan Zhao, Avinava Dubey, Valerii Likhosherstov",
    year=2024,
    venue="ICLR",
    arxiv="2310.13225",
    bibtex=BIBTEX,
    family="nn",
    summary=(
        "Replace a feed-forward layer f(Wx + b) by a dot product φ(x)ᵀψ(w) of a fixed random feature "
        "map of the input and trainable weight features (ReLU random features, or universal random "
        "features built from the Fourier transform of f), so the trainable size drops from out·in to "
        "out·m. We test that the estimators converge at the Monte-Carlo rate and that a ReLU-SNNK "
        "layer keeps a small MLP's digits accuracy with several times fewer trainable parameters, and "
        "that a fully bundled model's head fitted in closed form matches a backprop-trained one."
    ),
    components=(
        "nnatlas.nn.ReLUSNNK",
        "nnatlas.nn.URFSNNK",
        "nnatlas.nn.SNNKAdapter",
        "nnatlas.nn.BundledSNNK",
        "nnatlas.nn.ridge_head",
    ),
    claims=(
        Claim(
            key="kernel-estimation", metric="slope_relu", paper_value=-1.0,
            statement=(
                "SNNK feature maps are unbiased random-feature estimators: the relative mean squared "
                "error of the kernel estimate falls as 1/m (relative RMSE as m^(-1/2)), for ReLU "
                "features (arc-cosine kernel) and universal random features (here f = sin)."
            ),
            source="URF construction (unbiasedness) and the point-wise kernel-estimation experiments",
            paper_value_text="slope −1 of the MSE vs m (the Monte-Carlo rate implied by unbiased i.i.d. features)",
            tolerance=(
                f"log–log slope of the relative MSE within ±{_K.slope_tolerance:g} of {_K.slope:g} "
                "for both ReLU and URF(sin), mean over seeds"
            ),
            presets=presets(
                KernelConfig(),
                smoke={"dim": 16, "num_features": (16, 64, 256), "trials": 30},
                paper={"num_features": (64, 256, 1024, 4096, 16384), "trials": 500},
            ),
            scaled_down="d = 64, 16 × 16 random unit input/weight pairs, 60 independent projections per m.",
            config_cls=KernelConfig, run=run_kernel, verdict=verdict_kernel, plot=plot_kernel,
        ),
        Claim(
            key="parameter-efficiency", metric="parameter_ratio", paper_value=5.0,
            statement=(
                "Replacing a dense layer by a ReLU-SNNK layer keeps accuracy within "
                f"{100 * _E.max_accuracy_drop:g} point with at least {_E.min_parameter_ratio:g}× "
                "fewer trainable parameters (paper: up to 5× fewer at competitive accuracy)."
            ),
            source="Abstract ('up to 5x reduction'); adapter and uptraining experiments (GLUE, CIFAR)",
            paper_value_text="'up to 5x reduction in the number of trainable parameters, while maintaining competitive accuracy' (abstract; BERT/ViT)",
            tolerance=(
                f"mean accuracy drop ≤ {100 * _E.max_accuracy_drop:g} accuracy points, dense/SNNK "
                f"trainable-parameter ratio ≥ {_E.min_parameter_ratio:g}; inconclusive if the "
                f"dense accuracy < {MIN_BASELINE_ACCURACY:g}"
            ),
            presets=presets(
                EfficiencyConfig(), smoke={"width": 64, "num_features": 8, "epochs": 3}
            ),
            scaled_down=(
                "digits MLP 64-256-256-10 (75/25 split, Adam 2e-3, 40 epochs, batch 64) instead of "
                "SNNK adapters in pretrained BERT/ViT; the `paper` preset is the same setting (the "
                "published benchmarks need pretrained weights that cannot be downloaded here)."
            ),
            config_cls=EfficiencyConfig, devices=ANY_DEVICE, run=run_efficiency, verdict=verdict_efficiency,
            plot=plot_efficiency,
        ),
        Claim(
            key="bundling", metric="speedup", paper_value=None,
            statement=(
                "A fully bundled SNNK model (fixed random features and one linear head) can skip "
                "backpropagation: the head's closed-form ridge solution is as accurate as a "
                "backprop-trained head (within "
                f"{100 * _B.max_accuracy_gap:g} point) and faster to obtain."
            ),
            source="Abstract and the neural-network bundling section (fully bundled f(x) = Φ(x)ᵀΨ, explicit Ψ for MSE)",
            paper_value_text="qualitative: the fully bundled network's optimal parameters have explicit formulae (e.g. MSE), 'opening a possibility to bypass backpropagation' (abstract)",
            tolerance=(
                "mean accuracy of the closed-form head ≥ backprop head − "
                f"{100 * _B.max_accuracy_gap:g} point, and closed form faster (wall clock); "
                f"inconclusive if the backprop head < {MIN_BASELINE_ACCURACY:g}"
            ),
            scaled_down=(
                "digits with m = 2,048 ReLU random features of the raw pixels (the paper bundles "
                "SNNK blocks of larger networks); the backprop head uses Adam lr 1e-2, 40 epochs, "
                "batch 64, cross-entropy; one thread, wall-clock times on a shared machine."
            ),
            config_cls=BundlingConfig,
            presets=presets(BundlingConfig(), smoke={"num_features": 128, "epochs": 2}),
            run=run_bundling,
            devices=ANY_DEVICE, verdict=verdict_bundling,
        ),
    ),
)
# fmt: on
