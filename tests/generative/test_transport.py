"""Sample Wasserstein distances: Gaussian closed form, metric axioms, 1-D exact = POT, sliced <= exact."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.generative.transport import (
    gaussian_wasserstein2,
    sliced_wasserstein,
    wasserstein_distance,
)
from nnatlas.testing.bad_inputs import assert_clear_error

ot = pytest.importorskip("ot")  # the stats extra (installed by the test extra)


def _gauss(n, mean, cov, seed):
    g = torch.Generator().manual_seed(seed)
    chol = torch.linalg.cholesky(cov)
    return mean + torch.randn(n, mean.shape[0], generator=g, dtype=torch.float64) @ chol.T


def test_gaussian_closed_form_special_cases():
    m = torch.tensor([1.0, -2.0], dtype=torch.float64)
    s = torch.tensor([[2.0, 0.3], [0.3, 1.0]], dtype=torch.float64)
    # same covariance: only the means differ
    assert gaussian_wasserstein2(m, s, m + 3.0, s) == pytest.approx(math.sqrt(18.0), rel=1e-10)
    # commuting (diagonal) covariances: |m1-m2|^2 + |sqrt(s1) - sqrt(s2)|_F^2
    d1, d2 = torch.diag(torch.tensor([4.0, 1.0])), torch.diag(torch.tensor([1.0, 9.0]))
    want = math.sqrt((2 - 1) ** 2 + (1 - 3) ** 2)
    assert gaussian_wasserstein2(m, d1, m, d2) == pytest.approx(want, rel=1e-10)
    # symmetric in its arguments
    assert gaussian_wasserstein2(m, s, -m, d2) == pytest.approx(
        gaussian_wasserstein2(-m, d2, m, s), rel=1e-10
    )


def test_sample_w2_matches_the_gaussian_closed_form():
    # |W2(x, y) - W2(P, Q)| <= W2(x, P) + W2(y, Q) (triangle inequality), and by convexity of
    # W2^2, E W2^2(x, P) <= E W2^2(x, x') for an independent same-size sample x' of P. So the
    # measured self-distances bound the sampling error in expectation; 3x leaves room for its
    # fluctuation (W2 of 400-point 2-D samples concentrates within tens of percent).
    n = 400
    m1, m2 = torch.tensor([0.0, 0.0]), torch.tensor([2.0, -1.0])
    s1 = torch.tensor([[1.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    s2 = torch.tensor([[0.5, 0.0], [0.0, 2.0]], dtype=torch.float64)
    exact = gaussian_wasserstein2(m1, s1, m2, s2)
    x, x2 = _gauss(n, m1, s1, 0), _gauss(n, m1, s1, 1)
    y, y2 = _gauss(n, m2, s2, 2), _gauss(n, m2, s2, 3)
    bound = wasserstein_distance(x, x2, p=2) + wasserstein_distance(y, y2, p=2)
    measured = wasserstein_distance(x, y, p=2)
    assert abs(measured - exact) <= 3 * bound
    assert bound < 0.5 * exact  # the check is not vacuous


def test_1d_closed_form_gaussians():
    # in 1-D, W2(N(a, s^2), N(b, t^2)) = sqrt((a - b)^2 + (s - t)^2); sorted 20k-point samples
    # reach it up to O(n^-1/2 * sqrt(log log n)) ~ 0.01 (Gaussian quantile tails)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20_000, generator=g, dtype=torch.float64)
    y = 1.5 + 2.0 * torch.randn(20_000, generator=g, dtype=torch.float64)
    assert wasserstein_distance(x, y, p=2) == pytest.approx(math.sqrt(1.5**2 + 1.0), abs=0.03)


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_metric_axioms(p):
    g = torch.Generator().manual_seed(1)
    a = torch.randn(30, 3, generator=g)
    b = torch.randn(25, 3, generator=g) + 0.5
    c = torch.rand(40, 3, generator=g)
    dab, dba = wasserstein_distance(a, b, p=p), wasserstein_distance(b, a, p=p)
    assert wasserstein_distance(a, a, p=p) == pytest.approx(0.0, abs=1e-6)
    assert wasserstein_distance(a, a[torch.randperm(30, generator=g)], p=p) == pytest.approx(
        0.0, abs=1e-6
    )
    assert dab > 0.1
    assert dab == pytest.approx(dba, rel=1e-9)
    # the triangle inequality is exact for empirical laws; 1e-9 covers the LP solver's rounding
    ac, cb = wasserstein_distance(a, c, p=p), wasserstein_distance(c, b, p=p)
    assert dab <= ac + cb + 1e-9


def test_translation_moves_w_by_the_shift():
    # W_p(x, x + v) = |v| exactly for a pure translation (the identity coupling is optimal)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(50, 4, generator=g, dtype=torch.float64)
    v = torch.tensor([0.3, -0.4, 0.0, 1.2], dtype=torch.float64)
    assert wasserstein_distance(x, x + v, p=2) == pytest.approx(float(v.norm()), rel=1e-8)


@pytest.mark.parametrize(
    ("n", "m", "p"), [(50, 50, 1.0), (37, 61, 1.0), (37, 61, 2.0), (10, 3, 3.0)]
)
def test_1d_sorted_equals_pot(n, m, p):
    g = torch.Generator().manual_seed(n + m)
    x = torch.randn(n, generator=g, dtype=torch.float64)
    y = torch.rand(m, generator=g, dtype=torch.float64) * 3
    cost = (x[:, None] - y[None]).abs().pow(p).numpy()
    want = ot.emd2([1 / n] * n, [1 / m] * m, cost) ** (1 / p)
    assert wasserstein_distance(x, y, p=p) == pytest.approx(float(want), rel=1e-9)
    assert wasserstein_distance(x[:, None], y[:, None], p=p) == pytest.approx(float(want), rel=1e-9)


def test_sliced_is_below_exact_and_exact_in_1d():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(60, 5, generator=g)
    y = torch.randn(60, 5, generator=g) * 2
    for p in (1.0, 2.0):
        sw = sliced_wasserstein(x, y, p=p, num_projections=64, generator=g)
        assert 0 < sw <= wasserstein_distance(x, y, p=p) + 1e-9
    a, b = torch.randn(40, 1, generator=g), torch.randn(30, 1, generator=g) + 1
    # in 1-D every direction is ±1, so the sliced distance is the exact one
    assert sliced_wasserstein(a, b, num_projections=3, generator=g) == pytest.approx(
        wasserstein_distance(a, b), rel=1e-9
    )


def test_bad_inputs_name_the_argument():
    x = torch.randn(5, 2)
    assert_clear_error(wasserstein_distance, x, torch.randn(5, 3), argument="x and y")
    assert_clear_error(wasserstein_distance, x, torch.randn(0, 2), argument="y")
    assert_clear_error(wasserstein_distance, x, x, argument="p", p=0.5)
    assert_clear_error(wasserstein_distance, x.long(), x, argument="x")
    assert_clear_error(wasserstein_distance, x, torch.randn(5, 2, 2), argument="y")
    assert_clear_error(sliced_wasserstein, x, x, argument="num_projections", num_projections=0)
    assert_clear_error(sliced_wasserstein, x, torch.randn(4, 1), argument="x and y")
    m, s = torch.zeros(2), torch.eye(2)
    assert_clear_error(gaussian_wasserstein2, m, s, torch.zeros(3), s, argument="m1 and m2")
    assert_clear_error(gaussian_wasserstein2, m, torch.eye(3), m, s, argument="s1")
    assert_clear_error(gaussian_wasserstein2, m, s, m, -s, argument="s2")
    with pytest.raises(ConfigError, match="symmetric"):
        gaussian_wasserstein2(m, torch.tensor([[1.0, 0.5], [0.0, 1.0]]), m, s)
