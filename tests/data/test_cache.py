"""The PDE data cache: atomic entries through core.io, and one-line errors for unusable folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from nnatlas.core.errors import StorageError
from nnatlas.data.pde import CACHE_ENV, cache_dir, poisson_data
from nnatlas.data.pde._cache import cached_tensors


def _build() -> dict[str, torch.Tensor]:
    return {"x": torch.arange(4.0)}


def test_entry_is_written_once_and_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    calls: list[int] = []

    def build() -> dict[str, torch.Tensor]:
        calls.append(1)
        return _build()

    first = cached_tensors("toy", {"a": 1}, build)
    second = cached_tensors("toy", {"a": 1}, build)
    assert calls == [1] and torch.equal(first["x"], second["x"])
    files = sorted(p.name for p in cache_dir().iterdir())
    assert len(files) == 2 and files[0].endswith(".json") and files[1].endswith(".pt")
    assert not [p for p in cache_dir().iterdir() if p.name.startswith(".")]  # no temp files left


def test_a_file_in_place_of_the_cache_folder_is_a_one_line_storage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv(CACHE_ENV, str(blocker))
    with pytest.raises(StorageError) as info:
        poisson_data(2, 5, modes=2)
    message = str(info.value)
    assert "\n" not in message and str(blocker) in message
    assert CACHE_ENV in message and "cache=False" in message
    # cache=False never touches the disk, so the same call works.
    assert poisson_data(2, 5, modes=2, cache=False).f.shape == (2, 5, 5)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores modes")
def test_an_unwritable_cache_folder_is_a_one_line_storage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root = tmp_path / "ro"
    (root / "pde").mkdir(parents=True)
    (root / "pde").chmod(0o500)
    monkeypatch.setenv(CACHE_ENV, str(root))
    try:
        with pytest.raises(StorageError, match="permission denied") as info:
            cached_tensors("toy", {"a": 2}, _build)
        assert "\n" not in str(info.value) and str(root / "pde") in str(info.value)
    finally:
        (root / "pde").chmod(0o700)


def test_a_corrupt_entry_is_recomputed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    cached_tensors("toy", {"a": 3}, _build)
    (entry,) = cache_dir().glob("toy-*.pt")
    entry.write_bytes(b"half a file")
    assert torch.equal(cached_tensors("toy", {"a": 3}, _build)["x"], torch.arange(4.0))
