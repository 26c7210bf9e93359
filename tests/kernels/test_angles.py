"""Arc-cosine angles at and near exact correlations: closed forms at theta = 0 and pi.

Tolerances: float64 closed forms take a handful of correctly rounded operations, so a relative
error of 1e-13 (~450 ulps) is a loose bound on rounding; the pre-fix behaviour (an angle of
~1.5e-8 where it should be 0) misses it by five orders of magnitude.
"""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.kernels import LeakyReLU, ReLU, Sign, SurrogateErf, serial
from nnatlas.kernels.analytic import Dense
from nnatlas.kernels.angles import (
    cosine_matrix,
    covariance_angle,
    input_covariance,
    row_angles,
    safe_sqrt,
)
from nnatlas.kernels.wide_deep import NormalizedReLU, deep_kernel

F64 = torch.float64
RTOL = 1e-13
EPS = torch.finfo(F64).eps


def t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=F64)


def close(actual: torch.Tensor, expected: torch.Tensor, rtol: float = RTOL) -> None:
    torch.testing.assert_close(actual, expected.to(actual.dtype), rtol=rtol, atol=rtol)


def _inputs(seed: int = 0, n: int = 5, d: int = 7) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(n, d, generator=g, dtype=F64) * torch.linspace(0.3, 3.0, n, dtype=F64)[:, None]
    )


# -- covariance_angle ----------------------------------------------------------------------


def test_exact_correlations_give_exact_angles():
    k = t(0.37, 1.0, 2.5, 1e-3, 7.0)
    zero = covariance_angle(k, k, k)
    assert torch.equal(zero.theta, torch.zeros_like(k)) and torch.equal(zero.root, 0 * k)
    antipodal = covariance_angle(k, k, -k)
    assert torch.equal(antipodal.root, 0 * k)
    close(antipodal.theta, torch.full_like(k, math.pi), rtol=EPS)
    # x and 2x: variances k and 4k, covariance 2k (all exact in floating point)
    scaled = covariance_angle(k, 4 * k, 2 * k)
    assert torch.equal(scaled.theta, torch.zeros_like(k))


def test_near_exact_correlations_match_the_arccos_of_the_given_numbers():
    # rho = 1 - 1e-12 is known exactly as a float; its angle (1.41e-6) must be computed to full
    # relative precision, which the naive 1 - rho**2 (error 1e-16 / 2e-12) cannot do.
    for rho in (1 - 1e-12, 1 - 1e-9, -(1 - 1e-12), 0.3, -0.999999):
        one = torch.ones((), dtype=F64)
        root, theta = covariance_angle(one, one, torch.tensor(rho, dtype=F64))
        assert float(theta) == pytest.approx(math.acos(rho), rel=RTOL)
        assert float(root) == pytest.approx(math.sqrt((1 - rho) * (1 + rho)), rel=RTOL)


def test_near_exact_is_continuous_with_exact():
    one = torch.ones((), dtype=F64)
    previous = None
    for gap in (1e-6, 1e-9, 1e-12, 1e-14, 0.0):
        theta = float(covariance_angle(one, one, torch.tensor(1 - gap, dtype=F64)).theta)
        assert theta == pytest.approx(math.sqrt(2 * gap), rel=1e-3, abs=1e-300)
        if previous is not None:
            assert theta <= previous
        previous = theta
    assert previous == 0.0


def test_angle_gradients_are_finite_at_the_diagonal():
    k12 = torch.tensor([1.0, 0.5, -1.0], dtype=F64, requires_grad=True)
    one = torch.ones(3, dtype=F64)
    root, theta = covariance_angle(one, one, k12)
    (root.sum() + theta.sum()).backward()
    assert k12.grad is not None and bool(torch.isfinite(k12.grad).all())
    x = torch.tensor([0.0, 4.0], dtype=F64, requires_grad=True)
    safe_sqrt(x).sum().backward()
    assert x.grad is not None and torch.equal(x.grad, t(0.0, 0.25))


