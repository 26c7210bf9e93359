"""Input checks shared by the layers of this family, so a bad forward fails at the layer.

Without them a wrong dtype or shape surfaces as ``RuntimeError: mat1 and mat2 must have the
same dtype`` from deep inside torch, naming neither the layer nor the argument. Only metadata
is inspected (type, dtype, shape), never values: no device synchronisation, and the checks see
the per-example shape under ``torch.func.vmap`` as the layer's code does.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError

__all__ = ["check_factory_dtype", "check_input", "describe", "module_dtype"]


def check_factory_dtype(dtype: Any) -> None:
    """A layer's ``dtype=`` argument: ``None`` or a floating ``torch.dtype`` (parameters must be
    able to require gradients), else a ``TypeError`` naming ``dtype``."""
    if dtype is not None and (not isinstance(dtype, torch.dtype) or not dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating-point torch.dtype or None; got {dtype!r}")


def describe(value: Any) -> str:
    """A one-line description of a bad argument for an error message (no tensor values)."""
    if isinstance(value, Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    text = repr(value).replace("\n", " ")
    return f"{type(value).__name__} {text[:60]}"


def module_dtype(module: nn.Module) -> torch.dtype | None:
    """The dtype of ``module``'s first floating parameter or buffer (``None``: it has none)."""
    for t in (*module.parameters(), *module.buffers()):
        if t.is_floating_point():
            return t.dtype
    return None


def check_input(
    owner: str,
    x: Any,
    *,
    name: str = "x",
    dtype: torch.dtype | None = None,
    ndim: int | None = None,
    min_ndim: int = 0,
    last: int | None = None,
    nonempty: bool = False,
    expected: str = "",
) -> Tensor:
    """Check a forward argument's type, dtype and shape; return it unchanged.

    Args:
        owner: the layer's name, for the message (e.g. ``"MLP"``).
        x: the argument.
        name: the argument's name, for the message.
        dtype: the dtype it must have (usually the layer's parameters'); ``None``: any
            floating dtype.
        ndim: the exact number of dimensions it must have, or ``None``.
        min_ndim: the fewest dimensions it may have.
        last: the size its last dimension must have, or ``None``.
        nonempty: refuse a tensor with no elements (for layers that need batch statistics).
        expected: the shape to show in the message, e.g. ``"(batch, 6)"``.

    Raises:
        TypeError: ``x`` is not a tensor, or has the wrong dtype (integer, bool, complex, or a
            floating dtype other than the layer's).
        ConfigError: the shape is wrong, or ``x`` is empty where that is refused.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{owner}: {name} must be a torch.Tensor; got {type(x).__name__}")
    if dtype is None:
        if not x.is_floating_point():
            raise TypeError(f"{owner}: {name} must be a floating-point tensor; got dtype {x.dtype}")
    elif x.dtype != dtype:
        raise TypeError(
            f"{owner}: {name} must have the layer's dtype {dtype}; got {x.dtype} (convert "
            f"the input or the layer with .to(dtype))"
        )
    if (
        (ndim is not None and x.ndim != ndim)
        or x.ndim < min_ndim
        or (last is not None and (x.ndim == 0 or x.shape[-1] != last))
    ):
        shape = expected or _describe(ndim, min_ndim, last)
        raise ConfigError(f"{owner} expects {name} of shape {shape}; got {tuple(x.shape)}")
    if nonempty and x.numel() == 0:
        raise ConfigError(f"{owner}: {name} is empty (shape {tuple(x.shape)}); it needs data")
    return x


def _describe(ndim: int | None, min_ndim: int, last: int | None) -> str:
    tail = "features" if last is None else str(last)
    if ndim is not None:
        return "(" + ", ".join(["*"] * (ndim - 1) + [tail]) + ")"
    return f"(..., {tail}) with at least {max(min_ndim, 1)} dimension(s)"
