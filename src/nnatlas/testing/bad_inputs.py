"""Property-based bad-input checks: every public entry point fails clearly on bad arguments.

A "clear error" is an exception of the expected type (``ValueError``, which nnatlas's
``ConfigError`` is, or ``TypeError``) raised at the entry point, whose message names the
argument that was wrong. A deep stack trace from inside torch, or a silent NaN, is a defect;
an entry point that returns NaN on purpose documents it in its docstring and its test says so.

Needs ``hypothesis`` (in the ``test`` extra). Used by ``tests/*/test_bad_inputs.py``; each of
those declares ``COVERED`` (the public names it exercises) and ``EXEMPT`` (name -> why no
bad input applies, e.g. a constant or a plain data container), and
``tests/test_bad_input_coverage.py`` checks that together they cover every family's
``__all__``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import torch
from hypothesis import strategies as st

from nnatlas.core.errors import NnatlasError

__all__ = [
    "BAD_DTYPES",
    "assert_clear_error",
    "bad_dtype_tensors",
    "nonfinite_tensors",
    "out_of_domain",
    "unknown_names",
    "wrong_rank_tensors",
]

#: dtypes a float-only entry point must refuse (or handle by documented promotion).
BAD_DTYPES: tuple[torch.dtype, ...] = (torch.int64, torch.int32, torch.bool, torch.complex64)


def assert_clear_error(
    fn: Callable[..., Any],
    *args: Any,
    argument: str | Sequence[str],
    exc: type[BaseException] | tuple[type[BaseException], ...] = (
        ValueError,
        TypeError,
        NnatlasError,
    ),
    **kwargs: Any,
) -> BaseException:
    """Call ``fn(*args, **kwargs)``; it must raise ``exc`` with a message naming ``argument``.

    Args:
        fn: the entry point.
        argument: the argument's name (or several accepted spellings, e.g. ``("x", "input")``).
        exc: the accepted exception type(s); by default ``ValueError`` (which ``ConfigError``
            is), ``TypeError`` and any nnatlas user error (``UnknownNameError``,
            ``MissingExtraError``, ``StorageError``).

    Returns:
        The exception, for further checks.

    Raises:
        AssertionError: nothing was raised, another type was raised, or the message does not
            name the argument.
    """
    names = [argument] if isinstance(argument, str) else list(argument)
    try:
        fn(*args, **kwargs)
    except exc as err:
        message = str(err)
        if not any(
            re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", message) for n in names
        ):
            raise AssertionError(
                f"{getattr(fn, '__qualname__', fn)} raised {type(err).__name__} without naming "
                f"{' / '.join(map(repr, names))}: {message!r}"
            ) from err
        return err
    except Exception as err:  # the wrong kind of error: usually a deep torch error
        raise AssertionError(
            f"{getattr(fn, '__qualname__', fn)} raised {type(err).__name__} (expected "
            f"{exc}) naming {names}: {err}"
        ) from err
    raise AssertionError(
        f"{getattr(fn, '__qualname__', fn)} accepted a bad {' / '.join(names)} silently"
    )


def _shape(rank: int, max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    return st.tuples(*[st.integers(1, max_side) for _ in range(rank)])


def bad_dtype_tensors(
    shape: Sequence[int], dtypes: Sequence[torch.dtype] = BAD_DTYPES
) -> st.SearchStrategy[torch.Tensor]:
    """Tensors of the right ``shape`` and a wrong dtype (integer, bool, complex)."""

    def make(dtype: torch.dtype) -> torch.Tensor:
        if dtype.is_complex:
            return torch.ones(*shape, dtype=dtype)
        return torch.ones(*shape).to(dtype)

    return st.sampled_from(list(dtypes)).map(make)


def nonfinite_tensors(
    shape: Sequence[int], dtype: torch.dtype = torch.float32
) -> st.SearchStrategy[torch.Tensor]:
    """Tensors of the right ``shape`` holding a NaN or ±inf at some position."""
    n = 1
    for s in shape:
        n *= s

    def make(args: tuple[int, float]) -> torch.Tensor:
        index, bad = args
        x = torch.zeros(n, dtype=dtype)
        x[index % n] = bad
        return x.reshape(*shape)

    return st.tuples(
        st.integers(0, max(n - 1, 0)), st.sampled_from([float("nan"), float("inf"), -float("inf")])
    ).map(make)


def wrong_rank_tensors(
    good_rank: int, dtype: torch.dtype = torch.float32, max_rank: int = 5
) -> st.SearchStrategy[torch.Tensor]:
    """Float tensors whose number of dimensions is not ``good_rank`` (0-d to ``max_rank``)."""
    ranks = [r for r in range(max_rank + 1) if r != good_rank]
    return st.sampled_from(ranks).flatmap(_shape).map(lambda s: torch.zeros(s, dtype=dtype))


def unknown_names(known: Sequence[str]) -> st.SearchStrategy[str]:
    """Option strings that are not in ``known`` (typos, case changes, empty)."""
    known_set = set(known)
    typos = [k.upper() for k in known] + [k + "x" for k in known] + ["", " ", "none?"]
    return st.sampled_from([t for t in typos if t not in known_set] or ["<unknown>"])


def out_of_domain(domain: Any, scalar: type) -> list[Any]:
    """Values just outside a config field's declared domain (a ``nnatlas.core.config.Domain``).

    One value past each bound (an int field gets the nearest bad int), NaN and inf for a
    finite float field, and a non-choice when the domain lists choices.
    """
    bad: list[Any] = []
    if domain.ge is not None:
        bad.append(domain.ge - 1 if scalar is int else domain.ge - max(1e-6, abs(domain.ge) * 1e-3))
    if domain.gt is not None:
        bad.append(domain.gt if scalar is float else math.floor(domain.gt))
    if domain.le is not None:
        bad.append(domain.le + 1 if scalar is int else domain.le + max(1e-6, abs(domain.le) * 1e-3))
    if domain.lt is not None:
        bad.append(domain.lt if scalar is float else math.ceil(domain.lt))
    if scalar is float and domain.finite:
        bad += [math.nan, math.inf]
    if domain.choices is not None:
        bad.append("__not_a_choice__" if scalar is str else -123456789)
    return bad
