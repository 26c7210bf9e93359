"""A minimal supervised training loop shared by the paper reproductions.

Full-batch tensors in memory (the bundled datasets are small), minibatches shuffled by a
caller-supplied ``torch.Generator`` so a run is a deterministic function of its seed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.train.callbacks import Callback, run_callbacks

__all__ = ["accuracy", "fit"]


def _check_xy(x: Any, y: Any) -> None:
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise TypeError(
            f"x and y must be torch.Tensors; got {type(x).__name__} and {type(y).__name__}"
        )
    if x.dim() == 0 or y.dim() == 0:
        raise ConfigError(
            f"x and y need a leading batch dimension; got shapes {tuple(x.shape)} and "
            f"{tuple(y.shape)}"
        )
    if x.shape[0] != y.shape[0]:
        raise ConfigError(
            f"x and y must have the same length; got {x.shape[0]} (x {tuple(x.shape)}) and "
            f"{y.shape[0]} (y {tuple(y.shape)})"
        )


def fit(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    batch_size: int = 128,
    loss_fn: Callable[[Tensor, Tensor], Tensor] = F.cross_entropy,
    generator: torch.Generator | None = None,
    on_epoch: Callable[[int, dict[str, float]], bool | None] | None = None,
    callbacks: Sequence[Callback] = (),
) -> list[dict[str, float]]:
    """Train ``model`` on ``(x, y)`` with shuffled minibatches.

    Each epoch draws a permutation of the N examples from ``generator`` (on CPU; the
    global RNG if ``None``), and for each minibatch runs zero_grad, forward,
    ``loss_fn(model(xb), yb)``, backward and ``optimizer.step()``. The model is in train
    mode throughout; the last minibatch may be smaller. Training stops after an epoch whose
    loss is not finite (that epoch is still recorded).

    Args:
        model: the module to train (any module whose parameters ``optimizer`` holds).
        x: inputs ``(N, ...)``.
        y: targets ``(N, ...)`` on the same device as ``x``.
        optimizer: a ``torch.optim.Optimizer``.
        epochs: number of passes over the data (0 trains nothing).
        batch_size: minibatch size.
        loss_fn: ``loss_fn(output, target) -> scalar`` (mean over the batch).
        generator: CPU generator for the shuffling, for determinism.
        on_epoch: called as ``on_epoch(epoch, record)`` after each epoch (epoch counts from
            1); returning ``True`` stops training.
        callbacks: objects with ``on_epoch_end(epoch, model)`` (see
            :mod:`nnatlas.train.callbacks`), called after each epoch before ``on_epoch``; what
            they return is added to the epoch's record (e.g. a probe's value).

    Returns:
        One record per epoch: ``{"epoch", "loss", "seconds"}`` where ``loss`` is the mean
        training loss over the epoch's minibatches weighted by their sizes, plus whatever the
        callbacks returned.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer; got {type(optimizer).__name__}"
        )
    _check_xy(x, y)
    check_int("epochs", epochs, low=0)
    check_int("batch_size", batch_size)
    if x.shape[0] == 0:
        raise ConfigError("x and y must hold at least one example; got 0")
    n = x.shape[0]
    history: list[dict[str, float]] = []
    was_training = model.training
    model.train()
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            order = torch.randperm(n, generator=generator).to(x.device)
            total = 0.0
            for begin in range(0, n, batch_size):
                idx = order[begin : begin + batch_size]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(model(x[idx]), y[idx])
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * idx.numel()
            record = {
                "epoch": float(epoch),
                "loss": total / n,
                "seconds": time.perf_counter() - start,
            }
            if callbacks:
                record.update(run_callbacks(callbacks, epoch, model))
                model.train()
            history.append(record)
            if not math.isfinite(record["loss"]):
                break
            if on_epoch is not None and on_epoch(epoch, record):
                break
    finally:
        model.train(was_training)
    return history


@torch.no_grad()
def accuracy(model: nn.Module, x: Tensor, y: Tensor, batch_size: int = 1024) -> float:
    """Fraction of examples whose arg-max output equals the integer label.

    The model is put in eval mode for the evaluation and then returned to its previous mode.

    Args:
        model: maps ``(B, ...)`` inputs to ``(B, classes)`` scores.
        x: inputs ``(N, ...)``.
        y: integer labels ``(N,)``.
        batch_size: evaluation batch size.

    Returns:
        Accuracy in [0, 1].
    """
    _check_xy(x, y)
    check_int("batch_size", batch_size)
    if y.dim() != 1 or y.is_floating_point() or y.is_complex():
        raise ConfigError(
            f"y must be a 1-D integer label tensor; got shape {tuple(y.shape)}, dtype {y.dtype}"
        )
    if x.shape[0] == 0:
        raise ConfigError("x and y must hold at least one example; got 0")
    was_training = model.training
    model.eval()
    try:
        correct = 0
        for begin in range(0, x.shape[0], batch_size):
            out = model(x[begin : begin + batch_size])
            if out.dim() != 2:
                raise ConfigError(
                    f"model output must be (batch, classes); got shape {tuple(out.shape)}"
                )
            correct += int((out.argmax(dim=1) == y[begin : begin + batch_size]).sum())
    finally:
        model.train(was_training)
    return correct / x.shape[0]
