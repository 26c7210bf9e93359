"""Frozen-dataclass configurations: JSON round trips, stable hashes and typed ``key=value`` overrides.

A claim's configuration is a ``@dataclass(frozen=True, kw_only=True)``. Fields may be ``int``,
``float``, ``bool``, ``str``, ``Literal[...]``, ``X | None`` and ``tuple[X, ...]`` of those.
:func:`apply_overrides` coerces the command line's strings by these annotations, so
``--set widths=32,64`` gives ``(32, 64)`` and ``--set width=abc`` fails naming the field.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from nnatlas.core.errors import ConfigError, UnknownNameError

__all__ = [
    "apply_overrides",
    "coerce_value",
    "config_from_dict",
    "config_hash",
    "config_to_dict",
    "parse_assignments",
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
    return cls(**kwargs)


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
    return dataclasses.replace(config, **changes)  # type: ignore[type-var]


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
