"""Frozen-dataclass configurations: JSON round trips, stable hashes and typed ``key=value`` overrides.

A claim's configuration is a ``@dataclass(frozen=True, kw_only=True)``. Fields may be ``int``,
``float``, ``bool``, ``str``, ``Literal[...]``, ``X | None`` and ``tuple[X, ...]`` of those.
:func:`apply_overrides` coerces the command line's strings by these annotations, so
``--set widths=32,64`` gives ``(32, 64)`` and ``--set width=abc`` fails naming the field.

Every field also declares its *domain* once, next to its default, with :func:`param`
(``width: int = param(32, ge=1)``, ``lr: float = param(1e-3, gt=0)``, ``fraction: float =
param(0.9, gt=0, le=1)``); relations between fields go in the config's ``validate`` method. A
config deriving from :class:`ClaimConfig` is checked whenever it is built (a preset, a
``--set`` override, a JSON file), so a bad value fails in one line naming the field, the
domain and the value, before anything runs. Floats must be finite unless a field says
otherwise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from nnatlas.core.errors import ConfigError, UnknownNameError

__all__ = [
    "ClaimConfig",
    "Domain",
    "apply_overrides",
    "coerce_value",
    "config_from_dict",
    "config_hash",
    "config_to_dict",
    "ensure",
    "field_domain",
    "param",
    "parse_assignments",
    "validate_config",
]

C = TypeVar("C")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _check_dataclass(config: object, name: str = "config") -> None:
    if not (dataclasses.is_dataclass(config) and not isinstance(config, type)):
        raise TypeError(f"{name} must be a dataclass instance, got {type(config).__name__}")


def _to_json(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    return value


def config_to_dict(config: object) -> dict[str, Any]:
    """A JSON-ready dict of the config's fields (tuples become lists)."""
    _check_dataclass(config)
    return {f.name: _to_json(getattr(config, f.name)) for f in dataclasses.fields(config)}  # type: ignore[arg-type]


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is tuple:
        args = typing.get_args(tp)
        return f"comma-separated {_type_name(args[0])} values" if args else "tuple"
    return getattr(tp, "__name__", str(tp))


def coerce_value(value: Any, tp: Any, *, field: str = "value") -> Any:
    """Convert ``value`` (often a string from the command line) to the annotated type ``tp``.

    Raises:
        ConfigError: naming ``field``, the expected type and the value given.
    """

    def fail() -> ConfigError:
        return ConfigError(f"field {field!r} expects {_type_name(tp)}, got {value!r}")

    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin is typing.Literal:
        choices = typing.get_args(tp)
        for choice in choices:
            if value == choice or (isinstance(value, str) and str(choice) == value):
                return choice
        raise fail()
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if type(None) in args and (
            value is None or (isinstance(value, str) and value.lower() in {"none", "null"})
        ):
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return coerce_value(value, arg, field=field)
            except ConfigError:
                continue
        raise fail()
    if origin is tuple:
        args = typing.get_args(tp)
        item_tp = args[0] if args else Any
        if isinstance(value, str):
            items: Iterable[Any] = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, list | tuple):
            items = value
        else:
            raise fail()
        try:
            return tuple(coerce_value(v, item_tp, field=field) for v in items)
        except ConfigError:
            raise fail() from None
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise fail()
    if tp is int:
        if isinstance(value, bool):
            raise fail()
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                try:
                    as_float = float(value)
                except ValueError:
                    raise fail() from None
                if as_float.is_integer():  # accept "1e4"
                    return int(as_float)
        raise fail()
    if tp is float:
        if isinstance(value, bool):
            raise fail()
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise fail() from None
        raise fail()
    if tp is str:
        if isinstance(value, str):
            return value
        raise fail()
    raise ConfigError(f"field {field!r} has an unsupported annotation {tp!r}")


