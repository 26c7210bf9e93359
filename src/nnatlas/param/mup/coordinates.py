"""The coordinate check: mean |activation| of every module over widths and training steps.

Part of :mod:`nnatlas.param.mup` (Tensor Programs V, arXiv 2203.03466, Sec. D.1, Fig. 5): under
a correct muP the curves are flat in width after the first step; under SP they grow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

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

__all__ = ["CoordCheck", "CoordRecord", "coord_check"]


@dataclass(frozen=True)
class CoordRecord:
    """Mean absolute coordinate of one module's output at one width, seed and step."""

    width: int
    seed: int
    t: int
    module: str
    l1: float


@dataclass(frozen=True)
class CoordCheck:
    """The result of :func:`coord_check`.

    Attributes:
        widths: widths checked, increasing.
        steps: number of optimizer steps; ``t`` runs from 0 (initialisation) to ``steps``.
        modules: module names recorded, in model order (``"output"`` is the whole model).
        records: one :class:`CoordRecord` per (width, seed, t, module).
    """

    widths: tuple[int, ...]
    steps: int
    modules: tuple[str, ...]
    records: tuple[CoordRecord, ...] = field(repr=False)

    def l1(self, module: str, t: int) -> list[float]:
        """Mean over seeds of the module's mean |activation| at step ``t``, one per width."""
        if module not in self.modules:
            raise ConfigError(f"module must be one of {list(self.modules)}; got {module!r}")
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= self.steps:
            raise ConfigError(f"t must be an int in [0, {self.steps}] (the steps); got {t!r}")
        out = []
        for w in self.widths:
            vals = [r.l1 for r in self.records if r.width == w and r.t == t and r.module == module]
            out.append(sum(vals) / len(vals))
        return out

    def growth(self, module: str, t: int | None = None) -> float:
        """``l1(widest) / l1(narrowest)`` of a module at step ``t`` (default: the last)."""
        vals = self.l1(module, self.steps if t is None else t)
        return vals[-1] / vals[0] if vals[0] > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"widths", "steps", "l1": {module: {t: [per width]}}}``."""
        return {
            "widths": list(self.widths),
            "steps": self.steps,
            "l1": {m: {str(t): self.l1(m, t) for t in range(self.steps + 1)} for m in self.modules},
        }


def coord_check(
    build: Builder,
    widths: Sequence[int],
    inputs: Tensor,
    targets: Tensor,
    *,
    loss_fn: LossFn = F.cross_entropy,
    optimizer: str = "adam",
    lr: float = 1e-2,
    steps: int = 3,
    seeds: int = 1,
    parametrization: Literal["mup", "sp"] = "mup",
    base_width: int | None = None,
    delta_width: int | None = None,
    modules: Callable[[str], bool] | None = None,
    seed: int = 0,
) -> CoordCheck:
    """Coordinate check: mean |output| of every module across widths while training a few steps.

    For each seed and width, the model ``build(width)`` is built under ``torch.manual_seed(seed)``
    (with base shapes from ``build(base_width)`` and ``build(delta_width)`` on the meta device
    under muP) and trained for ``steps`` steps on the one fixed batch; before each update (and
    after the last) every module's output is recorded as ``mean(|output|)``. Under a correct muP
    the curves are flat in width after the first step; under SP they grow.

    Args:
        build: ``width -> model``.
        widths: increasing widths.
        inputs, targets: the fixed batch.
        loss_fn: ``(output, targets) -> scalar``.
        optimizer: ``"adam"``, ``"adamw"`` or ``"sgd"`` (stock torch optimizers).
        lr: base learning rate.
        steps: optimizer steps (t = 0..steps are recorded).
        seeds: number of seeds (``seed``, ``seed + 1``, ...), averaged by :meth:`CoordCheck.l1`.
        parametrization: ``"mup"`` or ``"sp"`` (same models, one learning rate, no base shapes).
        base_width: width of the base model (default: the smallest width).
        delta_width: width of the delta model (default: twice the base).
        modules: keep only modules whose name passes this filter (the whole model is ``"output"``).
        seed: the first seed.

    Returns:
        A :class:`CoordCheck`.
    """
    ws = check_widths(widths)
    check_training_options(optimizer, parametrization, lr)
    check_batch("inputs", inputs, "targets", targets)
    check_int("steps", steps)
    check_int("seeds", seeds)
    check_int("seed", seed, low=0)
    bw, dw = check_base_widths(ws, base_width, delta_width)
    if modules is not None and not callable(modules):
        raise TypeError(f"modules must be a callable name -> bool or None; got {modules!r}")
    records: list[CoordRecord] = []
    names: list[str] = []
    for s in range(seed, seed + seeds):
        for w in ws:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(s)
                model = build_model(build, w, parametrization, bw, dw)
            model.train()
            opt = make_optimizer(model, optimizer, lr, parametrization)
            for t, label, value in _train_and_record(
                model, opt, inputs, targets, loss_fn, steps, modules
            ):
                records.append(CoordRecord(w, s, t, label, value))
                if label not in names:
                    names.append(label)
    # The root module's output is recorded last by hooks; report it last as well.
    ordered = [n for n in names if n != "output"] + (["output"] if "output" in names else [])
    return CoordCheck(ws, steps, tuple(ordered), tuple(records))


def _train_and_record(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    inputs: Tensor,
    targets: Tensor,
    loss_fn: LossFn,
    steps: int,
    modules: Callable[[str], bool] | None,
) -> list[tuple[int, str, float]]:
    """Train ``steps`` steps on one batch; ``(t, module, mean |output|)`` before each and after."""
    current: dict[str, float] = {}
    hooks = []
    for name, module in model.named_modules():
        label = name or "output"
        if modules is not None and not modules(label):
            continue

        def hook(_m: nn.Module, _i: Any, out: Any, label: str = label) -> None:
            if isinstance(out, Tensor) and out.is_floating_point():
                current[label] = float(out.detach().abs().mean())

        hooks.append(module.register_forward_hook(hook))
    rows: list[tuple[int, str, float]] = []
    try:
        for t in range(steps + 1):
            current.clear()
            out = model(inputs)
            rows += [(t, label, v) for label, v in current.items()]
            if t == steps:
                break
            opt.zero_grad(set_to_none=True)
            loss_fn(out, targets).backward()
            opt.step()
    finally:
        for h in hooks:
            h.remove()
    return rows
