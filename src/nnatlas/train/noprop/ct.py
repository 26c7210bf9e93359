"""NoProp-CT: one time-conditioned denoiser with a learnable noise schedule (continuous time).

Paper: Li, Teh, Pascanu, "Training Neural Networks without Back-propagation or
Forward-propagation", arXiv 2503.24322. See :mod:`nnatlas.train.noprop` for the method and the
deviations from the paper (the schedule's fixed endpoints, 20 posterior steps at inference).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.train.noprop.common import (
    EmbeddingKind,
    add_class_embedding,
    check_batch,
    check_module,
    check_time,
    initial_state,
    posterior_coefficients,
    prior_kl,
    reset_class_embedding,
    reset_modules,
    set_time_conditioning,
    time_features,
)

__all__ = ["MonotoneSchedule", "NoPropCT"]


class MonotoneSchedule(nn.Module):
    """A learnable noise schedule ᾱ(t) = σ(-γ(t)), increasing in t ∈ [0, 1] (z_0 noisiest).

    γ(t) = γ_0 + (γ_1 - γ_0) g(t) with fixed endpoints and g a normalised monotone sum of
    sigmoids, g(0) = 0, g(1) = 1 (Variational Diffusion Models use a monotone network too; ours
    fixes the endpoints).

    Args:
        gamma_0, gamma_1: γ(0) > γ(1); defaults give ᾱ(0) ≈ 4.5e-5, ᾱ(1) ≈ 0.99995.
        num_sigmoids: number of sigmoid terms in g.
    """

    def __init__(
        self,
        gamma_0: float = 10.0,
        gamma_1: float = -10.0,
        num_sigmoids: int = 8,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("num_sigmoids", num_sigmoids)
        if not gamma_0 > gamma_1:
            raise ConfigError(f"need gamma_0 > gamma_1; got {gamma_0}, {gamma_1}")
        self.gamma_0, self.gamma_1 = float(gamma_0), float(gamma_1)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.raw_linear = nn.Parameter(torch.empty((), **kw))
        self.raw_weight = nn.Parameter(torch.empty(num_sigmoids, **kw))
        self.raw_slope = nn.Parameter(torch.empty(num_sigmoids, **kw))
        self.center = nn.Parameter(torch.empty(num_sigmoids, **kw))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.raw_linear.fill_(1.0)
            self.raw_weight.fill_(-2.0)
            self.raw_slope.fill_(1.5)
            self.center.copy_(torch.linspace(0, 1, self.center.numel()))

    def _g_and_slope(self, t: Tensor) -> tuple[Tensor, Tensor]:
        lin, w = F.softplus(self.raw_linear), F.softplus(self.raw_weight)
        a = F.softplus(self.raw_slope) * 4.0
        sig = torch.sigmoid(a * (t[..., None] - self.center))
        sig0 = torch.sigmoid(a * (0 - self.center))
        sig1 = torch.sigmoid(a * (1 - self.center))
        num = lin * t + (w * (sig - sig0)).sum(-1)
        den = lin + (w * (sig1 - sig0)).sum(-1)
        dnum = lin + (w * a * sig * (1 - sig)).sum(-1)
        return num / den, dnum / den

    def gamma(self, t: Tensor) -> tuple[Tensor, Tensor]:
        """γ(t) and γ'(t) (< 0) for ``t (B,)``: two ``(B,)`` tensors."""
        g, dg = self._g_and_slope(t)
        span = self.gamma_1 - self.gamma_0
        return self.gamma_0 + span * g, span * dg

    def forward(self, t: Tensor) -> Tensor:
        """ᾱ(t) for ``t (B,)``: ``(B,)``."""
        check_time(t)
        return torch.sigmoid(-self.gamma(t)[0])

    def extra_repr(self) -> str:
        return f"gamma_0={self.gamma_0}, gamma_1={self.gamma_1}, num_sigmoids={self.center.numel()}"


