"""Render claim summaries (``summary.json`` files) into HTML, Markdown and JSON.

The HTML is one self-contained file: inline CSS, figures as base64 PNG, no script, no network.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nnatlas
from nnatlas.core.errors import MissingExtraError, NnatlasError
from nnatlas.core.io import atomic_write_json, atomic_write_text

__all__ = ["format_ours", "preset_note", "render_html", "render_markdown", "write_report"]

log = logging.getLogger(__name__)

_COLOURS = {
    "reproduced": "#1a7f37",
    "reproduced with benefits": "#0b6bcb",
    "not reproduced": "#c4321a",
    "inconclusive": "#9a6700",
}

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de}
h3{margin:1.6rem 0 .4rem}table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}
td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.verdict{font-weight:600;padding:.1rem .45rem;border-radius:.3rem;color:#fff;
white-space:nowrap}code,pre{font:.85rem ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa}
pre{padding:.6rem;overflow-x:auto;border-radius:.3rem}.muted{color:#57606a;font-size:.9rem}
.claim{border:1px solid #d0d7de;border-radius:.5rem;padding:.2rem 1rem 1rem;margin:1rem 0}
img{max-width:100%;height:auto}details{margin:.4rem 0}
"""


def _fmt(x: Any) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if x != x:  # NaN
            return "nan"
        if x == 0 or 1e-3 <= abs(x) < 1e5:
            return f"{x:.4g}"
        return f"{x:.3e}"
    if isinstance(x, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    return str(x)


SMOKE_NOTE = "smoke preset: a plumbing check of the code path, not a result"


def preset_note(s: dict[str, Any]) -> str:
    """What a verdict's preset means for reading it (empty for ``quick`` and ``paper``)."""
    return SMOKE_NOTE if s.get("preset") == "smoke" else ""


def format_ours(s: dict[str, Any]) -> str:
    """A summary's headline metric as ``mean ± std (n=k)``, or ``–`` when nothing finished."""
    ours = s["ours"]
    if ours["mean"] is None:
        return "–"
    return f"{_fmt(ours['mean'])} ± {_fmt(ours['std'])} (n={ours['n']})"


def _paper_rows(summaries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for s in summaries:
        row = rows.setdefault(
            s["paper"],
            {"paper": s["paper"], "title": s["paper_title"], "arxiv": s["arxiv"], "claims": 0,
             "outcomes": {}, "presets": [], "wall_time_s": 0.0},
        )  # fmt: skip
        row["claims"] += 1
        if s.get("preset") not in row["presets"]:
            row["presets"].append(s.get("preset"))
        outcome = s["verdict"]["outcome"]
        row["outcomes"][outcome] = row["outcomes"].get(outcome, 0) + 1
        row["wall_time_s"] += s.get("wall_time_s") or 0.0
    return list(rows.values())


def _figure_b64(s: dict[str, Any]) -> tuple[str | None, str | None]:
    """(base64 PNG, note) for a summary's figure."""
    from nnatlas.papers import resolve
    from nnatlas.report.figures import claim_figure

    try:
        _, claim = resolve(s["paper"], s["claim"])
    except NnatlasError:
        claim = None
    try:
        png = claim_figure(s, claim)
    except MissingExtraError as exc:
        return None, str(exc)
    return (base64.b64encode(png).decode() if png else None), None


def _badge(outcome: str, preset: str | None = None) -> str:
    if preset == "smoke":  # grey and labelled: nobody should read a smoke verdict as a result
        label = f"{outcome} (smoke)"
        return f'<span class="verdict" style="background:#8c959f">{html.escape(label)}</span>'
    colour = _COLOURS.get(outcome, "#57606a")
    return f'<span class="verdict" style="background:{colour}">{html.escape(outcome)}</span>'


def _presets_cell(row: dict[str, Any]) -> str:
    presets = ", ".join(str(p) for p in row["presets"])
    return presets + (" (plumbing check)" if "smoke" in row["presets"] else "")


def _kv_table(items: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>"
        for k, v in items.items()
    )
    return f"<table>{rows}</table>"


def render_html(
    summaries: Sequence[dict[str, Any]], *, title: str = "nnatlas reproduction report"
) -> str:
    """The report as one self-contained HTML document."""
    e = html.escape
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1><p class='muted'>nnatlas {e(nnatlas.__version__)} · generated {now}. "
        "Every verdict below is computed from the measured metrics by a rule fixed in code before "
        "the run.</p>",
        "<h2>Summary</h2>",
    ]
    if any(s.get("preset") == "smoke" for s in summaries):
        out.append(
            "<p><strong>Some verdicts below come from the <code>smoke</code> preset</strong>: "
            "seconds-long runs that check the code path end to end. They are not results; a "
            "smoke \u201cnot reproduced\u201d says nothing about the paper. Run the "
            "<code>quick</code> preset (the default) for results.</p>"
        )
    out.append(
        "<table><tr><th>paper</th><th>claims</th><th>preset</th><th>verdicts</th>"
        "<th>wall time</th></tr>"
    )
    for row in _paper_rows(summaries):
        smoke = row["presets"] == ["smoke"]
        verdicts = " ".join(
            f"{_badge(k, 'smoke' if smoke else None)}&nbsp;×{v}" for k, v in row["outcomes"].items()
        )
        out.append(
            f"<tr><td><a href='#{e(row['paper'])}'>{e(row['paper'])}</a><br><span class='muted'>"
            f"{e(row['title'])} (arXiv <a href='https://arxiv.org/abs/{e(row['arxiv'])}'>"
            f"{e(row['arxiv'])}</a>)</span></td><td>{row['claims']}</td>"
            f"<td>{e(_presets_cell(row))}</td><td>{verdicts}</td>"
            f"<td>{row['wall_time_s']:.0f} s</td></tr>"
        )
    out.append("</table>")
    current = None
    for s in summaries:
        if s["paper"] != current:
            current = s["paper"]
            out.append(f"<h2 id='{e(s['paper'])}'>{e(s['paper_title'])}</h2>")
        v = s["verdict"]
        out.append(f"<div class='claim' id='{e(s['paper'])}-{e(s['claim'])}'>")
        out.append(f"<h3>{e(s['claim'])} {_badge(v['outcome'], s.get('preset'))}</h3>")
        if preset_note(s):
            out.append(f"<p class='muted'><strong>{e(preset_note(s))}.</strong></p>")
        out.append(f"<p>{e(s['statement'])} <span class='muted'>({e(s['source'])})</span></p>")
        out.append(
            "<table>"
            f"<tr><th>metric</th><td><code>{e(s['metric'])}</code></td></tr>"
            f"<tr><th>paper</th><td>{e(s['paper_value_text'])}</td></tr>"
            f"<tr><th>ours</th><td>{e(format_ours(s))} · preset <code>{e(s['preset'])}</code>, seeds "
            f"{e(_fmt(s['seeds']))}</td></tr>"
            f"<tr><th>tolerance</th><td>{e(s['tolerance'])}</td></tr>"
            f"<tr><th>verdict</th><td>{_badge(v['outcome'], s.get('preset'))} {e(v['reason'])}</td></tr>"
            f"<tr><th>scaled down</th><td>{e(s['scaled_down'] or '–')}</td></tr>"
            f"<tr><th>peer</th><td>{e(s.get('peer') or '–')}</td></tr>"
            f"<tr><th>wall time</th><td>{_fmt(s['wall_time_s'])} s over {s['n_seeds']} seeds</td></tr>"
            "</table>"
        )
        if v.get("values"):
            out.append("<details open><summary>quantities the verdict used</summary>")
            out.append(_kv_table(v["values"]) + "</details>")
        b64, note = _figure_b64(s)
        if b64:
            out.append(f"<img alt='figure for {e(s['claim'])}' src='data:image/png;base64,{b64}'>")
        elif note:
            out.append(f"<p class='muted'>No figure: {e(note)}</p>")
        out.append(f"<p>Rerun: <code>{e(s['command'])}</code></p>")
        out.append("<details><summary>config</summary>" + _kv_table(s["config"]) + "</details>")
        out.append(
            "<details><summary>environment</summary>" + _kv_table(s["environment"]) + "</details>"
        )
        out.append("</div>")
    out.append("</body></html>")
    return "\n".join(out)


def render_markdown(
    summaries: Sequence[dict[str, Any]], *, title: str = "nnatlas reproduction report"
) -> str:
    """The report as GitHub-flavoured Markdown (no figures)."""
    lines = [f"# {title}", ""]
    if any(s.get("preset") == "smoke" for s in summaries):
        lines += [
            f"> Verdicts marked *(smoke)* come from the `smoke` preset ({SMOKE_NOTE}).",
            "",
        ]
    lines += ["| paper | claims | preset | verdicts | wall time |", "|---|---|---|---|---|"]
    for row in _paper_rows(summaries):
        verdicts = ", ".join(f"{k} ×{v}" for k, v in row["outcomes"].items())
        lines.append(
            f"| {row['paper']} | {row['claims']} | {_presets_cell(row)} | {verdicts} | "
            f"{row['wall_time_s']:.0f} s |"
        )
    lines += [
        "",
        "| claim | paper | ours (mean ± std) | preset | verdict |",
        "|---|---|---|---|---|",
    ]
    for s in summaries:
        verdict = f"**{s['verdict']['outcome']}**"
        if s.get("preset") == "smoke":
            verdict = f"*{s['verdict']['outcome']} (smoke)*"
        lines.append(
            f"| {s['paper']}/{s['claim']} | {s['paper_value_text']} | `{s['metric']}` = "
            f"{format_ours(s)} | `{s.get('preset')}` | {verdict} |"
        )
    for s in summaries:
        v = s["verdict"]
        lines += [
            "",
            f"## {s['paper']} / {s['claim']}: {v['outcome']}"
            + (" (smoke)" if s.get("preset") == "smoke" else ""),
            "",
            *([f"*{preset_note(s)}.*", ""] if preset_note(s) else []),
            f"{s['statement']} ({s['source']})",
            "",
            f"- metric: `{s['metric']}`; paper: {s['paper_value_text']}; ours: {format_ours(s)}",
            f"- tolerance: {s['tolerance']}",
            f"- verdict: **{v['outcome']}**: {v['reason']}",
            f"- scaled down: {s['scaled_down'] or '–'}",
            *([f"- peer: {s['peer']}"] if s.get("peer") else []),
            f"- preset `{s['preset']}`, seeds {s['seeds']}, wall time {_fmt(s['wall_time_s'])} s, "
            f"torch {s['environment'].get('torch')} on {s['environment'].get('device')}",
            f"- rerun: `{s['command']}`",
        ]
    return "\n".join(lines) + "\n"


def _claim_order(s: dict[str, Any]) -> tuple[str, int, str]:
    """Papers alphabetically, claims in the order the paper lists them."""
    from nnatlas.papers import get_paper

    try:
        keys = [c.key for c in get_paper(s["paper"]).claims]
    except NnatlasError:
        keys = []
    return s["paper"], keys.index(s["claim"]) if s["claim"] in keys else len(keys), s["claim"]


def write_report(
    summaries: Sequence[dict[str, Any]], out_dir: str | os.PathLike[str] = "runs"
) -> dict[str, Path]:
    """Write ``report.html``, ``REPORT.md`` and ``results.json`` into ``out_dir`` (atomically).

    Returns:
        The paths written, keyed ``html``, ``markdown``, ``json``.
    """
    out = Path(out_dir)
    paths = {
        "html": out / "report.html",
        "markdown": out / "REPORT.md",
        "json": out / "results.json",
    }
    summaries = sorted(summaries, key=_claim_order)
    atomic_write_text(paths["html"], render_html(summaries))
    atomic_write_text(paths["markdown"], render_markdown(summaries))
    atomic_write_json(
        paths["json"],
        {
            "nnatlas": nnatlas.__version__,
            "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "papers": _paper_rows(summaries),
            "claims": list(summaries),
        },
    )
    return paths
