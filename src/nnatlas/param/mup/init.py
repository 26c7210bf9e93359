"""muP for a custom constant-std initialisation: :func:`mup_init_std`, :func:`mup_normal_`.

Part of :mod:`nnatlas.param.mup` (Tensor Programs V, arXiv 2203.03466; ``mup.init.normal_``).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.param.mup.shapes import (
    BaseShape,
    check_base_shape,
    get_base_shapes,
    owned_parameters,
)

__all__ = ["mup_init_std", "mup_normal_"]


def mup_init_std(shape: BaseShape, std: float) -> float:
    """The muP standard deviation of a tensor whose init is ``N(0, std^2)`` at the base width.

    Tensors with two width dimensions (hidden weights) get ``std / sqrt(fan_in_mult)`` (variance
    proportional to 1/fan_in); all others keep ``std`` (a :class:`MuReadout` weight is then
    divided by its width multiplier in the forward pass). This is what ``mup.init.normal_`` does,
    for users who replace PyTorch's default init with their own constant ``std``.
    """
    check_base_shape(shape)
    _check_std(std)
    if shape.ninf > 2:
        raise ConfigError(
            f"a tensor of shape {shape.shape} has {shape.ninf} width dims; at most 2 are supported"
        )
    return std / math.sqrt(shape.width_mult) if shape.ninf == 2 else float(std)


def mup_normal_(
    model: nn.Module, std: float = 0.02, *, generator: torch.Generator | None = None
) -> nn.Module:
    """Re-initialise every weight (tensors with >= 2 dims) as ``N(0, mup_init_std(shape, std)^2)``.

    One-dimensional tensors (biases, norm gains) are left as they are. The base shapes must be
    set (:func:`set_base_shapes`).

    Args:
        model: the model.
        std: the standard deviation at the base width (e.g. GPT-2's 0.02).
        generator: random generator (default: torch's global one).

    Returns:
        ``model``.
    """
    _check_std(std)
    shapes = get_base_shapes(model)
    with torch.no_grad():
        for name, _, _, p in owned_parameters(model):
            if p.dim() >= 2:
                p.normal_(0.0, mup_init_std(shapes[name], std), generator=generator)
    return model


def _check_std(std: float) -> None:
    if isinstance(std, bool) or not isinstance(std, int | float) or not 0 <= std < math.inf:
        raise ConfigError(f"std must be a finite number >= 0; got {std!r}")
