"""Plan, execute and judge runs: the claims harness behind ``nnatlas reproduce``.

A run is the pure function of :class:`RunSpec` (paper, claim, config, seed, device) that
:func:`execute_run` computes; it is picklable, so any executor can run the grid, and it is
keyed by a hash of the config, so a rerun skips what is complete and resumes what is not.
:func:`reproduce` runs a selection over seeds, then computes each claim's verdict from the
measured metrics and writes ``summary.json`` next to the runs.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import platform
import shutil
import subprocess
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

import nnatlas
from nnatlas.core.claims import PRESETS, Claim, Outcome, Paper, Verdict, mean_std
from nnatlas.core.config import apply_overrides, config_from_dict, config_hash, config_to_dict
from nnatlas.core.device import resolve_device, use_device
from nnatlas.core.errors import ConfigError, StorageError, UnknownNameError
from nnatlas.core.io import storage_error
from nnatlas.core.progress import progress_bar
from nnatlas.core.seeding import seed_everything
from nnatlas.papers import resolve, select_claims
from nnatlas.runs.context import run_context
from nnatlas.runs.store import RunStore, atomic_write_json, read_json

__all__ = [
    "ClaimSummary",
    "RunSpec",
    "environment",
    "execute_run",
    "plan",
    "reproduce",
    "summarize",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines one run; picklable and JSON-able.

    Attributes:
        paper, claim: registry keys.
        preset: the preset the config came from (for the record; the hash uses the values).
        config: the config as a JSON dict.
        seed: the run's seed.
        device: ``"cpu"``, ``"cuda"``, ...
        root: the run store's folder.
        force: recompute even if complete.
        threads: torch intra-op threads for this run (``None``: leave torch's default).
        module: the module defining the paper, so worker processes can find papers that
            were registered at run time (:func:`~nnatlas.papers.register_paper`).
    """

    paper: str
    claim: str
    preset: str
    config: Mapping[str, Any]
    seed: int
    device: str = "cpu"
    root: str = "runs"
    force: bool = False
    threads: int | None = None
    module: str = ""

    @functools.cached_property
    def config_hash(self) -> str:
        """Hash of the config values and device type (computed once per spec)."""
        _, claim = resolve(self.paper, self.claim, self.module)
        cfg: Any = config_from_dict(claim.config_cls, self.config)
        return config_hash(cfg, extra={"device": torch.device(self.device).type})

    @property
    def run_dir(self) -> Path:
        return RunStore(self.root).run_dir(self.paper, self.claim, self.config_hash, self.seed)


def _git_sha() -> str | None:
    here = Path(nnatlas.__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def environment(device: str = "cpu") -> dict[str, Any]:
    """Versions, hardware and settings that a result depends on."""
    import numpy as np

    dev = torch.device(device)
    env: dict[str, Any] = {
        "nnatlas": nnatlas.__version__,
        "git_sha": _git_sha(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": str(dev),
        "default_dtype": str(torch.get_default_dtype()).replace("torch.", ""),
    }
    if dev.type == "cuda":
        env["cuda_device"] = torch.cuda.get_device_name(dev)
        env["cuda"] = torch.version.cuda
    return env


def _check_metrics(metrics: object, where: str) -> dict[str, Any]:
    if not isinstance(metrics, dict):
        raise TypeError(f"{where} returned {type(metrics).__name__}, expected a dict of metrics")
    try:
        json.dumps(metrics)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where} returned metrics that are not JSON-serialisable: {exc}") from None
    return metrics


def execute_run(spec: RunSpec) -> dict[str, Any]:
    """Run one (claim, config, seed) into its folder, or skip it if it is already complete.

    Returns:
        ``{"status": "done" | "skipped" | "failed", "run_dir": str, "error": str | None}``.
    """
    _, claim = resolve(spec.paper, spec.claim, spec.module)
    cfg: Any = config_from_dict(claim.config_cls, spec.config)
    chash = spec.config_hash
    store = RunStore(spec.root)
    run_dir = store.run_dir(spec.paper, spec.claim, chash, spec.seed)
    if spec.force and run_dir.exists():
        shutil.rmtree(run_dir)
    elif store.is_complete(run_dir):
        return {"status": "skipped", "run_dir": str(run_dir), "error": None}
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, run_dir, "create the run folder") from None
    atomic_write_json(
        run_dir / "config.json",
        {
            "paper": spec.paper, "claim": spec.claim, "preset": spec.preset, "seed": spec.seed,
            "device": spec.device, "config_hash": chash, "config_class": claim.config_cls.__name__,
            "config": config_to_dict(cfg),
        },
    )  # fmt: skip
    # A previous attempt may have been killed mid-line; the log restarts, memoised work stays.
    try:
        (run_dir / "metrics.jsonl").write_text("")
        (run_dir / "error.json").unlink(missing_ok=True)
    except OSError as exc:
        raise storage_error(exc, run_dir / "metrics.jsonl", "write") from None
    if spec.threads is not None:
        torch.set_num_threads(spec.threads)
    t0 = time.perf_counter()
    bar = progress_bar(f"{spec.paper}/{spec.claim} seed {spec.seed}", unit="step")
    try:
        with use_device(spec.device), run_context(run_dir, on_log=bar.update) as ctx:
            seed_everything(spec.seed)
            metrics = _check_metrics(claim.run(cfg, spec.seed), f"{spec.paper}/{spec.claim}.run")
    except StorageError:
        raise  # the store itself failed (e.g. disk full): not this run's fault, stop here
    except Exception as exc:
        atomic_write_json(
            run_dir / "error.json",
            {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()},
        )
        return {
            "status": "failed",
            "run_dir": str(run_dir),
            "error": f"{type(exc).__name__}: {exc}",
        }
    wall = time.perf_counter() - t0
    atomic_write_json(
        run_dir / "result.json",
        {
            "paper": spec.paper, "claim": spec.claim, "preset": spec.preset, "seed": spec.seed,
            "config_hash": chash, "metrics": metrics,
            "num_parameters": metrics.get("num_parameters"),
            "wall_time_s": round(wall, 3), "finished_at": time.time(),
            "resumed_pieces": ctx.memo_hits, "environment": environment(spec.device),
        },
    )  # fmt: skip
    return {"status": "done", "run_dir": str(run_dir), "error": None}


