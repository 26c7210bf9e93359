"""Argument checks shared by every component, with errors that name the argument."""

from __future__ import annotations

import math
from typing import Any

from nnatlas.core.errors import ConfigError

__all__ = ["check_int", "check_positive"]


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
