"""The variational scale-mixture classifier (softmax likelihood, σ² integrated out).

Part of :mod:`nnatlas.kernels.scale_mixture` (*Scale Mixtures of Neural Network Gaussian
Processes*, arXiv 2107.01408). Deviation from the paper: full-data variational inference in the
whitened parametrisation with a mean-field Gaussian over the whitened latents (the paper uses
sparse variational inference with inducing points); ``prior=None`` gives the Gaussian-process
baseline with σ² as a point estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from nnatlas.core.validation import check_int, check_positive
from nnatlas.kernels.scale_mixture.distributions import DEFAULT_PRIOR, InverseGamma
from nnatlas.kernels.scale_mixture.linalg import check_kernels, check_prior

__all__ = ["ScaleMixtureClassifier", "fit_scale_mixture_classifier"]


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
        check_kernels(self.chol, k_test_train, k_test_diag)
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
    n = check_kernels(k_train)
    check_int("num_classes", num_classes, low=2)
    check_int("steps", steps)
    check_int("num_samples", num_samples)
    check_positive("lr", lr)
    if not isinstance(labels, Tensor):
        raise TypeError(f"labels must be an integer tensor; got {type(labels).__name__}")
    if labels.shape != (n,) or labels.dtype not in (torch.int64, torch.int32):
        raise ValueError(
            f"labels must be an integer tensor of shape ({n},); got {labels.dtype} {tuple(labels.shape)}"
        )
    if int(labels.min()) < 0 or int(labels.max()) >= num_classes:
        raise ValueError(
            f"labels must lie in [0, {num_classes}); got range [{int(labels.min())}, {int(labels.max())}]"
        )
    if prior is not None:
        check_prior(prior)
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
