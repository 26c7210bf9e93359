"""Paper records, claims and verdicts: what a reproduction asserts and how it is judged.

A :class:`Claim` is fixed before anything runs: its statement and source, the paper's value,
the tolerance, the verdict rule (a function of measured metrics only), a frozen config class
with named presets, and the run function ``(config, seed) -> metrics``. The harness runs the
claim over seeds and hands the per-seed metrics to the verdict rule; nothing else decides.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import numbers
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nnatlas.core.config import ClaimConfig, validate_config
from nnatlas.core.errors import UnknownNameError

__all__ = [
    "ANY_DEVICE",
    "DEVICE_TYPES",
    "PRESETS",
    "Claim",
    "Metrics",
    "Outcome",
    "Paper",
    "Verdict",
    "mean_std",
    "presets",
]

DEVICE_TYPES = ("cpu", "cuda", "mps")
ANY_DEVICE: tuple[str, ...] = DEVICE_TYPES
"""``Claim.devices`` of a claim whose run places its work on the current device."""

PRESETS: tuple[str, ...] = ("smoke", "quick", "paper")
"""Preset names: ``smoke`` (seconds, for tests and CI), ``quick`` (minutes on a 2-core CPU, the
default) and ``paper`` (the published setting, meant for a GPU)."""

Metrics = dict[str, Any]
"""What a run function returns: a JSON-serialisable dict of measured quantities."""


class Outcome(str, enum.Enum):
    """The four verdicts a claim can get."""

    REPRODUCED = "reproduced"
    REPRODUCED_WITH_BENEFITS = "reproduced with benefits"
    NOT_REPRODUCED = "not reproduced"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict with the reason, computed from measured metrics only.

    Attributes:
        outcome: one of :class:`Outcome`.
        reason: one sentence stating the measured quantities the rule compared.
        values: the aggregated quantities the rule used (for the report).
    """

    outcome: Outcome
    reason: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome.value, "reason": self.reason, "values": dict(self.values)}


def mean_std(values: Sequence[float | None]) -> tuple[float, float, int]:
    """Mean, sample standard deviation (0 for one value) and count of the finite values.

    ``None``, NaN and infinite values are skipped.

    Raises:
        TypeError: a value that is not a number (or ``None``).
    """
    bad = [v for v in values if v is not None and not isinstance(v, numbers.Real)]
    if bad:
        raise TypeError(f"values must be numbers or None; got {type(bad[0]).__name__} {bad[0]!r}")
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return math.nan, math.nan, 0
    std = statistics.stdev(finite) if len(finite) > 1 else 0.0
    return statistics.fmean(finite), std, len(finite)


