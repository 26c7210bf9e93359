"""The claims toolkit: the pieces every verdict rule is made of, written and tested once.

A verdict rule is a function ``(per_seed_metrics, config) -> Verdict``. Rules are built from:

* **extraction and statistics**: :func:`values` pulls one (possibly nested) metric out of every
  seed, :class:`Stat` is its mean, sample standard deviation, count and standard error;
* **guards** (:func:`guard`, :func:`at_least_seeds`): a precondition that does not hold — a
  baseline too weak to compare against, too few seeds, a metric missing — makes the claim
  *inconclusive* rather than reproduced or not. Guards raise :class:`Inconclusive`, which
  :meth:`Claim.judge <nnatlas.core.claims.Claim.judge>` turns into the verdict, so a rule reads
  top to bottom without ``if ...: return`` ladders;
* **comparisons** (:func:`paired`, :func:`unpaired`): "A beats B by more than k standard
  errors", returning the effect, its standard error and the outcome under a one-sided or a
  two-sided policy;
* **counts** (:func:`sign_test`, :func:`sign_test_min_pairs`): "A wins more of the decided pairs than B" as an exact one-sided
  p-value, for rules that count wins rather than average a metric;
* **threshold checks** (:class:`Check`, :func:`judge`, :func:`threshold`): "quantity op bound"
  with the reason sentence and the report's table of quantities formatted from the numbers the
  rule used (the paper's constants are passed in, never re-typed into strings).

Conventions. The standard error of fewer than two values is infinite: one seed never decides a
comparison. A comparison's *effect* is oriented so that positive means "A is better" (pass
``higher_is_better=False`` for errors and losses).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nnatlas.core.claims import Metrics, Outcome, Verdict

__all__ = [
    "Check",
    "Comparison",
    "Inconclusive",
    "Stat",
    "at_least_seeds",
    "guard",
    "judge",
    "paired",
    "rule",
    "sign_test",
    "sign_test_min_pairs",
    "stat",
    "threshold",
    "unpaired",
    "values",
]

Op = Literal[">", ">=", "<", "<="]
_SYMBOL = {">": ">", ">=": "≥", "<": "<", "<=": "≤"}
_OPPOSITE = {">": "≤", ">=": "<", "<": "≥", "<=": ">"}


class Inconclusive(Exception):
    """Raised inside a verdict rule when a precondition of the comparison does not hold.

    Attributes:
        reason: one sentence saying what was missing or too weak.
        values: quantities to show in the report beside the reason.
    """

    def __init__(self, reason: str, values: Mapping[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = dict(values or {})

    def verdict(self) -> Verdict:
        return Verdict(Outcome.INCONCLUSIVE, self.reason, self.values)


def guard(condition: bool, reason: str, values: Mapping[str, Any] | None = None) -> None:
    """Make the claim inconclusive with ``reason`` unless ``condition`` holds."""
    if not condition:
        raise Inconclusive(reason, values)


def at_least_seeds(per_seed: Sequence[Metrics], n: int) -> None:
    """Inconclusive unless there are at least ``n`` completed seeds."""
    guard(len(per_seed) >= n, f"{len(per_seed)} completed seed(s); the rule needs at least {n}")


def _get(metrics: Metrics, path: Sequence[str | int]) -> Any:
    value: Any = metrics
    for key in path:
        value = value[key]
    return value


def values(per_seed: Sequence[Metrics], *path: str | int, finite: bool = True) -> list[float]:
    """The metric at ``path`` (``"a"`` or ``"a", "b"`` for ``m["a"]["b"]``) of every seed.

    Args:
        per_seed: the per-seed metrics dicts.
        path: keys (or list indices) into each seed's metrics.
        finite: a NaN or infinite value makes the claim inconclusive (pass ``False`` to keep
            them, e.g. to count diverged runs).

    Raises:
        Inconclusive: a seed lacks the metric, or (with ``finite``) it is not finite.
    """
    name = ".".join(map(str, path))
    guard(len(per_seed) > 0, f"no completed seed to read {name!r} from")
    out = []
    for seed, metrics in enumerate(per_seed):
        try:
            value = _get(metrics, path)
        except (KeyError, IndexError, TypeError):
            raise Inconclusive(f"metric {name!r} is missing from seed {seed}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Inconclusive(f"metric {name!r} of seed {seed} is not a number: {value!r}")
        if finite and not math.isfinite(value):
            raise Inconclusive(f"metric {name!r} of seed {seed} is not finite: {value!r}")
        out.append(float(value))
    return out


@dataclass(frozen=True)
class Stat:
    """Summary of one quantity over seeds.

    Attributes:
        mean: arithmetic mean (NaN for no values).
        std: sample standard deviation (0 for one value).
        n: number of values.
    """

    mean: float
    std: float
    n: int

    @property
    def se(self) -> float:
        """Standard error of the mean; infinite for fewer than two values."""
        return self.std / math.sqrt(self.n) if self.n > 1 else math.inf

    def format(self, fmt: str = ".4g", scale: float = 1.0) -> str:
        """``"0.8123 ± 0.0120 (n=3)"``; ``scale`` multiplies both (100 for points)."""
        return f"{scale * self.mean:{fmt}} ± {scale * self.std:{fmt}} (n={self.n})"

    def __str__(self) -> str:
        return self.format()


def stat(xs: Sequence[float]) -> Stat:
    """:class:`Stat` of the values ``xs`` (all of them; filter NaNs first if you must)."""
    xs = [float(x) for x in xs]
    if not xs:
        return Stat(math.nan, math.nan, 0)
    return Stat(statistics.fmean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.0, len(xs))


@dataclass(frozen=True)
class Comparison:
    """ "A vs B" over seeds: the effect, its standard error and how to decide.

    Attributes:
        effect: mean improvement of A over B (positive = A better): ``mean(a - b)`` for a
            paired comparison, ``mean(a) - mean(b)`` for an unpaired one, sign-flipped when
            lower is better.
        se: standard error of ``effect`` (infinite with fewer than two seeds).
        n: number of pairs (paired) or the smaller group's size (unpaired).
        paired: which test was used.
        a, b: the two groups' statistics (in their own units, not sign-flipped).
    """

    effect: float
    se: float
    n: int
    paired: bool
    a: Stat
    b: Stat

    def beats(self, k: float = 1.0) -> bool:
        """A is better than B by more than ``k`` standard errors."""
        return self.effect > k * self.se

    def loses(self, k: float = 1.0) -> bool:
        """A is worse than B by more than ``k`` standard errors."""
        return self.effect < -k * self.se

    def outcome(self, k: float = 1.0, *, two_sided: bool = False) -> Outcome:
        """The outcome of "A beats B by more than ``k`` standard errors".

        One-sided (default): reproduced when A beats B beyond ``k`` s.e.; not reproduced when A
        is not better at all (``effect <= 0``); inconclusive in between (better, within noise).
        Two-sided: not reproduced only when A is *worse* beyond ``k`` s.e.; a difference within
        ``k`` s.e. either way is a tie, inconclusive.
        """
        if self.beats(k):
            return Outcome.REPRODUCED
        if two_sided:
            return Outcome.NOT_REPRODUCED if self.loses(k) else Outcome.INCONCLUSIVE
        return Outcome.NOT_REPRODUCED if self.effect <= 0 else Outcome.INCONCLUSIVE

    def describe(self, a: str = "A", b: str = "B", *, fmt: str = ".4g", scale: float = 1.0) -> str:
        """``"A − B = +0.012 ± 0.004 (s.e., paired, 3 seeds)"`` in A-better-is-positive units."""
        kind = "paired" if self.paired else "unpaired"
        se = "inf" if math.isinf(self.se) else f"{scale * self.se:{fmt}}"
        return (
            f"improvement of {a} over {b} = {scale * self.effect:+{fmt}} ± {se} "
            f"(s.e., {kind}, {self.n} seed(s))"
        )

    def table(self, a: str = "A", b: str = "B", *, scale: float = 1.0) -> dict[str, Any]:
        """The quantities for the report: both groups, the effect and its standard error."""
        return {
            f"{a} (mean ± sd)": self.a.format(scale=scale),
            f"{b} (mean ± sd)": self.b.format(scale=scale),
            f"improvement of {a} over {b}": scale * self.effect,
            "standard error": None if math.isinf(self.se) else scale * self.se,
            "test": "paired" if self.paired else "unpaired",
        }


def _sign(higher_is_better: bool) -> float:
    return 1.0 if higher_is_better else -1.0


def paired(a: Sequence[float], b: Sequence[float], *, higher_is_better: bool = True) -> Comparison:
    """Paired comparison of A and B measured on the same seeds (``a[i]`` with ``b[i]``).

    Raises:
        ValueError: ``a`` and ``b`` differ in length.
    """
    if len(a) != len(b):
        raise ValueError(f"paired comparison needs equal lengths; got {len(a)} and {len(b)}")
    s = _sign(higher_is_better)
    diff = stat([s * (x - y) for x, y in zip(a, b, strict=True)])
    return Comparison(diff.mean, diff.se, diff.n, True, stat(a), stat(b))


def unpaired(
    a: Sequence[float], b: Sequence[float], *, higher_is_better: bool = True
) -> Comparison:
    """Unpaired comparison (independent groups): standard error ``sqrt(s_a²/n_a + s_b²/n_b)``."""
    sa, sb = stat(a), stat(b)
    s = _sign(higher_is_better)
    both = sa.n > 1 and sb.n > 1
    se = math.sqrt(sa.std**2 / sa.n + sb.std**2 / sb.n) if both else math.inf
    return Comparison(s * (sa.mean - sb.mean), se, min(sa.n, sb.n), False, sa, sb)


def sign_test(wins: int, losses: int) -> float:
    """Exact one-sided sign-test p-value of ``wins`` against ``losses`` (ties left out).

    Under the null hypothesis that A and B are equally likely to win a decided pair, the number
    of A's wins among ``n = wins + losses`` pairs is Binomial(n, 1/2); the p-value is
    ``P(X >= wins) = sum_{j >= wins} C(n, j) / 2^n``. With no decided pair it is 1. The smallest
    p-value ``n`` pairs can give is ``2^-n`` (all won), so fewer than
    :func:`sign_test_min_pairs` ``(alpha)`` pairs can never be significant at level ``alpha``:
    guard on that before judging.

    Raises:
        ValueError: ``wins`` or ``losses`` is not a non-negative integer.
    """
    for name, v in (("wins", wins), ("losses", losses)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"sign_test: {name} must be a non-negative int; got {v!r}")
    n = wins + losses
    return math.fsum(math.comb(n, j) for j in range(wins, n + 1)) / 2.0**n


def sign_test_min_pairs(alpha: float) -> int:
    """The fewest decided pairs with which :func:`sign_test` can reach ``p <= alpha``.

    That is the smallest ``n`` with ``2^-n <= alpha`` (all ``n`` pairs won); below it a sign
    test cannot decide, and a rule should call the claim inconclusive rather than failed.

    Raises:
        ValueError: ``alpha`` is not a number in (0, 1).
    """
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ValueError(f"sign_test_min_pairs: alpha must be a number in (0, 1); got {alpha!r}")
    n = 0
    while 0.5**n > alpha:  # powers of two are exact: no log2 rounding at alpha = 2^-k
        n += 1
    return n


@dataclass(frozen=True)
class Check:
    """One condition "``name`` = value op bound" of a threshold rule.

    Attributes:
        name: the quantity, as shown in the reason and the report.
        value: its measured value (a mean over seeds, a ratio, ...).
        op: ``">"``, ``">="``, ``"<"`` or ``"<="``.
        bound: the threshold (a constant of the claim or a config field).
        fmt: format of value and bound.
    """

    name: str
    value: float
    op: Op
    bound: float
    fmt: str = ".4g"

    def __post_init__(self) -> None:
        if self.op not in _SYMBOL:
            raise ValueError(f"op must be one of {sorted(_SYMBOL)}; got {self.op!r}")

    @property
    def passed(self) -> bool:
        v, t = self.value, self.bound
        if isinstance(v, float) and math.isnan(v):
            return False
        return {">": v > t, ">=": v >= t, "<": v < t, "<=": v <= t}[self.op]

    def __str__(self) -> str:
        sym = _SYMBOL[self.op] if self.passed else _OPPOSITE[self.op]
        return f"{self.name} = {self.value:{self.fmt}} {sym} {self.bound:{self.fmt}}"


def judge(
    checks: Sequence[Check],
    *,
    values: Mapping[str, Any] | None = None,
    prefix: str = "",
    on_pass: Outcome = Outcome.REPRODUCED,
    on_fail: Outcome = Outcome.NOT_REPRODUCED,
) -> Verdict:
    """All ``checks`` pass → ``on_pass``; otherwise ``on_fail``. The reason lists every check.

    Args:
        checks: the conditions, in the order to show them.
        values: extra quantities for the report table (the checks' values are added).
        prefix: a clause put before the checks in the reason (``"over 3 seeds"``).
    """
    if not checks:
        raise ValueError("judge needs at least one check")
    ok = all(c.passed for c in checks)
    failed = [c for c in checks if not c.passed]
    shown = "; ".join(str(c) for c in checks)
    tail = "all conditions hold" if ok else f"{len(failed)} of {len(checks)} condition(s) fail"
    reason = f"{prefix + ': ' if prefix else ''}{shown} — {tail}"
    table: dict[str, Any] = dict(values or {})
    for c in checks:
        table.setdefault(c.name, c.value)
        table.setdefault(f"required: {c.name}", f"{_SYMBOL[c.op]} {c.bound:{c.fmt}}")
    return Verdict(on_pass if ok else on_fail, reason, table)


def threshold(
    name: str,
    value: float,
    op: Op,
    bound: float,
    *,
    fmt: str = ".4g",
    values: Mapping[str, Any] | None = None,
    prefix: str = "",
) -> Verdict:
    """A one-condition :func:`judge`: reproduced iff ``value op bound``."""
    return judge([Check(name, value, op, bound, fmt)], values=values, prefix=prefix)


def rule(fn: Callable[[list[Metrics], Any], Verdict]) -> Callable[[list[Metrics], Any], Verdict]:
    """Decorator: a rule whose guards raise :class:`Inconclusive` returns the verdict instead.

    :meth:`Claim.judge <nnatlas.core.claims.Claim.judge>` does the same, so this is needed only
    where a rule is called directly outside the harness.
    """

    def wrapped(per_seed: list[Metrics], config: Any) -> Verdict:
        try:
            return fn(per_seed, config)
        except Inconclusive as exc:
            return exc.verdict()

    wrapped.__name__ = getattr(fn, "__name__", "rule")
    wrapped.__doc__ = fn.__doc__
    wrapped.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapped
