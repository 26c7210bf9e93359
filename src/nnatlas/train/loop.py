"""The family's supervised training loop, shared by the paper reproductions.

Full-batch tensors in memory (the bundled datasets are small), minibatches shuffled by a
caller-supplied ``torch.Generator`` so a run is a deterministic function of its seed. One loop
covers the usual variants through arguments rather than copies:

* the loss: ``loss_fn(model(xb), yb)`` (default cross-entropy), or ``batch_loss(model, xb, yb)``
  for anything else a batch's loss needs (auxiliary terms, input augmentation, a model's own
  ``loss`` method), or ``backward_fn(model, xb, yb)`` for training rules that accumulate their
  gradients themselves (block-local training such as ``NoPropDT.backward_local``);
* full-batch (``batch_size=None``) or shuffled minibatches, skipping minibatches smaller than
  ``min_batch`` (BatchNorm cannot train on one example);
* per-step (``on_step``: e.g. a scheduler stepped on the batch loss) and per-epoch
  (``on_epoch``, ``callbacks``: logging, probes, early stopping) hooks, and ``target_loss``.

:func:`accuracy` and :func:`evaluate_loss` evaluate in eval mode without gradients.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.train.callbacks import Callback, run_callbacks

__all__ = ["accuracy", "evaluate_loss", "fit"]

#: ``batch_loss(model, xb, yb) -> scalar loss tensor`` (``fit`` runs its backward pass).
BatchLoss = Callable[[nn.Module, Tensor, Tensor], Tensor]
#: ``backward_fn(model, xb, yb) -> loss`` that has already accumulated the gradients; the loss
#: as a float, a 0-d tensor, or a mapping with a ``"loss"`` entry.
BackwardFn = Callable[[nn.Module, Tensor, Tensor], Any]


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
    if x.shape[0] == 0:
        raise ConfigError("x and y must hold at least one example; got 0")
    for name, t in (("x", x), ("y", y)):
        if (t.is_floating_point() or t.is_complex()) and not bool(torch.isfinite(t).all()):
            raise ConfigError(f"{name} must be finite; got NaN or inf in {name} {tuple(t.shape)}")


def _check_callable(name: str, value: Any) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None; got {type(value).__name__}")


def _check_fit_arguments(
    model: Any,
    optimizer: Any,
    loss_fn: Any,
    batch_loss: Any,
    backward_fn: Any,
    hooks: Mapping[str, Any],
    target_loss: float | None,
) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer; got {type(optimizer).__name__}"
        )
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable; got {type(loss_fn).__name__}")
    for name, value in {"batch_loss": batch_loss, "backward_fn": backward_fn, **hooks}.items():
        _check_callable(name, value)
    given = [n for n, v in (("batch_loss", batch_loss), ("backward_fn", backward_fn)) if v]
    if loss_fn is not F.cross_entropy:
        given.insert(0, "loss_fn")
    if len(given) > 1:
        raise ConfigError(
            f"give one of loss_fn, batch_loss and backward_fn; got {' and '.join(given)}"
        )
    if target_loss is not None and (
        isinstance(target_loss, bool)
        or not isinstance(target_loss, (int, float))
        or math.isnan(target_loss)
    ):
        raise ConfigError(f"target_loss must be a number or None; got {target_loss!r}")


def _loss_value(value: Any) -> float:
    """The float loss a ``backward_fn`` returned (float, 0-d tensor or ``{"loss": ...}``)."""
    if isinstance(value, Mapping):
        if "loss" not in value:
            raise ConfigError(
                f"backward_fn returned a mapping without a 'loss' entry; got keys {list(value)}"
            )
        value = value["loss"]
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ConfigError(
                f"backward_fn must return a scalar loss; got shape {tuple(value.shape)}"
            )
        return float(value.detach())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(
        f"backward_fn must return a float, a 0-d tensor or a mapping with 'loss'; "
        f"got {type(value).__name__}"
    )


def fit(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    batch_size: int | None = 128,
    loss_fn: Callable[[Tensor, Tensor], Tensor] = F.cross_entropy,
    batch_loss: BatchLoss | None = None,
    backward_fn: BackwardFn | None = None,
    generator: torch.Generator | None = None,
    min_batch: int = 1,
    target_loss: float | None = None,
    on_step: Callable[[int, float], None] | None = None,
    on_epoch: Callable[[int, dict[str, float]], bool | None] | None = None,
    callbacks: Sequence[Callback] = (),
) -> list[dict[str, float]]:
    """Train ``model`` on ``(x, y)`` with shuffled minibatches (or full batch).

    Each epoch draws a permutation of the N examples from ``generator`` (on CPU; the
    global RNG if ``None``) and, for each minibatch ``(xb, yb)``, runs
    ``optimizer.zero_grad(set_to_none=True)``, the loss and its backward pass, and
    ``optimizer.step()``. The model is in train mode throughout (its mode is restored at the
    end); the last minibatch may be smaller. Training stops after an epoch whose loss is not
    finite, after an epoch where ``on_epoch`` returned ``True``, or after an epoch whose loss is
    ``<= target_loss`` (that epoch is recorded in each case).

    The batch loss is, with exactly one of these given:

    * ``loss_fn(model(xb), yb)`` (the default, cross-entropy); ``fit`` calls ``backward()``;
    * ``batch_loss(model, xb, yb)``, a scalar tensor; ``fit`` calls ``backward()``;
    * ``backward_fn(model, xb, yb)``, which accumulates the gradients itself (for block-local
      rules, e.g. ``lambda m, xb, yb: m.backward_local(xb, yb)``) and returns the loss as a
      float, a 0-d tensor or a mapping with a ``"loss"`` entry.

    Args:
        model: the module to train (any module whose parameters ``optimizer`` holds).
        x: inputs ``(N, ...)``; finite if floating.
        y: targets ``(N, ...)`` on the same device as ``x``; finite if floating.
        optimizer: a ``torch.optim.Optimizer``.
        epochs: number of passes over the data (0 trains nothing).
        batch_size: minibatch size; ``None`` trains full-batch: one step per epoch on
            ``(x, y)`` in their order, and ``generator`` is not used.
        loss_fn: ``loss_fn(output, target) -> scalar`` (mean over the batch).
        batch_loss: ``batch_loss(model, xb, yb) -> scalar`` (see above).
        backward_fn: ``backward_fn(model, xb, yb) -> loss`` (see above).
        generator: CPU generator for the shuffling, for determinism.
        min_batch: minibatches with fewer examples are skipped (e.g. 2 with BatchNorm); some
            minibatch of each epoch must be this large.
        target_loss: stop after the first epoch whose mean loss is ``<= target_loss``.
        on_step: called as ``on_step(step, loss)`` after each ``optimizer.step()`` (step counts
            from 1 over the whole run; ``loss`` is the batch loss as a float; the gradients are
            still in ``.grad``), e.g. to step a scheduler on the batch loss.
        on_epoch: called as ``on_epoch(epoch, record)`` after each epoch (epoch counts from
            1); returning ``True`` stops training. Use it to log.
        callbacks: objects with ``on_epoch_end(epoch, model)`` (see
            :mod:`nnatlas.train.callbacks`), called after each epoch before ``on_epoch``; what
            they return is added to the epoch's record (e.g. a probe's value).

    Returns:
        One record per epoch trained: ``{"epoch", "loss", "seconds"}`` (floats) where ``loss``
        is the mean batch loss over the epoch's trained minibatches weighted by their sizes,
        plus whatever the callbacks returned.

    Raises:
        TypeError: ``model``, ``optimizer``, ``x``, ``y`` or a callable has the wrong type.
        ConfigError: mismatched or empty ``x``/``y``, non-finite data, a bad count, more than
            one of ``loss_fn``/``batch_loss``/``backward_fn``, or ``min_batch`` larger than
            every minibatch.
    """
    hooks = {"on_step": on_step, "on_epoch": on_epoch}
    _check_fit_arguments(model, optimizer, loss_fn, batch_loss, backward_fn, hooks, target_loss)
    _check_xy(x, y)
    check_int("epochs", epochs, low=0)
    if batch_size is not None:
        check_int("batch_size", batch_size)
    check_int("min_batch", min_batch)
    n = x.shape[0]
    largest = n if batch_size is None else min(batch_size, n)
    if largest < min_batch:
        raise ConfigError(
            f"min_batch={min_batch} skips every minibatch: the largest holds {largest} examples "
            f"(batch_size={batch_size}, N={n})"
        )

    step = _make_step(model, optimizer, loss_fn, batch_loss, backward_fn)
    history: list[dict[str, float]] = []
    steps = 0
    was_training = model.training
    model.train()
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            total, trained = 0.0, 0
            for xb, yb in _minibatches(x, y, batch_size, generator):
                if xb.shape[0] < min_batch:
                    continue
                value = step(xb, yb)
                steps += 1
                if on_step is not None:
                    on_step(steps, value)
                total += value * xb.shape[0]
                trained += xb.shape[0]
            record = {
                "epoch": float(epoch),
                "loss": total / trained,
                "seconds": time.perf_counter() - start,
            }
            if callbacks:
                record.update(run_callbacks(callbacks, epoch, model))
                model.train()
            history.append(record)
            if not math.isfinite(record["loss"]):
                break
            stop = on_epoch(epoch, record) if on_epoch is not None else None
            if stop or (target_loss is not None and record["loss"] <= target_loss):
                break
    finally:
        model.train(was_training)
    return history


def _minibatches(
    x: Tensor, y: Tensor, batch_size: int | None, generator: torch.Generator | None
) -> Iterator[tuple[Tensor, Tensor]]:
    """One epoch's batches: ``(x, y)`` whole, or shuffled slices of ``batch_size``."""
    if batch_size is None:
        yield x, y
        return
    n = x.shape[0]
    order = torch.randperm(n, generator=generator).to(x.device)
    for begin in range(0, n, batch_size):
        idx = order[begin : begin + batch_size]
        yield x[idx], y[idx]


