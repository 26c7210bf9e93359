"""Score estimation in diffusion models as regression with noisy labels.

Paper: "Neural Network-Based Score Estimation in Diffusion Models: Optimization and
Generalization", Yinbin Han, Meisam Razaviyayn, Renyuan Xu (arXiv 2401.15604).

Method. The forward process is the Ornstein-Uhlenbeck diffusion ``dX = -X dt + sqrt(2) dW``,
so ``X_t = alpha_t X_0 + sigma_t Z`` with ``alpha_t = exp(-t)``, ``sigma_t^2 = 1 - exp(-2t)``
(:class:`OUProcess`). Tweedie's formula writes the score of the time-``t`` marginal through
the posterior mean ``f*(t, x) = E[X_0 | X_t = x]``::

    grad log p_t(x) = -x / sigma_t^2 + (alpha_t / sigma_t^2) f*(t, x),

and the paper parametrizes the score the same way, ``s(t, x) = -x / sigma_t^2 + (alpha_t /
sigma_t^2) f(t, x)`` with a network ``f`` (:func:`parametric_score`, :class:`ParametricScore`).
With the weight ``lambda(t) = sigma_t^4 / alpha_t^2`` denoising score matching becomes
``E |f(t, X_t) - X_0|^2``: regression of the label ``X_0`` on the input ``(t, X_t)``, whose
regression function is ``f*`` and whose label noise is ``Var(X_0 | X_t)``. The same weight makes
the weighted score error equal the regression error, ``lambda(t) |s - s*|^2 = |f - f*|^2``.
Gradient descent on the noisy labels fits the noise if run to interpolation; the paper shows
that wide networks follow kernel regression with the neural tangent kernel and that early
stopping gives minimax-optimal error.

What is here:

* :class:`OUProcess` and :class:`GaussianMixture` (closed forms of every time-``t`` quantity:
  the marginal score, the posterior mean and the label-noise variance);
* :func:`denoising_pairs` (the regression data set), :func:`score_features` (the network's input
  ``(x / x_scale, t)``);
* :func:`train_denoiser`: full-batch gradient descent for any ``nn.Module`` ``f``, keeping the
  early-stopped, oracle-stopped and last (towards interpolation) states;
* :class:`KernelDenoiser`: the infinite-width view, gradient descent of NTK regression at any
  number of steps (through :func:`nnatlas.kernels.gradient_flow_mse`, one eigendecomposition);
* :func:`early_stopping_step`: the stopping rule, from the kernel's eigenvalues and the noise
  level;
* :func:`probability_flow_ode` and :func:`reverse_sde`: samplers driven by any score;
* :func:`wasserstein2_1d`: the exact 2-Wasserstein distance between two 1-D samples.

Reconstructions (ours, not read from the paper, whose body was not available to us): the
stopping rule is the local empirical kernel-complexity rule of Raskutti, Wainwright and Yu
(JMLR 2014, arXiv 1306.3574) applied to the NTK Gram matrix: with ``mu_i`` the eigenvalues of
``Theta(X, X) / n`` and the cumulative step ``eta_k = k * eta * n`` (the loss here is
``0.5 * sum (f - y)^2``), stop at the first ``k`` with ``R(1 / sqrt(eta_k)) > 1 / (2 e
noise_std eta_k)``, ``R(eps) = sqrt(mean_i min(mu_i, eps^2))``. The paper adapts an
early-stopping rule of this kind to unbounded inputs; its exact constants may differ. The
network input ``(x / x_scale, t)`` with a bias and the two-layer ReLU network in NTK
parametrization follow the paper's setting as described in its abstract (unbounded inputs, a
time input, vector outputs); the scale is our choice.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive, check_tensor
from nnatlas.kernels import KernelNetwork, gradient_flow_mse

__all__ = [
    "DenoiserTraining",
    "DenoisingData",
    "GaussianMixture",
    "KernelDenoiser",
    "OUProcess",
    "ParametricScore",
    "denoising_pairs",
    "early_stopping_step",
    "parametric_score",
    "probability_flow_ode",
    "reverse_sde",
    "score_features",
    "train_denoiser",
    "wasserstein2_1d",
]

ScoreFn = Callable[[Tensor, Tensor], Tensor]
"""A score ``(t: (n,), x: (n, d)) -> (n, d)``."""


def _tensor(name: str, value: object, ndim: int | tuple[int, ...] | None = None) -> Tensor:
    return check_tensor(name, value, ndim=ndim, nonempty=True)


def _points(name: str, x: object, dim: int | None = None) -> Tensor:
    """``x`` as ``(n, d)``; a 1-D tensor is ``n`` one-dimensional points."""
    x = _tensor(name, x, (1, 2))
    x = x.unsqueeze(1) if x.dim() == 1 else x
    if dim is not None and x.shape[1] != dim:
        raise ValueError(
            f"{name} must have {dim} coordinate(s) per point; got shape {tuple(x.shape)}"
        )
    return x


# --------------------------------------------------------------------------- forward process


@dataclass(frozen=True)
class OUProcess:
    """The Ornstein-Uhlenbeck forward process ``dX = -X dt + sqrt(2) dW`` on ``(0, horizon]``.

    ``X_t = alpha_t X_0 + sigma_t Z``, ``alpha_t = exp(-t)``, ``sigma_t^2 = 1 - exp(-2 t)``;
    its stationary law is ``N(0, I)``.

    Attributes:
        horizon: the final time ``T`` (> 0).
    """

    horizon: float = 2.0

    def __post_init__(self) -> None:
        check_positive("horizon", self.horizon)

    def check_time(self, t: object, name: str = "t") -> Tensor:
        """``t`` as a 1-D tensor of times in ``(0, horizon]``; raises naming ``name``."""
        t = _tensor(name, t, (0, 1)).reshape(-1)
        if bool((t <= 0).any()) or bool((t > self.horizon).any()):
            raise ConfigError(
                f"{name} must lie in (0, {self.horizon:g}] (the process's horizon); got values "
                f"in [{float(t.min()):g}, {float(t.max()):g}]"
            )
        return t

    def alpha(self, t: Tensor) -> Tensor:
        """``alpha_t = exp(-t)``, shape of ``t``."""
        return torch.exp(-self.check_time(t))

    def sigma(self, t: Tensor) -> Tensor:
        """``sigma_t = sqrt(1 - exp(-2t))`` (by ``expm1``, accurate for small ``t``)."""
        return torch.sqrt(-torch.expm1(-2.0 * self.check_time(t)))

    def perturb(
        self, x0: Tensor, t: Tensor, *, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """``(X_t, Z)`` with ``X_t = alpha_t x0 + sigma_t Z``; ``x0: (n, d)``, ``t: (n,)``."""
        x0 = _points("x0", x0)
        t = self.check_time(t)
        if t.shape[0] != x0.shape[0]:
            raise ValueError(f"t must have one time per point ({x0.shape[0]}); got {t.shape[0]}")
        z = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
        return self.alpha(t)[:, None] * x0 + self.sigma(t)[:, None] * z, z


def parametric_score(process: OUProcess, t: Tensor, x: Tensor, f_value: Tensor) -> Tensor:
    """The paper's score ``-x / sigma_t^2 + (alpha_t / sigma_t^2) f(t, x)`` from ``f``'s values.

    Args:
        process: the forward process.
        t: ``(n,)`` times in ``(0, T]``.
        x: ``(n, d)`` points.
        f_value: ``(n, d)`` values of ``f(t, x)`` (an estimate of ``E[X_0 | X_t = x]``).

    Returns:
        ``(n, d)`` score.
    """
    t = process.check_time(t)
    x = _points("x", x)
    f_value = _points("f_value", f_value)
    if f_value.shape != x.shape or t.shape[0] != x.shape[0]:
        raise ValueError(
            f"t, x and f_value must describe the same points: t {tuple(t.shape)}, x "
            f"{tuple(x.shape)}, f_value {tuple(f_value.shape)}"
        )
    var = -torch.expm1(-2.0 * t)[:, None].to(x.dtype)
    return (torch.exp(-t)[:, None].to(x.dtype) * f_value - x) / var


def score_features(t: Tensor, x: Tensor, *, x_scale: float = 1.0) -> Tensor:
    """The network input ``(x / x_scale, t)``: ``(n, d + 1)``."""
    x = _points("x", x)
    t = _tensor("t", t, (0, 1)).reshape(-1)
    if t.shape[0] != x.shape[0]:
        raise ValueError(f"t must have one time per point ({x.shape[0]}); got {t.shape[0]}")
    x_scale = check_positive("x_scale", x_scale)
    return torch.cat([x / x_scale, t[:, None].to(x.dtype)], dim=1)


class ParametricScore(nn.Module):
    """A score network in the paper's form around any ``net: (n, d + 1) -> (n, d)``.

    ``forward(t, x) = -x / sigma_t^2 + (alpha_t / sigma_t^2) net(score_features(t, x))``.

    Args:
        net: the denoiser ``f``, fed :func:`score_features`.
        process: the forward process.
        x_scale: the scale of ``x`` in the features.
    """

    def __init__(self, net: nn.Module, process: OUProcess, *, x_scale: float = 1.0) -> None:
        super().__init__()
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be an nn.Module; got {type(net).__name__}")
        if not isinstance(process, OUProcess):
            raise TypeError(f"process must be an OUProcess; got {type(process).__name__}")
        self.net = net
        self.process = process
        self.x_scale = check_positive("x_scale", x_scale)

    def denoise(self, t: Tensor, x: Tensor) -> Tensor:
        """``f(t, x)``: ``(n, d)``."""
        return self.net(score_features(t, x, x_scale=self.x_scale))

    def forward(self, t: Tensor, x: Tensor) -> Tensor:
        return parametric_score(self.process, t, x, self.denoise(t, x))

    def extra_repr(self) -> str:
        return f"horizon={self.process.horizon:g}, x_scale={self.x_scale:g}"


# --------------------------------------------------------------------------- Gaussian mixtures


class GaussianMixture:
    """A mixture of isotropic Gaussians ``sum_k w_k N(mu_k, s_k^2 I)`` with closed forms.

    Under the OU process the time-``t`` marginal is again a mixture, with means ``alpha_t mu_k``
    and variances ``v_k = alpha_t^2 s_k^2 + sigma_t^2``; the posterior of ``X_0`` given ``X_t = x``
    is a mixture of Gaussians with responsibilities ``r_k(x)``, means ``mu_k + (alpha_t s_k^2 /
    v_k)(x - alpha_t mu_k)`` and variances ``s_k^2 sigma_t^2 / v_k``.

    Args:
        weights: ``(K,)`` positive mixture weights (normalized here).
        means: ``(K, d)`` component means (``(K,)`` for ``d = 1``).
        stds: ``(K,)`` positive component standard deviations.
    """

    def __init__(
        self, weights: Sequence[float] | Tensor, means: Any, stds: Sequence[float] | Tensor
    ):
        w = torch.as_tensor(weights, dtype=torch.float64).reshape(-1)
        mu = torch.as_tensor(means, dtype=torch.float64)
        s = torch.as_tensor(stds, dtype=torch.float64).reshape(-1)
        mu = mu.unsqueeze(1) if mu.dim() == 1 else mu
        if mu.dim() != 2 or w.shape[0] != mu.shape[0] or s.shape[0] != mu.shape[0]:
            raise ValueError(
                "weights (K,), means (K, d) and stds (K,) must agree on K; got shapes "
                f"{tuple(w.shape)}, {tuple(mu.shape)}, {tuple(s.shape)}"
            )
        for name, v in (("weights", w), ("stds", s)):
            if not bool(torch.isfinite(v).all()) or bool((v <= 0).any()):
                raise ConfigError(f"{name} must be finite and > 0; got {v.tolist()}")
        if not bool(torch.isfinite(mu).all()):
            raise ConfigError("means must be finite")
        self.weights, self.means, self.stds = w / w.sum(), mu, s

    @property
    def dim(self) -> int:
        return int(self.means.shape[1])

    def __repr__(self) -> str:
        return f"GaussianMixture(components={self.weights.shape[0]}, dim={self.dim})"

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """``(n, d)`` float64 samples."""
        n = check_int("n", n)
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        z = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        return self.means[k] + self.stds[k, None] * z

    def _posterior(self, process: OUProcess | None, t: Tensor | None, x: Tensor):
        """Responsibilities ``(n, K)``, ``alpha (n, 1)``, marginal variances ``v (n, K)``."""
        x = _points("x", x, self.dim).to(torch.float64)
        if process is None or t is None:
            alpha = torch.ones(x.shape[0], 1, dtype=torch.float64)
            var_t = torch.zeros(x.shape[0], 1, dtype=torch.float64)
        else:
            t = process.check_time(t).to(torch.float64)
            if t.shape[0] not in (1, x.shape[0]):
                raise ValueError(f"t must have 1 or {x.shape[0]} times; got {t.shape[0]}")
            alpha = torch.exp(-t)[:, None].expand(x.shape[0], 1)
            var_t = -torch.expm1(-2.0 * t)[:, None].expand(x.shape[0], 1)
        v = alpha**2 * self.stds[None] ** 2 + var_t  # (n, K)
        diff = x[:, None, :] - alpha[:, :, None] * self.means[None]  # (n, K, d)
        logp = (
            torch.log(self.weights)[None]
            - 0.5 * (diff**2).sum(-1) / v
            - 0.5 * self.dim * torch.log(2 * math.pi * v)
        )
        return logp, alpha, v, diff

    def log_prob(
        self, x: Tensor, process: OUProcess | None = None, t: Tensor | None = None
    ) -> Tensor:
        """``log p_t(x)`` (``log p_0`` without ``process``/``t``): ``(n,)``."""
        logp = self._posterior(process, t, x)[0]
        return torch.logsumexp(logp, dim=1)

    def score(self, x: Tensor, process: OUProcess | None = None, t: Tensor | None = None) -> Tensor:
        """``grad log p_t(x)`` (of the data law without ``process``/``t``): ``(n, d)``."""
        logp, _, v, diff = self._posterior(process, t, x)
        r = torch.softmax(logp, dim=1)
        return -(r[:, :, None] * diff / v[:, :, None]).sum(1)

    def denoiser(self, process: OUProcess, t: Tensor, x: Tensor) -> Tensor:
        """The regression function ``f*(t, x) = E[X_0 | X_t = x]``: ``(n, d)``."""
        logp, alpha, v, diff = self._posterior(process, t, x)
        r = torch.softmax(logp, dim=1)
        gain = (alpha * self.stds[None] ** 2 / v)[:, :, None]
        return (r[:, :, None] * (self.means[None] + gain * diff)).sum(1)

    def label_noise(self, process: OUProcess, t: Tensor, x: Tensor) -> Tensor:
        """``tr Var(X_0 | X_t = x) / d``, the per-coordinate label-noise variance: ``(n,)``."""
        logp, alpha, v, diff = self._posterior(process, t, x)
        r = torch.softmax(logp, dim=1)
        var_t = v - alpha**2 * self.stds[None] ** 2
        cond_var = self.stds[None] ** 2 * var_t / v  # (n, K)
        gain = (alpha * self.stds[None] ** 2 / v)[:, :, None]
        m = self.means[None] + gain * diff  # (n, K, d)
        mean = (r[:, :, None] * m).sum(1, keepdim=True)
        spread = (r * ((m - mean) ** 2).sum(-1)).sum(1) / self.dim
        return (r * cond_var).sum(1) + spread

    def cdf(self, x: Tensor, process: OUProcess | None = None, t: Tensor | None = None) -> Tensor:
        """``P(X_t <= x)`` of a 1-D mixture (of the data law without ``process``/``t``): ``(n,)``."""
        if self.dim != 1:
            raise ValueError(f"cdf needs a 1-D mixture; this one has dim {self.dim}")
        _, _, v, diff = self._posterior(process, t, x)
        return (self.weights[None] * torch.special.ndtr(diff[:, :, 0] / v.sqrt())).sum(1)

    def quantile(
        self, levels: Tensor, process: OUProcess | None = None, t: float | None = None
    ) -> Tensor:
        """The quantile function of a 1-D mixture at ``levels`` in (0, 1): ``(n, 1)``.

        By bisection on :meth:`cdf` to float64 resolution (the CDF is increasing); ``t`` is one
        time shared by all levels.
        """
        u = _tensor("levels", levels, 1).to(torch.float64)
        if bool((u <= 0).any()) or bool((u >= 1).any()):
            raise ConfigError("levels must lie in (0, 1)")
        times = None
        if process is not None and t is not None:
            times = process.check_time(torch.full((u.shape[0],), float(t), dtype=torch.float64))
        if self.dim != 1:
            raise ValueError(f"quantile needs a 1-D mixture; this one has dim {self.dim}")
        # every quantile in (0, 1) lies within 40 standard deviations of some component mean
        spread = 40.0 * float(self.stds.max()) + 1.0
        lo = torch.full_like(u, float(self.means.min()) - spread)
        hi = torch.full_like(u, float(self.means.max()) + spread)
        for _ in range(80):  # 80 halvings of a < 1e4 wide bracket: below float64 spacing
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid[:, None], process, times) < u
            lo, hi = torch.where(below, mid, lo), torch.where(below, hi, mid)
        return (0.5 * (lo + hi))[:, None]

    def sample_marginal(
        self, process: OUProcess, t: float, n: int, *, generator: torch.Generator | None = None
    ) -> Tensor:
        """``(n, d)`` exact samples of ``X_t``."""
        times = process.check_time(torch.full((check_int("n", n),), float(t), dtype=torch.float64))
        return process.perturb(self.sample(n, generator=generator), times, generator=generator)[0]


# --------------------------------------------------------------------------- regression data


class DenoisingData(NamedTuple):
    """Denoising score matching as regression: input ``(t, x)``, label ``target = X_0``.

    Attributes:
        t: ``(n,)`` times.
        x: ``(n, d)`` noised points ``X_t``.
        target: ``(n, d)`` clean points ``X_0`` (the noisy labels).
    """

    t: Tensor
    x: Tensor
    target: Tensor


def denoising_pairs(
    x0: Tensor,
    process: OUProcess,
    *,
    t_min: float,
    generator: torch.Generator | None = None,
) -> DenoisingData:
    """One ``(t, X_t, X_0)`` triple per data point, ``t ~ U[t_min, T]``.

    Args:
        x0: ``(n, d)`` data (``(n,)`` for 1-D data).
        process: the forward process.
        t_min: the smallest time (> 0; the score blows up at ``t = 0``).
        generator: random generator for the times and the noise.
    """
    x0 = _points("x0", x0)
    if not isinstance(process, OUProcess):
        raise TypeError(f"process must be an OUProcess; got {type(process).__name__}")
    t_min = check_positive("t_min", t_min)
    if t_min >= process.horizon:
        raise ConfigError(f"t_min must be < the horizon {process.horizon:g}; got {t_min:g}")
    u = torch.rand(x0.shape[0], generator=generator, dtype=x0.dtype)
    t = t_min + (process.horizon - t_min) * u
    xt, _ = process.perturb(x0, t, generator=generator)
    return DenoisingData(t, xt, x0)


# --------------------------------------------------------------------------- stopping rule


def early_stopping_step(
    ntk_train: Tensor, noise_std: float, learning_rate: float, *, max_steps: int = 10**7
) -> int:
    """The kernel-complexity early-stopping step for gradient descent on ``0.5 sum (f - y)^2``.

    Raskutti-Wainwright-Yu rule (see the module docstring; our reconstruction of the paper's
    rule): the first step ``k`` with ``R(1 / sqrt(eta_k)) > 1 / (2 e noise_std eta_k)``, where
    ``eta_k = k * learning_rate * n`` and ``R(eps)^2 = mean_i min(mu_i, eps^2)`` over the
    eigenvalues ``mu_i`` of ``ntk_train / n``. Larger noise stops earlier. Written from our
    memory of RWY (their statement may stop one step earlier; not checked against their text).
    RWY assume the regression function has RKHS norm at most 1; for a target of RKHS norm
    ``r``, pass ``noise_std / r`` (the rule then stops later). On the score-estimation claim's
    labels (scale 2) the plain rule fires after a few steps, far before the oracle step.

    Args:
        ntk_train: ``(n, n)`` (symmetric) kernel Gram matrix on the training inputs.
        noise_std: the label-noise standard deviation (> 0).
        learning_rate: the gradient-descent step on the summed loss (> 0).
        max_steps: returned if the rule never fires before it.

    Returns:
        The stopping step (>= 1).
    """
    k = _tensor("ntk_train", ntk_train, 2)
    if k.shape[0] != k.shape[1]:
        raise ValueError(f"ntk_train must be square; got shape {tuple(k.shape)}")
    noise_std = check_positive("noise_std", noise_std)
    learning_rate = check_positive("learning_rate", learning_rate)
    max_steps = check_int("max_steps", max_steps)
    n = k.shape[0]
    mu = torch.linalg.eigvalsh((k + k.T).double() / (2 * n)).clamp_min(0.0)

    # the rule's two sides are monotone in eta (R(1/sqrt(eta)) decreases slower than 1/eta),
    # so bisect on the step count.
    def fired(step: int) -> bool:
        eta = step * learning_rate * n
        r = math.sqrt(float(torch.minimum(mu, torch.tensor(1.0 / eta)).mean()))
        return r > 1.0 / (2 * math.e * noise_std * eta)

    if not fired(max_steps):
        return max_steps
    lo, hi = 0, max_steps  # fired(hi) holds; fired(lo) is false by convention
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if fired(mid) else (mid, hi)
    return hi


# --------------------------------------------------------------------------- infinite width


class KernelDenoiser:
    """The infinite-width denoiser: NTK regression trained by gradient descent.

    After ``k`` steps of gradient descent with step ``learning_rate`` on ``0.5 sum |f - y|^2``
    (from ``f_0 = 0``, the mean over initializations), ``f_k(u) = Theta(u, U) A_k`` with dual
    coefficients ``A_k = Theta^-1 (I - (I - eta Theta)^k) Y``; ``k = inf`` is the interpolating
    kernel regressor. ``A_k`` comes from :func:`nnatlas.kernels.gradient_flow_mse` (with the
    identity as the test-train kernel), so every step count costs one eigendecomposition.

    Args:
        kernel: an analytic kernel network (``serial(Dense(...), ReLU(), Dense(...))``).
        data: the training regression data.
        x_scale: the feature scale (see :func:`score_features`).
        learning_rate: the step; ``None`` takes ``1 / lambda_max(Theta)``.
    """

    def __init__(
        self,
        kernel: KernelNetwork,
        data: DenoisingData,
        *,
        x_scale: float = 1.0,
        learning_rate: float | None = None,
    ) -> None:
        if not isinstance(kernel, KernelNetwork):
            raise TypeError(
                f"kernel must be a KernelNetwork (serial(...)); got {type(kernel).__name__}"
            )
        _check_data(data)
        self.kernel, self.data = kernel, data
        self.x_scale = check_positive("x_scale", x_scale)
        self.inputs = score_features(data.t, data.x, x_scale=self.x_scale)
        ntk = kernel(self.inputs).ntk
        assert ntk is not None
        self.ntk_train = ntk
        lam_max = float(torch.linalg.eigvalsh(ntk).max())
        self.learning_rate = (
            1.0 / lam_max
            if learning_rate is None
            else check_positive("learning_rate", learning_rate)
        )

    def coefficients(self, steps: float | Sequence[float]) -> Tensor:
        """Dual coefficients ``A_k``: ``(n, d)`` for one step count, ``(len, n, d)`` for several."""
        eye = torch.eye(self.ntk_train.shape[0], dtype=self.ntk_train.dtype)
        return gradient_flow_mse(
            self.ntk_train, eye, self.data.target.to(self.ntk_train.dtype), steps,
            learning_rate=self.learning_rate, discrete=True,
        )  # fmt: skip

    def cross_kernel(self, t: Tensor, x: Tensor) -> Tensor:
        """``Theta(u, U)`` between the features of ``(t, x)`` and the training inputs."""
        ntk = self.kernel(score_features(t, x, x_scale=self.x_scale), self.inputs).ntk
        assert ntk is not None
        return ntk

    def predict(self, t: Tensor, x: Tensor, steps: float | Sequence[float]) -> Tensor:
        """``f_k(t, x)``: ``(n, d)`` for one step count, ``(len, n, d)`` for several."""
        return self.cross_kernel(t, x).to(self.ntk_train.dtype) @ self.coefficients(steps)

    def stopping_step(self, noise_std: float, *, max_steps: int = 10**7) -> int:
        """:func:`early_stopping_step` on this kernel and step size."""
        return early_stopping_step(
            self.ntk_train, noise_std, self.learning_rate, max_steps=max_steps
        )

    def validation_step(self, val_data: DenoisingData, steps: Sequence[float]) -> float:
        """The step count among ``steps`` with the smallest held-out denoising loss.

        ``E |f(t, X_t) - X_0|^2 = E |f - f*|^2 + E Var(X_0 | X_t)``: on held-out noisy pairs the
        denoising loss is the error against the true ``f*`` plus a constant, so its minimizer
        estimates the oracle step without knowing ``f*``.
        """
        _check_data(val_data)
        if len(steps) == 0:
            raise ValueError("steps must list at least one step count")
        pred = self.predict(val_data.t, val_data.x, list(steps))
        loss = ((pred - val_data.target.to(pred.dtype)) ** 2).sum(-1).mean(-1)
        return float(steps[int(torch.argmin(loss))])

    def score(self, process: OUProcess, steps: float) -> ScoreFn:
        """The parametric score of ``f_k`` as a function ``(t, x) -> (n, d)`` (for sampling)."""
        coeffs = self.coefficients(steps)

        def fn(t: Tensor, x: Tensor) -> Tensor:
            f = self.cross_kernel(t, x).to(coeffs.dtype) @ coeffs
            return parametric_score(process, t, x, f.to(x.dtype))

        return fn


def _check_data(data: object) -> DenoisingData:
    if not isinstance(data, DenoisingData):
        raise TypeError(
            f"data must be a DenoisingData (see denoising_pairs); got {type(data).__name__}"
        )
    t = _tensor("data.t", data.t, 1)
    x = _tensor("data.x", data.x, 2)
    y = _tensor("data.target", data.target, 2)
    if x.shape != y.shape or t.shape[0] != x.shape[0]:
        raise ValueError(
            f"data.t (n,), data.x and data.target (n, d) must agree; got {tuple(t.shape)}, "
            f"{tuple(x.shape)}, {tuple(y.shape)}"
        )
    return data


# --------------------------------------------------------------------------- finite networks


@dataclass
class DenoiserTraining:
    """What :func:`train_denoiser` measured along the way.

    Attributes:
        steps: the evaluated step counts (0 and every ``eval_every``, and the last).
        train_loss: ``0.5 * mean |f - y|^2`` on the training data at those steps.
        eval_error: mean squared error ``mean |f - f*|^2`` on the evaluation data (empty
            without it).
        val_loss: held-out denoising loss ``mean |f - X_0|^2`` on the validation data (empty
            without it).
        rule_step: the given early-stopping step (``None`` without ``rule_step``).
        holdout_step: the evaluated step with the smallest ``val_loss``.
        oracle_step: the evaluated step with the smallest ``eval_error``.
        states: parameter snapshots ``{"rule", "holdout", "oracle", "last"}`` (those that
            apply).
    """

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    eval_error: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    rule_step: int | None = None
    holdout_step: int | None = None
    oracle_step: int | None = None
    states: dict[str, dict[str, Tensor]] = field(default_factory=dict)


def train_denoiser(
    net: nn.Module,
    data: DenoisingData,
    *,
    steps: int,
    learning_rate: float,
    x_scale: float = 1.0,
    rule_step: int | None = None,
    eval_data: DenoisingData | None = None,
    val_data: DenoisingData | None = None,
    eval_every: int = 10,
    on_log: Callable[..., None] | None = None,
) -> DenoiserTraining:
    """Full-batch gradient descent of ``net`` on the noisy-label regression.

    The loss is ``0.5 * sum_i |f(u_i) - X_0,i|^2`` (summed, the NTK convention: the function
    then moves by ``-learning_rate * Theta (f - y)`` per step, as in :class:`KernelDenoiser`).
    ``net`` ends in the last state; the early-stopped states are returned as parameter
    snapshots (``net.load_state_dict(result.states["holdout"])``): ``rule`` at a given step,
    ``holdout`` at the smallest held-out denoising loss on ``val_data`` (noisy labels; see
    :meth:`KernelDenoiser.validation_step`) and ``oracle`` at the smallest error against the
    true regression function on ``eval_data``.

    Args:
        net: any module mapping :func:`score_features` ``(n, d + 1)`` to ``(n, d)``.
        data: training data.
        steps: gradient-descent steps (the last state is the reference trained towards
            interpolation).
        learning_rate: the step on the summed loss.
        x_scale: the feature scale.
        rule_step: the early-stopping step (e.g. :func:`early_stopping_step` on the network's
            NTK); its state is kept.
        eval_data: data whose ``target`` is the true ``f*`` (not the noisy label) for the
            oracle and the recorded error.
        val_data: held-out noisy pairs (``target = X_0``) for the hold-out rule.
        eval_every: evaluation interval in steps.
        on_log: called as ``on_log(step=..., train_loss=..., [eval_error=..., val_loss=...])``
            at each evaluation.
    """
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be an nn.Module; got {type(net).__name__}")
    _check_data(data)
    steps = check_int("steps", steps)
    learning_rate = check_positive("learning_rate", learning_rate)
    eval_every = check_int("eval_every", eval_every)
    if rule_step is not None:
        rule_step = check_int("rule_step", rule_step, low=0)
    for name, extra in (("eval_data", eval_data), ("val_data", val_data)):
        if extra is not None:
            _check_data(extra)
            if extra.x.shape[1] != data.x.shape[1]:
                raise ValueError(f"{name} must have the same dimension as data")
    params = [p for p in net.parameters() if p.requires_grad]
    if not params:
        raise ValueError("net has no trainable parameters")
    dtype = params[0].dtype
    u = score_features(data.t, data.x, x_scale=x_scale).to(dtype)
    y = data.target.to(dtype)
    checks = {
        name: (score_features(d.t, d.x, x_scale=x_scale).to(dtype), d.target.to(dtype))
        for name, d in (("eval_error", eval_data), ("val_loss", val_data))
        if d is not None
    }
    out = DenoiserTraining(rule_step=rule_step)
    best = {"eval_error": math.inf, "val_loss": math.inf}
    state_of = {"eval_error": "oracle", "val_loss": "holdout"}

    def snapshot() -> dict[str, Tensor]:
        return {k: v.detach().clone() for k, v in net.state_dict().items()}

    for step in range(steps + 1):
        pred = net(u)
        if pred.shape != y.shape:
            raise ValueError(
                f"net must map (n, d + 1) features to {tuple(y.shape)}; got {tuple(pred.shape)}"
            )
        loss = 0.5 * ((pred - y) ** 2).sum()
        if step == rule_step:
            out.states["rule"] = snapshot()
        if step % eval_every == 0 or step == steps:
            out.steps.append(step)
            out.train_loss.append(float(loss.detach()) / y.shape[0])
            logged: dict[str, float] = {"train_loss": out.train_loss[-1]}
            for name, (u_check, y_check) in checks.items():
                with torch.no_grad():
                    err = float(((net(u_check) - y_check) ** 2).sum(1).mean())
                getattr(out, name).append(err)
                logged[name] = err
                if err < best[name]:
                    best[name] = err
                    setattr(out, f"{state_of[name]}_step", step)
                    out.states[state_of[name]] = snapshot()
            if on_log is not None:
                on_log(step=step, **logged)
        if step == steps:
            break
        net.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            for p in params:
                if p.grad is not None:
                    p.sub_(learning_rate * p.grad)
    out.states["last"] = snapshot()
    return out


# --------------------------------------------------------------------------- samplers


def _time_grid(process: OUProcess, t_min: float, num_steps: int) -> Tensor:
    t_min = check_positive("t_min", t_min)
    if t_min >= process.horizon:
        raise ConfigError(f"t_min must be < the horizon {process.horizon:g}; got {t_min:g}")
    num_steps = check_int("num_steps", num_steps)
    return torch.linspace(process.horizon, t_min, num_steps + 1, dtype=torch.float64)


def _check_sampler(score: object, process: object, x_init: object) -> Tensor:
    if not callable(score):
        raise TypeError(f"score must be callable (t, x) -> (n, d); got {type(score).__name__}")
    if not isinstance(process, OUProcess):
        raise TypeError(f"process must be an OUProcess; got {type(process).__name__}")
    return _points("x_init", x_init)


def _score(score: ScoreFn, t: float, x: Tensor) -> Tensor:
    s = score(torch.full((x.shape[0],), t, dtype=x.dtype), x)
    if not isinstance(s, Tensor) or s.shape != x.shape:
        got = tuple(s.shape) if isinstance(s, Tensor) else type(s).__name__
        raise ValueError(
            f"score must return a tensor of the points' shape {tuple(x.shape)}; got {got}"
        )
    return s


def probability_flow_ode(
    score: ScoreFn,
    process: OUProcess,
    x_init: Tensor,
    *,
    t_min: float = 1e-3,
    num_steps: int = 200,
) -> Tensor:
    """Integrate the probability-flow ODE ``dx/dt = -x - s(t, x)`` from ``T`` down to ``t_min``.

    Heun's method (second order) on a uniform time grid. Started from samples of ``p_T`` and
    driven by the true score, the result is distributed as ``p_{t_min}`` up to the
    discretization error.

    Args:
        score: ``(t: (n,), x: (n, d)) -> (n, d)``.
        process: the forward process.
        x_init: ``(n, d)`` starting points at time ``T`` (e.g. ``N(0, I)`` samples).
        t_min: the final time (> 0).
        num_steps: integration steps.

    Returns:
        ``(n, d)`` samples at ``t_min``.
    """
    x = _check_sampler(score, process, x_init)
    grid = _time_grid(process, t_min, num_steps).tolist()
    with torch.no_grad():
        for t0, t1 in itertools.pairwise(grid):
            h = t1 - t0  # negative: backwards in time
            d0 = -x - _score(score, t0, x)
            x_pred = x + h * d0
            d1 = -x_pred - _score(score, t1, x_pred)
            x = x + 0.5 * h * (d0 + d1)
    return x


def reverse_sde(
    score: ScoreFn,
    process: OUProcess,
    x_init: Tensor,
    *,
    t_min: float = 1e-3,
    num_steps: int = 200,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Euler-Maruyama for the reverse-time SDE ``dx = (-x - 2 s(t, x)) dt + sqrt(2) dW``.

    Integrated from ``T`` down to ``t_min``; arguments as :func:`probability_flow_ode`, plus
    the ``generator`` of the Brownian increments.
    """
    x = _check_sampler(score, process, x_init)
    grid = _time_grid(process, t_min, num_steps).tolist()
    with torch.no_grad():
        for t0, t1 in itertools.pairwise(grid):
            h = t0 - t1  # positive step size
            noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
            x = x + h * (x + 2.0 * _score(score, t0, x)) + math.sqrt(2.0 * h) * noise
    return x