class NoPropCT(nn.Module):
    """NoProp-CT: one time-conditioned denoiser with a learnable noise schedule.

    z_t ~ N(√ᾱ(t) u_y, (1 - ᾱ(t)) I) with ᾱ(t) = σ(-γ(t)) (:class:`MonotoneSchedule`); the
    network predicts u_y as softmax(net(x, [z_t, φ(t)])) @ W and is trained by
    (η / 2) SNR'(t) ‖û - u_y‖² at t ~ U(0, 1), plus the head's cross-entropy on z_1 and the KL
    of z_0, as in DT. Inference runs ``steps`` DT-style posterior steps on a uniform t grid.

    Args:
        net: maps ``(x, z_aug)`` to ``(batch, num_classes)`` logits, ``z_aug (batch, embed_dim +
            time_features)``, e.g. ``MLPBlock(d, embed_dim + time_features, num_classes)``.
        num_classes, embedding, embed_dim, prototypes: as for :class:`NoPropDT`.
        eta: η (paper: 1 for CT).
        time_features: number of sinusoidal time features (even).
        steps: inference steps (paper: 1000).
        schedule: the learnable schedule (default :class:`MonotoneSchedule`).
        device, dtype: of the parameters.

    Shape:
        - x: ``(batch, *)``; y: ``(batch,)``; ``forward(x)``: ``(batch, num_classes)`` logits.
    """

    embed: Tensor
    num_classes: int
    embed_dim: int
    embedding_kind: str
    net: nn.Module
    time_features: int
    steps: int

    def __init__(
        self,
        net: nn.Module,
        num_classes: int,
        *,
        embedding: EmbeddingKind = "onehot",
        embed_dim: int | None = None,
        prototypes: Tensor | None = None,
        eta: float = 1.0,
        time_features: int = 8,
        steps: int = 20,
        schedule: MonotoneSchedule | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        set_time_conditioning(self, num_classes, steps, time_features)
        if not eta > 0:
            raise ConfigError(f"eta must be > 0; got {eta}")
        self.eta = float(eta)
        self.net = check_module("net", net)
        if schedule is not None:
            check_module("schedule", schedule)
        kw: dict[str, Any] = {"device": device, "dtype": dtype or torch.get_default_dtype()}
        self.schedule = schedule if schedule is not None else MonotoneSchedule(**kw)
        add_class_embedding(self, num_classes, embedding, embed_dim, kw, prototypes)
        self.head = nn.Linear(self.embed_dim, num_classes, **kw)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_class_embedding(self)
        reset_modules(self.head, self.net, self.schedule)

    def _denoise(self, x: Tensor, z: Tensor, t: Tensor) -> Tensor:
        z_aug = torch.cat([z, time_features(t, self.time_features)], dim=-1)
        return self.net(x, z_aug).softmax(dim=-1) @ self.embed

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        """Denoising + head + KL loss at one t ~ U(0, 1) per example, mean over the batch."""
        check_batch(x, y, self.num_classes)
        u = self.embed[y]
        t = torch.rand(u.shape[0], device=u.device, dtype=u.dtype)
        gamma, dgamma = self.schedule.gamma(t)
        abar = torch.sigmoid(-gamma)[:, None]
        z = abar.sqrt() * u + (1 - abar).sqrt() * torch.randn_like(u)
        snr_slope = -dgamma * torch.exp(-gamma)  # d/dt SNR(t), SNR = exp(-γ)
        err = (self._denoise(x, z, t) - u).pow(2).sum(-1)
        denoise = (0.5 * self.eta * snr_slope * err).mean()
        ones = torch.ones(1, device=u.device, dtype=u.dtype)
        a1 = self.schedule(ones)
        z1 = a1.sqrt() * u + (1 - a1).sqrt() * torch.randn_like(u)
        ce = F.cross_entropy(self.head(z1), y)
        kl = prior_kl(u, self.schedule(0 * ones), self.embed_dim)
        return denoise + ce + kl

    def forward(
        self, x: Tensor, *, stochastic: bool = False, generator: torch.Generator | None = None
    ) -> Tensor:
        """Posterior steps on ``steps`` uniform intervals from z_0 to z_1; ``(B, C)`` logits.

        Deterministic by default (z_0 = 0, no noise); ``stochastic`` samples as the paper does.
        """
        kw: dict[str, Any] = {"device": self.embed.device, "dtype": self.embed.dtype}
        n = x.shape[0]
        shape = (n, self.embed_dim)
        z = initial_state(shape, stochastic=stochastic, generator=generator, factory=kw)
        ab = self.schedule(torch.linspace(0, 1, self.steps + 1, **kw))
        for k in range(1, self.steps + 1):
            a, b, c = posterior_coefficients(ab[k - 1], ab[k])
            t = torch.full((n,), (k - 1) / self.steps, **kw)
            z = a * self._denoise(x, z, t) + b * z
            if stochastic:
                z = z + c.sqrt() * torch.randn(shape, generator=generator, **kw)
        return self.head(z)

    def extra_repr(self) -> str:
        return (
            f"num_classes={self.num_classes}, embedding={self.embedding_kind!r}, "
            f"embed_dim={self.embed_dim}, eta={self.eta}, steps={self.steps}"
        )
