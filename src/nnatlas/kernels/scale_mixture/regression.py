"""Scale-mixture regression: the Student-t process predictive, evidence and fitting.

Part of :mod:`nnatlas.kernels.scale_mixture` (*Scale Mixtures of Neural Network Gaussian
Processes*, arXiv 2107.01408): the Gaussian process the mixture mixes
(:func:`gaussian_posterior`), the closed-form inverse-gamma mixture
(:func:`student_t_posterior`, :func:`student_t_log_marginal_likelihood`), importance sampling
over any scale prior and maximum-evidence hyperparameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive
from nnatlas.kernels.scale_mixture.distributions import (
    DEFAULT_PRIOR,
    GaussianPredictive,
    InverseGamma,
    ScaleMixturePredictive,
    StudentTPredictive,
)
from nnatlas.kernels.scale_mixture.linalg import (
    as_columns,
    check_kernels,
    check_prior,
    check_scalar_or_tensor,
    conditional_moments,
    solve_kernel,
)
from nnatlas.kernels.validation import check_tensor

__all__ = [
    "RegressionFit",
    "fit_regression_hyperparameters",
    "gaussian_log_marginal_likelihood",
    "gaussian_posterior",
    "importance_sampling_posterior",
    "posterior_scale",
    "student_t_log_marginal_likelihood",
    "student_t_posterior",
]

_LOG_2PI = math.log(2.0 * math.pi)


def gaussian_posterior(
    k_train: Tensor,
    y_train: Tensor,
    k_test_train: Tensor,
    k_test_diag: Tensor,
    *,
    scale: float = 1.0,
    noise: float = 1e-2,
    include_noise: bool = True,
) -> GaussianPredictive:
    """The NNGP (fixed σ² = ``scale``) regression predictive, the Gaussian the mixture mixes.

    Model: ``f ~ GP(0, scale·K)``, ``y = f + ε``, ``ε ~ N(0, scale·noise)``.

    Args:
        k_train: ``(n, n)`` kernel of the training inputs.
        y_train: ``(n,)`` or ``(n, k)`` targets.
        k_test_train: ``(m, n)`` kernel between test and training inputs.
        k_test_diag: ``(m,)`` prior variances ``K(x*, x*)``.
        scale: the last-layer variance σ².
        noise: the noise-to-scale ratio σ_ε².
        include_noise: predict noisy targets (else the latent function).

    Returns:
        A :class:`GaussianPredictive` with mean and std shaped like ``y_train`` rows.
    """
    n = check_kernels(k_train, k_test_train, k_test_diag)
    scale, noise = check_positive("scale", scale), check_positive("noise", noise)
    y2, squeeze = as_columns(y_train, n, "y_train")
    solved = solve_kernel(k_train, y2, noise)
    mean, var = conditional_moments(solved, k_test_train, k_test_diag, noise, include_noise)
    std = (scale * var).sqrt()[:, None].expand_as(mean)
    if squeeze:
        return GaussianPredictive(mean[:, 0], std[:, 0])
    return GaussianPredictive(mean, std.contiguous())


def gaussian_log_marginal_likelihood(
    k_train: Tensor, y_train: Tensor, *, scale: float | Tensor = 1.0, noise: float | Tensor = 1e-2
) -> Tensor:
    """``log N(y; 0, scale·(K + noise·I))`` summed over output columns (differentiable).

    ``scale`` and ``noise`` may be tensors (for gradient-based fitting).
    """
    n = check_kernels(k_train)
    y2, _ = as_columns(y_train, n, "y_train")
    check_scalar_or_tensor("scale", scale)
    check_scalar_or_tensor("noise", noise)
    k = y2.shape[1]
    scale_t = torch.as_tensor(scale, dtype=torch.float64)
    c = k_train.to(torch.float64) + noise * torch.eye(n, dtype=torch.float64)
    chol = torch.linalg.cholesky(c)
    alpha = torch.cholesky_solve(y2.to(torch.float64), chol)
    quad = (y2.to(torch.float64) * alpha).sum()
    logdet = 2 * torch.log(torch.diagonal(chol)).sum()
    return -0.5 * (quad / scale_t + k * logdet + n * k * torch.log(scale_t) + n * k * _LOG_2PI)


def posterior_scale(
    k_train: Tensor, y_train: Tensor, prior: InverseGamma, *, noise: float = 1e-2
) -> InverseGamma:
    """The conjugate posterior of σ²: ``InvGamma(a + nk/2, b + q/2)`` with ``q = Σ yᵀC⁻¹y``."""
    n = check_kernels(k_train)
    check_prior(prior)
    y2, _ = as_columns(y_train, n, "y_train")
    solved = solve_kernel(k_train, y2, check_positive("noise", noise))
    return InverseGamma(
        prior.alpha + n * y2.shape[1] / 2, prior.beta + float(solved.quad.sum()) / 2
    )


def student_t_posterior(
    k_train: Tensor,
    y_train: Tensor,
    k_test_train: Tensor,
    k_test_diag: Tensor,
    *,
    prior: InverseGamma = DEFAULT_PRIOR,
    noise: float = 1e-2,
    include_noise: bool = True,
) -> StudentTPredictive:
    """Closed-form Student-t process predictive of the inverse-gamma scale mixture.

    Model: ``σ² ~ InvGamma(a, b)``, ``f | σ² ~ GP(0, σ² K)``, ``y = f + ε``,
    ``ε | σ² ~ N(0, σ² noise)``. Args as in :func:`gaussian_posterior`, with ``prior`` the
    inverse-gamma prior of σ².

    Returns:
        A :class:`StudentTPredictive` with ``df = 2a + n·k`` (``k`` output columns).
    """
    n = check_kernels(k_train, k_test_train, k_test_diag)
    check_prior(prior)
    noise = check_positive("noise", noise)
    y2, squeeze = as_columns(y_train, n, "y_train")
    solved = solve_kernel(k_train, y2, noise)
    mean, var = conditional_moments(solved, k_test_train, k_test_diag, noise, include_noise)
    nk = n * y2.shape[1]
    df = 2 * prior.alpha + nk
    scale2 = (2 * prior.beta + solved.quad.sum()) / df * var
    scale = scale2.sqrt()[:, None].expand_as(mean)
    if squeeze:
        return StudentTPredictive(mean[:, 0], scale[:, 0], df)
    return StudentTPredictive(mean, scale.contiguous(), df)


def student_t_log_marginal_likelihood(
    k_train: Tensor,
    y_train: Tensor,
    *,
    alpha: float | Tensor = 2.0,
    beta: float | Tensor = 2.0,
    noise: float | Tensor = 1e-2,
) -> Tensor:
    """``log MVT(y; 2a, 0, (b/a)(K + noise·I))``: the evidence of the scale mixture (differentiable).

    Columns of a ``(n, k)`` target share σ², so the evidence is that of the stacked ``nk``-vector
    under a block-diagonal scale matrix.
    """
    n = check_kernels(k_train)
    y2, _ = as_columns(y_train, n, "y_train")
    for name, value in (("alpha", alpha), ("beta", beta), ("noise", noise)):
        check_scalar_or_tensor(name, value)
    k = y2.shape[1]
    a = torch.as_tensor(alpha, dtype=torch.float64)
    b = torch.as_tensor(beta, dtype=torch.float64)
    c = k_train.to(torch.float64) + noise * torch.eye(n, dtype=torch.float64)
    chol = torch.linalg.cholesky(c)
    quad = (y2.to(torch.float64) * torch.cholesky_solve(y2.to(torch.float64), chol)).sum()
    logdet = 2 * torch.log(torch.diagonal(chol)).sum()
    nk = n * k
    return (
        torch.lgamma(a + nk / 2)
        - torch.lgamma(a)
        - nk / 2 * torch.log(2 * math.pi * b)
        - 0.5 * k * logdet
        - (a + nk / 2) * torch.log1p(quad / (2 * b))
    )


def importance_sampling_posterior(
    k_train: Tensor,
    y_train: Tensor,
    k_test_train: Tensor,
    k_test_diag: Tensor,
    scales: Tensor,
    *,
    noise: float = 1e-2,
    include_noise: bool = True,
) -> ScaleMixturePredictive:
    """Posterior predictive of a scale mixture with any prior, by self-normalised importance sampling.

    Draw σ² from the prior (``scales``); weight each draw by its evidence
    ``N(y; 0, σ²(K + noise I))``; the predictive is the weighted mixture of the Gaussian
    predictives at those σ². With inverse-gamma draws it converges to :func:`student_t_posterior`.

    Args:
        k_train, y_train, k_test_train, k_test_diag, noise, include_noise: as in
            :func:`gaussian_posterior`.
        scales: ``(s,)`` positive samples of σ² from the prior.

    Returns:
        A :class:`ScaleMixturePredictive`.
    """
    n = check_kernels(k_train, k_test_train, k_test_diag)
    noise = check_positive("noise", noise)
    check_tensor("scales", scales)
    if scales.dim() != 1 or scales.numel() == 0 or not bool((scales > 0).all()):
        raise ValueError(
            f"scales must be a non-empty 1-D tensor of positive σ² samples; got shape {tuple(scales.shape)}"
        )
    y2, squeeze = as_columns(y_train, n, "y_train")
    solved = solve_kernel(k_train, y2, noise)
    mean, var = conditional_moments(solved, k_test_train, k_test_diag, noise, include_noise)
    s = scales.to(torch.float64)
    nk = n * y2.shape[1]
    # Only the σ²-dependent part of log N(y; 0, σ² C) matters after normalisation.
    logw = -0.5 * solved.quad.sum() / s - 0.5 * nk * torch.log(s)
    logw = logw - torch.logsumexp(logw, 0)
    unit_std = var.sqrt()[:, None].expand_as(mean)
    if squeeze:
        return ScaleMixturePredictive(mean[:, 0], unit_std[:, 0], s, logw)
    return ScaleMixturePredictive(mean, unit_std.contiguous(), s, logw)


@dataclass(frozen=True)
class RegressionFit:
    """Hyperparameters fitted by maximum evidence, and the evidence per training point.

    ``scale`` is σ² (Gaussian) or ``None``; ``alpha``/``beta`` the inverse-gamma prior
    (Student-t) or ``None``.
    """

    process: str
    noise: float
    scale: float | None
    alpha: float | None
    beta: float | None
    log_evidence_per_point: float


def fit_regression_hyperparameters(
    k_train: Tensor,
    y_train: Tensor,
    *,
    process: Literal["gaussian", "student_t"] = "student_t",
    alpha: float | None = None,
    steps: int = 200,
    lr: float = 0.05,
) -> RegressionFit:
    """Fit noise and scale (GP: σ²; t-process: ``beta``, and ``alpha`` unless given) by max evidence.

    Adam on log-parameters, started at noise 0.1, σ² = 1, ``alpha = beta = 2``.

    Args:
        k_train: ``(n, n)`` training kernel.
        y_train: ``(n,)`` or ``(n, k)`` targets.
        process: ``"gaussian"`` (the NNGP) or ``"student_t"`` (the inverse-gamma mixture).
        alpha: hold the inverse-gamma shape fixed at this value (the paper often fixes it).
        steps, lr: Adam iterations and learning rate.
    """
    if process not in ("gaussian", "student_t"):
        raise ConfigError(f"process must be 'gaussian' or 'student_t'; got {process!r}")
    check_int("steps", steps)
    check_positive("lr", lr)
    n = check_kernels(k_train)
    y2, _ = as_columns(y_train, n, "y_train")
    log_noise = torch.tensor(math.log(0.1), dtype=torch.float64, requires_grad=True)
    log_a = torch.tensor(
        math.log(2.0 if alpha is None else check_positive("alpha", alpha)),
        dtype=torch.float64,
        requires_grad=alpha is None,
    )
    log_b = torch.tensor(math.log(2.0), dtype=torch.float64, requires_grad=True)
    log_s = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    params = (
        [log_noise, log_s]
        if process == "gaussian"
        else [log_noise, log_b] + ([log_a] if alpha is None else [])
    )
    opt = torch.optim.Adam(params, lr=lr)

    def evidence() -> Tensor:
        noise = log_noise.exp()
        if process == "gaussian":
            return gaussian_log_marginal_likelihood(k_train, y2, scale=log_s.exp(), noise=noise)
        return student_t_log_marginal_likelihood(
            k_train, y2, alpha=log_a.exp(), beta=log_b.exp(), noise=noise
        )

    for _ in range(steps):
        opt.zero_grad()
        loss = -evidence() / n
        loss.backward()
        opt.step()
    with torch.no_grad():
        final = float(evidence()) / n
    gaussian = process == "gaussian"
    return RegressionFit(
        process=process,
        noise=float(log_noise.detach().exp()),
        scale=float(log_s.detach().exp()) if gaussian else None,
        alpha=None if gaussian else float(log_a.detach().exp()),
        beta=None if gaussian else float(log_b.detach().exp()),
        log_evidence_per_point=final,
    )
