"""Argument checks shared by the kernels family: tensors that must be real, finite floats.

Every entry point of :mod:`nnatlas.kernels` that takes inputs or kernel matrices checks them
here first, so a wrong dtype, rank or a NaN fails at the entry point with a message naming the
argument (instead of a deep torch error or a silently NaN kernel).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["check_tensor"]


def check_tensor(
    name: str,
    value: object,
    *,
    ndim: int | tuple[int, ...] | None = None,
    min_ndim: int = 0,
    nonempty: bool = False,
    finite: bool = True,
) -> Tensor:
    """``value`` must be a real floating tensor (and finite, of the given rank).

    Args:
        name: the argument's name, used in the messages.
        value: the argument.
        ndim: the allowed number(s) of dimensions; ``None`` allows any rank >= ``min_ndim``.
        min_ndim: the smallest allowed rank when ``ndim`` is ``None``.
        nonempty: require a non-empty first dimension.
        finite: refuse NaN and infinite entries.

    Returns:
        ``value`` unchanged.

    Raises:
        TypeError: not a tensor, or an integer, bool or complex dtype.
        ValueError: wrong rank, empty, or a non-finite entry.
    """
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(value).__name__}")
    if not value.dtype.is_floating_point:
        raise TypeError(f"{name} must be a real floating tensor; got dtype {value.dtype}")
    if ndim is not None:
        dims = (ndim,) if isinstance(ndim, int) else ndim
        if value.dim() not in dims:
            want = " or ".join(f"{d}-D" for d in dims)
            raise ValueError(f"{name} must be {want}; got shape {tuple(value.shape)}")
    elif value.dim() < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions; got a 0-D tensor")
    if nonempty and (value.dim() == 0 or value.shape[0] == 0):
        raise ValueError(f"{name} must be a non-empty batch; got shape {tuple(value.shape)}")
    if finite and not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} must be finite; got NaN or infinite entries")
    return value
