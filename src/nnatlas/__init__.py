"""nnatlas: neural-network research papers as tested PyTorch components.

Each paper's method is a reusable component in a family package (``nnatlas.train``,
``nnatlas.nn``, ``nnatlas.data``, ...), and each paper's headline claim is a runnable
reproduction (``nnatlas reproduce KEY``) whose verdict is computed from the run.

Importing ``nnatlas`` is cheap: family packages and paper modules load on first use.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__"]
