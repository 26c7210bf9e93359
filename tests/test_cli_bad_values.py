"""Every out-of-domain ``--set`` value is one line and exit 2 before any run starts.

The cases the reliability review found (values that started a run and failed late, or were
accepted silently) are pinned by name; then every field of every claim gets an out-of-domain
value through the command line, and the store must stay empty.
"""

from __future__ import annotations

import dataclasses
import typing

import pytest

from nnatlas import cli
from nnatlas.papers import all_papers
from nnatlas.testing.bad_inputs import out_of_domain

REVIEWED = [
    ("deep-learning-theory", "width=-5"),
    ("deep-learning-theory", "critical_band=nan"),
    ("deep-learning-theory", "critical_band=-1"),
    ("deep-learning-theory", "off_factor=inf"),
    ("deep-learning-theory", "num_networks=1"),
    ("intrinsic-dimension/small-fraction", "max_fraction=2"),
]


@pytest.fixture(autouse=True)
def _no_run_may_start(monkeypatch):
    """A refused value must stop before the executor is even built; if not, fail at once."""

    def refuse(*args, **kwargs):
        pytest.fail("a bad value reached the executor: the run would have started")

    monkeypatch.setattr("nnatlas.runs.executors.make_executor", refuse)


def _check_refused(capsys, tmp_path, claim: str, assignment: str) -> None:
    out = tmp_path / "runs"
    argv = ["--no-progress", "reproduce", claim, "--preset", "smoke", "--set", assignment]
    code = cli.main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    field = assignment.partition("=")[0]
    assert code == 2, f"{claim} --set {assignment}: exit {code}\n{err}"
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert field in err, err
    assert not out.exists() or not any(out.iterdir()), "a run started"


@pytest.mark.parametrize(("claim", "assignment"), REVIEWED, ids=[f"{c} {a}" for c, a in REVIEWED])
def test_reviewed_bad_values(claim, assignment, capsys, tmp_path):
    # The paper (or claim) pattern selects every claim with that field, as a user's --set does.
    field = assignment.partition("=")[0]
    having = [
        f"{p.key}/{c.key}"
        for p in all_papers()
        for c in p.claims
        if (p.key == claim or f"{p.key}/{c.key}" == claim)
        and field in {f.name for f in dataclasses.fields(c.config_cls)}
    ]
    assert having, f"no claim of {claim} has a field {field!r}"
    _check_refused(capsys, tmp_path, claim, assignment)


def test_every_field_refuses_out_of_domain_values_on_the_command_line(capsys, tmp_path):
    tried = refused = 0
    for paper in all_papers():
        for claim in paper.claims:
            hints = typing.get_type_hints(claim.config_cls)
            for f in dataclasses.fields(claim.config_cls):
                domain = f.metadata.get("domain")
                scalar = hints[f.name]
                if domain is None or scalar not in (int, float):
                    continue
                for text in map(str, out_of_domain(domain, scalar)):
                    tried += 1
                    _check_refused(capsys, tmp_path, f"{paper.key}/{claim.key}", f"{f.name}={text}")
                    refused += 1
    print(f"{tried} out-of-domain command-line values tried, {refused} refused in one line")
    assert tried > 0
