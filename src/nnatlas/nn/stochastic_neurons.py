"""Gradient estimators for stochastic and hard neurons (Bengio, Léonard, Courville 2013).

Paper: "Estimating or Propagating Gradients Through Stochastic Neurons for Conditional
Computation", Yoshua Bengio, Nicholas Léonard, Aaron Courville, arXiv 1308.3432.

A stochastic neuron ``h = f(a, z)`` has a differentiable pre-activation ``a`` and noise ``z``.
The paper studies four ways to train through it, all provided here as drop-in pieces:

* **Straight-through (ST)** for a binary neuron ``h = 1[u < sigm(a)]``, ``u ~ U(0, 1)``: the
  forward pass emits the Bernoulli sample; the backward pass pretends the threshold was not
  there. Two variants: ``"identity"`` (``∂L/∂a := ∂L/∂h``) and ``"sigmoid"``
  (``∂L/∂a := ∂L/∂h · sigm'(a)``, i.e. ``h = p + stopgrad(b - p)``). Biased, simple, effective.
  :class:`STBernoulliIdentity`, :class:`STBernoulliSigmoid` (``torch.autograd.Function`` s),
  :func:`straight_through_bernoulli`, :class:`StraightThroughBernoulli`.
* **Stochastic times smooth (STS)**: ``p = sigm(a)``, ``b ~ Bernoulli(√p)``, ``h = b · √p``, so
  ``E[h] = p``; backprop treats ``b`` as a constant and differentiates ``√p``. Exact zeros
  when ``b = 0``. :func:`stochastic_times_smooth`, :class:`StochasticTimesSmooth`.
* **Noisy rectifier**: ``h = max(0, a + z)``, backprop as usual. With standard logistic noise,
  ``P(h > 0) = sigm(a)`` and ``E[h] = softplus(a)``. :func:`noisy_rectifier`,
  :class:`NoisyRectifier`.
* **Unbiased (REINFORCE) estimator** for a binary neuron: ``ĝ_a = (h - p)(L - c)`` with the
  variance-minimising per-unit baseline ``c = E[(h - p)² L] / E[(h - p)²]``, both expectations
  tracked by exponential moving averages. :class:`ReinforceBernoulli` (see its docstring for the
  contract: it returns a sample with no pathwise gradient and a *surrogate* loss term that the
  caller adds to the loss).

Randomness: every function takes ``generator=`` (a ``torch.Generator``) or an explicit
``noise=`` tensor; modules hold an optional ``generator`` attribute. Nothing touches global
state except, when no generator is given, torch's default stream (as ``torch.rand`` does).

In ``eval()`` mode the modules are deterministic: they use the *median* of their noise
(``u = 1/2`` for the uniform, ``z = 0`` for the logistic/Gaussian), i.e. a binary neuron
becomes ``1[a > 0]``, STS becomes ``1[√p > 1/2] · √p`` and the noisy rectifier ``max(0, a)``.
The paper does not prescribe a test-time rule; this is our choice (it keeps hard zeros, so
test-time computation is still conditional).

Deviations from the paper: the EMA baseline is updated *after* it is used on a batch, so the
baseline applied to a sample never depends on that sample (keeps the estimator exactly
unbiased, as the paper requires of ``c``); the paper's noise for the rectifier is not
restricted to logistic, and we also offer Gaussian noise.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int, check_positive
from nnatlas.nn._checks import check_factory_dtype

__all__ = [
    "ESTIMATORS",
    "NoisyRectifier",
    "ReinforceBernoulli",
    "STBernoulliIdentity",
    "STBernoulliSigmoid",
    "StochasticTimesSmooth",
    "StraightThroughBernoulli",
    "noisy_rectifier",
    "optimal_baseline",
    "stochastic_times_smooth",
    "straight_through_bernoulli",
    "uniform_noise",
]

#: Names of the estimators, as accepted by :class:`nnatlas.nn.gated.GatedMLP`.
ESTIMATORS: tuple[str, ...] = ("st-identity", "st-sigmoid", "sts", "noisy-rectifier", "reinforce")

STVariant = Literal["identity", "sigmoid"]
NoiseKind = Literal["logistic", "gaussian"]


def _check_tensor(name: str, value: Any) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor; got dtype {value.dtype}")
    return value


def _check_generator(generator: Any) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator or None; got {type(generator).__name__}"
        )
    return generator


def uniform_noise(like: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """``U(0, 1)`` noise shaped and typed like ``like``, drawn from ``generator``.

    The draw happens on the generator's device (CPU generators work for CUDA tensors too) and
    is then moved to ``like``'s device, so a seeded CPU generator gives the same numbers
    everywhere.
    """
    _check_tensor("like", like)
    _check_generator(generator)
    device = generator.device if generator is not None else like.device
    u = torch.rand(like.shape, generator=generator, device=device, dtype=like.dtype)
    return u.to(like.device)


def _noise_or_draw(
    a: Tensor, noise: Tensor | None, generator: torch.Generator | None, name: str = "noise"
) -> Tensor:
    if noise is None:
        return uniform_noise(a, generator)
    _check_tensor(name, noise)
    if noise.shape != a.shape:
        raise ConfigError(
            f"{name} must have the shape of the pre-activation {tuple(a.shape)}; "
            f"got {tuple(noise.shape)}"
        )
    return noise.to(device=a.device, dtype=a.dtype)


# --------------------------------------------------------------------------- straight-through


def _bernoulli_threshold(a: Tensor, u: Tensor) -> Tensor:
    """``1[u < sigm(a)]`` in ``a``'s dtype, NaN where ``a`` is NaN (a comparison with NaN is
    false, which would otherwise turn a NaN pre-activation into a silent 0).

    Raises:
        TypeError / ConfigError: ``a`` or ``u`` is not a floating tensor, or their shapes differ.
    """
    _check_tensor("a", a)
    _check_tensor("u", u)
    if u.shape != a.shape:
        raise ConfigError(f"u must have the shape of a {tuple(a.shape)}; got {tuple(u.shape)}")
    p = torch.sigmoid(a)
    return torch.where(torch.isnan(p), p, (u < p).to(a.dtype))


class STBernoulliIdentity(torch.autograd.Function):
    """``h = 1[u < sigm(a)]`` forward; ``∂L/∂a := ∂L/∂h`` backward (identity straight-through).

    Call as ``STBernoulliIdentity.apply(a, u)`` with ``u ~ U(0, 1)`` of ``a``'s shape. A NaN
    pre-activation gives a NaN output (not a silent 0).
    """

    @staticmethod
    def forward(a: Tensor, u: Tensor) -> Tensor:
        return _bernoulli_threshold(a, u)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Tensor, Tensor], output: Tensor) -> None:
        pass

    @staticmethod
    def backward(ctx: Any, grad_h: Tensor) -> tuple[Tensor, None]:
        return grad_h, None


class STBernoulliSigmoid(torch.autograd.Function):
    """``h = 1[u < sigm(a)]`` forward; ``∂L/∂a := ∂L/∂h · sigm'(a)`` backward.

    This is ``h = p + stopgrad(b - p)`` with ``p = sigm(a)``. Call as
    ``STBernoulliSigmoid.apply(a, u)``. A NaN pre-activation gives a NaN output.
    """

    @staticmethod
    def forward(a: Tensor, u: Tensor) -> Tensor:
        return _bernoulli_threshold(a, u)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Tensor, Tensor], output: Tensor) -> None:
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx: Any, grad_h: Tensor) -> tuple[Tensor, None]:
        (a,) = ctx.saved_tensors
        p = torch.sigmoid(a)
        return grad_h * p * (1 - p), None


_ST_FUNCTIONS: dict[str, type[torch.autograd.Function]] = {
    "identity": STBernoulliIdentity,
    "sigmoid": STBernoulliSigmoid,
}


def straight_through_bernoulli(
    a: Tensor,
    variant: STVariant = "identity",
    *,
    generator: torch.Generator | None = None,
    noise: Tensor | None = None,
) -> Tensor:
    """Binary stochastic neuron with the straight-through gradient.

    Args:
        a: pre-activations, any shape; ``P(h = 1) = sigm(a)``.
        variant: ``"identity"`` (``∂L/∂a := ∂L/∂h``) or ``"sigmoid"`` (times ``sigm'(a)``).
        generator: source of the uniform noise (ignored when ``noise`` is given).
        noise: explicit ``U(0, 1)`` noise of ``a``'s shape (``h = 1[noise < sigm(a)]``).

    Returns:
        ``h`` in ``{0, 1}``, shape and dtype of ``a``.
    """
    _check_tensor("a", a)
    try:
        fn = _ST_FUNCTIONS[variant]
    except KeyError:
        raise UnknownNameError("straight-through variant", variant, tuple(_ST_FUNCTIONS)) from None
    u = _noise_or_draw(a, noise, generator)
    out: Tensor = fn.apply(a, u)
    return out


class StraightThroughBernoulli(nn.Module):
    """Module form of :func:`straight_through_bernoulli` (no parameters).

    Args:
        variant: ``"identity"`` or ``"sigmoid"`` (see :func:`straight_through_bernoulli`).
        generator: optional ``torch.Generator`` for the noise (an attribute you may replace).

    Shape:
        input ``(*)`` pre-activations; output ``(*)`` in ``{0, 1}``. In eval mode the output is
        the deterministic ``1[a > 0]`` (median noise), with the same straight-through backward.
    """

    def __init__(self, variant: STVariant = "identity", generator: torch.Generator | None = None):
        super().__init__()
        if variant not in _ST_FUNCTIONS:
            raise UnknownNameError("straight-through variant", variant, tuple(_ST_FUNCTIONS))
        self.variant: STVariant = variant
        self.generator = _check_generator(generator)

    def forward(self, a: Tensor) -> Tensor:
        _check_tensor("a", a)
        noise = None if self.training else torch.full_like(a, 0.5)
        return straight_through_bernoulli(a, self.variant, generator=self.generator, noise=noise)

    def on_probability(self, a: Tensor) -> Tensor:
        """``P(h ≠ 0) = sigm(a)``, differentiable (for sparsity penalties)."""
        return torch.sigmoid(a)

    def extra_repr(self) -> str:
        return f"variant={self.variant!r}"


# --------------------------------------------------------------------------- STS


def stochastic_times_smooth(
    a: Tensor, *, generator: torch.Generator | None = None, noise: Tensor | None = None
) -> Tensor:
    """Stochastic-times-smooth unit: ``h = b · √sigm(a)``, ``b ~ Bernoulli(√sigm(a))``.

    ``E[h] = sigm(a)``. The gradient flows through the smooth factor ``√sigm(a)`` only; ``b``
    is treated as a constant (noise), so ``∂h/∂a = b · sigm'(a) / (2 √sigm(a))``.

    Args:
        a: pre-activations, any shape.
        generator: source of the uniform noise (ignored when ``noise`` is given).
        noise: explicit ``U(0, 1)`` noise; ``b = 1[noise < √sigm(a)]``.

    Returns:
        ``h``, shape and dtype of ``a``, exactly zero where ``b = 0``.
    """
    _check_tensor("a", a)
    u = _noise_or_draw(a, noise, generator)
    # √sigm(a) = exp(-softplus(-a)/2) is finite with a finite gradient for very negative a.
    smooth = torch.exp(-0.5 * F.softplus(-a))
    b = (u < smooth.detach()).to(a.dtype)
    return b * smooth


class StochasticTimesSmooth(nn.Module):
    """Module form of :func:`stochastic_times_smooth` (no parameters).

    Args:
        generator: optional ``torch.Generator`` for the noise.

    Shape:
        input ``(*)``; output ``(*)``. In eval mode ``b = 1[√sigm(a) > 1/2]`` (median noise).
    """

    def __init__(self, generator: torch.Generator | None = None):
        super().__init__()
        self.generator = _check_generator(generator)

    def forward(self, a: Tensor) -> Tensor:
        _check_tensor("a", a)
        noise = None if self.training else torch.full_like(a, 0.5)
        return stochastic_times_smooth(a, generator=self.generator, noise=noise)

    def on_probability(self, a: Tensor) -> Tensor:
        """``P(h ≠ 0) = √sigm(a)``, differentiable (for sparsity penalties)."""
        return torch.exp(-0.5 * F.softplus(-a))


# --------------------------------------------------------------------------- noisy rectifier


def _noise_from_uniform(u: Tensor, kind: str) -> Tensor:
    if kind == "logistic":
        u = u.clamp(torch.finfo(u.dtype).tiny, 1 - torch.finfo(u.dtype).eps)
        return torch.log(u) - torch.log1p(-u)
    if kind == "gaussian":
        u = u.clamp(torch.finfo(u.dtype).eps, 1 - torch.finfo(u.dtype).eps)
        return torch.special.ndtri(u)
    raise UnknownNameError("noise_kind", kind, ("logistic", "gaussian"))


def noisy_rectifier(
    a: Tensor,
    *,
    noise_kind: NoiseKind = "logistic",
    scale: float = 1.0,
    generator: torch.Generator | None = None,
    noise: Tensor | None = None,
) -> Tensor:
    """Noisy rectifier ``h = max(0, a + scale · z)``, differentiated as usual.

    With ``noise_kind="logistic"`` and ``scale = 1``: ``P(h > 0) = sigm(a)`` and
    ``E[h] = softplus(a)``.

    Args:
        a: pre-activations, any shape.
        noise_kind: distribution of ``z``: standard ``"logistic"`` or ``"gaussian"``.
        scale: noise scale ``> 0``.
        generator: source of the noise (ignored when ``noise`` is given).
        noise: explicit standardised noise ``z`` of ``a``'s shape (not a uniform).

    Returns:
        ``h ≥ 0``, shape and dtype of ``a``.
    """
    _check_tensor("a", a)
    check_positive("scale", scale)
    if noise is None:
        z = _noise_from_uniform(uniform_noise(a, generator), noise_kind)
    else:
        z = _noise_or_draw(a, noise, None)
    return torch.relu(a + scale * z)


class NoisyRectifier(nn.Module):
    """Module form of :func:`noisy_rectifier` (no parameters).

    Args:
        noise_kind: ``"logistic"`` (default) or ``"gaussian"``.
        scale: noise scale ``> 0``.
        generator: optional ``torch.Generator`` for the noise.

    Shape:
        input ``(*)``; output ``(*)``. In eval mode the noise is its median, 0: ``max(0, a)``.
    """

    def __init__(
        self,
        noise_kind: NoiseKind = "logistic",
        scale: float = 1.0,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if noise_kind not in ("logistic", "gaussian"):
            raise UnknownNameError("noise_kind", noise_kind, ("logistic", "gaussian"))
        check_positive("scale", scale)
        self.noise_kind: NoiseKind = noise_kind
        self.scale = float(scale)
        self.generator = _check_generator(generator)

    def forward(self, a: Tensor) -> Tensor:
        _check_tensor("a", a)
        if not self.training:
            return torch.relu(a)
        return noisy_rectifier(
            a, noise_kind=self.noise_kind, scale=self.scale, generator=self.generator
        )

    def on_probability(self, a: Tensor) -> Tensor:
        """``P(h > 0)``: ``sigm(a / scale)`` (logistic) or ``Φ(a / scale)`` (Gaussian)."""
        if self.noise_kind == "logistic":
            return torch.sigmoid(a / self.scale)
        return torch.special.ndtr(a / self.scale)

    def extra_repr(self) -> str:
        return f"noise_kind={self.noise_kind!r}, scale={self.scale}"


# --------------------------------------------------------------------------- REINFORCE


def optimal_baseline(score: Tensor, loss: Tensor, dim: int = 0) -> Tensor:
    """Sample estimate of the variance-minimising baseline ``E[s² L] / E[s²]`` along ``dim``.

    For a single unit with score ``s = h - p`` the variance of ``s (L - c)`` is minimised by
    ``c = E[s² L] / E[s²]`` (the paper's per-unit optimal baseline).

    Args:
        score: ``s``, e.g. ``(samples, units)``.
        loss: ``L`` broadcastable to ``score``, e.g. ``(samples, 1)``.
        dim: the sample dimension averaged over.

    Returns:
        The baseline per unit (``score`` with ``dim`` removed); 0 where ``E[s²] = 0``.
    """
    _check_tensor("score", score)
    _check_tensor("loss", loss)
    if score.ndim == 0 or not isinstance(dim, int) or not -score.ndim <= dim < score.ndim:
        raise ConfigError(
            f"dim must index a dimension of score (shape {tuple(score.shape)}); got {dim!r}"
        )
    try:
        torch.broadcast_shapes(score.shape, loss.shape)
    except RuntimeError:
        raise ConfigError(
            f"loss (shape {tuple(loss.shape)}) must broadcast to score (shape {tuple(score.shape)})"
        ) from None
    s2 = score.square()
    num = (s2 * loss).mean(dim)
    den = s2.mean(dim)
    return torch.where(den > 0, num / den.clamp_min(torch.finfo(den.dtype).tiny), 0.0)


BaselineKind = Literal["optimal", "mean", "none"]


class ReinforceBernoulli(nn.Module):
    """Binary stochastic neurons trained by the unbiased REINFORCE estimator with a baseline.

    **Contract.** ``h = module(a)`` returns a Bernoulli sample ``h ~ Bernoulli(sigm(a))`` that
    carries *no* pathwise gradient (the estimator does not need ``∂L/∂h``: ``L`` may be any
    reward, even non-differentiable). In training mode the module remembers ``a`` and ``h`` of
    that call. After computing the **per-example** loss ``L`` of shape ``(batch,)``, add
    ``module.surrogate(L)`` to the scalar loss you backpropagate::

        h = neurons(a)                                  # a: (batch, units)
        per_example = F.cross_entropy(head(h), y, reduction="none")
        loss = per_example.mean() + neurons.surrogate(per_example)
        loss.backward()

    The surrogate's *value* is exactly 0 (it does not change the reported loss); its gradient
    with respect to ``a`` is ``(h - p) · (L - c) / batch`` per example and unit, the REINFORCE
    estimate of ``∂E[mean L]/∂a`` with ``p = sigm(a)``. ``L`` is detached inside, so the
    surrogate never sends gradient into the loss itself. Call ``surrogate`` once per forward.

    **Baseline.** ``"optimal"`` (the paper's): per unit ``c_i = E[(h_i - p_i)² L] /
    E[(h_i - p_i)²]``, numerator and denominator tracked by exponential moving averages with
    ``momentum`` (bias correction cancels in the ratio). ``"mean"``: one scalar EMA of ``L``.
    ``"none"``: ``c = 0``. The moving averages are updated with the current batch *after* it
    has been used, so the baseline applied to a sample is independent of it and the estimator
    stays unbiased. Until the first update the baseline is 0.

    Args:
        num_units: size of the last dimension of ``a`` (one baseline per unit).
        baseline: ``"optimal"``, ``"mean"`` or ``"none"``.
        momentum: EMA decay in ``[0, 1)``; the new batch gets weight ``1 - momentum``.
        generator: optional ``torch.Generator`` for the noise.
        device, dtype: of the baseline buffers.

    Shape:
        input ``a``: ``(batch, *, num_units)``; output ``h``: same shape, in ``{0, 1}``. In
        eval mode ``h = 1[a > 0]`` (median noise) and nothing is remembered.
    """

    score_sq_loss: Tensor
    score_sq: Tensor
    loss_mean: Tensor
    num_updates: Tensor

    def __init__(
        self,
        num_units: int,
        baseline: BaselineKind = "optimal",
        momentum: float = 0.9,
        generator: torch.Generator | None = None,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        check_factory_dtype(dtype)
        super().__init__()
        check_int("num_units", num_units)
        if baseline not in ("optimal", "mean", "none"):
            raise UnknownNameError("baseline", baseline, ("optimal", "mean", "none"))
        if not isinstance(momentum, int | float) or isinstance(momentum, bool):
            raise TypeError(f"momentum must be a number; got {type(momentum).__name__}")
        if not 0 <= momentum < 1:
            raise ConfigError(f"momentum must be in [0, 1); got {momentum}")
        self.num_units = num_units
        self.baseline: BaselineKind = baseline
        self.momentum = float(momentum)
        self.generator = _check_generator(generator)
        factory = {"device": device, "dtype": dtype}
        self.register_buffer("score_sq_loss", torch.zeros(num_units, **factory))  # type: ignore[arg-type]
        self.register_buffer("score_sq", torch.zeros(num_units, **factory))  # type: ignore[arg-type]
        self.register_buffer("loss_mean", torch.zeros((), **factory))  # type: ignore[arg-type]
        self.register_buffer("num_updates", torch.zeros((), dtype=torch.long, device=device))
        self._last: tuple[Tensor, Tensor] | None = None

    def reset_parameters(self) -> None:
        """Reset the baseline statistics (there are no trainable parameters)."""
        for buf in (self.score_sq_loss, self.score_sq, self.loss_mean, self.num_updates):
            buf.zero_()
        self._last = None

    def forward(self, a: Tensor) -> Tensor:
        _check_tensor("a", a)
        if a.dim() < 2 or a.shape[-1] != self.num_units:
            raise ConfigError(
                f"a must have shape (batch, ..., num_units={self.num_units}); got {tuple(a.shape)}"
            )
        if not self.training:
            self._last = None
            return (a > 0).to(a.dtype)
        u = uniform_noise(a, self.generator)
        h = (u < torch.sigmoid(a.detach())).to(a.dtype)
        self._last = (a, h)
        return h

    def current_baseline(self) -> Tensor:
        """The baseline per unit that the next :meth:`surrogate` call will use, ``(num_units,)``."""
        if self.baseline == "none":
            return torch.zeros_like(self.score_sq)
        if self.baseline == "mean":
            return self.loss_mean.expand_as(self.score_sq).clone()
        den = self.score_sq
        return torch.where(den > 0, self.score_sq_loss / den.clamp_min(1e-30), 0.0)

    def surrogate(self, loss: Tensor) -> Tensor:
        """The term to add to the loss; its value is 0, its gradient the REINFORCE estimate.

        Args:
            loss: per-example loss (or negative reward) of the last forward's batch,
                ``(batch,)``; detached inside.

        Returns:
            A scalar whose gradient w.r.t. the last forward's ``a`` is
            ``(h - p)(L - c) / batch``. Also updates the baseline statistics (after use).

        Raises:
            RuntimeError: if no training-mode forward preceded this call.
            ConfigError: if ``loss`` is not ``(batch,)``.
        """
        if self._last is None:
            raise RuntimeError(
                "surrogate() needs a preceding forward in training mode (and is called once "
                "per forward)"
            )
        _check_tensor("loss", loss)
        a, h = self._last
        self._last = None
        if loss.shape != (a.shape[0],):
            raise ConfigError(
                f"loss must be per-example with shape (batch,) = ({a.shape[0]},); "
                f"got {tuple(loss.shape)}"
            )
        L = loss.detach().to(a.dtype).reshape(-1, *([1] * (a.dim() - 1)))
        c = self.current_baseline().to(a.dtype)
        # log P(h | a) for a Bernoulli(sigm(a)); its a-gradient is h - sigm(a).
        log_prob = -F.binary_cross_entropy_with_logits(a, h, reduction="none")
        weighted = log_prob * (L - c)
        term = weighted - weighted.detach()
        self._update(h - torch.sigmoid(a.detach()), L.expand_as(h))
        return term.sum() / a.shape[0]

    @torch.no_grad()
    def _update(self, score: Tensor, L: Tensor) -> None:
        s2 = score.square().reshape(-1, self.num_units)
        flat_l = L.reshape(-1, self.num_units)
        m = self.momentum
        self.score_sq_loss.mul_(m).add_((s2 * flat_l).mean(0).to(self.score_sq_loss), alpha=1 - m)
        self.score_sq.mul_(m).add_(s2.mean(0).to(self.score_sq), alpha=1 - m)
        self.loss_mean.mul_(m).add_(flat_l[:, 0].mean().to(self.loss_mean), alpha=1 - m)
        self.num_updates.add_(1)

    def on_probability(self, a: Tensor) -> Tensor:
        """``P(h = 1) = sigm(a)``, differentiable (for sparsity penalties)."""
        return torch.sigmoid(a)

    def extra_repr(self) -> str:
        return f"num_units={self.num_units}, baseline={self.baseline!r}, momentum={self.momentum}"
