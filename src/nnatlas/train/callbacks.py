"""The training-callback protocol: how any training loop lets probes and loggers watch it.

A callback is any object with ``on_epoch_end(epoch, model) -> mapping | None``. A training loop
(:func:`nnatlas.train.fit`, or any of nnatlas's training rules) calls it after each epoch with
the model being trained; the values it returns are merged into that epoch's record. Use
:class:`nnatlas.probes.ProbeCallback` to compute a probe of a layer's features every epoch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from torch import nn

from nnatlas.core.validation import check_int

__all__ = ["Callback", "run_callbacks"]


@runtime_checkable
class Callback(Protocol):
    """Anything a training loop can call after each epoch."""

    def on_epoch_end(self, epoch: int, model: nn.Module) -> Mapping[str, Any] | None:
        """Observe ``model`` after epoch ``epoch`` (counted from 1); return values to record."""
        ...


def run_callbacks(callbacks: Iterable[Callback], epoch: int, model: nn.Module) -> dict[str, Any]:
    """Call every callback and merge what they return (later keys win)."""
    check_int("epoch", epoch)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    callbacks = list(callbacks)
    for cb in callbacks:
        if not callable(getattr(cb, "on_epoch_end", None)):
            raise TypeError(
                f"callbacks must have an on_epoch_end(epoch, model) method; got a "
                f"{type(cb).__name__}"
            )
    merged: dict[str, Any] = {}
    for cb in callbacks:
        values = cb.on_epoch_end(epoch, model)
        if values:
            merged.update(values)
    return merged
