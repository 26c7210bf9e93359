"""Seeded N-way K-shot episodes over disjoint class splits.

The episodic protocol of few-shot text classification (as in RAML, arXiv 2309.04979, and its
predecessors): classes are split once into meta-train / validation / test sets that share no
class; an episode draws ``n_way`` classes of one split, ``k_shot`` support and ``n_query`` query
examples of each (without replacement, support and query disjoint), and relabels the drawn
classes ``0..n_way-1`` in the order drawn. RAML's code uses 5 queries per class; its class
splits are HuffPost 25/6/10 and Amazon 10/5/9.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int

__all__ = ["Episode", "EpisodeSampler", "class_split"]


def class_split(
    num_classes: int, sizes: Sequence[int], *, seed: int = 0
) -> tuple[tuple[int, ...], ...]:
    """Split ``range(num_classes)`` into disjoint class sets of the given sizes (seeded shuffle).

    Args:
        num_classes: number of classes.
        sizes: the size of each split (e.g. ``(15, 5, 10)``); their sum must be ``<= num_classes``.
        seed: shuffle seed.

    Returns:
        One sorted tuple of class ids per split.
    """
    check_int("num_classes", num_classes, low=1)
    if isinstance(sizes, str) or not isinstance(sizes, Sequence) or not sizes:
        raise TypeError(f"sizes must be a non-empty sequence of ints; got {sizes!r}")
    for i, s in enumerate(sizes):
        check_int(f"sizes[{i}]", s, low=1)
    if sum(sizes) > num_classes:
        raise ConfigError(
            f"sizes must sum to at most num_classes={num_classes}; got {tuple(sizes)}"
        )
    order = torch.randperm(num_classes, generator=torch.Generator().manual_seed(seed)).tolist()
    out, start = [], 0
    for s in sizes:
        out.append(tuple(sorted(order[start : start + s])))
        start += s
    return tuple(out)


@dataclass(frozen=True)
class Episode:
    """One N-way K-shot episode (indices into the dataset).

    Attributes:
        classes: ``(n_way,)`` the original class ids; episode label ``j`` is ``classes[j]``.
        support: ``(n_way * k_shot,)`` dataset indices, class-major.
        support_labels: ``(n_way * k_shot,)`` episode labels in ``0..n_way-1``.
        query: ``(n_way * n_query,)`` dataset indices, class-major.
        query_labels: ``(n_way * n_query,)`` episode labels.
    """

    classes: Tensor
    support: Tensor
    support_labels: Tensor
    query: Tensor
    query_labels: Tensor


class EpisodeSampler:
    """Draws seeded episodes from the classes of one split.

    Args:
        labels: ``(n,)`` int class label of every dataset example.
        classes: the class ids this sampler may draw (one split).
        n_way: classes per episode.
        k_shot: support examples per class.
        n_query: query examples per class.
        seed: the sampler's seed; the same seed gives the same sequence of episodes.

    Raises:
        ConfigError: a class of ``classes`` has fewer than ``k_shot + n_query`` examples, or
            ``n_way > len(classes)``.
    """

    def __init__(
        self,
        labels: Tensor,
        classes: Sequence[int],
        n_way: int,
        k_shot: int,
        n_query: int,
        *,
        seed: int = 0,
    ) -> None:
        if not isinstance(labels, Tensor) or labels.dim() != 1 or labels.is_floating_point():
            raise TypeError("labels must be a 1-D integer tensor of class ids")
        if isinstance(classes, str) or not isinstance(classes, Sequence) or not classes:
            raise TypeError(f"classes must be a non-empty sequence of class ids; got {classes!r}")
        if len(set(classes)) != len(classes):
            raise ConfigError(f"classes must be distinct; got {tuple(classes)}")
        self.n_way = check_int("n_way", n_way, low=1, high=len(classes), high_name="len(classes)")
        self.k_shot = check_int("k_shot", k_shot, low=1)
        self.n_query = check_int("n_query", n_query, low=1)
        self.classes = tuple(int(c) for c in classes)
        self._members: list[Tensor] = []
        need = k_shot + n_query
        for c in self.classes:
            idx = torch.nonzero(labels == c).flatten()
            if idx.numel() < need:
                raise ConfigError(
                    f"classes: class {c} has {idx.numel()} examples; k_shot + n_query = {need} needed"
                )
            self._members.append(idx)
        self._gen = torch.Generator().manual_seed(seed)

    def sample(self) -> Episode:
        """The next episode."""
        g = self._gen
        pick = torch.randperm(len(self.classes), generator=g)[: self.n_way].tolist()
        sup, qry = [], []
        for j in pick:
            members = self._members[j]
            perm = members[torch.randperm(members.numel(), generator=g)]
            sup.append(perm[: self.k_shot])
            qry.append(perm[self.k_shot : self.k_shot + self.n_query])
        ways = torch.arange(self.n_way)
        return Episode(
            classes=torch.tensor([self.classes[j] for j in pick]),
            support=torch.cat(sup),
            support_labels=ways.repeat_interleave(self.k_shot),
            query=torch.cat(qry),
            query_labels=ways.repeat_interleave(self.n_query),
        )

    def __iter__(self):
        while True:
            yield self.sample()


def check_support_labels(labels: Tensor, support: Tensor, n_way: int) -> None:
    """Refuse support labels that are not integer class ids ``0..n_way-1``, one per row.

    Raises:
        ConfigError: naming ``labels``, what was expected and what was given.
    """
    if (
        not isinstance(labels, Tensor)
        or labels.is_floating_point()
        or labels.shape != support.shape[:1]
    ):
        raise ConfigError(f"labels must be an integer tensor of shape ({support.shape[0]},)")
    if bool(((labels < 0) | (labels >= n_way)).any()):
        raise ConfigError(f"labels must lie in 0..n_way-1 = 0..{n_way - 1}")
