"""Instance-noise likelihood: closed forms of the linear-Gaussian model, bounds, fitting, errors.

With a linear generator ``g(z) = A z + b`` and ``Z ~ N(0, I_d)``, ``y = g(Z) + σ ε`` is Gaussian
with covariance ``A Aᵀ + σ² I``, so ``log p(y)`` is known exactly; the importance weights
``w(z) = N(y; A z + b, σ² I)`` under the prior have ``E[w] = p(y)`` and, since
``N(y; μ, σ² I)² = (4πσ²)^{-D/2} N(y; μ, σ²/2 I)``, ``E[w²] = (4πσ²)^{-D/2} N(y; b, A Aᵀ +
σ²/2 I)``: the relative variance ``ρ = E[w²]/E[w]² - 1`` of the estimator is exact too.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.generative.instance_noise import (
    InstanceNoiseModel,
    fit_generative,
    perturb,
    sigma_rule,
)
from nnatlas.nn.models import MLP
from nnatlas.testing.bad_inputs import assert_clear_error

D, d, SIGMA = 3, 2, 0.5


def _linear_model(encoder=None):
    g = torch.Generator().manual_seed(0)
    lin = nn.Linear(d, D, dtype=torch.float64)
    with torch.no_grad():
        # orthogonal columns (AᵀA diagonal), so the exact posterior has diagonal covariance
        q, _ = torch.linalg.qr(torch.randn(D, d, generator=g, dtype=torch.float64))
        lin.weight.copy_(q * torch.tensor([1.5, 0.8], dtype=torch.float64))
        lin.bias.copy_(torch.tensor([0.3, -0.2, 0.1], dtype=torch.float64))
    return InstanceNoiseModel(lin, d, SIGMA, encoder=encoder), lin


def _exact(lin, y):
    a, b = lin.weight.detach(), lin.bias.detach()
    cov = a @ a.T + SIGMA**2 * torch.eye(D, dtype=torch.float64)
    logp = torch.distributions.MultivariateNormal(b, cov).log_prob(y)
    half = a @ a.T + 0.5 * SIGMA**2 * torch.eye(D, dtype=torch.float64)
    log_ew2 = -0.5 * D * math.log(4 * math.pi * SIGMA**2) + torch.distributions.MultivariateNormal(
        b, half
    ).log_prob(y)
    rho = (log_ew2 - 2 * logp).exp() - 1
    return logp, rho


class ExactPosterior(nn.Module):
    """Encoder returning the exact Gaussian posterior of the linear model (diagonal here)."""

    def __init__(self, lin, sigma, shift=0.0):
        super().__init__()
        a, b = lin.weight.detach(), lin.bias.detach()
        prec = torch.eye(d, dtype=torch.float64) + a.T @ a / sigma**2
        self.register_buffer("cov", torch.linalg.inv(prec))
        self.register_buffer("a", a)
        self.register_buffer("b", b)
        self.sigma, self.shift = sigma, shift
        self.dummy = nn.Parameter(torch.zeros((), dtype=torch.float64))

    def forward(self, y):
        mean = (y - self.b) @ self.a @ self.cov.T / self.sigma**2 + self.shift
        log_var = torch.diagonal(self.cov).log().expand(y.shape[0], d)
        return torch.cat([mean, log_var + 0 * self.dummy], dim=1)


def _points(n=6):
    g = torch.Generator().manual_seed(5)
    return torch.randn(n, D, generator=g, dtype=torch.float64) * 1.2


def test_prior_importance_sampling_converges_to_the_exact_log_density():
    model, lin = _linear_model()
    y = _points()
    logp, rho = _exact(lin, y)
    g = torch.Generator().manual_seed(1)
    for k in (64, 100_000):
        with torch.no_grad():
            est = model.log_likelihood(y, num_samples=k, proposal="prior", generator=g)
        # delta method: sd ≈ sqrt(ρ/K), bias ≈ -ρ/(2K); 5 sd + the bias covers all 6 points
        tol = 5 * (rho / k).sqrt() + rho / (2 * k)
        assert bool(((est - logp).abs() <= tol).all()), (k, est - logp, tol)
    assert float(tol.max()) < 0.06  # at K = 100k the check is tight


def test_iwae_is_biased_down_on_average():
    # Jensen: E[log mean w] <= log E[w]; with K = 4 the bias -ρ/(2K) dominates the noise of a
    # 2000-repeat average (sd sqrt(ρ/K)/sqrt(2000))
    model, lin = _linear_model()
    y = _points(1)
    logp, rho = _exact(lin, y)
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        est = model.log_likelihood(y.expand(2000, D), num_samples=4, proposal="prior", generator=g)
    assert float(est.mean()) < float(logp[0])
    assert float(rho[0]) > 0.5  # a point where the bias is visible


def test_exact_posterior_proposal_has_zero_variance_and_tight_elbo():
    # with r = the exact posterior, w = p(y) for every z: both bounds equal log p(y) exactly
    model, lin = _linear_model()
    model.encoder = ExactPosterior(lin, SIGMA)
    y = _points()
    logp, _ = _exact(lin, y)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        iw = model.log_likelihood(y, num_samples=3, generator=g)
        el = model.elbo(y, num_samples=3, generator=g)
    torch.testing.assert_close(iw, logp, rtol=0, atol=1e-9)
    torch.testing.assert_close(el, logp, rtol=0, atol=1e-9)


def test_elbo_below_log_likelihood_with_a_wrong_encoder():
    # a shifted posterior: ELBO = log p - KL(r || posterior) with KL = |shift|²/(2 var) summed
    model, lin = _linear_model()
    enc = ExactPosterior(lin, SIGMA, shift=0.7)
    model.encoder = enc
    y = _points()
    logp, _ = _exact(lin, y)
    g = torch.Generator().manual_seed(4)
    with torch.no_grad():
        el = model.elbo(y, num_samples=20_000, generator=g)
        iw = model.log_likelihood(y, num_samples=200, generator=g)
    kl = float((0.7**2 / (2 * torch.diagonal(enc.cov))).sum())
    # the ELBO's Monte-Carlo sd is |shift|·sqrt(sum 1/var)/sqrt(K) < 0.02 at K = 20k
    torch.testing.assert_close(el, logp - kl, rtol=0, atol=0.05)
    assert bool((el < logp).all())
    # IWAE_K >= ELBO in expectation; here by far more than the noise (KL ≈ 3.3 nats). Its
    # log-normal weights (log-sd ≈ 2.6) make single IWAE values too noisy to compare with log p.
    assert bool((el < iw).all())


def test_gradients_flow_to_decoder_encoder_and_sigma():
    enc = MLP(D, [8], 2 * d, dtype=torch.float64)
    model = InstanceNoiseModel(
        MLP(d, [8], D, dtype=torch.float64), d, 0.3, learn_sigma=True, encoder=enc
    )
    y = _points()
    (-model.log_likelihood(y, num_samples=5).mean() - model.elbo(y).mean()).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and bool(p.grad.abs().sum() > 0), name


def test_fit_recovers_a_line_and_sigma():
    # data on a segment of a line in R^3 plus known noise: the learnable-σ MLE on the perturbed
    # data (σ_true = 0.2) recovers σ; a rank-1 linear generator makes the model well specified
    g = torch.Generator().manual_seed(6)
    t = torch.randn(400, 1, generator=g, dtype=torch.float64)
    x = t @ torch.tensor([[1.0, 2.0, -1.0]], dtype=torch.float64)
    model = InstanceNoiseModel(nn.Linear(1, 3, dtype=torch.float64), 1, 0.5, learn_sigma=True)
    fit = fit_generative(
        model, x, instance_noise=0.2, epochs=100, batch_size=100, lr=2e-2, num_samples=128,
        generator=g,
    )  # fmt: skip
    assert fit.losses[-1] < fit.losses[0]
    assert fit.data is not None and float((fit.data - x).std()) == pytest.approx(0.2, rel=0.1)
    # σ̂ = 0.2 up to the finite-K bias of the bound, which inflates σ: with prior proposals only
    # ≈ K·σ/|w| ≈ 10 of the K = 128 draws land within the posterior's width of a point
    assert model.sigma == pytest.approx(0.2, rel=0.25)
    w = model.decoder.weight.detach()[:, 0]
    cos = float(w @ torch.tensor([1.0, 2.0, -1.0], dtype=torch.float64)) / float(w.norm() * 6**0.5)
    assert abs(cos) > 0.99
    s = model.sample(500, generator=g)
    assert s.shape == (500, 3) and not s.requires_grad


def test_sample_noise_and_perturb():
    model, _ = _linear_model()
    g = torch.Generator().manual_seed(7)
    clean = model.sample(4000, generator=torch.Generator().manual_seed(8))
    noisy = model.sample(4000, noise=True, generator=torch.Generator().manual_seed(8))
    # same latents, so noisy - clean is the noise: sd σ (4000·3 draws: 2 % accuracy)
    assert float((noisy - clean).std()) == pytest.approx(SIGMA, rel=0.05)
    x = torch.zeros(3000, 2)
    assert float(perturb(x, 0.1, generator=g).std()) == pytest.approx(0.1, rel=0.05)


def test_sigma_rule():
    assert sigma_rule(1000, 1) == pytest.approx(0.1)
    assert sigma_rule(10_000, 2, scale=2.0) == pytest.approx(0.2)
    assert sigma_rule(100, 1) > sigma_rule(10_000, 1)


def test_bad_inputs_name_the_argument():
    dec = MLP(1, [4], 3)
    model = InstanceNoiseModel(dec, 1, 0.1)
    y = torch.randn(4, 3)
    assert_clear_error(InstanceNoiseModel, dec, 1, 0.0, argument="sigma")
    assert_clear_error(InstanceNoiseModel, dec, 1, -1.0, argument="sigma")
    assert_clear_error(InstanceNoiseModel, "mlp", 1, 0.1, argument="decoder")
    assert_clear_error(InstanceNoiseModel, dec, 0, 0.1, argument="latent_dim")
    assert_clear_error(InstanceNoiseModel, dec, 1, 0.1, encoder="e", argument="encoder")
    assert_clear_error(model.log_likelihood, torch.randn(4, 5), argument="decoder")
    assert_clear_error(model.log_likelihood, torch.randn(4), argument="y")
    assert_clear_error(model.log_likelihood, y, num_samples=0, argument="num_samples")
    assert_clear_error(model.log_likelihood, y, proposal="posterior", argument="proposal")
    assert_clear_error(model.log_likelihood, y, proposal="encoder", argument="encoder")
    assert_clear_error(model.elbo, y, argument="encoder")
    assert_clear_error(model.sample, 0, argument="n")
    bad = InstanceNoiseModel(MLP(1, [4], 3), 1, 0.1, encoder=MLP(3, [4], 3))
    assert_clear_error(bad.elbo, y, argument="encoder")
    assert_clear_error(perturb, y, 0.0, argument="sigma")
    assert_clear_error(perturb, y.long(), 0.1, argument="x")
    assert_clear_error(fit_generative, "m", y, instance_noise=0.1, argument="model")
    assert_clear_error(fit_generative, model, y, instance_noise=-0.1, argument="sigma")
    assert_clear_error(
        fit_generative, model, y, instance_noise=0.1, objective="gan", argument="objective"
    )
    assert_clear_error(
        fit_generative, model, y, instance_noise=0.1, objective="elbo", argument="encoder"
    )
    assert_clear_error(fit_generative, model, y, instance_noise=0.1, lr=0.0, argument="lr")
    assert_clear_error(fit_generative, model, y, instance_noise=0.1, epochs=-1, argument="epochs")
    assert_clear_error(sigma_rule, 0, 1, argument="n")
    assert_clear_error(sigma_rule, 10, 1, scale=0.0, argument="scale")
    with pytest.raises(ConfigError, match="output dimension"):
        fit_generative(model, torch.randn(4, 5), instance_noise=None, epochs=1)
