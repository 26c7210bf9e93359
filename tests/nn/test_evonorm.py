"""EvoNorm-B0/S0: formulas against direct re-computation, batch independence, running variance,
the official group rule, the affine-only variant and the BN-ReLU swap helper."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.nn.evonorm import EvoNormB0, EvoNormS0, convert_bn_relu_to_evonorm, evonorm_groups
from nnatlas.testing import check_module


def _randomise(layer: nn.Module, seed: int = 0) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))


def _x(*shape: int, seed: int = 1, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def test_conformance() -> None:
    check_module(lambda d: EvoNormB0(8, dtype=d), lambda d: (_x(4, 8, 3, 3, dtype=d),), name="B0")
    check_module(
        lambda d: EvoNormS0(12, groups=8, dtype=d), lambda d: (_x(2, 12, 3, 4, dtype=d),), name="S0"
    )
    check_module(
        lambda d: EvoNormS0(4, nonlinearity=False, dtype=d),
        lambda d: (_x(2, 4, 3, dtype=d),),
        name="S0-affine-1d",
    )


def test_b0_train_matches_formula_and_updates_running_var() -> None:
    layer = EvoNormB0(5, eps=1e-3, momentum=0.25, dtype=torch.float64)
    _randomise(layer)
    x = _x(6, 5, 4, 3)
    y = layer(x)
    # Direct re-computation with an explicit per-channel loop.
    for c in range(5):
        xc = x[:, c]
        batch_std = torch.sqrt(((xc - xc.mean()) ** 2).mean() + 1e-3)
        inst_std = torch.sqrt(xc.var(dim=(1, 2), unbiased=False) + 1e-3).view(-1, 1, 1)
        den = torch.maximum(batch_std.expand_as(xc), layer.v[c] * xc + inst_std)
        expected = xc / den * layer.weight[c] + layer.bias[c]
        torch.testing.assert_close(y[:, c], expected)
    expected_rv = 0.75 * torch.ones(5, dtype=torch.float64) + 0.25 * x.var(
        dim=(0, 2, 3), unbiased=False
    )
    torch.testing.assert_close(layer.running_var, expected_rv)


def test_b0_eval_uses_running_var_and_is_batch_independent() -> None:
    layer = EvoNormB0(3, dtype=torch.float64)
    _randomise(layer)
    layer.running_var.copy_(torch.tensor([0.5, 2.0, 4.0], dtype=torch.float64))
    layer.eval()
    x = _x(4, 3, 5, 5)
    y = layer(x)
    inst_std = (x.var(dim=(2, 3), unbiased=False, keepdim=True) + 1e-5).sqrt()
    left = (layer.running_var + 1e-5).sqrt().view(1, 3, 1, 1)
    right = layer.v.view(1, 3, 1, 1) * x + inst_std
    expected = x / torch.maximum(left, right) * layer.weight.view(1, 3, 1, 1) + layer.bias.view(
        1, 3, 1, 1
    )
    torch.testing.assert_close(y, expected)
    torch.testing.assert_close(layer(x[1:2]), y[1:2])
    before = layer.running_var.clone()
    layer(x)
    assert torch.equal(layer.running_var, before)  # eval never updates the statistics


def test_s0_matches_formula() -> None:
    layer = EvoNormS0(6, groups=3, eps=1e-4, dtype=torch.float64)
    _randomise(layer)
    x = _x(2, 6, 4, 4)
    y = layer(x)
    for n in range(2):
        for g in range(3):
            chans = slice(2 * g, 2 * g + 2)
            block = x[n, chans]
            std = torch.sqrt(block.var(unbiased=False) + 1e-4)
            v = layer.v[chans].view(2, 1, 1)
            expected = block * torch.sigmoid(v * block) / std
            expected = expected * layer.weight[chans].view(2, 1, 1) + layer.bias[chans].view(
                2, 1, 1
            )
            torch.testing.assert_close(y[n, chans], expected)


def test_s0_is_batch_independent_exactly() -> None:
    layer = EvoNormS0(16, groups=4)
    _randomise(layer)
    x = _x(7, 16, 5, 5, dtype=torch.float32)
    full = layer(x)
    for i in range(7):
        alone = layer(x[i : i + 1])
        assert torch.equal(alone, full[i : i + 1])
    # Changing the other samples leaves sample 0 untouched, in train and eval mode alike.
    other = torch.cat([x[:1], 100 * _x(6, 16, 5, 5, seed=9, dtype=torch.float32)])
    assert torch.equal(layer(other)[0], full[0])
    layer.eval()
    assert torch.equal(layer(x), full)


@pytest.mark.parametrize(
    ("channels", "max_groups", "expected"),
    [(64, 32, 32), (256, 32, 32), (48, 32, 24), (24, 32, 24), (36, 32, 18), (7, 32, 7), (13, 4, 1)],
)
def test_official_group_rule(channels: int, max_groups: int, expected: int) -> None:
    g = evonorm_groups(channels, max_groups)
    assert g == expected
    assert channels % g == 0
    assert all(channels % h for h in range(g + 1, min(channels, max_groups) + 1))
    assert EvoNormS0(channels, groups=max_groups).groups == expected


def test_gradients_match_finite_differences() -> None:
    for layer in (EvoNormB0(3, dtype=torch.float64), EvoNormS0(4, groups=2, dtype=torch.float64)):
        _randomise(layer, seed=3)
        x = _x(3, layer.num_features, 3, 3, seed=5).requires_grad_()
        layer.train()
        # In train mode B0 uses batch statistics, so the running-variance updates that each
        # gradcheck evaluation makes do not change the function being differentiated.
        assert torch.autograd.gradcheck(lambda t, m=layer: m(t), (x,))


def test_affine_variant_and_init_zero() -> None:
    layer = EvoNormB0(3, nonlinearity=False, init_zero=True)
    assert layer.v is None and layer.running_var is None
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    x = _x(2, 3, 4, 4, dtype=torch.float32)
    assert torch.equal(layer(x), torch.zeros_like(x))
    s0 = EvoNormS0(3, nonlinearity=False)
    _randomise(s0)
    torch.testing.assert_close(s0(x), x * s0.weight.view(1, 3, 1, 1) + s0.bias.view(1, 3, 1, 1))


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="eps"):
        EvoNormB0(4, eps=0.0)
    with pytest.raises(ValueError, match="momentum"):
        EvoNormB0(4, momentum=1.5)
    with pytest.raises(ConfigError, match="groups"):
        EvoNormS0(4, groups=0)
    with pytest.raises(TypeError, match="num_features"):
        EvoNormS0(4.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\(batch, 4, \*spatial\)"):
        EvoNormS0(4)(torch.randn(2, 3, 5, 5))
    with pytest.raises(ValueError, match="spatial"):
        EvoNormB0(4)(torch.randn(2, 4))


def test_convert_bn_relu_pairs() -> None:
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Sequential(nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8)),
        nn.ReLU(),
    )
    convert_bn_relu_to_evonorm(model, "B0")
    assert isinstance(model[1], EvoNormB0) and model[1].nonlinearity
    assert isinstance(model[2], nn.Identity)
    assert isinstance(model[3][1], EvoNormB0) and not model[3][1].nonlinearity
    assert isinstance(model[4], nn.ReLU)  # not preceded by a BN in the same Sequential
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert model(torch.randn(2, 1, 6, 6)).shape == (2, 8, 4, 4)

    s0 = convert_bn_relu_to_evonorm(
        nn.Sequential(nn.BatchNorm2d(48, dtype=torch.float64), nn.ReLU()), "S0"
    )
    assert (
        isinstance(s0[0], EvoNormS0) and s0[0].groups == 24 and s0[0].weight.dtype == torch.float64
    )
    keep = convert_bn_relu_to_evonorm(nn.Sequential(nn.BatchNorm2d(4)), replace_lone_bn=False)
    assert isinstance(keep[0], nn.BatchNorm2d)
    with pytest.raises(UnknownNameError, match="B1"):
        convert_bn_relu_to_evonorm(model, "B1")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["B0", "S0"])
@pytest.mark.parametrize("training", [True, False])
def test_fused_path_equals_the_composite_reference(kind: str, training: bool) -> None:
    """The fused autograd functions (two-pass statistics, hand-written backward) against the
    composite reference (``fused=False``, autograd): outputs, all gradients and the running
    variance. float64 on O(1) values: both compute the same quantities with sums of at most
    N·S = 60 terms regrouped, so they differ by ~1e-15; 1e-12 is a wide margin that any wrong
    term of the backward (O(1) in size) would exceed."""
    gen = torch.Generator().manual_seed(3)
    layers = []
    for fused in (True, False):
        if kind == "B0":
            layer: nn.Module = EvoNormB0(8, dtype=torch.float64, fused=fused)
        else:
            layer = EvoNormS0(8, groups=4, dtype=torch.float64, fused=fused)
        layers.append(layer.train(training))
    with torch.no_grad():
        for p in layers[0].parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
        for buf in layers[0].buffers():
            buf.copy_(torch.rand(buf.shape, generator=gen, dtype=torch.float64) + 0.5)
        layers[1].load_state_dict(layers[0].state_dict())
    x = (2 * torch.randn(5, 8, 4, 3, generator=gen, dtype=torch.float64) + 0.5).requires_grad_()
    g = torch.randn(5, 8, 4, 3, generator=gen, dtype=torch.float64)
    results = []
    for layer in layers:
        y = layer(x)
        results.append((y, *torch.autograd.grad(y, (x, *layer.parameters()), g)))
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    for a, b in zip(layers[0].buffers(), layers[1].buffers(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_fused_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="fused"):
        EvoNormB0(4, fused="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="fused"):
        EvoNormS0(4, fused=1)  # type: ignore[arg-type]
