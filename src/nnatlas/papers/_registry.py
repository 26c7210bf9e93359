"""The paper registry: every module in ``nnatlas.papers`` that defines ``PAPER``, plus plugins.

Public through :mod:`nnatlas.papers` (``from nnatlas.papers import get_paper``). It lives here,
not in ``core``, because discovering papers means importing the paper modules, which stand on
every family; ``core`` stays below all of them.

Third-party packages add papers through the ``nnatlas.papers`` entry-point group; each entry
point names a module that defines ``PAPER`` (or the :class:`~nnatlas.core.claims.Paper` itself).
Paper modules are imported on first use, so ``import nnatlas`` stays cheap.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import importlib
import importlib.metadata
import logging
import pkgutil
from functools import cache

from nnatlas.core.claims import Claim, Paper
from nnatlas.core.errors import UnknownNameError

__all__ = [
    "ENTRY_POINT_GROUP",
    "all_papers",
    "get_paper",
    "register_paper",
    "resolve",
    "select_claims",
    "unregister_paper",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "nnatlas.papers"


def _paper_from(obj: object, origin: str) -> Paper:
    paper = getattr(obj, "PAPER", obj)
    if not isinstance(paper, Paper):
        raise TypeError(f"{origin} does not define a nnatlas Paper (PAPER = Paper(...))")
    return dataclasses.replace(paper, module=getattr(obj, "__name__", origin))


@cache
def _registry() -> dict[str, Paper]:
    import nnatlas.papers as pkg  # the package this module belongs to

    papers: dict[str, Paper] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        if hasattr(module, "PAPER"):
            paper = _paper_from(module, module.__name__)
            papers[paper.key] = paper
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            paper = _paper_from(ep.load(), ep.value)
        except Exception as exc:  # a broken plugin must not take the CLI down
            log.warning("skipping nnatlas plugin %s: %s", ep.value, exc)
            continue
        if paper.key in papers:
            log.warning(
                "plugin %s redefines paper %r; keeping the built-in one", ep.value, paper.key
            )
            continue
        papers[paper.key] = paper
    return dict(sorted(papers.items()))


def all_papers() -> list[Paper]:
    """Every registered paper, sorted by key."""
    return list(_registry().values())


def get_paper(key: str) -> Paper:
    """The paper with this key, or :class:`UnknownNameError` listing the valid keys."""
    try:
        return _registry()[key]
    except KeyError:
        raise UnknownNameError("paper", key, list(_registry())) from None


def select_claims(pattern: str | None = None) -> list[tuple[Paper, Claim]]:
    """Claims selected by a paper key, ``paper/claim``, or a wildcard over either.

    ``None`` selects everything. A pattern that matches nothing raises
    :class:`UnknownNameError` naming the valid paper and claim names.
    """
    everything = [(p, c) for p in all_papers() for c in p.claims]
    if pattern is None:
        return everything
    selected = [
        (p, c)
        for p, c in everything
        if fnmatch.fnmatchcase(p.key, pattern) or fnmatch.fnmatchcase(f"{p.key}/{c.key}", pattern)
    ]
    if not selected:
        names = [p.key for p in all_papers()] + [f"{p.key}/{c.key}" for p, c in everything]
        raise UnknownNameError("paper or claim", pattern, names)
    return selected


def register_paper(paper: Paper, *, replace: bool = False) -> Paper:
    """Add a paper defined outside ``nnatlas.papers`` (a notebook, a test, a user package).

    Worker processes find it again through ``paper.module``: name the importable module that
    defines ``PAPER`` there if the paper should run under a process pool or Ray.
    """
    registry = _registry()
    if paper.key in registry and not replace:
        raise ValueError(f"paper {paper.key!r} is already registered (pass replace=True)")
    registry[paper.key] = paper
    return paper


def unregister_paper(key: str) -> Paper | None:
    """Remove a paper added by :func:`register_paper` (e.g. at the end of a test); returns it."""
    return _registry().pop(key, None)


def resolve(paper_key: str, claim_key: str, module: str = "") -> tuple[Paper, Claim]:
    """Look up one claim by its paper and claim keys (used by executors in worker processes).

    If the paper is not registered in this process and ``module`` names the module that
    defines it, that module is imported and its ``PAPER`` registered first.
    """
    if paper_key not in _registry() and module:
        register_paper(_paper_from(importlib.import_module(module), module))
    paper = get_paper(paper_key)
    return paper, paper.claim(claim_key)
