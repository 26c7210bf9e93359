"""Figures for the report, drawn with matplotlib's Agg backend and returned as PNG bytes."""

from __future__ import annotations

import io
import logging
from typing import Any

from nnatlas.core.claims import Claim
from nnatlas.core.config import config_from_dict
from nnatlas.core.optional import require

__all__ = ["claim_figure"]

log = logging.getLogger(__name__)


def _generic_plot(ax: Any, summary: dict[str, Any]) -> None:
    """Per-seed values of the headline metric, their mean ± std, and the paper's value."""
    values = [m.get(summary["metric"]) for m in summary["per_seed"]]
    values = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    seeds = summary["seeds"][: len(values)]
    ax.scatter(seeds, values, color="C0", zorder=3, label="ours (per seed)")
    ours = summary["ours"]
    if ours["mean"] is not None:
        ax.axhline(ours["mean"], color="C0", lw=1.5, label="ours (mean)")
        ax.axhspan(ours["mean"] - ours["std"], ours["mean"] + ours["std"], color="C0", alpha=0.15)
    if isinstance(summary.get("paper_value"), int | float):
        ax.axhline(summary["paper_value"], color="C3", ls="--", label="paper")
    ax.set_xlabel("seed")
    ax.set_ylabel(summary["metric"])
    ax.legend(fontsize=8)


def claim_figure(summary: dict[str, Any], claim: Claim | None) -> bytes | None:
    """The claim's figure as PNG bytes, or ``None`` if there is nothing to draw.

    Uses the claim's own ``plot`` when it has one, else a generic per-seed plot.
    """
    require("matplotlib", "report")
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    if not summary.get("per_seed"):
        return None
    fig, ax = plt.subplots(figsize=(5.6, 3.4), dpi=110)
    try:
        if claim is not None and claim.plot is not None:
            cfg: Any = config_from_dict(claim.config_cls, summary["config"])
            claim.plot(ax, summary["per_seed"], cfg)
        else:
            _generic_plot(ax, summary)
        ax.set_title(f"{summary['paper']} / {summary['claim']}", fontsize=9)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    except Exception as exc:  # a broken figure must not lose the report
        log.warning("figure for %s/%s failed: %s", summary["paper"], summary["claim"], exc)
        return None
    finally:
        plt.close(fig)
