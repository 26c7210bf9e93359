"""Wide-and-deep limits: dual activations, infinite-depth kernels and their limit classifiers."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.kernels.analytic import Activation, Dense, serial
from nnatlas.kernels.wide_deep import (
    HermiteActivation,
    NormalizedErf,
    NormalizedReLU,
    SinhActivation,
    consistent_activation,
    deep_kernel,
    dirichlet_bayes_classifier,
    dirichlet_task,
    kernel_classifier,
    limit_classifier,
    majority_vote,
    nearest_neighbor_classifier,
    singular_kernel_classifier,
)

ACTIVATIONS = [
    NormalizedErf(),
    NormalizedReLU(),
    SinhActivation(1.0),
    SinhActivation(2.676),
    consistent_activation(2),
    consistent_activation(5),
    HermiteActivation({0: 0.2, 2: 0.8}),
]


@pytest.mark.parametrize("act", ACTIVATIONS, ids=repr)
def test_dual_is_the_unit_variance_expectation(act):
    rho = torch.linspace(-0.99, 0.99, 9, dtype=torch.float64)
    one = torch.ones_like(rho)
    torch.testing.assert_close(
        act.expectation(one, one, rho), act.dual(rho), atol=1e-10, rtol=1e-10
    )
    torch.testing.assert_close(
        act.derivative_expectation(one, one, rho), act.dual_derivative(rho), atol=1e-9, rtol=1e-9
    )
    assert float(act.dual(torch.tensor(1.0, dtype=torch.float64))) == pytest.approx(1.0)


@pytest.mark.parametrize("act", ACTIVATIONS, ids=repr)
def test_closed_forms_match_quadrature_of_phi_at_any_covariance(act):
    # Gauss–Hermite quadrature of the activation itself, general (k11, k22, k12).
    quad = Activation(act, order=96)
    k11 = torch.tensor([0.5, 1.3, 0.8], dtype=torch.float64)
    k22 = torch.tensor([0.9, 0.7, 1.1], dtype=torch.float64)
    k12 = torch.tensor([0.2, -0.5, 0.9], dtype=torch.float64)
    torch.testing.assert_close(
        act.expectation(k11, k22, k12), quad.expectation(k11, k22, k12), atol=1e-9, rtol=1e-9
    )


def test_singular_exponents_of_the_paper_activations():
    assert consistent_activation(2).singular_exponent == pytest.approx(0.5)
    assert consistent_activation(3).singular_exponent == pytest.approx(1.0)
    assert consistent_activation(5).singular_exponent == pytest.approx(2.0)
    assert consistent_activation(9).singular_exponent == pytest.approx(4.0)
    for a, alpha in ((2.676, 1.0), (6.13539, 2.0), (13.8258, 4.0)):
        assert SinhActivation(a).singular_exponent == pytest.approx(alpha, abs=2e-3)
    assert NormalizedErf().singular_exponent == pytest.approx(0.4441, abs=1e-3)
    assert math.isnan(NormalizedReLU().singular_exponent)
    assert math.isinf(HermiteActivation({2: 1.0}).singular_exponent)
    assert limit_classifier(NormalizedReLU()) == "majority_vote"
    assert limit_classifier(HermiteActivation({3: 1.0})) == "nearest_neighbor"
    assert limit_classifier(consistent_activation(2)) == "singular_kernel"


@pytest.mark.parametrize(
    "act", [NormalizedErf(), consistent_activation(3), NormalizedReLU()], ids=repr
)
def test_deep_kernel_matches_the_analytic_network(act):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 3, generator=g, dtype=torch.float64)
    x = x / x.norm(dim=1, keepdim=True)
    depth = 4
    layers = [Dense(1.0, 0.0)]
    for _ in range(depth):
        layers += [act, Dense(1.0, 0.0)]
    # The analytic layer divides ⟨x, x'⟩ by d: scale inputs by √d to start at the cosine.
    k = serial(*layers)(x * math.sqrt(3))
    # Rounding budget: one layer costs at most ~256 ulps (a Gauss–Hermite sum of <= 25 terms of
    # magnitude <= 10 for the Hermite activation; a few ulps for the closed forms), and a layer
    # amplifies earlier errors by at most ϕ'(1) <= 2, so depth L gives 2^L · 256 · eps ≈ 9e-13.
    # Both sides take the diagonal's angle as exactly 0 (an arccos of a cosine an ulp below 1
    # used to put 1.5e-8 into the ReLU NTK here).
    tol = 2**depth * 256 * torch.finfo(torch.float64).eps
    torch.testing.assert_close(deep_kernel(x, None, act, depth), k.nngp, atol=tol, rtol=tol)
    ntk = k.ntk / k.ntk[0, 0]
    torch.testing.assert_close(
        deep_kernel(x, None, act, depth, kernel="ntk"), ntk, atol=tol, rtol=tol
    )


def test_deep_consistent_kernel_becomes_the_singular_kernel_classifier():
    split = dirichlet_task(
        150, 200, (1.0, 2.0), (2.0, 1.0), generator=torch.Generator().manual_seed(1)
    )
    act = consistent_activation(2)
    k = deep_kernel(torch.cat([split.x_train, split.x_test]), split.x_train, act, 80)
    pred = kernel_classifier(k[:150], split.y_train, k[150:], unit_diagonal=True)
    limit = singular_kernel_classifier(
        split.x_train, split.y_train, split.x_test, act.singular_exponent
    )
    assert float((pred == limit).double().mean()) >= 0.97


def test_pure_power_dual_becomes_one_nearest_neighbour():
    split = dirichlet_task(
        100, 200, (1.0, 2.0), (2.0, 1.0), generator=torch.Generator().manual_seed(2)
    )
    act = HermiteActivation({2: 1.0})
    k = deep_kernel(torch.cat([split.x_train, split.x_test]), split.x_train, act, 18)
    pred = kernel_classifier(k[:100], split.y_train, k[100:], unit_diagonal=True)
    nn1 = nearest_neighbor_classifier(split.x_train, split.y_train, split.x_test)
    assert float((pred == nn1).double().mean()) >= 0.97


def test_relu_ntk_drifts_to_majority_vote_with_depth():
    split = dirichlet_task(
        21, 100, (1.0, 2.0), (2.0, 1.0), generator=torch.Generator().manual_seed(3)
    )
    mv = majority_vote(split.y_train, 100)
    agree = []
    for depth in (10, 3000):
        k = deep_kernel(
            torch.cat([split.x_train, split.x_test]),
            split.x_train,
            NormalizedReLU(),
            depth,
            kernel="ntk",
        )
        agree.append(
            float((kernel_classifier(k[:21], split.y_train, k[21:]) == mv).double().mean())
        )
    assert agree[1] > agree[0] and agree[1] >= 0.9


def test_ntk_normalisation_survives_large_depth():
    x = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=torch.float64)
    k = deep_kernel(x, None, consistent_activation(2), 2000, kernel="ntk")
    assert bool(torch.isfinite(k).all())
    torch.testing.assert_close(torch.diagonal(k), torch.ones(3, dtype=torch.float64))


def test_dirichlet_task_and_bayes_rule():
    split = dirichlet_task(
        300, 2000, (1.0, 2.0), (2.0, 1.0), prior1=0.4, generator=torch.Generator().manual_seed(4)
    )
    assert split.x_train.shape == (300, 2) and split.x_test.shape == (2000, 2)
    torch.testing.assert_close(split.x_train.norm(dim=1), torch.ones(300, dtype=torch.float64))
    assert int((torch.cat([split.y_train, split.y_test]) > 0).sum()) == int(2300 * 0.4)
    # Bayes boundary for Dir(1,2) vs Dir(2,1): 0.4·2(1−p) vs 0.6·2p ⇒ +1 iff p < 0.4.
    bayes = dirichlet_bayes_classifier(split.simplex_test, (1.0, 2.0), (2.0, 1.0), prior1=0.4)
    torch.testing.assert_close(
        bayes, torch.where(split.simplex_test[:, 0] < 0.4, 1.0, -1.0).double(), check_dtype=False
    )
    # Known Bayes accuracy: 0.4·P(p<0.4 | Beta(1,2)) + 0.6·P(p>0.4 | Beta(2,1)) = 0.4·0.64 + 0.6·0.84.
    acc = float((bayes == split.y_test).double().mean())
    assert acc == pytest.approx(0.4 * 0.64 + 0.6 * 0.84, abs=0.03)
    again = dirichlet_task(
        300, 2000, (1.0, 2.0), (2.0, 1.0), prior1=0.4, generator=torch.Generator().manual_seed(4)
    )
    torch.testing.assert_close(again.x_test, split.x_test)


def test_bad_inputs_raise():
    with pytest.raises(ConfigError, match="sum to 1"):
        HermiteActivation({1: 0.5})
    with pytest.raises(ConfigError, match="dim"):
        consistent_activation(4)
    with pytest.raises(ConfigError, match="kernel"):
        deep_kernel(torch.ones(2, 2), None, NormalizedErf(), 3, kernel="cntk")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="DualActivation"):
        deep_kernel(torch.ones(2, 2), None, "relu", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="±1"):
        majority_vote(torch.tensor([0.0, 1.0]), 3)
    with pytest.raises(ConfigError, match="alpha1"):
        dirichlet_task(10, 10, (1.0, 2.0), (1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="zero row"):
        nearest_neighbor_classifier(torch.zeros(2, 2), torch.tensor([1.0, -1.0]), torch.ones(1, 2))
