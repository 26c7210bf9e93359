"""One module per paper: its record (title, arXiv id, BibTeX) and its claims.

The registry functions are re-exported here: :func:`all_papers`, :func:`get_paper`,
:func:`select_claims`, :func:`register_paper` (for papers defined outside this package) and
:func:`resolve`. Paper modules are imported on first use, so ``import nnatlas.papers`` is cheap.
"""

from nnatlas.papers._registry import (
    ENTRY_POINT_GROUP,
    all_papers,
    get_paper,
    register_paper,
    resolve,
    select_claims,
    unregister_paper,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "all_papers",
    "get_paper",
    "register_paper",
    "resolve",
    "select_claims",
    "unregister_paper",
]
