"""FNO: spectral convolution against a direct DFT, resolution agnosticism, errors, conformance."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.operators.fno import FNO1d, FNO2d, SpectralConv1d, SpectralConv2d
from nnatlas.testing import check_module


def _dft(n: int) -> torch.Tensor:
    j = torch.arange(n, dtype=torch.float64)
    return torch.exp(-2j * math.pi * j[:, None] * j[None, :] / n)


def test_spectral_conv1d_equals_direct_dft():
    torch.manual_seed(0)
    layer = SpectralConv1d(2, 3, 4, dtype=torch.float64)
    x = torch.randn(5, 2, 11, dtype=torch.float64)
    n, modes = 11, 4
    xh = x.to(torch.complex128) @ _dft(n).T  # (b, i, k)
    w = torch.view_as_complex(layer.weight)
    yh = torch.einsum("bik,iok->bok", xh[..., :modes], w)
    # Real inverse of a half spectrum: DC counted once, every other kept mode twice (its conjugate).
    weights = torch.tensor([1.0] + [2.0] * (modes - 1), dtype=torch.float64)
    j = torch.arange(n, dtype=torch.float64)
    basis = torch.exp(2j * math.pi * torch.arange(modes)[:, None] * j[None, :] / n)
    expected = (torch.einsum("bok,k,kj->boj", yh, weights.to(torch.complex128), basis)).real / n
    torch.testing.assert_close(layer(x), expected)


def test_spectral_conv2d_equals_direct_dft():
    torch.manual_seed(1)
    layer = SpectralConv2d(2, 2, 3, 2, dtype=torch.float64)
    n1, n2 = 8, 6
    x = torch.randn(3, 2, n1, n2, dtype=torch.float64)
    xh = torch.einsum("kx,ly,bixy->bikl", _dft(n1), _dft(n2), x.to(torch.complex128))
    out_h = torch.zeros(3, 2, n1, n2, dtype=torch.complex128)
    wp, wn = torch.view_as_complex(layer.weight_pos), torch.view_as_complex(layer.weight_neg)
    out_h[..., :3, :2] = torch.einsum("bikl,iokl->bokl", xh[..., :3, :2], wp)
    out_h[..., n1 - 3 :, :2] = torch.einsum("bikl,iokl->bokl", xh[..., n1 - 3 :, :2], wn)
    # irfft2 = inverse DFT over x, then a real inverse over y counting k2 > 0 twice.
    z = torch.einsum("kx,bokl->boxl", _dft(n1).conj(), out_h) / n1
    weights = torch.tensor([1.0, 2.0], dtype=torch.float64)
    basis = torch.exp(
        2j
        * math.pi
        * torch.arange(2.0, dtype=torch.float64)[:, None]
        * torch.arange(n2, dtype=torch.float64)[None, :]
        / n2
    )
    expected = (
        torch.einsum("boxl,l,ly->boxy", z[..., :2], weights.to(torch.complex128), basis).real / n2
    )
    torch.testing.assert_close(layer(x), expected)


def test_spectral_conv_commutes_with_subsampling_for_band_limited_input():
    torch.manual_seed(2)
    layer = SpectralConv2d(1, 2, 4, dtype=torch.float64)

    def field(n: int) -> torch.Tensor:
        x = torch.arange(n, dtype=torch.float64) / n
        xx, yy = torch.meshgrid(x, x, indexing="ij")
        return (torch.sin(2 * math.pi * xx) + torch.cos(2 * math.pi * (xx + 2 * yy)))[None, None]

    coarse, fine = layer(field(16)), layer(field(64))
    torch.testing.assert_close(fine[..., ::4, ::4], coarse)


@pytest.mark.parametrize("size", [8, 16, 33, 64])
def test_fno2d_shapes_at_several_resolutions(size):
    model = FNO2d(2, 3, modes=4, width=6, n_layers=2, projection_width=8)
    assert model(torch.randn(2, 2, size, size + 1)).shape == (2, 3, size, size + 1)


def test_fno_constant_input_is_resolution_independent():
    torch.manual_seed(3)
    model = FNO2d(
        1, 1, modes=3, width=8, n_layers=3, positional_embedding=False, dtype=torch.float64
    )
    with torch.no_grad():
        outs = [model(torch.full((1, 1, n, n), 0.7, dtype=torch.float64)) for n in (6, 17, 40)]
    for out in outs:
        torch.testing.assert_close(out, torch.full_like(out, float(outs[0][0, 0, 0, 0])))
    model1 = FNO1d(1, 1, modes=3, width=8, positional_embedding=False, dtype=torch.float64)
    a, b = (
        model1(torch.ones(1, 1, 6, dtype=torch.float64)),
        model1(torch.ones(1, 1, 50, dtype=torch.float64)),
    )
    torch.testing.assert_close(a[..., :1], b[..., :1])


def test_grid_too_small_names_modes():
    with pytest.raises(ConfigError, match="modes=4 needs at least 2\\*modes = 8 points"):
        FNO1d(1, 1, modes=4)(torch.randn(2, 1, 7))
    with pytest.raises(ConfigError, match="along y"):
        FNO2d(1, 1, modes=(2, 5))(torch.randn(2, 1, 10, 9))
    with pytest.raises(ConfigError, match="channels=2"):
        FNO2d(2, 1, modes=2)(torch.randn(2, 1, 10, 9))
    with pytest.raises(ConfigError, match="width"):
        FNO2d(1, 1, width=0)
    with pytest.raises(UnknownNameError, match="activation"):
        FNO1d(1, 1, activation="swish")


def test_fno_learns_a_linear_operator():
    # The antiderivative-like smoothing map v -> (1 - Δ)^(-1) v is diagonal in Fourier space;
    # a single spectral layer represents it exactly, and a few Adam steps reduce the error.
    torch.manual_seed(4)
    n = 32
    x = torch.randn(64, 1, n)
    k = torch.fft.rfftfreq(n, d=1.0 / n)
    y = torch.fft.irfft(torch.fft.rfft(x) / (1 + (2 * math.pi * k) ** 2 / 100), n=n)
    layer = SpectralConv1d(1, 1, n // 2)
    opt = torch.optim.Adam(layer.parameters(), lr=0.05)
    first = None
    for _ in range(200):
        opt.zero_grad()
        loss = (layer(x) - y).pow(2).mean() / y.pow(2).mean()
        loss.backward()
        opt.step()
        first = first if first is not None else float(loss.detach())
    assert float(loss.detach()) < 0.01 * first


def test_conformance_and_parameters_used():
    check_module(
        lambda dtype: FNO2d(1, 2, 3, 4, 2, projection_width=5, dtype=dtype),
        lambda dtype: (torch.randn(2, 1, 7, 9, dtype=dtype),),
        name="FNO2d-test",
    )
    check_module(
        lambda dtype: FNO1d(2, 1, 3, 4, 3, positional_embedding=False, dtype=dtype),
        lambda dtype: (torch.randn(2, 2, 9, dtype=dtype),),
        name="FNO1d-test",
    )
    model = FNO2d(1, 1, 12, 32, 4)
    # 4 layers × (2 complex blocks of 32·32·12·12 + 1×1 conv) + lifting + projection (paper size).
    expected = (
        4 * (2 * 32 * 32 * 12 * 12 * 2 + 32 * 32 + 32)
        + (3 * 32 + 32)
        + (32 * 128 + 128)
        + (128 + 1)
    )
    assert sum(p.numel() for p in model.parameters()) == expected
    assert "modes=(12, 12)" in repr(model)
