"""Running claims: the run store, the per-run context, the harness and the executors."""

from nnatlas.runs.context import RunContext, current_run, log_metrics, memoize
from nnatlas.runs.executors import (
    make_executor,
    process_executor,
    ray_executor,
    serial_executor,
    slurm_executor,
)
from nnatlas.runs.runner import (
    ClaimSummary,
    RunSpec,
    environment,
    execute_run,
    plan,
    reproduce,
    summarize,
)
from nnatlas.runs.store import RunStore, atomic_write_bytes, atomic_write_json, atomic_write_text

__all__ = [
    "ClaimSummary",
    "RunContext",
    "RunSpec",
    "RunStore",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "current_run",
    "environment",
    "execute_run",
    "log_metrics",
    "make_executor",
    "memoize",
    "plan",
    "process_executor",
    "ray_executor",
    "reproduce",
    "serial_executor",
    "slurm_executor",
    "summarize",
]
