"""Prototypical networks (Snell, Swersky, Zemel, "Prototypical Networks for Few-shot Learning",
arXiv 1703.05175): a class is the mean of its support embeddings, a query is scored by the
negative squared Euclidean distance to each prototype. RAML (arXiv 2309.04979) builds its class
prototypes the same way and is compared against ProtoNet on the same encoder.
"""

from __future__ import annotations

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_tensor
from nnatlas.meta.episodes import check_support_labels

__all__ = ["class_prototypes", "protonet_logits"]


def class_prototypes(support: Tensor, labels: Tensor, n_way: int) -> Tensor:
    """Mean support embedding of each class.

    Args:
        support: ``(n_support, dim)`` embeddings.
        labels: ``(n_support,)`` int labels in ``0..n_way-1``, every class present.
        n_way: number of classes.

    Returns:
        ``(n_way, dim)``.
    """
    check_tensor("support", support, ndim=2, nonempty=True)
    check_int("n_way", n_way, low=1)
    check_support_labels(labels, support, n_way)
    counts = torch.bincount(labels, minlength=n_way)
    if bool((counts == 0).any()):
        raise ConfigError(f"labels must contain every class 0..{n_way - 1} at least once")
    sums = torch.zeros(n_way, support.shape[1], dtype=support.dtype, device=support.device)
    sums.index_add_(0, labels.to(support.device), support)
    return sums / counts.to(support)[:, None]


def protonet_logits(query: Tensor, prototypes: Tensor) -> Tensor:
    """``-||q - p_n||^2`` for every query and prototype.

    Args:
        query: ``(n_query, dim)``.
        prototypes: ``(n_way, dim)``.

    Returns:
        ``(n_query, n_way)`` logits.
    """
    check_tensor("query", query, ndim=2, nonempty=True)
    check_tensor("prototypes", prototypes, ndim=2, nonempty=True)
    if query.shape[1] != prototypes.shape[1]:
        raise ConfigError(
            f"query and prototypes must have the same width; got {query.shape[1]} and "
            f"{prototypes.shape[1]}"
        )
    return -torch.cdist(query, prototypes).pow(2)
