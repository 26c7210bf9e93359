"""The claims toolkit: statistics against closed forms, comparisons on both sides of their
boundaries, threshold checks, guards, presets and ``Claim.judge``."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import pytest

from nnatlas.core import verdicts as v
from nnatlas.core.claims import Claim, Outcome, Verdict, presets
from nnatlas.core.config import ClaimConfig, param
from nnatlas.core.errors import UnknownNameError


def test_stat_matches_the_closed_form():
    xs = [1.0, 2.0, 4.0, 7.0]
    s = v.stat(xs)
    assert s.mean == statistics.fmean(xs) and s.n == 4
    assert s.std == pytest.approx(statistics.stdev(xs), rel=1e-15)
    assert s.se == pytest.approx(statistics.stdev(xs) / 2, rel=1e-15)
    assert v.stat([3.0]).se == math.inf and v.stat([3.0]).std == 0.0
    assert math.isnan(v.stat([]).mean)


def test_paired_uses_the_differences():
    a, b = [1.0, 2.0, 3.0], [0.5, 1.9, 2.2]
    c = v.paired(a, b)
    d = [x - y for x, y in zip(a, b, strict=True)]
    assert c.effect == pytest.approx(statistics.fmean(d), rel=1e-15)
    assert c.se == pytest.approx(statistics.stdev(d) / math.sqrt(3), rel=1e-15)
    assert c.paired and c.n == 3
    lower = v.paired(a, b, higher_is_better=False)
    assert lower.effect == pytest.approx(-c.effect) and lower.se == pytest.approx(c.se)
    with pytest.raises(ValueError, match="equal lengths"):
        v.paired([1.0], [1.0, 2.0])


def test_unpaired_standard_error():
    a, b = [1.0, 2.0, 3.0], [0.0, 0.0, 3.0, 5.0]
    c = v.unpaired(a, b)
    se = math.sqrt(statistics.variance(a) / 3 + statistics.variance(b) / 4)
    assert c.effect == pytest.approx(2.0 - 2.0) and c.se == pytest.approx(se, rel=1e-15)
    assert v.unpaired([1.0], [0.0, 1.0]).se == math.inf


@pytest.mark.parametrize(
    ("effect", "se", "one_sided", "two_sided"),
    [
        (0.30, 0.10, Outcome.REPRODUCED, Outcome.REPRODUCED),
        (0.05, 0.10, Outcome.INCONCLUSIVE, Outcome.INCONCLUSIVE),
        (0.00, 0.10, Outcome.NOT_REPRODUCED, Outcome.INCONCLUSIVE),
        (-0.05, 0.10, Outcome.NOT_REPRODUCED, Outcome.INCONCLUSIVE),
        (-0.30, 0.10, Outcome.NOT_REPRODUCED, Outcome.NOT_REPRODUCED),
        (0.30, math.inf, Outcome.INCONCLUSIVE, Outcome.INCONCLUSIVE),
    ],
)
def test_comparison_policies(effect, se, one_sided, two_sided):
    c = v.Comparison(effect, se, 3, True, v.stat([0.0]), v.stat([0.0]))
    assert c.outcome() is one_sided
    assert c.outcome(two_sided=True) is two_sided


def test_comparison_k_scales_the_margin():
    c = v.Comparison(0.25, 0.1, 3, True, v.stat([0.0]), v.stat([0.0]))
    assert c.beats(2.0) and not c.beats(3.0)
    assert c.outcome(3.0) is Outcome.INCONCLUSIVE
    assert "+0.25" in c.describe("A", "B") and "paired" in c.describe()
    assert c.table("A", "B")["standard error"] == 0.1


@pytest.mark.parametrize(
    ("wins", "losses", "p"),
    # closed forms: P(Bin(n, 1/2) >= w) = sum_{j>=w} C(n, j) / 2^n
    [(0, 0, 1.0), (1, 0, 0.5), (9, 0, 1 / 512), (4, 3, 0.5), (5, 0, 1 / 32), (6, 1, 8 / 128),
     (0, 7, 1.0)],
)  # fmt: skip
def test_sign_test_closed_forms(wins, losses, p):
    # sums of at most n+1 exact binomial terms over a power of two: exact in float64 for n < 53
    assert v.sign_test(wins, losses) == p


@pytest.mark.parametrize("n", [1, 2, 7, 20, 40])
def test_sign_test_tails_are_complementary(n):
    # P(X >= w) + P(X >= n - w + 1) = 1 by the symmetry of Binomial(n, 1/2); each tail is a
    # sum of < 41 terms each rounded once, so the identity holds to a few ulp
    for w in range(n + 1):
        total = v.sign_test(w, n - w) + v.sign_test(n - w + 1, w - 1) if w else 1.0
        assert total == pytest.approx(1.0, abs=1e-14)
        if w < n:
            assert v.sign_test(w + 1, n - w - 1) < v.sign_test(w, n - w)  # more wins, smaller p


@pytest.mark.parametrize(("alpha", "n"), [(0.5, 1), (0.05, 5), (1 / 32, 5), (0.031, 6), (0.01, 7)])
def test_sign_test_min_pairs_is_the_smallest_n_that_can_reach_alpha(alpha, n):
    assert v.sign_test_min_pairs(alpha) == n
    assert v.sign_test(n, 0) <= alpha < v.sign_test(n - 1, 0)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, True, "0.05", float("nan")])
def test_sign_test_min_pairs_rejects_a_level_outside_zero_one(bad):
    with pytest.raises(ValueError, match="alpha must be a number in \\(0, 1\\)"):
        v.sign_test_min_pairs(bad)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_sign_test_rejects_counts_that_are_not_non_negative_ints(bad):
    with pytest.raises(ValueError, match="wins must be a non-negative int"):
        v.sign_test(bad, 2)
    with pytest.raises(ValueError, match="losses must be a non-negative int"):
        v.sign_test(2, bad)


@pytest.mark.parametrize(
    ("op", "value", "bound", "passed"),
    [(">", 1.0, 1.0, False), (">=", 1.0, 1.0, True), ("<", 1.0, 1.0, False),
     ("<=", 1.0, 1.0, True), (">", 1.1, 1.0, True), ("<", 0.9, 1.0, True),
     (">=", math.nan, 0.0, False), ("<=", math.nan, 0.0, False)],
)  # fmt: skip
def test_check_boundaries(op, value, bound, passed):
    assert v.Check("q", value, op, bound).passed is passed


def test_judge_reports_every_check_and_its_bound():
    verdict = v.judge([v.Check("ratio", 12.0, ">=", 10.0), v.Check("gap", 0.3, "<", 0.2)])
    assert verdict.outcome is Outcome.NOT_REPRODUCED
    assert "ratio = 12 ≥ 10" in verdict.reason and "gap = 0.3 ≥ 0.2" in verdict.reason
    assert verdict.values["required: gap"] == "< 0.2"
    ok = v.threshold("ratio", 12.0, ">=", 10.0, prefix="over 3 seeds")
    assert ok.outcome is Outcome.REPRODUCED and ok.reason.startswith("over 3 seeds: ")
    with pytest.raises(ValueError, match="op"):
        v.Check("q", 1.0, "=>", 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        v.judge([])


def test_values_guards_missing_and_nonfinite():
    per_seed = [{"a": {"b": 1.0}}, {"a": {"b": 2.0}}]
    assert v.values(per_seed, "a", "b") == [1.0, 2.0]
    with pytest.raises(v.Inconclusive, match="missing from seed 1"):
        v.values([{"a": 1.0}, {}], "a")
    with pytest.raises(v.Inconclusive, match="not finite"):
        v.values([{"a": math.nan}], "a")
    assert math.isnan(v.values([{"a": math.nan}], "a", finite=False)[0])
    with pytest.raises(v.Inconclusive, match="not a number"):
        v.values([{"a": "x"}], "a")
    with pytest.raises(v.Inconclusive, match="no completed seed"):
        v.values([], "a")
    with pytest.raises(v.Inconclusive, match="at least 3"):
        v.at_least_seeds([{}, {}], 3)


@dataclass(frozen=True, kw_only=True)
class _Cfg(ClaimConfig):
    n: int = param(3, ge=1)
    floor: float = param(0.5, ge=0, le=1)


def _rule(per_seed, config):
    acc = v.stat(v.values(per_seed, "acc"))
    v.guard(acc.mean >= config.floor, f"accuracy {acc.mean:.2f} below {config.floor}")
    return v.threshold("accuracy", acc.mean, ">=", 0.9)


def _claim(rule=_rule) -> Claim:
    q = _Cfg()
    return Claim(
        key="c", statement="s", source="t", metric="acc", paper_value=None,
        paper_value_text="", tolerance="", config_cls=_Cfg,
        presets=presets(q, smoke={"n": 1}, paper={"n": 9}), run=lambda c, s: {}, verdict=rule,
    )  # fmt: skip


def test_claim_judge_turns_guards_into_inconclusive():
    claim = _claim()
    cfg = claim.config("quick")
    assert claim.judge([{"acc": 0.95}], cfg).outcome is Outcome.REPRODUCED
    assert claim.judge([{"acc": 0.85}], cfg).outcome is Outcome.NOT_REPRODUCED
    weak = claim.judge([{"acc": 0.2}], cfg)
    assert weak.outcome is Outcome.INCONCLUSIVE and "below 0.5" in weak.reason
    assert claim.judge([{}], cfg).outcome is Outcome.INCONCLUSIVE
    assert v.rule(_rule)([{"acc": 0.2}], cfg).outcome is Outcome.INCONCLUSIVE


def test_claim_judge_rejects_a_rule_that_returns_no_verdict():
    claim = _claim(rule=lambda per_seed, config: "reproduced")
    with pytest.raises(TypeError, match="expected a Verdict"):
        claim.judge([{}], claim.config("quick"))


def test_presets_apply_overrides_and_reject_unknown_fields():
    p = presets(_Cfg(), smoke={"n": 1}, paper={"n": 9})
    assert (p["smoke"].n, p["quick"].n, p["paper"].n) == (1, 3, 9)
    with pytest.raises(UnknownNameError, match="'smoke'"):
        presets(_Cfg(), smoke={"m": 1})


def test_verdict_round_trips_to_dict():
    d = Verdict(Outcome.INCONCLUSIVE, "r", {"x": 1}).to_dict()
    assert d == {"outcome": "inconclusive", "reason": "r", "values": {"x": 1}}
