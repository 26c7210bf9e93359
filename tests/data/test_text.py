"""Character corpus from the standard library's sources."""

from __future__ import annotations

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.data import STDLIB_MODULES, CharCorpus, load_stdlib_text


def test_stdlib_text_is_deterministic_and_truncates() -> None:
    text = load_stdlib_text(STDLIB_MODULES[:2])
    assert text == load_stdlib_text(STDLIB_MODULES[:2])
    assert "def " in text and len(load_stdlib_text(max_chars=100)) == 100
    with pytest.raises(ConfigError, match="modules"):
        load_stdlib_text(["no_such_module_xyz"])


def test_corpus_round_trips_and_batches_are_shifted() -> None:
    text = load_stdlib_text(STDLIB_MODULES[:1])
    corpus = CharCorpus.from_text(text, val_fraction=0.2)
    assert corpus.decode(torch.cat([corpus.train, corpus.val])) == text
    gen = torch.Generator().manual_seed(0)
    x, y = corpus.batch("train", 3, 16, gen)
    assert x.shape == y.shape == (3, 16)
    assert torch.equal(x[:, 1:], y[:, :-1])
    with pytest.raises(ConfigError, match="split"):
        corpus.batch("test", 3, 16, gen)
    with pytest.raises(ConfigError, match="length"):
        corpus.batch("val", 1, 10**7, gen)
