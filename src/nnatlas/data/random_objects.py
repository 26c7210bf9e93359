"""Simulated regressions with random-object responses (distributions, SPD matrices).

For the FCCov paper (Yuan, Wang, Yu, "Fréchet Cumulative Covariance Net for Deep Nonlinear
Sufficient Dimension Reduction with Random Objects", arXiv 2502.15374), whose simulations draw
Euclidean predictors and responses in a metric space, optionally with a fraction of outlying
responses. The models below are ours (the paper's exact simulation models are not known to us);
each returns the true sufficient predictor so that a learned reduction can be scored by its
distance correlation with it.

* :func:`distribution_response`: ``X ~ N(0, I_p)``; ``Y = N(μ, σ²)`` with
  ``μ = sin(X₁) + X₂² + τ ε₁``, ``log σ = X₃ / 2 + τ ε₂ / 2``, given by its quantile function
  ``μ + σ Φ⁻¹(u)`` on the midpoint levels ``u = (i + 1/2) / m``; sufficient predictor
  ``(sin X₁ + X₂², X₃ / 2)``.
* :func:`spd_response`: ``Y = exp([[g₁, g₂], [g₂, -g₁]] + τ E)`` (``E`` symmetric with
  standard normal entries), ``g₁ = sin X₁ + X₂² / 2``, ``g₂ = tanh(X₃ + X₄)``.

``outlier_fraction`` replaces that share of the responses (chosen at random) by objects
unrelated to ``X``: for distributions ``N(±U(15, 25), U(3, 5)²)``, for SPD matrices
``exp(5 S)`` with ``S`` a random symmetric matrix with standard normal entries. Every generator
draws from its own ``torch.Generator`` seeded with ``seed`` and computes in float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_real

__all__ = ["RandomObjectData", "distribution_response", "spd_response"]


@dataclass(frozen=True)
class RandomObjectData:
    """A sample of a regression with random-object responses.

    Attributes:
        x: ``(n, p)`` predictors.
        y: ``(n, *object_shape)`` responses (quantile functions ``(n, m)`` or SPD ``(n, r, r)``).
        predictor: ``(n, k)`` the true sufficient predictor (noise-free).
        outlier: ``(n,)`` bool, which responses were replaced by outliers.
        levels: ``(m,)`` the quantile levels for distribution responses, else ``None``.
    """

    x: Tensor
    y: Tensor
    predictor: Tensor
    outlier: Tensor
    levels: Tensor | None = None


def _common(n: int, p: int, p_min: int, noise: float, outlier_fraction: float, seed: int):
    check_int("n", n)
    check_int("p", p, low=p_min)
    check_real("noise", noise, low=0.0)
    check_real("outlier_fraction", outlier_fraction, low=0.0, high=1.0, high_open=True)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be an int >= 0; got {seed!r}")
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, p, generator=g, dtype=torch.float64)
    n_out = round(outlier_fraction * n)
    outlier = torch.zeros(n, dtype=torch.bool)
    outlier[torch.randperm(n, generator=g)[:n_out]] = True
    return g, x, outlier


def distribution_response(
    n: int,
    *,
    p: int = 10,
    levels: int = 100,
    noise: float = 0.2,
    outlier_fraction: float = 0.0,
    seed: int = 0,
) -> RandomObjectData:
    """Gaussian-distribution responses as quantile functions (see the module docstring).

    Args:
        n: sample size.
        p: predictors (``>= 3``).
        levels: quantile levels ``m``.
        noise: ``τ``, the response noise not explained by ``X``.
        outlier_fraction: share of responses replaced by outlying distributions, in ``[0, 1)``.
        seed: seed of the generator.

    Returns:
        :class:`RandomObjectData` with ``y`` of shape ``(n, levels)``.
    """
    g, x, outlier = _common(n, p, 3, noise, outlier_fraction, seed)
    m = check_int("levels", levels)
    u = (torch.arange(m, dtype=torch.float64) + 0.5) / m
    z = torch.special.ndtri(u)
    g1 = torch.sin(x[:, 0]) + x[:, 1] ** 2
    g2 = 0.5 * x[:, 2]
    eps = torch.randn(n, 2, generator=g, dtype=torch.float64)
    mu = g1 + noise * eps[:, 0]
    sigma = torch.exp(g2 + 0.5 * noise * eps[:, 1])
    k = int(outlier.sum())
    if k:
        sign = torch.where(torch.rand(k, generator=g) < 0.5, -1.0, 1.0).double()
        mu[outlier] = sign * (15 + 10 * torch.rand(k, generator=g, dtype=torch.float64))
        sigma[outlier] = 3 + 2 * torch.rand(k, generator=g, dtype=torch.float64)
    y = mu[:, None] + sigma[:, None] * z[None]
    return RandomObjectData(x, y, torch.stack([g1, g2], dim=1), outlier, u)


def _sym_exp(s: Tensor) -> Tensor:
    lam, vec = torch.linalg.eigh(s)
    return (vec * lam.exp()[..., None, :]) @ vec.transpose(-2, -1)


def spd_response(
    n: int, *, p: int = 10, noise: float = 0.1, outlier_fraction: float = 0.0, seed: int = 0
) -> RandomObjectData:
    """2×2 SPD-matrix responses (see the module docstring).

    Args:
        n: sample size.
        p: predictors (``>= 4``).
        noise: ``τ``, the scale of the symmetric noise in the matrix logarithm.
        outlier_fraction: share of responses replaced by outlying matrices, in ``[0, 1)``.
        seed: seed of the generator.

    Returns:
        :class:`RandomObjectData` with ``y`` of shape ``(n, 2, 2)``.
    """
    g, x, outlier = _common(n, p, 4, noise, outlier_fraction, seed)
    g1 = torch.sin(x[:, 0]) + 0.5 * x[:, 1] ** 2
    g2 = torch.tanh(x[:, 2] + x[:, 3])
    s = torch.stack([torch.stack([g1, g2], -1), torch.stack([g2, -g1], -1)], -2)
    e = torch.randn(n, 2, 2, generator=g, dtype=torch.float64)
    s = s + noise * (e + e.transpose(-2, -1)) / 2**0.5
    k = int(outlier.sum())
    if k:
        r = torch.randn(k, 2, 2, generator=g, dtype=torch.float64)
        s[outlier] = 5 * (r + r.transpose(-2, -1)) / 2**0.5
    y = _sym_exp(s)
    y = 0.5 * (y + y.transpose(-2, -1))
    return RandomObjectData(x, y, torch.stack([g1, g2], dim=1), outlier)
