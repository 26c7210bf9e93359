"""Instance-noise likelihood for singular distributions (perturbed maximum likelihood).

Chae, Kim, Kim, Lin, "A likelihood approach to nonparametric estimation of a singular
distribution using deep generative models" (JMLR 2023, arXiv 2105.04046).

Data ``X_i ~ P_0`` concentrate on a low-dimensional structure (``P_0 = g_0 # Q``), so ``P_0``
is singular with respect to Lebesgue measure on ``R^D`` and the ordinary likelihood of the
deep generative model

    ``p_{g, σ}(y) = ∫ N(y; g(z), σ² I_D) dQ(z)``

can fail to estimate it consistently: maximizing over ``(g, σ)`` drives ``σ`` towards 0. The
paper's remedy is to perturb the data with instance noise chosen by the statistician,
``Y_i = X_i + σ ε_i`` with ``ε_i ~ N(0, I_D)``, fit ``g`` by maximum likelihood of
``p_{g, σ}`` on the ``Y_i`` with ``σ`` known, and estimate ``P_0`` by ``ĝ # Q`` (the generator's
push-forward, without the noise).

This module:

* :class:`InstanceNoiseModel`: ``p_{g, σ}`` with ``Q = N(0, I_d)`` (a standard normal latent),
  ``g`` any ``nn.Module`` ``(N, d) -> (N, D)``, ``σ`` fixed or learnable, and an optional
  Gaussian encoder ``r(z | y)`` (any ``nn.Module`` ``(N, D) -> (N, 2d)``: mean and
  log-variance). Its :meth:`~InstanceNoiseModel.log_likelihood` is the importance-sampled
  marginal likelihood ``log (1/K) Σ_k p(y | z_k) q(z_k) / r(z_k | y)``, ``z_k ~ r``, with the
  prior (``r = q``) or the encoder as proposal (an IWAE bound: below ``log p(y)`` in
  expectation, tight as ``K → ∞``); :meth:`~InstanceNoiseModel.elbo` is the VAE bound;
  :meth:`~InstanceNoiseModel.sample` draws from ``ĝ # Q`` (or from ``p_{g, σ}``).
* :func:`perturb`: ``x + σ ε``.
* :func:`fit_generative`: maximum likelihood by Adam on minibatches, with the data perturbed
  once before training (``instance_noise=σ``: the paper's perturbed MLE) or not at all
  (``instance_noise=None`` with a learnable ``σ``: the unperturbed MLE the paper argues
  against), with the importance-sampled objective (``"iwae"``) or the ELBO (``"elbo"``).
* :func:`sigma_rule`: a default noise level as a function of ``n``.

What is the paper's and what is ours. The paper's: the model ``p_{g, σ}``, the perturbation
``Y = X + σ ε`` with known ``σ``, the sieve MLE over deep ReLU generators, the estimate
``ĝ # Q``, the Wasserstein metric, and the claim that perturbation improves estimation. Ours
(the available text does not tell us how the simulations computed the intractable likelihood):
the importance-sampled and ELBO objectives, the standard normal latent, perturbing the data
once (not a fresh draw per step), Adam on minibatches, and :func:`sigma_rule`
``σ_n = scale · n^{-1/(d + 2)}`` (the paper chooses ``σ`` as a power of ``n`` whose exponent
depends on the smoothness and intrinsic dimension of ``P_0``; we did not verify its exponent,
and ``1/(d + 2)`` is our stand-in for a Lipschitz generator in ``d`` intrinsic dimensions).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive, check_real, check_tensor

__all__ = [
    "InstanceNoiseFit",
    "InstanceNoiseModel",
    "fit_generative",
    "perturb",
    "sigma_rule",
]

_LOG_2PI = math.log(2 * math.pi)
_PROPOSALS = ("auto", "prior", "encoder")
_OBJECTIVES = ("iwae", "elbo")


def _gaussian_log_prob(x: Tensor, mean: Tensor, log_var: Tensor) -> Tensor:
    """``log N(x; mean, diag(exp(log_var)))`` summed over the last dimension."""
    return -0.5 * (_LOG_2PI + log_var + (x - mean) ** 2 / log_var.exp()).sum(-1)


class InstanceNoiseModel(nn.Module):
    """The deep generative model ``p_{g, σ}(y) = ∫ N(y; g(z), σ² I) dN(z; 0, I_d)``.

    Args:
        decoder: the generator ``g``, any module mapping ``(N, latent_dim)`` to ``(N, D)``.
        latent_dim: ``d``, the latent dimension.
        sigma: the noise level ``σ > 0`` (the initial value if ``learn_sigma``).
        learn_sigma: make ``log σ`` a parameter (the unperturbed MLE baseline).
        encoder: optional proposal / variational posterior ``r(z | y) = N(μ(y), diag(exp(v(y))))``,
            a module mapping ``(N, D)`` to ``(N, 2 latent_dim)`` = ``[μ, v]``; needed for the
            ELBO and the encoder proposal.

    Example:
        >>> from nnatlas.nn.models import MLP
        >>> model = InstanceNoiseModel(MLP(1, [32], 3), 1, sigma=0.1)
        >>> model.log_likelihood(torch.randn(5, 3), num_samples=64).shape
        torch.Size([5])
    """

    def __init__(
        self,
        decoder: nn.Module,
        latent_dim: int,
        sigma: float,
        *,
        learn_sigma: bool = False,
        encoder: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(decoder, nn.Module):
            raise TypeError(f"decoder must be an nn.Module; got {type(decoder).__name__}")
        if encoder is not None and not isinstance(encoder, nn.Module):
            raise TypeError(f"encoder must be an nn.Module or None; got {type(encoder).__name__}")
        if not isinstance(learn_sigma, bool):
            raise TypeError(f"learn_sigma must be a bool; got {type(learn_sigma).__name__}")
        self.decoder = decoder
        self.encoder = encoder
        self.latent_dim = check_int("latent_dim", latent_dim)
        # sigma in the decoder's dtype: a float32 buffer would cap a float64 model's accuracy
        first = next(decoder.parameters(), None)
        dtype = first.dtype if first is not None else torch.get_default_dtype()
        device = first.device if first is not None else None
        log_sigma = torch.tensor(
            math.log(check_positive("sigma", sigma)), dtype=dtype, device=device
        )
        if learn_sigma:
            self.log_sigma = nn.Parameter(log_sigma)
        else:
            self.register_buffer("log_sigma", log_sigma)
        self.learn_sigma = learn_sigma

    def extra_repr(self) -> str:
        return (
            f"latent_dim={self.latent_dim}, sigma={self.sigma:.4g}, learn_sigma={self.learn_sigma}"
        )

    @property
    def sigma(self) -> float:
        """The current ``σ``."""
        return float(self.log_sigma.detach().exp())

    def _param(self) -> Tensor:
        return next(self.decoder.parameters(), self.log_sigma)

    def _decode(self, z: Tensor) -> Tensor:
        out = self.decoder(z)
        if not isinstance(out, Tensor) or out.dim() != 2 or out.shape[0] != z.shape[0]:
            shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise ConfigError(
                f"decoder must map (N, {self.latent_dim}) latents to (N, D); got {shape} for "
                f"input {tuple(z.shape)}"
            )
        return out

    def _check_y(self, y: Tensor) -> Tensor:
        y = check_tensor("y", y, ndim=2, nonempty=True, owner=type(self).__name__)
        return y.to(self._param().dtype)

    def encode(self, y: Tensor) -> tuple[Tensor, Tensor]:
        """The encoder's ``(mean, log_var)``, each ``(N, latent_dim)``, for ``y: (N, D)``."""
        if self.encoder is None:
            raise ConfigError("InstanceNoiseModel: encoder is None; pass encoder= to use it")
        y = self._check_y(y)
        out = self.encoder(y)
        if not isinstance(out, Tensor) or tuple(out.shape) != (y.shape[0], 2 * self.latent_dim):
            shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise ConfigError(
                f"encoder must map (N, D) to (N, 2 * latent_dim) = (N, {2 * self.latent_dim}); "
                f"got {shape}"
            )
        return out[:, : self.latent_dim], out[:, self.latent_dim :]

    def _log_weights(
        self, y: Tensor, num_samples: int, proposal: str, generator: torch.Generator | None
    ) -> Tensor:
        """``log p(y | z_k) + log q(z_k) - log r(z_k | y)`` for ``z_k ~ r``: ``(N, K)``."""
        n, d = y.shape[0], self.latent_dim
        ref = self._param()
        eps = torch.randn(n, num_samples, d, generator=generator, dtype=ref.dtype).to(ref.device)
        if proposal == "prior":
            z, log_ratio = eps, torch.zeros(n, num_samples, dtype=ref.dtype, device=ref.device)
        else:
            mean, log_var = self.encode(y)
            z = mean[:, None] + (0.5 * log_var).exp()[:, None] * eps  # reparameterized
            zero = torch.zeros((), dtype=ref.dtype, device=ref.device)
            log_ratio = _gaussian_log_prob(z, zero, zero) - _gaussian_log_prob(
                z, mean[:, None], log_var[:, None]
            )
        g = self._decode(z.reshape(n * num_samples, d))
        if g.shape[1] != y.shape[1]:
            raise ConfigError(
                f"the decoder's output dimension {g.shape[1]} differs from the data's {y.shape[1]}"
            )
        log_var_y = 2 * self.log_sigma
        log_lik = _gaussian_log_prob(y[:, None], g.reshape(n, num_samples, -1), log_var_y)
        return log_lik + log_ratio

    def _proposal(self, proposal: str) -> str:
        if proposal not in _PROPOSALS:
            raise ConfigError(f"proposal must be one of {_PROPOSALS}; got {proposal!r}")
        if proposal == "auto":
            return "prior" if self.encoder is None else "encoder"
        if proposal == "encoder" and self.encoder is None:
            raise ConfigError("proposal='encoder' needs the model's encoder (encoder=None)")
        return proposal

    def log_likelihood(
        self,
        y: Tensor,
        *,
        num_samples: int = 256,
        proposal: str = "auto",
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Importance-sampled ``log p_{g, σ}(y)``: ``logsumexp_k log w_k - log K``.

        An IWAE-type estimate: by Jensen its expectation is ``<= log p(y)``, with bias
        ``≈ -Var(w) / (2 K E[w]^2)`` and standard deviation ``≈ sqrt(Var(w) / K) / E[w]``.

        Args:
            y: ``(N, D)`` points.
            num_samples: ``K`` latent draws per point.
            proposal: ``"prior"`` (``z_k ~ N(0, I)``, weights ``N(y; g(z_k), σ² I)``),
                ``"encoder"`` (``z_k ~ r(z | y)``, reparameterized), or ``"auto"`` (the encoder
                when the model has one, else the prior).
            generator: draws the latents.

        Returns:
            ``(N,)`` estimates (differentiable in the model's parameters).
        """
        y = self._check_y(y)
        k = check_int("num_samples", num_samples)
        log_w = self._log_weights(y, k, self._proposal(proposal), generator)
        return torch.logsumexp(log_w, dim=1) - math.log(k)

    def elbo(
        self, y: Tensor, *, num_samples: int = 1, generator: torch.Generator | None = None
    ) -> Tensor:
        """The VAE evidence lower bound ``E_r[log p(y | z) + log q(z) - log r(z | y)]``.

        Monte Carlo over ``num_samples`` reparameterized draws from the encoder; its
        expectation is ``<= log p(y)``, with equality iff ``r`` is the exact posterior.

        Returns:
            ``(N,)`` estimates.
        """
        y = self._check_y(y)
        k = check_int("num_samples", num_samples)
        return self._log_weights(y, k, self._proposal("encoder"), generator).mean(dim=1)

    def sample(
        self, n: int, *, noise: bool = False, generator: torch.Generator | None = None
    ) -> Tensor:
        """``n`` draws of ``g(Z)``, ``Z ~ N(0, I_d)`` (the estimate ``ĝ # Q`` of ``P_0``).

        Args:
            n: number of samples.
            noise: add ``σ ε`` (draws from ``p_{g, σ}`` instead of ``g # Q``).
            generator: draws the latents (and the noise).

        Returns:
            ``(n, D)`` samples, without gradient.
        """
        check_int("n", n)
        if not isinstance(noise, bool):
            raise TypeError(f"noise must be a bool; got {type(noise).__name__}")
        ref = self._param()
        with torch.no_grad():
            z = torch.randn(n, self.latent_dim, generator=generator, dtype=ref.dtype).to(ref.device)
            x = self._decode(z)
            if noise:
                e = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
                x = x + self.log_sigma.exp() * e
        return x


def perturb(x: Tensor, sigma: float, *, generator: torch.Generator | None = None) -> Tensor:
    """Instance noise: ``x + σ ε``, ``ε ~ N(0, I)`` of ``x``'s shape.

    Args:
        x: ``(N, D)`` data.
        sigma: ``σ > 0``.
        generator: draws ``ε``.
    """
    x = check_tensor("x", x, ndim=2, nonempty=True, owner="perturb")
    s = check_positive("sigma", sigma)
    return x + s * torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)


def sigma_rule(n: int, intrinsic_dim: int, *, scale: float = 1.0) -> float:
    """A default instance-noise level ``σ_n = scale · n^{-1/(d + 2)}`` (our stand-in, see module doc).

    Args:
        n: the sample size.
        intrinsic_dim: ``d``, the dimension of the structure ``P_0`` lives on.
        scale: the data's length scale (e.g. its per-coordinate standard deviation).
    """
    check_int("n", n)
    d = check_int("intrinsic_dim", intrinsic_dim)
    return check_positive("scale", scale) * n ** (-1.0 / (d + 2))


@dataclass
class InstanceNoiseFit:
    """What :func:`fit_generative` measured.

    Attributes:
        losses: the mean minibatch loss (negative objective per point) of every epoch.
        sigmas: ``σ`` after every epoch (constant unless the model learns it).
        data: the (perturbed) training data the model was fitted to, ``(N, D)``.
    """

    losses: list[float] = field(default_factory=list)
    sigmas: list[float] = field(default_factory=list)
    data: Tensor | None = None


def fit_generative(
    model: InstanceNoiseModel,
    x: Tensor,
    *,
    instance_noise: float | None,
    objective: str = "iwae",
    epochs: int = 100,
    batch_size: int = 256,
    lr: float = 1e-3,
    num_samples: int = 64,
    proposal: str = "auto",
    generator: torch.Generator | None = None,
    on_epoch: Callable[[int, float, float], None] | None = None,
) -> InstanceNoiseFit:
    """Maximum likelihood of ``p_{g, σ}`` on (perturbed) data by Adam on minibatches.

    Args:
        model: the model to train in place.
        x: ``(N, D)`` data.
        instance_noise: ``σ`` of the noise added once to ``x`` before training (the paper's
            perturbed MLE, usually equal to the model's fixed ``σ``), or ``None`` for no
            perturbation (the unperturbed MLE, usually with ``learn_sigma=True``).
        objective: ``"iwae"`` (the importance-sampled marginal likelihood with ``num_samples``
            draws from ``proposal``) or ``"elbo"`` (the VAE bound, ``num_samples`` draws from
            the encoder).
        epochs: passes over the data (shuffled minibatches; the last one may be smaller).
        batch_size: points per step.
        lr: Adam learning rate.
        num_samples: latent draws per point and step.
        proposal: as in :meth:`InstanceNoiseModel.log_likelihood` (``"iwae"`` only).
        generator: draws the instance noise, the batches and the latents.
        on_epoch: called as ``on_epoch(epoch, loss, sigma)`` after every epoch.

    Returns:
        The :class:`InstanceNoiseFit`.
    """
    if not isinstance(model, InstanceNoiseModel):
        raise TypeError(f"model must be an InstanceNoiseModel; got {type(model).__name__}")
    x = check_tensor("x", x, ndim=2, nonempty=True, owner="fit_generative")
    if objective not in _OBJECTIVES:
        raise ConfigError(f"objective must be one of {_OBJECTIVES}; got {objective!r}")
    if objective == "elbo" and model.encoder is None:
        raise ConfigError("objective='elbo' needs a model with an encoder (encoder=None)")
    model._proposal(proposal)  # validate now, not after the first epoch
    check_int("epochs", epochs, low=0)
    check_int("batch_size", batch_size)
    check_real("lr", lr, low=0.0, low_open=True)
    check_int("num_samples", num_samples)
    ref = model._param()
    data = x.detach().to(device=ref.device, dtype=ref.dtype)
    if instance_noise is not None:
        data = perturb(data, instance_noise, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    result = InstanceNoiseFit(data=data)
    n = data.shape[0]
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(data.device)
        total = 0.0
        for start in range(0, n, batch_size):
            yb = data[order[start : start + batch_size]]
            if objective == "iwae":
                obj = model.log_likelihood(
                    yb, num_samples=num_samples, proposal=proposal, generator=generator
                )
            else:
                obj = model.elbo(yb, num_samples=num_samples, generator=generator)
            loss = -obj.mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * yb.shape[0]
        result.losses.append(total / n)
        result.sigmas.append(model.sigma)
        if on_epoch is not None:
            on_epoch(epoch, result.losses[-1], model.sigma)
        if not math.isfinite(result.losses[-1]):
            break
    model.eval()
    return result
