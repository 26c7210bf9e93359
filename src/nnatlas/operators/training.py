"""A plain supervised training loop for neural operators on paired fields.

Adam with a one-cycle learning-rate schedule on random minibatches of ``(x, y)`` pairs, the
setting the operator reproductions share (MgNO vs FNO, the recipe's FNO vs U-Net). Progress is
reported through an optional ``on_step(step, record)`` callback (the step-counting twin of
:func:`nnatlas.train.loop.fit`'s ``on_epoch``), five times per run; nothing is logged by default.
It returns the CPU time spent.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive
from nnatlas.operators.losses import relative_l2_loss

__all__ = ["fit_operator"]


def _check_data(x: object, y: object) -> None:
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating tensor; got dtype {t.dtype}")
        if t.dim() == 0:
            raise ConfigError(f"{name} needs a leading sample dimension; got a 0-d tensor")
    assert isinstance(x, Tensor) and isinstance(y, Tensor)
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ConfigError(
            f"x and y must hold the same non-zero number of samples; got {x.shape[0]} and {y.shape[0]}"
        )


def fit_operator(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    weight_decay: float = 0.0,
    loss_fn: Callable[[Tensor, Tensor], Tensor] = relative_l2_loss,
    seed: int = 0,
    on_step: Callable[[int, dict[str, float]], bool | None] | None = None,
    log_key: str = "train_loss",
    log_name: str | None = None,
) -> float:
    """Train ``model`` to map ``x`` to ``y`` by Adam with a one-cycle schedule.

    Each step draws ``batch_size`` indices with replacement from a private generator seeded with
    ``seed``; the schedule warms up over the first 20 % of ``steps`` to ``lr``.

    Args:
        model: any module mapping a batch of ``x`` to a batch shaped like ``y``.
        x: inputs ``(n, ...)``; y: targets ``(n, ...)``, floating tensors.
        steps, batch_size: optimisation steps and minibatch size.
        lr, weight_decay: Adam's peak learning rate (> 0) and weight decay (>= 0).
        loss_fn: ``loss_fn(prediction, target) -> scalar`` (default relative L2).
        seed: seed of the minibatch sampler.
        on_step: called as ``on_step(step, record)`` every ``max(1, steps // 5)`` steps (step
            counts from 1), with ``record = {"step": step, log_key: minibatch loss}``; returning
            ``True`` stops training. E.g. inside a run,
            ``on_step=lambda s, r: log_metrics(step=s, model="fno", **r)``.
        log_key: the name of the loss entry of ``record``.
        log_name: ignored; accepted so that callers written for the version that logged by
            itself keep working (label the model in ``on_step`` instead).

    Returns:
        CPU seconds spent training.
    """
    del log_name  # the family logs nothing itself; see on_step
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    check_int("steps", steps)
    check_int("batch_size", batch_size)
    check_positive("lr", lr)
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, int | float):
        raise TypeError(f"weight_decay must be a number; got {type(weight_decay).__name__}")
    if not math.isfinite(weight_decay) or weight_decay < 0:
        raise ConfigError(f"weight_decay must be a finite number >= 0; got {weight_decay}")
    if on_step is not None and not callable(on_step):
        raise TypeError(f"on_step must be callable or None; got {type(on_step).__name__}")
    _check_data(x, y)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    every = max(1, steps // 5)
    start = time.process_time()
    for step in range(1, steps + 1):
        idx = torch.randint(0, x.shape[0], (batch_size,), generator=gen)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        sched.step()
        if on_step is not None and step % every == 0:
            stop = on_step(step, {"step": float(step), log_key: float(loss.detach())})
            if stop:
                break
    return time.process_time() - start
