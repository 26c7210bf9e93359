"""Seeded example inputs for conformance cases and tests.

Every case needs a few tensors that are the same on every call (the batteries compare two
forward passes) and independent of the global RNG (so the order tests run in does not matter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

__all__ = ["randn", "seeded_inputs"]


def randn(
    *shape: int, dtype: torch.dtype = torch.float32, seed: int = 0, scale: float = 1.0
) -> torch.Tensor:
    """A standard-normal tensor of ``shape`` from a private generator seeded with ``seed``."""
    gen = torch.Generator().manual_seed(seed)
    return scale * torch.randn(*shape, generator=gen, dtype=dtype)


def seeded_inputs(
    *shapes: Sequence[int], seed: int = 0, scale: float = 1.0
) -> Callable[[torch.dtype], tuple[torch.Tensor, ...]]:
    """An ``inputs`` factory for a case: ``dtype -> tuple`` of seeded normal tensors.

    Example:
        ``register_module_case("MLP", build=..., inputs=seeded_inputs((5, 8)))``
    """

    def make(dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
        return tuple(
            randn(*shape, dtype=dtype, seed=seed + i, scale=scale) for i, shape in enumerate(shapes)
        )

    return make
