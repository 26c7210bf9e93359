"""Every claim config declares the domain of every field, and every out-of-domain value is one
clear ``ConfigError`` naming the field, raised when the config is built (as ``--set`` does),
before anything runs.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

import pytest

from nnatlas.core.config import ClaimConfig, apply_overrides, validate_config
from nnatlas.core.errors import ConfigError
from nnatlas.papers import all_papers
from nnatlas.testing.bad_inputs import out_of_domain

CLAIMS = [(p, c) for p in all_papers() for c in p.claims]
IDS = [f"{p.key}/{c.key}" for p, c in CLAIMS]


def _base(tp: Any) -> tuple[Any, bool]:
    """(scalar type, is_tuple) of an annotation, without ``| None``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _base(args[0]) if len(args) == 1 else (tp, False)
    if origin is tuple:
        args = typing.get_args(tp)
        return (args[0] if args else Any), True
    return tp, False


def _needs_domain(tp: Any) -> bool:
    scalar, _ = _base(tp)
    return scalar in (int, float) or scalar is str


@pytest.mark.parametrize(("paper", "claim"), CLAIMS, ids=IDS)
def test_every_field_declares_its_domain(paper, claim) -> None:
    cls = claim.config_cls
    assert issubclass(cls, ClaimConfig), f"{cls.__name__} must derive from ClaimConfig"
    hints = typing.get_type_hints(cls)
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if _needs_domain(hints[f.name])
        and "domain" not in f.metadata
        and typing.get_origin(_base(hints[f.name])[0]) is not typing.Literal
    ]
    assert not missing, f"{cls.__name__}: fields without a declared domain: {missing}"
    for cfg in claim.presets.values():
        validate_config(cfg)  # every preset is valid


@pytest.mark.parametrize(("paper", "claim"), CLAIMS, ids=IDS)
def test_out_of_domain_values_fail_when_built(paper, claim) -> None:
    cfg = claim.config("quick")
    hints = typing.get_type_hints(type(cfg))
    tried = 0
    for f in dataclasses.fields(cfg):
        domain = f.metadata.get("domain")
        if domain is None:
            continue
        scalar, is_tuple = _base(hints[f.name])
        if scalar not in (int, float, str):
            continue
        current = getattr(cfg, f.name)
        for bad in out_of_domain(domain, scalar):
            if is_tuple:
                items = list(current) if current else []
                value: Any = tuple([bad, *items[1:]]) if items else (bad,)
            else:
                value = bad
            with pytest.raises(ConfigError, match=f.name):
                apply_overrides(cfg, {f.name: value})
            tried += 1
        if is_tuple and domain.min_len:
            with pytest.raises(ConfigError, match=f.name):
                apply_overrides(cfg, {f.name: tuple(current)[: domain.min_len - 1]})
            tried += 1
    if any("domain" in f.metadata for f in dataclasses.fields(cfg)):
        assert tried > 0
