"""Seeding: one call makes a run's random streams a function of its seed."""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["seed_everything"]


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and torch's global generators; return a fresh torch Generator.

    Library code should prefer the returned (or its own) ``torch.Generator`` to the global
    stream, so that one component's draws do not shift another's.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (user code may use the legacy global stream)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
