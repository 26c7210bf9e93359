"""Argument checks shared by every component, with errors that name the argument."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError

__all__ = ["check_int", "check_positive", "check_real", "check_tensor"]


def check_int(
    name: str, value: Any, *, low: int = 1, high: int | None = None, high_name: str = ""
) -> int:
    """Return ``value`` if it is an int in ``[low, high]``; otherwise raise naming ``name``.

    Raises:
        TypeError: ``value`` is not an int (``bool`` is not accepted).
        ConfigError: ``value`` is out of range (a ``ValueError``).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    if value < low or (high is not None and value > high):
        if high is None:
            bounds = f"an int >= {low}"
        else:
            bounds = f"an int in [{low}, {high_name + '=' if high_name else ''}{high}]"
        raise ConfigError(f"{name} must be {bounds}; got {value}")
    return value


def check_positive(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite real number > 0; otherwise raise naming ``name``.

    Raises:
        TypeError: ``value`` is not an int or float (``bool`` is not accepted).
        ConfigError: ``value`` is not finite or not > 0 (a ``ValueError``).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a positive number; got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a finite number > 0; got {value}")
    return float(value)


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float if it is a finite real number in the interval; else raise.

    ``low``/``high`` bound the interval (``None``: unbounded on that side); ``low_open`` /
    ``high_open`` exclude the bound itself. E.g. a momentum in ``[0, 1)`` is
    ``check_real("momentum", m, low=0, high=1, high_open=True)``.

    Raises:
        TypeError: ``value`` is not an int or float (``bool`` is not accepted).
        ConfigError: NaN, infinite, or outside the interval (a ``ValueError``).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    v = float(value)
    below = low is not None and (v <= low if low_open else v < low)
    above = high is not None and (v >= high if high_open else v > high)
    if not math.isfinite(v) or below or above:
        left = "(-inf" if low is None else ("(" if low_open else "[") + f"{low:g}"
        right = "inf)" if high is None else f"{high:g}" + (")" if high_open else "]")
        raise ConfigError(f"{name} must be a finite number in {left}, {right}; got {value!r}")
    return v


def check_tensor(
    name: str,
    value: object,
    *,
    ndim: int | tuple[int, ...] | None = None,
    min_ndim: int = 0,
    floating: bool = True,
    finite: bool = True,
    nonempty: bool = False,
    owner: str = "",
) -> Tensor:
    """Return ``value`` if it is a tensor of the expected kind; otherwise raise naming ``name``.

    The one tensor check every family uses at its entry points, so that a wrong dtype, rank or a
    NaN fails where the user passed it, not deep inside torch.

    Args:
        name: the argument's name, used in the messages.
        value: the argument.
        ndim: the allowed number(s) of dimensions; ``None`` allows any rank >= ``min_ndim``.
        min_ndim: the smallest allowed rank when ``ndim`` is ``None``.
        floating: require a real floating dtype (integer, bool and complex are refused).
        finite: refuse NaN and infinite entries (reads the values: one device sync).
        nonempty: require at least one element and a non-zero leading dimension.
        owner: the layer or function, prefixed to the message (``"FNO2d: x must ..."``).

    Raises:
        TypeError: not a tensor, or a refused dtype.
        ConfigError: wrong rank, empty, or non-finite entries (a ``ValueError``).
    """
    where = f"{owner}: " if owner else ""
    if not isinstance(value, Tensor):
        raise TypeError(f"{where}{name} must be a torch.Tensor; got {type(value).__name__}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{where}{name} must be a real floating tensor; got dtype {value.dtype}")
    if ndim is not None:
        dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if value.dim() not in dims:
            want = " or ".join(f"{d}-D" for d in dims)
            raise ConfigError(f"{where}{name} must be {want}; got shape {tuple(value.shape)}")
    elif value.dim() < min_ndim:
        raise ConfigError(
            f"{where}{name} must have at least {min_ndim} dimensions; got shape "
            f"{tuple(value.shape)}"
        )
    if nonempty and (value.numel() == 0 or (value.dim() > 0 and value.shape[0] == 0)):
        raise ConfigError(f"{where}{name} must not be empty; got shape {tuple(value.shape)}")
    if finite and value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise ConfigError(f"{where}{name} must be finite; got NaN or infinite entries")
    return value
