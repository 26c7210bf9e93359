from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.runs.executors import process_executor, serial_executor
from nnatlas.runs.runner import plan, reproduce
from nnatlas.runs.store import RunStore

TESTS = Path(__file__).resolve().parents[1]


def test_plan_validates_names_and_values(toy_paper, tmp_path):
    with pytest.raises(UnknownNameError, match="preset"):
        plan("toy", preset="huge", root=tmp_path)
    with pytest.raises(UnknownNameError, match="samples"):
        plan("toy", overrides={"depth": "3"}, root=tmp_path)
    with pytest.raises(ConfigError, match="'samples' expects int, got 'abc'"):
        plan("toy", overrides={"samples": "abc"}, root=tmp_path)
    with pytest.raises(ConfigError, match="seeds"):
        plan("toy", seeds=0, root=tmp_path)
    # A field only one claim has applies to that claim only.
    plans = plan("toy", overrides={"samples": "100"}, root=tmp_path)
    assert plans[0].config.samples == 100 and plans[1].config == plans[1].claim.config("quick")


def test_serial_run_writes_store_and_verdict_and_skips_on_rerun(toy_paper, tmp_path):
    plans = reproduce(plan("toy/pi", preset="smoke", root=tmp_path), executor=serial_executor)
    summary = plans[0].summary
    assert summary["verdict"]["outcome"] == "reproduced"
    assert summary["n_seeds"] == 2 and summary["ours"]["n"] == 2
    run_dir = plans[0].specs[0].run_dir
    result = json.loads((run_dir / "result.json").read_text())
    assert set(result["environment"]) >= {"torch", "python", "device", "git_sha"}
    assert json.loads((run_dir / "config.json").read_text())["config"]["samples"] == 5000
    assert (run_dir / "metrics.jsonl").read_text().count("\n") == 1
    assert (run_dir.parent / "summary.json").exists()

    statuses = []
    reproduce(
        plan("toy/pi", preset="smoke", root=tmp_path),
        executor=serial_executor,
        on_run=lambda spec, rec: statuses.append(rec["status"]),
    )
    assert statuses == ["skipped", "skipped"]
    statuses.clear()
    reproduce(
        plan("toy/pi", preset="smoke", root=tmp_path, force=True),
        executor=serial_executor,
        on_run=lambda spec, rec: statuses.append(rec["status"]),
    )
    assert statuses == ["done", "done"]


def test_same_seed_same_numbers(toy_paper, tmp_path):
    a = reproduce(plan("toy/pi", preset="smoke", root=tmp_path / "a"), executor=serial_executor)
    b = reproduce(plan("toy/pi", preset="smoke", root=tmp_path / "b"), executor=serial_executor)
    assert a[0].summary["per_seed"] == b[0].summary["per_seed"]


def test_failed_run_is_recorded_and_inconclusive(toy_paper, tmp_path):
    plans = reproduce(
        plan("toy/pi", preset="smoke", overrides={"fail": "true"}, root=tmp_path),
        executor=serial_executor,
    )
    assert plans[0].summary["verdict"]["outcome"] == "inconclusive"
    assert "asked to fail" in plans[0].summary["verdict"]["reason"]
    error = json.loads((plans[0].specs[0].run_dir / "error.json").read_text())
    assert "RuntimeError" in error["error"]
    assert [r["status"] for r in RunStore(tmp_path).runs()] == ["failed", "failed"]


def test_process_pool_matches_serial(toy_paper, tmp_path):
    serial = reproduce(
        plan("toy/pi", preset="smoke", root=tmp_path / "s"), executor=serial_executor
    )
    pooled = reproduce(
        plan("toy/pi", preset="smoke", root=tmp_path / "p", threads=1), executor=process_executor(2)
    )
    assert serial[0].summary["per_seed"] == pooled[0].summary["per_seed"]


def _cli(args, env_extra=None, cwd=None):
    """Run the CLI in a fresh interpreter with the toy paper registered."""
    code = (
        "import sys, dataclasses, toy_paper\n"
        "from nnatlas.papers import register_paper\n"
        "register_paper(dataclasses.replace(toy_paper.PAPER, module='toy_paper'))\n"
        "from nnatlas.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(TESTS), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_sigkill_midway_then_rerun_resumes_without_recomputing(tmp_path):
    trace = tmp_path / "trace.txt"
    store = tmp_path / "runs"
    args = ["--no-progress", "reproduce", "toy/sweep", "--seeds", "2", "--out", str(store)]
    first = _cli(args, {"NNATLAS_TOY_KILL_AFTER": "3", "NNATLAS_TOY_TRACE": str(trace)})
    # The kill counter counts points computed within one run, so seed 0 dies after 3 points.
    assert first.returncode == -9, first.stderr
    done_before = trace.read_text().split()
    assert done_before == ["0:1", "0:2", "0:3"]
    run0 = next(store.glob("toy/sweep/*/seed-0"))
    assert not (run0 / "result.json").exists()
    for f in run0.rglob("*.json"):
        json.loads(f.read_text())  # nothing half-written
    second = _cli(args, {"NNATLAS_TOY_TRACE": str(trace)})
    assert second.returncode == 0, second.stderr
    computed = trace.read_text().split()[len(done_before) :]
    assert computed == ["0:4", "1:1", "1:2", "1:3", "1:4"]  # nothing finished is recomputed
    totals = [
        json.loads(p.read_text())["metrics"]["total"]
        for p in sorted(store.glob("toy/sweep/*/seed-*/result.json"))
    ]
    assert totals == [30.0, 34.0]
    third = _cli(args, {"NNATLAS_TOY_TRACE": str(trace)})
    assert third.returncode == 0 and "skipped" in third.stdout
    assert len(trace.read_text().split()) == len(done_before) + len(computed)


def test_a_claim_that_ignores_the_device_runs_and_is_recorded_on_the_cpu(
    toy_paper, tmp_path, monkeypatch
):
    import dataclasses

    import torch

    from nnatlas import papers
    from nnatlas.core.claims import ANY_DEVICE
    from nnatlas.runs import runner

    pi, sweep = toy_paper.claims
    papers.register_paper(
        dataclasses.replace(toy_paper, claims=(dataclasses.replace(pi, devices=ANY_DEVICE), sweep)),
        replace=True,
    )
    # This machine may have no GPU: pretend "cuda" resolves, as it does on one (nothing runs).
    real = runner.resolve_device
    monkeypatch.setattr(
        runner, "resolve_device", lambda d: torch.device("cuda") if d == "cuda" else real(d)
    )
    plans = plan("toy", device="cuda", root=tmp_path)
    assert [s.device for s in plans[0].specs] == ["cuda"] * len(plans[0].specs)
    assert {s.device for s in plans[1].specs} == {"cpu"}
    # The CPU fallback shares the CPU runs' store (same config hash), so they are reused.
    assert plans[1].specs[0].run_dir == plan("toy/sweep", root=tmp_path)[0].specs[0].run_dir
    assert runner.cpu_fallbacks(plans, "cuda") == ["toy/sweep"]
    assert runner.cpu_fallbacks(plan("toy", root=tmp_path), "cpu") == []


@pytest.mark.parametrize("devices", [("cuda",), ["cpu", "cuda"], ("cpu", "tpu")])
def test_claim_devices_must_be_a_tuple_of_known_types_with_cpu(toy_paper, devices):
    import dataclasses

    with pytest.raises(ValueError, match="devices must be a tuple"):
        dataclasses.replace(toy_paper.claims[0], devices=devices)
