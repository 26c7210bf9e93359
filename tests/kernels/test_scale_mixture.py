"""Scale mixtures of NNGPs: closed-form Student-t predictive against Monte Carlo and limits."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.kernels.scale_mixture import (
    InverseGamma,
    expected_calibration_error,
    fit_regression_hyperparameters,
    fit_scale_mixture_classifier,
    gaussian_log_marginal_likelihood,
    gaussian_posterior,
    importance_sampling_posterior,
    posterior_scale,
    student_t_log_marginal_likelihood,
    student_t_posterior,
)


def _arccos_kernel(x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
    """One-hidden-layer ReLU NNGP (σ_w² = 2, σ_b² = 0.1), written out for test independence."""

    def base(a, b):
        return 2 * a @ b.T / a.shape[1] + 0.1

    k12, k11, k22 = (
        base(x1, x2),
        (2 * (x1**2).sum(1) / x1.shape[1] + 0.1),
        (2 * (x2**2).sum(1) / x2.shape[1] + 0.1),
    )
    norm = torch.sqrt(k11[:, None] * k22[None, :])
    cos = (k12 / norm).clamp(-1, 1)
    th = torch.arccos(cos)
    return 2 * norm * (torch.sin(th) + (math.pi - th) * cos) / (2 * math.pi) + 0.1


@pytest.fixture
def problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(12, 3, generator=g, dtype=torch.float64)
    xt = torch.randn(5, 3, generator=g, dtype=torch.float64)
    y = torch.sin(x.sum(1)) + 0.1 * torch.randn(12, generator=g, dtype=torch.float64)
    yt = torch.sin(xt.sum(1))
    kt = _arccos_kernel(xt, xt)
    return _arccos_kernel(x, x), y, _arccos_kernel(xt, x), torch.diagonal(kt).clone(), yt


def test_closed_form_equals_monte_carlo_over_posterior_scale(problem):
    k, y, kx, kd, yt = problem
    prior = InverseGamma(1.5, 0.7)
    t = student_t_posterior(k, y, kx, kd, prior=prior, noise=0.05)
    post = posterior_scale(k, y, prior, noise=0.05)
    assert t.df == pytest.approx(2 * prior.alpha + 12)
    sig2 = post.sample(200_000, generator=torch.Generator().manual_seed(1))
    g = gaussian_posterior(k, y, kx, kd, scale=1.0, noise=0.05)
    # p(y*) = E_{σ²|y} N(y*; μ, σ² v): a Gaussian scale mixture over the conjugate posterior.
    comp = -0.5 * (yt - g.mean) ** 2 / (sig2[:, None] * g.std**2) - 0.5 * torch.log(
        2 * math.pi * sig2[:, None] * g.std**2
    )
    mc = torch.logsumexp(comp, 0) - math.log(sig2.numel())
    torch.testing.assert_close(t.log_prob(yt), mc, atol=2e-3, rtol=0)
    torch.testing.assert_close(t.mean, g.mean)


def test_importance_sampling_with_prior_draws_matches_closed_form(problem):
    k, y, kx, kd, yt = problem
    prior = InverseGamma(2.0, 1.0)
    t = student_t_posterior(k, y, kx, kd, prior=prior, noise=0.05)
    draws = prior.sample(100_000, generator=torch.Generator().manual_seed(2))
    mix = importance_sampling_posterior(k, y, kx, kd, draws, noise=0.05)
    assert mix.effective_sample_size > 1000
    torch.testing.assert_close(mix.log_prob(yt), t.log_prob(yt), atol=1e-2, rtol=0)


def test_inverse_gamma_sampler_moments():
    s = InverseGamma(4.0, 3.0).sample(200_000, generator=torch.Generator().manual_seed(3))
    assert float(s.mean()) == pytest.approx(3.0 / 3.0, rel=1e-2)
    assert float(s.var()) == pytest.approx(9.0 / (9.0 * 2.0), rel=5e-2)
    small = InverseGamma(0.5, 1.0).sample(100_000, generator=torch.Generator().manual_seed(4))
    # 1/σ² ~ Gamma(0.5, 1): mean 0.5
    assert float((1 / small).mean()) == pytest.approx(0.5, rel=2e-2)


def test_evidence_is_multivariate_t_by_monte_carlo(problem):
    k, y, *_ = problem
    a, b, noise = 1.5, 0.8, 0.05
    lml = student_t_log_marginal_likelihood(k, y, alpha=a, beta=b, noise=noise)
    sig2 = InverseGamma(a, b).sample(200_000, generator=torch.Generator().manual_seed(5))
    c = k + noise * torch.eye(12, dtype=torch.float64)
    q = y @ torch.linalg.solve(c, y)
    logdet = torch.logdet(c)
    comp = -0.5 * q / sig2 - 0.5 * 12 * torch.log(2 * math.pi * sig2) - 0.5 * logdet
    mc = torch.logsumexp(comp, 0) - math.log(sig2.numel())
    assert float(lml) == pytest.approx(float(mc), abs=5e-3)
    gl = gaussian_log_marginal_likelihood(k, y, scale=0.7, noise=noise)
    ref = torch.distributions.MultivariateNormal(
        torch.zeros(12, dtype=torch.float64), 0.7 * c
    ).log_prob(y)
    assert float(gl) == pytest.approx(float(ref), abs=1e-9)


def test_gaussian_limit_of_large_shape(problem):
    k, y, kx, kd, yt = problem
    # a → ∞ with b/a = s fixed: σ² concentrates at s and the t-process becomes the GP(0, s K).
    a = 1e7
    t = student_t_posterior(k, y, kx, kd, prior=InverseGamma(a, 0.6 * a), noise=0.05)
    g = gaussian_posterior(k, y, kx, kd, scale=0.6, noise=0.05)
    torch.testing.assert_close(t.log_prob(yt), g.log_prob(yt), atol=1e-4, rtol=0)


def test_multi_output_shares_scale(problem):
    k, y, kx, kd, _yt = problem
    y2 = torch.stack([y, -0.5 * y], 1)
    t = student_t_posterior(k, y2, kx, kd, prior=InverseGamma(1.0, 1.0), noise=0.05)
    assert t.mean.shape == (5, 2) and t.df == 2 + 24
    torch.testing.assert_close(t.mean[:, 1], -0.5 * t.mean[:, 0])


def test_t_heavier_tails_than_gaussian_on_outliers(problem):
    k, y, kx, kd, _yt = problem
    t = student_t_posterior(k, y, kx, kd, prior=InverseGamma(1.0, 1.0), noise=0.05)
    g = gaussian_posterior(k, y, kx, kd, scale=float(t.scale.mean() ** 2 / kd.mean()), noise=0.05)
    far = t.mean + 20 * t.scale
    assert bool((t.log_prob(far) > g.log_prob(t.mean + 20 * g.std)).all())


def test_fit_hyperparameters_improves_evidence(problem):
    k, y, *_ = problem
    before = float(student_t_log_marginal_likelihood(k, y, alpha=2.0, beta=2.0, noise=0.1)) / 12
    fit = fit_regression_hyperparameters(k, y, process="student_t", alpha=1.0, steps=100)
    assert fit.alpha == pytest.approx(1.0) and fit.log_evidence_per_point > before
    gfit = fit_regression_hyperparameters(k, y, process="gaussian", steps=100)
    assert gfit.scale is not None and gfit.alpha is None


def test_classifier_learns_and_is_reproducible():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(60, 2, generator=g, dtype=torch.float64)
    labels = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    k = _arccos_kernel(x, x)
    kd = torch.diagonal(k).clone()
    fits = [
        fit_scale_mixture_classifier(
            k, labels, 3, steps=150, generator=torch.Generator().manual_seed(7)
        )
        for _ in range(2)
    ]
    torch.testing.assert_close(fits[0].mean, fits[1].mean)
    p = fits[0].predict_proba(k, kd, generator=torch.Generator().manual_seed(1))
    assert p.shape == (60, 3)
    torch.testing.assert_close(p.sum(1), torch.ones(60, dtype=torch.float64))
    assert float((p.argmax(1) == labels).double().mean()) > 0.85
    gp = fit_scale_mixture_classifier(
        k, labels, 3, prior=None, steps=150, generator=torch.Generator().manual_seed(7)
    )
    assert gp.posterior is None and gp.scale is not None and gp.scale > 0


def test_expected_calibration_error():
    probs = torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]], dtype=torch.float64)
    labels = torch.tensor([0, 1, 0, 0])
    # bin 0.9: acc 0.5, conf 0.9 → 0.4·0.5; bin 0.6: acc 1, conf 0.6 → 0.4·0.5
    assert expected_calibration_error(probs, labels, num_bins=10) == pytest.approx(0.4)


def test_bad_inputs_raise(problem):
    k, y, kx, kd, _ = problem
    with pytest.raises(ConfigError, match="alpha"):
        student_t_posterior(k, y, kx, kd, prior=InverseGamma(-1.0, 1.0))
    with pytest.raises(ValueError, match="k_test_train"):
        student_t_posterior(k, y, kx[:, :3], kd)
    with pytest.raises(ValueError, match="y_train"):
        gaussian_posterior(k, y[:4], kx, kd)
    with pytest.raises(ConfigError, match="noise"):
        gaussian_posterior(k, y, kx, kd, noise=0.0)
    with pytest.raises(ConfigError, match="process"):
        fit_regression_hyperparameters(k, y, process="laplace")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="labels"):
        fit_scale_mixture_classifier(k, torch.full((12,), 5), 3)
