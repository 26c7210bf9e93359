"""Argument checks of the kernels family: tensors that must be real, finite floats.

Every entry point of :mod:`nnatlas.kernels` that takes inputs or kernel matrices checks them
with :func:`nnatlas.core.validation.check_tensor` first, so a wrong dtype, rank or a NaN fails
at the entry point with a message naming the argument (instead of a deep torch error or a
silently NaN kernel). Re-exported here for the family's modules.
"""

from __future__ import annotations

from nnatlas.core.validation import check_tensor

__all__ = ["check_tensor"]
