"""Small classification sets bundled with scikit-learn, as seeded, stratified :class:`DataSplit` s.

scikit-learn ships these files inside its wheel, so they load offline. It is the optional
extra ``data`` (``pip install 'nnatlas[data]'``) and is imported only when a loader runs.
The train/test split is nnatlas's own (:func:`nnatlas.data.stratified_split`), so a seed
selects the same samples whatever scikit-learn version is installed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from nnatlas.core.errors import UnknownNameError
from nnatlas.core.optional import require
from nnatlas.data._split import (
    DataSplit,
    check_float_dtype,
    check_fraction,
    check_seed,
    split_dataset,
)

__all__ = [
    "DATASET_NAMES",
    "load_breast_cancer",
    "load_dataset",
    "load_digits",
    "load_iris",
    "load_wine",
]


@functools.cache
def _raw(name: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """``(x, y)`` of a scikit-learn bundled set, parsed once per process (read-only arrays)."""
    datasets = require("sklearn.datasets", "data")
    x, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def _load(
    name: str,
    *,
    test_size: float,
    seed: int,
    standardize: bool,
    dtype: torch.dtype,
    device: torch.device | str | None,
    feature_shape: tuple[int, ...] | None = None,
) -> DataSplit:
    # Argument errors first: loading a set imports scikit-learn (seconds).
    check_fraction(test_size)
    check_seed(seed)
    check_float_dtype(dtype)
    x_np, y_np = _raw(name)
    x = torch.tensor(x_np)  # copies: the cached arrays stay untouched
    if feature_shape is not None:
        x = x.reshape(x.shape[0], *feature_shape)
    return split_dataset(
        x,
        torch.tensor(y_np),
        test_size=test_size,
        seed=seed,
        standardize=standardize,
        num_classes=int(y_np.max()) + 1,
        name=name,
        dtype=dtype,
        device=device,
    )


def load_digits(
    *,
    test_size: float = 0.2,
    seed: int = 0,
    standardize: bool = True,
    as_images: bool = False,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> DataSplit:
    """The UCI optical-digits set: 1797 handwritten digits, 8x8 pixels in ``[0, 16]``, 10 classes.

    Args:
        test_size: fraction of samples held out for testing, in ``(0, 1)``.
        seed: seed of the stratified split.
        standardize: z-score each pixel with train statistics (the always-blank border pixels
            are constant and stay 0).
        as_images: features ``(N, 1, 8, 8)`` for convolutional models instead of ``(N, 64)``.
        dtype: floating-point dtype of the features.
        device: device of the tensors.

    Returns:
        A :class:`DataSplit` with ``num_classes=10`` and ``feature_shape`` ``(64,)`` or
        ``(1, 8, 8)``.

    Raises:
        ValueError: if ``test_size`` is not in ``(0, 1)``.
        MissingExtraError: if scikit-learn is not installed.
    """
    return _load(
        "digits",
        test_size=test_size,
        seed=seed,
        standardize=standardize,
        dtype=dtype,
        device=device,
        feature_shape=(1, 8, 8) if as_images else None,
    )


def load_iris(
    *,
    test_size: float = 0.2,
    seed: int = 0,
    standardize: bool = True,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> DataSplit:
    """Fisher's iris: 150 flowers, 4 measurements, 3 classes of 50.

    Args and raises as in :func:`load_digits` (without ``as_images``).

    Returns:
        A :class:`DataSplit` with features ``(N, 4)`` and ``num_classes=3``.
    """
    return _load(
        "iris", test_size=test_size, seed=seed, standardize=standardize, dtype=dtype, device=device
    )


def load_wine(
    *,
    test_size: float = 0.2,
    seed: int = 0,
    standardize: bool = True,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> DataSplit:
    """UCI wine recognition: 178 wines, 13 chemical measurements, 3 cultivars (59/71/48).

    Args and raises as in :func:`load_digits` (without ``as_images``).

    Returns:
        A :class:`DataSplit` with features ``(N, 13)`` and ``num_classes=3``.
    """
    return _load(
        "wine", test_size=test_size, seed=seed, standardize=standardize, dtype=dtype, device=device
    )


def load_breast_cancer(
    *,
    test_size: float = 0.2,
    seed: int = 0,
    standardize: bool = True,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> DataSplit:
    """Wisconsin diagnostic breast cancer: 569 samples, 30 features; 0 = malignant, 1 = benign.

    Args and raises as in :func:`load_digits` (without ``as_images``).

    Returns:
        A :class:`DataSplit` with features ``(N, 30)`` and ``num_classes=2``.
    """
    return _load(
        "breast_cancer",
        test_size=test_size,
        seed=seed,
        standardize=standardize,
        dtype=dtype,
        device=device,
    )


_LOADERS: dict[str, Callable[..., DataSplit]] = {
    "digits": load_digits,
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
}

#: Names accepted by :func:`load_dataset`.
DATASET_NAMES: tuple[str, ...] = tuple(_LOADERS)


def load_dataset(name: str, **kwargs: Any) -> DataSplit:
    """Load a bundled dataset by name (one of :data:`DATASET_NAMES`).

    Args:
        name: ``"digits"``, ``"iris"``, ``"wine"`` or ``"breast_cancer"``.
        **kwargs: passed to the loader (``test_size``, ``seed``, ``standardize``, ``dtype``,
            ``device``; ``as_images`` for digits).

    Returns:
        The loader's :class:`DataSplit`.

    Raises:
        UnknownNameError: if ``name`` is not a bundled dataset. Synthetic tasks are built with
            :func:`nnatlas.data.make_split` instead.
    """
    try:
        loader = _LOADERS[name]
    except KeyError:
        raise UnknownNameError("dataset", name, DATASET_NAMES) from None
    return loader(**kwargs)