@dataclass
class ClaimSummary:
    """A claim's runs over seeds, and its verdict."""

    paper: Paper
    claim: Claim
    preset: str
    config: Any
    specs: list[RunSpec]
    failures: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def plan(
    selection: str | None = None,
    *,
    preset: str = "quick",
    seeds: int | None = None,
    overrides: Mapping[str, str] | None = None,
    device: str = "cpu",
    root: str | os.PathLike[str] = "runs",
    force: bool = False,
    threads: int | None = None,
) -> list[ClaimSummary]:
    """Resolve a selection into claims with their configs and run specs (nothing runs).

    ``overrides`` apply to every selected claim whose config has the field; a field that no
    selected claim has is an error listing the fields there are.

    A claim whose ``devices`` lack the type of ``device`` gets CPU specs (see
    :func:`cpu_fallbacks`).

    Raises:
        UnknownNameError: unknown paper/claim pattern, preset or field.
        ConfigError: a value of the wrong type, or a bad seed count.
    """
    if preset not in PRESETS:
        raise UnknownNameError("preset", preset, list(PRESETS))
    if seeds is not None and seeds < 1:
        raise ConfigError(f"--seeds expects a positive integer, got {seeds}")
    dev = resolve_device(device)
    overrides = dict(overrides or {})
    selected = select_claims(selection)
    fields_seen: set[str] = set()
    for _, claim in selected:
        fields_seen |= set(config_to_dict(claim.config(preset)))
    for key in overrides:
        if key not in fields_seen:
            raise UnknownNameError("config field", key, sorted(fields_seen))
    plans = []
    for paper, claim in selected:
        cfg = claim.config(preset)
        own = {k: v for k, v in overrides.items() if k in config_to_dict(cfg)}
        cfg = apply_overrides(cfg, own)
        n = seeds if seeds is not None else claim.seeds.get(preset, 1)
        # A run that does not place its work on the asked-for device runs (and is recorded) on
        # the CPU: never a "cuda" record of a CPU computation.
        run_dev = dev if dev.type in claim.devices else torch.device("cpu")
        specs = [
            RunSpec(
                paper=paper.key,
                claim=claim.key,
                preset=preset,
                config=config_to_dict(cfg),
                seed=s,
                device=str(run_dev),
                root=str(root),
                force=force,
                threads=threads,
                module=paper.module,
            )
            for s in range(n)
        ]
        plans.append(ClaimSummary(paper, claim, preset, cfg, specs))
    return plans


def cpu_fallbacks(plans: list[ClaimSummary], device: str) -> list[str]:
    """``paper/claim`` of each planned claim that runs on the CPU although ``device`` was asked."""
    asked = resolve_device(device)
    return [
        f"{cs.paper.key}/{cs.claim.key}"
        for cs in plans
        if cs.specs and torch.device(cs.specs[0].device).type != asked.type
    ]


