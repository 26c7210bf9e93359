from __future__ import annotations

import json
import os

import pytest

from nnatlas.runs.context import log_metrics, memoize, run_context
from nnatlas.runs.store import RunStore, atomic_write_json, atomic_write_text


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "a" / "b.json"
    atomic_write_json(path, {"x": 1})
    atomic_write_json(path, {"x": 2})
    assert json.loads(path.read_text()) == {"x": 2}
    assert os.listdir(path.parent) == ["b.json"]


def test_atomic_write_gives_ordinary_permissions(tmp_path):
    path = tmp_path / "r.json"
    atomic_write_json(path, {})
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_atomic_write_failure_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "c.txt"
    atomic_write_text(path, "old")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["c.txt"]


def test_context_logs_and_memoises(tmp_path):
    calls = []
    with run_context(tmp_path) as ctx:
        log_metrics(step=1, loss=0.5)
        assert memoize("k", lambda: calls.append(1) or 42) == 42
        assert memoize("k", lambda: calls.append(1) or 43) == 42
        assert ctx.memo_hits == 1
    assert calls == [1]
    line = json.loads((tmp_path / "metrics.jsonl").read_text())
    assert line["step"] == 1 and line["loss"] == 0.5
    # Outside a run: plain call, nothing written.
    assert memoize("k", lambda: 7) == 7
    log_metrics(step=2, loss=1.0)
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 1


def test_incomplete_runs_are_not_complete(tmp_path):
    store = RunStore(tmp_path)
    run = store.run_dir("p", "c", "h", 0)
    run.mkdir(parents=True)
    assert not store.is_complete(run)
    (run / "result.json").write_text('{"truncated": ')
    assert not store.is_complete(run)
    atomic_write_json(run / "result.json", {"ok": True})
    assert store.is_complete(run)
