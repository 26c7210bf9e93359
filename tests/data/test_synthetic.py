"""Synthetic generators: shapes, seeding, geometry, and make_split."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from nnatlas.core.errors import UnknownNameError
from nnatlas.data import (
    GENERATOR_NAMES,
    DataSplit,
    gaussian_mixture,
    make_split,
    mixture_means,
    spirals,
    two_moons,
)

GENERATORS: dict[str, tuple[Callable[..., tuple[torch.Tensor, torch.Tensor]], int, int]] = {
    # name -> (function, classes with defaults, dimension with defaults)
    "two_moons": (two_moons, 2, 2),
    "spirals": (spirals, 2, 2),
    "gaussian_mixture": (gaussian_mixture, 3, 2),
}


def knn_accuracy(split: DataSplit, k: int = 5) -> float:
    """Test accuracy of a k-nearest-neighbour vote fitted on the train part."""
    nearest = torch.cdist(split.x_test, split.x_train).topk(k, largest=False).indices
    predicted = torch.mode(split.y_train[nearest], dim=1).values
    return (predicted == split.y_test).double().mean().item()


def linear_accuracy(x: torch.Tensor, y: torch.Tensor, num_classes: int) -> float:
    """Training accuracy of the best-fitting (logistic-regression) linear classifier."""
    x = x.double()
    weight = torch.zeros(x.shape[1], num_classes, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ weight + bias, y)
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        return ((x @ weight + bias).argmax(1) == y).double().mean().item()


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shapes_dtypes_and_balanced_classes(name: str, dtype: torch.dtype) -> None:
    generate, classes, dim = GENERATORS[name]
    x, y = generate(101, dtype=dtype)
    assert x.shape == (101, dim) and x.dtype == dtype
    assert y.shape == (101,) and y.dtype == torch.int64
    counts = torch.bincount(y, minlength=classes)
    assert counts.numel() == classes and counts.max() - counts.min() <= 1
    assert torch.isfinite(x).all()
    # shuffled: labels are not in class blocks
    assert (y[1:] != y[:-1]).sum() > 10


@pytest.mark.parametrize("name", GENERATORS)
def test_seeding_is_local_and_deterministic(name: str) -> None:
    generate = GENERATORS[name][0]
    torch.manual_seed(0)
    expected_next = torch.rand(3)
    torch.manual_seed(0)
    a = generate(50, seed=1)
    assert torch.equal(torch.rand(3), expected_next), "the global RNG was used"
    b = generate(50, seed=1)
    c = generate(50, seed=2)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_two_moons_geometry_without_noise() -> None:
    x, y = two_moons(400, noise=0.0, dtype=torch.float64)
    upper, lower = x[y == 0], x[y == 1]
    torch.testing.assert_close(upper.norm(dim=1), torch.ones(200, dtype=torch.float64))
    assert (upper[:, 1] >= 0).all()
    centre = torch.tensor([1.0, 0.5], dtype=torch.float64)
    torch.testing.assert_close((lower - centre).norm(dim=1), torch.ones(200, dtype=torch.float64))
    assert (lower[:, 1] <= 0.5).all()


def test_two_moons_need_a_nonlinear_classifier() -> None:
    split = make_split("two_moons", 600, 300, noise=0.1, seed=3)
    assert linear_accuracy(split.x_train, split.y_train, 2) < 0.93
    assert knn_accuracy(split) > 0.97


def test_spiral_arms_follow_the_archimedean_curve() -> None:
    turns, classes = 1.25, 3
    x, y = spirals(300, num_classes=classes, noise=0.0, turns=turns, dtype=torch.float64)
    radius = x.norm(dim=1)
    assert (radius <= 1 + 1e-12).all()
    angle = torch.atan2(x[:, 1], x[:, 0])
    offset = angle - 2 * math.pi * (turns * radius + y.double() / classes)
    wrapped = torch.remainder(offset + math.pi, 2 * math.pi) - math.pi
    assert wrapped.abs().max() < 1e-9


def test_spirals_need_a_nonlinear_classifier() -> None:
    split = make_split("spirals", 800, 400, seed=1)
    assert linear_accuracy(split.x_train, split.y_train, 2) < 0.8
    assert knn_accuracy(split) > 0.95


@pytest.mark.parametrize(("classes", "dim"), [(2, 1), (3, 2), (4, 3), (5, 10), (1, 3)])
def test_mixture_means_form_a_regular_simplex(classes: int, dim: int) -> None:
    means = mixture_means(classes, dim, 2.5)
    assert means.shape == (classes, dim) and means.dtype == torch.float64
    torch.testing.assert_close(means.mean(0), torch.zeros(dim, dtype=torch.float64))
    distances = torch.cdist(means, means)
    off_diagonal = distances[~torch.eye(classes, dtype=torch.bool)]
    torch.testing.assert_close(off_diagonal, torch.full_like(off_diagonal, 2.5))


@pytest.mark.parametrize(("classes", "dim"), [(3, 1), (5, 1), (6, 2), (10, 3)])
def test_mixture_means_in_too_few_dimensions_keep_the_minimum_separation(
    classes: int, dim: int
) -> None:
    means = mixture_means(classes, dim, 3.0)
    distances = torch.cdist(means, means) + torch.diag(torch.full((classes,), math.inf))
    assert distances.min().item() == pytest.approx(3.0)


def test_mixture_samples_scatter_around_their_means() -> None:
    x, y = gaussian_mixture(6000, num_classes=4, dim=5, separation=3.0, std=0.5, seed=4)
    means = mixture_means(4, 5, 3.0, dtype=torch.float32)
    for c in range(4):
        members = x[y == c]
        # 4 standard errors of the mean, per coordinate
        assert (members.mean(0) - means[c]).abs().max() < 4 * 0.5 / math.sqrt(members.shape[0])
        assert members.std(0).sub(0.5).abs().max() < 0.05


def test_make_split_sizes_stratification_and_disjointness() -> None:
    split = make_split("gaussian_mixture", 90, 30, num_classes=3, dim=4, seed=2)
    assert split.name == "gaussian_mixture" and split.num_classes == 3
    assert (split.num_train, split.num_test, split.feature_shape) == (90, 30, (4,))
    assert torch.bincount(split.y_train).tolist() == [30, 30, 30]
    assert torch.bincount(split.y_test).tolist() == [10, 10, 10]
    assert torch.cdist(split.x_test, split.x_train).min() > 0  # continuous draws: no shared rows
    again = make_split("gaussian_mixture", 90, 30, num_classes=3, dim=4, seed=2)
    assert torch.equal(again.x_test, split.x_test) and torch.equal(again.y_train, split.y_train)
    other = make_split("gaussian_mixture", 90, 30, num_classes=3, dim=4, seed=3)
    assert not torch.equal(other.x_test, split.x_test)


def test_make_split_options() -> None:
    split = make_split("spirals", 40, 20, num_classes=4, standardize=True, dtype=torch.float64)
    assert split.num_classes == 4 and split.x_train.dtype == torch.float64
    torch.testing.assert_close(split.x_train.mean(0), torch.zeros(2, dtype=torch.float64))
    # odd sizes: stratified counts differ by at most one
    odd = make_split("two_moons", 31, 11)
    assert sorted(torch.bincount(odd.y_test).tolist()) == [5, 6]
    assert GENERATOR_NAMES == ("two_moons", "spirals", "gaussian_mixture")


def test_make_split_unknown_name() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown synthetic dataset 'circles'.*two_moons"):
        make_split("circles", 10, 10)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: two_moons(1),
            r"n must be an integer >= 2 \(one sample per class at least\); got 1",
        ),
        (lambda: spirals(3, num_classes=4), r"n must be an integer >= 4 .*; got 3"),
        (lambda: gaussian_mixture(2), r"n must be an integer >= 3 .*; got 2"),
        (lambda: two_moons(10, noise=-0.1), r"noise must be a non-negative number; got -0.1"),
        (lambda: spirals(10, noise=-1.0), r"noise must be a non-negative number; got -1.0"),
        (lambda: spirals(10, turns=0), r"turns must be positive; got 0"),
        (lambda: spirals(10, num_classes=0), r"num_classes must be an integer >= 1; got 0"),
        (lambda: gaussian_mixture(10, std=-1), r"std must be a non-negative number; got -1"),
        (lambda: gaussian_mixture(10, dim=0), r"dim must be an integer >= 1; got 0"),
        (
            lambda: gaussian_mixture(10, separation=-2.0),
            r"separation must be a non-negative number; got -2.0",
        ),
        (lambda: two_moons(10.5), r"n must be an integer >= 2 .*; got 10.5"),  # type: ignore[arg-type]
        (lambda: two_moons(10, dtype=torch.int32), r"dtype must be a floating-point dtype"),
        (lambda: make_split("two_moons", 0, 5), r"n_train must be an integer >= 1; got 0"),
        (lambda: make_split("two_moons", 5, 0), r"n_test must be an integer >= 1; got 0"),
    ],
)
def test_invalid_arguments(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
