"""Conformance cases of ``nnatlas.nn``.

Transitional: the family still registers its cases when imported; they move here.
"""

import nnatlas.nn  # noqa: F401
