"""Executors behind optional extras, on a local instance (run with `pytest -m extras`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nnatlas.runs.executors import ray_executor, serial_executor, slurm_executor
from nnatlas.runs.runner import plan, reproduce

pytestmark = pytest.mark.extras


@pytest.fixture(autouse=True)
def _workers_find_toy_paper(monkeypatch):
    # Ray and submitit workers are fresh interpreters: they find the toy paper via PYTHONPATH.
    tests = str(Path(__file__).resolve().parents[1])
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [tests, os.environ.get("PYTHONPATH")]))
    )


def test_ray_local_instance_matches_serial(toy_paper, tmp_path):
    pytest.importorskip("ray")
    serial = reproduce(
        plan("toy/pi", preset="smoke", root=tmp_path / "s"), executor=serial_executor
    )
    remote = reproduce(
        plan("toy/pi", preset="smoke", root=tmp_path / "r", threads=1), executor=ray_executor()
    )
    assert remote[0].summary["per_seed"] == serial[0].summary["per_seed"]
    assert remote[0].summary["verdict"] == serial[0].summary["verdict"]


def test_submitit_local_matches_serial(toy_paper, tmp_path):
    pytest.importorskip("submitit")
    serial = reproduce(
        plan("toy/pi", preset="smoke", root=tmp_path / "s"), executor=serial_executor
    )
    jobs = reproduce(
        plan("toy/pi", preset="smoke", root=tmp_path / "j", threads=1),
        executor=slurm_executor(str(tmp_path / "submitit"), timeout_min=5),
    )
    assert jobs[0].summary["per_seed"] == serial[0].summary["per_seed"]
