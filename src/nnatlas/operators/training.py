"""A plain supervised training loop for neural operators on paired fields.

Adam with a one-cycle learning-rate schedule on random minibatches of ``(x, y)`` pairs, the
setting the operator reproductions share (MgNO vs FNO, the recipe's FNO vs U-Net). It logs the
training loss five times per run through :func:`nnatlas.runs.context.log_metrics` (a no-op
outside a run) and returns the CPU time spent.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.operators.losses import relative_l2_loss
from nnatlas.runs.context import log_metrics

__all__ = ["fit_operator"]


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
    log_name: str = "operator",
    log_key: str = "train_loss",
) -> float:
    """Train ``model`` to map ``x`` to ``y`` by Adam with a one-cycle schedule.

    Each step draws ``batch_size`` indices with replacement from a private generator seeded with
    ``seed``; the schedule warms up over the first 20 % of ``steps`` to ``lr``.

    Args:
        model: any module mapping a batch of ``x`` to a batch shaped like ``y``.
        x: inputs ``(n, ...)``; y: targets ``(n, ...)``.
        steps, batch_size: optimisation steps and minibatch size.
        lr, weight_decay: Adam's peak learning rate and weight decay.
        loss_fn: ``loss_fn(prediction, target) -> scalar`` (default relative L2).
        seed: seed of the minibatch sampler.
        log_name, log_key: how the logged training loss is labelled.

    Returns:
        CPU seconds spent training.
    """
    check_int("steps", steps)
    check_int("batch_size", batch_size)
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ConfigError(
            f"x and y must hold the same non-zero number of samples; got {x.shape[0]} and {y.shape[0]}"
        )
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    start = time.process_time()
    for step in range(steps):
        idx = torch.randint(0, x.shape[0], (batch_size,), generator=gen)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % max(1, steps // 5) == 0:
            log_metrics(step=step + 1, model=log_name, **{log_key: float(loss.detach())})
    return time.process_time() - start
