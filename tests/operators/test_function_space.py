"""Function-space layers of the NNs → neural operators recipe: convergence under grid
refinement, closed forms, conformance, errors."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.operators.function_space import (
    AttentionOperator2d,
    DifferentialKernelConv2d,
    IntegralOperator2d,
    ResolutionWrapper,
    cell_centers,
    multiresolution_batches,
)
from nnatlas.testing import check_module

PI = math.pi


def _smooth(n: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Two smooth channels sampled at the cell centres of an n×n grid: (1, 2, n, n)."""
    p = cell_centers(n, n, dtype=dtype)
    x, y = p[:, 0].reshape(n, n), p[:, 1].reshape(n, n)
    return torch.stack([torch.sin(PI * x) * torch.cos(PI * y) + x, x * y - 0.3])[None]


def _shared(out: torch.Tensor, factor: int) -> torch.Tensor:
    # Coarse cell centres sit at fine indices factor·i + factor // 2 (odd factor).
    return out[..., factor // 2 :: factor, factor // 2 :: factor]


def _randn(*shape):
    def make(dtype):
        return (torch.randn(*shape, generator=torch.Generator().manual_seed(0), dtype=dtype),)

    return make


def test_conformance_batteries():
    check_module(
        lambda dt: IntegralOperator2d(2, 3, 8, dtype=dt), _randn(2, 2, 4, 5), name="integral"
    )
    check_module(
        lambda dt: AttentionOperator2d(4, 2, dtype=dt), _randn(2, 4, 5, 3), name="attention"
    )
    check_module(
        lambda dt: DifferentialKernelConv2d(2, 3, 3, padding_mode="zeros", dtype=dt),
        _randn(2, 2, 6, 6),
        name="diffconv",
    )
    check_module(
        lambda dt: ResolutionWrapper(nn.Conv2d(2, 1, 3, padding=1, dtype=dt), (8, 8)),
        _randn(2, 2, 5, 7),
        name="wrapper",
    )


def test_registered_cases_exist():
    from nnatlas.testing.catalog import load_all, module_cases

    load_all()

    names = {case.name for case in module_cases()}
    assert {"IntegralOperator2d", "AttentionOperator2d", "DifferentialKernelConv2d"} <= names
    assert "ResolutionWrapper" in names


def test_cell_centers_nest_under_odd_refinement():
    coarse = cell_centers(3, 3, dtype=torch.float64).reshape(3, 3, 2)
    fine = cell_centers(9, 9, dtype=torch.float64).reshape(9, 9, 2)
    torch.testing.assert_close(fine[1::3, 1::3], coarse)


def test_integral_operator_with_constant_kernel_converges_to_the_integral():
    torch.manual_seed(0)
    layer = IntegralOperator2d(1, 1, 4, dtype=torch.float64)
    last = layer.kernel[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(2.0)
    exact = 2.0 * (4 / PI**2 + 0.5)  # 2 ∫ sin(πx) sin(πy) + x
    errors = []
    for n in (4, 8, 16):
        p = cell_centers(n, n, dtype=torch.float64)
        v = (torch.sin(PI * p[:, 0]) * torch.sin(PI * p[:, 1]) + p[:, 0]).reshape(1, 1, n, n)
        with torch.no_grad():
            out = layer(v)
        # Constant kernel: the output is the same number at every point.
        torch.testing.assert_close(out, out[..., :1, :1].expand_as(out))
        errors.append(abs(out[0, 0, 0, 0].item() - exact))
    # Midpoint rule: second order.
    assert errors[0] / errors[1] > 3.5 and errors[1] / errors[2] > 3.5, errors


def test_integral_operator_with_mlp_kernel_is_discretisation_consistent():
    torch.manual_seed(1)
    layer = IntegralOperator2d(2, 2, 8, dtype=torch.float64)
    with torch.no_grad():
        ref = layer(_smooth(27))
        out9 = layer(_smooth(9))
        out3 = layer(_smooth(3))
    err3 = (out3 - _shared(ref, 9)).abs().max().item()
    err9 = (out9 - _shared(ref, 3)).abs().max().item()
    # Against the 27² result: 3² and 9² differ by O(h²): (1/9 - 1/729)/(1/81 - 1/729) = 10.
    assert err9 < err3 / 5, (err3, err9)
    assert out9.shape == (1, 2, 9, 9)


def test_attention_operator_is_resolution_consistent():
    torch.manual_seed(2)
    layer = AttentionOperator2d(2, 2, dtype=torch.float64)
    with torch.no_grad():
        ref = layer(_smooth(27))
        err3 = (layer(_smooth(3)) - _shared(ref, 9)).abs().max().item()
        err9 = (layer(_smooth(9)) - _shared(ref, 3)).abs().max().item()
    assert err9 < err3 / 5, (err3, err9)


def test_attention_quadrature_weights_match_the_explicit_integral():
    torch.manual_seed(3)
    layer = AttentionOperator2d(4, 1, dtype=torch.float64)
    x = torch.randn(2, 4, 3, 5, dtype=torch.float64)
    w = torch.rand(3, 5, dtype=torch.float64) + 0.1
    with torch.no_grad():
        out = layer(x, w)
        tokens = x.flatten(2).transpose(1, 2)
        q, k, v = layer.qkv(tokens).chunk(3, dim=-1)
        e = torch.exp(q @ k.transpose(1, 2) / 2.0) * w.reshape(1, 1, -1)
        expected = layer.out((e @ v) / e.sum(-1, keepdim=True)).transpose(1, 2).reshape(2, 4, 3, 5)
        torch.testing.assert_close(out, expected)
        # Uniform weights (of any scale) are plain softmax attention.
        torch.testing.assert_close(layer(x, torch.full((3, 5), 7.0, dtype=torch.float64)), layer(x))


def test_differential_conv_converges_to_a_directional_derivative():
    torch.manual_seed(4)
    layer = DifferentialKernelConv2d(1, 1, 3, dtype=torch.float64)
    s = layer.stencil()[0, 0].detach()
    offsets = torch.arange(-1, 2, dtype=torch.float64)
    gx = (s * offsets[:, None]).sum().item()  # rows: first coordinate
    gy = (s * offsets[None, :]).sum().item()
    errors = []
    for n in (16, 32, 64):
        t = torch.arange(n, dtype=torch.float64) / n
        xx, yy = torch.meshgrid(t, t, indexing="ij")
        u = torch.sin(2 * PI * xx) * torch.cos(2 * PI * yy)
        du = (
            2
            * PI
            * (
                gx * torch.cos(2 * PI * xx) * torch.cos(2 * PI * yy)
                - gy * torch.sin(2 * PI * xx) * torch.sin(2 * PI * yy)
            )
        )
        with torch.no_grad():
            out = layer(u[None, None])[0, 0]
        errors.append((out - du).abs().max().item() / du.abs().max().item())
        # Zero-sum stencil: constants are annihilated.
        with torch.no_grad():
            const = layer(torch.full((1, 1, n, n), 3.0, dtype=torch.float64))
        assert const.abs().max() < 1e-9
    assert errors[2] < 0.15, errors
    assert 1.6 < errors[0] / errors[1] < 2.4 and 1.6 < errors[1] / errors[2] < 2.4, errors


def test_resolution_wrapper_identity_at_training_grid_and_shapes_elsewhere():
    torch.manual_seed(5)
    inner = nn.Conv2d(2, 3, 3, padding=1, dtype=torch.float64)
    wrap = ResolutionWrapper(inner, (8, 6))
    x = torch.randn(2, 2, 8, 6, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(wrap(x), inner(x), rtol=0, atol=0)
        assert wrap(torch.randn(2, 2, 5, 11, dtype=torch.float64)).shape == (2, 3, 5, 11)
    # Bilinear resampling with aligned corners reproduces linear fields: an identity module
    # wrapped at a finer grid returns a linear input unchanged.
    t = torch.linspace(0, 1, 5, dtype=torch.float64)
    s = torch.linspace(0, 1, 7, dtype=torch.float64)
    lin = (1 + 2 * t[:, None] - 3 * s[None, :])[None, None]
    ident = ResolutionWrapper(nn.Identity(), 9, align_corners=True)
    torch.testing.assert_close(ident(lin), lin)


def test_multiresolution_batches_cycle_and_cover_every_sample():
    n = 5
    data = {
        8: (torch.arange(n).reshape(n, 1).expand(n, 8).float(), torch.arange(n) * 10),
        4: (torch.arange(n).reshape(n, 1).expand(n, 4).float(), torch.arange(n) * 10),
    }
    out = list(multiresolution_batches(data, 2, 8, seed=3))
    assert [r for r, _ in out] == [4, 8] * 4
    for res in (4, 8):
        batches = [b for r, b in out if r == res]
        for a, u in batches:
            assert a.shape == (2, res)
            torch.testing.assert_close(a[:, 0].long() * 10, u)  # tensors share indices
        first_pass = torch.cat([batches[0][1], batches[1][1]])
        assert len(set(first_pass.tolist())) == 4  # 2 full batches of 5: last one dropped
    again = list(multiresolution_batches(data, 2, 8, seed=3))
    assert all(torch.equal(a[1][1], b[1][1]) for a, b in zip(out, again, strict=True))
    other = list(multiresolution_batches(data, 2, 8, seed=4))
    assert any(not torch.equal(a[1][1], b[1][1]) for a, b in zip(out, other, strict=True))
    sched = list(multiresolution_batches(data, 10, 3, schedule=[8, 8, 4]))
    assert [r for r, _ in sched] == [8, 8, 4]
    assert sched[0][1][0].shape == (5, 8)  # batch larger than the data: one batch per pass


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ConfigError, match="expects"):
        IntegralOperator2d(2, 1)(torch.zeros(1, 3, 4, 4))
    with pytest.raises(ConfigError, match="heads"):
        AttentionOperator2d(4, 3)
    with pytest.raises(ConfigError, match="weights"):
        AttentionOperator2d(4)(torch.zeros(1, 4, 3, 3), torch.ones(2, 2))
    with pytest.raises(ConfigError, match="weights"):
        AttentionOperator2d(4)(torch.zeros(1, 4, 3, 3), torch.zeros(3, 3))
    with pytest.raises(ConfigError, match="kernel_size"):
        DifferentialKernelConv2d(1, 1, 4)
    with pytest.raises(ConfigError, match="padding_mode"):
        DifferentialKernelConv2d(1, 1, 3, padding_mode="same")
    with pytest.raises(ConfigError, match="square"):
        DifferentialKernelConv2d(1, 1, 3)(torch.zeros(1, 1, 4, 5))
    with pytest.raises(TypeError, match="module"):
        ResolutionWrapper("conv", 8)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="resolution"):
        ResolutionWrapper(nn.Identity(), (8, 8, 8))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="expects"):
        ResolutionWrapper(nn.Identity(), 8)(torch.zeros(4, 4))
    data = {4: (torch.zeros(3, 4), torch.zeros(2))}
    with pytest.raises(ConfigError, match="first dimension"):
        multiresolution_batches(data, 1, 1)
    with pytest.raises(ConfigError, match="schedule"):
        multiresolution_batches({4: (torch.zeros(3, 4),)}, 1, 1, schedule=[8])
    with pytest.raises(ConfigError, match="mapping"):
        multiresolution_batches({}, 1, 1)
    with pytest.raises((ConfigError, TypeError, ValueError), match="batch_size"):
        multiresolution_batches({4: (torch.zeros(3, 4),)}, 0, 1)
