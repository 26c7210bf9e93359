"""Executors: how a list of runs gets computed: in this process, a process pool, Ray or Slurm.

Every executor has the signature ``(specs, done) -> None`` and calls ``done(spec, record)`` in
this process as each run finishes. Runs write their own folders, so any executor whose workers
see the same filesystem fills the same store; the index is written here, by ``done``.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Callable
from typing import Any

from nnatlas.core.errors import StorageError, UnknownNameError
from nnatlas.core.optional import require
from nnatlas.core.progress import set_progress
from nnatlas.runs.runner import RunSpec, execute_run

__all__ = [
    "EXECUTORS",
    "make_executor",
    "process_executor",
    "ray_executor",
    "serial_executor",
    "slurm_executor",
]

Done = Callable[[RunSpec, dict[str, Any]], None]
Executor = Callable[[list[RunSpec], Done], None]


def _safe_execute(spec: RunSpec) -> dict[str, Any]:
    # execute_run records failures of the run function itself; this catches the rest
    # (a worker that cannot import the paper, a bad config) so one run never stops the grid.
    try:
        return execute_run(spec)
    except StorageError:
        raise  # the store failed (disk full, unwritable): the grid cannot go on
    except Exception as exc:
        return {
            "status": "failed",
            "run_dir": str(spec.run_dir),
            "error": f"{type(exc).__name__}: {exc}",
        }


def _worker_execute(spec: RunSpec) -> dict[str, Any]:
    # Bars from several worker processes would overwrite each other; the parent shows one.
    set_progress(False)
    return _safe_execute(spec)


def serial_executor(specs: list[RunSpec], done: Done) -> None:
    """Run one after another in this process."""
    for spec in specs:
        done(spec, _safe_execute(spec))


def process_executor(jobs: int) -> Executor:
    """A pool of ``jobs`` worker processes (spawned, so CUDA and threads start clean)."""
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")

    def run(specs: list[RunSpec], done: Done) -> None:
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=min(jobs, len(specs)), mp_context=ctx) as pool:
            futures = {pool.submit(_worker_execute, spec): spec for spec in specs}
            for fut in cf.as_completed(futures):
                spec = futures[fut]
                try:
                    record = fut.result()
                except StorageError:
                    raise
                except Exception as exc:  # the worker process itself died
                    record = {"status": "failed", "run_dir": str(spec.run_dir), "error": repr(exc)}
                done(spec, record)

    return run


def ray_executor(address: str | None = None, *, num_cpus_per_run: float = 1.0) -> Executor:
    """One Ray task per run (``pip install 'nnatlas[ray]'``).

    Args:
        address: a Ray cluster address (``"auto"``, ``"ray://host:10001"``); ``None`` starts a
            local instance. Workers must see the run store's folder (a shared filesystem).
        num_cpus_per_run: CPUs Ray reserves for each run.
    """
    ray = require("ray", "ray")

    def run(specs: list[RunSpec], done: Done) -> None:
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(
                address=address,
                ignore_reinit_error=True,
                include_dashboard=False,
                log_to_driver=False,
            )
        try:
            remote = ray.remote(num_cpus=num_cpus_per_run)(_worker_execute)
            pending = {remote.remote(spec): spec for spec in specs}
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    done(pending.pop(ref), ray.get(ref))
        finally:
            if started_here:
                ray.shutdown()

    return run


def slurm_executor(folder: str, **parameters: Any) -> Executor:
    """One submitit job per run (``pip install 'nnatlas[slurm]'``); runs locally without Slurm.

    Args:
        folder: where submitit keeps its logs and pickles.
        parameters: passed to ``AutoExecutor.update_parameters`` (``timeout_min``,
            ``slurm_partition``, ``gpus_per_node``, ...).
    """
    submitit = require("submitit", "slurm")

    def run(specs: list[RunSpec], done: Done) -> None:
        executor = submitit.AutoExecutor(folder=folder)
        executor.update_parameters(**({"timeout_min": 60} | parameters))
        jobs = [(spec, executor.submit(_worker_execute, spec)) for spec in specs]
        for spec, job in jobs:
            try:
                record = job.result()
            except Exception as exc:
                record = {"status": "failed", "run_dir": str(spec.run_dir), "error": repr(exc)}
            done(spec, record)

    return run


EXECUTORS = ("serial", "process", "ray", "slurm")


def make_executor(
    name: str, *, jobs: int = 1, address: str | None = None, root: str = "runs"
) -> Executor:
    """Build an executor by name (``serial``, ``process``, ``ray``, ``slurm``)."""
    if name == "serial":
        return serial_executor
    if name == "process":
        return process_executor(jobs)
    if name == "ray":
        return ray_executor(address)
    if name == "slurm":
        return slurm_executor(f"{root}/_submitit")
    raise UnknownNameError("executor", name, list(EXECUTORS))
