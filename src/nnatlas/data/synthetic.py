"""Seeded synthetic classification tasks in pure torch: two moons, spirals, Gaussian mixtures.

Every generator draws from its own ``torch.Generator`` seeded with ``seed`` (the global RNG is
never touched), gives the classes sizes that differ by at most one, returns samples in
shuffled order, and computes in float64 before casting to ``dtype``. Points are i.i.d. within a
class (positions along a curve are drawn at random, not on a grid), so a train/test split of
one draw is a split of i.i.d. samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from nnatlas.core.errors import UnknownNameError
from nnatlas.data._split import (
    DataSplit,
    check_int,
    check_nonnegative,
    check_seed,
    derive_seed,
    split_from_count,
)

__all__ = [
    "GENERATOR_NAMES",
    "gaussian_mixture",
    "make_split",
    "mixture_means",
    "spirals",
    "two_moons",
]

_SPLIT_SALT = 0x5EED_5B17  # makes the split's stream independent of the data's


def _class_labels(n: int, num_classes: int) -> torch.Tensor:
    """``(n,)`` int64 labels, classes in blocks whose sizes differ by at most one."""
    counts = [n // num_classes + (1 if k < n % num_classes else 0) for k in range(num_classes)]
    return torch.repeat_interleave(torch.arange(num_classes), torch.tensor(counts))


def _finish(
    x: torch.Tensor,
    y: torch.Tensor,
    generator: torch.Generator,
    dtype: torch.dtype,
    device: torch.device | str | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point dtype; got {dtype}")
    order = torch.rand(x.shape[0], generator=generator, dtype=torch.float64).argsort(stable=True)
    return x[order].to(device=device, dtype=dtype), y[order].to(device=device)


def two_moons(
    n: int,
    *,
    noise: float = 0.1,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaving half circles (as scikit-learn's ``make_moons``), plus Gaussian noise.

    Class 0 lies on the upper unit half circle centred at ``(0, 0)``; class 1 on the lower one
    centred at ``(1, 0.5)``. No straight line separates them, a nearest-neighbour rule does.

    Args:
        n: number of samples (at least 2).
        noise: standard deviation of the isotropic Gaussian noise added to each point.
        seed: seed of the local generator.
        dtype: floating-point dtype of ``x``.
        device: device of the outputs.

    Returns:
        ``(x, y)``: points ``(n, 2)`` and int64 labels ``(n,)`` in ``{0, 1}``.

    Raises:
        ValueError: if ``n < 2`` or ``noise < 0``.
    """
    n = check_int("n", n, 2, "one sample per class at least")
    noise = check_nonnegative("noise", noise)
    generator = torch.Generator().manual_seed(check_seed(seed))
    y = _class_labels(n, 2)
    angle = math.pi * torch.rand(n, generator=generator, dtype=torch.float64)
    upper = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    lower = torch.stack([1.0 - torch.cos(angle), 0.5 - torch.sin(angle)], dim=1)
    x = torch.where((y == 0).unsqueeze(1), upper, lower)
    x = x + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return _finish(x, y, generator, dtype, device)