# -- inputs --------------------------------------------------------------------------------


def test_row_angles_exact_for_duplicates_negatives_and_multiples():
    x = _inputs()
    y = torch.cat([x[:1], -x[1:2], 2 * x[2:3], 3 * x[3:4]])
    theta = row_angles(x[:4], y).diagonal()
    assert torch.equal(theta[[0, 2]], torch.zeros(2, dtype=F64))
    assert float(theta[1]) == pytest.approx(math.pi, rel=EPS)
    assert float(theta[3]) <= 4 * EPS
    # matches arccos of the cosine far from the poles
    u = x / x.norm(dim=1, keepdim=True)
    far = row_angles(x)
    mask = (u @ u.T).abs() < 0.9
    close(far[mask], torch.arccos((u @ u.T)[mask]), rtol=1e-12)


def test_input_covariance_makes_parallel_pairs_exact():
    x = _inputs()
    y = torch.cat([x[:1].clone(), -x[1:2], 2 * x[2:3], 3 * x[3:4], x[4:] + 1.0])
    k11, k22, k12 = input_covariance(x, y)
    s = torch.sqrt(k11 * k22)
    diag = k12.diagonal()
    assert torch.equal(diag[[0, 2, 3]], s[[0, 2, 3]]) and torch.equal(diag[1], -s[1])
    theta = covariance_angle(k11, k22, diag).theta
    assert torch.equal(theta[[0, 2, 3]], torch.zeros(3, dtype=F64)) and theta[1] == math.pi
    close(k12, x @ y.T / x.shape[1], rtol=1e-14)  # the rest is the matrix product
    cos = cosine_matrix(x)
    assert torch.equal(cos.diagonal(), torch.ones(5, dtype=F64))
    assert torch.equal(cosine_matrix(x, -x).diagonal(), -torch.ones(5, dtype=F64))


# -- the kernels at theta = 0 and pi -------------------------------------------------------


