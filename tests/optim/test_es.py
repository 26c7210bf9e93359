"""Tests of the evolution-strategy baselines (OpenAI-ES, SPSA)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.optim import SPSA, ModelClosure, OpenAIES, centered_ranks
from nnatlas.testing import check_optimizer_case
from nnatlas.testing.catalog import load_all, optimizer_cases


@pytest.mark.parametrize("name", ["OpenAIES", "SPSA"])
def test_conformance_cases_pass(name: str) -> None:
    load_all()
    check_optimizer_case(next(c for c in optimizer_cases() if c.name == name))


def test_centered_ranks_closed_form() -> None:
    r = centered_ranks(torch.tensor([3.0, -1.0, 10.0, 0.0, 5.0]))
    torch.testing.assert_close(r, torch.tensor([0.0, -0.5, 0.5, -0.25, 0.25], dtype=torch.float64))
    with pytest.raises(ValueError, match="at least 2"):
        centered_ranks(torch.tensor([1.0]))


def test_es_gradient_estimate_points_downhill_on_a_linear_loss() -> None:
    # On L(θ) = c·θ, the first Adam step moves every coordinate by -lr·sign(E[ĝ]); with a large
    # population the estimate's sign matches sign(c) on most coordinates.
    c = torch.linspace(-1, 1, 20)
    c[c.abs() < 0.2] = 0.5
    theta = torch.zeros(20, requires_grad=True)
    opt = OpenAIES([theta], lr=0.1, sigma=0.1, population_size=400, seed=0)
    opt.step(lambda: c @ theta)
    agree = (torch.sign(theta.detach()) == -torch.sign(c)).float().mean()
    assert agree >= 0.9
    torch.testing.assert_close(theta.detach().abs(), torch.full((20,), 0.1), atol=1e-5, rtol=0)


def test_spsa_estimate_is_unbiased_for_a_linear_loss() -> None:
    # For L = c·θ and Rademacher Δ, (L+ - L-)/(2c_k) Δ = (c·Δ) Δ, whose mean over Δ is c.
    c = torch.tensor([1.0, -2.0, 0.5])
    theta = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = SPSA([theta], lr=1.0, perturbation=0.1, alpha=0.0, gamma=0.0, num_perturbations=20000)
    opt.step(lambda: c.double() @ theta)
    torch.testing.assert_close(-theta.detach(), c.double(), atol=0.05, rtol=0)
    assert opt.evaluations == 40000


def test_batched_and_plain_closures_agree() -> None:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 4, generator=g), torch.randint(0, 2, (16,), generator=g)
    out = []
    for batched in (True, False):
        torch.manual_seed(0)
        model = nn.Linear(4, 2).double()
        opt = OpenAIES(model.parameters(), population_size=8, seed=1)
        for _ in range(3):
            if batched:
                opt.step(ModelClosure(model, F.cross_entropy, x.double(), y))
            else:
                opt.step(lambda m=model: F.cross_entropy(m(x.double()), y))
        out.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    torch.testing.assert_close(out[0], out[1], atol=1e-12, rtol=0)


def test_sgd_update_and_param_groups() -> None:
    a = torch.zeros(3, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    opt = OpenAIES([{"params": [a]}, {"params": [b], "lr": 0.0001}], update="sgd", lr=0.1, seed=0)
    opt.step(lambda: (a - 1).pow(2).sum() + (b - 1).pow(2).sum())
    assert a.detach().abs().max() > 10 * b.detach().abs().max()


def test_bad_arguments() -> None:
    p = torch.zeros(2, requires_grad=True)
    with pytest.raises(ConfigError, match="population_size"):
        OpenAIES([p], population_size=7)
    with pytest.raises(ConfigError, match="sigma"):
        OpenAIES([p], sigma=0.0)
    with pytest.raises(UnknownNameError, match="update"):
        OpenAIES([p], update="rmsprop")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="lr"):
        SPSA([p], lr=-1.0)
    with pytest.raises(ValueError, match="closure"):
        SPSA([p]).step()
