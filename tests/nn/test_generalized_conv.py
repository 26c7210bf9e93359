"""Generalized convolutions: every fast path against a direct unfold reference, gradients
against finite differences and against autograd of the reference, the chunking bound, kernels'
closed forms and data-dependent template initialisation."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.nn.generalized_conv import (
    KernelConv2d,
    WeightedL1Conv2d,
    WeightedL2Conv2d,
    init_templates_from_data,
    weighted_l1_conv2d,
    weighted_l2_conv2d,
)
from nnatlas.testing import check_module


def _t(*shape: int, seed: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _reference(x, w, alpha, p, **geom):  # type: ignore[no-untyped-def]
    """Broadcast every (patch, template) pair explicitly: -sum alpha |x - w|^p."""
    kh, kw = w.shape[-2:]
    cols = F.unfold(x, (kh, kw), **geom)  # (N, K, L)
    diff = cols[:, None] - w.reshape(w.shape[0], -1)[None, :, :, None]  # (N, O, K, L)
    dist = (alpha.reshape(w.shape[0], -1)[None, :, :, None] * diff.abs() ** p).sum(2)
    n = x.shape[0]
    s, pad, dil = (
        geom.get(k, 0 if k == "padding" else 1) for k in ("stride", "padding", "dilation")
    )
    h = (x.shape[2] + 2 * pad - dil * (kh - 1) - 1) // s + 1
    wd = (x.shape[3] + 2 * pad - dil * (kw - 1) - 1) // s + 1
    return -dist.view(n, w.shape[0], h, wd)


GEOMETRIES = [
    {"stride": 1, "padding": 0, "dilation": 1},
    {"stride": 2, "padding": 1, "dilation": 1},
    {"stride": 1, "padding": 2, "dilation": 2},
]


@pytest.mark.parametrize("geom", GEOMETRIES)
def test_weighted_l2_equals_unfold_reference(geom: dict[str, int]) -> None:
    x, w = _t(3, 4, 9, 8, seed=0), _t(5, 4, 3, 3, seed=1)
    alpha = _t(5, 4, 3, 3, seed=2).abs()
    got = weighted_l2_conv2d(x, w, alpha, **geom)
    ref = _reference(x.double(), w.double(), alpha.double(), 2, **geom)
    assert got.shape == ref.shape
    assert (got.double() - ref).abs().max() < 1e-5 * max(1.0, float(ref.abs().max()))


@pytest.mark.parametrize("geom", GEOMETRIES)
@pytest.mark.parametrize("budget", [1, 50, 1 << 22])
def test_weighted_l1_equals_unfold_reference_for_any_chunking(
    geom: dict[str, int], budget: int
) -> None:
    x, w = _t(3, 2, 7, 6, seed=3), _t(5, 2, 3, 2, seed=4)
    alpha = _t(5, 2, 3, 2, seed=5).abs()
    got = weighted_l1_conv2d(x, w, alpha, max_chunk_elements=budget, **geom)
    ref = _reference(x.double(), w.double(), alpha.double(), 1, **geom)
    assert (got.double() - ref).abs().max() < 1e-5


@pytest.mark.parametrize("budget", [7, 1 << 22])
def test_weighted_l1_gradients_match_autograd_of_reference(budget: int) -> None:
    x = _t(2, 3, 5, 5, seed=6, dtype=torch.float64).requires_grad_()
    w = _t(4, 3, 3, 3, seed=7, dtype=torch.float64).requires_grad_()
    alpha = _t(4, 3, 3, 3, seed=8, dtype=torch.float64).abs().requires_grad_()
    g = _t(2, 4, 3, 3, seed=9, dtype=torch.float64)
    ours = torch.autograd.grad(
        (weighted_l1_conv2d(x, w, alpha, max_chunk_elements=budget, stride=2, padding=1) * g).sum(),
        (x, w, alpha),
    )
    ref = torch.autograd.grad(
        (_reference(x, w, alpha, 1, stride=2, padding=1) * g).sum(), (x, w, alpha)
    )
    for a, b in zip(ours, ref, strict=True):
        torch.testing.assert_close(a, b)
    small = (x[:1, :2, :4, :4].detach().requires_grad_(), w[:2, :2].detach().requires_grad_())
    assert torch.autograd.gradcheck(
        lambda xx, ww: weighted_l1_conv2d(xx, ww, alpha[:2, :2].detach(), max_chunk_elements=5),
        small,
    )


def test_layers_match_functional_forms_and_alpha_parametrisation() -> None:
    x = _t(2, 3, 6, 6, seed=10, dtype=torch.float64)
    for cls, p in ((WeightedL2Conv2d, 2), (WeightedL1Conv2d, 1)):
        layer = cls(3, 4, 3, padding=1, bias=True, dtype=torch.float64)
        assert torch.equal(layer.alpha, torch.ones_like(layer.weight))  # softplus(0)/ln2 = 1
        with torch.no_grad():
            layer.rho.copy_(_t(*layer.rho.shape, seed=11, dtype=torch.float64))
            layer.bias.fill_(0.5)
        expected = _reference(x, layer.weight, layer.alpha, p, padding=1) + 0.5
        torch.testing.assert_close(layer(x), expected)
        assert (layer.alpha > 0).all()


def test_kernel_convolutions_closed_forms() -> None:
    x = _t(2, 2, 5, 5, seed=12, dtype=torch.float64)
    poly = KernelConv2d(2, 3, 3, kernel="polynomial", degree=3, c=0.5, dtype=torch.float64)
    torch.testing.assert_close(poly(x), (F.conv2d(x, poly.weight) + 0.5) ** 3)
    gauss = KernelConv2d(2, 3, 3, padding=1, kernel="gaussian", gamma=0.3, dtype=torch.float64)
    assert gauss.gamma is not None
    torch.testing.assert_close(gauss.gamma, torch.full((3,), 0.3, dtype=torch.float64))
    sq = -_reference(x, gauss.weight, torch.ones_like(gauss.weight), 2, padding=1)
    torch.testing.assert_close(gauss(x), torch.exp(-0.3 * sq))
    # A Gaussian response is 1 exactly where the patch equals the template.
    with torch.no_grad():
        gauss.weight.copy_(F.unfold(x, 3, padding=1)[0, :, 7].view(1, 2, 3, 3).expand(3, 2, 3, 3))
    out = gauss(x)
    torch.testing.assert_close(out[0, :, 7 // 5, 7 % 5], torch.ones(3, dtype=torch.float64))
    assert (out <= 1).all()


def test_conformance() -> None:
    check_module(
        lambda d: WeightedL2Conv2d(2, 3, 3, padding=1, dtype=d),
        lambda d: (_t(2, 2, 4, 4, seed=0, dtype=d),),
        name="wl2",
    )
    check_module(
        lambda d: WeightedL1Conv2d(2, 3, 2, stride=2, bias=True, max_chunk_elements=16, dtype=d),
        lambda d: (_t(3, 2, 4, 5, seed=0, dtype=d),),
        name="wl1",
    )
    check_module(
        lambda d: KernelConv2d(2, 3, 3, kernel="gaussian", dtype=d),
        lambda d: (_t(2, 2, 4, 4, seed=0, dtype=d),),
        name="gauss",
    )


def test_templates_from_data_are_patches_of_each_layers_input() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(
        WeightedL1Conv2d(1, 6, 3, padding=1), nn.ReLU(), WeightedL2Conv2d(6, 4, 2, stride=2)
    )
    x = _t(5, 1, 6, 6, seed=13)
    init_templates_from_data(model, x, generator=torch.Generator().manual_seed(1))
    first = F.unfold(x, 3, padding=1).transpose(1, 2).reshape(-1, 9)
    for template in model[0].weight.detach().view(6, 9):
        assert (first - template).abs().sum(1).min() == 0
    hidden = model[1](model[0](x)).detach()
    second = F.unfold(hidden, 2, stride=2).transpose(1, 2).reshape(-1, 24)
    for template in model[2].weight.detach().view(4, 24):
        assert (second - template).abs().sum(1).min() < 1e-6
    with pytest.raises(ValueError, match="no WeightedL1Conv2d"):
        init_templates_from_data(nn.Linear(2, 2), torch.zeros(1, 2))


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ConfigError, match="out_channels"):
        WeightedL2Conv2d(1, 0, 3)
    with pytest.raises(ConfigError, match="max_chunk_elements"):
        WeightedL1Conv2d(1, 2, 3, max_chunk_elements=0)
    with pytest.raises(UnknownNameError, match="kernel"):
        KernelConv2d(1, 2, 3, kernel="sigmoid")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="gamma"):
        KernelConv2d(1, 2, 3, kernel="gaussian", gamma=0.0)
    with pytest.raises(ValueError, match=r"\(batch, 2, height, width\)"):
        WeightedL2Conv2d(2, 2, 3)(torch.zeros(1, 3, 5, 5))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        WeightedL1Conv2d(1, 2, 5)(torch.zeros(1, 1, 3, 3))


@pytest.mark.parametrize("budget", [1, 100, 577, 5000, 1 << 18])
def test_l1_chunkings_agree_with_the_broadcast_reference(budget: int) -> None:
    """Every chunking (one patch, part of the positions, whole samples, several samples) gives
    the broadcast reference's output and gradients. float64: each output is one K-term sum
    (K = 2·3·3 = 18) computed in a different grouping, so differences are a few ulps of
    K·max|term| ≈ 1e-14; 1e-11 leaves a wide margin and still catches any wrong index."""
    x = _t(3, 2, 5, 6, seed=11, dtype=torch.float64).requires_grad_()
    w = _t(4, 2, 3, 3, seed=12, dtype=torch.float64).requires_grad_()
    alpha = _t(4, 2, 3, 3, seed=13, dtype=torch.float64).abs().requires_grad_()
    g = _t(3, 4, 5, 6, seed=14, dtype=torch.float64)
    out = weighted_l1_conv2d(x, w, alpha, padding=1, max_chunk_elements=budget)
    ref = _reference(x, w, alpha, 1, padding=1)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-11)
    grads = torch.autograd.grad(out, (x, w, alpha), g)
    ref_grads = torch.autograd.grad(ref, (x, w, alpha), g)
    for a, b in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-11)
