"""Tests of the stochastic-neuron gradient estimators (Bengio, Léonard, Courville 2013)."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

import nnatlas.nn.stochastic_neurons as new_location
from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.nn.stochastic_neurons import (
    NoisyRectifier,
    ReinforceBernoulli,
    STBernoulliIdentity,
    STBernoulliSigmoid,
    StochasticTimesSmooth,
    StraightThroughBernoulli,
    noisy_rectifier,
    optimal_baseline,
    stochastic_times_smooth,
    straight_through_bernoulli,
    uniform_noise,
)
from nnatlas.testing import check_module_case, load_all, module_cases

A = torch.tensor([-1.5, -0.3, 0.4, 1.2], dtype=torch.float64)
W = torch.tensor([1.0, -2.0, 0.5, 1.5], dtype=torch.float64)
TARGET = 3.0
OFFSET = 4.0  # a large constant part of L: exactly what a baseline should remove


def _toy_loss(h: torch.Tensor) -> torch.Tensor:
    """L(h) = (w·h - t)² + offset, per example: ``h (batch, 4) -> (batch,)``."""
    return (h @ W - TARGET).square() + OFFSET


def _expected_gradient() -> torch.Tensor:
    """∂E[L]/∂a in closed form: E[L] = Σ w²p(1-p) + (Σ w p - t)² + offset, p = sigm(a)."""
    a = A.clone().requires_grad_()
    p = torch.sigmoid(a)
    expected = (W.square() * p * (1 - p)).sum() + ((W * p).sum() - TARGET) ** 2 + OFFSET
    (grad,) = torch.autograd.grad(expected, a)
    return grad


def _enumerate() -> tuple[torch.Tensor, torch.Tensor]:
    """All 16 binary configurations h and their probabilities under Bernoulli(sigm(A))."""
    h = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)), dtype=torch.float64)
    p = torch.sigmoid(A)
    prob = (h * p + (1 - h) * (1 - p)).prod(1)
    return h, prob


def _reinforce_estimates(
    baseline: str, *, batches: int = 60, batch: int = 1000, seed: int = 0
) -> tuple[torch.Tensor, ReinforceBernoulli]:
    """Per-sample REINFORCE estimates of ∂E[L]/∂a, ``(batches * batch, 4)``."""
    neurons = ReinforceBernoulli(
        4,
        baseline=baseline,  # type: ignore[arg-type]
        momentum=0.9,
        generator=torch.Generator().manual_seed(seed),
        dtype=torch.float64,
    )
    out = []
    for _ in range(batches):
        a = A.expand(batch, 4).clone().requires_grad_()
        h = neurons(a)
        term = neurons.surrogate(_toy_loss(h))
        (grad,) = torch.autograd.grad(term, a)
        out.append(grad * batch)  # the surrogate averages over the batch
    return torch.cat(out), neurons


# --------------------------------------------------------------------------- conformance


@pytest.mark.parametrize(
    "name",
    [
        "StraightThroughBernoulli-identity",
        "StraightThroughBernoulli-sigmoid",
        "StochasticTimesSmooth",
        "NoisyRectifier",
        "ReinforceBernoulli",
    ],
)
def test_registered_module_case_conforms(name: str) -> None:
    load_all()
    (case,) = [c for c in module_cases() if c.name == name]
    check_module_case(case)


def test_old_location_reexports_the_same_objects() -> None:
    # Imported here: the old location lives in another family, whose tests are elsewhere.
    import nnatlas.nn
    import nnatlas.train
    import nnatlas.train.stochastic_neurons as old_location

    assert old_location.__all__ == new_location.__all__
    for name in new_location.__all__:
        assert getattr(old_location, name) is getattr(new_location, name), name
        assert getattr(nnatlas.nn, name) is getattr(new_location, name), name
        if name != "ESTIMATORS":
            assert getattr(nnatlas.train, name) is getattr(new_location, name), name


# --------------------------------------------------------------------------- straight-through


@pytest.mark.parametrize("variant", ["identity", "sigmoid"])
def test_st_forward_is_the_bernoulli_sample(variant: str) -> None:
    a = torch.randn(50, 7, generator=torch.Generator().manual_seed(1))
    h = straight_through_bernoulli(a, variant, generator=torch.Generator().manual_seed(2))  # type: ignore[arg-type]
    u = torch.rand(a.shape, generator=torch.Generator().manual_seed(2))
    assert torch.equal(h, (u < torch.sigmoid(a)).float())
    assert set(h.unique().tolist()) <= {0.0, 1.0}


def test_st_sample_frequency_matches_sigmoid() -> None:
    a = torch.tensor([-2.0, -0.5, 0.0, 0.7, 2.5])
    n = 40_000
    h = straight_through_bernoulli(a.expand(n, 5), generator=torch.Generator().manual_seed(0))
    p = torch.sigmoid(a)
    se = (p * (1 - p) / n).sqrt()
    assert bool(((h.mean(0) - p).abs() < 4 * se).all())


def test_st_identity_backward_is_the_upstream_gradient_exactly() -> None:
    a = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    up = torch.randn(8, 3, dtype=torch.float64)
    h = STBernoulliIdentity.apply(a, torch.rand(8, 3, dtype=torch.float64))
    h.backward(up)
    assert torch.equal(a.grad, up)


def test_st_sigmoid_backward_is_upstream_times_sigmoid_derivative_exactly() -> None:
    a = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    up = torch.randn(8, 3, dtype=torch.float64)
    h = STBernoulliSigmoid.apply(a, torch.rand(8, 3, dtype=torch.float64))
    h.backward(up)
    p = torch.sigmoid(a.detach())
    assert torch.equal(a.grad, up * p * (1 - p))
    # Same as the p + stopgrad(b - p) formulation.
    a2 = a.detach().clone().requires_grad_()
    p2 = torch.sigmoid(a2)
    (p2 + (h.detach() - p2).detach()).backward(up)
    torch.testing.assert_close(a.grad, a2.grad, rtol=1e-15, atol=1e-15)


def test_st_module_eval_is_deterministic_threshold() -> None:
    m = StraightThroughBernoulli("sigmoid").eval()
    a = torch.randn(20, 4)
    assert torch.equal(m(a), (a > 0).float())
    assert "sigmoid" in repr(m)


def test_st_generator_makes_runs_repeatable() -> None:
    a = torch.randn(30, 4)
    outs = [StraightThroughBernoulli(generator=torch.Generator().manual_seed(5))(a) for _ in "ab"]
    assert torch.equal(outs[0], outs[1])


# --------------------------------------------------------------------------- STS


def test_sts_mean_is_sigmoid_and_zeros_are_exact() -> None:
    a = torch.tensor([-2.0, -0.3, 0.8, 2.0], dtype=torch.float64)
    n = 40_000
    h = stochastic_times_smooth(a.expand(n, 4), generator=torch.Generator().manual_seed(0))
    p = torch.sigmoid(a)
    se = h.std(0) / n**0.5
    assert bool(((h.mean(0) - p).abs() < 4 * se).all())
    nonzero = h != 0
    # non-zero values are exactly √p; the non-zero rate is √p.
    torch.testing.assert_close(h[nonzero], p.sqrt().expand(n, 4)[nonzero])
    assert bool(((nonzero.double().mean(0) - p.sqrt()).abs() < 0.01).all())


def test_sts_gradient_matches_finite_differences_of_smooth_part() -> None:
    gen = torch.Generator().manual_seed(3)
    a = torch.randn(6, 5, dtype=torch.float64, generator=gen).requires_grad_()
    u = torch.rand(6, 5, dtype=torch.float64, generator=gen)
    assert torch.autograd.gradcheck(lambda x: stochastic_times_smooth(x, noise=u), (a,))
    # Closed form: b · sigm'(a) / (2 √sigm(a)).
    h = stochastic_times_smooth(a, noise=u)
    (grad,) = torch.autograd.grad(h.sum(), a)
    p = torch.sigmoid(a.detach())
    b = (u < p.sqrt()).double()
    torch.testing.assert_close(grad, b * p * (1 - p) / (2 * p.sqrt()))


def test_sts_is_finite_for_extreme_preactivations() -> None:
    a = torch.tensor([-200.0, 200.0], requires_grad=True)
    h = stochastic_times_smooth(a, noise=torch.tensor([0.0, 0.5]))
    h.sum().backward()
    assert bool(torch.isfinite(h).all() and torch.isfinite(a.grad).all())


# --------------------------------------------------------------------------- noisy rectifier


def test_noisy_rectifier_logistic_moments() -> None:
    a = torch.tensor([-1.5, 0.0, 1.0], dtype=torch.float64)
    n = 60_000
    h = noisy_rectifier(a.expand(n, 3), generator=torch.Generator().manual_seed(0))
    p = torch.sigmoid(a)
    assert bool((((h > 0).double().mean(0) - p).abs() < 4 * (p * (1 - p) / n).sqrt()).all())
    se = h.std(0) / n**0.5
    assert bool(((h.mean(0) - F.softplus(a)).abs() < 4 * se).all())


def test_noisy_rectifier_gaussian_on_probability() -> None:
    m = NoisyRectifier("gaussian", scale=0.5, generator=torch.Generator().manual_seed(0))
    a = torch.tensor([-0.4, 0.2], dtype=torch.float64)
    n = 60_000
    h = m(a.expand(n, 2))
    p = m.on_probability(a)
    torch.testing.assert_close(p, torch.special.ndtr(a / 0.5))
    assert bool((((h > 0).double().mean(0) - p).abs() < 4 * (p * (1 - p) / n).sqrt()).all())


def test_noisy_rectifier_gradient_matches_finite_differences() -> None:
    gen = torch.Generator().manual_seed(4)
    a = torch.randn(6, 5, dtype=torch.float64, generator=gen).requires_grad_()
    z = torch.randn(6, 5, dtype=torch.float64, generator=gen)
    assert torch.autograd.gradcheck(lambda x: noisy_rectifier(x, noise=z, scale=0.7), (a,))


def test_noisy_rectifier_eval_is_relu() -> None:
    a = torch.randn(10, 3)
    assert torch.equal(NoisyRectifier().eval()(a), torch.relu(a))


# --------------------------------------------------------------------------- REINFORCE


def test_optimal_baseline_function_matches_enumeration() -> None:
    h, prob = _enumerate()
    s = h - torch.sigmoid(A)
    L = _toy_loss(h)
    exact = (prob[:, None] * s.square() * L[:, None]).sum(0) / (prob[:, None] * s.square()).sum(0)
    # Weighting samples by their probability = a large sample; use the exact weights here.
    idx = torch.multinomial(
        prob, 200_000, replacement=True, generator=torch.Generator().manual_seed(0)
    )
    estimate = optimal_baseline(s[idx], L[idx, None])
    torch.testing.assert_close(estimate, exact, rtol=0.02, atol=0.0)


def test_reinforce_score_function_identity_by_enumeration() -> None:
    # E[(h - p) L] summed exactly over all configurations equals the closed-form gradient.
    h, prob = _enumerate()
    g = (prob[:, None] * (h - torch.sigmoid(A)) * _toy_loss(h)[:, None]).sum(0)
    torch.testing.assert_close(g, _expected_gradient(), rtol=1e-12, atol=1e-12)


def test_reinforce_with_optimal_baseline_is_unbiased() -> None:
    est, _ = _reinforce_estimates("optimal")
    se = est.std(0) / est.shape[0] ** 0.5
    z = (est.mean(0) - _expected_gradient()) / se
    assert bool((z.abs() < 4).all()), z


def test_reinforce_baseline_reduces_variance() -> None:
    opt, neurons = _reinforce_estimates("optimal")
    none, _ = _reinforce_estimates("none")
    mean, _ = _reinforce_estimates("mean")
    skip = 10_000  # let the moving averages warm up
    v_opt, v_none, v_mean = (e[skip:].var(0) for e in (opt, none, mean))
    assert bool((v_opt < 0.5 * v_none).all()), (v_opt, v_none)
    # Per unit, the optimal baseline beats (or ties, up to noise) the scalar-mean baseline.
    assert bool((v_opt <= 1.05 * v_mean).all()), (v_opt, v_mean)
    # And its moving averages converge to the exact optimal baseline.
    h, prob = _enumerate()
    s2 = (h - torch.sigmoid(A)).square()
    exact = (prob[:, None] * s2 * _toy_loss(h)[:, None]).sum(0) / (prob[:, None] * s2).sum(0)
    torch.testing.assert_close(neurons.current_baseline(), exact, rtol=0.05, atol=0.0)


def test_reinforce_surrogate_value_is_zero_and_sample_has_no_gradient() -> None:
    m = ReinforceBernoulli(3, generator=torch.Generator().manual_seed(0))
    a = torch.randn(5, 3, requires_grad=True)
    h = m(a)
    assert not h.requires_grad
    term = m.surrogate(torch.rand(5))
    assert float(term.detach()) == 0.0 and term.requires_grad
    assert int(m.num_updates) == 1


def test_reinforce_contract_errors() -> None:
    m = ReinforceBernoulli(3)
    with pytest.raises(RuntimeError, match="preceding forward"):
        m.surrogate(torch.zeros(4))
    m(torch.randn(4, 3))
    with pytest.raises(ConfigError, match=r"shape \(batch,\)"):
        m.surrogate(torch.zeros(4, 1))
    with pytest.raises(ConfigError, match="num_units=3"):
        m(torch.randn(4, 2))
    with pytest.raises(UnknownNameError, match="baseline"):
        ReinforceBernoulli(3, baseline="avg")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="momentum"):
        ReinforceBernoulli(3, momentum=1.0)
    m.eval()
    a = torch.randn(4, 3)
    assert torch.equal(m(a), (a > 0).float())


def test_reinforce_state_dict_round_trip_keeps_baseline() -> None:
    m = ReinforceBernoulli(4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    m.surrogate(_toy_loss(m(A.expand(64, 4).clone())))
    fresh = ReinforceBernoulli(4, dtype=torch.float64)
    fresh.load_state_dict(m.state_dict())
    assert torch.equal(fresh.current_baseline(), m.current_baseline())
    m.reset_parameters()
    assert float(m.current_baseline().abs().sum()) == 0.0


# --------------------------------------------------------------------------- bad input


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(UnknownNameError, match="variant"):
        straight_through_bernoulli(torch.zeros(2), "tanh")  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match="variant"):
        StraightThroughBernoulli("tanh")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="noise must have the shape"):
        stochastic_times_smooth(torch.zeros(2, 3), noise=torch.zeros(3))
    with pytest.raises(TypeError, match="floating-point"):
        straight_through_bernoulli(torch.zeros(2, dtype=torch.long))
    with pytest.raises(TypeError, match="generator"):
        uniform_noise(torch.zeros(2), generator=0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="scale"):
        NoisyRectifier(scale=0.0)
    with pytest.raises(UnknownNameError, match="noise_kind"):
        NoisyRectifier("cauchy")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        StochasticTimesSmooth()([1.0])  # type: ignore[arg-type]
