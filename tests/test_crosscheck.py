"""crosscheck/run.py keeps working without any peer venv (CI has none).

The peer checks themselves run only in their venvs (``bash crosscheck/setup_peers.sh`` then
``python crosscheck/run.py``); here: every check script declares what run.py reads, ``--list``
and ``--rows`` work, a missing venv becomes a "cannot run" row naming the fix, and the table
escapes pipes and counts verdicts.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "crosscheck" / "run.py"


@pytest.fixture(scope="module")
def runmod():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("crosscheck_run", RUN)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_check_declares_peer_and_components(runmod) -> None:  # type: ignore[no-untyped-def]
    paths = runmod.checks(None)
    peers = {runmod.declared(p)[0] for p in paths}
    # The rows issue 21 asks for (one venv name each, "self" for the numpy re-statement).
    assert {"timm", "neuraloperator", "deepxde", "pararnn", "hyperlight", "pyscnn", "polystep",
            "evotorch", "freia", "self"} <= peers  # fmt: skip
    setup = (ROOT / "crosscheck" / "setup_peers.sh").read_text()
    for peer in peers - {"self"}:
        assert f"[{peer}]=" in setup, f"setup_peers.sh does not install {peer}"


def test_missing_venv_is_a_cannot_run_row(runmod, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NNATLAS_PEER_VENVS", str(tmp_path))
    path = ROOT / "crosscheck" / "check_timm.py"
    rows = runmod.run_check(path, timeout=5)
    assert [r["verdict"] for r in rows] == ["cannot run", "cannot run"]
    assert "setup_peers.sh timm" in rows[0]["note"]
    (tmp_path / "timm.failed").write_text("ERROR: no matching distribution\n")
    rows = runmod.run_check(path, timeout=5)
    assert "failed to install (ERROR: no matching distribution)" in rows[0]["note"]


def test_rows_file_renders_one_table(tmp_path) -> None:
    rows = [
        {"component": "A|B", "peer": "p 1.0", "quantity": "max |Δ|", "value": "1e-16",
         "verdict": "agree", "note": ""},
        {"component": "C", "peer": "q", "quantity": "-", "value": "-", "verdict": "cannot run",
         "note": "why"},
    ]  # fmt: skip
    src = tmp_path / "rows.json"
    src.write_text(json.dumps(rows))
    out = tmp_path / "results.md"
    proc = subprocess.run([sys.executable, str(RUN), "--rows", str(src), "--out", str(out)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    text = out.read_text()
    assert "| A\\|B | p 1.0 | max \\|Δ\\| | 1e-16 | **agree** |" in text
    assert "| C | q | - | - | **cannot run**: why |" in text
    assert "2 rows: 1 agree, 1 cannot run." in text
    assert text.split("\n\n", 2)[2] in proc.stdout  # printed table == written table


def test_list_needs_no_venv(tmp_path) -> None:
    env = {"NNATLAS_PEER_VENVS": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, str(RUN), "--list"], capture_output=True, text=True,
                          check=True, env=env)  # fmt: skip
    assert "| check_timm.py | timm | missing |" in proc.stdout
    assert "| check_nap.py | self | this interpreter |" in proc.stdout
