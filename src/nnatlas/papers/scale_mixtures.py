"""Scale Mixtures of Neural Network Gaussian Processes (Lee, Yun, Yang, Lee; ICLR 2022).

arXiv: 2107.01408. The method (:mod:`nnatlas.kernels.scale_mixture`) puts a prior on the
variance σ² of an infinitely wide network's last layer; with an inverse-gamma prior the NNGP
becomes a Student-t process with a closed-form regression predictive, and classification uses
variational inference over the latents and σ².

Claims tested here, at CPU scale, where the paper makes them ("heavy-tailed processes are robust
to out-of-distribution data, in regression and classification"):

* ``regression-outliers``: with few training points (n = 15, 1-D sine) and a test set in which
  10 % of the targets are outliers, the t-process (inverse-gamma mixture, shape a = 1, scale and
  noise fitted by evidence) has a lower test negative log-likelihood than the NNGP (scale and
  noise fitted by evidence) by at least 0.05 nats per point.
* ``classification-corruption``: on scikit-learn digits (300 training images), the variational
  t-process classifier has a lower test NLL than the variational NNGP classifier on test images
  corrupted with Gaussian pixel noise (the strongest corruption level of the config).

Our notes warn, and measured, that in conjugate regression with n ≳ 50 the t-process predictive
has 2a + n degrees of freedom and is indistinguishable from the GP; the claims are therefore
tested at small n with outliers and in classification under input corruption, as the notes
recommend. The outlier setting is our construction (the paper's regression experiments shift
UCI test inputs); the NLL margin 0.05 is the notes' guess, fixed before the runs.

Deviations: scikit-learn digits instead of MNIST/CIFAR with corruptions; full-data mean-field
variational inference in whitened coordinates instead of the paper's sparse inducing-point
variational inference; a 3-hidden-layer ReLU NNGP (σ_w² = 2, σ_b² = 0.1) without
hyperparameter search over the architecture; inverse-gamma prior (2, 2) for classification
(the official regression default) rather than a tuned one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from nnatlas.core.claims import Claim, Metrics, Outcome, Paper, Verdict, presets
from nnatlas.core.config import ClaimConfig, param
from nnatlas.core.verdicts import Check, judge, stat, threshold, values
from nnatlas.data import load_digits
from nnatlas.kernels import (
    Dense,
    InverseGamma,
    ReLU,
    expected_calibration_error,
    fit_regression_hyperparameters,
    fit_scale_mixture_classifier,
    gaussian_posterior,
    serial,
    student_t_posterior,
)
from nnatlas.runs.context import log_metrics

BIBTEX = """@inproceedings{lee2022scale,
  title     = {Scale Mixtures of Neural Network {G}aussian Processes},
  author    = {Lee, Hyungi and Yun, Eunggu and Yang, Hongseok and Lee, Juho},
  booktitle = {International Conference on Learning Representations},
  year      = {2022},
  url       = {https://arxiv.org/abs/2107.01408}
}"""


@dataclass(frozen=True, kw_only=True)
class KernelConfig(ClaimConfig):
    """The NNGP: ``depth`` hidden ReLU layers, weight variance ``sigma_w2``, bias ``sigma_b2``."""

    depth: int = param(3, ge=1)
    sigma_w2: float = param(2.0, gt=0)
    sigma_b2: float = param(0.1, ge=0)


@dataclass(frozen=True, kw_only=True)
class RegressionConfig(KernelConfig):
    """Claim ``regression-outliers``: 1-D sine regression with outlying test targets.

    Attributes:
        n_train, n_test: training and test points (inputs uniform on [−π, π]).
        noise_std: observation noise of the clean targets ``sin(2x) + ε``.
        outlier_fraction: fraction of test targets perturbed by ``N(0, outlier_std²)``.
        outlier_std: size of those perturbations.
        alpha: inverse-gamma shape of the t-process (held fixed; β and noise are fitted).
        fit_steps: Adam steps of evidence maximisation.
        repeats: independent data sets per seed (averaged).
        min_gain: the t-process must beat the GP by this many nats per test point.
    """

    n_train: int = param(15, ge=1)
    n_test: int = param(300, ge=1)
    noise_std: float = param(0.1, gt=0)
    outlier_fraction: float = param(0.1, gt=0, le=1)
    outlier_std: float = param(1.0, gt=0)
    alpha: float = param(1.0, gt=0)
    fit_steps: int = param(300, ge=1)
    repeats: int = param(10, ge=1)
    min_gain: float = param(0.05, ge=0)


@dataclass(frozen=True, kw_only=True)
class ClassificationConfig(KernelConfig):
    """Claim ``classification-corruption``: digits with Gaussian pixel noise at test time.

    Attributes:
        n_train: training images (a seeded subset of the digits training split).
        noise_levels: standard deviations of the test-time pixel noise (standardised pixels),
            increasing; the verdict uses the largest (the last).
        alpha, beta: inverse-gamma prior of the t-process.
        steps, lr, num_samples: variational optimisation (Adam, Monte Carlo draws per step).
        predict_samples: Monte Carlo draws for predictive probabilities.
        margin: NLL differences smaller than this (nats/point) count as a tie (inconclusive);
            the Monte Carlo and optimisation noise of one run is of order 0.005.
    """

    n_train: int = param(300, ge=1)
    noise_levels: tuple[float, ...] = param((0.0, 1.0, 2.0), ge=0, min_len=1, increasing=True)
    alpha: float = param(2.0, gt=0)
    beta: float = param(2.0, gt=0)
    steps: int = param(500, ge=1)
    lr: float = param(0.05, gt=0)
    num_samples: int = param(8, ge=1)
    predict_samples: int = param(256, ge=1)
    margin: float = param(0.02, ge=0)


def _network(config: KernelConfig) -> Any:
    sw, sb = math.sqrt(config.sigma_w2), math.sqrt(config.sigma_b2)
    layers: list[Any] = []
    for _ in range(config.depth):
        layers += [Dense(sw, sb), ReLU()]
    return serial(*layers, Dense(sw, sb))


def _mean(per_seed: list[Metrics], *path: str | int) -> float:
    return stat(values(per_seed, *path)).mean


# -- claim: regression with outliers --------------------------------------------------------


def _regression_once(config: RegressionConfig, net: Any, generator: torch.Generator) -> Metrics:
    def inputs(n: int) -> torch.Tensor:
        return (torch.rand(n, 1, generator=generator, dtype=torch.float64) * 2 - 1) * math.pi

    def targets(x: torch.Tensor) -> torch.Tensor:
        noise = config.noise_std * torch.randn(x.shape[0], generator=generator, dtype=torch.float64)
        return torch.sin(2 * x[:, 0]) + noise

    x, xt = inputs(config.n_train), inputs(config.n_test)
    y, yt = targets(x), targets(xt)
    outlier = torch.rand(config.n_test, generator=generator) < config.outlier_fraction
    yt_out = yt + outlier * config.outlier_std * torch.randn(
        config.n_test, generator=generator, dtype=torch.float64
    )
    # A constant second feature gives the 1-D inputs a bias direction on the sphere.
    feats = [torch.cat([a, torch.ones_like(a)], 1) for a in (x, xt)]
    k = net(feats[0], get="nngp").nngp
    kx = net(feats[1], feats[0], get="nngp").nngp
    kd = net.diagonal(feats[1])[0]
    gfit = fit_regression_hyperparameters(k, y, process="gaussian", steps=config.fit_steps)
    tfit = fit_regression_hyperparameters(
        k, y, process="student_t", alpha=config.alpha, steps=config.fit_steps
    )
    assert gfit.scale is not None and tfit.alpha is not None and tfit.beta is not None
    gp = gaussian_posterior(k, y, kx, kd, scale=gfit.scale, noise=gfit.noise)
    tp = student_t_posterior(
        k, y, kx, kd, prior=InverseGamma(tfit.alpha, tfit.beta), noise=tfit.noise
    )
    return {
        "gp_nll_clean": float(-gp.log_prob(yt).mean()),
        "tp_nll_clean": float(-tp.log_prob(yt).mean()),
        "gp_nll_outliers": float(-gp.log_prob(yt_out).mean()),
        "tp_nll_outliers": float(-tp.log_prob(yt_out).mean()),
        "tp_df": tp.df,
    }


def run_regression(config: RegressionConfig, seed: int) -> Metrics:
    generator = torch.Generator().manual_seed(seed)
    net = _network(config)
    reps = []
    for r in range(config.repeats):
        m = _regression_once(config, net, generator)
        log_metrics(step=r, **m)
        reps.append(m)
    agg = {key: sum(m[key] for m in reps) / len(reps) for key in reps[0]}
    return {
        **agg,
        "nll_gain_outliers": agg["gp_nll_outliers"] - agg["tp_nll_outliers"],
        "nll_gain_clean": agg["gp_nll_clean"] - agg["tp_nll_clean"],
        "repeats": reps,
    }


def verdict_regression(per_seed: list[Metrics], config: RegressionConfig) -> Verdict:
    gain = stat(values(per_seed, "nll_gain_outliers"))
    table = {
        "GP test NLL with outliers": _mean(per_seed, "gp_nll_outliers"),
        "t-process test NLL with outliers": _mean(per_seed, "tp_nll_outliers"),
        "NLL gain with outliers (GP − TP), mean ± sd": str(gain),
        "NLL gain on clean targets (GP − TP), mean ± sd": str(
            stat(values(per_seed, "nll_gain_clean"))
        ),
    }
    prefix = f"{config.outlier_fraction:.0%} outlying test targets, {gain.n} seed(s)"
    return threshold("NLL gain with outliers (GP − TP, nats/point)", gain.mean, ">=",
                     config.min_gain, fmt=".3g", values=table, prefix=prefix)  # fmt: skip


# -- claim: classification under corruption -------------------------------------------------


def run_classification(config: ClassificationConfig, seed: int) -> Metrics:
    data = load_digits(seed=0, dtype=torch.float64)
    generator = torch.Generator().manual_seed(seed)
    idx = torch.randperm(data.x_train.shape[0], generator=generator)[: config.n_train]
    x, y = data.x_train[idx], data.y_train[idx]
    net = _network(config)
    k = net(x, get="nngp").nngp
    fits = {
        name: fit_scale_mixture_classifier(
            k,
            y,
            data.num_classes,
            prior=prior,
            steps=config.steps,
            lr=config.lr,
            num_samples=config.num_samples,
            generator=torch.Generator().manual_seed(seed + 1),
        )
        for name, prior in (("tp", InverseGamma(config.alpha, config.beta)), ("gp", None))
    }
    out: Metrics = {"levels": list(config.noise_levels)}
    for name in fits:
        for metric in ("nll", "ece", "accuracy"):
            out[f"{name}_{metric}"] = []
    for level in config.noise_levels:
        noise = torch.randn(data.x_test.shape, generator=generator, dtype=torch.float64)
        xt = data.x_test + level * noise
        kx = net(xt, x, get="nngp").nngp
        kd = net.diagonal(xt)[0]
        for name, fit in fits.items():
            p = fit.predict_proba(
                kx,
                kd,
                num_samples=config.predict_samples,
                generator=torch.Generator().manual_seed(seed + 2),
            )
            nll = float(-torch.log(p.gather(1, data.y_test[:, None]).clamp_min(1e-300)).mean())
            out[f"{name}_nll"].append(nll)
            out[f"{name}_ece"].append(expected_calibration_error(p, data.y_test))
            out[f"{name}_accuracy"].append(float((p.argmax(1) == data.y_test).double().mean()))
        log_metrics(step=None, level=level, tp_nll=out["tp_nll"][-1], gp_nll=out["gp_nll"][-1])
    tp_post = fits["tp"].posterior
    out["tp_posterior_alpha"] = None if tp_post is None else tp_post.alpha
    out["tp_posterior_beta"] = None if tp_post is None else tp_post.beta
    out["gp_scale"] = fits["gp"].scale
    out["nll_gain_corrupted"] = out["gp_nll"][-1] - out["tp_nll"][-1]
    return out


def verdict_classification(per_seed: list[Metrics], config: ClassificationConfig) -> Verdict:
    gain = stat(values(per_seed, "nll_gain_corrupted"))
    table: dict[str, Any] = {
        f"{name.upper()} {metric} @ noise {level:g}": _mean(per_seed, f"{name}_{metric}", i)
        for i, level in enumerate(config.noise_levels)
        for name in ("tp", "gp")
        for metric in ("nll", "ece", "accuracy")
    }
    table["NLL gain at the strongest corruption (GP − TP), mean ± sd"] = str(gain)
    # A gain within ±margin is a tie (inconclusive); beyond −margin the t-process is worse.
    check = Check(f"NLL gain (GP − TP) at pixel noise {config.noise_levels[-1]:g}", gain.mean,
                  ">=", config.margin, ".4f")  # fmt: skip
    on_fail = Outcome.NOT_REPRODUCED if gain.mean <= -config.margin else Outcome.INCONCLUSIVE
    prefix = f"mean over {gain.n} seed(s); tie margin ±{config.margin:g}"
    return judge([check], values=table, prefix=prefix, on_fail=on_fail)


def plot_classification(ax: Any, per_seed: list[Metrics], config: ClassificationConfig) -> None:
    levels = list(config.noise_levels)
    for name, colour, label in (("tp", "C0", "t-process"), ("gp", "C1", "NNGP")):
        means = [_mean(per_seed, f"{name}_nll", i) for i in range(len(levels))]
        ax.plot(levels, means, marker="o", color=colour, label=label)
    ax.set(xlabel="test pixel-noise std", ylabel="test NLL")
    ax.legend(fontsize=8)


# -- presets --------------------------------------------------------------------------------

SCALED_DOWN = (
    "A 3-hidden-layer ReLU NNGP with fixed σ_w² = 2, σ_b² = 0.1 (no architecture search); "
    "synthetic 1-D regression with outlying test targets instead of UCI data sets with shifted "
    "inputs; scikit-learn digits (300 training images, 359 test images) with Gaussian pixel noise "
    "instead of corrupted MNIST/CIFAR; full-data mean-field variational inference instead of "
    "sparse inducing-point inference."
)

# fmt: off
PAPER = Paper(
    key="scale-mixtures-nngp",
    title="Scale Mixtures of Neural Network Gaussian Processes",
    authors="Hyungi Lee, Eunggu Yun, Hongseok Yang, Juho Lee",
    year=2022,
    venue="ICLR",
    arxiv="2107.01408",
    bibtex=BIBTEX,
    family="kernels",
    summary=(
        "A prior on the variance of an infinitely wide network's last layer turns the NNGP into a "
        "scale mixture of Gaussian processes; an inverse-gamma prior gives a Student-t process with "
        "closed-form regression, and classification uses variational inference over the latents and "
        "the scale. The paper reports that these heavy-tailed processes are more robust to "
        "out-of-distribution data. We test that claim where it can show: small-n regression with "
        "outlying test targets, and digit classification with noisy test images."
    ),
    components=(
        "nnatlas.kernels.scale_mixture.InverseGamma",
        "nnatlas.kernels.scale_mixture.student_t_posterior",
        "nnatlas.kernels.scale_mixture.student_t_log_marginal_likelihood",
        "nnatlas.kernels.scale_mixture.importance_sampling_posterior",
        "nnatlas.kernels.scale_mixture.fit_scale_mixture_classifier",
    ),
    claims=(
        Claim(
            key="regression-outliers", metric="nll_gain_outliers", paper_value=None,
            statement=(
                "With few training points, the Student-t process (inverse-gamma scale mixture of the NNGP) "
                "is more robust than the NNGP to outlying test targets: lower test NLL."
            ),
            source="Abstract and Sec. 5 (regression robustness to out-of-distribution data)",
            paper_value_text="t-process more robust than the NNGP (UCI regression; exact numbers not verified)",
            tolerance=(
                f"mean NLL gain (GP − TP) with outliers ≥ {RegressionConfig().min_gain:g} "
                "nats/point (the notes' guess, fixed before the runs)"
            ),
            presets=presets(
                RegressionConfig(),
                smoke={"repeats": 1, "n_test": 50, "fit_steps": 40},
                paper={"repeats": 50, "n_test": 2000},
            ),
            scaled_down=SCALED_DOWN,
            config_cls=RegressionConfig, run=run_regression, verdict=verdict_regression,
        ),
        Claim(
            key="classification-corruption", metric="nll_gain_corrupted", paper_value=None,
            peer=(
                'no runnable peer: the official code (yuneg11/Scale-Mixtures-of-NNGP) is '
                'JAX/objax with no licence file and not on PyPI; not run'
            ),
            statement=(
                "The variational t-process classifier has a lower test NLL than the NNGP classifier on "
                "corrupted (noisy) test images."
            ),
            source="Abstract and Sec. 5 (classification under corruption / distribution shift)",
            paper_value_text="t-process lower NLL than NNGP on corrupted image data (tables not retrieved)",
            tolerance=(
                "mean NLL gain (GP − TP) at the strongest pixel noise ≥ margin "
                f"({ClassificationConfig().margin:g} nats): reproduced; ≤ −margin: not "
                "reproduced; in between: inconclusive (a tie)"
            ),
            presets=presets(
                ClassificationConfig(),
                smoke={
                    "n_train": 60,
                    "steps": 40,
                    "predict_samples": 32,
                    "noise_levels": (0.0, 2.0),
                },
                paper={"n_train": 1438, "steps": 3000, "noise_levels": (0.0, 0.5, 1.0, 2.0, 4.0)},
            ),
            scaled_down=SCALED_DOWN,
            config_cls=ClassificationConfig, run=run_classification, verdict=verdict_classification,
            plot=plot_classification,
        ),
    ),
)
# fmt: on
