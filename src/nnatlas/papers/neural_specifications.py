"""Towards Reliable Neural Specifications (Geng, Le, Xu, Wang, Gurfinkel, Si; ICML 2023).

arXiv: 2210.16114. The method (``nnatlas.probes.nap`` and ``nnatlas.probes.verify``) mines
one *neural activation pattern* (NAP) per class from a ReLU network — neurons active on at
least a fraction δ of the class's inputs are fixed active, those active on at most 1 − δ fixed
inactive — and uses "pattern matches NAP_ℓ ⇒ class ℓ" as a specification, checked empirically
(recall and precision on held-out data) and formally over input regions (IBP with NAP-fixed
neurons, an exact MILP, PGD falsification, certified L∞ radius with and without the NAP).

δ convention (as in the paper's Algorithm 1 and the official code): δ is the agreement a
neuron needs to be fixed, so a *larger* δ fixes *fewer* neurons, enlarges the NAP region,
and raises recall while lowering precision; δ = 1 is the strict, unrelaxed NAP.

Claims tested here, at CPU scale on scikit-learn digits (pixels scaled to [0, 1]) with a
64-32-32-10 ReLU MLP instead of MNIST with 256-wide VNN-COMP networks:

* ``recall-at-delta``: at δ = 0.95 the NAPs recall ≈ 84 % of held-out inputs (paper: 84 % on
  MNIST).
* ``delta-tradeoff``: recall rises and precision falls as δ grows.
* ``nap-bounds-sound-and-tighter``: IBP bounds with NAP-fixed neurons are never contradicted by
  any point found inside the NAP region (PGD, random sampling, exact MILP) and are never looser
  than plain IBP; the full-domain check "input box ∩ NAP_ℓ ⇒ ℓ" is reported per class.
* ``certified-radius``: the L∞ radius certified around correctly classified inputs is larger
  with the NAP constraint than without (paper: 10× on CIFAR-10).

Deviations from the paper: Marabou is replaced by IBP and CROWN-style linear bounds with
NAP-fixed neurons (sound, incomplete) and a big-M MILP
solved by HiGHS (exact, slow beyond small nets; used where the preset affords it); digits and a
small MLP instead of MNIST / CIFAR-10 benchmark networks; NAPs mined from true labels of the
training split; recall and precision micro-averaged over classes; non-ambiguity only checked
syntactically (a conflicting neuron).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor

from nnatlas.core.claims import ANY_DEVICE, Claim, Metrics, Paper, Verdict, presets
from nnatlas.core.config import ClaimConfig, ensure, param
from nnatlas.core.device import current_device
from nnatlas.core.verdicts import Check, guard, judge, stat, values
from nnatlas.data import load_digits, load_mnist
from nnatlas.nn import MLP
from nnatlas.probes.nap import (
    activation_patterns,
    mine_naps_from_patterns,
    nap_statistics,
    non_ambiguity,
    relu_layers,
)
from nnatlas.probes.verify import (
    affine_layers,
    certified_radius,
    crown_margin_lower_bounds,
    forward_margins,
    interval_bounds,
    margin_lower_bounds,
    milp_margins,
    pgd_in_nap,
)
from nnatlas.runs.context import log_metrics
from nnatlas.train.loop import accuracy, fit

BIBTEX = """@inproceedings{geng2023towards,
  title     = {Towards Reliable Neural Specifications},
  author    = {Geng, Chuqin and Le, Nham and Xu, Xiaojie and Wang, Zhaoyue and Gurfinkel, Arie and Si, Xujie},
  booktitle = {Proceedings of the 40th International Conference on Machine Learning},
  series    = {Proceedings of Machine Learning Research},
  volume    = {202},
  year      = {2023},
  url       = {https://arxiv.org/abs/2210.16114}
}"""

PAPER_RECALL = 0.84  # abstract: "still recalling 84% of the data on MNIST"
PAPER_RADIUS_GAIN = 10.0  # abstract: "push the verifiable bound to 10 times larger on CIFAR10"

_SOUND_TOL = 1e-6  # float64 bounds vs float64 forward passes; MILP optima to HiGHS tolerances


@dataclass(frozen=True, kw_only=True)
class NapConfig(ClaimConfig):
    """What every NAP claim shares: the data, the network and its training.

    Attributes:
        dataset: ``digits`` (bundled with scikit-learn) or ``mnist`` (IDX files you provide:
            see :func:`nnatlas.data.load_mnist`; the ``paper`` presets use it). Pixels are
            scaled to [0, 1], which is also the verification domain.
        hidden: hidden widths of the ReLU MLP.
        epochs, lr, weight_decay, batch_size: Adam training.
        test_size: held-out fraction of digits (stratified, split seed 0; MNIST keeps its
            official split).
        min_accuracy: below this test accuracy the network failed and the claim is
            inconclusive.
    """

    dataset: Literal["digits", "mnist"] = "digits"
    hidden: tuple[int, ...] = param((32, 32), ge=1, min_len=1)
    epochs: int = param(200, ge=1)
    lr: float = param(1e-3, gt=0)
    weight_decay: float = param(0.0, ge=0)
    batch_size: int = param(128, ge=1)
    test_size: float = param(0.3, gt=0, lt=1)
    min_accuracy: float = param(0.9, ge=0, le=1)


# δ > 1/2: a neuron cannot be both "active on ≥ δ" and "active on ≤ 1 − δ" of a class.
def _delta(default: float) -> Any:
    return param(default, gt=0.5, le=1)


@dataclass(frozen=True, kw_only=True)
class RecallConfig(NapConfig):
    """Claim ``recall-at-delta``: recall of δ-NAPs mined on train, measured on test; the
    rule allows ``tolerance`` (a share, not points) either side of the paper's 84 %."""

    delta: float = _delta(0.95)
    tolerance: float = param(0.10, gt=0, le=1)


@dataclass(frozen=True, kw_only=True)
class TradeoffConfig(NapConfig):
    """Claim ``delta-tradeoff``: recall and precision over a grid of δ (strictly ascending)."""

    deltas: tuple[float, ...] = param(
        (0.9, 0.95, 0.99, 1.0), gt=0.5, le=1, min_len=2, increasing=True
    )


@dataclass(frozen=True, kw_only=True)
class BoundsConfig(NapConfig):
    """Claim ``nap-bounds-sound-and-tighter``.

    Attributes:
        delta: δ of the NAPs.
        num_inputs: test inputs (correctly classified, matching their NAP) whose L∞ balls
            are checked.
        ball_radius: radius of those balls (clipped to [0, 1]).
        samples: uniform random points drawn per ball / full-domain region for the check.
        pgd_steps, pgd_restarts: PGD falsification inside each region.
        milp_balls: also solve the exact MILP on each ball (fast: few unstable neurons).
        milp_full_domain: solve the MILP on the full domain ∩ NAP_ℓ for every class (slow).
        milp_time_limit: seconds per MILP query.
    """

    delta: float = _delta(0.95)
    num_inputs: int = param(4, ge=1)
    ball_radius: float = param(0.03, gt=0, le=1)
    samples: int = param(2000, ge=1)
    pgd_steps: int = param(50, ge=1)
    pgd_restarts: int = param(8, ge=1)
    milp_balls: bool = True
    milp_full_domain: bool = False
    milp_time_limit: float = param(10.0, gt=0)


@dataclass(frozen=True, kw_only=True)
class RadiusConfig(NapConfig):
    """Claim ``certified-radius``: L∞ radius with and without the NAP constraint.

    Attributes:
        delta: δ of the NAPs.
        num_inputs: correctly classified test inputs matching their own NAP.
        method: ``ibp`` or ``crown`` (sound, incomplete) or ``milp`` (exact, slow).
        max_radius, tol: bisection range (the inputs live in [0, 1]) and resolution (< range).
        milp_time_limit: seconds per MILP query (a timeout counts as not verified).
        min_ratio: the mean NAP / plain radius ratio that counts as a real gain (> 1: the NAP
            region is a subset, so a ratio of 1 is guaranteed).
    """

    delta: float = _delta(0.95)
    num_inputs: int = param(5, ge=1)
    method: Literal["ibp", "crown", "milp"] = "crown"
    max_radius: float = param(0.5, gt=0, le=1)
    tol: float = param(1.0 / 512, gt=0)
    milp_time_limit: float = param(10.0, gt=0)
    min_ratio: float = param(2.0, gt=1)

    def validate(self) -> None:
        ensure(self, self.tol < self.max_radius, "tol must be < max_radius")


# -- shared: data and network ---------------------------------------------------------------


@dataclass
class _Trained:
    model: torch.nn.Module
    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    accuracy: float


_MODELS: dict[tuple[Any, ...], _Trained] = {}


def _train(config: NapConfig, seed: int) -> _Trained:
    """Data in [0, 1] and a trained ReLU MLP, cached per process (claims share networks)."""
    key = (
        config.dataset, config.hidden, config.epochs, config.lr, config.weight_decay,
        config.batch_size, config.test_size, seed, str(current_device()),
    )  # fmt: skip
    if key in _MODELS:
        return _MODELS[key]
    device = current_device()
    if config.dataset == "mnist":
        data = load_mnist(standardize=False, flatten=True, device=device)
        x_train, x_test = data.x_train, data.x_test
    else:
        # The split is fixed (seed 0) so that seeds vary the network, not the data.
        data = load_digits(test_size=config.test_size, seed=0, standardize=False, device=device)
        x_train, x_test = data.x_train / 16.0, data.x_test / 16.0
    torch.manual_seed(seed)
    model = MLP(x_train.shape[1], list(config.hidden), data.num_classes, device=device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    fit(
        model, x_train, data.y_train, optimizer=optimizer, epochs=config.epochs,
        batch_size=config.batch_size, generator=torch.Generator().manual_seed(seed),
    )  # fmt: skip
    model.eval()
    trained = _Trained(
        model, x_train, data.y_train, x_test, data.y_test, accuracy(model, x_test, data.y_test)
    )
    # The serial executor runs every seed of one claim, then the next claim: keep a few
    # networks so the next claims reuse them instead of retraining.
    while len(_MODELS) >= 5:
        del _MODELS[next(iter(_MODELS))]
    _MODELS[key] = trained
    return trained


def _mined(net: _Trained, deltas: tuple[float, ...]) -> tuple[Any, Tensor, Tensor, list[Any]]:
    widths = relu_layers(net.model).widths
    p_train = activation_patterns(net.model, net.x_train)
    p_test = activation_patterns(net.model, net.x_test)
    with torch.no_grad():
        pred = net.model(net.x_test).argmax(dim=1)
    naps = [mine_naps_from_patterns(p_train, net.y_train, widths, delta=d) for d in deltas]
    return p_test, pred, torch.as_tensor(widths), naps


def _matching(net: _Trained, naps: Any, p_test: Tensor, pred: Tensor, n: int) -> list[int]:
    """The first ``n`` test inputs that are correctly classified and match their own NAP."""
    out: list[int] = []
    for i, label in enumerate(net.y_test.tolist()):
        if len(out) == n:
            break
        if int(pred[i]) == label and bool(naps[label].contains(p_test[i : i + 1])[0]):
            out.append(i)
    return out


def _cpu_layers(net: _Trained) -> list[tuple[Tensor, Tensor]]:
    # Verification runs on CPU in float64 (HiGHS is CPU-only; the nets are small).
    return [(w.cpu(), b.cpu()) for w, b in affine_layers(net.model)]


def _nap_row(naps: Any, p_test: Tensor, y_test: Tensor, pred: Tensor) -> Metrics:
    stats = nap_statistics(naps, p_test, y_test, pred)
    conflict = non_ambiguity(naps)
    c = conflict.shape[0]
    return {
        "recall": stats.recall,
        "precision": stats.precision,
        "fixed_neurons": sum(n.num_fixed for n in naps.values()) / len(naps),
        "disjoint_pairs": int(conflict.triu(diagonal=1).sum()),
        "pairs": c * (c - 1) // 2,
        "recall_per_class": {str(k): v for k, v in stats.recall_per_class.items()},
    }


def _learned(per_seed: list[Metrics], config: NapConfig) -> None:
    acc = min(values(per_seed, "test_accuracy"))
    guard(
        acc >= config.min_accuracy,
        f"test accuracy {acc:.3f} < {config.min_accuracy}: the network itself did not learn",
    )


# -- claim: recall at δ = 0.95 --------------------------------------------------------------


def run_recall(config: RecallConfig, seed: int) -> Metrics:
    net = _train(config, seed)
    p_test, pred, widths, (naps,) = _mined(net, (config.delta,))
    row = _nap_row(naps, p_test, net.y_test, pred)
    log_metrics(step=0, delta=config.delta, recall=row["recall"], precision=row["precision"])
    return {
        **row,
        "delta": config.delta,
        "test_accuracy": net.accuracy,
        "hidden_neurons": int(widths.sum()),
        "num_parameters": sum(p.numel() for p in net.model.parameters()),
    }


def verdict_recall(per_seed: list[Metrics], config: RecallConfig) -> Verdict:
    _learned(per_seed, config)
    recall = stat(values(per_seed, "recall"))
    precision = stat(values(per_seed, "precision")).mean
    return judge(
        [Check("|mean held-out recall − paper's recall|", abs(recall.mean - PAPER_RECALL), "<=", config.tolerance, fmt=".3f")],
        values={
            "delta": config.delta, "recall (mean)": recall.mean, "recall (std)": recall.std,
            "precision (mean)": precision,
            "fixed neurons per NAP (mean)": stat(values(per_seed, "fixed_neurons")).mean,
            "hidden neurons": per_seed[0].get("hidden_neurons"),
            "paper recall (MNIST)": PAPER_RECALL,
        },
        prefix=(
            f"held-out recall at δ = {config.delta:g}: {recall.format('.1%')} vs the paper's "
            f"{PAPER_RECALL:.0%} (MNIST); precision {precision:.1%}"
        ),
    )  # fmt: skip


# -- claim: δ trade-off ---------------------------------------------------------------------


def run_tradeoff(config: TradeoffConfig, seed: int) -> Metrics:
    net = _train(config, seed)
    p_test, pred, _, all_naps = _mined(net, config.deltas)
    rows = []
    for step, (delta, naps) in enumerate(zip(config.deltas, all_naps, strict=True)):
        row = _nap_row(naps, p_test, net.y_test, pred)
        log_metrics(step=step, delta=delta, recall=row["recall"], precision=row["precision"])
        rows.append(row)
    recall = [r["recall"] for r in rows]
    precision = [r["precision"] for r in rows]
    return {
        "deltas": list(config.deltas),
        "recall": recall,
        "precision": precision,
        "fixed_neurons": [r["fixed_neurons"] for r in rows],
        "disjoint_pairs": [r["disjoint_pairs"] for r in rows],
        "recall_gain": recall[-1] - recall[0],
        "precision_drop": precision[0] - precision[-1],
        "test_accuracy": net.accuracy,
    }


def verdict_tradeoff(per_seed: list[Metrics], config: TradeoffConfig) -> Verdict:
    _learned(per_seed, config)

    def means(key: str) -> list[float]:
        # A seed whose NAP matched no held-out input has an undefined (NaN) precision: average
        # the seeds that have one; none at all makes the claim inconclusive.
        out = []
        for i in range(len(config.deltas)):
            xs = [x for x in values(per_seed, key, i, finite=False) if math.isfinite(x)]
            guard(
                bool(xs),
                f"no seed has a finite {key} at δ = {config.deltas[i]:g} (a NAP matched no held-out input)",
            )
            out.append(stat(xs).mean)
        return out

    rec, prec, fixed = means("recall"), means("precision"), means("fixed_neurons")
    table: dict[str, Any] = {
        f"δ = {d:g}": f"recall {r:.1%}, precision {p:.1%}, fixed {f:.1f}"
        for d, r, p, f in zip(config.deltas, rec, prec, fixed, strict=True)
    }
    table["precision monotone"] = all(b <= a for a, b in itertools.pairwise(prec))
    # A larger δ fixes a subset of the neurons, so recall cannot fall by construction: the first
    # check guards the implementation; the claim's content is the strict gain and the precision drop.
    return judge(
        [
            Check("steps of the δ grid where mean recall falls", sum(b < a for a, b in itertools.pairwise(rec)), "<=", 0),
            Check("recall gain, largest − smallest δ", rec[-1] - rec[0], ">", 0.0, fmt=".3f"),
            Check("precision drop, smallest − largest δ", prec[0] - prec[-1], ">", 0.0, fmt=".3f"),
        ],
        values=table,
        prefix=(
            f"as δ goes {config.deltas[0]:g} → {config.deltas[-1]:g}: recall {rec[0]:.1%} → "
            f"{rec[-1]:.1%}, precision {prec[0]:.1%} → {prec[-1]:.1%}, fixed neurons per NAP "
            f"{fixed[0]:.1f} → {fixed[-1]:.1f}"
        ),
    )  # fmt: skip


# -- claim: NAP bounds are sound and tighter ------------------------------------------------


def _check_region(
    net: _Trained,
    nap: Any,
    label: int,
    lo: Tensor,
    hi: Tensor,
    config: BoundsConfig,
    generator: torch.Generator,
    *,
    starts: Tensor | None,
    milp: bool,
) -> Metrics:
    """Plain vs NAP IBP margin bounds on one region, checked against every in-region point."""
    layers = _cpu_layers(net)
    plain, _ = margin_lower_bounds(layers, lo, hi, label)
    tight, empty = margin_lower_bounds(layers, lo, hi, label, nap=nap)
    crown, crown_empty = crown_margin_lower_bounds(layers, lo, hi, label, nap=nap)
    empty = empty | crown_empty
    ib_plain = interval_bounds(layers, lo, hi)
    ib_nap = interval_bounds(layers, lo, hi, nap=nap)
    others = [j for j in range(plain.shape[0]) if j != label]
    looser = int((tight[others] < plain[others] - 1e-12).sum())
    looser += sum(
        int((nl < pl - 1e-12).sum() + (nu > pu + 1e-12).sum())
        for nl, nu, pl, pu in zip(
            ib_nap.pre_lower, ib_nap.pre_upper, ib_plain.pre_lower, ib_plain.pre_upper, strict=True
        )
    )
    width_plain, width_nap = (
        sum(float((u - l_).sum()) for l_, u in zip(ib.pre_lower, ib.pre_upper, strict=True))
        for ib in (ib_plain, ib_nap)
    )

    # Points inside the region: uniform samples that match the NAP, plus PGD's best.
    u = torch.rand(config.samples, lo.shape[0], generator=generator, dtype=torch.float64)
    pts = lo + u * (hi - lo)
    margins, pre = forward_margins(layers, pts, label)
    inside = torch.ones(pts.shape[0], dtype=torch.bool)
    for z, (act, ina) in zip(pre, nap.layer_masks(), strict=True):
        inside &= ~((z < 0) & act).any(-1) & ~((z > 0) & ina).any(-1)
    checked = int(inside.sum())
    best = torch.maximum(tight, crown)  # both sound: every in-region point must clear both
    violations = int((margins[inside][:, others] < best[others] - _SOUND_TOL).any(dim=1).sum())
    pgd = pgd_in_nap(
        layers, lo, hi, label, nap=nap, starts=starts, restarts=config.pgd_restarts,
        steps=config.pgd_steps, generator=generator,
    )  # fmt: skip
    if pgd.found:
        checked += 1
        assert pgd.margins is not None
        violations += int(bool((pgd.margins[others] < best[others] - _SOUND_TOL).any()))
    if checked and bool(empty):
        violations += 1  # a point exists, so the region was wrongly declared empty
    row: Metrics = {
        "label": label,
        "plain_min_bound": float(plain[others].min()),
        "nap_min_bound": float(tight[others].min()),
        "mean_bound_gain": float((tight[others] - plain[others]).mean()),
        "tighter_bounds": int((tight[others] > plain[others] + 1e-12).sum()),
        "num_bounds": len(others),
        "hidden_width_ratio": width_nap / width_plain if width_plain > 0 else 1.0,
        "looser": looser,
        "empty": bool(empty),
        "checked_points": checked,
        "violations": violations,
        "pgd_margin": pgd.margin if pgd.found else None,
        "crown_min_bound": float(crown[others].min()),
        "ibp_verified": bool(empty) or bool((tight[others] > 0).all()),
        "crown_verified": bool(empty) or bool((best[others] > 0).all()),
        "falsified": pgd.found and pgd.margin < 0,
    }
    if milp:
        results = milp_margins(layers, lo, hi, label, nap=nap, time_limit=config.milp_time_limit)
        optimal = [r for r in results.values() if r.status == "optimal"]
        row["milp_optimal"] = len(optimal)
        row["milp_violations"] = sum(
            int(r.value < float(best[r.competitor]) - _SOUND_TOL) for r in optimal
        )
        if pgd.found:
            assert pgd.margins is not None
            row["milp_violations"] += sum(
                int(float(pgd.margins[r.competitor]) < r.bound - _SOUND_TOL) for r in optimal
            )
        row["milp_min"] = min((r.value for r in results.values()), default=math.inf)
        statuses = {r.status for r in results.values()}
        row["milp_verified"] = all(
            r.status == "infeasible" or r.bound > 0 for r in results.values()
        )
        row["milp_falsified"] = any(
            r.status != "infeasible" and r.value <= 0 for r in results.values()
        )
        row["milp_statuses"] = sorted(statuses)
    return row


def run_bounds(config: BoundsConfig, seed: int) -> Metrics:
    net = _train(config, seed)
    p_test, pred, _, (naps,) = _mined(net, (config.delta,))
    generator = torch.Generator().manual_seed(seed)
    d = net.x_test.shape[1]
    domain_lo = torch.zeros(d, dtype=torch.float64)
    domain_hi = torch.ones(d, dtype=torch.float64)
    # Full input domain ∩ NAP_ℓ, every class (the paper's headline verification problem).
    full = []
    x_train = net.x_train.cpu().double()
    p_train = activation_patterns(net.model, net.x_train).cpu()
    for label, nap in sorted(naps.items()):
        own = (net.y_train.cpu() == label) & nap.contains(p_train)
        starts = x_train[own][:8]
        row = _check_region(
            net, nap, label, domain_lo, domain_hi, config, generator,
            starts=starts, milp=config.milp_full_domain,
        )  # fmt: skip
        log_metrics(
            step=label, region="full", **{k: v for k, v in row.items() if k != "milp_statuses"}
        )
        full.append(row)
    # L∞ balls around correctly classified test inputs that match their own NAP.
    balls: list[Metrics] = []
    x_test = net.x_test.cpu().double()
    for i in _matching(net, naps, p_test, pred, config.num_inputs):
        label = int(net.y_test[i])
        lo = (x_test[i] - config.ball_radius).clamp(0.0, 1.0)
        hi = (x_test[i] + config.ball_radius).clamp(0.0, 1.0)
        row = _check_region(
            net, naps[label], label, lo, hi, config, generator,
            starts=x_test[i : i + 1], milp=config.milp_balls,
        )  # fmt: skip
        row["index"] = i
        balls.append(row)
    rows = full + balls
    return {
        "test_accuracy": net.accuracy,
        "full_domain": full,
        "balls": balls,
        "soundness_violations": sum(r["violations"] + r.get("milp_violations", 0) for r in rows),
        "looser_bounds": sum(r["looser"] for r in rows),
        "checked_points": sum(r["checked_points"] for r in rows),
        "tighter_fraction": sum(r["tighter_bounds"] for r in rows)
        / max(1, sum(r["num_bounds"] for r in rows)),
        "milp_checks": sum(r.get("milp_optimal", 0) for r in rows),
        "full_domain_ibp_verified": sum(r["ibp_verified"] for r in full),
        "full_domain_crown_verified": sum(r["crown_verified"] for r in full),
        "balls_crown_verified": sum(r["crown_verified"] for r in balls),
        "balls_milp_verified": sum(bool(r.get("milp_verified", False)) for r in balls),
        "num_balls": len(balls),
        "full_domain_falsified": sum(
            bool(r["falsified"] or r.get("milp_falsified", False)) for r in full
        ),
        "full_domain_milp_verified": sum(bool(r.get("milp_verified", False)) for r in full),
        "num_classes": len(full),
    }


def verdict_bounds(per_seed: list[Metrics], config: BoundsConfig) -> Verdict:
    _learned(per_seed, config)

    def total(key: str) -> int:
        return int(sum(values(per_seed, key)))

    checked = total("checked_points")
    guard(checked > 0, "no point inside any NAP region was found to check the bounds against")
    crown, milp = (values(per_seed, f"full_domain_{k}_verified") for k in ("crown", "milp"))
    verified = [int(max(c, m)) for c, m in zip(crown, milp, strict=True)]
    falsified = [int(f) for f in values(per_seed, "full_domain_falsified")]
    classes = per_seed[0].get("num_classes")
    tighter = stat(values(per_seed, "tighter_fraction")).mean
    table = {
        "in-region points checked": checked,
        "exact MILP optima checked": total("milp_checks"),
        "share of margin bounds strictly tightened by the NAP": tighter,
        "L∞ balls ∩ NAP verified by CROWN / MILP": (
            f"{total('balls_crown_verified')} / {total('balls_milp_verified')} of {total('num_balls')}"
        ),
        "full domain ∩ NAP verified (classes, per seed)": verified,
        "full domain ∩ NAP falsified (classes, per seed)": falsified,
    }
    return judge(
        [
            Check("points or MILP optima below the NAP bounds (IBP, CROWN)", total("soundness_violations"), "<=", 0),
            Check("NAP-IBP bounds looser than plain IBP", total("looser_bounds"), "<=", 0),
        ],
        values=table,
        prefix=(
            f"{checked} in-region points and {total('milp_checks')} MILP optima; the NAP strictly "
            f"tightened {tighter:.0%} of the IBP margin bounds; full domain ∩ NAP_ℓ ⇒ ℓ verified "
            f"for {max(verified)} of {classes} classes, falsified for "
            f"{min(falsified)}–{max(falsified)} of {classes}"
        ),
    )  # fmt: skip


# -- claim: certified radius ----------------------------------------------------------------


def run_radius(config: RadiusConfig, seed: int) -> Metrics:
    net = _train(config, seed)
    p_test, pred, _, (naps,) = _mined(net, (config.delta,))
    layers = _cpu_layers(net)
    x_test = net.x_test.cpu().double()
    kwargs: dict[str, Any] = {
        "method": config.method, "max_radius": config.max_radius, "tol": config.tol,
        "time_limit": config.milp_time_limit,
    }  # fmt: skip
    plain: list[float] = []
    with_nap: list[float] = []
    indices = _matching(net, naps, p_test, pred, config.num_inputs)
    for step, i in enumerate(indices):
        label = int(net.y_test[i])
        plain.append(certified_radius(layers, x_test[i], label, **kwargs))
        with_nap.append(certified_radius(layers, x_test[i], label, nap=naps[label], **kwargs))
        log_metrics(step=step, index=i, label=label, radius=plain[-1], radius_nap=with_nap[-1])
    ratios = [b / a for a, b in zip(plain, with_nap, strict=True) if a > 0]
    return {
        "test_accuracy": net.accuracy,
        "indices": indices,
        "radius": plain,
        "radius_nap": with_nap,
        "radius_ratio": sum(ratios) / len(ratios) if ratios else None,
        "smaller_with_nap": sum(b < a for a, b in zip(plain, with_nap, strict=True)),
    }


def verdict_radius(per_seed: list[Metrics], config: RadiusConfig) -> Verdict:
    _learned(per_seed, config)
    plain = [r for m in per_seed for r in m.get("radius", [])]
    nap = [r for m in per_seed for r in m.get("radius_nap", [])]
    ratios = [m["radius_ratio"] for m in per_seed if m.get("radius_ratio") is not None]
    guard(
        bool(ratios),
        "no correctly classified test input matching its NAP had a positive certified radius",
    )
    ratio = stat(ratios)
    smaller = int(sum(values(per_seed, "smaller_with_nap")))
    table = {
        "method": config.method,
        "inputs": len(plain),
        "radius without NAP (mean)": stat(plain).mean,
        "radius with NAP (mean)": stat(nap).mean,
        "NAP / plain ratio (sd over seeds)": ratio.std,
        "inputs with a strictly larger radius": sum(b > a for a, b in zip(plain, nap, strict=True)),
        "paper ratio (CIFAR-10)": PAPER_RADIUS_GAIN,
    }
    return judge(
        [
            # The NAP region is a subset of the ball: a smaller radius means a broken check.
            Check("inputs with a smaller radius with the NAP", smaller, "<=", 0),
            Check("NAP / plain radius ratio (mean over seeds)", ratio.mean, ">=", config.min_ratio, fmt=".3g"),
        ],
        values=table,
        prefix=(
            f"{config.method.upper()} certified L∞ radius over {len(plain)} inputs: "
            f"{table['radius without NAP (mean)']:.4f} without vs "
            f"{table['radius with NAP (mean)']:.4f} with the NAP (paper: "
            f"{PAPER_RADIUS_GAIN:g}× on CIFAR-10)"
        ),
    )  # fmt: skip


# -- figures --------------------------------------------------------------------------------


def plot_recall(ax: Any, per_seed: list[Metrics], config: RecallConfig) -> None:
    classes = sorted(per_seed[0]["recall_per_class"], key=int)
    for j, m in enumerate(per_seed):
        ax.plot(
            [int(c) for c in classes], [m["recall_per_class"][c] for c in classes],
            marker="o", ms=3, lw=1, color="C0", alpha=0.6, label="per-class recall" if j == 0 else "_",
        )  # fmt: skip
    ax.axhline(PAPER_RECALL, color="C3", ls=":", label="paper (MNIST, overall)")
    ax.set(xlabel="class", ylabel=f"held-out recall at δ = {config.delta:g}")
    ax.legend(fontsize=8)


def plot_tradeoff(ax: Any, per_seed: list[Metrics], config: TradeoffConfig) -> None:
    for j, m in enumerate(per_seed):
        ax.plot(m["deltas"], m["recall"], marker="o", color="C0", alpha=0.6,
                label="recall" if j == 0 else "_")  # fmt: skip
        ax.plot(m["deltas"], m["precision"], marker="s", color="C1", alpha=0.6,
                label="precision" if j == 0 else "_")  # fmt: skip
    ax.set(xlabel="δ", ylabel="held-out share")
    ax.legend(fontsize=8)


def plot_bounds(ax: Any, per_seed: list[Metrics], config: BoundsConfig) -> None:
    for j, m in enumerate(per_seed):
        rows = m["full_domain"] + m["balls"]
        xs = [r["plain_min_bound"] for r in rows]
        ys = [r["nap_min_bound"] for r in rows]
        ax.scatter(xs, ys, s=10, color="C0", alpha=0.6, label="regions" if j == 0 else "_")
        found = [(r["nap_min_bound"], r["pgd_margin"]) for r in rows if r["pgd_margin"] is not None]
        if found:
            ax.scatter(*zip(*found, strict=True), s=10, color="C1", marker="x", alpha=0.6,
                       label="(NAP bound, PGD margin)" if j == 0 else "_")  # fmt: skip
    lims = ax.get_xlim()
    ax.plot(lims, lims, color="grey", lw=1, ls=":")
    ax.set_xscale("symlog")
    ax.set_yscale("symlog")
    ax.set_xlabel("min margin lower bound, plain IBP / NAP-IBP")
    ax.set_ylabel("NAP-IBP bound / PGD margin")
    ax.legend(fontsize=8)


def plot_radius(ax: Any, per_seed: list[Metrics], config: RadiusConfig) -> None:
    plain = [r for m in per_seed for r in m["radius"]]
    nap = [r for m in per_seed for r in m["radius_nap"]]
    ax.scatter(plain, nap, s=12, color="C0")
    hi = max(plain + nap + [1e-3])
    ax.plot([0, hi], [0, hi], color="grey", ls=":", lw=1)
    ax.set(xlabel="certified L∞ radius without NAP", ylabel="with NAP")


# -- presets --------------------------------------------------------------------------------

_SMOKE: dict[str, Any] = {"hidden": (16, 16), "epochs": 30, "min_accuracy": 0.5}
# The paper's setting: MNIST (IDX files supplied by the user), the VNN-COMP mnist-net_256x2 shape.
_PAPER: dict[str, Any] = {
    "dataset": "mnist",
    "hidden": (256, 256),
    "epochs": 10,
    "min_accuracy": 0.95,
}
_RECALL = presets(RecallConfig(), smoke=_SMOKE, paper=_PAPER)
_BOUNDS = presets(
    BoundsConfig(),
    smoke={
        "num_inputs": 1,
        "samples": 200,
        "pgd_steps": 10,
        "pgd_restarts": 2,
        "milp_balls": False,
        **_SMOKE,
    },
    paper={"milp_full_domain": True, "milp_time_limit": 120.0, "num_inputs": 10, **_PAPER},
)
_RADIUS = presets(
    RadiusConfig(),
    smoke={"num_inputs": 2, "tol": 1.0 / 64, **_SMOKE},
    paper={"method": "milp", "tol": 1.0 / 256, "milp_time_limit": 60.0, "num_inputs": 5, **_PAPER},
)  # fmt: skip

SCALED_DOWN = (
    "scikit-learn digits (8×8 pixels in [0, 1], 1,257 train / 540 test) and a 64-32-32-10 ReLU MLP "
    "(Adam, 200 epochs) instead of MNIST with the VNN-COMP 256-wide networks; Marabou replaced by "
    "IBP / CROWN bounds with NAP-fixed neurons, PGD and an exact HiGHS MILP; 3 seeds (network initialisation)."
)

PAPER = Paper(
    key="neural-specifications",
    title="Towards Reliable Neural Specifications",
    authors="Chuqin Geng, Nham Le, Xiaojie Xu, Zhaoyue Wang, Arie Gurfinkel, Xujie Si",
    year=2023,
    venue="ICML",
    arxiv="2210.16114",
    bibtex=BIBTEX,
    family="probes",
    summary=(
        "Mine one neural activation pattern (NAP) per class from a ReLU network — neurons active "
        "on ≥ δ of the class's inputs fixed active, on ≤ 1 − δ fixed inactive — and use "
        "'pattern matches NAP_ℓ ⇒ class ℓ' as a data-independent specification. We measure its "
        "recall and precision on held-out digits over δ, check that interval bounds with "
        "NAP-fixed neurons are sound and never looser than plain IBP, try to verify the full "
        "input domain ∩ NAP per class, and compare certified L∞ radii with and without the NAP."
    ),
    components=(
        "nnatlas.probes.mine_naps",
        "nnatlas.probes.nap_statistics",
        "nnatlas.probes.non_ambiguity",
        "nnatlas.probes.interval_bounds",
        "nnatlas.probes.milp_margins",
        "nnatlas.probes.pgd_in_nap",
        "nnatlas.probes.certified_radius",
    ),
    claims=(
        Claim(
            key="recall-at-delta",
            statement=(
                "NAPs mined with δ = 0.95 recall about 84 % of held-out inputs (the share of "
                "inputs whose activation pattern matches their class's NAP)."
            ),
            source="Abstract and Sec. 5 (MNIST, mnist-net_256x2)",
            metric="recall",
            paper_value=PAPER_RECALL,
            paper_value_text=(
                "84 % recall on MNIST (abstract); δ = 0.95 is the official code's default — which "
                "δ the paper's 84 % used is [unverified]"
            ),
            tolerance=(
                f"|mean held-out recall − {PAPER_RECALL:.0%}| ≤ {_RECALL['quick'].tolerance:.0%}; "
                f"inconclusive if test accuracy < {_RECALL['quick'].min_accuracy:.0%}"
            ),
            config_cls=RecallConfig,
            presets=_RECALL,
            run=run_recall,
            devices=ANY_DEVICE,
            verdict=verdict_recall,
            scaled_down=SCALED_DOWN,
            plot=plot_recall,
        ),
        Claim(
            key="delta-tradeoff",
            statement=(
                "Recall rises and precision falls as δ grows (a larger δ demands more agreement, "
                "fixes fewer neurons and so admits more inputs)."
            ),
            source="Sec. 3 (δ-relaxed NAPs, Algorithm 1); direction per the official code",
            metric="recall_gain",
            paper_value=None,
            paper_value_text="qualitative: relaxing the NAP trades precision for recall [unverified: exact figure]",
            tolerance=(
                "mean recall non-decreasing over the δ grid and higher at the largest δ; mean "
                "precision lower at the largest δ than at the smallest"
            ),
            config_cls=TradeoffConfig,
            presets=presets(TradeoffConfig(), smoke=_SMOKE, paper=_PAPER),
            run=run_tradeoff,
            devices=ANY_DEVICE,
            verdict=verdict_tradeoff,
            scaled_down=SCALED_DOWN,
            plot=plot_tradeoff,
        ),
        Claim(
            key="nap-bounds-sound-and-tighter",
            statement=(
                "Margin bounds from interval propagation with NAP-fixed neurons (inactive ones "
                "dropped, active ones linear) are sound on the NAP region and at least as tight "
                "as plain interval bounds; the NAP specification is checked on the full input "
                "domain per class."
            ),
            source="Sec. 4 (verifying NAP specifications); our library's own soundness guarantee",
            metric="soundness_violations",
            paper_value=0.0,
            paper_value_text=(
                "sound by construction (0 violations); the paper verifies the full MNIST domain ∩ NAP "
                "for 256-wide nets with Marabou [abstract; per-class counts unverified]"
            ),
            tolerance=(
                "0 in-region points (random, PGD) or MILP optima below the NAP-IBP bounds and 0 "
                "NAP bounds looser than plain IBP; inconclusive if no in-region point was found"
            ),
            config_cls=BoundsConfig,
            presets=_BOUNDS,
            run=run_bounds,
            devices=ANY_DEVICE,
            verdict=verdict_bounds,
            scaled_down=SCALED_DOWN
            + " Full-domain MILP only at the paper preset (PGD falsifies it here).",
            plot=plot_bounds,
        ),
        Claim(
            key="certified-radius",
            peer=(
                "no runnable peer: the official code "
                "(allengeng123/reliable-neural-specifications) is not on PyPI, has no licence and"
                " needs Marabou (maraboupy 2.0.0); our NAP mining equals its definitions "
                "re-stated in numpy (0 differing neurons, identical recall at 4 δ: "
                "crosscheck/check_nap.py)"
            ),
            statement=(
                "Adding the NAP constraint to an L∞ ball around an input enlarges the radius that "
                "can be verified."
            ),
            source="Abstract and Sec. 5 (CIFAR-10 benchmark: 10× larger verifiable bound)",
            metric="radius_ratio",
            paper_value=PAPER_RADIUS_GAIN,
            paper_value_text="10× larger verifiable bound with the NAP on CIFAR-10 (abstract)",
            tolerance=(
                f"mean NAP / plain radius ratio ≥ {_RADIUS['quick'].min_ratio:g} over correctly "
                "classified inputs matching their "
                "NAP; not reproduced if any radius shrinks with the NAP; inconclusive if none qualifies"
            ),
            config_cls=RadiusConfig,
            presets=_RADIUS,
            run=run_radius,
            devices=ANY_DEVICE,
            verdict=verdict_radius,
            scaled_down=SCALED_DOWN
            + " Radius by bisection with CROWN bounds (the MILP route at the paper preset).",
            plot=plot_radius,
        ),
    ),
)
