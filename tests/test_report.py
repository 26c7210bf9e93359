from __future__ import annotations

import base64
import json
import re

from nnatlas.report import write_report
from nnatlas.runs.executors import serial_executor
from nnatlas.runs.runner import plan, reproduce
from nnatlas.runs.store import RunStore


def test_report_is_self_contained_and_complete(toy_paper, tmp_path):
    reproduce(plan("toy", preset="smoke", root=tmp_path), executor=serial_executor)
    summaries = RunStore(tmp_path).latest_summaries()
    paths = write_report(summaries, tmp_path)
    page = paths["html"].read_text()
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=['"](?!data:|#|https://arxiv\.org/abs/)""", page)
    assert "<link" not in page.lower()
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert len(images) == 2
    assert base64.b64decode(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    for needle in (
        "Monte Carlo estimates pi.",
        "Eq. 1",
        "3.14159",
        "reproduced",
        "|mean - pi| &lt; 0.05",
        "nnatlas reproduce toy/pi --preset smoke --seeds 2",
        "torch",
    ):
        assert needle in page, needle
    md = paths["markdown"].read_text()
    assert "| toy/pi | 3.14159 |" in md
    results = json.loads(paths["json"].read_text())
    assert {c["claim"] for c in results["claims"]} == {"pi", "sweep"}
    assert results["papers"][0]["claims"] == 2
