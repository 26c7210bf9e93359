"""Tests for nnatlas.param.hypernetwork (MIP hypernetworks)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.param.hypernetwork import HyperModel, HyperNetwork, encode_input, external_shapes
from nnatlas.testing import check_module
from nnatlas.testing.catalog import load_all, module_cases

load_all()  # registers the conformance cases (nnatlas.testing.cases)


def _mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(1, 8), nn.LeakyReLU(), nn.Linear(8, 8), nn.LeakyReLU(), nn.Linear(8, 1)
    )


def test_cos_sin_encoding_has_constant_norm() -> None:
    gamma = torch.rand(100, 3, dtype=torch.float64)
    norms = encode_input(gamma, "cos|sin").norm(dim=-1)
    torch.testing.assert_close(norms, torch.full_like(norms, math.sqrt(3)))
    assert (
        encode_input(gamma, "z|1-z").sum(-1).allclose(torch.full((100,), 3.0, dtype=torch.float64))
    )
    with pytest.raises(ConfigError, match="mode"):
        encode_input(gamma, "bogus")  # type: ignore[arg-type]


def test_default_hypernet_is_magnitude_proportional_and_mip_is_not() -> None:
    shapes = {"w": (4, 3), "b": (4,)}
    default = HyperNetwork(1, shapes, (16, 32), encoding="none", residual=False, init="fan_out")
    # Zero biases and positively homogeneous activations: h(c·γ) = c·h(γ) for c > 0.
    g = torch.tensor([0.3])
    a, b = default(g), default(2 * g)
    torch.testing.assert_close(b["w"], 2 * a["w"])
    mip = HyperNetwork(1, shapes, (16, 32))
    m1, m2 = mip(g), mip(2 * g)
    assert not torch.allclose(m2["w"], 2 * m1["w"])


def test_residual_equals_primary_init_when_generated_part_is_zero() -> None:
    primary = _mlp()
    initial = {n: p.detach().clone() for n, p in primary.named_parameters()}
    model = HyperModel(primary, 1, hidden=(8, 16))
    with torch.no_grad():
        model.hypernet.output.weight.zero_()
    for gamma in (torch.tensor([0.0]), torch.tensor([0.7])):
        out = model.generate(gamma)
        for name, value in initial.items():
            torch.testing.assert_close(out[name], value)
    x = torch.randn(5, 1)
    ref = nn.Sequential(
        nn.Linear(1, 8), nn.LeakyReLU(), nn.Linear(8, 8), nn.LeakyReLU(), nn.Linear(8, 1)
    )
    ref.load_state_dict(initial)
    torch.testing.assert_close(model(x, torch.tensor([0.4])), ref(x))


def test_fan_out_init_scales_each_block_by_its_own_size() -> None:
    torch.manual_seed(0)
    hn = HyperNetwork(
        1, {"big.weight": (400, 100), "small.weight": (8, 5), "small.bias": (8,)}, (64,)
    )
    w = hn.output.weight.detach()
    gain = nn.init.calculate_gain("leaky_relu", 0.01)
    assert abs(w[:40000].std().item() - gain / 200) < 0.05 * gain / 200
    assert abs(w[40000:40040].std().item() - gain / math.sqrt(40)) < 0.25 * gain / math.sqrt(40)
    assert torch.count_nonzero(w[40040:]) == 0  # bias blocks start at zero


def test_vmap_over_gamma_equals_a_loop() -> None:
    model = HyperModel(_mlp(), 1, hidden=(8, 16)).double()
    gamma = torch.rand(4, 1, dtype=torch.float64)
    x = torch.randn(4, 7, 1, dtype=torch.float64)
    batched = model(x, gamma)
    looped = torch.stack([model(x[i], gamma[i]) for i in range(4)])
    torch.testing.assert_close(batched, looped)
    gb = torch.autograd.grad(batched.square().sum(), model.hypernet.output.weight)[0]
    gl = torch.autograd.grad(
        sum(model(x[i], gamma[i]).square().sum() for i in range(4)), model.hypernet.output.weight
    )[0]
    torch.testing.assert_close(gb, gl)


def _bn_primary() -> nn.Module:
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(3, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))


def test_batchnorm_vmap_uses_per_gamma_statistics_and_averages_running_stats() -> None:
    model = HyperModel(_bn_primary(), 1, hidden=(8,)).double()
    gamma = torch.rand(3, 1, dtype=torch.float64)
    x = torch.randn(3, 10, 3, dtype=torch.float64)
    bn = model.primary[1]
    start = bn.running_mean.clone()
    out = model(x, gamma)
    # Each slice in train mode equals a separate call (its own batch statistics).
    means = []
    for i in range(3):
        bn.running_mean.copy_(start)
        torch.testing.assert_close(out[i], model(x[i], gamma[i]))
        means.append(bn.running_mean.clone())
    bn.running_mean.copy_(start)
    model(x, gamma)
    torch.testing.assert_close(bn.running_mean, torch.stack(means).mean(0))


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_norm_layers_in_primary_train(norm: str) -> None:
    torch.manual_seed(0)
    layer = nn.BatchNorm1d(16) if norm == "batch" else nn.LayerNorm(16)
    primary = nn.Sequential(nn.Linear(1, 16), layer, nn.LeakyReLU(), nn.Linear(16, 1))
    model = HyperModel(primary, 1, hidden=(16, 32))
    assert any(n.startswith("1.") for n in model.generated)  # norm affine is generated too
    torch.testing.assert_close(
        model.generate(torch.tensor([0.5]))["1.weight"], torch.ones(16), atol=0.5, rtol=0
    )
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)

    def loss_now() -> float:
        # Train-mode statistics: BatchNorm's running statistics are shared by all γ, so the
        # eval-mode output is not the per-γ function being trained.
        with torch.no_grad():
            g = torch.linspace(0, 1, 5).unsqueeze(-1)
            x = torch.linspace(-1, 1, 32).expand(5, 32).unsqueeze(-1)
            y = (1 + g.unsqueeze(1)) * torch.sin(2 * math.pi * (x + g.unsqueeze(1)))
            return float((model(x, g) - y).square().mean())

    before = loss_now()
    for _ in range(300):
        g = torch.rand(4, 1, generator=gen)
        x = torch.rand(4, 32, 1, generator=gen) * 2 - 1
        y = (1 + g.unsqueeze(1)) * torch.sin(2 * math.pi * (x + g.unsqueeze(1)))
        loss = (model(x, g) - y).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = loss_now()
    assert math.isfinite(after) and after < 0.5 * before


def test_module_selection_and_errors() -> None:
    primary = _mlp()
    shapes = external_shapes(primary, [nn.Linear])
    assert list(shapes) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert list(external_shapes(primary, ["2"])) == ["2.weight", "2.bias"]
    model = HyperModel(_mlp(), 1, modules=["2"], hidden=(4,))
    assert {n for n, _ in model.named_parameters()} == {
        "hypernet.backbone.0.weight", "hypernet.backbone.0.bias", "hypernet.output.weight",
        "hypernet.output.bias", "primary.0.weight", "primary.0.bias", "primary.4.weight", "primary.4.bias",
    }  # fmt: skip
    with pytest.raises(ConfigError, match="no submodule"):
        external_shapes(primary, ["nope"])
    with pytest.raises(ConfigError, match="init"):
        HyperNetwork(1, {"w": (2, 2)}, init="xavier")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="gamma must have shape"):
        HyperNetwork(2, {"w": (2, 2)})(torch.zeros(3))
    with pytest.raises(ValueError, match="x must be"):
        model(torch.zeros(5, 1), torch.zeros(3, 1))


@pytest.mark.parametrize(
    "case", [c for c in module_cases() if c.name.startswith("HyperModel")], ids=lambda c: c.name
)
def test_conformance(case) -> None:  # type: ignore[no-untyped-def]
    check_module(
        case.build, case.inputs, dtypes=case.dtypes, frozen_ok=case.frozen_ok, name=case.name
    )


def test_conformance_cases_registered() -> None:
    assert sum(c.name.startswith("HyperModel") for c in module_cases()) == 2
