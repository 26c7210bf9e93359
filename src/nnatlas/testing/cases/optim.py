"""Conformance cases of ``nnatlas.optim``.

Transitional: the family still registers its cases when imported; they move here.
"""

import nnatlas.optim  # noqa: F401
