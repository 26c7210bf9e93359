"""Run every cross-check in its peer's venv and print one Markdown table.

    python crosscheck/run.py                 # all checks; writes crosscheck/results.md
    python crosscheck/run.py --only timm     # checks whose file or peer matches
    python crosscheck/run.py --list          # what would run, and whether each venv exists
    python crosscheck/run.py --rows crosscheck/rows.json   # render stored rows (no venv needed)

Each ``crosscheck/check_<name>.py`` declares ``PEER`` (the venv name made by
``setup_peers.sh``) and ``COMPONENTS`` (the rows it fills) at module level; this script reads
them with ``ast`` (it imports no peer), runs the file with ``<venv>/bin/python`` and
``PYTHONPATH=<repo>/src``, one thread (``PEER = "self"``: a check whose reference is written
in the script runs in this interpreter), and parses the JSON list of rows on its last stdout
line. A missing venv, a failed install, a crash or a timeout gives ``cannot run`` rows that say
why. The table is printed and written atomically to ``crosscheck/results.md`` (``--out``).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
COLUMNS = ("component", "peer", "quantity", "value", "verdict", "note")


def venv_root() -> Path:
    default = Path.home() / ".cache" / "nnatlas" / "peer-venvs"
    return Path(os.environ.get("NNATLAS_PEER_VENVS", default))


def declared(path: Path) -> tuple[str, list[str]]:
    """``PEER`` and ``COMPONENTS`` of a check script, read without importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("PEER", "COMPONENTS"):
                found[target.id] = ast.literal_eval(node.value)
    peer, comps = found.get("PEER"), found.get("COMPONENTS")
    if not isinstance(peer, str) or not isinstance(comps, list) or not comps:
        raise SystemExit(f"{path.name}: must define PEER = '<venv>' and COMPONENTS = [...]")
    return peer, [str(c) for c in comps]


def checks(only: list[str] | None) -> list[Path]:
    paths = sorted(HERE.glob("check_*.py"))
    if only:
        paths = [p for p in paths if any(o in p.stem or o == declared(p)[0] for o in only)]
    return paths


def cannot(components: list[str], peer: str, why: str) -> list[dict[str, str]]:
    return [
        {"component": c, "peer": peer, "quantity": "-", "value": "-", "verdict": "cannot run",
         "note": why}
        for c in components
    ]  # fmt: skip


def run_check(path: Path, timeout: float) -> list[dict[str, str]]:
    peer, comps = declared(path)
    root = venv_root()
    # PEER = "self": the reference is written in the check (no peer package): this interpreter.
    python = Path(sys.executable) if peer == "self" else root / peer / "bin" / "python"
    failed = root / f"{peer}.failed"
    if peer != "self" and failed.exists():
        last = [ln for ln in failed.read_text(errors="replace").splitlines() if ln.strip()]
        why = last[-1][:160] if last else "see the log"
        return cannot(comps, peer, f"peer failed to install ({why})")
    if not python.exists():
        return cannot(
            comps, peer, f"no venv at {root / peer}: run crosscheck/setup_peers.sh {peer}"
        )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(HERE)])
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", HF_HUB_OFFLINE="1",
               DDE_BACKEND="pytorch", PYTHONHASHSEED="0")  # fmt: skip
    try:
        proc = subprocess.run(
            [str(python), str(path)], capture_output=True, text=True, env=env,
            timeout=timeout, cwd=str(REPO),
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return cannot(comps, peer, f"timed out after {timeout:.0f} s")
    lines = proc.stdout.strip().splitlines()
    try:
        rows = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        rows = None
    if not isinstance(rows, list):
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1][:160]
        return cannot(comps, peer, f"check crashed (exit {proc.returncode}): {err}")
    return [{k: str(r.get(k, "")) for k in COLUMNS} for r in rows]


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: list[dict[str, str]]) -> str:
    head = "| component | peer (version) | quantity compared | max difference / ratio | verdict |"
    out = [head, "|---|---|---|---|---|"]
    for r in rows:
        verdict = f"**{r['verdict']}**" + (f": {r['note']}" if r.get("note") else "")
        out.append(
            "| " + " | ".join(cell(x) for x in (r["component"], r["peer"], r["quantity"],
                                                 r["value"], verdict)) + " |"
        )  # fmt: skip
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    summary = ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
    return "\n".join(out) + f"\n\n{len(rows)} rows: {summary}.\n"


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="run checks whose file name or peer matches")
    ap.add_argument("--list", action="store_true", help="list checks and venvs; run nothing")
    ap.add_argument("--rows", type=Path, help="render rows from a JSON file instead of running")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per check script")
    ap.add_argument("--out", type=Path, default=HERE / "results.md")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = ap.parse_args(argv)

    if args.list:
        root = venv_root()
        print("| check | peer venv | venv | components |\n|---|---|---|---|")
        for p in checks(args.only):
            peer, comps = declared(p)
            state = ("this interpreter" if peer == "self" else
                     "install failed" if (root / f"{peer}.failed").exists() else
                     "ready" if (root / peer / "bin" / "python").exists() else "missing")  # fmt: skip
            print(f"| {p.name} | {peer} | {state} | {', '.join(comps)} |")
        return 0

    if args.rows is not None:
        rows = json.loads(args.rows.read_text(encoding="utf-8"))
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise SystemExit(f"--rows {args.rows}: expected a JSON list of row objects")
        rows = [{k: str(r.get(k, "")) for k in COLUMNS} for r in rows]
    else:
        rows = []
        for p in checks(args.only):
            t0 = time.perf_counter()
            got = run_check(p, args.timeout)
            print(f"[{p.name}: {len(got)} rows, {time.perf_counter() - t0:.0f} s]", file=sys.stderr)
            rows.extend(got)
    text = table(rows)
    print(text)
    how = (
        f" --rows {args.rows.as_posix()}` from stored rows"
        if args.rows is not None
        else (" --only " + " ".join(args.only) if args.only else "") + "`"
    )
    header = (
        f"# Cross-check results\n\nGenerated by `python crosscheck/run.py{how} "
        "(see crosscheck/README.md for what each row compares).\n\n"
    )
    atomic_write(args.out, header + text)
    if args.json is not None:
        atomic_write(args.json, json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
