"""The README's commands and snippets are what CI and users run: keep them working."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nnatlas.papers import all_papers
from nnatlas.report.readme import CITE_END, CITE_START, END, START, citations, claims_table

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), re.DOTALL)


def test_readme_opens_with_the_two_commands():
    bash = _blocks("bash")
    assert "nnatlas reproduce --all" in bash[0] and "pip install torch==2.13.0" in bash[0]
    assert "python -m pytest" in bash[1]
    text = README.read_text()
    assert text.index("<!-- test-command -->") < text.index(bash[1])


def test_claims_table_lists_every_registered_claim():
    text = README.read_text()
    table = text[text.index(START) : text.index(END)]
    for paper in all_papers():
        for claim in paper.claims:
            assert f"| {claim.key}: " in table, f"{paper.key}/{claim.key} missing from README table"
    assert claims_table().count("\n") == sum(len(p.claims) for p in all_papers()) + 1


def test_citations_are_the_registered_bibtex():
    text = README.read_text()
    block = text[text.index(CITE_START) + len(CITE_START) : text.index(CITE_END)].strip()
    assert block == citations()
    for paper in all_papers():
        assert paper.bibtex.strip() in block


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_python_snippets_run():
    namespace: dict = {}
    for code in _blocks("python"):
        exec(compile(code, str(README), "exec"), namespace)
    assert namespace["result"].found in (True, False)


def test_a_partial_rerun_keeps_the_other_claims_rows(tmp_path):
    from nnatlas.report.readme import update_readme

    paper = all_papers()[0]
    first, second = paper.claims[0], paper.claims[1]
    readme = tmp_path / "README.md"
    readme.write_text(f"{START}\n{END}\n{CITE_START}\n{CITE_END}\n")

    def summary(claim, value):
        return {"paper": paper.key, "claim": claim.key, "preset": "quick",
                "ours": {"mean": value, "std": 0.0, "n": 1},
                "verdict": {"outcome": "reproduced", "reason": ""}}  # fmt: skip

    update_readme(readme, [summary(first, 1.0), summary(second, 2.0)])
    old_second = next(
        line for line in readme.read_text().splitlines() if f"| {second.key}: " in line
    )
    update_readme(readme, [summary(first, 3.0)], keep_unrun=True)
    lines = readme.read_text().splitlines()
    assert old_second in lines  # kept
    assert not any(f"| {second.key}: " in line and "not run" in line for line in lines)
    update_readme(readme, [summary(first, 3.0)])  # without keep_unrun: "not run"
    assert any(
        f"| {second.key}: " in line and "not run" in line
        for line in readme.read_text().splitlines()
    )
