"""The shared argument checks name the argument, the expectation and the value given."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive


def test_check_int_accepts_in_range_and_names_the_argument():
    assert check_int("width", 3) == 3
    assert check_int("steps", 0, low=0) == 0
    with pytest.raises(TypeError, match=r"width must be an int; got float 3\.0"):
        check_int("width", 3.0)
    with pytest.raises(TypeError, match="width must be an int; got bool"):
        check_int("width", True)
    with pytest.raises(ConfigError, match=r"depth must be an int in \[1, layers=4\]; got 5"):
        check_int("depth", 5, high=4, high_name="layers")


@pytest.mark.parametrize("value", [1, 0.5, 1e-12, 3e8])
def test_check_positive_returns_a_float(value):
    out = check_positive("nu", value)
    assert isinstance(out, float) and out == value


@pytest.mark.parametrize("value", [0, -1.0, math.inf, math.nan])
def test_check_positive_rejects_non_positive_or_non_finite(value):
    with pytest.raises(ConfigError, match="nu must be a finite number > 0"):
        check_positive("nu", value)


@pytest.mark.parametrize("value", ["1", None, True, [1.0]])
def test_check_positive_rejects_non_numbers(value):
    with pytest.raises(TypeError, match="nu must be a positive number"):
        check_positive("nu", value)
