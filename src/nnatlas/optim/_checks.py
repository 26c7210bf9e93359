"""Argument checks shared by the optimizers of this family (hyperparameters, params, losses).

``check_real`` lives in :mod:`nnatlas.core.validation` (every family uses it) and is
re-exported here for the optimizers. Every check raises at the optimizer's entry point with a message naming the argument, so a bad
setting fails as ``ConfigError: lr must be ...`` instead of a comparison error inside
``__init__`` or, worse, parameters that silently turn into NaN a few steps later.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_real

__all__ = [
    "check_bool",
    "check_floating_groups",
    "check_loss",
    "check_losses",
    "check_params",
    "check_real",
]


def check_bool(name: str, value: Any) -> bool:
    """``value`` if it is a ``bool``; else a ``TypeError`` naming ``name``."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}")
    return value


def check_params(params: Any, owner: str) -> list[Any]:
    """Materialise ``params`` (tensors or param-group dicts) and check what torch cannot name.

    ``torch.optim.Optimizer`` accepts the list this returns. A single tensor, an empty
    iterable, or elements that are neither tensors nor dicts raise here, naming ``params``.
    Floating-point-ness of the tensors is checked by the optimizer after grouping.
    """
    if isinstance(params, Tensor):
        raise TypeError(
            f"{owner}: params must be an iterable of tensors or param-group dicts, not a "
            "single tensor (wrap it in a list)"
        )
    if not isinstance(params, Iterable) or isinstance(params, str | bytes | dict):
        raise TypeError(
            f"{owner}: params must be an iterable of tensors or param-group dicts; got "
            f"{type(params).__name__}"
        )
    items = list(params)
    if not items:
        raise ConfigError(f"{owner}: params is empty; pass at least one tensor")
    for i, item in enumerate(items):
        tensors = item.get("params", ()) if isinstance(item, dict) else (item,)
        if isinstance(tensors, Tensor):
            tensors = (tensors,)
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"{owner}: params[{i}] must be a tensor or a param-group dict of tensors; "
                    f"got {type(t).__name__}"
                )
    return items


def check_floating_groups(param_groups: list[dict[str, Any]], owner: str) -> None:
    """Every parameter is a floating-point tensor (a ``TypeError`` naming ``params``)."""
    for group in param_groups:
        for p in group["params"]:
            if not p.is_floating_point():
                raise TypeError(f"{owner} needs floating-point params; got dtype {p.dtype}")


def check_loss(value: Any) -> float:
    """A closure's result as a float: it must be a finite scalar (a tensor with one element).

    Raises:
        TypeError: the closure returned something that is not a number or a tensor.
        ValueError: a tensor with more than one element, or a NaN/infinite loss. A gradient-free
            step cannot rank candidates whose loss is NaN, so it stops here rather than
            moving the parameters to NaN.
    """
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(
                f"closure must return a scalar loss; got a tensor of shape {tuple(value.shape)}"
            )
        if value.is_complex():
            raise TypeError(f"closure must return a real loss; got dtype {value.dtype}")
        out = float(value.detach())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out = float(value)
    else:
        raise TypeError(f"closure must return a scalar loss; got {type(value).__name__}")
    if not math.isfinite(out):
        raise ValueError(f"closure returned a non-finite loss ({out}) for a candidate")
    return out


def check_losses(losses: Tensor) -> Tensor:
    """Candidate losses from ``evaluate_batch`` must all be finite (a ``ValueError`` naming
    the closure, with how many were not)."""
    bad = ~torch.isfinite(losses)
    if bool(bad.any()):
        raise ValueError(
            f"closure.evaluate_batch returned {int(bad.sum())} non-finite loss(es) out of "
            f"{losses.numel()}; a gradient-free step cannot rank NaN/inf candidates"
        )
    return losses
