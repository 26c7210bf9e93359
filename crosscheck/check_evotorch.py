"""OpenAI-ES (nnatlas.optim) vs evotorch's PGPE run as OpenAI-ES: accuracy at equal evaluations.

Task and settings: :mod:`_snn_task` (polystep's ``snn-plateau`` task, 4,000 evaluations, seeds
0-2). evotorch's ``PGPE`` with ``stdev_learning_rate=0`` (fixed σ 0.3), Adam on the centre (lr
0.05), centred ranks, symmetric (antithetic) sampling and population 50 is OpenAI-ES with the
claim's settings. Verdict: the rule of ``check_polystep.stochastic_verdict`` (ours worse than
the peer by > 2 standard errors and > 2 points: disagree).
"""

from __future__ import annotations

from _common import fmt_ms, guarded, row, setup, version
from _snn_task import EVALUATIONS, SEEDS, run
from check_polystep import stochastic_verdict

PEER = "evotorch"
COMPONENTS = ["OpenAI-ES"]


def body() -> list[dict[str, str]]:
    setup()
    ours = [run("nnatlas-es", s)["accuracy"] for s in SEEDS]
    theirs = [run("evotorch-es", s)["accuracy"] for s in SEEDS]
    verdict, note = stochastic_verdict(ours, theirs)
    return [row("OpenAI-ES", f"evotorch {version('evotorch')} (PGPE, fixed σ)",
                f"test accuracy, hard-LIF SNN on digits, {EVALUATIONS} evaluations, seeds {list(SEEDS)}",
                f"ours {fmt_ms(ours)}, evotorch {fmt_ms(theirs)}", verdict, note)]  # fmt: skip


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
