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
from dataclasses import dataclass, replace
from typing import Any, Literal

from torch import nn

from nnatlas.core.claims import Claim, Outcome, Paper, Verdict, mean_std
from nnatlas.core.device import current_device
from nnatlas.runs.context import log_metrics, memoize

Metrics = dict[str, Any]

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
class SweepConfig:
    """What every intrinsic-dimension sweep shares.

    Attributes:
        dataset: ``digits`` (bundled with scikit-learn) or ``mnist`` (IDX files you provide:
            see :func:`nnatlas.data.load_mnist`; the ``paper`` presets use it).
        projection: random subspace: dense Gaussian, sparse (Li et al. 2006) or Fastfood.
        dims: the subspace dimensions d tried, ascending (finer where digits' crossing lies).
        fraction: d_int is the smallest d reaching ``fraction`` × the baseline accuracy.
        epochs, lr: subspace training (Adam on z).
        baseline_epochs, baseline_lr: ordinary training of the same network (Adam).
        batch_size: minibatch size for both.
        test_size: held-out fraction of digits (stratified; MNIST keeps its official split).
    """

    dataset: Literal["digits", "mnist"] = "digits"
    projection: Literal["dense", "sparse", "fastfood"] = "dense"
    dims: tuple[int, ...] = (10, 20, 40, 80, 120, 160, 240, 320, 480, 640)
    fraction: float = 0.9
    epochs: int = 40
    lr: float = 0.1
    baseline_epochs: int = 40
    baseline_lr: float = 1e-3
    batch_size: int = 128
    test_size: float = 0.2


@dataclass(frozen=True, kw_only=True)
class FractionConfig(SweepConfig):
    """Claim ``small-fraction``: one FC net 64-w-w-10 (``depth`` hidden layers of ``width``)."""

    width: int = 200
    depth: int = 2
    max_fraction: float = 0.02


@dataclass(frozen=True, kw_only=True)
class WidthConfig(SweepConfig):
    """Claim ``width-invariance``: FC nets of several widths."""

    widths: tuple[int, ...] = (32, 64, 128, 256)
    depth: int = 2
    max_spread: float = 2.0
    min_size_span: float = 8.0


@dataclass(frozen=True, kw_only=True)
class CnnConfig(SweepConfig):
    """Claim ``cnn-lower``: LeNet-style CNN vs an FC net of similar accuracy."""

    fc_width: int = 100
    depth: int = 2
    channels: tuple[int, ...] = (6, 16)
    hidden: tuple[int, ...] = (120, 84)
    max_accuracy_gap: float = 0.03


# -- the shared sweep ------------------------------------------------------------------------


def _load(config: SweepConfig, as_images: bool) -> Any:
    from nnatlas.data import load_digits, load_mnist

    if config.dataset == "mnist":
        return load_mnist(flatten=not as_images, device=current_device())
    # The split is fixed (seed 0) so that seeds vary the network and subspace, not the data.
    return load_digits(test_size=config.test_size, seed=0, as_images=as_images).to(
        device=current_device()
    )


def _image_size(config: SweepConfig) -> int:
    return 28 if config.dataset == "mnist" else 8


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
    from nnatlas.nn.models import num_parameters
    from nnatlas.train.intrinsic_dimension import (
        direct_training_score,
        intrinsic_dimension,
        subspace_training_score,
    )

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
    from nnatlas.nn.models import MLP

    return lambda: MLP(_image_size(config) ** 2, [width] * depth, 10)


# -- claim: small fraction ------------------------------------------------------------------


def run_fraction(config: FractionConfig, seed: int) -> Metrics:
    s = sweep(f"fc{config.width}", _fc(config, config.width, config.depth), config, seed)
    d = s["d_int90"]
    return {
        **s,
        "d_int90_fraction": None if d is None else d / s["D"],
        "num_parameters": s["D"],
    }


