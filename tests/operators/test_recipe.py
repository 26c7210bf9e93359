"""NNs → neural operators recipe: kernel interpolation's closed forms, the U-Net, errors."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from nnatlas.core.errors import ConfigError
from nnatlas.operators.recipe import UNet2d, interpolate_kernel, kernel_interpolated
from nnatlas.testing import check_module, check_module_case
from nnatlas.testing.catalog import load_all, module_cases


def test_interpolated_kernel_size_and_constant_kernel_sum():
    w = torch.full((2, 3, 5, 5), 0.7, dtype=torch.float64)
    out = interpolate_kernel(w, 2)
    assert out.shape == (2, 3, 9, 9)
    # A constant kernel stays constant and keeps its sum: constant inputs give the same output.
    torch.testing.assert_close(out.sum((-2, -1)), w.sum((-2, -1)))
    torch.testing.assert_close(interpolate_kernel(w, 1), w)
    assert interpolate_kernel(w, 3).shape[-1] == 13


def test_bilinear_kernel_is_sampled_exactly():
    # A kernel linear in each tap index is reproduced exactly by bilinear interpolation.
    t = torch.arange(3, dtype=torch.float64)
    w = (1 + t[:, None] + 2 * t[None, :])[None, None]
    fine = torch.arange(5, dtype=torch.float64) / 2
    expected = (1 + fine[:, None] + 2 * fine[None, :])[None, None] * (3 / 5) ** 2
    torch.testing.assert_close(interpolate_kernel(w, 2), expected)


def test_interpolation_approximates_the_coarse_convolution_on_a_finer_grid():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(1, 1, 5, 5, generator=g, dtype=torch.float64)
    x = torch.arange(64, dtype=torch.float64) / 64
    u = (torch.sin(6 * math.pi * x + 0.3)[:, None] * torch.cos(6 * math.pi * x)[None, :])[
        None, None
    ]
    coarse = F.conv2d(F.pad(u[..., ::2, ::2], (2,) * 4, mode="circular"), w)
    naive = F.conv2d(F.pad(u, (2,) * 4, mode="circular"), w)[..., ::2, ::2]
    interp = F.conv2d(F.pad(u, (4,) * 4, mode="circular"), interpolate_kernel(w, 2))[..., ::2, ::2]

    def rel(a: torch.Tensor) -> float:
        return float((a - coarse).norm() / coarse.norm())

    assert rel(interp) < 0.5 * rel(naive)


def test_kernel_interpolated_copies_and_keeps_pointwise_layers():
    torch.manual_seed(1)
    model = UNet2d(1, 1, 3, 1, 3)
    fine = kernel_interpolated(model, 2)
    assert model.down[0][0].weight.shape[-1] == 3  # original untouched
    assert fine.down[0][0].weight.shape[-1] == 5 and fine.down[0][0].padding == (2, 2)
    torch.testing.assert_close(fine.head.weight, model.head.weight)
    assert fine(torch.randn(2, 1, 16, 16)).shape == (2, 1, 16, 16)


def test_unet_shapes_and_errors():
    model = UNet2d(2, 3, 4, 2, 5)
    assert model(torch.randn(1, 2, 8, 12)).shape == (1, 3, 8, 12)
    with pytest.raises(ConfigError, match="divisible by 4"):
        model(torch.randn(1, 2, 10, 8))
    with pytest.raises(ConfigError, match="odd"):
        UNet2d(1, 1, kernel_size=4)
    with pytest.raises(ConfigError, match="odd"):
        interpolate_kernel(torch.zeros(1, 1, 4, 4), 2)
    with pytest.raises(ConfigError, match="stride"):
        kernel_interpolated(torch.nn.Conv2d(1, 1, 3, stride=2), 2)
    assert "kernel_size=5" in repr(model)


def test_conformance():
    check_module(
        lambda dtype: UNet2d(1, 1, 2, 1, 5, dtype=dtype),
        lambda dtype: (torch.randn(2, 1, 6, 6, dtype=dtype),),
        name="UNet2d-k5",
    )
    load_all()
    cases = [c for c in module_cases() if c.name == "UNet2d"]
    assert len(cases) == 1
    check_module_case(cases[0])
