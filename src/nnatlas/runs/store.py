"""The run store: one folder per run, every file written atomically, indexed in SQLite.

Layout::

    <root>/<paper>/<claim>/<config-hash>/
        seed-<k>/config.json      the run's config, seed, preset and device
        seed-<k>/metrics.jsonl    per-step metrics, appended while the run goes
        seed-<k>/result.json      final metrics and environment (exists only once complete)
        seed-<k>/artifacts/       memoised partial results (what lets a killed run resume)
        summary.json              the claim's verdict over seeds
    <root>/index.sqlite           one row per run and per summary; rebuildable from the files

The files are the source of truth; the SQLite index is a cache for fast listing and can be
rebuilt from them at any time (:meth:`RunStore.rebuild_index`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The writers live in core (every layer uses them); re-exported here for existing imports.
from nnatlas.core.errors import StorageError
from nnatlas.core.io import atomic_write_bytes, atomic_write_json, atomic_write_text, read_json

__all__ = ["RunStore", "atomic_write_bytes", "atomic_write_json", "atomic_write_text", "read_json"]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    paper TEXT NOT NULL, claim TEXT NOT NULL, config_hash TEXT NOT NULL, seed INTEGER NOT NULL,
    preset TEXT, device TEXT, status TEXT NOT NULL, wall_time_s REAL, finished_at REAL,
    path TEXT NOT NULL,
    PRIMARY KEY (paper, claim, config_hash, seed)
);
CREATE TABLE IF NOT EXISTS summaries (
    paper TEXT NOT NULL, claim TEXT NOT NULL, config_hash TEXT NOT NULL,
    preset TEXT, outcome TEXT, n_seeds INTEGER, finished_at REAL, path TEXT NOT NULL,
    PRIMARY KEY (paper, claim, config_hash)
);
"""


class RunStore:
    """Files and index of a folder of runs (default ``runs/``).

    Args:
        root: the folder; created on first write.
    """

    def __init__(self, root: str | os.PathLike[str] = "runs") -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"RunStore({str(self.root)!r})"

    # -- paths -------------------------------------------------------------------------
    def group_dir(self, paper: str, claim: str, config_hash: str) -> Path:
        return self.root / paper / claim / config_hash

    def run_dir(self, paper: str, claim: str, config_hash: str, seed: int) -> Path:
        return self.group_dir(paper, claim, config_hash) / f"seed-{seed}"

    @staticmethod
    def is_complete(run_dir: Path) -> bool:
        """A run is complete when its ``result.json`` exists and parses."""
        try:
            read_json(run_dir / "result.json")
        except (FileNotFoundError, json.JSONDecodeError):
            return False
        return True

    # -- index -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if self.root.exists() and not self.root.is_dir():
            raise StorageError(f"run store {str(self.root)!r} is a file, not a directory")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.root / "index.sqlite", timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the run index in {str(self.root)!r}: {exc}") from None
        try:
            try:
                con.executescript(_SCHEMA)
                with con:  # one transaction: committed whole or not at all
                    yield con
            except sqlite3.Error as exc:  # read-only folder, disk full, corrupt index
                raise StorageError(
                    f"cannot update the run index {str(self.root / 'index.sqlite')!r}: {exc}"
                ) from None
        finally:
            con.close()

    def index_run(self, run_dir: Path, *, status: str) -> None:
        """Record a run (``done`` or ``failed``) in the index from its files."""
        cfg = read_json(run_dir / "config.json")
        wall = finished = None
        if status == "done":
            result = read_json(run_dir / "result.json")
            wall, finished = result.get("wall_time_s"), result.get("finished_at")
        with self._db() as con:
            con.execute(
                "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    cfg["paper"], cfg["claim"], cfg["config_hash"], cfg["seed"], cfg.get("preset"),
                    cfg.get("device"), status, wall, finished or time.time(),
                    str(run_dir.relative_to(self.root)),
                ),
            )  # fmt: skip

    def index_summary(self, summary_path: Path) -> None:
        s = read_json(summary_path)
        with self._db() as con:
            con.execute(
                "INSERT OR REPLACE INTO summaries VALUES (?,?,?,?,?,?,?,?)",
                (
                    s["paper"], s["claim"], s["config_hash"], s.get("preset"),
                    s["verdict"]["outcome"], s.get("n_seeds"), s.get("finished_at"),
                    str(summary_path.parent.relative_to(self.root)),
                ),
            )  # fmt: skip

    def rebuild_index(self) -> int:
        """Rebuild ``index.sqlite`` from the files; returns the number of runs found."""
        with contextlib.suppress(FileNotFoundError):
            (self.root / "index.sqlite").unlink()
        count = 0
        for cfg_path in sorted(self.root.glob("*/*/*/seed-*/config.json")):
            run_dir = cfg_path.parent
            self.index_run(run_dir, status="done" if self.is_complete(run_dir) else "incomplete")
            count += 1
        for summary in sorted(self.root.glob("*/*/*/summary.json")):
            self.index_summary(summary)
        return count

    def latest_summaries(self) -> list[dict[str, Any]]:
        """The newest summary of each (paper, claim), read from the files via the index."""
        if not (self.root / "index.sqlite").exists():
            self.rebuild_index()
        with self._db() as con:
            rows = con.execute(
                "SELECT path FROM summaries s WHERE finished_at = (SELECT MAX(finished_at) "
                "FROM summaries t WHERE t.paper = s.paper AND t.claim = s.claim) "
                "ORDER BY paper, claim"
            ).fetchall()
        out = []
        for (path,) in rows:
            summary_path = self.root / path / "summary.json"
            if summary_path.exists():
                out.append(read_json(summary_path))
        return out

    def runs(self, paper: str | None = None) -> list[dict[str, Any]]:
        """Index rows of the runs (optionally of one paper), newest first."""
        if not (self.root / "index.sqlite").exists():
            return []
        with self._db() as con:
            con.row_factory = sqlite3.Row
            query = "SELECT * FROM runs" + (" WHERE paper = ?" if paper else "")
            rows = con.execute(query + " ORDER BY finished_at DESC", (paper,) if paper else ())
            return [dict(r) for r in rows]