def _make_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    batch_loss: BatchLoss | None,
    backward_fn: BackwardFn | None,
) -> Callable[[Tensor, Tensor], float]:
    """One optimizer step on a batch (zero_grad, loss and backward, step); returns the loss."""

    def step(xb: Tensor, yb: Tensor) -> float:
        optimizer.zero_grad(set_to_none=True)
        if backward_fn is not None:
            value = _loss_value(backward_fn(model, xb, yb))
        else:
            loss = batch_loss(model, xb, yb) if batch_loss is not None else loss_fn(model(xb), yb)
            loss.backward()
            value = float(loss.detach())
        optimizer.step()
        return value

    return step


def _check_eval(model: Any, x: Any, y: Any, batch_size: int) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    _check_xy(x, y)
    check_int("batch_size", batch_size)


@torch.no_grad()
def accuracy(model: nn.Module, x: Tensor, y: Tensor, batch_size: int = 1024) -> float:
    """Fraction of examples whose predicted class equals the integer label.

    The prediction is the arg-max of ``(B, C)`` scores with C ≥ 2; a ``(B,)`` or ``(B, 1)``
    output is one binary logit, predicting class 1 where it is > 0. The model is put in eval
    mode for the evaluation and then returned to its previous mode.

    Args:
        model: maps ``(B, ...)`` inputs to ``(B, classes)`` scores or ``(B,)`` binary logits.
        x: inputs ``(N, ...)``.
        y: integer labels ``(N,)``.
        batch_size: evaluation batch size.

    Returns:
        Accuracy in [0, 1].
    """
    _check_eval(model, x, y, batch_size)
    if y.dim() != 1 or y.is_floating_point() or y.is_complex():
        raise ConfigError(
            f"y must be a 1-D integer label tensor; got shape {tuple(y.shape)}, dtype {y.dtype}"
        )
    was_training = model.training
    model.eval()
    try:
        correct = 0
        for begin in range(0, x.shape[0], batch_size):
            out = model(x[begin : begin + batch_size])
            if out.dim() == 1 or (out.dim() == 2 and out.shape[1] == 1):
                pred = (out.reshape(-1) > 0).long()
            elif out.dim() == 2:
                pred = out.argmax(dim=1)
            else:
                raise ConfigError(
                    f"model output must be (batch, classes) or (batch,); got shape "
                    f"{tuple(out.shape)}"
                )
            correct += int((pred == y[begin : begin + batch_size]).sum())
    finally:
        model.train(was_training)
    return correct / x.shape[0]


