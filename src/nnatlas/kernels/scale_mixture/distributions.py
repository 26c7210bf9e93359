"""Distributions of the scale mixture: the inverse-gamma prior on σ² and the predictives.

Part of :mod:`nnatlas.kernels.scale_mixture` (*Scale Mixtures of Neural Network Gaussian
Processes*, Lee, Yun, Yang, Lee, ICLR 2022, arXiv 2107.01408).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int

__all__ = [
    "DEFAULT_PRIOR",
    "GaussianPredictive",
    "InverseGamma",
    "ScaleMixturePredictive",
    "StudentTPredictive",
]

_LOG_2PI = math.log(2.0 * math.pi)


class InverseGamma(NamedTuple):
    """The inverse-gamma prior ``InvGamma(alpha, beta)`` on the last-layer variance σ².

    Density ``∝ (σ²)^(−alpha−1) exp(−beta/σ²)``; mean ``beta/(alpha−1)`` for ``alpha > 1``.
    """

    alpha: float
    beta: float

    def validate(self) -> InverseGamma:
        """Return ``self`` if ``alpha`` and ``beta`` are finite numbers > 0; else raise."""
        for name, value in (("alpha", self.alpha), ("beta", self.beta)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ConfigError(f"InverseGamma {name} must be a finite number > 0; got {value!r}")
        return self

    def sample(self, num: int, *, generator: torch.Generator | None = None) -> Tensor:
        """``num`` draws of σ² (float64), as ``beta / Gamma(alpha, 1)``."""
        self.validate()
        check_int("num", num)
        gamma = _gamma_sample(self.alpha, num, generator)
        return self.beta / gamma


def _gamma_sample(alpha: float, num: int, generator: torch.Generator | None) -> Tensor:
    # torch's Gamma sampler takes no generator; transform seeded uniforms through scipy-free
    # Marsaglia–Tsang instead, so that a generator gives reproducible draws.
    boost = alpha < 1.0
    a = alpha + 1.0 if boost else alpha
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    out = torch.empty(0, dtype=torch.float64)
    while out.numel() < num:
        m = 2 * (num - out.numel()) + 16
        z = torch.randn(m, generator=generator, dtype=torch.float64)
        u = torch.rand(m, generator=generator, dtype=torch.float64)
        v = (1.0 + c * z) ** 3
        ok = (v > 0) & (torch.log(u) < 0.5 * z**2 + d - d * v + d * torch.log(v.clamp_min(1e-300)))
        out = torch.cat([out, (d * v)[ok]])
    out = out[:num]
    if boost:
        u = torch.rand(num, generator=generator, dtype=torch.float64)
        out = out * u ** (1.0 / alpha)
    return out


class GaussianPredictive(NamedTuple):
    """Per-point Gaussian predictive: ``mean`` and ``std``, each ``(m,)`` or ``(m, k)``."""

    mean: Tensor
    std: Tensor

    def log_prob(self, y: Tensor) -> Tensor:
        """Log density of targets ``y`` (shape of ``mean``), elementwise."""
        z = (y - self.mean) / self.std
        return -0.5 * z**2 - torch.log(self.std) - 0.5 * _LOG_2PI


class StudentTPredictive(NamedTuple):
    """Per-point Student-t predictive: location ``mean``, ``scale`` and degrees of freedom ``df``.

    ``mean`` and ``scale`` are ``(m,)`` or ``(m, k)``; the variance is ``scale² df/(df − 2)``.
    """

    mean: Tensor
    scale: Tensor
    df: float

    def log_prob(self, y: Tensor) -> Tensor:
        """Log density of targets ``y`` (shape of ``mean``), elementwise."""
        nu = self.df
        z2 = ((y - self.mean) / self.scale) ** 2
        return (
            math.lgamma((nu + 1) / 2)
            - math.lgamma(nu / 2)
            - 0.5 * math.log(nu * math.pi)
            - torch.log(self.scale)
            - (nu + 1) / 2 * torch.log1p(z2 / nu)
        )

    @property
    def variance(self) -> Tensor:
        if self.df <= 2:
            return torch.full_like(self.scale, math.inf)
        return self.scale**2 * self.df / (self.df - 2)


class ScaleMixturePredictive(NamedTuple):
    """A finite mixture of Gaussian predictives sharing a mean, from weighted σ² samples.

    Attributes:
        mean: ``(m,)`` or ``(m, k)`` predictive mean (the same for every component).
        unit_std: the predictive standard deviation at σ² = 1, shape of ``mean``.
        scales: ``(s,)`` the σ² samples.
        log_weights: ``(s,)`` normalised log importance weights (``logsumexp = 0``).
    """

    mean: Tensor
    unit_std: Tensor
    scales: Tensor
    log_weights: Tensor

    def log_prob(self, y: Tensor) -> Tensor:
        """Log density of targets ``y`` (shape of ``mean``) under the mixture, elementwise."""
        shape = (-1,) + (1,) * self.mean.dim()
        std = self.unit_std * self.scales.sqrt().reshape(shape)
        z = (y - self.mean) / std
        comp = -0.5 * z**2 - torch.log(std) - 0.5 * _LOG_2PI
        return torch.logsumexp(comp + self.log_weights.reshape(shape), dim=0)

    @property
    def effective_sample_size(self) -> float:
        return float(1.0 / torch.exp(2 * self.log_weights).sum())


#: The official regression default prior on σ² (α = β = 2).
DEFAULT_PRIOR = InverseGamma(2.0, 2.0)
