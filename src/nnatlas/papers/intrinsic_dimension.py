"""Measuring the Intrinsic Dimension of Objective Landscapes (Li, Farkhoor, Liu, Yosinski; ICLR 2018).

arXiv: 1804.08838. The method (``nnatlas.train.subspace`` and
``nnatlas.train.intrinsic_dimension``) trains only ``d`` coordinates ``z`` of a random affine
subspace, θ = θ₀ + P z, and calls the smallest ``d`` whose subspace training reaches 90 % of the
full-space accuracy d_int90.

Claims tested here, at CPU scale on scikit-learn digits instead of MNIST:

* ``small-fraction``: d_int90 of a fully connected net is a small fraction of its size D
  (paper: MNIST 784-200-200-10, d_int90 = 750 of D = 199,210, i.e. 0.38 %).
* ``width-invariance``: d_int90 changes little with width: four FC widths spanning ≥ 8× in D
  have d_int90 within a factor of 2 of each other (paper: Fig. 4, d_int90 roughly constant across
  widths and depths on MNIST).
* ``cnn-lower``: a small CNN (LeNet) has a lower d_int90 than an FC net of similar accuracy
  (paper: LeNet 290 vs FC 750 on MNIST).

Deviations from the paper: digits (8×8, 1,437 training images) instead of MNIST (28×28, 60k), so
all networks and d values are smaller; one random subspace per (d, seed) with seeds averaged,
where the paper plots several subspaces per d; Adam on z with lr 0.1 (the paper's runs used Adam
lr 1e-3 on its projection; with unit-norm columns the z-space learning rate must be ~100× larger,
as our notes measured); a fixed number of epochs instead of training to convergence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from torch import nn

from nnatlas.core.claims import ANY_DEVICE, Claim, Metrics, Paper, Verdict, presets
from nnatlas.core.config import ClaimConfig, ensure, param
from nnatlas.core.device import current_device
from nnatlas.core.verdicts import guard, stat, threshold, values
from nnatlas.data import load_digits, load_mnist
from nnatlas.nn import MLP, LeNet, num_parameters
from nnatlas.runs.context import log_metrics, memoize
from nnatlas.train.intrinsic_dimension import (
    direct_training_score,
    intrinsic_dimension,
    subspace_training_score,
)

BIBTEX = """@inproceedings{li2018intrinsic,
  title     = {Measuring the Intrinsic Dimension of Objective Landscapes},
  author    = {Li, Chunyuan and Farkhoor, Heerad and Liu, Rosanne and Yosinski, Jason},
  booktitle = {International Conference on Learning Representations},
  year      = {2018},
  url       = {https://arxiv.org/abs/1804.08838}
}"""

# The paper's MNIST numbers (FC: confirmed in our notes; LeNet: as recalled from Table 1).
PAPER_FC_DINT90 = 750
PAPER_FC_D = 199_210
PAPER_LENET_DINT90 = 290

MIN_BASELINE_ACCURACY = 0.85  # below this the network itself failed and no d_int90 means anything


@dataclass(frozen=True, kw_only=True)
class SweepConfig(ClaimConfig):
    """What every intrinsic-dimension sweep shares.

    Attributes:
        dataset: ``digits`` (bundled with scikit-learn) or ``mnist`` (IDX files you provide:
            see :func:`nnatlas.data.load_mnist`; the ``paper`` presets use it).
        projection: random subspace: dense Gaussian, sparse (Li et al. 2006) or Fastfood.
        dims: the subspace dimensions d tried, strictly increasing (finer where digits'
            crossing lies).
        fraction: d_int is the smallest d reaching ``fraction`` × the baseline accuracy.
        epochs, lr: subspace training (Adam on z).
        baseline_epochs, baseline_lr: ordinary training of the same network (Adam).
        batch_size: minibatch size for both.
        test_size: held-out fraction of digits (stratified; MNIST keeps its official split).
    """

    dataset: Literal["digits", "mnist"] = "digits"
    projection: Literal["dense", "sparse", "fastfood"] = "dense"
    dims: tuple[int, ...] = param(
        (10, 20, 40, 80, 120, 160, 240, 320, 480, 640), ge=1, min_len=1, increasing=True
    )
    fraction: float = param(0.9, gt=0, le=1)
    epochs: int = param(40, ge=1)
    lr: float = param(0.1, gt=0)
    baseline_epochs: int = param(40, ge=1)
    baseline_lr: float = param(1e-3, gt=0)
    batch_size: int = param(128, ge=1)
    test_size: float = param(0.2, gt=0, lt=1)


@dataclass(frozen=True, kw_only=True)
class FractionConfig(SweepConfig):
    """Claim ``small-fraction``: one FC net 64-w-w-10 (``depth`` hidden layers of ``width``)."""

    width: int = param(200, ge=1)
    depth: int = param(2, ge=1)
    max_fraction: float = param(0.02, gt=0, le=1)


@dataclass(frozen=True, kw_only=True)
class WidthConfig(SweepConfig):
    """Claim ``width-invariance``: FC nets of several widths (strictly increasing) whose
    parameter counts D must span at least ``min_size_span``×."""

    widths: tuple[int, ...] = param((32, 64, 128, 256), ge=1, min_len=2, increasing=True)
    depth: int = param(2, ge=1)
    max_spread: float = param(2.0, ge=1)
    min_size_span: float = param(8.0, ge=1)

    def validate(self) -> None:
        span = fc_size(self, self.widths[-1], self.depth) / fc_size(
            self, self.widths[0], self.depth
        )
        ensure(
            self, span >= self.min_size_span,
            f"the widths span {span:.1f}× in D; the claim needs ≥ {self.min_size_span:g}×",
        )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class CnnConfig(SweepConfig):
    """Claim ``cnn-lower``: LeNet-style CNN vs an FC net of similar accuracy (baseline
    accuracies within ``max_accuracy_gap``)."""

    fc_width: int = param(100, ge=1)
    depth: int = param(2, ge=1)
    channels: tuple[int, ...] = param((6, 16), ge=1, min_len=1)
    hidden: tuple[int, ...] = param((120, 84), ge=1, min_len=1)
    max_accuracy_gap: float = param(0.03, ge=0, le=1)


# -- the shared sweep ------------------------------------------------------------------------


def _load(config: SweepConfig, as_images: bool) -> Any:
    if config.dataset == "mnist":
        return load_mnist(flatten=not as_images, device=current_device())
    # The split is fixed (seed 0) so that seeds vary the network and subspace, not the data.
    data = load_digits(test_size=config.test_size, seed=0, as_images=as_images)
    return data.to(device=current_device())


def _image_size(config: SweepConfig) -> int:
    return 28 if config.dataset == "mnist" else 8


def fc_size(config: SweepConfig, width: int, depth: int) -> int:
    """Parameter count D of the FC net image²-width×depth-10 (without building it)."""
    d_in = _image_size(config) ** 2
    return (d_in + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * 10


def sweep(
    name: str,
    build: Callable[[], nn.Module],
    config: SweepConfig,
    seed: int,
    *,
    as_images: bool = False,
) -> Metrics:
    """Baseline accuracy and the d-sweep of one architecture, memoised piece by piece.

    Args:
        name: a label for the architecture, unique within the run (memo and log keys).
        build: builds the network (θ₀ is drawn under a seed derived from ``seed``).
        config: sweep settings.
        seed: the run's seed (network init, subspace, minibatch order).
        as_images: feed digits as (N, 1, 8, 8) images instead of 64-vectors.

    Returns:
        ``{"D", "baseline_accuracy", "threshold", "d_int90", "d_int90_grid", "found", "curve"}``:
        ``d_int90_grid`` is the smallest grid d reaching the threshold (the paper's reading);
        ``d_int90`` interpolates the crossing log-linearly between the bracketing grid points
        (the grid value when the first point already passes), which is what the verdicts use:
        on a coarse grid, different widths would otherwise tie at the same grid point.
    """
    data = _load(config, as_images)
    common = {
        "data": data,
        "batch_size": config.batch_size,
        "seed": seed,
        "device": current_device(),
    }
    full_dim = num_parameters(build())

    def baseline() -> float:
        return direct_training_score(
            build, epochs=config.baseline_epochs, lr=config.baseline_lr, **common
        )

    base = memoize(f"{name}-baseline", baseline)
    log_metrics(step=0, arch=name, d=full_dim, accuracy=base, kind="baseline")

    def evaluate(d: int) -> float:
        def train() -> float:
            return subspace_training_score(
                build, d, projection=config.projection, epochs=config.epochs, lr=config.lr, **common
            )

        acc = memoize(f"{name}-d{d}", train)
        log_metrics(step=d, arch=name, d=d, accuracy=acc, kind="subspace")
        return acc

    dims = tuple(d for d in config.dims if d <= full_dim)
    result = intrinsic_dimension(
        evaluate, baseline=base, fraction=config.fraction, dims=dims, search="grid"
    )
    interp = result.d_int_interp if result.d_int_interp is not None else result.d_int
    return {
        "D": full_dim,
        "baseline_accuracy": base,
        "threshold": result.threshold,
        "d_int90": interp,
        "d_int90_grid": result.d_int,
        "found": result.found,
        "curve": [list(p) for p in result.curve],
    }


def _fc(config: SweepConfig, width: int, depth: int) -> Callable[[], nn.Module]:
    return lambda: MLP(_image_size(config) ** 2, [width] * depth, 10)


def _learned(accuracies: list[float]) -> None:
    worst = min(accuracies)
    guard(
        worst >= MIN_BASELINE_ACCURACY,
        f"baseline accuracy {worst:.3f} < {MIN_BASELINE_ACCURACY}: a network itself did not learn",
    )


def _found(found: list[bool], config: SweepConfig) -> None:
    missing = sum(not f for f in found)
    guard(
        missing == 0,
        f"{missing} of {len(found)} sweep(s) never reached {config.fraction:.0%} of the baseline "
        f"up to d = {max(config.dims)}; extend --set dims=...",
    )


# -- claim: small fraction ------------------------------------------------------------------


def run_fraction(config: FractionConfig, seed: int) -> Metrics:
    s = sweep(f"fc{config.width}", _fc(config, config.width, config.depth), config, seed)
    d = s["d_int90"]
    return {**s, "d_int90_fraction": None if d is None else d / s["D"], "num_parameters": s["D"]}


def verdict_fraction(per_seed: list[Metrics], config: FractionConfig) -> Verdict:
    _learned(values(per_seed, "baseline_accuracy"))
    _found([m.get("found", False) for m in per_seed], config)
    frac = stat(values(per_seed, "d_int90_fraction"))
    dint = stat(values(per_seed, "d_int90"))
    size = per_seed[0]["D"]
    return threshold(
        "d_int90 / D (mean over seeds)", frac.mean, "<=", config.max_fraction, fmt=".3%",
        values={
            "D": size, "d_int90 (mean)": dint.mean, "d_int90 (std)": dint.std,
            "paper d_int90 / D (MNIST)": PAPER_FC_DINT90 / PAPER_FC_D,
        },
        prefix=(
            f"d_int90 = {dint.mean:.0f} ± {dint.std:.0f} of D = {size:,} over {dint.n} seed(s) "
            f"(paper: {PAPER_FC_DINT90} of {PAPER_FC_D:,} on MNIST)"
        ),
    )  # fmt: skip


# -- claim: width invariance ----------------------------------------------------------------


def run_width(config: WidthConfig, seed: int) -> Metrics:
    sweeps = {w: sweep(f"fc{w}", _fc(config, w, config.depth), config, seed) for w in config.widths}
    dints = [s["d_int90"] for s in sweeps.values()]
    spread = max(dints) / min(dints) if all(d is not None for d in dints) else None
    return {
        "widths": list(config.widths),
        "D": [s["D"] for s in sweeps.values()],
        "d_int90": dints,
        "d_int90_grid": [s["d_int90_grid"] for s in sweeps.values()],
        "baseline_accuracy": [s["baseline_accuracy"] for s in sweeps.values()],
        "found": [s["found"] for s in sweeps.values()],
        "curves": {str(w): s["curve"] for w, s in sweeps.items()},
        "d_int90_spread": spread,
        "num_parameters": sum(s["D"] for s in sweeps.values()),
    }


def verdict_width(per_seed: list[Metrics], config: WidthConfig) -> Verdict:
    n = len(config.widths)
    _learned([a for i in range(n) for a in values(per_seed, "baseline_accuracy", i)])
    _found([f for m in per_seed for f in m.get("found", [False])], config)
    # Average each width's d_int90 over seeds (the paper averages subspaces), then compare widths.
    per_width = [stat(values(per_seed, "d_int90", i)) for i in range(n)]
    sizes = per_seed[0]["D"]
    means = [s.mean for s in per_width]
    table: dict[str, Any] = {
        f"width {w} (D = {d:,}) d_int90": f"{s.mean:.0f} ± {s.std:.0f}"
        for w, d, s in zip(config.widths, sizes, per_width, strict=True)
    }
    table["D span (max/min)"] = max(sizes) / min(sizes)
    return threshold(
        "d_int90 spread (max/min of per-width means)", max(means) / min(means), "<=",
        config.max_spread, values=table,
        prefix=f"mean d_int90 per width = {', '.join(f'{m:.0f}' for m in means)}",
    )  # fmt: skip


# -- claim: CNN lower than FC ---------------------------------------------------------------


def run_cnn(config: CnnConfig, seed: int) -> Metrics:
    fc = sweep(f"fc{config.fc_width}", _fc(config, config.fc_width, config.depth), config, seed)
    cnn = sweep(
        "lenet",
        lambda: LeNet(1, 10, image_size=_image_size(config), channels=config.channels, hidden=config.hidden),
        config, seed, as_images=True,
    )  # fmt: skip
    ratio = cnn["d_int90"] / fc["d_int90"] if cnn["found"] and fc["found"] else None
    return {"fc": fc, "cnn": cnn, "cnn_to_fc_ratio": ratio, "num_parameters": cnn["D"]}


def verdict_cnn(per_seed: list[Metrics], config: CnnConfig) -> Verdict:
    fc_acc = stat(values(per_seed, "fc", "baseline_accuracy")).mean
    cnn_acc = stat(values(per_seed, "cnn", "baseline_accuracy")).mean
    _learned([fc_acc, cnn_acc])
    guard(
        abs(fc_acc - cnn_acc) <= config.max_accuracy_gap,
        f"FC and CNN are not of similar accuracy ({fc_acc:.3f} vs {cnn_acc:.3f}, gap > "
        f"{config.max_accuracy_gap:g}); change fc_width or the CNN size",
    )
    _found([m[k].get("found", False) for m in per_seed for k in ("fc", "cnn")], config)
    fc_d = stat(values(per_seed, "fc", "d_int90"))
    cnn_d = stat(values(per_seed, "cnn", "d_int90"))
    return threshold(
        "CNN / FC d_int90 (ratio of means)", cnn_d.mean / fc_d.mean, "<", 1.0, fmt=".3g",
        values={
            "FC D": per_seed[0]["fc"]["D"], "CNN D": per_seed[0]["cnn"]["D"],
            "FC accuracy": fc_acc, "CNN accuracy": cnn_acc,
            "FC d_int90": fc_d.format(".0f"), "CNN d_int90": cnn_d.format(".0f"),
            "paper ratio (LeNet / FC, MNIST)": PAPER_LENET_DINT90 / PAPER_FC_DINT90,
        },
        prefix=(
            f"CNN d_int90 {cnn_d.mean:.0f} ± {cnn_d.std:.0f} vs FC {fc_d.mean:.0f} ± "
            f"{fc_d.std:.0f} at accuracies {cnn_acc:.3f} / {fc_acc:.3f} (paper: "
            f"{PAPER_LENET_DINT90} / {PAPER_FC_DINT90})"
        ),
    )  # fmt: skip


# -- figures --------------------------------------------------------------------------------


def _plot_curves(ax: Any, curves: list[tuple[str, list[list[float]], float, str]]) -> None:
    for label, curve, level, colour in curves:
        ds, accs = zip(*curve, strict=True) if curve else ((), ())
        ax.plot(ds, accs, marker="o", ms=3, lw=1, color=colour, alpha=0.6, label=label)
        ax.axhline(level, color=colour, ls=":", lw=1)
    ax.set(xscale="log", xlabel="subspace dimension d", ylabel="test accuracy")


def plot_fraction(ax: Any, per_seed: list[Metrics], config: FractionConfig) -> None:
    _plot_curves(ax, [("_", m["curve"], m["threshold"], "C0") for m in per_seed])
    for m in per_seed:
        if m["d_int90"]:
            ax.axvline(m["d_int90"], color="C3", lw=1, alpha=0.5)
    ax.legend(["FC accuracy in a d-dim subspace", "90 % of baseline"], fontsize=8)


def plot_width(ax: Any, per_seed: list[Metrics], config: WidthConfig) -> None:
    for i, w in enumerate(config.widths):
        for j, m in enumerate(per_seed):
            level = config.fraction * m["baseline_accuracy"][i]
            label = f"width {w}" if j == 0 else "_"
            _plot_curves(ax, [(label, m["curves"][str(w)], level, f"C{i}")])
    ax.legend(fontsize=8)


def plot_cnn(ax: Any, per_seed: list[Metrics], config: CnnConfig) -> None:
    for j, m in enumerate(per_seed):
        fc, cnn = m["fc"], m["cnn"]
        _plot_curves(ax, [
            (f"FC width {config.fc_width}" if j == 0 else "_", fc["curve"], fc["threshold"], "C0"),
            ("LeNet" if j == 0 else "_", cnn["curve"], cnn["threshold"], "C1"),
        ])  # fmt: skip
    ax.legend(fontsize=8)


# -- presets --------------------------------------------------------------------------------

_SMOKE: dict[str, Any] = {"dims": (20, 80, 320), "epochs": 8, "baseline_epochs": 20}

# The paper's setting: MNIST (IDX files supplied by the user; nothing is downloaded), FC
# 784-200-200-10 and LeNet-5, a finer d grid around the published crossings; meant for a GPU.
_PAPER: dict[str, Any] = {
    "dataset": "mnist",
    "dims": (100, 150, 200, 300, 400, 500, 600, 750, 900, 1100, 1300, 1600, 2000),
    "epochs": 10,
    "baseline_epochs": 10,
}

_FRACTION = presets(FractionConfig(), smoke={"width": 32, **_SMOKE}, paper=_PAPER)
_WIDTH = presets(
    WidthConfig(), smoke={"widths": (16, 32, 64, 128), **_SMOKE},
    paper={"widths": (50, 100, 200, 400), **_PAPER},
)  # fmt: skip
_CNN = presets(CnnConfig(), smoke={"fc_width": 32, **_SMOKE}, paper={"fc_width": 200, **_PAPER})

SCALED_DOWN = (
    "scikit-learn digits (8×8 images, 1,437 train / 360 test) instead of MNIST (28×28, 60k / 10k); "
    "input layer 64 instead of 784, so D is ~4× smaller at equal width; 40 epochs instead of 100; "
    "one subspace per (d, seed), averaged over 3 seeds; d on a 10-point grid from 10 to 640, "
    "the 90 % crossing interpolated log-linearly between grid points."
)

PAPER = Paper(
    key="intrinsic-dimension",
    title="Measuring the Intrinsic Dimension of Objective Landscapes",
    authors="Chunyuan Li, Heerad Farkhoor, Rosanne Liu, Jason Yosinski",
    year=2018,
    venue="ICLR",
    arxiv="1804.08838",
    bibtex=BIBTEX,
    family="train",
    summary=(
        "Train a network only inside a random d-dimensional affine subspace of its parameter space, "
        "θ = θ₀ + P z, and increase d until it solves the task: the smallest d reaching 90 % of the "
        "full-space accuracy is the intrinsic dimension d_int90 of the objective landscape. The paper "
        "finds d_int90 far below the parameter count, nearly constant across widths, and lower for "
        "convolutional nets. We test these three relative statements on digits."
    ),
    components=(
        "nnatlas.train.SubspaceModel",
        "nnatlas.train.DenseProjection",
        "nnatlas.train.SparseProjection",
        "nnatlas.train.FastfoodProjection",
        "nnatlas.train.intrinsic_dimension",
    ),
    claims=(
        Claim(
            key="small-fraction",
            statement=(
                "The intrinsic dimension d_int90 of a fully connected network is a small fraction of its "
                "parameter count D."
            ),
            source="Sec. 3.1 and Table 1 (MNIST FC 784-200-200-10)",
            metric="d_int90",
            paper_value=float(PAPER_FC_DINT90),
            paper_value_text="d_int90 = 750 of D = 199,210 (0.38 %), MNIST FC 784-200-200-10",
            tolerance=(
                f"d_int90 / D ≤ {_FRACTION['quick'].max_fraction:.0%} (mean over seeds); "
                f"inconclusive if any seed never reaches {_FRACTION['quick'].fraction:.0%} of its "
                f"baseline or a baseline stays below {MIN_BASELINE_ACCURACY:g} accuracy"
            ),
            config_cls=FractionConfig,
            presets=_FRACTION,
            run=run_fraction,
            devices=ANY_DEVICE,
            verdict=verdict_fraction,
            scaled_down=SCALED_DOWN + " Width 200 as in the paper (D = 55,210 here).",
            plot=plot_fraction,
        ),
        Claim(
            key="width-invariance",
            statement=(
                "d_int90 varies little with width: FC nets of four widths spanning at least 8× in D have "
                "d_int90 within a factor of 2 of each other."
            ),
            source="Sec. 3.1, Fig. 4 (MNIST FC nets of widths 50–400 and depths 1–5)",
            metric="d_int90_spread",
            paper_value=None,
            paper_value_text="roughly constant (≈750) across FC widths and depths on MNIST",
            tolerance=(
                f"max / min of the per-width mean d_int90 ≤ {_WIDTH['quick'].max_spread:g}; the "
                f"widths must span ≥ {_WIDTH['quick'].min_size_span:g}× in D (checked when the "
                "config is built)"
            ),
            config_cls=WidthConfig,
            presets=_WIDTH,
            run=run_width,
            devices=ANY_DEVICE,
            verdict=verdict_width,
            scaled_down=SCALED_DOWN,
            plot=plot_width,
        ),
        Claim(
            key="cnn-lower",
            peer=(
                "no runnable peer: the official code (uber-research/intrinsic-dimension) needs "
                "TensorFlow 1.7 / Keras 2.1.5 on Python 2.7; the unofficial "
                "intrinsic-dimensionality 0.1 has no CNN subspace training; not run"
            ),
            statement="A convolutional network (LeNet) has a lower d_int90 than a fully connected network of similar accuracy.",
            source="Sec. 3.1 and Table 1 (MNIST LeNet vs FC)",
            metric="cnn_to_fc_ratio",
            paper_value=PAPER_LENET_DINT90 / PAPER_FC_DINT90,
            paper_value_text="LeNet 290 vs FC 750 on MNIST: ratio 0.39 (LeNet value as recalled from Table 1)",
            tolerance=(
                "mean CNN d_int90 < mean FC d_int90, with baseline accuracies within "
                f"{100 * _CNN['quick'].max_accuracy_gap:g} points; else inconclusive"
            ),
            config_cls=CnnConfig,
            presets=_CNN,
            run=run_cnn,
            devices=ANY_DEVICE,
            verdict=verdict_cnn,
            scaled_down=SCALED_DOWN + " LeNet with 3×3 kernels (8×8 inputs) instead of 5×5.",
            plot=plot_cnn,
        ),
    ),
)