@torch.no_grad()
def evaluate_loss(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    loss_fn: Callable[[Tensor, Tensor], Tensor] = F.cross_entropy,
    batch_size: int = 1024,
) -> float:
    """Mean of ``loss_fn(model(xb), yb)`` over ``(x, y)``, weighted by batch sizes, in eval mode.

    With a mean-reduced ``loss_fn`` this is the loss over the whole set (up to rounding), the
    evaluation counterpart of :func:`fit`'s epoch loss. The model's mode is restored after.

    Args:
        model: the module to evaluate.
        x: inputs ``(N, ...)``; y: targets ``(N, ...)``.
        loss_fn: ``loss_fn(output, target) -> scalar`` (mean over the batch).
        batch_size: evaluation batch size.

    Returns:
        The mean loss (NaN or inf only if the model's outputs make the loss so).
    """
    _check_eval(model, x, y, batch_size)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable; got {type(loss_fn).__name__}")
    was_training = model.training
    model.eval()
    try:
        total = 0.0
        for begin in range(0, x.shape[0], batch_size):
            xb, yb = x[begin : begin + batch_size], y[begin : begin + batch_size]
            loss = loss_fn(model(xb), yb)
            if not isinstance(loss, Tensor) or loss.numel() != 1:
                raise ConfigError(
                    f"loss_fn must return a scalar tensor; got {type(loss).__name__}"
                    + (f" of shape {tuple(loss.shape)}" if isinstance(loss, Tensor) else "")
                )
            total += float(loss) * xb.shape[0]
    finally:
        model.train(was_training)
    return total / x.shape[0]
