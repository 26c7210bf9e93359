"""Score estimation as noisy regression: closed forms, samplers, kernel view, trainer, W2."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.generative.score import (
    DenoisingData,
    GaussianMixture,
    KernelDenoiser,
    OUProcess,
    ParametricScore,
    denoising_pairs,
    early_stopping_step,
    parametric_score,
    probability_flow_ode,
    reverse_sde,
    score_features,
    train_denoiser,
    wasserstein2_1d,
)
from nnatlas.kernels import Dense, ReLU, gradient_flow_mse, serial

F64 = torch.float64
PROC = OUProcess(2.0)
GM1 = GaussianMixture([0.3, 0.7], [-2.0, 1.5], [0.4, 0.5])
GM2 = GaussianMixture([0.2, 0.5, 0.3], [[-2.0, 1.0], [1.5, 0.0], [0.0, -2.5]], [0.3, 0.6, 0.4])


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def times(n: int, seed: int = 1) -> torch.Tensor:
    return 0.01 + (PROC.horizon - 0.01) * torch.rand(n, generator=gen(seed), dtype=F64)


def test_ou_coefficients():
    t = torch.tensor([1e-8, 0.5, 2.0], dtype=F64)
    assert torch.allclose(PROC.alpha(t), torch.exp(-t), rtol=1e-15, atol=0)
    # sigma^2 + alpha^2 = 1; expm1 keeps the tiny-t value accurate (2e-8, not rounded to 0)
    assert torch.allclose(PROC.sigma(t) ** 2 + PROC.alpha(t) ** 2, torch.ones(3, dtype=F64))
    assert PROC.sigma(t)[0] ** 2 == pytest.approx(2e-8, rel=1e-7)


@pytest.mark.parametrize("gm", [GM1, GM2])
def test_parametric_score_with_true_denoiser_is_the_true_score(gm):
    # -x/s^2 + (a/s^2) E[X0|x] = sum_k r_k (-(x - a mu_k) / v_k): an identity, float64 rounding
    # on O(1/sigma_t^2 <= 100) sized terms.
    x = gm.sample_marginal(PROC, 1.0, 200, generator=gen()) * 1.5
    t = times(200)
    s = parametric_score(PROC, t, x, gm.denoiser(PROC, t, x))
    truth = gm.score(x, PROC, t)
    assert torch.allclose(s, truth, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("gm", [GM1, GM2])
def test_marginal_score_is_the_gradient_of_log_prob(gm):
    x = gm.sample(50, generator=gen(3)).requires_grad_(True)
    t = times(50)
    (grad,) = torch.autograd.grad(gm.log_prob(x, PROC, t).sum(), x)
    assert torch.allclose(gm.score(x.detach(), PROC, t), grad, rtol=1e-12, atol=1e-12)


def test_denoiser_and_label_noise_match_quadrature():
    # posterior of X0 given X_t = x by a fine trapezoid rule over x0 (1-D); error ~1e-9
    grid = torch.linspace(-8, 8, 40001, dtype=F64)
    t = torch.tensor([0.05, 0.4, 1.7], dtype=F64)
    x = torch.tensor([[-1.0], [0.3], [2.2]], dtype=F64)
    prior = GM1.log_prob(grid[:, None]).exp()
    a, s = PROC.alpha(t), PROC.sigma(t)
    like = torch.exp(-0.5 * ((x - a[:, None] * grid[None]) / s[:, None]) ** 2)  # (3, G)
    w = like * prior[None]
    mean = torch.trapezoid(w * grid, grid) / torch.trapezoid(w, grid)
    var = torch.trapezoid(w * grid**2, grid) / torch.trapezoid(w, grid) - mean**2
    assert torch.allclose(GM1.denoiser(PROC, t, x)[:, 0], mean, atol=1e-8)
    assert torch.allclose(GM1.label_noise(PROC, t, x), var, atol=1e-8)


def test_mixture_quantile_inverts_the_cdf():
    u = torch.tensor([1e-6, 0.01, 0.3, 0.5, 0.97, 1 - 1e-6], dtype=F64)
    for t in (None, 0.05, 2.0):
        proc = None if t is None else PROC
        times = None if t is None else torch.full((6,), t, dtype=F64)
        q = GM1.quantile(u, proc, t)
        # bisection to float64 spacing of q; the CDF's slope (a density <= 1.5) bounds the error
        assert torch.allclose(GM1.cdf(q, proc, times), u, rtol=0, atol=1e-14)
    with pytest.raises(ValueError, match="1-D mixture"):
        GM2.quantile(u)


def test_parametric_score_module_wraps_any_net():
    net = torch.nn.Linear(2, 1, dtype=F64)
    model = ParametricScore(net, PROC, x_scale=2.0)
    t, x = times(5), torch.randn(5, 1, generator=gen(), dtype=F64)
    expected = parametric_score(PROC, t, x, net(torch.cat([x / 2.0, t[:, None]], 1)))
    assert torch.allclose(model(t, x), expected)


def _moments(x):
    """Mass below 0, mean and variance with their standard errors (i.i.d. samples)."""
    x = x.reshape(-1)
    n = x.shape[0]
    p = float((x < 0).double().mean())
    m, v = float(x.mean()), float(x.var())
    m4 = float(((x - m) ** 4).mean())
    return (p, m, v), (math.sqrt(p * (1 - p) / n), math.sqrt(v / n), math.sqrt((m4 - v * v) / n))


@pytest.mark.parametrize("sampler", ["ode", "sde"])
def test_samplers_recover_a_1d_mixture_with_the_exact_score(sampler):
    n, t_min = 4000, 0.02
    x_init = GM1.sample_marginal(PROC, PROC.horizon, n, generator=gen(5))

    def score(t, x):
        return GM1.score(x, PROC, t)

    if sampler == "ode":
        steps = 200  # Heun, global error O(h^2), h ~ 0.01: allowance 10 h^2
        out = probability_flow_ode(score, PROC, x_init, t_min=t_min, num_steps=steps)
        allowance = 10 * ((PROC.horizon - t_min) / steps) ** 2
    else:
        steps = 400  # Euler-Maruyama, weak error O(h), h ~ 0.005: allowance 2 h
        out = reverse_sde(score, PROC, x_init, t_min=t_min, num_steps=steps, generator=gen(6))
        allowance = 2 * (PROC.horizon - t_min) / steps
    # closed forms of the time-t_min marginal
    a = math.exp(-t_min)
    v = a**2 * GM1.stds**2 - math.expm1(-2 * t_min)
    w, mu = GM1.weights, a * GM1.means[:, 0]
    p_true = float((w * torch.special.ndtr(-mu / v.sqrt())).sum())
    m_true = float((w * mu).sum())
    var_true = float((w * (v + mu**2)).sum()) - m_true**2
    (p, m, var), se = _moments(out)
    for got, want, s in zip((p, m, var), (p_true, m_true, var_true), se, strict=True):
        assert abs(got - want) <= 4 * s + allowance, (got, want, s)


def test_wasserstein2_1d_gaussian_closed_form():
    # midpoint quantiles of N(m, s^2) are a deterministic sample; W2^2 = dm^2 + ds^2 for the
    # laws, the discrete value differs by ds^2 (1 - mean z_i^2) + 2 dm ds mean z_i: bound it.
    n = 20000
    z = torch.special.ndtri((torch.arange(n, dtype=F64) + 0.5) / n)
    m1, s1, m2, s2 = 0.3, 1.2, -0.5, 0.7
    got = wasserstein2_1d(m1 + s1 * z, m2 + s2 * z.flip(0))
    want = math.hypot(m1 - m2, s1 - s2)
    slack = (s1 - s2) ** 2 * abs(1 - float((z**2).mean())) + 1e-12
    assert abs(got**2 - want**2) <= slack


def test_wasserstein2_1d_unequal_sizes_and_axioms():
    a = torch.randn(37, generator=gen(1), dtype=F64)
    b = torch.randn(53, generator=gen(2), dtype=F64) + 0.5
    c = torch.randn(20, generator=gen(3), dtype=F64) * 2
    # the same empirical law at two sample sizes: distance 0, and equal-size matching agrees
    assert wasserstein2_1d(a, a.repeat(3)) == pytest.approx(0.0, abs=1e-15)
    assert wasserstein2_1d(a.repeat(53), b.repeat(37)) == pytest.approx(
        wasserstein2_1d(a, b), rel=1e-12
    )
    assert wasserstein2_1d(a, b) == pytest.approx(wasserstein2_1d(b, a), rel=1e-14)
    assert wasserstein2_1d(a, c) <= wasserstein2_1d(a, b) + wasserstein2_1d(b, c) + 1e-12
    # a pure shift moves every quantile by the shift
    assert wasserstein2_1d(a, a + 0.7) == pytest.approx(0.7, rel=1e-12)


def _data(n, seed=0):
    g = gen(seed)
    return denoising_pairs(GM1.sample(n, generator=g), PROC, t_min=0.05, generator=g)


KERNEL = serial(Dense(1.0, 1.0), ReLU(), Dense(1.0, 0.0))


def test_kernel_denoiser_limits_and_holdout_rule():
    data = _data(40)
    kd = KernelDenoiser(KERNEL, data, x_scale=2.0)
    assert torch.equal(kd.coefficients(0), torch.zeros(40, 1, dtype=F64))
    # t = inf interpolates the noisy labels (up to the kernel's conditioning)
    fit = kd.predict(data.t, data.x, math.inf)
    cond = float(torch.linalg.cond(kd.ntk_train))
    assert (fit - data.target).abs().max() <= 1e-13 * cond * float(data.target.abs().max())
    val = _data(30, seed=1)
    steps = [1, 10, 100, 1000, math.inf]
    best = kd.validation_step(val, steps)
    losses = [float(((kd.predict(val.t, val.x, s) - val.target) ** 2).mean()) for s in steps]
    assert best == steps[losses.index(min(losses))]
    score = kd.score(PROC, best)(val.t, val.x)
    assert torch.allclose(
        score, parametric_score(PROC, val.t, val.x, kd.predict(val.t, val.x, best))
    )


def test_early_stopping_step_is_monotone_in_the_noise():
    kd = KernelDenoiser(KERNEL, _data(50), x_scale=2.0)
    steps = [kd.stopping_step(s) for s in (0.05, 0.5, 5.0)]
    assert steps[0] >= steps[1] >= steps[2] >= 1 and steps[0] > steps[2]
    # the returned step is the first at which the rule fires
    k = steps[1]
    mu = torch.linalg.eigvalsh(kd.ntk_train / 50).clamp_min(0)

    def fired(step):
        eta = step * kd.learning_rate * 50
        return math.sqrt(float(mu.clamp_max(1 / eta).mean())) > 1 / (2 * math.e * 0.5 * eta)

    assert fired(k) and (k == 1 or not fired(k - 1))


def test_train_denoiser_keeps_the_stopped_states():
    data, val = _data(30), _data(20, seed=2)
    ev = _data(50, seed=3)
    truth = DenoisingData(ev.t, ev.x, GM1.denoiser(PROC, ev.t, ev.x))
    net = KERNEL.module(64, 2, 1, generator=gen(4), dtype=F64)
    kd = KernelDenoiser(KERNEL, data, x_scale=2.0)
    logged = []
    out = train_denoiser(
        net, data, steps=40, learning_rate=kd.learning_rate, x_scale=2.0, rule_step=7,
        eval_data=truth, val_data=val, eval_every=10, on_log=lambda **kw: logged.append(kw),
    )  # fmt: skip
    assert out.steps == [0, 10, 20, 30, 40] and len(logged) == 5
    assert out.train_loss[-1] < out.train_loss[0]
    assert set(out.states) == {"rule", "holdout", "oracle", "last"}
    assert out.oracle_step == out.steps[out.eval_error.index(min(out.eval_error))]
    assert out.holdout_step == out.steps[out.val_loss.index(min(out.val_loss))]
    net.load_state_dict(out.states["oracle"])
    u = score_features(truth.t, truth.x, x_scale=2.0)
    with torch.no_grad():
        err = float(((net(u) - truth.target) ** 2).sum(1).mean())
    assert err == pytest.approx(min(out.eval_error), rel=1e-12)


def test_wide_network_follows_the_linearized_ntk_trajectory():
    # train_denoiser on a finite NTK-parametrized net vs gradient_flow_mse from the same f0:
    # the gap is the finite-width correction, O(1/sqrt(width)), so it must shrink ~4x from
    # width 64 to 1024 (we ask for 2x) and be small at 1024.
    data = _data(20)
    kd = KernelDenoiser(KERNEL, data, x_scale=2.0)
    u = score_features(data.t, data.x, x_scale=2.0)
    gaps = []
    for width in (64, 1024):
        net = KERNEL.module(width, 2, 1, generator=gen(7), dtype=F64)
        with torch.no_grad():
            f0 = net(u)
        train_denoiser(net, data, steps=50, learning_rate=kd.learning_rate, x_scale=2.0)
        lin = gradient_flow_mse(
            kd.ntk_train, kd.ntk_train, data.target, 50, learning_rate=kd.learning_rate,
            f0_train=f0, f0_test=f0, discrete=True,
        )  # fmt: skip
        with torch.no_grad():
            gaps.append(float((net(u) - lin).norm() / lin.norm()))
    assert gaps[1] < 0.5 * gaps[0] and gaps[1] < 0.1, gaps


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (lambda: GaussianMixture([1.0], [0.0], [0.0]), "stds"),
        (lambda: GaussianMixture([1.0], [0.0], [-1.0]), "stds"),
        (lambda: GaussianMixture([0.5, 0.5], [0.0], [1.0, 1.0]), "agree on K"),
        (lambda: OUProcess(0.0), "horizon"),
        (lambda: PROC.alpha(torch.tensor([0.0], dtype=F64)), r"t must lie in \(0, 2\]"),
        (lambda: PROC.sigma(torch.tensor([2.5], dtype=F64)), r"t must lie in \(0, 2\]"),
        (lambda: GM1.score(torch.zeros(3, 2, dtype=F64)), "1 coordinate"),
        (lambda: GM1.score(torch.zeros(3, 1, dtype=F64), PROC, torch.full((2,), 0.5, dtype=F64)), "t must have"),
        (lambda: parametric_score(PROC, torch.full((3,), 0.5, dtype=F64), torch.zeros(3, 1, dtype=F64), torch.zeros(3, 2, dtype=F64)), "same points"),
        (lambda: parametric_score(PROC, torch.full((3,), 0.5, dtype=F64), torch.zeros(3, 1), torch.zeros(3, 1, dtype=torch.int64)), "f_value must be a real floating"),
        (lambda: denoising_pairs(torch.zeros(4, 1, dtype=F64), PROC, t_min=0.0), "t_min"),
        (lambda: denoising_pairs(torch.zeros(4, 1, dtype=F64), PROC, t_min=3.0), "t_min"),
        (lambda: wasserstein2_1d(torch.zeros(3, 2, dtype=F64), torch.zeros(3, dtype=F64)), "1-D sample"),
        (lambda: wasserstein2_1d(torch.tensor([math.nan], dtype=F64), torch.zeros(3, dtype=F64)), "a must be finite"),
        (lambda: probability_flow_ode(lambda t, x: x[:, :0], PROC, torch.zeros(3, 1, dtype=F64)), "score must return"),
        (lambda: reverse_sde(lambda t, x: x, PROC, torch.zeros(3, 1, dtype=F64), t_min=-1.0), "t_min"),
        (lambda: early_stopping_step(torch.eye(3, dtype=F64), 0.0, 1.0), "noise_std"),
        (lambda: KernelDenoiser(KERNEL, (1, 2, 3)), "DenoisingData"),
        (lambda: train_denoiser(torch.nn.Linear(2, 1), _data(5), steps=0, learning_rate=0.1), "steps"),
    ],
)  # fmt: skip
def test_bad_inputs_name_the_argument(fn, match):
    with pytest.raises((ConfigError, ValueError, TypeError), match=match):
        fn()
