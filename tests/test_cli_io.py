"""File-system faults at the command line: one line on stderr, a documented exit code, no
traceback, and nothing written half.

Root bypasses permission bits, so faults are simulated by patching the one writer every layer
uses (``nnatlas.core.io.atomic_write_bytes``) and the ``os.open`` it and the write probe call.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from nnatlas import cli
from nnatlas.core import io as core_io
from nnatlas.core.errors import StorageError


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("nnatlas: error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["reproduce", "toy/pi", "--out", "{file}"],
        ["list", "--out", "{file}"],
        ["report", "{file}"],
    ],
    ids=["reproduce", "list", "report"],
)
def test_out_that_is_a_file(argv, capsys, toy_paper, tmp_path):
    file = tmp_path / "afile"
    file.write_text("not a folder")
    code = cli.main(["--no-progress", *(a.format(file=file) for a in argv)])
    assert code == 2
    line = _one_line_error(capsys)
    assert str(file) in line and "file" in line
    assert file.read_text() == "not a folder"


def test_out_below_a_file(capsys, toy_paper, tmp_path):
    file = tmp_path / "afile"
    file.write_text("x")
    assert cli.main(["--no-progress", "reproduce", "toy/pi", "--out", str(file / "runs")]) == 2
    assert "not a directory" in _one_line_error(capsys) or "file" in capsys.readouterr().err


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS, errno.ENOSPC])
def test_unwritable_out_before_any_run(code, capsys, toy_paper, tmp_path, monkeypatch):
    real_open = os.open

    def refuse(path, flags, *args, **kwargs):
        if str(path).startswith(str(tmp_path / "runs")) and flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(core_io.os, "open", refuse)
    out = tmp_path / "runs"
    assert cli.main(["--no-progress", "reproduce", "toy/pi", "--out", str(out)]) == 2
    line = _one_line_error(capsys)
    assert "--out" in line and str(out) in line
    assert not list(out.glob("toy/**/result.json"))  # nothing ran


def test_disk_full_midway_keeps_finished_runs(capsys, toy_paper, tmp_path, monkeypatch):
    real = core_io.atomic_write_bytes
    written = {"results": 0}

    def fill_up(path, data):
        if Path(path).name == "result.json":
            if written["results"] == 2:  # the third run's result does not fit
                raise core_io.storage_error(
                    OSError(errno.ENOSPC, "No space left on device"), path, "write"
                )
            written["results"] += 1
        real(path, data)

    monkeypatch.setattr(core_io, "atomic_write_bytes", fill_up)
    out = tmp_path / "runs"
    code = cli.main(["--no-progress", "reproduce", "toy/pi", "--seeds", "4", "--out", str(out)])
    assert code == 1
    line = _one_line_error(capsys)
    assert "no space left" in line and "2 finished run(s) are kept" in line
    results = sorted(out.glob("toy/pi/*/seed-*/result.json"))
    assert len(results) == 2
    for path in results:  # whole files only
        assert json.loads(path.read_text())["metrics"]["pi_estimate"] > 3
    assert not list(out.rglob("*.tmp"))
    # The fault is gone: a rerun resumes (skips the two) and finishes the rest.
    monkeypatch.setattr(core_io, "atomic_write_bytes", real)
    assert (
        cli.main(["--no-progress", "reproduce", "toy/pi", "--seeds", "4", "--out", str(out)]) == 0
    )
    assert "skipped" in capsys.readouterr().out


def test_report_write_failure_is_one_line(capsys, toy_paper, tmp_path, monkeypatch):
    out = tmp_path / "runs"
    assert cli.main(["--no-progress", "reproduce", "toy/pi", "--out", str(out)]) == 0
    capsys.readouterr()
    real = core_io.atomic_write_bytes

    def no_report(path, data):
        if Path(path).name == "report.html":
            raise core_io.storage_error(OSError(errno.EROFS, "ro"), path, "write")
        real(path, data)

    monkeypatch.setattr(core_io, "atomic_write_bytes", no_report)
    assert cli.main(["--no-progress", "report", str(out)]) == 2
    assert "read-only" in _one_line_error(capsys)


def test_storage_error_is_a_user_error():
    err = core_io.storage_error(OSError(errno.ENOSPC, "x"), "/some/path", "write")
    assert isinstance(err, StorageError) and isinstance(err, OSError)
    assert str(err) == "cannot write '/some/path': no space left on the device"


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "f.json"
    core_io.atomic_write_json(target, {"v": 1})

    def broken_replace(src, dst):
        raise OSError(errno.ENOSPC, "full")

    monkeypatch.setattr(core_io.os, "replace", broken_replace)
    with pytest.raises(StorageError, match="no space left"):
        core_io.atomic_write_json(target, {"v": 2})
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]
