"""Tests of the empirical NTK and Monte Carlo kernels."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.kernels.analytic import Dense, Erf, ReLU, serial
from nnatlas.kernels.empirical import empirical_ntk, monte_carlo_kernels

F64 = torch.float64


def _inputs(n: int, d: int, seed: int, dtype: torch.dtype = F64) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=dtype)


class _TinyConv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.head = nn.Linear(4 * 5 * 5, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.conv(x)).flatten(1))


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("mode", ["full", "trace", "diagonal"])
def test_two_implementations_agree(mode: str, dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    models = [
        nn.Sequential(nn.Linear(5, 32), nn.Tanh(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 3)),
        _TinyConv(),
    ]
    inputs = [(_inputs(4, 5, 1, dtype), _inputs(3, 5, 2, dtype))]
    inputs.append(
        (
            torch.randn(4, 1, 5, 5, generator=torch.Generator().manual_seed(3), dtype=dtype),
            torch.randn(2, 1, 5, 5, generator=torch.Generator().manual_seed(4), dtype=dtype),
        )
    )
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    for model, (x1, x2) in zip(models, inputs, strict=True):
        model = model.to(dtype)
        for second in (None, x2):
            a = empirical_ntk(model, x1, second, mode=mode, implementation="jacobian")
            b = empirical_ntk(model, x1, second, mode=mode, implementation="ntk_vector_products")
            assert a.dtype == dtype
            assert (a - b).abs().max() <= tol * max(1.0, float(a.abs().max()))


def test_modes_are_consistent_and_blocks_match() -> None:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2)).double()
    x1, x2 = _inputs(5, 3, 1), _inputs(4, 3, 2)
    full = empirical_ntk(model, x1, x2)
    assert full.shape == (5, 4, 2, 2)
    diag = empirical_ntk(model, x1, x2, mode="diagonal")
    trace = empirical_ntk(model, x1, x2, mode="trace")
    assert torch.allclose(diag, full.diagonal(dim1=2, dim2=3), atol=1e-14)
    assert torch.allclose(trace, diag.sum(-1), atol=1e-14)
    for impl in ("jacobian", "ntk_vector_products"):
        blocked = empirical_ntk(model, x1, x2, mode="trace", implementation=impl, block_size=2)
        assert torch.allclose(blocked, trace, atol=1e-13)
    sym = empirical_ntk(model, x1, mode="full")
    assert torch.allclose(sym, sym.permute(1, 0, 3, 2), atol=1e-13)


def test_linear_model_closed_form() -> None:
    model = nn.Linear(4, 3).double()
    x1, x2 = _inputs(5, 4, 3), _inputs(2, 4, 4)
    full = empirical_ntk(model, x1, x2)
    expected = (x1 @ x2.T + 1.0)[:, :, None, None] * torch.eye(3, dtype=F64)
    assert torch.allclose(full, expected, atol=1e-13)


def test_parameter_subset_gives_last_layer_kernel() -> None:
    net = serial(Dense(1.5, 0.2), ReLU(), Dense(1.3, 0.4))
    model = net.module(20, 3, 1, generator=torch.Generator().manual_seed(0), dtype=F64)
    x = _inputs(5, 3, 5)
    last = model[2]
    k = empirical_ntk(model, x, mode="trace", params={"2.weight": last.weight, "2.bias": last.bias})
    with torch.no_grad():
        features = model[1](model[0](x))
    expected = 1.3**2 * features @ features.T / 20 + 0.4**2
    assert torch.allclose(k, expected, atol=1e-12)


def test_empirical_ntk_converges_to_analytic_as_width_grows() -> None:
    net = serial(Dense(1.5, 0.2), ReLU(), Dense(1.3, 0.1), ReLU(), Dense(1.0, 0.3))
    x = _inputs(6, 4, 6)
    analytic = net(x).ntk
    errors = []
    for width in (64, 1024):
        errs = []
        for seed in range(3):
            model = net.module(width, 4, generator=torch.Generator().manual_seed(seed), dtype=F64)
            emp = empirical_ntk(model, x, mode="trace")
            errs.append(float((emp - analytic).norm() / analytic.norm()))
        errors.append(sum(errs) / len(errs))
    # Fluctuations decay like width**-1/2: a 16x wider net has about 4x smaller error.
    assert errors[1] < errors[0] / 2.5
    assert errors[1] < 0.12


def test_standard_parametrization_empirical_matches_analytic() -> None:
    width = 1024
    net = serial(Dense(1.2, 0.3, "standard", width=width), Erf(), Dense(1.1, 0.2, "standard"))
    x = _inputs(5, 3, 7)
    analytic = net(x).ntk
    model = net.module(width, 3, generator=torch.Generator().manual_seed(0), dtype=F64)
    emp = empirical_ntk(model, x, mode="trace", implementation="ntk_vector_products")
    assert float((emp - analytic).norm() / analytic.norm()) < 0.06


def test_monte_carlo_kernels_match_analytic() -> None:
    net = serial(Dense(1.4, 0.2), Erf(), Dense(1.2, 0.1))
    x = _inputs(5, 3, 8)
    exact = net(x)
    nngp = monte_carlo_kernels(
        lambda g: net.module(512, 3, 250, generator=g, dtype=F64), x, num_networks=40
    )
    ntk = monte_carlo_kernels(
        lambda g: net.module(512, 3, 2, generator=g, dtype=F64), x, num_networks=24, get="both"
    )
    assert nngp.ntk is None and ntk.ntk is not None
    for approx, truth in ((nngp.nngp, exact.nngp), (ntk.ntk, exact.ntk)):
        assert float((approx - truth).norm() / truth.norm()) < 0.05
    again = monte_carlo_kernels(
        lambda g: net.module(512, 3, 250, generator=g, dtype=F64), x, num_networks=40
    )
    assert torch.equal(again.nngp, nngp.nngp)
    cross = monte_carlo_kernels(
        lambda g: net.module(16, 3, 2, generator=g, dtype=F64), x[:2], x, num_networks=2
    )
    assert cross.nngp.shape == (2, 5)


def test_errors_are_clear() -> None:
    model = nn.Linear(3, 1)
    x = torch.randn(4, 3)
    with pytest.raises(ConfigError, match="mode"):
        empirical_ntk(model, x, mode="eigen")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="implementation"):
        empirical_ntk(model, x, implementation="structured")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same example shape"):
        empirical_ntk(model, x, torch.randn(2, 4))
    with pytest.raises(ValueError, match="not parameters"):
        empirical_ntk(model, x, params={"nope": torch.zeros(1)})
    with pytest.raises(TypeError, match=r"nn\.Module"):
        empirical_ntk(lambda z: z, x)  # type: ignore[arg-type]
    frozen = nn.Linear(3, 1).requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable"):
        empirical_ntk(frozen, x)
    with pytest.raises(TypeError, match="int"):
        monte_carlo_kernels(lambda g: model, x, num_networks=math.pi)  # type: ignore[arg-type]


def test_nvp_gram_shortcut_equals_the_jvp_path() -> None:
    """With ``x2=None`` the NTK-vector-product route takes the Gram matrix of the stacked vjps;
    passing ``x2 = x1`` explicitly runs the vjp + jvp route. Same sums regrouped (float64,
    ~1e3 parameters per entry): ~1e-15 relative; 1e-12 catches any wrong pairing of outputs."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 24), nn.Tanh(), nn.Linear(24, 3)).to(F64)
    x = _inputs(6, 5, 7)
    gram = empirical_ntk(model, x, mode="full", implementation="ntk_vector_products")
    jvp_path = empirical_ntk(model, x, x, mode="full", implementation="ntk_vector_products")
    assert gram.shape == (6, 6, 3, 3)
    assert (gram - jvp_path).abs().max() <= 1e-12 * float(jvp_path.abs().max())
