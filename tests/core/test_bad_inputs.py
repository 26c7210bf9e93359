"""Bad arguments to ``nnatlas.core``'s entry points fail in one clear error naming the argument."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnatlas import core
from nnatlas.core import ClaimConfig, ConfigError, UnknownNameError, param
from nnatlas.testing.bad_inputs import assert_clear_error

COVERED = {
    "Claim", "ClaimConfig", "Domain", "apply_overrides", "coerce_value", "config_from_dict",
    "config_hash", "config_to_dict", "ensure", "mean_std", "param", "parse_assignments",
    "presets", "require", "resolve_device", "seed_everything", "set_progress", "use_device",
    "validate_config", "progress_bar", "Paper", "cache_dir", "cached_module", "cached_tensors",
}  # fmt: skip
EXEMPT = {
    "PRESETS": "a constant tuple of names",
    "Metrics": "a type alias",
    "Outcome": "an enum",
    "Verdict": "a plain record built by rules, not from user input",
    "ConfigError": "an exception class",
    "MissingExtraError": "an exception class",
    "NnatlasError": "an exception class",
    "StorageError": "an exception class",
    "UnknownNameError": "an exception class",
    "current_device": "takes no argument",
    "CACHE_ENV": "a constant string",
}

SETTINGS = settings(max_examples=20, deadline=None)


@dataclass(frozen=True, kw_only=True)
class Cfg(ClaimConfig):
    width: int = param(8, ge=1)
    lr: float = param(1e-3, gt=0)
    frac: float = param(0.5, gt=0, le=1)
    sizes: tuple[int, ...] = param((2, 4), ge=1, min_len=2, increasing=True)
    name: str = param("a", choices=("a", "b"))
    cap: float | None = param(None, gt=0)

    def validate(self) -> None:
        core.ensure(self, self.sizes[-1] <= 1000, f"sizes must stay <= 1000; got {self.sizes}")


@SETTINGS
@given(st.one_of(st.integers(max_value=0), st.just("abc"), st.just("1.5")))
def test_int_field_out_of_domain(value):
    assert_clear_error(core.apply_overrides, Cfg(), {"width": value}, argument="width")


@SETTINGS
@given(st.sampled_from([0.0, -1.0, math.nan, math.inf, -math.inf, "nan", "inf", "x"]))
def test_float_field_out_of_domain(value):
    assert_clear_error(core.apply_overrides, Cfg(), {"lr": value}, argument="lr")


@SETTINGS
@given(st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not 0 < x <= 1))
def test_fraction_field(value):
    assert_clear_error(core.apply_overrides, Cfg(), {"frac": value}, argument="frac")


@pytest.mark.parametrize("value", ["4,2", "3", "0,5", "2,2", "1,2000"])
def test_tuple_field_and_relation(value):
    assert_clear_error(core.apply_overrides, Cfg(), {"sizes": value}, argument="sizes")


@pytest.mark.parametrize("value", ["c", "", "A"])
def test_choice_field(value):
    assert_clear_error(core.apply_overrides, Cfg(), {"name": value}, argument="name")


def test_optional_field_accepts_none_and_checks_values():
    assert core.apply_overrides(Cfg(), {"cap": "none"}).cap is None
    assert_clear_error(core.apply_overrides, Cfg(), {"cap": "-1"}, argument="cap")


def test_direct_construction_is_validated():
    assert_clear_error(Cfg, width=0, argument="width")
    assert_clear_error(Cfg, lr=math.nan, argument="lr")


def test_unknown_field_names_the_choices():
    err = assert_clear_error(core.apply_overrides, Cfg(), {"widht": 3}, argument="widht")
    assert isinstance(err, UnknownNameError) and "width" in str(err)
    assert_clear_error(core.config_from_dict, Cfg, {"nope": 1}, argument="nope")
    assert_clear_error(core.config_from_dict, Cfg, {"width": -1}, argument="width")


def test_domain_and_param_reject_bad_declarations():
    assert core.Domain(ge=0).problem(-1) is not None and core.Domain(ge=0).problem(0) is None
    assert core.Domain(choices=(1, 2)).problem(3) is not None
    assert core.validate_config(Cfg()) is None
    assert_clear_error(core.validate_config, 3, argument="config")
    assert_clear_error(core.coerce_value, "abc", int, field="width", argument="width")


def test_serialisation_entry_points_need_a_dataclass():
    for fn in (core.config_to_dict, core.config_hash):
        assert_clear_error(fn, {"width": 3}, argument="config")


@pytest.mark.parametrize("item", ["x", "=1", ""])
def test_parse_assignments(item):
    assert_clear_error(core.parse_assignments, [item], argument="--set")


@SETTINGS
@given(st.one_of(st.integers(max_value=-1), st.text(max_size=3), st.floats(), st.booleans()))
def test_seed_everything(seed):
    assert_clear_error(core.seed_everything, seed, argument="seed")


@pytest.mark.parametrize("device", ["tpu", "cuda:x", "gpu0", ""])
def test_resolve_and_use_device(device):
    assert_clear_error(core.resolve_device, device, argument="device")
    with pytest.raises(ConfigError, match="device"), core.use_device(device):
        pass


def test_mean_std_and_progress():
    assert_clear_error(core.mean_std, [1.0, "a"], argument="values")
    assert core.mean_std([1.0, None, math.nan, 3.0])[2] == 2
    assert_clear_error(core.set_progress, "yes", argument="enabled")
    assert_clear_error(core.progress_bar, "x", total=-1, argument="total")


def test_require_names_the_extra():
    err = assert_clear_error(core.require, "surely_not_a_module", "llm", argument="llm",
                             exc=core.MissingExtraError)  # fmt: skip
    assert "pip install 'nnatlas[llm]'" in str(err)


def test_presets_and_claims_reject_bad_records():
    assert_clear_error(core.presets, Cfg(), smoke={"widht": 1}, argument="widht")
    kwargs = dict(
        key="k", statement="s", source="t", metric="m", paper_value=None, paper_value_text="",
        tolerance="", config_cls=Cfg, run=lambda c, s: {}, verdict=lambda p, c: None,
    )  # fmt: skip
    assert_clear_error(core.Claim, presets={"quick": Cfg()}, argument="presets", **kwargs)
    with pytest.raises(TypeError, match="preset 'smoke'"):
        core.Claim(presets={"smoke": 1, "quick": Cfg(), "paper": Cfg()}, **kwargs)
    claim = core.Claim(presets=core.presets(Cfg()), **kwargs)
    assert_clear_error(claim.config, "fast", argument="fast")
    paper_kwargs = dict(
        key="p", title="t", authors="a", year=2020, venue="v", arxiv="1", bibtex="", family="nn",
        summary="",
    )  # fmt: skip
    assert_clear_error(core.Paper, claims=(claim, claim), argument="duplicate claim keys",
                       **paper_kwargs)  # fmt: skip
    paper = core.Paper(claims=(claim,), **paper_kwargs)
    assert_clear_error(paper.claim, "nope", argument="nope")


@pytest.mark.parametrize("namespace", ["", "../escape", "a/b", 7])
def test_cache_namespace_must_be_a_plain_name(namespace):
    assert_clear_error(core.cache_dir, namespace, argument="namespace")
    assert_clear_error(
        core.cached_tensors, namespace, "kind", {}, dict, cache=True, argument="namespace"
    )


def test_cache_kind_and_module_are_checked():
    assert_clear_error(core.cached_tensors, "ns", "a b", {}, dict, argument="kind")
    with pytest.raises(TypeError, match=r"module must be an nn\.Module"):
        core.cached_module(object(), "ns", "kind", {}, lambda m: None)
