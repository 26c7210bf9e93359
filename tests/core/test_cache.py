"""The general on-disk cache: tensors and trained modules, atomic entries, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from nnatlas.core.cache import CACHE_ENV, cache_dir, cache_key, cached_module, cached_tensors
from nnatlas.core.errors import ConfigError, StorageError


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))


def test_namespaces_are_separate_folders_and_keys_depend_on_version():
    built: list[str] = []

    def build(tag: str):
        def inner():
            built.append(tag)
            return {"x": torch.full((2,), float(len(built)))}

        return inner

    a = cached_tensors("one", "toy", {"n": 1}, build("a"))
    b = cached_tensors("two", "toy", {"n": 1}, build("b"))
    assert built == ["a", "b"] and not torch.equal(a["x"], b["x"])
    assert cached_tensors("one", "toy", {"n": 1}, build("c"))["x"].tolist() == a["x"].tolist()
    assert built == ["a", "b"]
    assert cache_key("toy", {"n": 1}, version=1) != cache_key("toy", {"n": 1}, version=2)
    assert {p.suffix for p in cache_dir("one").iterdir()} == {".pt", ".json"}


def _train_counter(calls: list[int]):
    def train(module: nn.Module) -> None:
        calls.append(1)
        with torch.no_grad():
            for p in module.parameters():
                p.fill_(0.5)

    return train


def test_cached_module_trains_once_then_loads_the_same_weights():
    calls: list[int] = []
    first = cached_module(nn.Linear(3, 2), "models", "lin", {"w": 3}, _train_counter(calls))
    second = cached_module(nn.Linear(3, 2), "models", "lin", {"w": 3}, _train_counter(calls))
    assert calls == [1]
    assert torch.equal(first.weight, second.weight) and torch.all(second.weight == 0.5)


def test_cached_module_retrains_when_the_architecture_differs_under_the_same_key():
    calls: list[int] = []
    cached_module(nn.Linear(3, 2), "models", "lin", {"w": 3}, _train_counter(calls))
    wider = cached_module(nn.Linear(3, 4), "models", "lin", {"w": 3}, _train_counter(calls))
    assert calls == [1, 1] and wider.weight.shape == (4, 3)


def test_cache_false_never_touches_the_disk(tmp_path: Path):
    calls: list[int] = []
    cached_module(nn.Linear(1, 1), "models", "lin", {}, _train_counter(calls), cache=False)
    cached_tensors("data", "toy", {}, lambda: {"x": torch.zeros(1)}, cache=False)
    assert calls == [1] and not any(tmp_path.iterdir())


def test_a_corrupt_entry_is_rebuilt():
    cached_tensors("data", "toy", {"a": 3}, lambda: {"x": torch.arange(3.0)})
    (entry,) = cache_dir("data").glob("toy-*.pt")
    entry.write_bytes(b"half a file")
    out = cached_tensors("data", "toy", {"a": 3}, lambda: {"x": torch.arange(3.0)})
    assert torch.equal(out["x"], torch.arange(3.0))


def test_unusable_folder_and_bad_names_give_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(CACHE_ENV, str(blocker))
    with pytest.raises(StorageError) as info:
        cached_tensors("data", "toy", {}, lambda: {"x": torch.zeros(1)})
    assert "\n" not in str(info.value) and CACHE_ENV in str(info.value)
    for bad in ["", "../up", "a/b", 3]:
        with pytest.raises(ConfigError, match="namespace"):
            cache_dir(bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="params"):
        cache_key("toy", [1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="module"):
        cached_module("not a module", "m", "k", {}, lambda m: None)  # type: ignore[type-var]
