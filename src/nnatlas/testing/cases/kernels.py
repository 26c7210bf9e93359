"""Conformance cases of ``nnatlas.kernels``.

Transitional: the family still registers its cases when imported; they move here.
"""

import nnatlas.kernels  # noqa: F401
