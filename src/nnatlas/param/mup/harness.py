"""What the coordinate check and the learning-rate sweep share: option checks, model and optimizer.

Part of :mod:`nnatlas.param.mup`. Both experiments build ``build(width)``, give it base shapes
from ``build(base_width)`` and ``build(delta_width)`` on the meta device under muP, and train it
with a stock optimizer over :func:`~nnatlas.param.mup.mup_param_groups`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.param.mup.base_shapes import set_base_shapes
from nnatlas.param.mup.param_groups import mup_param_groups

__all__ = [
    "OPTIMIZERS",
    "Builder",
    "LossFn",
    "build_model",
    "check_base_widths",
    "check_batch",
    "check_training_options",
    "check_widths",
    "make_optimizer",
]

Builder = Callable[[int], nn.Module]
"""``width -> model``: builds the same architecture at any width."""
LossFn = Callable[[Tensor, Tensor], Tensor]
"""``(output, targets) -> scalar`` loss."""

OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
}
"""The stock optimizers the experiments train with, by name."""


def check_widths(widths: Sequence[int]) -> tuple[int, ...]:
    """``widths`` as a strictly increasing tuple of positive ints.

    Raises:
        ConfigError: not a non-empty sequence, a non-positive or non-int entry, or not increasing.
    """
    if isinstance(widths, int | str) or not isinstance(widths, Sequence) or not widths:
        raise ConfigError(f"widths must be a non-empty sequence of ints; got {widths!r}")
    out = tuple(check_int(f"widths[{i}]", w) for i, w in enumerate(widths))
    if list(out) != sorted(set(out)):
        raise ConfigError(f"widths must be strictly increasing; got {out}")
    return out


def check_base_widths(
    widths: tuple[int, ...], base_width: int | None, delta_width: int | None
) -> tuple[int, int]:
    """``(base_width, delta_width)``, defaulting to the smallest width and twice the base.

    Raises:
        ConfigError: a non-positive width, or ``delta_width == base_width`` (no width dimension
            could then be told apart).
    """
    bw = check_int("base_width", base_width if base_width is not None else widths[0])
    dw = check_int("delta_width", delta_width if delta_width is not None else 2 * bw)
    if dw == bw:
        raise ConfigError(f"delta_width must differ from base_width; both are {bw}")
    return bw, dw


def check_training_options(optimizer: str, parametrization: str, lr: float) -> None:
    """Check the optimizer name, the parametrization and a base learning rate.

    Raises:
        ConfigError: an unknown ``optimizer``/``parametrization``, or ``lr`` not positive finite.
    """
    if optimizer not in OPTIMIZERS:
        raise ConfigError(f"optimizer must be one of {sorted(OPTIMIZERS)}; got {optimizer!r}")
    if parametrization not in ("mup", "sp"):
        raise ConfigError(f"parametrization must be 'mup' or 'sp'; got {parametrization!r}")
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not 0 < lr < math.inf:
        raise ConfigError(f"lr must be a positive finite number; got {lr!r}")


def check_batch(name_x: str, x: Tensor, name_y: str, y: Tensor) -> None:
    """``x`` and ``y`` must be finite tensors with the same (non-zero) number of samples.

    Raises:
        TypeError: not tensors.
        ConfigError: no samples, NaN/inf, or different numbers of samples.
    """
    for name, t in ((name_x, x), (name_y, y)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
        if t.dim() == 0 or t.shape[0] == 0:
            raise ConfigError(f"{name} must hold at least one sample; got shape {tuple(t.shape)}")
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise ConfigError(f"{name} must be finite; it holds NaN or inf")
    if x.shape[0] != y.shape[0]:
        raise ConfigError(
            f"{name_x} and {name_y} must have the same number of samples; got {x.shape[0]} and "
            f"{y.shape[0]}"
        )


def build_model(
    build: Builder,
    width: int,
    parametrization: str,
    base_width: int,
    delta_width: int,
) -> nn.Module:
    """``build(width)``, with base shapes from ``build(base_width)``/``build(delta_width)`` under muP.

    The base and delta models are built on the meta device (no memory for their weights).

    Raises:
        TypeError: ``build`` is not callable or does not return an ``nn.Module``.
    """
    if not callable(build):
        raise TypeError(f"build must be a callable width -> nn.Module; got {type(build).__name__}")
    model = build(width)
    if not isinstance(model, nn.Module):
        raise TypeError(f"build({width}) must return an nn.Module; got {type(model).__name__}")
    if parametrization == "mup":
        with torch.device("meta"):
            base, delta = build(base_width), build(delta_width)
        set_base_shapes(model, base, delta)
    return model


def make_optimizer(
    model: nn.Module, optimizer: str, lr: float, parametrization: str
) -> torch.optim.Optimizer:
    """The stock optimizer ``optimizer`` over :func:`mup_param_groups` (one group under SP)."""
    groups = mup_param_groups(model, lr, optimizer=optimizer, parametrization=parametrization)  # type: ignore[arg-type]
    return OPTIMIZERS[optimizer](groups, lr=lr)
