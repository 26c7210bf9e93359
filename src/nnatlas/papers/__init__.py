"""One module per paper: its record (title, arXiv, BibTeX) and its claims.

Modules here are discovered by :mod:`nnatlas.core.registry`; each defines ``PAPER``. A paper
module builds on the family packages and never imports another paper module.
"""
