"""A vectorised cart-pole in pure torch, quantised policies, and batched policy evaluation.

Used by the policy-search benchmark of PolyStep (An T. Le, "Training Non-Differentiable Networks
via Optimal Transport", 2026, arXiv 2605.01928): one-hidden-layer policies whose hidden
activations are float, int8-quantised or binary, trained by gradient-free search on the return.

* :class:`CartPole`: the classic cart-pole of Barto, Sutton & Anderson (1983) with the constants
  and termination rule of Gymnasium's ``CartPole-v1`` (force ±10 N, Euler steps of 0.02 s, the
  episode ends when |x| > 2.4 or |θ| > 12°, reward 1 per step survived), stepping any batch of
  environments at once. Gymnasium is not a dependency.
* :class:`CartPolePolicy`: ``4 → hidden → 2`` with a ``tanh`` (float), int8-quantised tanh
  (``round(127 h) / 127``) or binary (``sign``) hidden layer; the action is the argmax.
* :func:`episode_returns` rolls out one policy, or a stack of candidate parameter sets at once
  (``torch.func.vmap``), on the same seeded start states.
* :class:`CartPoleClosure`: a batched closure (negative mean return) for the optimizers of
  :mod:`nnatlas.optim`.

Deviation from Gymnasium: no ``sutton_barto_reward`` / ``render`` options; start states are drawn
from a ``torch.Generator`` instead of NumPy's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import torch
from torch import Tensor, nn
from torch.func import functional_call, vmap

from nnatlas.core.errors import UnknownNameError
from nnatlas.core.validation import check_int

__all__ = ["CartPole", "CartPoleClosure", "CartPolePolicy", "episode_returns"]

Activation = Literal["float", "int8", "binary"]
_ACTIVATIONS = ("float", "int8", "binary")


class CartPole:
    """Batched cart-pole dynamics (Gymnasium ``CartPole-v1`` constants)."""

    gravity = 9.8
    mass_cart = 1.0
    mass_pole = 0.1
    half_length = 0.5
    force_mag = 10.0
    tau = 0.02
    x_threshold = 2.4
    theta_threshold = 12 * 2 * math.pi / 360

    @staticmethod
    def reset(
        batch: tuple[int, ...], generator: torch.Generator, dtype: torch.dtype = torch.float32
    ) -> Tensor:
        """Start states ``(*batch, 4)`` uniform in ``[-0.05, 0.05]``."""
        if not isinstance(batch, tuple) or not all(
            isinstance(b, int) and not isinstance(b, bool) and b >= 0 for b in batch
        ):
            raise TypeError(f"batch must be a tuple of ints >= 0 (a batch shape); got {batch!r}")
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator; got {type(generator).__name__}")
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise ValueError(f"dtype must be a floating-point torch.dtype; got {dtype!r}")
        return (torch.rand(*batch, 4, generator=generator, dtype=torch.float64) * 0.1 - 0.05).to(
            dtype
        )

    @classmethod
    def step(cls, state: Tensor, action: Tensor) -> tuple[Tensor, Tensor]:
        """One Euler step.

        Args:
            state: ``(..., 4)`` = (x, ẋ, θ, θ̇).
            action: ``(...)`` integer 0 (push left) or 1 (push right).

        Returns:
            ``(next_state, done)`` with ``done`` True where the pole fell or the cart left.
        """
        if (
            not isinstance(state, Tensor)
            or not state.is_floating_point()
            or state.shape[-1:] != (4,)
        ):
            kind = f"{state.dtype} {tuple(state.shape)}" if isinstance(state, Tensor) else state
            raise ValueError(f"state must be a floating (..., 4) tensor (x, ẋ, θ, θ̇); got {kind}")
        if not isinstance(action, Tensor) or action.shape != state.shape[:-1]:
            got = tuple(action.shape) if isinstance(action, Tensor) else type(action).__name__
            raise ValueError(
                f"action must be a tensor of the batch shape {tuple(state.shape[:-1])}; got {got}"
            )
        x, x_dot, theta, theta_dot = state.unbind(-1)
        force = (action.to(state.dtype) * 2 - 1) * cls.force_mag
        cos, sin = torch.cos(theta), torch.sin(theta)
        total = cls.mass_cart + cls.mass_pole
        pole_ml = cls.mass_pole * cls.half_length
        temp = (force + pole_ml * theta_dot**2 * sin) / total
        theta_acc = (cls.gravity * sin - cos * temp) / (
            cls.half_length * (4.0 / 3.0 - cls.mass_pole * cos**2 / total)
        )
        x_acc = temp - pole_ml * theta_acc * cos / total
        x = x + cls.tau * x_dot
        x_dot = x_dot + cls.tau * x_acc
        theta = theta + cls.tau * theta_dot
        theta_dot = theta_dot + cls.tau * theta_acc
        nxt = torch.stack([x, x_dot, theta, theta_dot], dim=-1)
        done = (x.abs() > cls.x_threshold) | (theta.abs() > cls.theta_threshold)
        return nxt, done


class CartPolePolicy(nn.Module):
    """``4 → hidden → 2`` policy with a float, int8 or binary hidden activation.

    Args:
        hidden: hidden width.
        activation: ``"float"`` (tanh), ``"int8"`` (tanh quantised to 255 levels) or
            ``"binary"`` (sign, with sign(0) = +1).

    Shapes:
        obs: ``(..., 4)`` → action logits ``(..., 2)``.
    """

    def __init__(self, hidden: int = 16, activation: Activation = "float", *, device: Any = None,
                 dtype: torch.dtype | None = None) -> None:  # fmt: skip
        super().__init__()
        self.hidden = check_int("hidden", hidden)
        if activation not in _ACTIVATIONS:
            raise UnknownNameError("activation", activation, _ACTIVATIONS)
        self.activation = activation
        self.fc1 = nn.Linear(4, hidden, device=device, dtype=dtype)
        self.fc2 = nn.Linear(hidden, 2, device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        self.fc1.reset_parameters()
        self.fc2.reset_parameters()

    def forward(self, obs: Tensor) -> Tensor:
        if not isinstance(obs, Tensor) or not obs.is_floating_point() or obs.shape[-1:] != (4,):
            kind = f"{obs.dtype} {tuple(obs.shape)}" if isinstance(obs, Tensor) else obs
            raise ValueError(f"obs must be a floating (..., 4) tensor of observations; got {kind}")
        h = torch.tanh(self.fc1(obs))
        if self.activation == "int8":
            h = torch.round(h * 127) / 127
        elif self.activation == "binary":
            h = torch.where(h >= 0, torch.ones_like(h), -torch.ones_like(h))
        return self.fc2(h)

    def extra_repr(self) -> str:
        return f"hidden={self.hidden}, activation={self.activation!r}"


@torch.no_grad()
def episode_returns(
    policy: nn.Module,
    *,
    episodes: int,
    max_steps: int = 500,
    seed: int = 0,
    params: dict[str, Tensor] | None = None,
) -> Tensor:
    """Returns (steps survived) of ``episodes`` rollouts from seeded start states.

    Args:
        policy: maps observations ``(..., 4)`` to logits ``(..., 2)``.
        episodes: rollouts per policy.
        max_steps: episode cap (500 in ``CartPole-v1``).
        seed: seed of the start states (identical for every candidate: common random numbers).
        params: optional candidate parameters, each ``(N, *shape)``, replacing the policy's
            own; then all N candidates are rolled out together with ``vmap``.

    Returns:
        ``(episodes,)`` or, with ``params``, ``(N, episodes)`` float returns.
    """
    if not isinstance(policy, nn.Module):
        raise TypeError(f"policy must be a torch.nn.Module; got {type(policy).__name__}")
    check_int("episodes", episodes)
    check_int("max_steps", max_steps)
    g = torch.Generator().manual_seed(seed)
    dtype = next(policy.parameters()).dtype
    if params is None:
        state = CartPole.reset((episodes,), g, dtype)

        def act(s: Tensor) -> Tensor:
            return policy(s).argmax(-1)
    else:
        n = next(iter(params.values())).shape[0]
        state = CartPole.reset((episodes,), g, dtype).expand(n, episodes, 4).clone()
        batched = vmap(lambda p, s: functional_call(policy, p, (s,)))

        def act(s: Tensor) -> Tensor:
            return batched(params, s).argmax(-1)

    alive = torch.ones(state.shape[:-1], dtype=torch.bool)
    total = torch.zeros(state.shape[:-1], dtype=dtype)
    for _ in range(max_steps):
        state, done = CartPole.step(state, act(state))
        # Gymnasium counts the reward of the step on which the episode ends.
        total += alive.to(dtype)
        alive &= ~done
        if not bool(alive.any()):
            break
    return total


class CartPoleClosure:
    """Batched closure: negative mean return of the policy (or of candidate parameters).

    Args:
        policy: the policy module being optimised.
        episodes, max_steps, seed: as in :func:`episode_returns` (fixed start states).
    """

    def __init__(
        self, policy: nn.Module, *, episodes: int = 8, max_steps: int = 500, seed: int = 0
    ) -> None:
        if not isinstance(policy, nn.Module):
            raise TypeError(f"policy must be a torch.nn.Module; got {type(policy).__name__}")
        self.policy = policy
        self.episodes = check_int("episodes", episodes)
        self.max_steps = check_int("max_steps", max_steps)
        self.seed = seed
        self._names = {id(p): n for n, p in policy.named_parameters()}

    def __call__(self) -> Tensor:
        r = episode_returns(
            self.policy, episodes=self.episodes, max_steps=self.max_steps, seed=self.seed
        )
        return -r.mean()

    def evaluate_batch(self, params: Sequence[Tensor], values: Sequence[Tensor]) -> Tensor:
        """Negative mean returns ``(N,)`` of candidate parameter stacks."""
        try:
            names = [self._names[id(p)] for p in params]
        except KeyError:
            raise ValueError(
                "CartPoleClosure: every optimised tensor must belong to the policy"
            ) from None
        n = values[0].shape[0]
        stacked = {
            k: v.detach()[None].expand(n, *v.shape) for k, v in self.policy.named_parameters()
        }
        stacked.update(zip(names, values, strict=True))
        r = episode_returns(
            self.policy,
            episodes=self.episodes,
            max_steps=self.max_steps,
            seed=self.seed,
            params=stacked,
        )
        return -r.mean(dim=1)
