"""Probes as training callbacks: compute a probe of a layer's features after every epoch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from torch import Tensor, nn

from nnatlas.core.validation import check_int
from nnatlas.probes.features import extract_features
from nnatlas.runs.context import log_metrics

__all__ = ["ProbeCallback"]

Probe = Callable[..., float | Mapping[str, float]]


class ProbeCallback:
    """Compute ``probe(features[, labels])`` on a fixed batch after every ``every`` epochs.

    Works with any training loop that follows :class:`nnatlas.train.Callback` (e.g.
    ``nnatlas.train.fit(..., callbacks=[ProbeCallback(...)])``). Values are returned to the
    loop (added to its epoch record), kept in :attr:`history`, and logged to the current run's
    ``metrics.jsonl`` when running under ``nnatlas reproduce``.

    Args:
        probe: ``probe(features)`` or, with ``labels``, ``probe(features, labels)``; returns a
            float or a dict of floats. ``features`` is ``(N, F)``.
        layer: the submodule whose output is probed.
        inputs: the fixed probe batch ``(N, ...)``.
        labels: optional ``(N,)`` labels passed as the probe's second argument.
        name: the record key (default: the probe function's name).
        every: probe every this many epochs.
    """

    def __init__(
        self,
        probe: Probe,
        *,
        layer: str,
        inputs: Tensor,
        labels: Tensor | None = None,
        name: str | None = None,
        every: int = 1,
    ) -> None:
        if not callable(probe):
            raise TypeError(f"probe must be callable; got {type(probe).__name__}")
        self.probe = probe
        self.layer = layer
        self.inputs = inputs
        self.labels = labels
        self.name: str = name or str(getattr(probe, "__name__", "probe"))
        self.every = check_int("every", every)
        self.history: list[dict[str, Any]] = []

    def on_epoch_end(self, epoch: int, model: nn.Module) -> dict[str, float] | None:
        if epoch % self.every:
            return None
        feats = extract_features(model, self.inputs, self.layer)[self.layer]
        value = self.probe(feats) if self.labels is None else self.probe(feats, self.labels)
        values: dict[str, float]
        if isinstance(value, Mapping):
            values = {f"{self.name}/{k}": float(v) for k, v in value.items()}
        else:
            values = {self.name: float(value)}
        self.history.append({"epoch": epoch, **values})
        log_metrics(step=epoch, layer=self.layer, **values)
        return values