def verdict_fraction(per_seed: list[Metrics], config: FractionConfig) -> Verdict:
    weak = [
        m["baseline_accuracy"] for m in per_seed if m["baseline_accuracy"] < MIN_BASELINE_ACCURACY
    ]
    if weak:
        return Verdict(
            Outcome.INCONCLUSIVE,
            f"baseline accuracy {min(weak):.3f} < {MIN_BASELINE_ACCURACY}: the network itself did not learn",
        )
    missing = sum(not m["found"] for m in per_seed)
    if missing:
        return Verdict(
            Outcome.INCONCLUSIVE,
            f"{missing} of {len(per_seed)} seeds never reached {config.fraction:.0%} of the baseline "
            f"up to d = {max(config.dims)}; extend --set dims=...",
        )
    frac, _, n = mean_std([m["d_int90_fraction"] for m in per_seed])
    dint, dint_std, _ = mean_std([m["d_int90"] for m in per_seed])
    values = {
        "D": per_seed[0]["D"],
        "d_int90 (mean)": dint,
        "d_int90 (std)": dint_std,
        "d_int90 / D (mean)": frac,
        "max allowed d_int90 / D": config.max_fraction,
        "paper d_int90 / D (MNIST)": PAPER_FC_DINT90 / PAPER_FC_D,
    }
    ok = frac <= config.max_fraction
    reason = (
        f"d_int90 = {dint:.0f} ± {dint_std:.0f} of D = {per_seed[0]['D']:,} ({frac:.2%} of D) over {n} seeds; "
        f"{'≤' if ok else '>'} {config.max_fraction:.0%} allowed (paper: 750 of 199,210 = 0.38 %)"
    )
    return Verdict(Outcome.REPRODUCED if ok else Outcome.NOT_REPRODUCED, reason, values)


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
    sizes = per_seed[0]["D"]
    span = max(sizes) / min(sizes)
    if span < config.min_size_span:
        return Verdict(
            Outcome.INCONCLUSIVE,
            f"the widths span only {span:.1f}× in D; the claim needs ≥ {config.min_size_span:g}×",
        )
    weak = [a for m in per_seed for a in m["baseline_accuracy"] if a < MIN_BASELINE_ACCURACY]
    if weak:
        return Verdict(
            Outcome.INCONCLUSIVE,
            f"a baseline reached only {min(weak):.3f} accuracy (< {MIN_BASELINE_ACCURACY})",
        )
    if not all(all(m["found"]) for m in per_seed):
        return Verdict(
            Outcome.INCONCLUSIVE,
            f"some width never reached {config.fraction:.0%} of its baseline up to d = {max(config.dims)}",
        )
    # Average each width's d_int90 over seeds (the paper averages subspaces), then compare widths.
    per_width = [mean_std([m["d_int90"][i] for m in per_seed]) for i in range(len(sizes))]
    means = [mu for mu, _, _ in per_width]
    spread = max(means) / min(means)
    ok = spread <= config.max_spread
    values: dict[str, Any] = {
        f"width {w} (D = {d:,}) d_int90": f"{mu:.0f} ± {sd:.0f}"
        for w, d, (mu, sd, _) in zip(config.widths, sizes, per_width, strict=True)
    }
    values |= {
        "D span (max/min)": span,
        "d_int90 spread (max/min of means)": spread,
        "max allowed spread": config.max_spread,
    }
    reason = (
        f"over a {span:.1f}× range of D, mean d_int90 per width = {', '.join(f'{m:.0f}' for m in means)}: "
        f"spread {spread:.2f}× {'≤' if ok else '>'} {config.max_spread:g}× allowed"
    )
    return Verdict(Outcome.REPRODUCED if ok else Outcome.NOT_REPRODUCED, reason, values)


# -- claim: CNN lower than FC ---------------------------------------------------------------


