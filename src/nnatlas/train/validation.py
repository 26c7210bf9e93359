"""Argument checks of the training family's entry points, with errors that name the argument.

These complement :mod:`nnatlas.core.validation` (``check_int``, ``check_positive``) with the
checks training rules repeat: a data tensor of a given rank and a floating dtype with finite
values, targets that line up with the inputs, integer class labels, a non-negative number, a
choice among names. Every function returns the checked value (converted where it says so).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_tensor as core_check_tensor

__all__ = [
    "check_choice",
    "check_labels",
    "check_nonnegative",
    "check_rows",
    "check_tensor",
]


def check_tensor(
    name: str,
    value: Any,
    *,
    rank: int | Sequence[int] | None = None,
    floating: bool = True,
    finite: bool = True,
    nonempty: bool = True,
) -> Tensor:
    """:func:`nnatlas.core.validation.check_tensor` with the training family's defaults: a
    non-empty batch, of the given ``rank`` (any when ``None``).

    Raises:
        TypeError: ``value`` is not a tensor, or has a refused dtype.
        ConfigError: wrong rank, empty, or NaN/inf entries.
    """
    ndim = None if rank is None else (rank if isinstance(rank, int) else tuple(rank))
    return core_check_tensor(
        name, value, ndim=ndim, floating=floating, finite=finite, nonempty=nonempty
    )


def check_rows(name: str, value: Tensor, n: int, ref: str = "x") -> Tensor:
    """Require ``value.shape[0] == n`` (one row per example of ``ref``)."""
    if value.dim() == 0 or value.shape[0] != n:
        raise ConfigError(
            f"{name} must have one row per example of {ref} ({n}); got shape {tuple(value.shape)}"
        )
    return value


def check_labels(
    name: str, value: Any, n: int | None = None, num_classes: int | None = None
) -> Tensor:
    """Require 1-D integer class labels, ``n`` of them, each in ``[0, num_classes)``.

    Raises:
        TypeError: not a tensor, or not an integer dtype.
        ConfigError: wrong shape or a label out of range.
    """
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of labels; got {type(value).__name__}")
    if value.is_floating_point() or value.is_complex() or value.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class labels; got dtype {value.dtype}")
    if value.dim() != 1 or (n is not None and value.shape[0] != n):
        want = f"({n},)" if n is not None else "1-D"
        raise ConfigError(f"{name} must be {want} labels; got shape {tuple(value.shape)}")
    if num_classes is not None and value.numel():
        low, high = int(value.min()), int(value.max())
        if low < 0 or high >= num_classes:
            raise ConfigError(
                f"{name} must hold labels in [0, num_classes={num_classes}); got labels in "
                f"[{low}, {high}]"
            )
    return value


def check_nonnegative(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite real number >= 0; otherwise raise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number >= 0; got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be a finite number >= 0; got {value}")
    return float(value)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise raise naming ``name``."""
    if value not in choices:
        raise ConfigError(f"{name} must be one of {list(choices)}; got {value!r}")
    return str(value)
