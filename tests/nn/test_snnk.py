"""Scalable Neural Network Kernels: estimators against exact kernels, layers, ridge head."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.nn.snnk import (
    URFSNNK,
    BundledSNNK,
    ReLUSNNK,
    SNNKAdapter,
    Spectrum,
    arccos_kernel,
    fourier_series_spectrum,
    gaussian_projection,
    relu_features,
    ridge_head,
    spectrum,
    urf_input_features,
    urf_weight_features,
)
from nnatlas.testing import check_module_case, load_all, module_cases

F64 = torch.float64


def _unit(n: int, d: int, gen: torch.Generator, norm: float = 1.0) -> torch.Tensor:
    v = torch.randn(n, d, generator=gen, dtype=F64)
    return norm * v / v.norm(dim=1, keepdim=True)


def _spec_tensors(spec: Spectrum) -> tuple[torch.Tensor, torch.Tensor]:
    freqs = torch.tensor(spec.frequencies, dtype=F64)
    coeffs = torch.tensor([[c.real, c.imag] for c in spec.coefficients], dtype=F64)
    return freqs, coeffs


@pytest.mark.parametrize(
    "name",
    [
        "ReLUSNNK",
        "ReLUSNNK-orthogonal-3d",
        "URFSNNK-sin",
        "URFSNNK-fourier-orthogonal",
        "SNNKAdapter",
        "BundledSNNK-relu",
        "BundledSNNK-cos",
    ],
)
def test_conformance(name: str) -> None:
    load_all()
    (case,) = [c for c in module_cases() if c.name == name]
    check_module_case(case)


def test_arccos_kernel_matches_monte_carlo_of_its_definition() -> None:
    gen = torch.Generator().manual_seed(0)
    x, w = _unit(3, 5, gen, 2.0), _unit(4, 5, gen, 0.7)
    w[0] = -x[0] / 2  # θ = π: the kernel is 0
    w[1] = 0.35 * x[1]  # θ = 0, ‖w‖ = 0.7: ‖x‖‖w‖/2
    g = torch.randn(400_000, 5, generator=gen, dtype=F64)
    mc = (F.relu(x @ g.T) @ F.relu(w @ g.T).T) / g.shape[0]
    exact = arccos_kernel(x, w)
    assert torch.allclose(mc, exact, atol=0.02, rtol=0.02)
    assert abs(exact[0, 0]) < 1e-12
    assert math.isclose(exact[1, 1], 2.0 * 0.7 / 2, rel_tol=1e-12)


@pytest.mark.parametrize("orthogonal", [False, True])
def test_relu_features_are_unbiased(orthogonal: bool) -> None:
    # Mean over independent projections of the estimate = exact kernel, within 4 standard errors.
    gen = torch.Generator().manual_seed(1)
    x, w = _unit(4, 8, gen), _unit(3, 8, gen, 1.5)
    trials = [
        relu_features(x, g) @ relu_features(w, g).T
        for g in (
            gaussian_projection(16, 8, orthogonal=orthogonal, generator=gen, dtype=F64)
            for _ in range(3000)
        )
    ]
    est = torch.stack(trials)
    se = est.std(0) / math.sqrt(len(trials))
    assert ((est.mean(0) - arccos_kernel(x, w)).abs() <= 4 * se + 1e-12).all()


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_urf_estimate_is_unbiased_for_sin_and_cos(name: str) -> None:
    gen = torch.Generator().manual_seed(2)
    x, w = _unit(4, 6, gen), _unit(3, 6, gen, 1.5)
    b = torch.randn(3, generator=gen, dtype=F64)
    spec = spectrum(name)
    freqs, coeffs = _spec_tensors(spec)
    exact = spec(x @ w.T + b)
    est = []
    for _ in range(2000):
        g = gaussian_projection(16, 6, generator=gen, dtype=F64)
        est.append(
            (urf_input_features(x, g, freqs) @ urf_weight_features(w, b, g, freqs, coeffs).T).real
        )
    stack = torch.stack(est)
    se = stack.std(0) / math.sqrt(len(est))
    assert ((stack.mean(0) - exact).abs() <= 4 * se + 1e-12).all()
    # One large draw agrees with the exact value too (Monte-Carlo agreement, not only in mean).
    g = gaussian_projection(200_000, 6, generator=gen, dtype=F64)
    big = (urf_input_features(x, g, freqs) @ urf_weight_features(w, b, g, freqs, coeffs).T).real
    assert torch.allclose(big, exact, atol=0.03)


def test_urf_mse_falls_as_one_over_m() -> None:
    gen = torch.Generator().manual_seed(3)
    x, w = _unit(6, 8, gen), _unit(6, 8, gen)
    spec = spectrum("cos")
    freqs, coeffs = _spec_tensors(spec)
    exact = spec(x @ w.T)
    mse = []
    for m in (16, 256):
        errs = []
        for _ in range(300):
            g = gaussian_projection(m, 8, generator=gen, dtype=F64)
            est = (
                urf_input_features(x, g, freqs) @ urf_weight_features(w, None, g, freqs, coeffs).T
            ).real
            errs.append(((est - exact) ** 2).mean())
        mse.append(float(torch.stack(errs).mean()))
    # 16× more features: 16× lower MSE in expectation; allow the sampling noise of 300 trials.
    assert 10 < mse[0] / mse[1] < 25


def test_orthogonal_projection_rows_are_orthogonal_and_gaussian_sized() -> None:
    gen = torch.Generator().manual_seed(4)
    g = gaussian_projection(20, 8, orthogonal=True, generator=gen, dtype=F64)
    assert g.shape == (20, 8)
    for start in (0, 8, 16):
        block = g[start : start + 8]
        gram = block @ block.T
        off = gram - torch.diag(torch.diagonal(gram))
        assert off.abs().max() < 1e-10
    # Squared norms are chi-square(d) distributed: mean d.
    many = torch.cat(
        [gaussian_projection(64, 8, orthogonal=True, generator=gen, dtype=F64) for _ in range(200)]
    )
    assert abs(float((many**2).sum(1).mean()) - 8) < 0.25


def test_orthogonal_features_do_not_increase_error() -> None:
    gen = torch.Generator().manual_seed(5)
    x, w = _unit(8, 16, gen), _unit(8, 16, gen)
    exact = arccos_kernel(x, w)

    def mse(orth: bool) -> float:
        errs = []
        for _ in range(400):
            g = gaussian_projection(16, 16, orthogonal=orth, generator=gen, dtype=F64)
            errs.append(((relu_features(x, g) @ relu_features(w, g).T - exact) ** 2).mean())
        return float(torch.stack(errs).mean())

    assert mse(True) < mse(False)


def test_fourier_series_spectrum_reconstructs_a_smooth_periodic_function() -> None:
    def f(z: torch.Tensor) -> torch.Tensor:
        return torch.cos(z) + 0.3 * torch.sin(3 * z) + 0.1

    spec = fourier_series_spectrum(f, period=2 * math.pi, num_terms=4)
    z = torch.linspace(-3, 3, 50, dtype=F64)
    assert torch.allclose(spec(z), f(z), atol=1e-10)
    assert len(spec.frequencies) == 9


def test_relu_snnk_layer_is_its_feature_map_times_psi() -> None:
    torch.manual_seed(0)
    layer = ReLUSNNK(7, 4, 32, dtype=F64)
    x = torch.randn(5, 7, dtype=F64)
    expected = relu_features(x, layer.projection) @ layer.weight.T + layer.bias
    assert torch.allclose(layer(x), expected)
    assert sum(p.numel() for p in layer.parameters()) == 4 * 32 + 4
    # Leading dimensions pass through.
    assert layer(torch.randn(2, 3, 7, dtype=F64)).shape == (2, 3, 4)


def test_urf_layer_starts_as_estimate_of_sin_of_its_initial_linear_map() -> None:
    # A layer with many features reproduces sin(W₀x + b₀) for the W₀, b₀ it was built from.
    torch.manual_seed(1)
    layer = URFSNNK(4, 3, 20_000, activation="sin", dtype=F64)
    torch.manual_seed(1)
    # Re-derive W₀, b₀ with the same draws: projection first, then the linear init.
    gaussian_projection(20_000, 4, dtype=F64)
    w0 = torch.empty(3, 4, dtype=F64)
    b0 = torch.empty(3, dtype=F64)
    torch.nn.init.kaiming_uniform_(w0, a=math.sqrt(5))
    torch.nn.init.uniform_(b0, -0.5, 0.5)
    x = 0.25 * torch.randn(6, 4, dtype=F64)
    assert torch.allclose(layer(x), torch.sin(x @ w0.T + b0), atol=0.03)


def test_ridge_head_equals_closed_form_and_lstsq() -> None:
    gen = torch.Generator().manual_seed(6)
    phi = torch.randn(40, 7, generator=gen, dtype=F64)
    y = torch.randn(40, 3, generator=gen, dtype=F64)
    lam = 0.7
    w, b = ridge_head(phi, y, lam)
    pc, yc = phi - phi.mean(0), y - y.mean(0)
    closed = torch.linalg.solve(pc.T @ pc + lam * torch.eye(7, dtype=F64), pc.T @ yc)
    assert torch.allclose(w, closed.T, atol=1e-10)
    assert b is not None and torch.allclose(b, y.mean(0) - phi.mean(0) @ closed, atol=1e-10)
    # Fewer samples than features: the dual solve gives the same closed form.
    phi_wide, y_wide = phi[:5], y[:5]
    wd, bd = ridge_head(phi_wide, y_wide, lam)
    pw, yw = phi_wide - phi_wide.mean(0), y_wide - y_wide.mean(0)
    closed_w = torch.linalg.solve(pw.T @ pw + lam * torch.eye(7, dtype=F64), pw.T @ yw)
    assert torch.allclose(wd, closed_w.T, atol=1e-10)
    assert bd is not None and torch.allclose(
        bd, y_wide.mean(0) - phi_wide.mean(0) @ closed_w, atol=1e-10
    )
    # float32 inputs give float32 outputs.
    w32, _ = ridge_head(phi.float(), y.float(), lam)
    assert w32.dtype == torch.float32 and torch.allclose(w32.double(), closed.T, atol=1e-4)
    w0, b0 = ridge_head(phi, y, 0.0, fit_bias=False)
    assert b0 is None
    assert torch.allclose(w0, torch.linalg.lstsq(phi, y).solution.T, atol=1e-10)
    # λ = 0 with bias is least squares on [Φ, 1].
    w1, b1 = ridge_head(phi, y, 0.0)
    aug = torch.linalg.lstsq(torch.cat([phi, torch.ones(40, 1, dtype=F64)], 1), y).solution
    assert torch.allclose(w1, aug[:7].T, atol=1e-10) and b1 is not None
    assert torch.allclose(b1, aug[7], atol=1e-10)


def test_bundled_model_fit_ridge_solves_a_linear_problem_on_its_features() -> None:
    torch.manual_seed(2)
    model = BundledSNNK(5, 2, 64, dtype=F64)
    x = torch.randn(200, 5, dtype=F64)
    target_head = torch.randn(2, 64, dtype=F64)
    y = model.features(x) @ target_head.T + torch.tensor([1.0, -2.0], dtype=F64)
    model.fit_ridge(x, y, ridge=0.0)
    assert torch.allclose(model(x), y, atol=1e-8)
    labels = torch.randint(0, 2, (200,))
    model.fit_ridge(x, labels, ridge=1e-2)
    assert model(x).shape == (200, 2)


def test_adapter_starts_as_identity_and_trains() -> None:
    torch.manual_seed(3)
    adapter = SNNKAdapter(8, 4, 16)
    x = torch.randn(3, 5, 8)
    assert torch.equal(adapter(x), x)
    adapter(x).pow(2).sum().backward()
    assert adapter.up.weight.grad is not None and adapter.up.weight.grad.abs().sum() > 0


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ConfigError, match="num_features"):
        ReLUSNNK(4, 3, 0)
    with pytest.raises(ConfigError, match="projection_std"):
        ReLUSNNK(4, 3, 8, projection_std=-1.0)
    with pytest.raises(UnknownNameError, match="tanh"):
        URFSNNK(4, 3, 8, activation="tanh")
    with pytest.raises(ValueError, match="last dimension 4"):
        ReLUSNNK(4, 3, 8)(torch.randn(2, 5))
    with pytest.raises(ConfigError, match="ridge"):
        ridge_head(torch.randn(5, 2), torch.randn(5), -1.0)
    with pytest.raises(ValueError, match="targets"):
        ridge_head(torch.randn(5, 2), torch.randn(4))
    with pytest.raises(UnknownNameError, match="up_init"):
        SNNKAdapter(4, 2, 8, up_init="xavier")
    with pytest.raises(ConfigError, match="coefficients"):
        Spectrum((1.0,), ())
