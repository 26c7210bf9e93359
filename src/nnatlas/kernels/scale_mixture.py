"""Scale mixtures of NNGPs: a random last-layer variance turns an NNGP into a heavy-tailed process.

Paper: *Scale Mixtures of Neural Network Gaussian Processes*, Hyungi Lee, Eunggu Yun, Hongseok
Yang, Juho Lee (ICLR 2022), arXiv 2107.01408.

Give the last layer of an infinitely wide network a random variance σ² ~ H. Conditionally on σ²
the output is the NNGP scaled by σ², ``f | σ² ~ GP(0, σ² K)``; marginally it is a scale mixture
of Gaussian processes. With an inverse-gamma prior ``H = InvGamma(a, b)`` the mixture is a
Student-t process with ``2a`` degrees of freedom and scale ``(b/a) K``, and regression with a
noise variance that scales with σ² as well (``ε | σ² ~ N(0, σ² σ_ε²)``, the paper's conjugate
form) has a closed form:

* ``σ² | y ~ InvGamma(a + n/2, b + q/2)`` with ``C = K(X, X) + σ_ε² I`` and ``q = yᵀC⁻¹y``;
* the predictive at ``x*`` is Student-t with ``2a + n`` degrees of freedom, mean ``k*ᵀC⁻¹y``
  and squared scale ``(2b + q)/(2a + n) · (k** + σ_ε² − k*ᵀC⁻¹k*)``;
* the evidence is a multivariate t, ``y ~ MVT(2a, 0, (b/a) C)``.

This module provides that closed form (:func:`student_t_posterior`,
:func:`student_t_log_marginal_likelihood`), the Gaussian process it mixes
(:func:`gaussian_posterior`, the NNGP baseline), self-normalised importance sampling over any
scale prior (:func:`importance_sampling_posterior`, the paper's inference for priors without a
closed form such as Burr type XII), marginal-likelihood fitting of the hyperparameters
(:func:`fit_regression_hyperparameters`) and a variational classifier
(:func:`fit_scale_mixture_classifier`) with a softmax likelihood and the scale integrated under
a variational inverse-gamma posterior.

Kernels are plain tensors, so any kernel works (for an NNGP use
``nnatlas.kernels.analytic``). Outputs with several columns share one σ² (it scales the whole
last layer), which adds ``n`` to the degrees of freedom per column.

Deviations from the paper: the classifier is full-data variational inference in the whitened
parametrisation with a mean-field Gaussian over the whitened latents (the paper uses sparse
variational inference with inducing points, which matters only for data sets too large for an
``n × n`` Cholesky factor); the Gaussian-process baseline of the classifier learns σ² as a point
estimate by maximising the same evidence lower bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive

__all__ = [
    "DEFAULT_PRIOR",
    "GaussianPredictive",
    "InverseGamma",
    "RegressionFit",
    "ScaleMixtureClassifier",
    "ScaleMixturePredictive",
    "StudentTPredictive",
    "expected_calibration_error",
    "fit_regression_hyperparameters",
    "fit_scale_mixture_classifier",
    "gaussian_log_marginal_likelihood",
    "gaussian_posterior",
    "importance_sampling_posterior",
    "posterior_scale",
    "student_t_log_marginal_likelihood",
    "student_t_posterior",
]

_LOG_2PI = math.log(2.0 * math.pi)


# -- distributions --------------------------------------------------------------------------


class InverseGamma(NamedTuple):
    """The inverse-gamma prior ``InvGamma(alpha, beta)`` on the last-layer variance σ².

    Density ``∝ (σ²)^(−alpha−1) exp(−beta/σ²)``; mean ``beta/(alpha−1)`` for ``alpha > 1``.
    """

    alpha: float
    beta: float

    def validate(self) -> InverseGamma:
        for name, value in (("alpha", self.alpha), ("beta", self.beta)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ConfigError(f"InverseGamma {name} must be a finite number > 0; got {value!r}")
        return self

    def sample(self, num: int, *, generator: torch.Generator | None = None) -> Tensor:
        """``num`` draws of σ² (float64), as ``beta / Gamma(alpha, 1)``."""
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


# -- shared linear algebra ------------------------------------------------------------------


def _as_2d(y: Tensor, n: int, name: str) -> tuple[Tensor, bool]:
    if not isinstance(y, Tensor):
        raise TypeError(f"{name} must be a tensor; got {type(y).__name__}")
    if y.dim() not in (1, 2) or y.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) or ({n}, k); got {tuple(y.shape)}")
    return (y[:, None], True) if y.dim() == 1 else (y, False)


def _check_kernels(
    k_train: Tensor, k_test_train: Tensor | None = None, k_test_diag: Tensor | None = None
) -> int:
    if k_train.dim() != 2 or k_train.shape[0] != k_train.shape[1]:
        raise ValueError(f"k_train must be square (n, n); got {tuple(k_train.shape)}")
    n = k_train.shape[0]
    if k_test_train is not None:
        if k_test_train.dim() != 2 or k_test_train.shape[1] != n:
            raise ValueError(
                f"k_test_train must have shape (m, {n}) to match k_train; got {tuple(k_test_train.shape)}"
            )
        if k_test_diag is None or k_test_diag.shape != (k_test_train.shape[0],):
            got = None if k_test_diag is None else tuple(k_test_diag.shape)
            raise ValueError(
                f"k_test_diag must have shape ({k_test_train.shape[0]},) (the test prior variances); got {got}"
            )
    return n


class _Solved(NamedTuple):
    chol: Tensor  # (n, n) Cholesky factor of C = K + noise I
    alpha: Tensor  # (n, k) C⁻¹ y
    quad: Tensor  # (k,) yᵀ C⁻¹ y per column
    logdet: Tensor  # log |C|


def _solve(k_train: Tensor, y: Tensor, noise: float) -> _Solved:
    n = k_train.shape[0]
    c = k_train.to(torch.float64) + noise * torch.eye(n, dtype=torch.float64, device=k_train.device)
    chol, info = torch.linalg.cholesky_ex(c)
    if int(info) != 0:
        raise ValueError(
            f"K(X, X) + noise·I is not positive definite (noise = {noise:g}); increase the noise"
        )
    alpha = torch.cholesky_solve(y.to(torch.float64), chol)
    quad = (y.to(torch.float64) * alpha).sum(0)
    logdet = 2 * torch.log(torch.diagonal(chol)).sum()
    return _Solved(chol, alpha, quad, logdet)


def _conditional(
    solved: _Solved, k_test_train: Tensor, k_test_diag: Tensor, noise: float, include_noise: bool
) -> tuple[Tensor, Tensor]:
    """Predictive mean ``(m, k)`` and unit-scale variance ``(m,)`` of the Gaussian at σ² = 1."""
    kx = k_test_train.to(torch.float64)
    mean = kx @ solved.alpha
    v = torch.linalg.solve_triangular(solved.chol, kx.T, upper=False)
    var = k_test_diag.to(torch.float64) - (v**2).sum(0)
    if include_noise:
        var = var + noise
    return mean, var.clamp_min(1e-300)


# -- regression -----------------------------------------------------------------------------


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
    n = _check_kernels(k_train, k_test_train, k_test_diag)
    scale, noise = check_positive("scale", scale), check_positive("noise", noise)
    y2, squeeze = _as_2d(y_train, n, "y_train")
    solved = _solve(k_train, y2, noise)
    mean, var = _conditional(solved, k_test_train, k_test_diag, noise, include_noise)
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
    n = _check_kernels(k_train)
    y2, _ = _as_2d(y_train, n, "y_train")
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
    n = _check_kernels(k_train)
    prior.validate()
    y2, _ = _as_2d(y_train, n, "y_train")
    solved = _solve(k_train, y2, check_positive("noise", noise))
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
    n = _check_kernels(k_train, k_test_train, k_test_diag)
    prior.validate()
    noise = check_positive("noise", noise)
    y2, squeeze = _as_2d(y_train, n, "y_train")
    solved = _solve(k_train, y2, noise)
    mean, var = _conditional(solved, k_test_train, k_test_diag, noise, include_noise)
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
    n = _check_kernels(k_train)
    y2, _ = _as_2d(y_train, n, "y_train")
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
    n = _check_kernels(k_train, k_test_train, k_test_diag)
    noise = check_positive("noise", noise)
    if scales.dim() != 1 or scales.numel() == 0 or not bool((scales > 0).all()):
        raise ValueError(
            f"scales must be a non-empty 1-D tensor of positive σ² samples; got shape {tuple(scales.shape)}"
        )
    y2, squeeze = _as_2d(y_train, n, "y_train")
    solved = _solve(k_train, y2, noise)
    mean, var = _conditional(solved, k_test_train, k_test_diag, noise, include_noise)
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
    n = _check_kernels(k_train)
    y2, _ = _as_2d(y_train, n, "y_train")
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


# -- classification -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleMixtureClassifier:
    """A fitted variational scale-mixture (or Gaussian-process) classifier.

    Latents per class ``f_c = σ L u_c`` with ``L`` the Cholesky factor of ``K(X, X)``,
    ``q(u_c) = N(m_c, diag(s_c²))`` and, for the mixture, ``q(σ²) = InvGamma(alpha, beta)``;
    for the Gaussian process σ² is the point value ``scale``.

    Attributes:
        chol: ``(n, n)`` Cholesky factor of the (jittered) training kernel.
        mean: ``(n, C)`` variational means of the whitened latents.
        std: ``(n, C)`` their standard deviations.
        posterior: the variational inverse-gamma posterior of σ², or ``None`` (Gaussian process).
        scale: σ² of the Gaussian process, or ``None`` (mixture).
        elbo: the final evidence lower bound per training point (Monte Carlo).
    """

    chol: Tensor
    mean: Tensor
    std: Tensor
    posterior: InverseGamma | None
    scale: float | None
    elbo: float

    def predict_proba(
        self,
        k_test_train: Tensor,
        k_test_diag: Tensor,
        *,
        num_samples: int = 256,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Predictive class probabilities ``(m, C)`` by Monte Carlo over σ² and the latents.

        Args:
            k_test_train: ``(m, n)`` kernel between test and training inputs.
            k_test_diag: ``(m,)`` prior variances of the test inputs.
            num_samples: Monte Carlo draws.
            generator: random stream (a fixed one gives reproducible probabilities).
        """
        n = self.chol.shape[0]
        _check_kernels(torch.empty(n, n), k_test_train, k_test_diag)
        check_int("num_samples", num_samples)
        a = torch.linalg.solve_triangular(
            self.chol, k_test_train.to(torch.float64).T, upper=False
        ).T
        mu = a @ self.mean  # (m, C)
        resid = (k_test_diag.to(torch.float64) - (a**2).sum(1)).clamp_min(0.0)
        var = (a**2) @ (self.std**2) + resid[:, None]
        sigma2 = self._sample_scale(num_samples, generator)  # (S,)
        eps = torch.randn((num_samples, *mu.shape), generator=generator, dtype=torch.float64)
        logits = sigma2.sqrt()[:, None, None] * (mu + var.sqrt() * eps)
        return torch.softmax(logits, -1).mean(0)

    def _sample_scale(self, num: int, generator: torch.Generator | None) -> Tensor:
        if self.posterior is None:
            assert self.scale is not None
            return torch.full((num,), self.scale, dtype=torch.float64)
        return self.posterior.sample(num, generator=generator)


