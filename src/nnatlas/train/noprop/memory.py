"""Activation memory of a training step, measured through autograd's saved-tensor hooks.

Used by the NoProp reproduction (Li, Teh, Pascanu, arXiv 2503.24322) to compare the memory of
block-local training with end-to-end back-propagation; it works on any loss-building function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

__all__ = ["saved_activation_bytes"]


def saved_activation_bytes(fn: Callable[[], Tensor], exclude: Sequence[Tensor] = ()) -> int:
    """Bytes of the tensors autograd saves for backward while ``fn()`` builds its graph.

    A CPU-portable proxy for the activation memory of a training step: every tensor saved
    for backward is recorded by ``torch.autograd.graph.saved_tensors_hooks``, each distinct
    tensor (address, dtype, shape) is counted once by its own size, and tensors living in the
    storage of one of ``exclude`` (pass the parameters) are skipped.

    Args:
        fn: builds and returns a loss (its graph is dropped afterwards, not differentiated).
        exclude: tensors whose storages are not counted.

    Returns:
        The total bytes of the distinct saved tensors.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable (it builds a loss); got {type(fn).__name__}")
    exclude = list(exclude)
    for t in exclude:
        if not isinstance(t, Tensor):
            raise TypeError(f"exclude must hold tensors; got a {type(t).__name__}")
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    seen: dict[tuple[int, int, tuple[int, ...]], int] = {}

    def pack(t: Tensor) -> Tensor:
        if t.untyped_storage().data_ptr() not in skip:
            # Count the view's own bytes, not its whole storage: a minibatch sliced from a
            # dataset tensor would otherwise count as the dataset.
            seen[(t.data_ptr(), t.dtype.itemsize, tuple(t.shape))] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return sum(seen.values())