# --------------------------------------------------------------------------- evaluation


def wasserstein2_1d(a: Tensor, b: Tensor) -> float:
    """Exact 2-Wasserstein distance between the empirical laws of two 1-D samples.

    In one dimension the optimal coupling is monotone, so ``W2^2 = int_0^1 (Q_a(u) - Q_b(u))^2
    du`` with the empirical quantile functions, piecewise constant between the levels ``i / n``
    and ``j / m``. Equal sizes reduce to the mean squared difference of the sorted samples.

    Args:
        a: ``(n,)`` or ``(n, 1)`` sample.
        b: ``(m,)`` or ``(m, 1)`` sample.
    """
    xs = []
    for name, v in (("a", a), ("b", b)):
        v = _tensor(name, v, (1, 2))
        if v.dim() == 2 and v.shape[1] != 1:
            raise ValueError(
                f"{name} must be a 1-D sample ((n,) or (n, 1)); got shape {tuple(v.shape)}"
            )
        xs.append(torch.sort(v.reshape(-1).double()).values)
    qa, qb = xs
    n, m = qa.shape[0], qb.shape[0]
    if n == m:
        return float(((qa - qb) ** 2).mean().sqrt())
    # merge the quantile levels (exact integer arithmetic on the common denominator n m)
    levels = torch.unique(torch.cat([torch.arange(1, n + 1) * m, torch.arange(1, m + 1) * n]))
    widths = torch.diff(levels, prepend=torch.zeros(1, dtype=levels.dtype)).double() / (n * m)
    ia = torch.div(levels - 1, m, rounding_mode="floor")  # the level interval's quantile index
    ib = torch.div(levels - 1, n, rounding_mode="floor")
    return float((widths * (qa[ia] - qb[ib]) ** 2).sum().sqrt())
