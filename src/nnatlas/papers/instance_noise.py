"""A likelihood approach to nonparametric estimation of a singular distribution using deep generative models.

Chae, Kim, Kim, Lin (JMLR 2023, arXiv 2105.04046). Data concentrated on a low-dimensional
structure have a distribution ``P_0`` singular to Lebesgue measure, and the ordinary maximum
likelihood of the deep generative model ``p_{g, σ}(y) = ∫ N(y; g(z), σ² I) dQ(z)`` over
``(g, σ)`` can be inconsistent; perturbing the data with instance noise of a known level,
``Y = X + σ ε``, and fitting ``g`` by maximum likelihood with that ``σ`` gives consistent
estimates ``ĝ # Q`` with Wasserstein rates. Method: :mod:`nnatlas.generative.instance_noise`;
metric: :func:`nnatlas.generative.transport.wasserstein_distance`.

Setting (both claims, one shared sweep per seed): ``n_train + n_test`` points on a curve in
``R^3`` (:func:`nnatlas.data.manifolds.curve`, default the open helix) rotated into
``R^ambient_dim`` (default 10), split into train and held-out test; a ReLU MLP generator
``R^latent_dim -> R^D`` with a standard normal latent; for every ``σ`` of the grid the perturbed
MLE (data perturbed once, ``σ`` fixed), and the unperturbed MLE with a learnable ``σ`` as the
baseline, all fitted by the importance-sampled marginal likelihood with ``num_samples`` prior
draws per point (or the ELBO with an MLP encoder, ``objective="elbo"``), Adam. The metric is
the exact ``W_p`` (POT) between ``n_gen`` samples of ``ĝ # Q`` and the held-out points; the
``floor`` is ``W_p`` between ``n_gen`` training points and the same test points (what a
perfect estimate would score with these sample sizes).

Claims:

* ``perturbation-beats-mle``: at the best ``σ`` of the grid (chosen by the mean over seeds,
  as a user tuning ``σ`` would), the perturbed MLE's ``W_p`` is below the unperturbed MLE's by
  at least ``min_improvement`` (20 %, our reading of "significantly"; the notes' guess) and by
  more than one paired standard error.
* ``u-shape-in-sigma``: ``W_p`` as a function of ``σ`` is U-shaped: its minimum (over the
  mean curve) lies strictly inside the grid and both ends of the grid are worse than it by more
  than one paired standard error.

What is the paper's and what is ours. The paper's: the model, the perturbation, the estimate
``ĝ # Q``, the Wasserstein metric and the qualitative claim ("the proposed data perturbation
technique improves the estimation performance significantly", abstract). Ours: the data (the
notes' suggestion, not the paper's simulation design, which we could not read), the
architecture, the fitting objective (importance sampling / ELBO: the paper's computational
details were not available to us), the σ grid, the 20 % threshold and the U-shape reading
(the theory trades the bias of the noise against the estimation error, which suggests an
interior optimum). No number from the paper is compared.

Measured (quick preset, 3 seeds, 386 s on 2 heavily shared cores): mean W1 to the held-out
points 0.167 / 0.192 / 0.194 / 0.165 / 0.259 at σ = 0.02 / 0.05 / 0.1 / 0.2 / 0.4, the
unperturbed MLE 0.186 (its fitted σ ≈ 0.10), floor ≈ 0.08-0.12: the best σ gains 11 % ± 19 %
(paired s.e. 0.036 in W1) — not the 20 % asked — and only the large-σ side of the U is
resolved. Why, as far as we can tell: seed-to-seed spread of a small generator's fit (sd ≈ 0.03
in W1) is as large as the effects, and with K prior importance samples the unperturbed MLE
cannot drive σ towards 0 (the finite-K bound cannot resolve σ below the spacing of K generated
points, so it behaves like a fixed noise of ≈ 0.1), so the degeneracy the paper's argument rests
on does not appear with this fitting method.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from nnatlas.core.cache import cached_tensors
from nnatlas.core.claims import Claim, Metrics, Outcome, Paper, Verdict, presets
from nnatlas.core.config import ClaimConfig, ensure, param
from nnatlas.core.verdicts import Check, at_least_seeds, judge, paired, stat, values
from nnatlas.data.manifolds import CURVE_NAMES, curve, digits_cloud
from nnatlas.generative.instance_noise import InstanceNoiseModel, fit_generative
from nnatlas.generative.transport import wasserstein_distance
from nnatlas.nn.models import MLP
from nnatlas.runs.context import log_metrics

BIBTEX = """@article{chae2023likelihood,
  title   = {A Likelihood Approach to Nonparametric Estimation of a Singular Distribution Using Deep Generative Models},
  author  = {Chae, Minwoo and Kim, Dongha and Kim, Yongdai and Lin, Lizhen},
  journal = {Journal of Machine Learning Research},
  volume  = {24},
  year    = {2023},
  url     = {https://arxiv.org/abs/2105.04046}
}"""

_DATASETS = (*CURVE_NAMES, "digits")
_CACHE_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class SweepConfig(ClaimConfig):
    """The shared sweep: data, model, fitting and the σ grid.

    Attributes:
        dataset: a curve of :data:`nnatlas.data.manifolds.CURVE_NAMES` or ``"digits"`` (64-D,
            pixels in ``[0, 1]``; the sizes then come from the 80/20 split of its 1797 images).
        ambient_dim: ``D`` for the curves.
        n_train: training points (curves).
        n_test: held-out points (curves).
        n_gen: generated samples compared with the test points.
        latent_dim: ``d``.
        width: hidden width of the generator (two hidden layers; the encoder likewise).
        sigmas: instance-noise levels of the perturbed MLE, increasing.
        sigma_init: the unperturbed MLE's initial ``σ``.
        objective: ``"iwae"`` (importance-sampled marginal likelihood, prior proposal) or
            ``"elbo"`` (VAE with an MLP encoder).
        num_samples: latent draws per point and step.
        epochs: passes over the training data.
        batch_size: points per step.
        lr: Adam learning rate.
        p: order of the Wasserstein distance.
    """

    dataset: str = param("helix", choices=_DATASETS)
    ambient_dim: int = param(10, ge=3)
    n_train: int = param(2000, ge=2)
    n_test: int = param(1000, ge=2)
    n_gen: int = param(1000, ge=2)
    latent_dim: int = param(1, ge=1)
    width: int = param(64, ge=1)
    sigmas: tuple[float, ...] = param((0.02, 0.05, 0.1, 0.2, 0.4), gt=0, min_len=3, increasing=True)
    sigma_init: float = param(0.1, gt=0)
    objective: str = param("iwae", choices=("iwae", "elbo"))
    num_samples: int = param(32, ge=1)
    epochs: int = param(60, ge=1)
    batch_size: int = param(200, ge=1)
    lr: float = param(2e-3, gt=0)
    p: float = param(1.0, ge=1)

    def validate(self) -> None:
        ensure(
            self,
            self.n_gen <= self.n_train,
            "n_gen must be <= n_train (the floor uses n_gen training points)",
        )


@dataclass(frozen=True, kw_only=True)
class BeatsConfig(SweepConfig):
    """Claim ``perturbation-beats-mle``.

    Attributes:
        min_improvement: required relative improvement ``1 - W_perturbed / W_unperturbed``.
    """

    min_improvement: float = param(0.2, gt=0, lt=1)


@dataclass(frozen=True, kw_only=True)
class UShapeConfig(SweepConfig):
    """Claim ``u-shape-in-sigma`` (no extra field: the rule is fixed)."""


def _sweep_params(config: SweepConfig, seed: int) -> dict[str, Any]:
    fields = {k: v for k, v in asdict(config).items() if k in SweepConfig.__dataclass_fields__}
    return {**fields, "seed": seed}


def _data(config: SweepConfig, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    if config.dataset == "digits":
        return digits_cloud(seed=seed)
    x = curve(
        config.n_train + config.n_test, name=config.dataset, ambient_dim=config.ambient_dim,
        seed=seed,
    ).x  # fmt: skip
    return x[: config.n_train], x[config.n_train :]


def _model(
    config: SweepConfig, dim: int, sigma: float, learn: bool, seed: int
) -> InstanceNoiseModel:
    torch.manual_seed(seed)  # the initial weights (the global RNG is the one nn.Linear uses)
    hidden = [config.width, config.width]
    decoder = MLP(config.latent_dim, hidden, dim, activation="relu")
    encoder = MLP(dim, hidden, 2 * config.latent_dim) if config.objective == "elbo" else None
    return InstanceNoiseModel(decoder, config.latent_dim, sigma, learn_sigma=learn, encoder=encoder)


def _sweep(config: SweepConfig, seed: int) -> dict[str, torch.Tensor]:
    """``W_p`` of every σ of the grid, of the unperturbed MLE, its fitted σ, and the floor."""
    train, test = _data(config, seed)
    generator = torch.Generator().manual_seed(seed)
    floor = wasserstein_distance(train[: config.n_gen], test, p=config.p)
    w_sigma = []
    runs: list[tuple[float | None, float]] = [(s, s) for s in config.sigmas]
    runs.append((None, config.sigma_init))
    fitted_sigma = w_mle = float("nan")
    for noise, sigma in runs:
        model = _model(config, train.shape[1], sigma, noise is None, seed)
        fit_generative(
            model, train, instance_noise=noise, objective=config.objective,
            epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
            num_samples=config.num_samples, generator=generator,
        )  # fmt: skip
        w = wasserstein_distance(model.sample(config.n_gen, generator=generator), test, p=config.p)
        log_metrics(sigma=-1.0 if noise is None else noise, w=w, fitted_sigma=model.sigma)
        if noise is None:
            w_mle, fitted_sigma = w, model.sigma
        else:
            w_sigma.append(w)
    return {
        "w_sigma": torch.tensor(w_sigma, dtype=torch.float64),
        "w_mle": torch.tensor(w_mle, dtype=torch.float64),
        "mle_sigma": torch.tensor(fitted_sigma, dtype=torch.float64),
        "floor": torch.tensor(floor, dtype=torch.float64),
    }


def run_sweep(config: SweepConfig, seed: int) -> Metrics:
    # both claims run the same sweep: the on-disk cache lets the second reuse the first's fits
    out = cached_tensors(
        "instance-noise", "sweep", _sweep_params(config, seed), lambda: _sweep(config, seed),
        version=_CACHE_VERSION,
    )  # fmt: skip
    w = out["w_sigma"].tolist()
    best = min(range(len(w)), key=w.__getitem__)
    return {
        "sigmas": list(config.sigmas),
        "w_sigma": w,
        "w_mle": float(out["w_mle"]),
        "mle_sigma": float(out["mle_sigma"]),
        "floor": float(out["floor"]),
        "w_best": w[best],
        "best_sigma": config.sigmas[best],
    }


def _curve(per_seed: list[Metrics], k: int) -> list[list[float]]:
    return [values(per_seed, "w_sigma", i) for i in range(k)]


def verdict_beats(per_seed: list[Metrics], config: BeatsConfig) -> Verdict:
    at_least_seeds(per_seed, 2)
    curves = _curve(per_seed, len(config.sigmas))
    means = [stat(c).mean for c in curves]
    best = min(range(len(means)), key=means.__getitem__)
    mle = values(per_seed, "w_mle")
    cmp = paired(curves[best], mle, higher_is_better=False)
    gain = 1.0 - cmp.a.mean / cmp.b.mean
    name = f"relative W improvement at σ = {config.sigmas[best]:g} over the unperturbed MLE"
    table = cmp.table(f"perturbed (σ = {config.sigmas[best]:g})", "unperturbed MLE") | {
        "floor (train vs test sample)": stat(values(per_seed, "floor")).mean,
        "unperturbed MLE fitted σ": stat(values(per_seed, "mle_sigma")).mean,
    }
    table |= {f"W at σ = {s:g}": m for s, m in zip(config.sigmas, means, strict=True)}
    checked = judge(
        [Check(name, gain, ">=", config.min_improvement, ".3g")], values=table,
        prefix=f"over {len(per_seed)} seeds",
    )  # fmt: skip
    noise = cmp.describe("perturbed", "unperturbed")
    if checked.outcome is not Outcome.REPRODUCED:
        return Verdict(checked.outcome, f"{checked.reason}; {noise}", checked.values)
    outcome = cmp.outcome(1.0)
    tail = "" if outcome is Outcome.REPRODUCED else " — but within one standard error"
    return Verdict(outcome, f"{checked.reason}; {noise}{tail}", checked.values)


def verdict_u_shape(per_seed: list[Metrics], config: UShapeConfig) -> Verdict:
    at_least_seeds(per_seed, 2)
    sig = config.sigmas
    curves = _curve(per_seed, len(sig))
    means = [stat(c).mean for c in curves]
    best = min(range(len(means)), key=means.__getitem__)
    table: dict[str, Any] = {f"W at σ = {s:g}": m for s, m in zip(sig, means, strict=True)}
    table["σ of the minimum"] = sig[best]
    if best in (0, len(sig) - 1):
        side = "smallest" if best == 0 else "largest"
        return Verdict(
            Outcome.NOT_REPRODUCED,
            f"the mean W over {len(per_seed)} seeds is smallest at the {side} σ of the grid "
            f"({sig[best]:g}): no interior minimum",
            table,
        )
    lo = paired(curves[best], curves[0], higher_is_better=False)
    hi = paired(curves[best], curves[-1], higher_is_better=False)
    table |= {"gain over smallest σ": lo.effect, "s.e. (smallest)": lo.se,
              "gain over largest σ": hi.effect, "s.e. (largest)": hi.se}  # fmt: skip
    reason = (
        f"mean W minimal at interior σ = {sig[best]:g}; vs σ = {sig[0]:g}: "
        f"{lo.describe(f'σ={sig[best]:g}', f'σ={sig[0]:g}')}; vs σ = {sig[-1]:g}: "
        f"{hi.describe(f'σ={sig[best]:g}', f'σ={sig[-1]:g}')}"
    )
    if lo.beats(1.0) and hi.beats(1.0):
        return Verdict(Outcome.REPRODUCED, f"{reason} — both ends worse beyond one s.e.", table)
    return Verdict(Outcome.INCONCLUSIVE, f"{reason} — an end within one s.e.", table)


def plot_sweep(ax: Any, per_seed: list[Metrics], config: SweepConfig) -> None:
    for i, m in enumerate(per_seed):
        ax.plot(m["sigmas"], m["w_sigma"], marker="o", color="C0", alpha=0.6,
                label="perturbed MLE" if i == 0 else "_")  # fmt: skip
        ax.axhline(
            m["w_mle"], color="C3", ls="--", lw=1, label="unperturbed MLE" if i == 0 else "_"
        )
        ax.axhline(m["floor"], color="0.5", ls=":", lw=1, label="floor" if i == 0 else "_")
    ax.set(xscale="log", xlabel="instance noise σ", ylabel=f"W{config.p:g} to held-out data")
    ax.legend(fontsize=8)


_SMOKE = {
    "n_train": 200, "n_test": 100, "n_gen": 100, "width": 16, "sigmas": (0.05, 0.2, 0.4),
    "num_samples": 8, "epochs": 3, "batch_size": 100,
}  # fmt: skip
_PAPER = {
    "dataset": "digits", "latent_dim": 5, "width": 256, "sigmas": (0.02, 0.05, 0.1, 0.2, 0.3),
    "n_gen": 1400, "num_samples": 256, "epochs": 500, "batch_size": 128, "p": 2.0,
}  # fmt: skip
BEATS = presets(BeatsConfig(), smoke=_SMOKE, paper=_PAPER)
USHAPE = presets(UShapeConfig(), smoke=_SMOKE, paper=_PAPER)

_SCALED = (
    "a helix in R^10, n = 2000, 2×64 ReLU generator, 60 epochs, 32 prior importance samples, "
    "σ ∈ {0.02, 0.05, 0.1, 0.2, 0.4}, W1 on 1000 vs 1000 points (the paper preset: digits at "
    "64-D, latent 5, W2)"
)

_PEER = "no runnable peer: the paper has no public code; not run"

# fmt: off
PAPER = Paper(
    key="instance-noise",
    title=(
        "A likelihood approach to nonparametric estimation of a singular distribution using "
        "deep generative models"
    ),
    authors="Minwoo Chae, Dongha Kim, Yongdai Kim, Lizhen Lin",
    year=2023,
    venue="JMLR",
    arxiv="2105.04046",
    bibtex=BIBTEX,
    family="generative",
    summary=(
        "Data on a low-dimensional structure make the ordinary likelihood of a deep generative "
        "model degenerate; perturbing the data with known instance noise and fitting by maximum "
        "likelihood with that σ estimates the distribution consistently. We fit both on a curve "
        "in R^10 and compare the Wasserstein distance of the generated samples to held-out data "
        "across σ."
    ),
    components=(
        "nnatlas.generative.instance_noise.InstanceNoiseModel",
        "nnatlas.generative.instance_noise.fit_generative",
        "nnatlas.generative.instance_noise.perturb",
        "nnatlas.generative.instance_noise.sigma_rule",
        "nnatlas.generative.transport.wasserstein_distance",
        "nnatlas.generative.transport.sliced_wasserstein",
        "nnatlas.data.manifolds.curve",
    ),
    claims=(
        Claim(
            key="perturbation-beats-mle", metric="w_best", paper_value=None,  # per-seed best σ
            statement=(
                "On data supported on a curve in R^10, the perturbed MLE (instance noise of a "
                "known σ) estimates the distribution with a lower Wasserstein distance than the "
                "unperturbed MLE with a learnable σ."
            ),
            source="Abstract and the numerical study (\"improves the estimation performance significantly\")",
            paper_value_text=(
                "no number compared (the paper's tables were not available to us); our notes "
                "guessed ≥ 20 % lower W1"
            ),
            tolerance=(
                f"1 − W(best σ) / W(unperturbed) ≥ {BEATS['quick'].min_improvement:g} and the "
                "paired improvement beyond one s.e. (best σ by the mean over seeds)"
            ),
            scaled_down=_SCALED,
            peer=_PEER,
            config_cls=BeatsConfig, presets=BEATS, run=run_sweep, verdict=verdict_beats,
            plot=plot_sweep,
        ),
        Claim(
            key="u-shape-in-sigma", metric="best_sigma", paper_value=None,
            statement=(
                "The Wasserstein error of the perturbed MLE is U-shaped in the instance-noise "
                "level σ: too little noise leaves the likelihood degenerate, too much blurs the "
                "estimate."
            ),
            source="The rate analysis (σ chosen as a function of n balances the two errors)",
            paper_value_text="no number in the paper; our notes' expectation",
            tolerance=(
                "the minimum of the mean W over the σ grid is interior and both ends are worse "
                "than it by more than one paired s.e."
            ),
            scaled_down=_SCALED,
            peer=_PEER,
            config_cls=UShapeConfig, presets=USHAPE, run=run_sweep, verdict=verdict_u_shape,
            plot=plot_sweep,
        ),
    ),
)
# fmt: on
