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


def claims_table(summaries: Sequence[dict[str, Any]] = ()) -> str:
    """A Markdown table: one row per registered claim, with the newest measured result if any."""
    latest = {(s["paper"], s["claim"]): s for s in summaries}
    rows = [
        "| paper | claim | paper's number | ours | verdict |",
        "|---|---|---|---|---|",
    ]
    for paper in all_papers():
        for claim in paper.claims:
            s = latest.get((paper.key, claim.key))
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


def update_readme(readme: str | os.PathLike[str], summaries: Sequence[dict[str, Any]] = ()) -> bool:
    """Rewrite the claims table and citations of ``readme`` in place; returns whether it changed.

    Raises:
        ValueError: the file lacks the start/end markers of either block.
    """
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    new = _replace_block(text, START, END, claims_table(summaries), path)
    new = _replace_block(new, CITE_START, CITE_END, citations(), path)
    if new != text:
        atomic_write_text(path, new)
    return new != text