def presets(
    quick: Any,
    *,
    smoke: Mapping[str, Any] | None = None,
    paper: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A claim's three presets from its ``quick`` config and the fields ``smoke`` and ``paper``
    change (``{"smoke": replace(quick, **smoke), "quick": quick, "paper": replace(quick,
    **paper)}``).

    Raises:
        UnknownNameError: an override names a field the config does not have.
    """
    names = [f.name for f in dataclasses.fields(quick)]
    out = {}
    for preset, changes in (("smoke", smoke), ("quick", None), ("paper", paper)):
        for key in changes or {}:
            if key not in names:
                raise UnknownNameError(f"config field (in the {preset!r} preset)", key, names)
        out[preset] = dataclasses.replace(quick, **dict(changes or {})) if changes else quick
    return out


@dataclass(frozen=True)
class Claim:
    """One headline claim of a paper, with everything needed to test it.

    Attributes:
        key: short identifier, unique within the paper (``width-invariance``).
        statement: the claim in one or two sentences.
        source: where the paper makes it (``Table 1``, ``Fig. 5``).
        metric: the headline metric: a key of the per-seed metrics dicts.
        paper_value: the paper's value of that metric (or of its closest analogue).
        paper_value_text: how to show the paper's number(s), with context.
        tolerance: the acceptance rule in words (the code is ``verdict``).
        config_cls: the frozen dataclass type of this claim's configuration.
        presets: ``{"smoke": cfg, "quick": cfg, "paper": cfg}``.
        run: ``(config, seed) -> metrics``; a pure function, picklable by reference.
        verdict: ``(per_seed_metrics, config) -> Verdict``; fixed in code before the run.
        scaled_down: what differs from the paper at the ``quick`` preset, and why.
        peer: what a reference (official or peer) implementation gives on the same task and
            budget, measured by a cross-check outside the library (``crosscheck/``), or why no
            runnable peer exists; shown beside our verdict in the report.
        seeds: default number of seeds per preset.
        devices: the device types (``cpu``, ``cuda``, ``mps``) the run function places its
            work on, through :func:`nnatlas.core.device.current_device`. A run asked for
            another device runs on the CPU and is recorded as a CPU run (``nnatlas reproduce``
            says so), never recorded as a GPU run that computed on the CPU.
        plot: optional ``(ax, per_seed_metrics, config) -> None`` drawing the claim's figure.
    """

    key: str
    statement: str
    source: str
    metric: str
    paper_value: float | None
    paper_value_text: str
    tolerance: str
    config_cls: type
    presets: Mapping[str, Any]
    run: Callable[[Any, int], Metrics]
    verdict: Callable[[list[Metrics], Any], Verdict]
    scaled_down: str = ""
    peer: str = ""
    seeds: Mapping[str, int] = field(default_factory=lambda: {"smoke": 1, "quick": 3, "paper": 5})
    devices: tuple[str, ...] = ("cpu",)
    plot: Callable[[Any, list[Metrics], Any], None] | None = None

    def __post_init__(self) -> None:
        if (
            not isinstance(self.devices, tuple)
            or "cpu" not in self.devices
            or not set(self.devices) <= set(DEVICE_TYPES)
        ):
            raise ValueError(
                f"claim {self.key!r}: devices must be a tuple of {DEVICE_TYPES} holding 'cpu'; "
                f"got {self.devices!r}"
            )
        missing = [p for p in PRESETS if p not in self.presets]
        if missing:
            raise ValueError(
                f"claim {self.key!r} lacks presets {missing}; it needs {list(PRESETS)}"
            )
        for name, cfg in self.presets.items():
            if not isinstance(cfg, self.config_cls):
                raise TypeError(
                    f"claim {self.key!r}: preset {name!r} is a {type(cfg).__name__}, "
                    f"expected {self.config_cls.__name__}"
                )
            if not dataclasses.is_dataclass(cfg):
                raise TypeError(f"claim {self.key!r}: preset {name!r} is not a dataclass")
            if not isinstance(cfg, ClaimConfig):  # a ClaimConfig validated itself when built
                validate_config(cfg)

    def judge(self, per_seed: list[Metrics], config: Any) -> Verdict:
        """The verdict of ``per_seed`` metrics under this claim's rule.

        A guard of the rule that fails (:class:`~nnatlas.core.verdicts.Inconclusive`) gives an
        inconclusive verdict with its reason.
        """
        from nnatlas.core.verdicts import Inconclusive

        try:
            verdict = self.verdict(per_seed, config)
        except Inconclusive as exc:
            return exc.verdict()
        if not isinstance(verdict, Verdict):
            raise TypeError(
                f"claim {self.key!r}: the verdict rule returned {type(verdict).__name__}, "
                "expected a Verdict"
            )
        return verdict

    def config(self, preset: str = "quick") -> Any:
        """The config of a named preset."""
        try:
            return self.presets[preset]
        except KeyError:
            raise UnknownNameError("preset", preset, list(self.presets)) from None


@dataclass(frozen=True)
class Paper:
    """A paper record: bibliographic data and its claims.

    Attributes:
        key: the CLI name (``intrinsic-dimension``).
        title, authors, year, venue, arxiv: bibliographic data.
        bibtex: the BibTeX entry printed by ``nnatlas cite``.
        family: the nnatlas family package that holds the method (``train``).
        summary: one paragraph on the method and what we test.
        claims: the claims, in report order.
        components: public names of the components this paper contributes.
        module: the dotted module that defines the record (filled in by the registry).
    """

    key: str
    title: str
    authors: str
    year: int
    venue: str
    arxiv: str
    bibtex: str
    family: str
    summary: str
    claims: tuple[Claim, ...]
    components: tuple[str, ...] = ()
    module: str = ""

    def __post_init__(self) -> None:
        keys = [c.key for c in self.claims]
        if len(set(keys)) != len(keys):
            raise ValueError(f"paper {self.key!r} has duplicate claim keys: {keys}")

    @property
    def url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv}"

    def claim(self, key: str) -> Claim:
        """The claim with this key."""
        for claim in self.claims:
            if claim.key == key:
                return claim
        raise UnknownNameError(f"claim of paper {self.key!r}", key, [c.key for c in self.claims])
