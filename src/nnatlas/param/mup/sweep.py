"""Learning-rate transfer: the final training loss over a grid of widths and learning rates.

Part of :mod:`nnatlas.param.mup` (Tensor Programs V, arXiv 2203.03466, Fig. 1 and 3): under muP
the best learning rate does not move with width; under SP it shifts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.param.mup.harness import (
    Builder,
    LossFn,
    build_model,
    check_base_widths,
    check_batch,
    check_training_options,
    check_widths,
    make_optimizer,
)

__all__ = ["LRSweep", "lr_sweep"]


@dataclass(frozen=True)
class LRSweep:
    """Final training loss over widths x learning rates (:func:`lr_sweep`).

    Attributes:
        widths: widths, increasing.
        lrs: learning rates, increasing.
        losses: ``losses[i][j]`` for ``widths[i]``, ``lrs[j]``; ``inf`` where training diverged.
    """

    widths: tuple[int, ...]
    lrs: tuple[float, ...]
    losses: tuple[tuple[float, ...], ...]

    def best_lr(self, width: int) -> float:
        """The learning rate of least final loss at ``width``."""
        if width not in self.widths:
            raise ConfigError(f"width must be one of {list(self.widths)}; got {width}")
        row = self.losses[self.widths.index(width)]
        return self.lrs[min(range(len(row)), key=row.__getitem__)]

    def shift_octaves(self, w0: int, w1: int) -> float:
        """``log2(best_lr(w1) / best_lr(w0))``: how far the optimum moved, in octaves."""
        return math.log2(self.best_lr(w1) / self.best_lr(w0))


def lr_sweep(
    build: Builder,
    widths: Sequence[int],
    lrs: Sequence[float],
    x: Tensor,
    y: Tensor,
    *,
    loss_fn: LossFn = F.cross_entropy,
    optimizer: str = "adam",
    steps: int = 100,
    batch_size: int = 64,
    parametrization: Literal["mup", "sp"] = "mup",
    base_width: int | None = None,
    delta_width: int | None = None,
    seed: int = 0,
    on_result: Callable[[int, float, float], None] | None = None,
) -> LRSweep:
    """Train every (width, learning rate) and record the final loss on all of ``(x, y)``.

    Every run uses the same initial weights for a given width (``torch.manual_seed(seed)`` before
    ``build``) and the same minibatch sequence (a generator seeded with ``seed``), so the runs
    differ only by width and learning rate.

    Args:
        build: ``width -> model``.
        widths: increasing widths.
        lrs: increasing base learning rates.
        x, y: the training set ``(N, ...)``, ``(N,)``.
        loss_fn: ``(output, targets) -> scalar``.
        optimizer: ``"adam"``, ``"adamw"`` or ``"sgd"``.
        steps: optimizer steps per run.
        batch_size: minibatch size (sampled without replacement, reshuffled each epoch).
        parametrization: ``"mup"`` (with :func:`mup_param_groups`) or ``"sp"``.
        base_width, delta_width: as in :func:`coord_check`.
        seed: seed of initialisation and minibatch order.
        on_result: called as ``on_result(width, lr, loss)`` after each run (e.g. logging).

    Returns:
        An :class:`LRSweep`; diverged runs (non-finite loss) have loss ``inf``.
    """
    ws = check_widths(widths)
    rates = _check_lrs(lrs)
    check_training_options(optimizer, parametrization, rates[0])
    check_batch("x", x, "y", y)
    check_int("steps", steps)
    n = x.shape[0]
    check_int("batch_size", batch_size, high=n, high_name="len(x)")
    check_int("seed", seed, low=0)
    bw, dw = check_base_widths(ws, base_width, delta_width)
    if on_result is not None and not callable(on_result):
        raise TypeError(f"on_result must be callable or None; got {type(on_result).__name__}")
    batches = _batch_indices(n, batch_size, steps, seed)
    table = []
    for w in ws:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = build_model(build, w, parametrization, bw, dw)
        state = {k: v.clone() for k, v in model.state_dict().items()}
        row = []
        for lr in rates:
            model.load_state_dict(state)
            opt = make_optimizer(model, optimizer, lr, parametrization)
            loss = _train_final_loss(model, opt, batches, x, y, loss_fn)
            row.append(loss)
            if on_result is not None:
                on_result(w, lr, loss)
        table.append(tuple(row))
    return LRSweep(ws, rates, tuple(table))


def _check_lrs(lrs: Sequence[float]) -> tuple[float, ...]:
    ok = (
        isinstance(lrs, Sequence)
        and not isinstance(lrs, str)
        and len(lrs) > 0
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in lrs)
    )
    rates = tuple(float(v) for v in lrs) if ok else ()
    if not ok or list(rates) != sorted(set(rates)) or not 0 < rates[0] <= rates[-1] < math.inf:
        raise ConfigError(
            f"lrs must be a non-empty increasing sequence of positive finite numbers; got {lrs!r}"
        )
    return rates


def _train_final_loss(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    batches: list[Tensor],
    x: Tensor,
    y: Tensor,
    loss_fn: LossFn,
) -> float:
    """Train on the minibatches; the final loss on all of ``(x, y)`` (``inf`` if it diverged)."""
    model.train()
    for idx in batches:
        opt.zero_grad(set_to_none=True)
        step_loss = loss_fn(model(x[idx]), y[idx])
        if not torch.isfinite(step_loss):
            return math.inf
        step_loss.backward()
        opt.step()
    with torch.no_grad():
        final = float(loss_fn(model(x), y))
    return final if math.isfinite(final) else math.inf


def _batch_indices(n: int, batch_size: int, steps: int, seed: int) -> list[Tensor]:
    gen = torch.Generator().manual_seed(seed)
    out: list[Tensor] = []
    perm = torch.randperm(n, generator=gen)
    pos = 0
    while len(out) < steps:
        if pos + batch_size > n:
            perm, pos = torch.randperm(n, generator=gen), 0
        out.append(perm[pos : pos + batch_size])
        pos += batch_size
    return out
