"""A tiny paper used by the harness tests: cheap, deterministic, and able to die on demand.

Set ``NNATLAS_TOY_KILL_AFTER=k`` to make the ``sweep`` claim SIGKILL its own process after
computing k points, and ``NNATLAS_TOY_TRACE=file`` to append each computed point to a file.
"""

from __future__ import annotations

import math
import os
import signal
from dataclasses import dataclass

import torch

from nnatlas.core.claims import Claim, Outcome, Paper, Verdict, mean_std
from nnatlas.runs.context import log_metrics, memoize


@dataclass(frozen=True, kw_only=True)
class PiConfig:
    samples: int = 20_000
    fail: bool = False


def run_pi(config: PiConfig, seed: int) -> dict:
    if config.fail:
        raise RuntimeError("asked to fail")
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(config.samples, 2, generator=g)
    estimate = 4.0 * (xy.pow(2).sum(1) <= 1).double().mean().item()
    log_metrics(step=0, estimate=estimate)
    return {"pi_estimate": estimate, "num_parameters": 0}


def verdict_pi(per_seed: list[dict], config: PiConfig) -> Verdict:
    mean, _, n = mean_std([m["pi_estimate"] for m in per_seed])
    ok = abs(mean - math.pi) < 0.05
    return Verdict(
        Outcome.REPRODUCED if ok else Outcome.NOT_REPRODUCED,
        f"mean estimate {mean:.4f} over {n} seeds vs pi",
        {"mean": mean},
    )


@dataclass(frozen=True, kw_only=True)
class SweepConfig:
    points: tuple[int, ...] = (1, 2, 3, 4)
    scale: float = 1.0


def run_sweep(config: SweepConfig, seed: int) -> dict:
    kill_after = int(os.environ.get("NNATLAS_TOY_KILL_AFTER", "-1"))
    trace = os.environ.get("NNATLAS_TOY_TRACE")
    computed = 0
    values = []
    for i, p in enumerate(config.points):

        def compute(p: int = p) -> float:
            nonlocal computed
            computed += 1
            if trace:
                with open(trace, "a") as fh:
                    fh.write(f"{seed}:{p}\n")
            return config.scale * p * p + seed

        values.append(memoize(f"point-{p}", compute))
        log_metrics(step=i, point=p, value=values[-1])
        if computed == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
    return {"total": float(sum(values))}


def verdict_sweep(per_seed: list[dict], config: SweepConfig) -> Verdict:
    return Verdict(Outcome.REPRODUCED, "always, for the harness test")


PAPER = Paper(
    key="toy",
    title="A Toy Paper for Harness Tests",
    authors="Nobody",
    year=2026,
    venue="tests",
    arxiv="0000.00000",
    bibtex="@misc{toy, title={A Toy Paper}}",
    family="core",
    summary="Monte Carlo pi and a memoised sweep.",
    claims=(
        Claim(
            key="pi",
            statement="Monte Carlo estimates pi.",
            source="Eq. 1",
            metric="pi_estimate",
            paper_value=math.pi,
            paper_value_text="3.14159",
            tolerance="|mean - pi| < 0.05",
            config_cls=PiConfig,
            presets={
                "smoke": PiConfig(samples=5000),
                "quick": PiConfig(),
                "paper": PiConfig(samples=10**6),
            },
            run=run_pi,
            verdict=verdict_pi,
            seeds={"smoke": 2, "quick": 3, "paper": 5},
        ),
        Claim(
            key="sweep",
            statement="A sweep that can resume.",
            source="Fig. 1",
            metric="total",
            paper_value=None,
            paper_value_text="–",
            tolerance="none",
            config_cls=SweepConfig,
            presets={"smoke": SweepConfig(), "quick": SweepConfig(), "paper": SweepConfig()},
            run=run_sweep,
            verdict=verdict_sweep,
        ),
    ),
)
