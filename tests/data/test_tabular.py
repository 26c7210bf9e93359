"""Bundled scikit-learn sets, the stratified splitter and the DataSplit container."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
import torch

from nnatlas.core.errors import MissingExtraError, UnknownNameError
from nnatlas.data import (
    DATASET_NAMES,
    DataSplit,
    load_breast_cancer,
    load_dataset,
    load_digits,
    load_iris,
    load_wine,
    split_dataset,
    stratified_split,
    tabular,
)

sklearn_datasets = pytest.importorskip("sklearn.datasets")

# name -> (loader, samples, features, classes)
SETS = {
    "digits": (load_digits, 1797, 64, 10),
    "iris": (load_iris, 150, 4, 3),
    "wine": (load_wine, 178, 13, 3),
    "breast_cancer": (load_breast_cancer, 569, 30, 2),
}


def _raw(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = getattr(sklearn_datasets, f"load_{name}")(return_X_y=True)
    return torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.int64)


@pytest.mark.parametrize("name", SETS)
def test_shapes_dtypes_and_sizes(name: str) -> None:
    loader, n, features, classes = SETS[name]
    split = loader()
    assert split.name == name
    assert split.num_classes == classes
    assert split.feature_shape == (features,) and split.num_features == features
    assert split.num_train + split.num_test == n
    assert split.num_test == round(0.2 * n)
    assert split.x_train.shape == (split.num_train, features)
    assert split.x_test.shape == (split.num_test, features)
    assert split.x_train.dtype == split.x_test.dtype == torch.float32
    assert split.y_train.dtype == split.y_test.dtype == torch.int64
    assert set(split.y_train.tolist()) == set(range(classes))


def test_digits_as_images_and_float64() -> None:
    split = load_digits(as_images=True, dtype=torch.float64)
    assert split.x_train.shape == (split.num_train, 1, 8, 8)
    assert split.feature_shape == (1, 8, 8) and split.num_features == 64
    assert split.x_train.dtype == torch.float64
    flat = load_digits(dtype=torch.float64)
    assert torch.equal(split.x_train.flatten(1), flat.x_train)


@pytest.mark.parametrize("name", SETS)
def test_same_seed_same_split_other_seed_other_split(name: str) -> None:
    loader = SETS[name][0]
    a, b, c = loader(seed=3), loader(seed=3), loader(seed=4)
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(a, field), getattr(b, field))
    assert not torch.equal(a.y_test, c.y_test) or not torch.equal(a.x_test, c.x_test)


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("test_size", [0.2, 0.35])
def test_split_is_stratified(name: str, test_size: float) -> None:
    split = SETS[name][0](test_size=test_size, seed=1)
    _, y = _raw(name)
    n = y.numel()
    train_counts = torch.bincount(split.y_train, minlength=split.num_classes)
    test_counts = torch.bincount(split.y_test, minlength=split.num_classes)
    for c, n_c in enumerate(torch.bincount(y).tolist()):
        assert abs(test_counts[c].item() - n_c * split.num_test / n) < 1
        assert abs(train_counts[c].item() - n_c * split.num_train / n) < 1
        # and against the requested fraction (the total is rounded once)
        assert abs(test_counts[c].item() - n_c * test_size) <= 1


@pytest.mark.parametrize("name", SETS)
def test_train_and_test_partition_the_dataset(name: str) -> None:
    split = SETS[name][0](standardize=False, dtype=torch.float64, seed=2)
    x, y = _raw(name)

    def rows(xs: torch.Tensor, ys: torch.Tensor) -> Counter[tuple[float, ...]]:
        return Counter(tuple(r) for r in torch.cat([xs.flatten(1), ys[:, None]], 1).tolist())

    assert rows(split.x_train, split.y_train) + rows(split.x_test, split.y_test) == rows(x, y)


@pytest.mark.parametrize("name", SETS)
def test_standardisation_uses_train_statistics_only(name: str) -> None:
    loader = SETS[name][0]
    z = loader(dtype=torch.float64, seed=5)
    raw = loader(dtype=torch.float64, seed=5, standardize=False)
    mean = raw.x_train.mean(0)
    std = raw.x_train.std(0, correction=0)
    constant = std == 0
    std[constant] = 1.0
    torch.testing.assert_close(z.x_train, (raw.x_train - mean) / std)
    torch.testing.assert_close(z.x_test, (raw.x_test - mean) / std)
    torch.testing.assert_close(z.x_train.mean(0), torch.zeros_like(mean), atol=1e-10, rtol=0)
    varying = ~constant
    torch.testing.assert_close(
        z.x_train.std(0, correction=0)[varying], torch.ones(int(varying.sum()), dtype=torch.float64)
    )
    # the test part is standardised with train statistics, so its mean is not exactly 0
    assert z.x_test.mean(0).abs().max() > 1e-6
    assert torch.equal(z.y_test, raw.y_test)


def test_float32_standardised_train_statistics() -> None:
    split = load_wine()
    torch.testing.assert_close(split.x_train.mean(0), torch.zeros(13), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        split.x_train.std(0, correction=0), torch.ones(13), atol=1e-5, rtol=0
    )


def test_digits_blank_pixels_stay_zero() -> None:
    split = load_digits()
    constant = split.x_train.std(0) == 0
    assert constant.any()  # e.g. the top-left pixel is always blank
    assert torch.equal(split.x_train[:, constant], torch.zeros_like(split.x_train[:, constant]))


def test_load_dataset_dispatches_by_name() -> None:
    assert DATASET_NAMES == ("digits", "iris", "wine", "breast_cancer")
    a, b = load_dataset("iris", seed=7, test_size=0.3), load_iris(seed=7, test_size=0.3)
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_train, b.y_train)
    assert load_dataset("digits", as_images=True).feature_shape == (1, 8, 8)


def test_unknown_dataset_name() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown dataset 'mnist'.*digits, iris") as info:
        load_dataset("mnist")
    assert info.value.choices == list(DATASET_NAMES)
    assert isinstance(info.value, KeyError)


@pytest.mark.parametrize("test_size", [0.0, 1.0, 1.5, -0.2, "0.2", True])
def test_bad_test_size(test_size: object) -> None:
    with pytest.raises(ValueError, match=rf"test_size .*\(0, 1\); got {test_size!r}"):
        load_iris(test_size=test_size)  # type: ignore[arg-type]


def test_test_size_leaving_a_part_empty() -> None:
    with pytest.raises(ValueError, match=r"test_size=0\.001 of 150 samples gives 0 test samples"):
        load_iris(test_size=0.001)


def test_non_float_dtype_rejected() -> None:
    with pytest.raises(ValueError, match=r"dtype must be a floating-point dtype; got torch.int64"):
        load_iris(dtype=torch.int64)


def test_sklearn_is_imported_lazily() -> None:
    code = "import sys, nnatlas.data; assert 'sklearn' not in sys.modules, 'sklearn imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_sklearn_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    tabular._raw.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    try:
        with pytest.raises(MissingExtraError, match=r"nnatlas\[data\]"):
            load_iris()
    finally:
        tabular._raw.cache_clear()


# ------------------------------------------------------------------ stratified_split


@pytest.mark.parametrize("seed", range(5))
def test_stratified_split_on_skewed_labels(seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    counts = torch.randint(1, 40, (6,), generator=generator)
    y = torch.repeat_interleave(torch.arange(6), counts)
    y = y[torch.randperm(y.numel(), generator=generator)]
    test_size = 0.1 + 0.8 * torch.rand((), generator=generator).item()
    train, test = stratified_split(y, test_size, seed=seed)
    n = y.numel()
    assert test.numel() == round(n * test_size)
    assert torch.equal(torch.cat([train, test]).sort().values, torch.arange(n))
    for c, n_c in enumerate(counts.tolist()):
        assert abs(int((y[test] == c).sum()) - n_c * test.numel() / n) < 1
    again = stratified_split(y.numpy(), test_size, seed=seed)
    assert torch.equal(again[0], train) and torch.equal(again[1], test)


def test_stratified_split_rejects_bad_labels() -> None:
    with pytest.raises(
        ValueError, match=r"y must hold integer class labels; got dtype torch.float32"
    ):
        stratified_split(torch.zeros(10), 0.5)
    with pytest.raises(ValueError, match=r"y must be 1-D \(n,\); got shape \(2, 5\)"):
        stratified_split(torch.zeros(2, 5, dtype=torch.long), 0.5)


def test_split_dataset_on_user_arrays() -> None:
    x = torch.randn(40, 3, 2)
    y = torch.arange(40) % 4
    split = split_dataset(x, y, test_size=0.25, seed=1, name="mine", dtype=torch.float64)
    assert split.num_test == 10 and split.num_classes == 4 and split.feature_shape == (3, 2)
    # 2.5 test samples per class is ideal; the two extra go to the lowest labels
    assert torch.bincount(split.y_test).tolist() == [3, 3, 2, 2]


# ------------------------------------------------------------------------ DataSplit


def test_datasplit_to_and_repr() -> None:
    split = load_iris()
    double = split.to(dtype=torch.float64)
    assert double is not split and double.x_train.dtype == torch.float64
    assert double.y_train.dtype == torch.int64 and split.x_train.dtype == torch.float32
    assert torch.equal(double.x_test.float(), split.x_test)
    text = repr(split)
    assert text == (
        "DataSplit(name='iris', num_train=120, num_test=30, feature_shape=(4,), "
        "num_classes=3, dtype=torch.float32, device=cpu)"
    )
    with pytest.raises(ValueError, match=r"dtype must be a floating-point dtype; got torch.int32"):
        split.to(dtype=torch.int32)


def test_datasplit_validates_its_fields() -> None:
    x, y = torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)
    with pytest.raises(
        ValueError, match=r"y_train must be a 1-D int64 tensor; got dtype torch.int32"
    ):
        DataSplit(x, y.int(), x, y, num_classes=2)
    with pytest.raises(ValueError, match=r"same number of samples; got 4 and 3"):
        DataSplit(x, y[:3], x, y, num_classes=2)
    with pytest.raises(ValueError, match=r"x_test must have per-sample shape feature_shape=\(2,\)"):
        DataSplit(x, y, torch.zeros(4, 3), y, num_classes=2)
    with pytest.raises(
        ValueError, match=r"labels must lie in \[0, num_classes=2\); got range \[0, 5\]"
    ):
        DataSplit(x, y, x, torch.tensor([0, 1, 5, 0]), num_classes=2)
    split = DataSplit(x, y, x, y, num_classes=2, name="toy")
    assert split.feature_shape == (2,) and split.num_features == 2
    with pytest.raises(AttributeError):
        split.name = "other"  # type: ignore[misc]
