"""Evolution-strategy baselines in the ``torch.optim`` protocol: OpenAI-ES and SPSA.

* :class:`OpenAIES`: Salimans, Ho, Chen, Sidor, Sutskever, "Evolution Strategies as a Scalable
  Alternative to Reinforcement Learning" (2017), arXiv 1703.03864. Antithetic Gaussian
  perturbations θ ± σ ε, fitness shaped by centred ranks in ``[-0.5, 0.5]``, the gradient
  estimate ``Σ u_i ε_i / (n σ)`` fed to Adam (the paper's choice) or to SGD with momentum, plus
  optional L2 weight decay.
* :class:`SPSA`: Spall, "Multivariate stochastic approximation using a simultaneous perturbation
  gradient approximation" (IEEE TAC 1992). Rademacher perturbations Δ, the two-sided estimate
  ``(L(θ + c_k Δ) - L(θ - c_k Δ)) / (2 c_k) Δ``, gains ``a_k = a / (k + 1 + A)^α`` and
  ``c_k = c / (k + 1)^γ`` with Spall's α = 0.602, γ = 0.101; ``num_perturbations`` estimates
  are averaged per step.

Both score their candidates through the same contract as :class:`nnatlas.optim.PolyStep`: a
plain closure (one call per candidate) or a batched closure with ``evaluate_batch`` (one
vectorised call). All randomness comes from the optimizer's own generator (``seed``), whose
state is saved in ``state_dict``. Deviations: OpenAI-ES here has no virtual batch norm, no
observation normalisation and no noise table (those belong to the RL setting); the whole
population is evaluated on the same minibatch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

import torch
from torch import Tensor
from torch.optim import Optimizer

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int
from nnatlas.optim._batched import evaluate_candidates, flat_to_values
from nnatlas.optim._checks import check_floating_groups, check_params, check_real

__all__ = ["SPSA", "OpenAIES", "centered_ranks"]


def centered_ranks(x: Tensor) -> Tensor:
    """Ranks of ``x`` mapped linearly onto ``[-0.5, 0.5]`` (ties broken by position).

    Args:
        x: ``(n,)`` finite real values (n ≥ 2; any shape is flattened).

    Returns:
        ``(n,)`` float64: the smallest value gets -0.5, the largest +0.5.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor; got {type(x).__name__}")
    if x.is_complex() or x.dtype == torch.bool:
        raise TypeError(f"x must hold real numbers to rank; got dtype {x.dtype}")
    n = x.numel()
    if n < 2:
        raise ValueError(f"x must hold at least 2 values to rank; got {n}")
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ValueError("x holds NaN or infinite values; they have no rank")
    ranks = torch.empty(n, dtype=torch.float64)
    ranks[torch.argsort(x.reshape(-1), stable=True)] = torch.arange(n, dtype=torch.float64)
    return ranks / (n - 1) - 0.5