def spirals(
    n: int,
    *,
    num_classes: int = 2,
    noise: float = 0.05,
    turns: float = 1.5,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Interleaved Archimedean spiral arms in the plane, one arm per class.

    A point of class ``k`` at radius ``r`` in ``[0, 1]`` sits at angle
    ``2 pi (turns * r + k / num_classes)``; radii are ``sqrt(u)`` for uniform ``u``, which
    spreads points roughly evenly along the arm (few near the centre, where arms meet).
    Neighbouring arms are ``1 / (turns * num_classes)`` apart radially.

    Args:
        n: number of samples (at least ``num_classes``).
        num_classes: number of arms.
        noise: standard deviation of the isotropic Gaussian noise added to each point.
        turns: number of full turns of each arm between radius 0 and 1 (positive).
        seed: seed of the local generator.
        dtype: floating-point dtype of ``x``.
        device: device of the outputs.

    Returns:
        ``(x, y)``: points ``(n, 2)`` and int64 labels ``(n,)`` in ``[0, num_classes)``.

    Raises:
        ValueError: if ``num_classes < 1``, ``n < num_classes``, ``noise < 0`` or ``turns <= 0``.
    """
    num_classes = check_int("num_classes", num_classes, 1)
    n = check_int("n", n, num_classes, "one sample per class at least")
    noise = check_nonnegative("noise", noise)
    if check_nonnegative("turns", turns) == 0:
        raise ValueError(f"turns must be positive; got {turns!r}")
    generator = torch.Generator().manual_seed(check_seed(seed))
    y = _class_labels(n, num_classes)
    radius = torch.rand(n, generator=generator, dtype=torch.float64).sqrt()
    angle = 2 * math.pi * (turns * radius + y.double() / num_classes)
    x = radius.unsqueeze(1) * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    x = x + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return _finish(x, y, generator, dtype, device)


def mixture_means(
    num_classes: int, dim: int, separation: float, *, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """Class means of :func:`gaussian_mixture`, centred at the origin.

    * ``dim >= num_classes - 1``: vertices of a regular simplex, every pair exactly
      ``separation`` apart (in the first ``num_classes - 1`` coordinates).
    * ``2 <= dim < num_classes - 1``: evenly spaced on a circle in the first two coordinates,
      neighbours ``separation`` apart (others farther).
    * ``dim == 1``: on a line, neighbours ``separation`` apart.

    In every case the smallest pairwise distance is ``separation``.

    Args:
        num_classes: number of means (at least 1).
        dim: ambient dimension (at least 1).
        separation: smallest distance between two means (non-negative).
        dtype: floating-point dtype of the result.

    Returns:
        Means, ``(num_classes, dim)``.

    Raises:
        ValueError: on ``num_classes < 1``, ``dim < 1`` or ``separation < 0``.
    """
    k = check_int("num_classes", num_classes, 1)
    dim = check_int("dim", dim, 1)
    separation = check_nonnegative("separation", separation)
    means = torch.zeros(k, dim, dtype=torch.float64)
    if k == 1:
        return means.to(dtype)
    if dim >= k - 1:
        # Helmert basis: rows are orthonormal and orthogonal to (1, ..., 1), so the columns of
        # this (k-1, k) matrix are the centred standard basis vectors, sqrt(2) apart pairwise.
        helmert = torch.zeros(k - 1, k, dtype=torch.float64)
        for row in range(1, k):
            helmert[row - 1, :row] = 1.0
            helmert[row - 1, row] = -float(row)
            helmert[row - 1] /= math.sqrt(row * (row + 1))
        means[:, : k - 1] = helmert.T * (separation / math.sqrt(2.0))
    elif dim >= 2:
        radius = separation / (2.0 * math.sin(math.pi / k))
        angle = 2 * math.pi * torch.arange(k, dtype=torch.float64) / k
        means[:, 0] = radius * torch.cos(angle)
        means[:, 1] = radius * torch.sin(angle)
    else:
        means[:, 0] = separation * (torch.arange(k, dtype=torch.float64) - (k - 1) / 2)
    return means.to(dtype)


def gaussian_mixture(
    n: int,
    *,
    num_classes: int = 3,
    dim: int = 2,
    separation: float = 4.0,
    std: float = 1.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Isotropic Gaussian clusters, one per class, around :func:`mixture_means`.

    Args:
        n: number of samples (at least ``num_classes``).
        num_classes: number of clusters.
        dim: dimension of the points.
        separation: smallest distance between two cluster means (see :func:`mixture_means`).
        std: standard deviation of each cluster along every axis.
        seed: seed of the local generator.
        dtype: floating-point dtype of ``x``.
        device: device of the outputs.

    Returns:
        ``(x, y)``: points ``(n, dim)`` and int64 labels ``(n,)`` in ``[0, num_classes)``.

    Raises:
        ValueError: if ``num_classes < 1``, ``dim < 1``, ``n < num_classes``,
            ``separation < 0`` or ``std < 0``.
    """
    means = mixture_means(num_classes, dim, separation)
    n = check_int("n", n, num_classes, "one sample per class at least")
    std = check_nonnegative("std", std)
    generator = torch.Generator().manual_seed(check_seed(seed))
    y = _class_labels(n, num_classes)
    x = means[y] + std * torch.randn(n, dim, generator=generator, dtype=torch.float64)
    return _finish(x, y, generator, dtype, device)


_GENERATORS: dict[str, Callable[..., tuple[torch.Tensor, torch.Tensor]]] = {
    "two_moons": two_moons,
    "spirals": spirals,
    "gaussian_mixture": gaussian_mixture,
}

#: Names accepted by :func:`make_split`.
GENERATOR_NAMES: tuple[str, ...] = tuple(_GENERATORS)


def make_split(
    name: str,
    n_train: int,
    n_test: int,
    *,
    seed: int = 0,
    standardize: bool = False,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
    **kwargs: Any,
) -> DataSplit:
    """Draw ``n_train + n_test`` samples of a synthetic task and split them, stratified.

    Args:
        name: one of :data:`GENERATOR_NAMES` (``"two_moons"``, ``"spirals"``,
            ``"gaussian_mixture"``).
        n_train: number of training samples (at least 1).
        n_test: number of test samples (at least 1).
        seed: seeds both the draw and the split (through independent streams).
        standardize: z-score features with train statistics (off by default: the generators'
            geometry, e.g. the mixture's separation, is usually what an experiment controls).
        dtype: floating-point dtype of the features.
        device: device of the tensors.
        **kwargs: generator arguments (``noise``, ``num_classes``, ``turns``, ``dim``,
            ``separation``, ``std``).

    Returns:
        A :class:`DataSplit` named ``name`` with exactly ``n_train`` and ``n_test`` samples.

    Raises:
        UnknownNameError: if ``name`` is not a generator.
        ValueError: on bad sizes or generator arguments.
    """
    try:
        generate = _GENERATORS[name]
    except KeyError:
        raise UnknownNameError("synthetic dataset", name, GENERATOR_NAMES) from None
    n_train = check_int("n_train", n_train, 1)
    n_test = check_int("n_test", n_test, 1)
    x, y = generate(n_train + n_test, seed=seed, dtype=torch.float64, **kwargs)
    return split_from_count(
        x,
        y,
        n_test,
        seed=derive_seed(seed, _SPLIT_SALT),
        name=name,
        num_classes=None,  # every class is drawn (n >= num_classes), so max(y) + 1 is right
        standardize=standardize,
        dtype=dtype,
        device=device,
    )
