"""The train/test container and the one split helper every dataset in ``nnatlas.data`` uses.

The stratified splitter is written here rather than borrowed from scikit-learn so that a
given ``seed`` selects the same samples whatever scikit-learn version is installed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

__all__ = ["DataSplit", "split_dataset", "stratified_split"]

_MASK64 = (1 << 64) - 1


@dataclass(frozen=True, repr=False)
class DataSplit:
    """A classification dataset already divided into a train and a test part.

    Attributes:
        x_train: features, ``(num_train, *feature_shape)``, floating point.
        y_train: labels in ``[0, num_classes)``, ``(num_train,)``, int64.
        x_test: features, ``(num_test, *feature_shape)``, same dtype and device as ``x_train``.
        y_test: labels, ``(num_test,)``, int64.
        num_classes: number of classes (labels lie in ``[0, num_classes)``).
        name: dataset name, e.g. ``"digits"``.
        feature_shape: shape of one sample, e.g. ``(64,)`` or ``(1, 8, 8)``. Left at its
            default ``()``, it is taken from ``x_train`` (features are at least 2-D, so a real
            per-sample shape is never empty).

    Raises:
        ValueError: when shapes, dtypes, devices or label ranges disagree.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    name: str = ""
    feature_shape: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.feature_shape:
            object.__setattr__(self, "feature_shape", tuple(self.x_train.shape[1:]))
        else:
            object.__setattr__(self, "feature_shape", tuple(int(s) for s in self.feature_shape))
        for part, x, y in (
            ("train", self.x_train, self.y_train),
            ("test", self.x_test, self.y_test),
        ):
            if x.ndim < 2:
                raise ValueError(
                    f"x_{part} must be at least 2-D (samples, *features); got shape {tuple(x.shape)}"
                )
            if tuple(x.shape[1:]) != self.feature_shape:
                raise ValueError(
                    f"x_{part} must have per-sample shape feature_shape={self.feature_shape}; "
                    f"got {tuple(x.shape[1:])}"
                )
            if not x.is_floating_point():
                raise ValueError(f"x_{part} must be floating point; got dtype {x.dtype}")
            if y.dtype != torch.int64 or y.ndim != 1:
                raise ValueError(
                    f"y_{part} must be a 1-D int64 tensor; got dtype {y.dtype}, shape {tuple(y.shape)}"
                )
            if y.shape[0] != x.shape[0]:
                raise ValueError(
                    f"x_{part} and y_{part} must have the same number of samples; "
                    f"got {x.shape[0]} and {y.shape[0]}"
                )
        if self.x_train.dtype != self.x_test.dtype or self.x_train.device != self.x_test.device:
            raise ValueError(
                "x_train and x_test must share dtype and device; got "
                f"{self.x_train.dtype}/{self.x_train.device} and "
                f"{self.x_test.dtype}/{self.x_test.device}"
            )
        if not isinstance(self.num_classes, int) or self.num_classes < 1:
            raise ValueError(f"num_classes must be an integer >= 1; got {self.num_classes!r}")
        for part, y in (("train", self.y_train), ("test", self.y_test)):
            if y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.num_classes):
                raise ValueError(
                    f"y_{part} labels must lie in [0, num_classes={self.num_classes}); "
                    f"got range [{int(y.min())}, {int(y.max())}]"
                )

    @property
    def num_features(self) -> int:
        """Number of scalar features per sample (the product of ``feature_shape``)."""
        return math.prod(self.feature_shape)

    @property
    def num_train(self) -> int:
        """Number of training samples."""
        return int(self.x_train.shape[0])

    @property
    def num_test(self) -> int:
        """Number of test samples."""
        return int(self.x_test.shape[0])

    def to(
        self, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> DataSplit:
        """Return a copy with features moved to ``device`` and cast to ``dtype``.

        Labels move to ``device`` too but stay int64.

        Args:
            device: target device; ``None`` keeps the current one.
            dtype: floating-point dtype for the features; ``None`` keeps the current one.

        Raises:
            ValueError: if ``dtype`` is not a floating-point dtype.
        """
        if dtype is not None and not dtype.is_floating_point:
            raise ValueError(f"dtype must be a floating-point dtype; got {dtype}")
        return replace(
            self,
            x_train=self.x_train.to(device=device, dtype=dtype),
            y_train=self.y_train.to(device=device),
            x_test=self.x_test.to(device=device, dtype=dtype),
            y_test=self.y_test.to(device=device),
        )

    def __repr__(self) -> str:
        return (
            f"DataSplit(name={self.name!r}, num_train={self.num_train}, num_test={self.num_test}, "
            f"feature_shape={self.feature_shape}, num_classes={self.num_classes}, "
            f"dtype={self.x_train.dtype}, device={self.x_train.device})"
        )


def check_int(name: str, value: object, minimum: int, why: str = "") -> int:
    """Return ``value`` if it is an ``int >= minimum``, else raise ``ValueError`` saying so."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name} must be an integer >= {minimum}{reason}; got {value!r}")
    return int(value)


def check_nonnegative(name: str, value: float) -> float:
    """Return ``value`` as a float if it is finite and ``>= 0``, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"{name} must be a non-negative number; got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return float(value)


def check_seed(value: object, name: str = "seed") -> int:
    """Return ``value`` if it is an int (a generator seed); otherwise raise ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    return int(value)


def check_float_dtype(dtype: object, name: str = "dtype") -> torch.dtype:
    """Return ``dtype`` if it is a floating-point ``torch.dtype``; otherwise raise ``ValueError``.

    Casting generated fields to an integer, bool or complex dtype would truncate them or change
    their meaning silently.
    """
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"{name} must be a floating-point dtype; got {dtype!r}")
    return dtype


def derive_seed(seed: int, salt: int) -> int:
    """A seed for an independent stream, derived from ``seed`` (SplitMix64 finaliser).

    Used where one user seed feeds two generators (data, then split) that must not draw the
    same numbers: two ``torch.Generator`` objects seeded alike produce identical streams.
    """
    z = (seed * 0x9E3779B97F4A7C15 + salt) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (z ^ (z >> 31)) >> 1  # 63 bits: accepted by torch.Generator.manual_seed


def _permutation(n: int, generator: torch.Generator) -> torch.Tensor:
    # Sorting uniform float64 keys rather than calling torch.randperm: torch.rand's CPU stream
    # has been stable across releases, randperm's algorithm has changed before.
    return torch.rand(n, generator=generator, dtype=torch.float64).argsort(stable=True)


def check_fraction(test_size: object) -> float:
    """Return ``test_size`` if it is a number in the open interval (0, 1); else ``ValueError``."""
    if isinstance(test_size, bool) or not isinstance(test_size, int | float):
        raise ValueError(
            f"test_size must be a float in the open interval (0, 1); got {test_size!r}"
        )
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in the open interval (0, 1); got {test_size!r}")
    return float(test_size)


def _test_count(n: int, test_size: float) -> int:
    check_fraction(test_size)
    n_test = math.floor(n * test_size + 0.5)
    if not 1 <= n_test <= n - 1:
        raise ValueError(
            f"test_size={test_size!r} of {n} samples gives {n_test} test samples; "
            f"expected between 1 and {n - 1}"
        )
    return n_test


def _stratified_indices(
    y: torch.Tensor, n_test: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Split sample indices so that every class gives ``floor`` or ``ceil`` of its fair share.

    Class ``c`` with ``n_c`` samples puts ``n_c * n_test / n`` samples in the test part, rounded
    by the largest-remainder method (ties to the lower class label), so the per-class counts
    add up to exactly ``n_test`` and none is more than one sample off its ideal.
    """
    check_seed(seed)
    n = int(y.shape[0])
    classes, counts = torch.unique(y, sorted=True, return_counts=True)
    counts_list = [int(c) for c in counts]
    # Exact integer arithmetic: floor and remainder of n_c * n_test / n.
    base = [c * n_test // n for c in counts_list]
    remainder = [c * n_test % n for c in counts_list]
    short = n_test - sum(base)
    order = sorted(range(len(counts_list)), key=lambda i: (-remainder[i], i))
    for i in order[:short]:
        base[i] += 1

    generator = torch.Generator().manual_seed(seed)
    train_parts, test_parts = [], []
    for label, k in zip(classes.tolist(), base, strict=True):
        members = torch.nonzero(y == label).flatten()
        members = members[_permutation(members.numel(), generator)]
        test_parts.append(members[:k])
        train_parts.append(members[k:])
    train = torch.cat(train_parts)
    test = torch.cat(test_parts)
    # Shuffle across classes so that mini-batches taken in order are not class-sorted.
    train = train[_permutation(train.numel(), generator)]
    test = test[_permutation(test.numel(), generator)]
    return train, test


def stratified_split(
    y: torch.Tensor | npt.NDArray[Any], test_size: float = 0.2, *, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded, stratified train/test split of sample indices.

    The test part holds ``round(n * test_size)`` samples; each class contributes its share
    rounded down or up (never more than one sample off ``n_c * n_test / n``). The result
    depends only on ``y``, ``test_size`` and ``seed`` (not on scikit-learn or global RNG state).

    Args:
        y: integer class labels, ``(n,)``.
        test_size: fraction of samples for the test part, in ``(0, 1)``.
        seed: seed of the local generator that shuffles each class.

    Returns:
        ``(train_idx, test_idx)``: disjoint int64 index tensors, ``(n - n_test,)`` and
        ``(n_test,)``, whose union is ``range(n)``, each in shuffled order.

    Raises:
        ValueError: if ``test_size`` is not in ``(0, 1)`` or leaves either part empty.
    """
    labels = torch.as_tensor(y).cpu()
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-D (n,); got shape {tuple(labels.shape)}")
    if labels.is_floating_point() or labels.is_complex():
        raise ValueError(f"y must hold integer class labels; got dtype {labels.dtype}")
    n_test = _test_count(int(labels.shape[0]), test_size)
    return _stratified_indices(labels.long(), n_test, seed)


def _standardize(x_train: torch.Tensor, x_test: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Z-score each feature with the train part's mean and (population) std.

    Statistics are computed in float64 on the flattened features; a feature that is constant
    on the train part keeps std 1 (it is only centred), so no division blows up.
    """
    train64 = x_train.reshape(x_train.shape[0], -1).double()
    mean = train64.mean(dim=0)
    std = train64.std(dim=0, correction=0)
    # Relative threshold: a constant column's std is rounding noise, not exactly zero.
    constant = std <= 1e3 * torch.finfo(torch.float64).eps * mean.abs().clamp_min(1.0)
    std = torch.where(constant, torch.ones_like(std), std)

    def apply(x: torch.Tensor) -> torch.Tensor:
        flat = (x.reshape(x.shape[0], -1).double() - mean) / std
        return flat.reshape(x.shape)

    return apply(x_train), apply(x_test)


def _as_features_and_labels(x: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, y)`` as CPU tensors, x (n, *features) and y (n,) int64; else ``ValueError``."""
    x = torch.as_tensor(x).cpu()
    labels = torch.as_tensor(y).cpu()
    if labels.is_floating_point() or labels.is_complex():
        raise ValueError(f"y must hold integer class labels; got dtype {labels.dtype}")
    if x.ndim < 2 or labels.ndim != 1 or x.shape[0] != labels.shape[0]:
        raise ValueError(
            "x must be (n, *features) and y (n,) with the same n; "
            f"got shapes {tuple(x.shape)} and {tuple(labels.shape)}"
        )
    return x, labels.long()


def split_from_count(
    x: torch.Tensor,
    y: torch.Tensor,
    n_test: int,
    *,
    seed: int,
    name: str,
    num_classes: int | None,
    standardize: bool,
    dtype: torch.dtype,
    device: torch.device | str | None,
) -> DataSplit:
    """:func:`split_dataset` with an exact test-sample count (what the generators need)."""
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point dtype; got {dtype}")
    x, labels = _as_features_and_labels(x, y)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.numel() else 1
    train_idx, test_idx = _stratified_indices(labels, n_test, seed)
    x_train, x_test = x[train_idx], x[test_idx]
    if standardize:
        x_train, x_test = _standardize(x_train, x_test)
    return DataSplit(
        x_train=x_train.to(device=device, dtype=dtype),
        y_train=labels[train_idx].to(device=device),
        x_test=x_test.to(device=device, dtype=dtype),
        y_test=labels[test_idx].to(device=device),
        num_classes=num_classes,
        name=name,
        feature_shape=tuple(x.shape[1:]),
    )


def split_dataset(
    x: torch.Tensor | npt.NDArray[Any],
    y: torch.Tensor | npt.NDArray[Any],
    *,
    test_size: float = 0.2,
    seed: int = 0,
    standardize: bool = False,
    num_classes: int | None = None,
    name: str = "",
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> DataSplit:
    """Divide ``(x, y)`` into a stratified, seeded :class:`DataSplit`.

    This is the single split routine behind every loader and generator in ``nnatlas.data``,
    and works on any user arrays too.

    Args:
        x: features, ``(n, *feature_shape)``.
        y: integer labels, ``(n,)``.
        test_size: fraction of samples for the test part, in ``(0, 1)``.
        seed: seed of the split (see :func:`stratified_split`).
        standardize: z-score each feature with statistics of the train part only
            (constant features are only centred).
        num_classes: number of classes; defaults to ``max(y) + 1``.
        name: dataset name stored in the split.
        dtype: floating-point dtype of the features.
        device: device of all four tensors.

    Returns:
        The :class:`DataSplit`.

    Raises:
        ValueError: on a bad ``test_size``, non-floating ``dtype`` or mismatched shapes.
    """
    x, labels = _as_features_and_labels(x, y)
    n = int(labels.shape[0])
    return split_from_count(
        x,
        labels,
        _test_count(n, test_size),
        seed=seed,
        name=name,
        num_classes=num_classes,
        standardize=standardize,
        dtype=dtype,
        device=device,
    )
