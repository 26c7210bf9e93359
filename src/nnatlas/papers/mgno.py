"""MgNO: Efficient Parameterization of Linear Operators via Multigrid (He, Liu, Xu; ICLR 2024,
arXiv 2310.19809).

The method (:class:`nnatlas.operators.mgno.MgNO`) parameterises each neural-operator layer's
multi-channel linear map as one multigrid V-cycle of small convolutions, with the boundary
condition in the padding and no lifting/projection layers.

Claim tested, at CPU scale:

* ``darcy-beats-fno``: on Darcy flow −∇·(a∇u) = 1 with zero Dirichlet data (non-periodic),
  MgNO reaches a lower relative-L² test error than FNO while using fewer parameters (paper:
  Table on Darcy, MgNO ≈ 0.57 M parameters vs FNO's ≈ 2.4 M, error several times lower —
  recalled from our notes, the table itself was not retrieved).

Data: FNO-style piecewise-constant coefficients (a ∈ {3, 12}) on s = 33 nodes per side
(:func:`nnatlas.data.pde.darcy_data`), solved by 5-point finite volumes; the last row and
column (boundary nodes, u = 0) are dropped so the grid is 32 × 32, which a V-cycle can
coarsen. Inputs are standardised and outputs scaled by the training set's statistics. Both
models train with the same loss, relative L² (the judged metric; ``loss="h1"`` switches both to
the relative H¹ norm of the official MgNO Darcy runs, with finite-difference gradients), Adam +
OneCycle (pct 0.2), weight decay 1e-4 (:func:`nnatlas.operators.fit_operator`).

Deviations from the paper (all from the CPU budget): 32² grid instead of 211² (Darcy smooth,
421 subsampled ×2); 300 training samples and a few hundred Adam steps instead of 1000 samples
× 500 epochs; small models (MgNO 12 channels, 4 layers, 3 levels; FNO width 16, 8 modes) instead
of the paper's (MgNO 24 channels, 6 levels; FNO width 32, 12 modes); the final model is
evaluated (no best-epoch selection); the test metric is relative L² in both cases. At this
scale our notes measured MgNO ≈ FNO (0.039 vs 0.038 at half the parameters), so the verdict
may well be "not reproduced": the comparison is honest, not tuned.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import torch
from torch import Tensor, nn

from nnatlas.core.claims import Claim, Metrics, Outcome, Paper, Verdict, presets
from nnatlas.core.config import ClaimConfig, ensure, param
from nnatlas.core.verdicts import guard, unpaired, values
from nnatlas.data.pde import darcy_data
from nnatlas.operators import (
    FNO2d,
    MgNO,
    OperatorNormalizer,
    fit_operator,
    relative_h1_loss,
    relative_l2_loss,
)
from nnatlas.runs.context import log_metrics, memoize

BIBTEX = """@inproceedings{he2024mgno,
  title     = {{MgNO}: Efficient Parameterization of Linear Operators via Multigrid},
  author    = {He, Juncai and Liu, Xinliang and Xu, Jinchao},
  booktitle = {International Conference on Learning Representations},
  year      = {2024},
  url       = {https://arxiv.org/abs/2310.19809}
}"""

_DATA_SEED = 20_231_019  # one data set for every seed; seeds vary init and batches
MAX_LEARNED_ERROR = 0.5
"""A seed-mean test rel-L2 above this means a model did not learn: the comparison is void."""
NOISE_SE = 1.0
"""MgNO must beat FNO by more than this many standard errors (unpaired over seeds)."""


@dataclass(frozen=True, kw_only=True)
class DarcyConfig(ClaimConfig):
    """Claim ``darcy-beats-fno``.

    Attributes:
        resolution: nodes per side s (boundary included); the models see (s − 1)², which the
            V-cycle must be able to halve once per level.
        n_train, n_test: coefficient fields for training / testing.
        steps, batch_size, lr, weight_decay: Adam + OneCycle training of both models.
        loss: training loss of both models: ``l2`` (relative L², FNO's; the judged metric) or
            ``h1`` (relative H¹ with finite differences, the official MgNO Darcy setting; at
            the quick budget it gave both models a higher L² error, MgNO 0.107 vs FNO 0.076).
        mg_width, mg_layers, mg_iterations: MgNO channels, layers and (pre, post) smoothing
            counts per level.
        fno_width, fno_modes, fno_layers: FNO hidden width, Fourier modes and layers.
    """

    resolution: int = param(33, ge=3)
    n_train: int = param(300, ge=1)
    n_test: int = param(100, ge=1)
    steps: int = param(300, ge=1)
    batch_size: int = param(20, ge=1)
    lr: float = param(1e-3, gt=0)
    weight_decay: float = param(1e-4, ge=0)
    loss: Literal["h1", "l2"] = "l2"
    mg_width: int = param(12, ge=1)
    mg_layers: int = param(4, ge=1)
    mg_iterations: tuple[tuple[int, int], ...] = param(((1, 0), (1, 0), (2, 0)), min_len=1)
    fno_width: int = param(16, ge=1)
    fno_modes: int = param(8, ge=1)
    fno_layers: int = param(4, ge=1)

    def validate(self) -> None:
        side, levels = self.resolution - 1, len(self.mg_iterations)
        ensure(
            self,
            all(len(it) == 2 and min(it) >= 0 < sum(it) for it in self.mg_iterations),
            f"mg_iterations must hold (pre, post) counts ≥ 0, not both 0; got {self.mg_iterations}",
        )
        ensure(
            self,
            side % 2 ** (levels - 1) == 0,
            f"resolution − 1 = {side} must be divisible "
            f"by 2^(levels − 1) = {2 ** (levels - 1)} for a {levels}-level V-cycle",
        )
        ensure(
            self,
            self.fno_modes <= side // 2,
            f"fno_modes = {self.fno_modes} must be ≤ (resolution − 1) / 2 = {side // 2}",
        )


def _data(config: DarcyConfig) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    data = darcy_data(config.n_train + config.n_test, (config.resolution,), seed=_DATA_SEED)
    a, u = data.at(config.resolution)
    # Drop the last row/column (boundary nodes where u = 0) so the side is a power-of-2 multiple.
    a, u = a[:, None, :-1, :-1].float(), u[:, None, :-1, :-1].float()
    n = config.n_train
    return a[:n], u[:n], a[n:], u[n:]


def _build(name: str, config: DarcyConfig) -> nn.Module:
    if name == "mgno":
        return MgNO(1, 1, config.mg_width, config.mg_layers, config.mg_iterations)
    return FNO2d(1, 1, config.fno_modes, config.fno_width, config.fno_layers)


def train_operator(name: str, model: nn.Module, config: DarcyConfig, seed: int) -> dict[str, float]:
    """Train ``model`` on the Darcy training set; relative-L² test error and cost."""

    def criterion(pred: Tensor, target: Tensor) -> Tensor:
        if config.loss == "l2":
            return relative_l2_loss(pred, target)
        return relative_h1_loss(pred, target, method="fd")

    a_tr, u_tr, a_te, u_te = _data(config)
    norm = OperatorNormalizer.fit(a_tr, u_tr)  # global z-score of a; u only scaled
    x_tr, x_te = norm.encode_x(a_tr), norm.encode_x(a_te)
    cpu = fit_operator(
        model, x_tr, norm.encode_y(u_tr), steps=config.steps, batch_size=config.batch_size,
        lr=config.lr, weight_decay=config.weight_decay, loss_fn=criterion, seed=seed,
        on_step=lambda step, rec: log_metrics(step=step, model=name, train_loss=rec["train_loss"]),
    )  # fmt: skip
    model.eval()
    with torch.no_grad():
        pred = norm.decode_y(torch.cat([model(x_te[i : i + 50]) for i in range(0, len(x_te), 50)]))
        train = float(relative_l2_loss(norm.decode_y(model(x_tr[:100])), u_tr[:100]))
    return {
        "test_rel_l2": float(relative_l2_loss(pred, u_te)),
        "train_rel_l2": train,
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "cpu_seconds": cpu,
    }


def _seeded(name: str, config: DarcyConfig, seed: int) -> dict[str, float]:
    torch.manual_seed(seed)  # the initialisation depends on the seed
    return train_operator(name, _build(name, config), config, seed)


def run_darcy(config: DarcyConfig, seed: int) -> Metrics:
    out: Metrics = {n: memoize(n, partial(_seeded, n, config, seed)) for n in ("mgno", "fno")}
    out["error_ratio"] = out["mgno"]["test_rel_l2"] / out["fno"]["test_rel_l2"]
    out["param_ratio"] = out["mgno"]["num_parameters"] / out["fno"]["num_parameters"]
    out["num_parameters"] = out["mgno"]["num_parameters"]
    return out


def verdict_darcy(per_seed: list[Metrics], config: DarcyConfig) -> Verdict:
    cmp = unpaired(
        values(per_seed, "mgno", "test_rel_l2"),
        values(per_seed, "fno", "test_rel_l2"),
        higher_is_better=False,
    )
    p_mg = int(values(per_seed, "mgno", "num_parameters")[0])
    p_fno = int(values(per_seed, "fno", "num_parameters")[0])
    table = cmp.table("MgNO", "FNO") | {
        "MgNO parameters": p_mg,
        "FNO parameters": p_fno,
        "MgNO / FNO parameters": p_mg / p_fno,
    }
    worst = max(cmp.a.mean, cmp.b.mean)
    guard(
        worst <= MAX_LEARNED_ERROR,
        f"a model did not learn (test rel-L2 MgNO {cmp.a.mean:.3f}, FNO {cmp.b.mean:.3f}, above "
        f"{MAX_LEARNED_ERROR:g}); train longer",
        table,
    )
    fewer = p_mg < p_fno
    outcome = cmp.outcome(NOISE_SE, two_sided=True) if fewer else Outcome.NOT_REPRODUCED
    reason = (
        f"test rel-L2 MgNO {cmp.a} ({p_mg:,} params) vs FNO {cmp.b} ({p_fno:,} params); "
        f"{cmp.describe('MgNO', 'FNO')} (decides beyond {NOISE_SE:g} s.e. either way)"
        + ("" if fewer else "; MgNO does not have fewer parameters")
    )
    return Verdict(outcome, reason, table)


def plot_darcy(ax: Any, per_seed: list[Metrics], config: DarcyConfig) -> None:
    for i, (key, label) in enumerate((("mgno", "MgNO"), ("fno", "FNO"))):
        ax.scatter(
            [m[key]["num_parameters"] for m in per_seed],
            [m[key]["test_rel_l2"] for m in per_seed],
            color=f"C{i}",
            label=label,
        )
    ax.set(xscale="log", xlabel="parameters", ylabel="test relative L2")
    ax.legend(fontsize=8)


PRESETS = presets(
    DarcyConfig(),
    smoke={
        "resolution": 17, "n_train": 20, "n_test": 10, "steps": 10, "batch_size": 5,
        "mg_width": 4, "mg_layers": 2, "fno_width": 6, "fno_modes": 4, "fno_layers": 2,
    },
    # Official Darcy-smooth setting (1000 / 100 samples, 500 epochs of batch 8 = 62 500 steps,
    # lr 5e-4, MgNO 24 channels, 4 layers, 6 levels; FNO width 32, 12 modes) on a 2^k + 1 grid
    # that a six-level cycle can coarsen; meant for a GPU.
    paper={
        "resolution": 129, "n_train": 1000, "n_test": 100, "steps": 62_500, "batch_size": 8,
        "lr": 5e-4, "mg_width": 24, "mg_layers": 4,
        "mg_iterations": ((1, 0), (1, 0), (1, 0), (1, 0), (1, 0), (2, 0)),
        "fno_width": 32, "fno_modes": 12,
    },
)  # fmt: skip

# fmt: off
PAPER = Paper(
    key="mgno",
    title="MgNO: Efficient Parameterization of Linear Operators via Multigrid",
    authors="Juncai He, Xinliang Liu, Jinchao Xu",
    year=2024,
    venue="ICLR",
    arxiv="2310.19809",
    bibtex=BIBTEX,
    family="operators",
    summary=(
        "MgNO writes every linear operator between a neural operator's hidden functions as a "
        "multi-channel multigrid V-cycle (restriction and prolongation by strided convolutions, "
        "learned smoothers), handles boundary conditions through padding and needs no lifting or "
        "projection layers. We test its headline Darcy claim: lower error than FNO with fewer "
        "parameters on a non-periodic (zero Dirichlet) problem."
    ),
    components=("nnatlas.operators.MgNO", "nnatlas.operators.MgConv2d"),
    claims=(
        Claim(
            key="darcy-beats-fno", metric="error_ratio", paper_value=None,
            peer=(
                "official MgNO_DC (xlliu2017/MgNO snapshot, MIT) on this task and budget, built "
                "with the quick preset's shape (identical 65,070 parameters) and trained by this "
                "claim's loop (crosscheck/check_mgno.py, seeds 0-2): test rel-L2 0.0837 ± 0.0076 "
                "vs ours 0.0705 ± 0.0104; the official model does no better than our port, so the"
                " MgNO-vs-FNO tie is the method at this scale, not our code. The FNO baseline's "
                "spectral convolutions agree with neuraloperator 2.0.0's SpectralConv to 2e-7 on "
                "copied weights (crosscheck/check_neuraloperator.py)"
            ),
            statement=(
                "On Darcy flow with zero Dirichlet boundary data, MgNO reaches a lower relative-L2 "
                "test error than FNO while using fewer parameters."
            ),
            source="Sec. 5, Darcy table (smooth/rough coefficients) — numbers recalled, unverified",
            paper_value_text=(
                "MgNO ≈ 0.57 M parameters vs FNO2D ≈ 2.4 M on Darcy, with an error several times "
                "lower than FNO's (recalled from our notes; the table was not retrieved)"
            ),
            tolerance=(
                "MgNO parameters < FNO parameters and seed-mean test rel-L2 MgNO < FNO by more "
                f"than {NOISE_SE:g} standard error of the difference (unpaired; reproduced); "
                "higher by more than it: not reproduced; within it: inconclusive (a tie); "
                f"inconclusive if a seed-mean error > {MAX_LEARNED_ERROR:g}"
            ),
            scaled_down=(
                "32² grid (s = 33) instead of 211²; 300 train / 100 test samples; 300 Adam steps "
                "of batch 20 instead of 500 epochs of batch 8; MgNO 12 ch × 4 layers × 3 levels "
                "(≈ 65 k params) vs FNO width 16, 8 modes (≈ 266 k); relative-L2 training loss "
                "for both (official MgNO Darcy runs use H1)."
            ),
            config_cls=DarcyConfig, presets=PRESETS, run=run_darcy, verdict=verdict_darcy,
            plot=plot_darcy,
        ),
    ),
)
# fmt: on
