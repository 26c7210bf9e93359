from __future__ import annotations

import re

import pytest

from nnatlas.cli import main


def run(capsys, *args):
    code = main(["--no-progress", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_unknown_paper_is_one_clear_line(capsys):
    code, _, err = run(capsys, "reproduce", "nope")
    assert code == 2
    assert (
        err.count("\n") == 1 and "unknown paper or claim 'nope'" in err and "valid choices" in err
    )


def test_bad_set_value_and_field_are_one_line(capsys, toy_paper, tmp_path):
    code, _, err = run(
        capsys, "reproduce", "toy/pi", "--set", "samples=abc", "--out", str(tmp_path)
    )
    assert code == 2 and err.count("\n") == 1
    assert "'samples' expects int, got 'abc'" in err
    code, _, err = run(capsys, "reproduce", "toy/pi", "--set", "width=3", "--out", str(tmp_path))
    assert code == 2 and "unknown config field 'width'" in err and "samples" in err


def test_bad_preset_and_selection(capsys):
    with pytest.raises(SystemExit) as info:
        main(["reproduce", "--all", "--preset", "huge"])
    assert info.value.code == 2
    assert "invalid choice: 'huge'" in capsys.readouterr().err
    code, _, err = run(capsys, "reproduce")
    assert code == 2 and "--all" in err
    code, _, err = run(capsys, "info", "nope")
    assert code == 2 and "unknown paper 'nope'" in err


def test_reproduce_list_report_cite(capsys, toy_paper, tmp_path):
    code, out, _ = run(capsys, "reproduce", "toy/pi", "--preset", "smoke", "--out", str(tmp_path))
    assert code == 0
    assert re.search(r"toy/pi\s+3\.14159\s+3\.1\d* ± \S+ \(n=2\)\s+reproduced", out), out
    assert (tmp_path / "report.html").exists()
    code, out, _ = run(capsys, "list", "toy", "--out", str(tmp_path))
    assert code == 0 and "toy/pi" in out and "last verdict: reproduced" in out
    assert "last verdict: not run" in out  # toy/sweep
    (tmp_path / "report.html").unlink()
    (tmp_path / "index.sqlite").unlink()  # the index is rebuilt from the files
    code, out, _ = run(capsys, "report", str(tmp_path))
    assert code == 0 and (tmp_path / "report.html").exists()
    code, out, _ = run(capsys, "cite", "toy")
    assert code == 0 and out.startswith("@misc{toy")
    code, out, _ = run(capsys, "info", "toy")
    assert code == 0 and "preset smoke (seeds 2): samples=5000" in out


def test_failed_run_exits_nonzero(capsys, toy_paper, tmp_path):
    code, _, err = run(
        capsys,
        "reproduce",
        "toy/pi",
        "--preset",
        "smoke",
        "--set",
        "fail=1",
        "--out",
        str(tmp_path),
    )
    assert code == 1 and "failed" in err


def test_report_on_missing_store(capsys, tmp_path):
    code, _, err = run(capsys, "report", str(tmp_path / "nothing"))
    assert code == 2 and "no run store" in err
