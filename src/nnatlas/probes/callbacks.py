"""Probes as training callbacks: compute a probe of a layer's features after every epoch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.probes.features import extract_features

__all__ = ["ProbeCallback"]

Probe = Callable[..., float | Mapping[str, float]]


class ProbeCallback:
    """Compute ``probe(features[, labels])`` on a fixed batch after every ``every`` epochs.

    Works with any training loop that follows :class:`nnatlas.train.Callback` (e.g.
    ``nnatlas.train.fit(..., callbacks=[ProbeCallback(...)])``). Values are returned to the
    loop (added to its epoch record), kept in :attr:`history` and, with ``on_log``, reported as
    ``on_log(step=epoch, layer=layer, **values)`` (e.g. ``on_log=nnatlas.runs.context.log_metrics``
    writes them to the current run's ``metrics.jsonl``; the default logs nothing).

    Args:
        probe: ``probe(features)`` or, with ``labels``, ``probe(features, labels)``; returns a
            float or a dict of floats. ``features`` is ``(N, F)``.
        layer: the submodule whose output is probed.
        inputs: the fixed probe batch ``(N, ...)``.
        labels: optional ``(N,)`` labels passed as the probe's second argument.
        name: the record key (default: the probe function's name).
        every: probe every this many epochs.
        on_log: called as ``on_log(step=epoch, layer=layer, **values)`` after each probe.
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
        on_log: Callable[..., None] | None = None,
    ) -> None:
        if not callable(probe):
            raise TypeError(f"probe must be callable; got {type(probe).__name__}")
        if on_log is not None and not callable(on_log):
            raise TypeError(f"on_log must be callable or None; got {type(on_log).__name__}")
        if not isinstance(layer, str):
            raise TypeError(f"layer must be a submodule name (str); got {type(layer).__name__}")
        if not isinstance(inputs, Tensor):
            raise TypeError(f"inputs must be a torch.Tensor; got {type(inputs).__name__}")
        if inputs.dim() == 0 or inputs.shape[0] == 0:
            raise ConfigError(
                f"inputs must be a non-empty batch (N, ...); got {tuple(inputs.shape)}"
            )
        if labels is not None and not isinstance(labels, Tensor):
            raise TypeError(f"labels must be a torch.Tensor or None; got {type(labels).__name__}")
        if labels is not None and (labels.dim() == 0 or labels.shape[0] != inputs.shape[0]):
            raise ConfigError(
                f"labels must have one entry per input: ({inputs.shape[0]},); got "
                f"{tuple(labels.shape)}"
            )
        self.probe = probe
        self.layer = layer
        self.inputs = inputs
        self.labels = labels
        self.name: str = name or str(getattr(probe, "__name__", "probe"))
        self.every = check_int("every", every)
        self.on_log = on_log
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
        if self.on_log is not None:
            self.on_log(step=epoch, layer=self.layer, **values)
        return values