class _GradientFree(Optimizer):
    """Shared plumbing: flat view of all parameters, own generator, candidate evaluation."""

    def _setup(self, seed: int, max_batch: int | None) -> None:
        check_int("seed", seed, low=0)
        if max_batch is not None:
            check_int("max_batch", max_batch)
        self.max_batch = max_batch
        self.seed = seed
        check_floating_groups(self.param_groups, type(self).__name__)
        head = self._head
        head["step"] = torch.tensor(0)
        head["evaluations"] = torch.tensor(0)
        head["rng_state"] = torch.Generator().manual_seed(seed).get_state()

    @property
    def _params(self) -> list[Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    @property
    def _head(self) -> dict[str, Any]:
        return self.state[self.param_groups[0]["params"][0]]

    def _generator(self) -> torch.Generator:
        g = torch.Generator()
        g.set_state(self._head["rng_state"].to(torch.uint8))
        return g

    def _group_slices(self, key: str) -> Tensor:
        """A flat ``(D,)`` vector holding each group's value of hyperparameter ``key``."""
        p0 = self._params[0]
        return torch.cat(
            [
                torch.full((sum(p.numel() for p in g["params"]),), float(g[key]), dtype=p0.dtype)
                for g in self.param_groups
            ]
        )

    def _flat(self) -> Tensor:
        return torch.cat([p.detach().reshape(-1) for p in self._params])

    def _evaluate(self, closure: Callable[[], Any], flat: Tensor) -> Tensor:
        params = self._params
        chunk = self.max_batch or flat.shape[0]
        parts = [
            evaluate_candidates(closure, params, flat_to_values(flat[i : i + chunk], params))
            for i in range(0, flat.shape[0], chunk)
        ]
        self._head["evaluations"] += flat.shape[0]
        return torch.cat(parts)

    def _apply(self, delta: Tensor) -> None:
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(delta[offset : offset + n].reshape(p.shape).to(p.dtype))
            offset += n

    @property
    def evaluations(self) -> int:
        """Candidate evaluations used so far."""
        return int(self._head["evaluations"])


class OpenAIES(_GradientFree):
    """OpenAI evolution strategy (antithetic sampling, centred ranks, Adam/momentum update).

    Args:
        params: tensors or param-group dicts (groups may set their own ``lr``, ``sigma``,
            ``weight_decay``; the noise is drawn jointly for all parameters).
        lr: step size of the update rule.
        sigma: perturbation scale σ.
        population_size: candidates per step (even: ``population_size / 2`` antithetic pairs).
        update: ``"adam"`` (the paper's) or ``"sgd"`` (heavy-ball ``momentum``).
        momentum: momentum of the ``"sgd"`` update.
        betas, eps: Adam's moment decay rates and denominator constant.
        weight_decay: L2 coefficient added to the estimated gradient.
        max_batch: at most this many candidates per evaluation call (``None``: all).
        seed: seed of the optimizer's own generator.

    ``step(closure)`` follows the contract of :class:`nnatlas.optim.PolyStep` (including its
    errors: a candidate loss that is NaN, infinite or not a scalar stops the step before any
    parameter moves); it returns the closure's loss at the updated parameters.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        *,
        lr: float = 0.01,
        sigma: float = 0.05,
        population_size: int = 50,
        update: Literal["adam", "sgd"] = "adam",
        momentum: float = 0.9,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        max_batch: int | None = None,
        seed: int = 0,
    ) -> None:
        params = check_params(params, "OpenAIES")
        check_int("population_size", population_size, low=2)
        if population_size % 2:
            raise ConfigError(
                f"population_size must be even (antithetic pairs); got {population_size}"
            )
        if update not in ("adam", "sgd"):
            raise UnknownNameError("update", update, ("adam", "sgd"))
        check_real("momentum", momentum, low=0.0, high=1.0, high_open=True)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2); got {betas!r}")
        for i, beta in enumerate(betas):
            check_real(f"betas[{i}]", beta, low=0.0, high=1.0, high_open=True)
        check_real("eps", eps, low=0.0, low_open=True)
        defaults = dict(lr=lr, sigma=sigma, weight_decay=weight_decay)
        super().__init__(params, defaults)
        for group in self.param_groups:  # the keyword values and any per-group override
            check_real("lr", group["lr"], low=0.0, low_open=True)
            check_real("sigma", group["sigma"], low=0.0, low_open=True)
            check_real("weight_decay", group["weight_decay"], low=0.0)
        self.population_size = population_size
        self.update = update
        self.momentum = momentum
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = eps
        self._setup(seed, max_batch)
        d = self._flat().numel()
        head = self._head
        head["exp_avg"] = torch.zeros(d, dtype=self._params[0].dtype)
        head["exp_avg_sq"] = torch.zeros(d, dtype=self._params[0].dtype)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Tensor | None:  # type: ignore[override]
        """One ES update from ``population_size`` evaluations; returns the new loss."""
        if closure is None:
            raise ValueError("OpenAIES.step needs a closure returning the loss; got None")
        head = self._head
        gen = self._generator()
        theta = self._flat()
        half = self.population_size // 2
        noise = torch.randn(half, theta.numel(), generator=gen, dtype=torch.float64).to(theta.dtype)
        sigma = self._group_slices("sigma")
        noise = torch.cat([noise, -noise])
        losses = self._evaluate(closure, theta[None] + sigma * noise)
        # Lower loss is better: rank the negated losses so high utility = good candidate.
        utility = centered_ranks(-losses).to(theta.dtype)
        grad = -(utility @ noise) / (self.population_size * sigma)
        grad = grad + self._group_slices("weight_decay") * theta
        head["step"] += 1
        t = int(head["step"])
        lr = self._group_slices("lr")
        if self.update == "adam":
            b1, b2 = self.betas
            head["exp_avg"].mul_(b1).add_(grad, alpha=1 - b1)
            head["exp_avg_sq"].mul_(b2).addcmul_(grad, grad, value=1 - b2)
            m_hat = head["exp_avg"] / (1 - b1**t)
            v_hat = head["exp_avg_sq"] / (1 - b2**t)
            delta = -lr * m_hat / (v_hat.sqrt() + self.eps)
        else:
            head["exp_avg"].mul_(self.momentum).add_(grad)
            delta = -lr * head["exp_avg"]
        self._apply(delta)
        head["rng_state"] = gen.get_state()
        loss = closure()
        return loss if isinstance(loss, Tensor) else torch.as_tensor(loss)


class SPSA(_GradientFree):
    """Simultaneous-perturbation stochastic approximation (Spall 1992).

    Args:
        params: tensors or param-group dicts (groups may set their own ``lr`` = a and
            ``perturbation`` = c).
        lr: gain numerator ``a``.
        perturbation: perturbation numerator ``c``.
        alpha, gamma: gain decay exponents (Spall's 0.602 and 0.101).
        stability: the stability constant ``A`` (often ~10 % of the expected steps).
        num_perturbations: two-sided estimates averaged per step (``2 ×`` this evaluations).
        max_step: clip each coordinate's step to this magnitude (``None``: no clipping).
        max_batch: at most this many candidates per evaluation call.
        seed: seed of the optimizer's own generator.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        *,
        lr: float = 0.1,
        perturbation: float = 0.1,
        alpha: float = 0.602,
        gamma: float = 0.101,
        stability: float = 0.0,
        num_perturbations: int = 1,
        max_step: float | None = None,
        max_batch: int | None = None,
        seed: int = 0,
    ) -> None:
        params = check_params(params, "SPSA")
        for name, value in (("alpha", alpha), ("gamma", gamma), ("stability", stability)):
            check_real(name, value, low=0.0)
        if max_step is not None:
            check_real("max_step", max_step, low=0.0, low_open=True)
        check_int("num_perturbations", num_perturbations)
        super().__init__(params, dict(lr=lr, perturbation=perturbation))
        for group in self.param_groups:  # the keyword values and any per-group override
            check_real("lr", group["lr"], low=0.0, low_open=True)
            check_real("perturbation", group["perturbation"], low=0.0, low_open=True)
        self.alpha, self.gamma, self.stability = alpha, gamma, stability
        self.num_perturbations = num_perturbations
        self.max_step = max_step
        self._setup(seed, max_batch)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Tensor | None:  # type: ignore[override]
        """One SPSA update from ``2 × num_perturbations`` evaluations; returns the new loss."""
        if closure is None:
            raise ValueError("SPSA.step needs a closure returning the loss; got None")
        head = self._head
        gen = self._generator()
        k = int(head["step"])
        theta = self._flat()
        a_k = self._group_slices("lr") / (k + 1 + self.stability) ** self.alpha
        c_k = self._group_slices("perturbation") / (k + 1) ** self.gamma
        m = self.num_perturbations
        signs = torch.randint(0, 2, (m, theta.numel()), generator=gen).to(theta.dtype) * 2 - 1
        losses = self._evaluate(
            closure, torch.cat([theta[None] + c_k * signs, theta[None] - c_k * signs])
        ).to(theta.dtype)
        diff = (losses[:m] - losses[m:])[:, None]
        grad = (diff * signs).mean(dim=0) / (2 * c_k)  # 1/Δ_i = Δ_i for Rademacher Δ
        delta = -a_k * grad
        if self.max_step is not None:
            delta = delta.clamp(-self.max_step, self.max_step)
        self._apply(delta)
        head["step"] += 1
        head["rng_state"] = gen.get_state()
        loss = closure()
        return loss if isinstance(loss, Tensor) else torch.as_tensor(loss)