def _closed_forms(act, k: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """(E[phi(u) phi(v)], E[phi'(u) phi'(v)]) at theta = 0 (v = u), pi (v = -u), and v = 2u."""
    if isinstance(act, ReLU):
        return {
            "same": (k / 2, 0.5 + 0 * k),
            "opposite": (0 * k, 0 * k),
            "double": (k, 0.5 + 0 * k),
        }
    s = act.negative_slope
    return {
        "same": ((1 + s * s) * k / 2, (1 + s * s) / 2 + 0 * k),
        "opposite": (-s * k, s + 0 * k),
        "double": ((1 + s * s) * k, (1 + s * s) / 2 + 0 * k),
    }


@pytest.mark.parametrize("act", [ReLU(), LeakyReLU(0.2), LeakyReLU(-0.7)], ids=repr)
def test_arc_cosine_closed_forms_at_exact_correlations(act):
    k = t(0.37, 1.0, 2.5, 1e-3)
    forms = _closed_forms(act, k)
    for name, (k22, k12) in {"same": (k, k), "opposite": (k, -k), "double": (4 * k, 2 * k)}.items():
        nngp, dot = act.expectations(k, k22, k12)
        close(nngp, forms[name][0])
        close(dot, forms[name][1])
        close(act.expectation(k, k22, k12), forms[name][0])
        close(act.derivative_expectation(k, k22, k12), forms[name][1])


def test_sign_and_surrogate_at_exact_correlations():
    k = t(0.37, 1.0, 2.5)
    close(Sign().expectation(k, k, k), torch.ones(3, dtype=F64))
    close(Sign().expectation(k, k, -k), -torch.ones(3, dtype=F64))
    sg = SurrogateErf(2.0)
    close(sg.expectation(k, k, k), torch.ones(3, dtype=F64))
    # E[2 delta(u) sigma~'(v)] with v = u: (4k/pi) / sqrt(2a) (the determinant vanishes)
    close(sg.derivative_expectation(k, k, k), (4 * 2.0 / math.pi) / torch.sqrt(2 * k))
    m = SurrogateErf(2.0, forward_sharpness=3.0)
    expected = (2 / math.pi) * torch.asin(2 * 9 * k / (1 + 2 * 9 * k))
    close(m.expectation(k, k, k), expected)


def test_normalized_relu_dual_at_the_poles_and_near_them():
    act = NormalizedReLU()
    phi, slope = act.dual_and_derivative(t(1.0, -1.0))
    assert torch.equal(phi, t(1.0, 0.0)) and torch.equal(slope, t(1.0, 0.0))
    rho = 1 - 1e-12
    theta = math.acos(rho)
    expected = (rho * (math.pi - theta) + math.sqrt((1 - rho) * (1 + rho))) / math.pi
    phi, slope = act.dual_and_derivative(t(rho))
    assert float(phi) == pytest.approx(expected, rel=RTOL)
    assert float(slope) == pytest.approx(1 - theta / math.pi, rel=RTOL)


def test_network_diagonal_and_duplicates_match_the_theta_zero_recursion():
    # Depth-10 ReLU network: at theta = 0 each ReLU halves both kernels (J(0) = 1/2), so the
    # diagonal follows k <- cw k / 2 + cb, t <- cw t / 2 + k with no angle at all.
    dense = Dense(2.0**0.5, 0.1**0.5)
    net = serial(dense, *[m for _ in range(10) for m in (ReLU(), dense)])
    cw, cb = float(dense.sigma_w) ** 2, float(dense.sigma_b) ** 2
    x = _inputs(n=8, d=33)
    k = (x * x).sum(1) / x.shape[1]
    k, theta = cw * k + cb, cw * k + cb
    for _ in range(10):
        k = cw * (k / 2) + cb
        theta = cw * (theta / 2) + k
    for out in (net(x), net(x, x.clone())):  # the diagonal, and duplicated inputs
        close(out.nngp.diagonal(), k)
        close(out.ntk.diagonal(), theta)
    # x and -x through one bias-free ReLU: relu(u) relu(-u) = 0 and relu'(u) relu'(-u) = 0
    out = serial(Dense(1.0), ReLU())(x, -x)
    assert torch.equal(out.nngp.diagonal(), torch.zeros(8, dtype=F64))
    assert torch.equal(out.ntk.diagonal(), torch.zeros(8, dtype=F64))


def test_network_kernels_of_x_and_2x_follow_homogeneity():
    # Without biases a ReLU network is positively homogeneous of degree 1 in its input, so
    # NNGP(x, 2x) = 2 NNGP(x, x) and NTK(x, 2x) = 2 NTK(x, x) (theta = 0 at every layer).
    net = serial(Dense(1.3), ReLU(), Dense(1.3), LeakyReLU(0.2), Dense(1.3))
    x = _inputs(n=6, d=9)
    same, double = net(x), net(x, 2 * x)
    close(double.nngp.diagonal(), 2 * same.nngp.diagonal())
    close(double.ntk.diagonal(), 2 * same.ntk.diagonal())
    # and x, 3x (not a power of two: the Kahan angle is ~1e-16, whose cosine rounds to 1)
    triple = net(x, 3 * x)
    close(triple.nngp.diagonal(), 3 * same.nngp.diagonal())


def test_deep_kernel_diagonal_is_exactly_one():
    x = _inputs(n=12, d=3)
    for kernel in ("nngp", "ntk"):
        k = deep_kernel(x, None, NormalizedReLU(), 6, kernel=kernel)
        close(k.diagonal(), torch.ones(12, dtype=F64), rtol=8 * EPS)
        dup = deep_kernel(x, x.clone(), NormalizedReLU(), 6, kernel=kernel)
        close(dup.diagonal(), torch.ones(12, dtype=F64), rtol=8 * EPS)
