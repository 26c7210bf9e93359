"""The README's generated parts: the claims table and the citations.

The table sits between ``<!-- claims-table:start -->`` and ``<!-- claims-table:end -->``, the
BibTeX entries between ``<!-- citations:start -->`` and ``<!-- citations:end -->``;
``nnatlas report DIR --readme README.md`` rewrites both from the registry and the newest
summaries in DIR, so the numbers in the README are always ones a run produced.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nnatlas.core.io import atomic_write_text
from nnatlas.papers import all_papers
from nnatlas.report.build import format_ours

__all__ = ["CITE_END", "CITE_START", "END", "START", "citations", "claims_table", "update_readme"]

START = "<!-- claims-table:start -->"
END = "<!-- claims-table:end -->"
CITE_START = "<!-- citations:start -->"
CITE_END = "<!-- citations:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_ROW = re.compile(r"^\| \[(?P<paper>[^\]]+)\]\([^)]*\) \| (?P<claim>[^:|]+):")


def _previous_rows(text: str) -> dict[tuple[str, str], str]:
    """The measured rows of an existing claims table, keyed by (paper, claim)."""
    rows: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        m = _ROW.match(line)
        if m and not line.rstrip().endswith("| not run | – |"):
            rows[(m["paper"], m["claim"])] = line
    return rows


def claims_table(
    summaries: Sequence[dict[str, Any]] = (), previous: dict[tuple[str, str], str] | None = None
) -> str:
    """A Markdown table: one row per registered claim, with the newest measured result if any.

    Args:
        summaries: run summaries; the newest per claim gives its row.
        previous: rows of an earlier table, by (paper, claim): a claim with no summary keeps its
            earlier measured row (so a partial rerun updates only what it ran), else "not run".
    """
    latest = {(s["paper"], s["claim"]): s for s in summaries}
    previous = previous or {}
    rows = [
        "| paper | claim | paper's number | ours | verdict |",
        "|---|---|---|---|---|",
    ]
    for paper in all_papers():
        for claim in paper.claims:
            s = latest.get((paper.key, claim.key))
            if s is None and (paper.key, claim.key) in previous:
                rows.append(previous[(paper.key, claim.key)])
                continue
            ours = (
                f"`{claim.metric}` = {format_ours(s)}, preset `{s['preset']}`" if s else "not run"
            )
            verdict = f"**{s['verdict']['outcome']}**" if s else "–"
            if s and s.get("preset") == "smoke":
                verdict = f"*{s['verdict']['outcome']} (smoke: plumbing check, not a result)*"
            rows.append(
                f"| [{_cell(paper.key)}](https://arxiv.org/abs/{paper.arxiv}) | {_cell(claim.key)}: "
                f"{_cell(claim.statement)} | {_cell(claim.paper_value_text)} | {_cell(ours)} | {verdict} |"
            )
    return "\n".join(rows)


def citations() -> str:
    """Every registered paper's BibTeX entry, in one fenced block."""
    return "```bibtex\n" + "\n\n".join(p.bibtex.strip() for p in all_papers()) + "\n```"


def _replace_block(text: str, start: str, end: str, body: str, path: Path) -> str:
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{path} has no generated-block markers ({start} ... {end})")
    return pattern.sub(lambda _: f"{start}\n{body}\n{end}", text)


def update_readme(
    readme: str | os.PathLike[str],
    summaries: Sequence[dict[str, Any]] = (),
    *,
    keep_unrun: bool = False,
) -> bool:
    """Rewrite the claims table and citations of ``readme`` in place; returns whether it changed.

    Args:
        readme: the file.
        summaries: run summaries; each claim's row comes from its newest one.
        keep_unrun: a claim without a summary keeps the row the file already has for it
            (a partial rerun updates only the claims it ran); otherwise it is "not run".

    Raises:
        ValueError: the file lacks the start/end markers of either block.
    """
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    previous = _previous_rows(text) if keep_unrun else None
    new = _replace_block(text, START, END, claims_table(summaries, previous), path)
    new = _replace_block(new, CITE_START, CITE_END, citations(), path)
    if new != text:
        atomic_write_text(path, new)
    return new != text
