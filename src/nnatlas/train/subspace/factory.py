"""Projections by name: :data:`PROJECTION_KINDS` and :func:`make_projection`.

Paper: Li, Farkhoor, Liu, Yosinski, "Measuring the Intrinsic Dimension of Objective
Landscapes", ICLR 2018, arXiv:1804.08838. See :mod:`nnatlas.train.subspace` for the method.
"""

from __future__ import annotations

from typing import Any

from nnatlas.core.errors import ConfigError
from nnatlas.train.subspace.dense import DenseProjection
from nnatlas.train.subspace.fastfood import FastfoodProjection
from nnatlas.train.subspace.identity import IdentityProjection
from nnatlas.train.subspace.projection import Projection
from nnatlas.train.subspace.sparse import SparseProjection

__all__ = ["PROJECTION_KINDS", "make_projection"]


PROJECTION_KINDS: tuple[str, ...] = ("dense", "fastfood", "identity", "sparse")


def make_projection(
    kind: str,
    full_dim: int,
    subspace_dim: int,
    *,
    seed: int = 0,
    **kwargs: Any,
) -> Projection:
    """Build a projection by name.

    Args:
        kind: one of ``"dense"``, ``"sparse"``, ``"fastfood"``, ``"identity"``.
        full_dim: D.
        subspace_dim: d (must equal D for ``"identity"``).
        seed: seed of the projection's local generator.
        **kwargs: passed to the class (``device``, ``dtype``, ``density``, ``block``, ...).

    Returns:
        The projection module.
    """
    if kind == "dense":
        return DenseProjection(full_dim, subspace_dim, seed=seed, **kwargs)
    if kind == "sparse":
        return SparseProjection(full_dim, subspace_dim, seed=seed, **kwargs)
    if kind == "fastfood":
        return FastfoodProjection(full_dim, subspace_dim, seed=seed, **kwargs)
    if kind == "identity":
        if subspace_dim != full_dim:
            raise ConfigError(
                f"the identity projection needs subspace_dim == full_dim={full_dim}; "
                f"got subspace_dim={subspace_dim}"
            )
        return IdentityProjection(full_dim, seed=seed, **kwargs)
    raise ConfigError(f"kind must be one of {list(PROJECTION_KINDS)}; got {kind!r}")
