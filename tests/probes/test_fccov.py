"""FCCov: metrics (axioms, closed forms), the sort-based estimate against the O(n³) sum,
the regulariser, FCCov-Net training, and the SIR / GSIR baselines."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.probes import (
    Euclidean,
    FCCovNet,
    SPDAffineInvariant,
    SPDLogEuclidean,
    SphereGeodesic,
    Wasserstein2,
    distance_correlation,
    fccov,
    fccov_cnn,
    fccov_direct,
    fccov_loss,
    fccov_mlp,
    get_metric,
    kernel_sir,
    metric_balls,
    orthogonality_penalty,
    sliced_inverse_regression,
    spd_log,
)

D64 = torch.float64


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_spd(n: int, r: int, seed: int) -> torch.Tensor:
    a = torch.randn(n, r, r, generator=_gen(seed), dtype=D64)
    return a @ a.transpose(-2, -1) + 0.1 * torch.eye(r, dtype=D64)


def random_quantiles(n: int, m: int, seed: int) -> torch.Tensor:
    steps = torch.rand(n, m, generator=_gen(seed), dtype=D64)
    return torch.randn(n, 1, generator=_gen(seed + 1), dtype=D64) + steps.cumsum(1) / m


def random_sphere(n: int, q: int, seed: int) -> torch.Tensor:
    v = torch.randn(n, q, generator=_gen(seed), dtype=D64)
    return v / v.norm(dim=1, keepdim=True)


SAMPLES = {
    "euclidean": (Euclidean(), lambda s: torch.randn(9, 3, generator=_gen(s), dtype=D64)),
    "wasserstein2": (Wasserstein2(), lambda s: random_quantiles(9, 20, s)),
    "spd_affine": (SPDAffineInvariant(), lambda s: random_spd(9, 3, s)),
    "spd_log_euclidean": (SPDLogEuclidean(), lambda s: random_spd(9, 3, s)),
    "sphere": (SphereGeodesic(), lambda s: random_sphere(9, 3, s)),
}


# -- metrics ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_metric_axioms(name: str) -> None:
    metric, draw = SAMPLES[name]
    y = draw(0)
    d = metric.pairwise(y)
    assert d.shape == (9, 9)
    assert torch.equal(d, d.T)
    assert torch.all(d.diagonal() == 0)
    off = d[~torch.eye(9, dtype=torch.bool)]
    assert bool((off > 1e-6).all())  # distinct random objects are apart
    # triangle inequality on all triples; float64 rounding of eigenvalues/logs is ~1e-12
    for i, j, k in itertools.product(range(9), repeat=3):
        assert d[i, k] <= d[i, j] + d[j, k] + 1e-9
    # the cross-distance form agrees with the self form
    assert torch.allclose(metric.pairwise(y, y).fill_diagonal_(0), d, atol=1e-9)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_get_metric_by_name(name: str) -> None:
    assert type(get_metric(name)) is type(SAMPLES[name][0])


def test_wasserstein_gaussian_closed_form() -> None:
    # W2(N(m1, s1²), N(m2, s2²)) = sqrt((m1-m2)² + (s1-s2)²). The midpoint rule on m = 2000
    # levels integrates Φ⁻¹(u)² to 1 - 6.5e-4 (tail mass; Φ⁻¹ integrates to 0 exactly by
    # symmetry), so the relative error is below (1 - 0.99935)/2 ≈ 3.3e-4: tolerance 1e-3.
    m = 2000
    z = torch.special.ndtri((torch.arange(m, dtype=D64) + 0.5) / m)
    params = [(0.0, 1.0), (1.5, 0.5), (-2.0, 3.0), (0.3, 1.2)]
    q = torch.stack([mu + s * z for mu, s in params])
    d = Wasserstein2().pairwise(q)
    for (i, (m1, s1)), (j, (m2, s2)) in itertools.combinations(enumerate(params), 2):
        exact = math.hypot(m1 - m2, s1 - s2)
        assert float(d[i, j]) == pytest.approx(exact, rel=1e-3)


def test_spd_affine_invariance_and_closed_form() -> None:
    a, b = random_spd(6, 3, 1), random_spd(5, 3, 2)
    g = torch.randn(3, 3, generator=_gen(3), dtype=D64) + 2 * torch.eye(3, dtype=D64)
    metric = SPDAffineInvariant(chunk=2)  # several chunks
    d = metric.pairwise(a, b)
    d_cong = metric.pairwise(g @ a @ g.T, g @ b @ g.T)
    assert torch.allclose(d, d_cong, rtol=1e-8, atol=1e-10)
    d_inv = metric.pairwise(torch.linalg.inv(a), torch.linalg.inv(b))  # inversion is an isometry
    assert torch.allclose(d, d_inv, rtol=1e-8, atol=1e-10)
    # commuting (diagonal) matrices: both metrics are sqrt(Σ log²(a_i / b_i))
    da = torch.diag_embed(torch.tensor([[1.0, 2.0, 5.0], [0.5, 0.5, 4.0]], dtype=D64))
    exact = math.sqrt(math.log(2.0) ** 2 + math.log(4.0) ** 2 + math.log(5 / 4) ** 2)
    for m in (SPDAffineInvariant(), SPDLogEuclidean()):
        assert float(m.pairwise(da)[0, 1]) == pytest.approx(exact, rel=1e-12)
    assert torch.allclose(
        spd_log(da[0]), torch.diag(torch.tensor([1.0, 2.0, 5.0], dtype=D64).log()), atol=1e-14
    )


def test_sphere_closed_form() -> None:
    t = torch.tensor([0.0, 0.3, 1.5, 3.0], dtype=D64)
    y = torch.stack([t.cos(), t.sin(), torch.zeros_like(t)], dim=1)
    d = SphereGeodesic().pairwise(y)
    assert torch.allclose(d, (t[:, None] - t[None]).abs(), atol=1e-12)


def test_bad_metric_inputs() -> None:
    not_spd = torch.tensor([[[1.0, 0.0], [0.0, -1.0]]], dtype=D64)
    with pytest.raises(ConfigError, match="positive-definite"):
        SPDAffineInvariant().pairwise(not_spd)
    with pytest.raises(ConfigError, match="symmetric"):
        SPDLogEuclidean().pairwise(torch.tensor([[[2.0, 1.0], [0.0, 2.0]]], dtype=D64))
    with pytest.raises(UnknownNameError, match="metric"):
        get_metric("manhattan")
    with pytest.raises(ConfigError, match="non-decreasing"):
        Wasserstein2().pairwise(torch.tensor([[0.0, 1.0, 0.5]]))
    with pytest.raises(ConfigError, match="unit"):
        SphereGeodesic().pairwise(torch.ones(2, 3))
    with pytest.raises(ConfigError, match="same shape"):
        Euclidean().pairwise(torch.ones(2, 3), torch.ones(2, 4))


# -- the FCCov estimate -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sort_based_equals_direct_sum(name: str) -> None:
    metric, draw = SAMPLES[name]
    d = metric.pairwise(draw(4))
    f = torch.randn(9, 2, generator=_gen(5), dtype=D64, requires_grad=True)
    fast, slow = fccov(f, d), fccov_direct(f, d)
    # same sums in a different order: float64 rounding only
    assert float(fast.detach()) == pytest.approx(float(slow.detach()), rel=1e-12)
    (g_fast,) = torch.autograd.grad(fast, f)
    (g_slow,) = torch.autograd.grad(slow, f)
    assert torch.allclose(g_fast, g_slow, rtol=1e-10, atol=1e-14)


def test_sort_based_with_ties_and_larger_n() -> None:
    # integer-valued responses: many tied distances, where the ball must include every tie
    y = torch.randint(0, 4, (40, 1), generator=_gen(6)).to(D64)
    d = Euclidean().pairwise(y)
    f = torch.randn(40, 3, generator=_gen(7), dtype=D64)
    assert float(fccov(f, d)) == pytest.approx(float(fccov_direct(f, d)), rel=1e-12)
    assert float(fccov(f, metric_balls(d))) == pytest.approx(float(fccov(f, d)), rel=1e-14)


def test_fccov_invariances() -> None:
    y = torch.randn(30, 2, generator=_gen(8), dtype=D64)
    d = Euclidean().pairwise(y)
    f = torch.randn(30, 2, generator=_gen(9), dtype=D64)
    base = float(fccov(f, d))
    assert float(fccov(f + 3.0, d)) == pytest.approx(base, rel=1e-12)  # centred features
    assert float(fccov(2 * f, d)) == pytest.approx(4 * base, rel=1e-12)  # quadratic in f
    # only the order of distances from each centre matters: a monotone map of d changes nothing
    assert float(fccov(f, d.square())) == pytest.approx(base, rel=1e-12)
    # a feature that is a function of Y has a larger FCCov than unrelated noise of the same scale
    g = (y[:, :1] - y[:, :1].mean()) / y[:, :1].std()
    noise = torch.randn(30, 1, generator=_gen(10), dtype=D64)
    assert float(fccov(g, d)) > 3 * float(fccov(noise / noise.std(), d))


def test_orthogonality_penalty_and_loss() -> None:
    z = torch.randn(50, 2, generator=_gen(11), dtype=D64)
    zc = z - z.mean(0)
    w = torch.linalg.cholesky(zc.T @ zc / 50)
    white = zc @ torch.linalg.inv(w).T
    assert float(orthogonality_penalty(white)) == pytest.approx(0.0, abs=1e-20)
    assert float(orthogonality_penalty(2 * white)) == pytest.approx(
        2 * 9.0, rel=1e-12
    )  # (4-1)² × 2
    d = Euclidean().pairwise(z)
    loss = fccov_loss(2 * white, d, lam=0.5)
    assert float(loss) == pytest.approx(-float(fccov(2 * white, d)) + 9.0, rel=1e-12)


# -- FCCov-Net ----------------------------------------------------------------------------------


def test_fccov_net_learns_a_nonlinear_predictor() -> None:
    torch.manual_seed(0)
    n = 120
    x = torch.randn(n, 4, generator=_gen(12))
    y = (x[:, :1] ** 2 + 0.1 * torch.randn(n, 1, generator=_gen(13))).double()  # symmetric in x1
    net = FCCovNet(fccov_mlp(4, 1, (16,)), "euclidean", lam=0.05)
    before = distance_correlation(net.transform(x), x[:, :1] ** 2)
    history = net.fit(x, y, epochs=80, lr=2e-2)
    after = distance_correlation(net.transform(x), x[:, :1] ** 2)
    assert history[-1]["loss"] < history[0]["loss"]
    # a linear predictor of x1 alone reaches only dCor(x1, x1²) ≈ 0.5 at best
    assert after > 0.85 > before
    # minibatches and precomputed distances take the other path of the loss
    net2 = FCCovNet(fccov_mlp(4, 1, (8,)), Euclidean(), lam=0.05)
    rec = net2.fit(x, distances=torch.cdist(y, y).float(), epochs=2, batch_size=64,
                   generator=_gen(0))  # fmt: skip
    assert len(rec) == 2 and math.isfinite(rec[-1]["loss"])


def test_fccov_cnn_trains_on_images() -> None:
    torch.manual_seed(0)
    img = torch.randn(16, 1, 8, 8, generator=_gen(14))
    y = img.mean(dim=(1, 2, 3))[:, None].double()
    net = FCCovNet(fccov_cnn(1, 2, width=4), "euclidean")
    net.fit(img, y, epochs=2, lr=1e-3)
    assert net.transform(img).shape == (16, 2)


def test_fccov_net_bad_inputs() -> None:
    net = FCCovNet(fccov_mlp(3, 2), "euclidean")
    with pytest.raises(ConfigError, match="same number of samples"):
        net.fit(torch.randn(10, 3), torch.randn(9, 1))
    with pytest.raises(ConfigError, match="exactly one"):
        net.fit(torch.randn(10, 3))
    with pytest.raises(ConfigError, match="distances"):
        net.fit(torch.randn(10, 3), distances=torch.rand(9, 9))


# -- baselines ----------------------------------------------------------------------------------


def test_sir_recovers_a_linear_index() -> None:
    n, p = 2000, 5
    x = torch.randn(n, p, generator=_gen(15), dtype=D64)
    beta = torch.tensor([1.0, -1.0, 0.5, 0.0, 0.0], dtype=D64)
    y = (x @ beta) ** 3 + 0.5 * torch.randn(n, generator=_gen(16), dtype=D64)
    sdr = sliced_inverse_regression(x, y, 1)
    b = sdr.directions[:, 0]
    cos = float((b @ beta).abs() / (b.norm() * beta.norm()))
    # SIR is root-n consistent: angle error ~ sqrt(p / n) ≈ 0.05 here, so |cos| > 0.98
    assert cos > 0.98
    # an ensemble of identical columns equals the single column
    ens = sliced_inverse_regression(x, torch.stack([y, y], 1), 1)
    assert torch.allclose(ens.eigenvalues, sdr.eigenvalues, rtol=1e-10)


def test_gsir_finds_a_symmetric_dependence_sir_misses() -> None:
    n = 400
    x = torch.randn(n, 3, generator=_gen(17), dtype=D64)
    y = x[:, :1] ** 2 + 0.1 * torch.randn(n, 1, generator=_gen(18), dtype=D64)
    d = Euclidean().pairwise(y)
    x_new = torch.randn(300, 3, generator=_gen(19), dtype=D64)
    truth = x_new[:, :1] ** 2
    gsir = kernel_sir(x, d, 1)
    sir = sliced_inverse_regression(x, y[:, 0], 1)
    # E[x | y] = 0 when y depends on x1 only through x1²: SIR sees no direction
    assert distance_correlation(gsir.transform(x_new), truth) > 0.8
    assert distance_correlation(sir.transform(x_new), truth) < 0.5