def run_cnn(config: CnnConfig, seed: int) -> Metrics:
    from nnatlas.nn.models import LeNet

    fc = sweep(f"fc{config.fc_width}", _fc(config, config.fc_width, config.depth), config, seed)
    cnn = sweep(
        "lenet",
        lambda: LeNet(1, 10, image_size=_image_size(config), channels=config.channels, hidden=config.hidden),
        config, seed, as_images=True,
    )  # fmt: skip
    ratio = cnn["d_int90"] / fc["d_int90"] if cnn["found"] and fc["found"] else None
    return {"fc": fc, "cnn": cnn, "cnn_to_fc_ratio": ratio, "num_parameters": cnn["D"]}


def verdict_cnn(per_seed: list[Metrics], config: CnnConfig) -> Verdict:
    fc_acc, _, _ = mean_std([m["fc"]["baseline_accuracy"] for m in per_seed])
    cnn_acc, _, _ = mean_std([m["cnn"]["baseline_accuracy"] for m in per_seed])
    if min(fc_acc, cnn_acc) < MIN_BASELINE_ACCURACY:
        return Verdict(
            Outcome.INCONCLUSIVE,
            f"baseline accuracies FC {fc_acc:.3f}, CNN {cnn_acc:.3f}: a network did not learn",
        )
    if abs(fc_acc - cnn_acc) > config.max_accuracy_gap:
        return Verdict(
            Outcome.INCONCLUSIVE,
            f"FC and CNN are not of similar accuracy ({fc_acc:.3f} vs {cnn_acc:.3f}, gap > {config.max_accuracy_gap:g}); "
            "change fc_width or the CNN size",
        )
    if not all(m["fc"]["found"] and m["cnn"]["found"] for m in per_seed):
        return Verdict(
            Outcome.INCONCLUSIVE,
            f"a sweep never reached {config.fraction:.0%} of its baseline up to d = {max(config.dims)}",
        )
    fc_d, fc_sd, _ = mean_std([m["fc"]["d_int90"] for m in per_seed])
    cnn_d, cnn_sd, _ = mean_std([m["cnn"]["d_int90"] for m in per_seed])
    ratio = cnn_d / fc_d
    ok = ratio < 1.0
    values = {
        "FC D": per_seed[0]["fc"]["D"],
        "CNN D": per_seed[0]["cnn"]["D"],
        "FC accuracy": fc_acc,
        "CNN accuracy": cnn_acc,
        "FC d_int90": f"{fc_d:.0f} ± {fc_sd:.0f}",
        "CNN d_int90": f"{cnn_d:.0f} ± {cnn_sd:.0f}",
        "ratio CNN / FC (of means)": ratio,
        "paper ratio (LeNet / FC, MNIST)": PAPER_LENET_DINT90 / PAPER_FC_DINT90,
    }
    reason = (
        f"CNN d_int90 {cnn_d:.0f} ± {cnn_sd:.0f} vs FC {fc_d:.0f} ± {fc_sd:.0f} at accuracies "
        f"{cnn_acc:.3f} / {fc_acc:.3f}: ratio {ratio:.2f} {'<' if ok else '≥'} 1 (paper: 290 / 750 = 0.39)"
    )
    return Verdict(Outcome.REPRODUCED if ok else Outcome.NOT_REPRODUCED, reason, values)


# -- figures --------------------------------------------------------------------------------