def config_from_dict(cls: type[C], data: Mapping[str, Any]) -> C:
    """Build a config of class ``cls`` from a (JSON) dict, coercing values by field types.

    Fields missing from ``data`` keep their defaults; unknown keys raise
    :class:`UnknownNameError`.
    """
    types_ = _field_types(cls)
    unknown = [k for k in data if k not in types_]
    if unknown:
        raise UnknownNameError("config field", unknown[0], sorted(types_))
    kwargs = {k: coerce_value(v, types_[k], field=k) for k, v in data.items()}
    config = cls(**kwargs)
    if not isinstance(config, ClaimConfig):  # a ClaimConfig validated itself when built
        validate_config(config)
    return config


def parse_assignments(assignments: Iterable[str]) -> dict[str, str]:
    """Parse ``["a=1", "b=x,y"]`` into ``{"a": "1", "b": "x,y"}``.

    Raises:
        ConfigError: when an item has no ``=`` or an empty key.
    """
    out: dict[str, str] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def apply_overrides(config: C, overrides: Mapping[str, Any]) -> C:
    """Return a copy of ``config`` with ``overrides`` applied and coerced by the field types.

    Raises:
        UnknownNameError: a key that is not a field, listing the valid fields.
        ConfigError: a value that cannot be converted to the field's type.
    """
    _check_dataclass(config)
    types_ = _field_types(type(config))
    changes = {}
    for key, value in overrides.items():
        if key not in types_:
            raise UnknownNameError("config field", key, sorted(types_))
        changes[key] = coerce_value(value, types_[key], field=key)
    new = dataclasses.replace(config, **changes)  # type: ignore[type-var]
    if not isinstance(new, ClaimConfig):  # a ClaimConfig validated itself when built
        validate_config(new)
    return new


_OPS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


@dataclasses.dataclass(frozen=True)
class Domain:
    """The values a config field accepts (for a tuple field: each item, plus the length rules).

    Attributes:
        ge, gt, le, lt: inclusive / exclusive bounds (``None``: unbounded).
        finite: reject NaN and ±inf (the default for floats).
        choices: the allowed values, when they are a set and not a range.
        min_len, max_len: length bounds of a tuple field.
        distinct: tuple items must differ; increasing: tuple items must strictly increase.
        nullable: ``None`` is allowed (as for an ``X | None`` annotation).
    """

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    finite: bool = True
    choices: tuple[Any, ...] | None = None
    min_len: int | None = None
    max_len: int | None = None
    distinct: bool = False
    increasing: bool = False
    nullable: bool = False

    def describe(self, noun: str = "number") -> str:
        """The domain in words: ``a finite number > 0 and <= 1`` (``noun="int"``: ``an int >= 1``)."""
        parts = []
        if self.choices is not None:
            parts.append("one of " + ", ".join(repr(c) for c in self.choices))
        bounds = [
            f"{_OPS[k]} {getattr(self, k):g}"
            for k in ("gt", "ge", "lt", "le")
            if getattr(self, k) is not None
        ]
        if bounds:
            parts.append(
                (
                    f"an {noun} "
                    if noun == "int"
                    else f"a finite {noun} "
                    if self.finite
                    else f"a {noun} "
                )
                + " and ".join(bounds)
            )
        elif self.finite and self.choices is None:
            parts.append("a finite number")
        return "; ".join(parts) if parts else "any value"

    def check_item(self, value: Any) -> bool:
        """Whether one (scalar) value lies in the domain."""
        if value is None:
            return self.nullable
        if self.choices is not None and value not in self.choices:
            return False
        if isinstance(value, bool) or not isinstance(value, int | float):
            return True  # strings, Literals: the type check and ``choices`` decide
        if self.finite and not math.isfinite(value):
            return False
        if math.isnan(value):
            return False
        if self.ge is not None and not value >= self.ge:
            return False
        if self.gt is not None and not value > self.gt:
            return False
        if self.le is not None and not value <= self.le:
            return False
        return not (self.lt is not None and not value < self.lt)

    def problem(self, value: Any, noun: str = "number") -> str | None:
        """``None`` if ``value`` lies in the domain, else what is wrong, in words."""
        if isinstance(value, tuple | list):
            n = len(value)
            if self.min_len is not None and n < self.min_len:
                return f"at least {self.min_len} item(s)"
            if self.max_len is not None and n > self.max_len:
                return f"at most {self.max_len} item(s)"
            bad = [v for v in value if not self.check_item(v)]
            if bad:
                return f"items that are each {self.describe(noun)} (bad item: {bad[0]!r})"
            if self.distinct and len(set(value)) != n:
                return "distinct items"
            if self.increasing and any(b <= a for a, b in itertools.pairwise(value)):
                return "strictly increasing items"
            return None
        return None if self.check_item(value) else self.describe(noun)


