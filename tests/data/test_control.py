"""Tests of the vectorised cart-pole, the quantised policies and batched policy evaluation."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import UnknownNameError
from nnatlas.data.control import CartPole, CartPoleClosure, CartPolePolicy, episode_returns
from nnatlas.optim import OpenAIES, PolyStep


def _reference_step(s: list[float], action: int) -> list[float]:
    """Gymnasium CartPole-v1's Euler step, written out with scalars."""
    x, x_dot, th, th_dot = s
    force = 10.0 if action == 1 else -10.0
    total, ml, length = 1.1, 0.05, 0.5
    temp = (force + ml * th_dot**2 * math.sin(th)) / total
    th_acc = (9.8 * math.sin(th) - math.cos(th) * temp) / (
        length * (4 / 3 - 0.1 * math.cos(th) ** 2 / total)
    )
    x_acc = temp - ml * th_acc * math.cos(th) / total
    return [x + 0.02 * x_dot, x_dot + 0.02 * x_acc, th + 0.02 * th_dot, th_dot + 0.02 * th_acc]


def test_dynamics_match_a_scalar_reference() -> None:
    g = torch.Generator().manual_seed(0)
    state = torch.randn(6, 4, generator=g, dtype=torch.float64) * 0.3
    action = torch.tensor([0, 1, 0, 1, 1, 0])
    nxt, done = CartPole.step(state, action)
    for i in range(6):
        ref = _reference_step(state[i].tolist(), int(action[i]))
        torch.testing.assert_close(nxt[i], torch.tensor(ref, dtype=torch.float64))
        assert bool(done[i]) == (abs(ref[0]) > 2.4 or abs(ref[2]) > 12 * 2 * math.pi / 360)


def test_constant_action_falls_quickly_and_a_hand_controller_balances() -> None:
    class Push(torch.nn.Module):
        def __init__(self, weights: list[float]) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor(weights))

        def forward(self, obs: torch.Tensor) -> torch.Tensor:
            score = obs @ self.w
            return torch.stack([-score, score], dim=-1)

    always_right = episode_returns(Push([0.0, 0.0, 0.0, 0.0]), episodes=5, max_steps=500)
    assert float(always_right.max()) < 30  # argmax ties go to "left": falls within ~10 steps
    balanced = episode_returns(Push([0.0, 0.0, 1.0, 1.0]), episodes=5, max_steps=500)
    assert float(balanced.min()) > 150


def test_quantised_activations() -> None:
    torch.manual_seed(0)
    obs = torch.randn(7, 4)
    for act in ("int8", "binary"):
        p = CartPolePolicy(5, act)
        h = torch.tanh(p.fc1(obs))
        q = torch.round(h * 127) / 127 if act == "int8" else torch.where(h >= 0, 1.0, -1.0)
        torch.testing.assert_close(p(obs), p.fc2(q))
    with pytest.raises(UnknownNameError, match="activation"):
        CartPolePolicy(4, "ternary")  # type: ignore[arg-type]


def test_batched_rollouts_match_single_rollouts() -> None:
    torch.manual_seed(1)
    policy = CartPolePolicy(8, "binary")
    params = {
        n: p.detach()[None] + 0.5 * torch.randn(3, *p.shape) for n, p in policy.named_parameters()
    }
    batched = episode_returns(policy, episodes=4, max_steps=100, seed=7, params=params)
    for i in range(3):
        with torch.no_grad():
            for n, p in policy.named_parameters():
                p.copy_(params[n][i])
        single = episode_returns(policy, episodes=4, max_steps=100, seed=7)
        assert torch.equal(batched[i], single)


def test_closure_is_negative_mean_return_and_optimizers_improve_it() -> None:
    # Both need probes wide enough to leave the initial plateau (every candidate scoring the same).
    settings = (
        (PolyStep, {"probe_radius": 4.0}),
        (OpenAIES, {"sigma": 0.5, "lr": 0.1, "population_size": 20}),
    )
    for cls, kw in settings:
        torch.manual_seed(0)
        policy = CartPolePolicy(8, "float")
        closure = CartPoleClosure(policy, episodes=4, max_steps=100, seed=3)
        start = float(closure())
        assert start == -float(episode_returns(policy, episodes=4, max_steps=100, seed=3).mean())
        opt = cls(policy.parameters(), **kw)  # type: ignore[arg-type]
        for _ in range(6):
            opt.step(closure)
        assert float(closure()) < start - 10
