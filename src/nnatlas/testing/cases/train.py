"""Conformance cases of ``nnatlas.train``.

Transitional: the family still registers its cases when imported; they move here.
"""

import nnatlas.train  # noqa: F401
