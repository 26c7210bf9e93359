"""Input checks shared by the operator layers, losses and helpers (errors name the argument)."""

from __future__ import annotations

from torch import Tensor

from nnatlas.core.validation import check_tensor

__all__ = ["check_real_tensor"]


def check_real_tensor(name: str, value: object, owner: str = "") -> Tensor:
    """Return ``value`` if it is a real floating tensor; otherwise raise ``TypeError``.

    Integer, bool and complex tensors are refused up front: inside a layer they would fail
    with a deep torch error (or, for the FFT layers, silently change meaning). Values are not
    read (no device sync): NaN inputs give NaN outputs.

    Args:
        name: the argument's name, used in the message.
        value: what the caller passed.
        owner: the layer or function, prefixed to the message (e.g. ``"FNO2d"``).
    """
    return check_tensor(name, value, finite=False, owner=owner)
