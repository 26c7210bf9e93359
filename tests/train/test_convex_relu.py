"""Convex two-layer ReLU training: arrangements, ADMM optimality, network recovery."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.data import two_moons
from nnatlas.train.convex_relu import (
    ConvexReLUWarning,
    admm_convex_relu,
    convex_objective,
    max_arrangements,
    network_objective,
    sample_arrangements,
)


def _problem(n: int = 24, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = two_moons(n, seed=seed)
    return x.double(), 2 * y.double() - 1


def test_max_arrangements_matches_cover_count() -> None:
    # n points in general position on a line through the origin (rank 1): two patterns.
    assert max_arrangements(5, 1) == 2
    # rank 2: 2n patterns (each of n lines through the origin flips one point).
    assert max_arrangements(5, 2) == 10
    assert max_arrangements(3, 5) == 8  # never more than 2^n


def test_sampled_arrangements_are_distinct_nonzero_and_warn_when_few() -> None:
    x, _ = _problem()
    g = torch.Generator().manual_seed(0)
    with pytest.warns(ConvexReLUWarning, match="upper bound"):
        pats = sample_arrangements(x, 10, generator=g)
    assert pats.dtype == torch.bool and pats.shape[0] == x.shape[0] and pats.shape[1] <= 10
    assert pats.any(dim=0).all()
    assert torch.unique(pats.T, dim=0).shape[0] == pats.shape[1]
    # 1-D data without bias (rank 1) has exactly one non-zero pattern per sign class: complete.
    x1 = torch.rand(6, 1, dtype=torch.float64) + 0.1
    full = sample_arrangements(x1, 50, bias=False, warn=True, generator=g)
    assert full.shape[1] == 1  # the all-ones pattern; all-zero is dropped
    with pytest.raises(ConfigError):
        sample_arrangements(x, 0)


def test_sampled_arrangements_can_be_seeded_from_weights() -> None:
    x, _ = _problem()
    w = torch.randn(3, 3, dtype=torch.float64)
    pats = sample_arrangements(
        x, 1, weights=w, warn=False, generator=torch.Generator().manual_seed(1)
    )
    xb = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)
    for j in range(3):
        col = xb @ w[j] >= 0
        if col.any():
            assert (pats == col[:, None]).all(dim=0).any()


def test_recovered_network_equals_convex_model_and_objective() -> None:
    x, y = _problem()
    sol = admm_convex_relu(
        x,
        y,
        beta=0.1,
        num_samples=30,
        max_iter=300,
        warn=False,
        generator=torch.Generator().manual_seed(0),
    )
    net = sol.to_module()
    assert isinstance(net, torch.nn.Module)
    assert net[0].out_features == sol.num_neurons
    probe = torch.randn(50, 2, dtype=torch.float64) * 2
    torch.testing.assert_close(net(probe).reshape(-1), sol.predict(probe), rtol=1e-12, atol=1e-12)
    # On the training data the ReLU model equals the convex model up to the constraint residual.
    xb = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)
    convex_pred = (sol.patterns.double() * (xb @ (sol.v - sol.w).T)).sum(dim=1)
    assert (net(x).reshape(-1) - convex_pred).abs().max() < 1e-3
    # Weight decay of the recovered net equals the group norm: objectives agree.
    assert network_objective(net, x, y, 0.1) == pytest.approx(sol.objective, rel=1e-3)
    assert sol.constraint_violation < 1e-3


def test_admm_matches_closed_form_single_pattern() -> None:
    # One all-ones pattern, data in the positive orthant without bias: the constraints are
    # inactive at the optimum and the program is a group lasso with one group, whose solution
    # is a shrunk least-squares fit: minimise ½‖Xa − y‖² + β‖a‖ (v = a₊ direction only).
    torch.manual_seed(0)
    x = torch.rand(20, 3, dtype=torch.float64) + 0.5
    a_true = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64)
    y = x @ a_true
    pats = torch.ones(20, 1, dtype=torch.bool)
    beta = 0.5
    sol = admm_convex_relu(x, y, beta=beta, patterns=pats, bias=False, max_iter=4000, tol=1e-12)
    # Optimality (KKT) of the group lasso: Xᵀ(y − Xv) = β v/‖v‖, with w = 0.
    v = sol.v[0]
    assert sol.w.norm() < 1e-6
    grad = x.T @ (y - x @ v)
    torch.testing.assert_close(grad, beta * v / v.norm(), rtol=1e-4, atol=1e-6)


def test_admm_within_one_percent_of_cvxpy() -> None:
    pytest.importorskip("cvxpy")
    from nnatlas.train.convex_relu import cvxpy_reference

    x, y = _problem(30, seed=1)
    pats = sample_arrangements(x, 25, warn=False, generator=torch.Generator().manual_seed(3))
    ref = cvxpy_reference(x, y, pats, 0.1)
    sol = admm_convex_relu(x, y, beta=0.1, patterns=pats, rho=1.0, max_iter=2000, tol=1e-10)
    assert sol.objective == pytest.approx(ref, rel=1e-2)
    assert sol.objective >= ref * (1 - 1e-3)  # no better than the optimum (up to feasibility)
    xb = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)
    assert convex_objective(xb, y, sol.v, sol.w, pats, 0.1) == pytest.approx(sol.objective)


def test_admm_objective_decreases_towards_optimum_and_validates() -> None:
    x, y = _problem()
    sol = admm_convex_relu(
        x,
        y,
        beta=0.1,
        num_samples=20,
        max_iter=500,
        warn=False,
        generator=torch.Generator().manual_seed(0),
    )
    assert sol.history[-1] <= sol.history[0] + 1e-9
    assert all(math.isfinite(h) for h in sol.history)
    with pytest.raises(ConfigError):
        admm_convex_relu(x, y, beta=0.0)


def test_pgd_attack_finds_the_linear_worst_case() -> None:
    from nnatlas.train.convex_relu import pgd_attack

    lin = torch.nn.Linear(3, 1, bias=True, dtype=torch.float64)
    x = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))
    adv = pgd_attack(lin, x, y, 0.2, steps=10, generator=torch.Generator().manual_seed(0))
    sign = (2 * y - 1).double()[:, None]
    worst = x - 0.2 * sign * lin.weight.detach().sign()
    torch.testing.assert_close(adv, worst)
    assert (adv - x).abs().max() <= 0.2 + 1e-12


def test_robust_program_certifies_training_points_and_matches_network() -> None:
    pytest.importorskip("cvxpy")
    from nnatlas.train.convex_relu import pgd_attack, robust_convex_relu

    x, y01 = two_moons(16, seed=2)
    x, y = x.double(), 2 * y01.double() - 1
    pats = sample_arrangements(x, 12, warn=False, generator=torch.Generator().manual_seed(0))
    beta, eps = 0.05, 0.05
    # eps = 0: the hinge-loss convex program; its optimum equals the recovered net's objective.
    std = robust_convex_relu(x, y, eps=0.0, beta=beta, patterns=pats)
    net = std.to_module()
    with torch.no_grad():
        hinge = torch.relu(1 - y * net(x).reshape(-1)).sum()
        reg = sum(p.pow(2).sum() for p in net.parameters())
    assert float(hinge + 0.5 * beta * reg) == pytest.approx(std.objective, rel=1e-4, abs=1e-6)
    # eps > 0: each training point keeps its pattern on its box, so the net is linear there
    # with weight a_k; points with robust margin > 0 cannot be flipped by any attack.
    rob = robust_convex_relu(x, y, eps=eps, beta=beta, patterns=pats)
    xb = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)
    a = rob.patterns.double() @ (rob.v - rob.w)  # (n, d+1)
    margin = y * (xb * a).sum(1) - eps * a[:, :2].abs().sum(1)
    certified = margin > 1e-6
    assert certified.any()
    rnet = rob.to_module()
    adv = pgd_attack(rnet, x, y01, eps, steps=40, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = y * rnet(adv).reshape(-1)
    assert (out[certified] > 0).all()