def param(
    default: Any,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    finite: bool = True,
    choices: Iterable[Any] | None = None,
    min_len: int | None = None,
    max_len: int | None = None,
    distinct: bool = False,
    increasing: bool = False,
    nullable: bool = False,
) -> Any:
    """A config field with its default and its domain, declared once.

    Example::

        @dataclass(frozen=True, kw_only=True)
        class MyConfig(ClaimConfig):
            width: int = param(32, ge=1)
            lr: float = param(1e-3, gt=0)
            fraction: float = param(0.9, gt=0, le=1)
            widths: tuple[int, ...] = param((32, 64), ge=1, min_len=2, increasing=True)
    """
    domain = Domain(
        ge=ge, gt=gt, le=le, lt=lt, finite=finite,
        choices=None if choices is None else tuple(choices),
        min_len=min_len, max_len=max_len, distinct=distinct, increasing=increasing,
        nullable=nullable or default is None,
    )  # fmt: skip
    return dataclasses.field(default=default, metadata={"domain": domain})


def field_domain(cls: type, name: str) -> Domain | None:
    """The declared :class:`Domain` of field ``name`` of config class ``cls`` (or ``None``)."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.metadata.get("domain")
    raise UnknownNameError("config field", name, [f.name for f in dataclasses.fields(cls)])


def ensure(config: object, condition: bool, message: str) -> None:
    """In a config's ``validate``: raise :class:`ConfigError` prefixed by the class unless true."""
    if not condition:
        raise ConfigError(f"{type(config).__name__}: {message}")


def _is_int_field(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        return len(members) == 1 and _is_int_field(members[0])
    if origin is tuple:
        items = typing.get_args(tp)
        return bool(items) and items[0] is int
    return tp is int


def validate_config(config: object) -> None:
    """Check every field against its type and declared domain, then the config's ``validate``.

    Raises:
        ConfigError: one line naming the class, the field, what it expects and the value.
    """
    _check_dataclass(config)
    cls = type(config)
    types_ = _field_types(cls)
    for f in dataclasses.fields(config):  # type: ignore[arg-type]
        value = getattr(config, f.name)
        where = f"{cls.__name__}.{f.name}"
        try:
            coerce_value(value, types_[f.name], field=where)
        except ConfigError:
            raise ConfigError(
                f"{where} expects {_type_name(types_[f.name])}; got {value!r}"
            ) from None
        domain: Domain | None = f.metadata.get("domain")
        if domain is not None:
            problem = domain.problem(value, "int" if _is_int_field(types_[f.name]) else "number")
            if problem is not None:
                raise ConfigError(f"{where} must be {problem}; got {value!r}")
        elif isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{where} must be a finite number; got {value!r}")
    check = getattr(config, "validate", None)
    if callable(check):
        check()


@dataclasses.dataclass(frozen=True, kw_only=True)
class ClaimConfig:
    """Base class of claim configs: validated whenever an instance is built.

    Subclasses are ``@dataclass(frozen=True, kw_only=True)`` with fields declared by
    :func:`param`; override :meth:`validate` for relations between fields (call
    :func:`ensure`). A subclass that defines ``__post_init__`` must call ``super().__post_init__()``.
    """

    def __post_init__(self) -> None:
        validate_config(self)

    def validate(self) -> None:
        """Relations between fields (e.g. ``low < high``); the default checks nothing."""


def config_hash(config: object, *, extra: Mapping[str, Any] | None = None, length: int = 12) -> str:
    """A stable short hash of the config's class name and values (plus ``extra`` context).

    The same values give the same hash in every process and on every machine, which is what
    makes runs idempotent and resumable.
    """
    payload = {
        "class": type(config).__qualname__,
        "config": config_to_dict(config),
        "extra": _to_json(dict(extra or {})),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]