def _plot_curves(ax: Any, curves: list[tuple[str, list[list[float]], float, str]]) -> None:
    for label, curve, threshold, colour in curves:
        ds, accs = zip(*curve, strict=True) if curve else ((), ())
        ax.plot(ds, accs, marker="o", ms=3, lw=1, color=colour, alpha=0.6, label=label)
        ax.axhline(threshold, color=colour, ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("subspace dimension d")
    ax.set_ylabel("test accuracy")


def plot_fraction(ax: Any, per_seed: list[Metrics], config: FractionConfig) -> None:
    _plot_curves(
        ax,
        [
            (f"seed {i}" if i == 0 else "_", m["curve"], m["threshold"], "C0")
            for i, m in enumerate(per_seed)
        ],
    )
    for m in per_seed:
        if m["d_int90"]:
            ax.axvline(m["d_int90"], color="C3", lw=1, alpha=0.5)
    ax.set_title("")
    ax.legend(["FC accuracy in a d-dim subspace", "90 % of baseline"], fontsize=8)


def plot_width(ax: Any, per_seed: list[Metrics], config: WidthConfig) -> None:
    for i, w in enumerate(config.widths):
        for j, m in enumerate(per_seed):
            threshold = config.fraction * m["baseline_accuracy"][i]
            _plot_curves(
                ax, [(f"width {w}" if j == 0 else "_", m["curves"][str(w)], threshold, f"C{i}")]
            )
    ax.legend(fontsize=8)


def plot_cnn(ax: Any, per_seed: list[Metrics], config: CnnConfig) -> None:
    for j, m in enumerate(per_seed):
        _plot_curves(
            ax,
            [
                (
                    f"FC width {config.fc_width}" if j == 0 else "_",
                    m["fc"]["curve"],
                    m["fc"]["threshold"],
                    "C0",
                ),
                ("LeNet" if j == 0 else "_", m["cnn"]["curve"], m["cnn"]["threshold"], "C1"),
            ],
        )
    ax.legend(fontsize=8)


# -- presets --------------------------------------------------------------------------------

_SMOKE: dict[str, Any] = {"dims": (20, 80, 320), "epochs": 8, "baseline_epochs": 20}

_FRACTION_QUICK = FractionConfig()
_WIDTH_QUICK = WidthConfig()
_CNN_QUICK = CnnConfig()
# The paper's setting: MNIST (IDX files supplied by the user; nothing is downloaded), FC
# 784-200-200-10 and LeNet-5, a finer d grid around the published crossings; meant for a GPU.
_PAPER: dict[str, Any] = {
    "dataset": "mnist",
    "dims": (100, 150, 200, 300, 400, 500, 600, 750, 900, 1100, 1300, 1600, 2000),
    "epochs": 10,
    "baseline_epochs": 10,
}

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
            tolerance="d_int90 / D ≤ 2 % (mean over seeds); inconclusive if any seed never reaches 90 % of its baseline",
            config_cls=FractionConfig,
            presets={
                "smoke": replace(_FRACTION_QUICK, width=32, **_SMOKE),
                "quick": _FRACTION_QUICK,
                "paper": replace(_FRACTION_QUICK, **_PAPER),
            },
            run=run_fraction,
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
            tolerance="max / min of the per-width mean d_int90 ≤ 2; inconclusive if the widths span < 8× in D",
            config_cls=WidthConfig,
            presets={
                "smoke": replace(_WIDTH_QUICK, widths=(16, 32, 64, 128), **_SMOKE),
                "quick": _WIDTH_QUICK,
                "paper": replace(_WIDTH_QUICK, widths=(50, 100, 200, 400), **_PAPER),
            },
            run=run_width,
            verdict=verdict_width,
            scaled_down=SCALED_DOWN,
            plot=plot_width,
        ),
        Claim(
            key="cnn-lower",
            statement="A convolutional network (LeNet) has a lower d_int90 than a fully connected network of similar accuracy.",
            source="Sec. 3.1 and Table 1 (MNIST LeNet vs FC)",
            metric="cnn_to_fc_ratio",
            paper_value=PAPER_LENET_DINT90 / PAPER_FC_DINT90,
            paper_value_text="LeNet 290 vs FC 750 on MNIST: ratio 0.39 (LeNet value as recalled from Table 1)",
            tolerance="mean CNN d_int90 < mean FC d_int90, with baseline accuracies within 3 points; else inconclusive",
            config_cls=CnnConfig,
            presets={
                "smoke": replace(_CNN_QUICK, fc_width=32, **_SMOKE),
                "quick": _CNN_QUICK,
                "paper": replace(_CNN_QUICK, fc_width=200, **_PAPER),
            },
            run=run_cnn,
            verdict=verdict_cnn,
            scaled_down=SCALED_DOWN + " LeNet with 3×3 kernels (8×8 inputs) instead of 5×5.",
            plot=plot_cnn,
        ),
    ),
)