def summarize(cs: ClaimSummary) -> dict[str, Any]:
    """Compute a claim's verdict from its completed runs and write ``summary.json``."""
    store = RunStore(cs.specs[0].root)
    results = []
    for spec in cs.specs:
        if store.is_complete(spec.run_dir):
            results.append(read_json(spec.run_dir / "result.json"))
    per_seed = [r["metrics"] for r in results]
    if cs.failures or not per_seed:
        verdict = Verdict(
            Outcome.INCONCLUSIVE,
            f"{len(cs.failures)} of {len(cs.specs)} runs failed: {'; '.join(cs.failures)[:500]}",
        )
    else:
        try:
            verdict = cs.claim.judge(per_seed, cs.config)
        except Exception as exc:  # a rule that cannot be evaluated decides nothing
            verdict = Verdict(
                Outcome.INCONCLUSIVE, f"verdict rule failed: {type(exc).__name__}: {exc}"
            )
    values = [m.get(cs.claim.metric) for m in per_seed]
    numeric = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    mean, std, n = mean_std(numeric)
    group = cs.specs[0].run_dir.parent
    summary = {
        "paper": cs.paper.key,
        "paper_title": cs.paper.title,
        "arxiv": cs.paper.arxiv,
        "claim": cs.claim.key,
        "statement": cs.claim.statement,
        "source": cs.claim.source,
        "metric": cs.claim.metric,
        "paper_value": cs.claim.paper_value,
        "paper_value_text": cs.claim.paper_value_text,
        "tolerance": cs.claim.tolerance,
        "scaled_down": cs.claim.scaled_down,
        "peer": cs.claim.peer,
        "preset": cs.preset,
        "config_hash": cs.specs[0].config_hash,
        "config": config_to_dict(cs.config),
        "device": cs.specs[0].device,
        "seeds": [r["seed"] for r in results],
        "n_seeds": len(results),
        "ours": {
            "mean": None if math.isnan(mean) else mean,
            "std": None if n == 0 else std,
            "n": n,
        },
        "per_seed": per_seed,
        "verdict": verdict.to_dict(),
        "wall_time_s": round(sum(r["wall_time_s"] for r in results), 3),
        "environment": results[0]["environment"] if results else environment(cs.specs[0].device),
        "command": rerun_command(cs),
        "finished_at": time.time(),
    }
    atomic_write_json(group / "summary.json", summary)
    store.index_summary(group / "summary.json")
    cs.summary = summary
    return summary


def rerun_command(cs: ClaimSummary) -> str:
    """The exact CLI command that reruns this claim with this config."""
    base = cs.claim.config(cs.preset)
    changed = {
        k: v for k, v in config_to_dict(cs.config).items() if config_to_dict(base).get(k) != v
    }
    parts = ["nnatlas", "reproduce", f"{cs.paper.key}/{cs.claim.key}", "--preset", cs.preset]
    parts += ["--seeds", str(len(cs.specs))]
    for k, v in changed.items():
        value = ",".join(map(str, v)) if isinstance(v, list) else str(v)
        parts += ["--set", f"{k}={value}"]
    if cs.specs[0].device != "cpu":
        parts += ["--device", cs.specs[0].device]
    return " ".join(parts)


def reproduce(
    plans: Sequence[ClaimSummary],
    *,
    executor: Callable[[list[RunSpec], Callable[[RunSpec, dict[str, Any]], None]], None],
    on_run: Callable[[RunSpec, dict[str, Any]], None] | None = None,
) -> list[ClaimSummary]:
    """Execute every run of ``plans`` with ``executor``, then judge each claim.

    Args:
        plans: from :func:`plan`.
        executor: ``(specs, done_callback) -> None``; see :mod:`nnatlas.runs.executors`.
        on_run: called in this process after each run finishes (for progress output).
    """
    by_key = {(cs.paper.key, cs.claim.key): cs for cs in plans}
    specs = [s for cs in plans for s in cs.specs]
    if not specs:
        return list(plans)
    store = RunStore(specs[0].root)

    def done(spec: RunSpec, record: dict[str, Any]) -> None:
        cs = by_key[(spec.paper, spec.claim)]
        status = record["status"]
        if status == "failed":
            cs.failures.append(f"seed {spec.seed}: {record['error']}")
            log.error(
                "%s/%s seed %d failed: %s", spec.paper, spec.claim, spec.seed, record["error"]
            )
        store.index_run(Path(record["run_dir"]), status="failed" if status == "failed" else "done")
        if on_run is not None:
            on_run(spec, record)

    executor(specs, done)
    for cs in plans:
        summarize(cs)
    return list(plans)


def default_threads(jobs: int) -> int:
    """Torch threads per run when ``jobs`` runs share this machine's cores."""
    return max(1, (os.cpu_count() or 1) // max(1, jobs))