def fit_scale_mixture_classifier(
    k_train: Tensor,
    labels: Tensor,
    num_classes: int,
    *,
    prior: InverseGamma | None = DEFAULT_PRIOR,
    steps: int = 300,
    lr: float = 0.05,
    num_samples: int = 8,
    jitter: float = 1e-6,
    generator: torch.Generator | None = None,
) -> ScaleMixtureClassifier:
    """Variational inference for a softmax classifier on a scale mixture of NNGPs.

    Maximises the evidence lower bound
    ``E_q[log softmax(f)_y] − KL(q(u) ‖ N(0, I)) − KL(q(σ²) ‖ prior)`` by Adam, with
    reparametrised Monte Carlo draws of σ² (through Gamma draws of 1/σ²) and of ``u``.
    With ``prior=None`` σ² is a point estimate (the NNGP classifier baseline).

    Args:
        k_train: ``(n, n)`` training kernel.
        labels: ``(n,)`` integer labels in ``[0, num_classes)``.
        num_classes: number of classes ``C``.
        prior: inverse-gamma prior on σ², or ``None`` for the Gaussian process.
        steps, lr: Adam iterations and learning rate.
        num_samples: Monte Carlo draws per step.
        jitter: added to the diagonal of ``k_train`` before the Cholesky factorisation.
        generator: random stream for the Monte Carlo draws and initialisation.

    Returns:
        A :class:`ScaleMixtureClassifier`.
    """
    n = _check_kernels(k_train)
    check_int("num_classes", num_classes, low=2)
    check_int("steps", steps)
    check_int("num_samples", num_samples)
    if labels.shape != (n,) or labels.dtype not in (torch.int64, torch.int32):
        raise ValueError(
            f"labels must be an integer tensor of shape ({n},); got {labels.dtype} {tuple(labels.shape)}"
        )
    if int(labels.min()) < 0 or int(labels.max()) >= num_classes:
        raise ValueError(
            f"labels must lie in [0, {num_classes}); got range [{int(labels.min())}, {int(labels.max())}]"
        )
    if prior is not None:
        prior.validate()
    chol = torch.linalg.cholesky(
        k_train.to(torch.float64)
        + check_positive("jitter", jitter) * torch.eye(n, dtype=torch.float64)
    )
    m = torch.zeros(n, num_classes, dtype=torch.float64, requires_grad=True)
    log_s = torch.full((n, num_classes), math.log(0.5), dtype=torch.float64, requires_grad=True)
    params = [m, log_s]
    if prior is not None:
        q_log_a = torch.tensor(math.log(prior.alpha), dtype=torch.float64, requires_grad=True)
        q_log_b = torch.tensor(math.log(prior.beta), dtype=torch.float64, requires_grad=True)
        params += [q_log_a, q_log_b]
    else:
        log_scale = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        params.append(log_scale)
    opt = torch.optim.Adam(params, lr=lr)
    y = labels.long()

    def elbo() -> Tensor:
        s = log_s.exp()
        eps = torch.randn((num_samples, n, num_classes), generator=generator, dtype=torch.float64)
        f_unit = chol @ (m + s * eps)  # (S, n, C)
        if prior is not None:
            # 1/σ² ~ Gamma(α̃, rate β̃): torch's Gamma has reparametrised (implicit) gradients.
            prec = torch.distributions.Gamma(q_log_a.exp(), q_log_b.exp()).rsample((num_samples,))
            sigma = prec.rsqrt()
            kl_scale = torch.distributions.kl_divergence(
                torch.distributions.Gamma(q_log_a.exp(), q_log_b.exp()),
                torch.distributions.Gamma(
                    torch.tensor(prior.alpha, dtype=torch.float64),
                    torch.tensor(prior.beta, dtype=torch.float64),
                ),
            )
        else:
            sigma = (0.5 * log_scale).exp().expand(num_samples)
            kl_scale = torch.zeros((), dtype=torch.float64)
        logits = sigma[:, None, None] * f_unit
        loglik = torch.log_softmax(logits, -1).gather(
            -1, y[None, :, None].expand(num_samples, n, 1)
        )
        kl_u = 0.5 * (s**2 + m**2 - 1 - 2 * log_s).sum()
        return loglik.sum() / num_samples - kl_u - kl_scale

    # torch's Gamma.rsample draws from the global stream; fork it so the caller's is untouched.
    with torch.random.fork_rng(devices=[]):
        if generator is not None:
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
        for _ in range(steps):
            opt.zero_grad()
            loss = -elbo() / n
            loss.backward()
            opt.step()
        with torch.no_grad():
            final = float(elbo()) / n
    return ScaleMixtureClassifier(
        chol=chol,
        mean=m.detach(),
        std=log_s.detach().exp(),
        posterior=None
        if prior is None
        else InverseGamma(float(q_log_a.detach().exp()), float(q_log_b.detach().exp())),
        scale=float(log_scale.detach().exp()) if prior is None else None,
        elbo=final,
    )


def expected_calibration_error(probs: Tensor, labels: Tensor, *, num_bins: int = 15) -> float:
    """Expected calibration error of top-1 confidence, with ``num_bins`` equal-width bins.

    Args:
        probs: ``(m, C)`` predicted class probabilities.
        labels: ``(m,)`` true labels.
    """
    check_int("num_bins", num_bins)
    if probs.dim() != 2 or labels.shape != (probs.shape[0],):
        raise ValueError(
            f"probs must be (m, C) and labels (m,); got {tuple(probs.shape)} and {tuple(labels.shape)}"
        )
    conf, pred = probs.max(1)
    correct = (pred == labels).to(torch.float64)
    bins = torch.clamp((conf * num_bins).long(), max=num_bins - 1)
    ece = torch.zeros((), dtype=torch.float64)
    for b in range(num_bins):
        mask = bins == b
        if mask.any():
            ece += (
                mask.to(torch.float64).mean()
                * (conf[mask].to(torch.float64).mean() - correct[mask].mean()).abs()
            )
    return float(ece)
