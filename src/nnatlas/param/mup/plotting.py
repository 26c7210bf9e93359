"""Plotting a coordinate check (needs matplotlib, extra ``report``; imported lazily).

Part of :mod:`nnatlas.param.mup` (Tensor Programs V, arXiv 2203.03466, Fig. 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nnatlas.core.errors import ConfigError
from nnatlas.param.mup.coordinates import CoordCheck

__all__ = ["plot_coord_check"]


def plot_coord_check(
    result: CoordCheck,
    path: str | Path | None = None,
    *,
    axes: Sequence[Any] | None = None,
    title: str = "",
) -> Any:
    """Plot mean |activation| against width, one panel per step, one line per module.

    Needs matplotlib (extra ``report``).

    Args:
        result: from :func:`coord_check`.
        path: save the figure there (PNG/PDF by suffix) when given.
        axes: ``steps + 1`` matplotlib axes to draw into (default: a new figure).
        title: figure title.

    Returns:
        The matplotlib figure.
    """
    from nnatlas.core.optional import require

    if not isinstance(result, CoordCheck):
        raise TypeError(
            f"result must be a CoordCheck (from coord_check); got {type(result).__name__}"
        )
    plt = require("matplotlib.pyplot", "report")
    n = result.steps + 1
    if axes is None:
        fig, ax_arr = plt.subplots(1, n, figsize=(3.2 * n, 3), squeeze=False)
        axes = list(ax_arr[0])
    elif len(axes) != n:
        raise ConfigError(f"axes must hold {n} axes (steps + 1); got {len(axes)}")
    fig = axes[0].figure
    for t, ax in enumerate(axes):
        for i, m in enumerate(result.modules):
            ax.plot(result.widths, result.l1(m, t), marker="o", ms=3, color=f"C{i % 10}", label=m)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(f"t = {t}")
        ax.set_xlabel("width")
    axes[0].set_ylabel("mean |activation|")
    axes[-1].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(path, bbox_inches="tight")
    return fig
