"""PolyStep vs the official ``polystep`` on polystep's other four architectures, equal budget.

The models and budget of the ``other-architectures`` claim (INT8 MLP, staircase MLP, argmax
attention, hard MoE on digits; 6,000 candidate evaluations; seeds 0-2) with the settings of
:mod:`_snn_task` (ours as the claim runs it, with ``redraw_on_absorb``). One row per
architecture; the verdict rule of ``check_polystep.stochastic_verdict`` (ours worse than the
official package by > 2 standard errors and > 2 points: disagree). The caveat of
``check_polystep`` applies: the official optimizer barely leaves its initialisation with these
arguments, so these rows do not compare each package at its best.
"""

from __future__ import annotations

from _common import fmt_ms, guarded, row, setup, version
from _snn_task import ARCH_EVALUATIONS, ARCHITECTURES, SEEDS, run
from check_polystep import stochastic_verdict

PEER = "polystep"
COMPONENTS = ["PolyStep (int8)", "PolyStep (staircase)", "PolyStep (attention)", "PolyStep (moe)"]


def body() -> list[dict[str, str]]:
    setup()
    rows = []
    for arch in ARCHITECTURES:
        ours = [run("nnatlas-polystep", s, ARCH_EVALUATIONS, arch)["accuracy"] for s in SEEDS]
        theirs = [run("official-polystep", s, ARCH_EVALUATIONS, arch)["accuracy"] for s in SEEDS]
        verdict, note = stochastic_verdict(ours, theirs)
        note += "; official barely leaves its init at these arguments (see check_polystep.py)"
        rows.append(row(f"PolyStep ({arch})", f"polystep {version('polystep')}",
                        f"test accuracy on digits, {ARCH_EVALUATIONS} evaluations, seeds {list(SEEDS)}",
                        f"ours {fmt_ms(ours)}, official {fmt_ms(theirs)}", verdict, note))  # fmt: skip
    return rows


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
