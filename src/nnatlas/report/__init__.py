"""Reports: one self-contained HTML file, ``REPORT.md`` and ``results.json`` from claim summaries."""

from nnatlas.report.build import (
    format_ours,
    preset_note,
    render_html,
    render_markdown,
    write_report,
)

__all__ = ["format_ours", "preset_note", "render_html", "render_markdown", "write_report"]
