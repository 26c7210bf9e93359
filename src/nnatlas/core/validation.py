"""Argument checks shared by every component, with errors that name the argument."""

from __future__ import annotations

import math
from typing import Any

from nnatlas.core.errors import ConfigError

__all__ = ["check_int", "check_positive", "check_real"]


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
