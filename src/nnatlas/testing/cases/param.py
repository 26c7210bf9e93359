"""Conformance cases of ``nnatlas.param``.

Transitional: the family still registers its cases when imported; they move here.
"""

import nnatlas.param  # noqa: F401
