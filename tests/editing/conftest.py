"""A tiny untrained LLaMA-style LM and tokenizer shared by the editing tests (built in process)."""

from __future__ import annotations

import pytest
import torch

from nnatlas.data.facts import FactWorld, TinyLlama


@pytest.fixture
def world() -> FactWorld:
    return FactWorld(
        num_subjects=8, num_relations=2, num_first=4, num_last=4, num_fillers=4, seed=0
    )


@pytest.fixture
def tiny(world):
    model = TinyLlama(len(world.tokenizer), dim=16, layers=2, heads=2, hidden=32, seed=0).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    torch.manual_seed(0)
    return model, world.tokenizer
