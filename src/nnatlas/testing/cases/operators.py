"""Conformance cases of ``nnatlas.operators``.

Transitional: the family still registers its cases when imported; they move here.
"""

import nnatlas.operators  # noqa: F401
