"""Tests for nnatlas.param.neumeta (Neural Metamorphosis)."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import nn
from torch.func import functional_call

from nnatlas.core.errors import ConfigError
from nnatlas.param.neumeta import (
    ChannelGroup,
    MorphedModel,
    NeuMeta,
    fourier_features,
    permute_group,
    sequential_channel_groups,
    shortest_hamiltonian_path,
    smooth_permutation,
    total_variation,
    weight_coordinates,
)
from nnatlas.testing import check_module
from nnatlas.testing.catalog import load_all, module_cases

load_all()  # registers the conformance cases (nnatlas.testing.cases)


def _randomize_bn(model: nn.Module) -> None:
    """Give BatchNorm layers non-trivial affine parameters and running statistics."""
    g = torch.Generator().manual_seed(3)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.num_features, generator=g, dtype=m.weight.dtype) + 0.5)
                m.bias.normal_(generator=g)
                m.running_mean.normal_(generator=g)
                m.running_var.copy_(
                    torch.rand(m.num_features, generator=g, dtype=m.weight.dtype) + 0.5
                )


def test_permutation_preserves_cnn_with_batchnorm_and_flatten() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
        nn.Conv2d(6, 12, 3, padding=1), nn.BatchNorm2d(12), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(12 * 16, 20), nn.BatchNorm1d(20), nn.ReLU(), nn.Linear(20, 10),
    ).double()  # fmt: skip
    _randomize_bn(model)
    model.eval()
    x = torch.randn(7, 1, 8, 8, dtype=torch.float64)
    groups = sequential_channel_groups(model, x)
    assert [g.channels for g in groups] == [6, 12, 20]
    assert ("8.weight", 1, 16) in groups[1].members  # flatten: 16 pixels per channel
    assert ("4.running_var", 0, 1) in groups[1].members
    before = model(x)
    tv0 = total_variation(model, groups)
    orders = smooth_permutation(model, groups)
    assert any(o != sorted(o) for o in orders)  # something actually moved
    torch.testing.assert_close(model(x), before, atol=1e-6, rtol=0)
    assert total_variation(model, groups) < tv0


class _Res(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Linear(5, 12)
        self.fc1 = nn.Linear(12, 9)
        self.bn1 = nn.BatchNorm1d(9)
        self.fc2 = nn.Linear(9, 12)
        self.head = nn.Linear(12, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.stem(x))
        return self.head(torch.relu(h + self.fc2(torch.relu(self.bn1(self.fc1(h))))))


_STREAM = ChannelGroup(
    (("stem.weight", 0, 1), ("stem.bias", 0, 1), ("fc1.weight", 1, 1), ("fc2.weight", 0, 1),
     ("fc2.bias", 0, 1), ("head.weight", 1, 1)),
    12,
)  # fmt: skip
_INNER = ChannelGroup(
    (("fc1.weight", 0, 1), ("fc1.bias", 0, 1), ("bn1.weight", 0, 1), ("bn1.bias", 0, 1),
     ("bn1.running_mean", 0, 1), ("bn1.running_var", 0, 1), ("fc2.weight", 1, 1)),
    9,
)  # fmt: skip


def test_permutation_preserves_residual_coupling_and_bn_buffers() -> None:
    torch.manual_seed(0)
    model = _Res().double()
    _randomize_bn(model)
    model.eval()
    x = torch.randn(11, 5, dtype=torch.float64)
    before = model(x)
    tv0 = total_variation(model, [_STREAM, _INNER])
    smooth_permutation(model, [_STREAM, _INNER])
    torch.testing.assert_close(model(x), before, atol=1e-6, rtol=0)
    assert total_variation(model, [_STREAM, _INNER]) < tv0


def test_incomplete_groups_break_the_function() -> None:
    """The check above can fail: forgetting the residual coupling or BN buffers changes outputs."""
    torch.manual_seed(0)
    x = torch.randn(11, 5, dtype=torch.float64)
    for drop in ("fc2.weight", "bn1.running_mean"):
        model = _Res().double()
        _randomize_bn(model)
        model.eval()
        before = model(x)
        group = _STREAM if drop == "fc2.weight" else _INNER
        broken = ChannelGroup(tuple(m for m in group.members if m[0] != drop), group.channels)
        permute_group(model, broken, torch.arange(group.channels).flip(0))
        assert (model(x) - before).abs().max() > 1e-3


def test_shortest_path_is_exact_on_small_problems_and_good_on_a_line() -> None:
    g = torch.Generator().manual_seed(0)
    pts = torch.rand(7, 3, generator=g, dtype=torch.float64)
    d = torch.cdist(pts, pts, p=1)

    def length(order: list[int] | tuple[int, ...]) -> float:
        return float(sum(d[a, b] for a, b in itertools.pairwise(order)))

    best = min(length(p) for p in itertools.permutations(range(7)))
    assert length(shortest_hamiltonian_path(d)) == pytest.approx(best)
    # Points on a line in shuffled order: the optimum visits them in sorted order.
    pos = torch.randperm(30, generator=g).double()
    order = shortest_hamiltonian_path((pos[:, None] - pos[None]).abs())
    assert sorted(pos[order].tolist()) in (pos[order].tolist(), pos[order].flip(0).tolist())
    with pytest.raises(ConfigError, match="square"):
        shortest_hamiltonian_path(torch.zeros(2, 3))


def test_fourier_features_and_coordinates() -> None:
    x = torch.tensor([[0.25, 0.5]], dtype=torch.float64)
    f = fourier_features(x, 2)
    assert f.shape == (1, 2 * 5)
    torch.testing.assert_close(
        f[0, 2], torch.sin(torch.tensor(math.pi * 0.25, dtype=torch.float64))
    )
    c = weight_coordinates(1, 3, (4, 5, 3, 3))
    assert c.shape == (20, 6)
    torch.testing.assert_close(c[7], torch.tensor([1.0, 1, 2, 3, 4, 5], dtype=torch.float64))
    assert weight_coordinates(0, 3, (4,))[:, 2].eq(0).all()


def _family(width: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(2, width, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(width, 4, 1),
        nn.Flatten(1),
        nn.Linear(64, 3),
    )


def test_sampled_widths_have_the_right_shapes_and_fan_in_scaling() -> None:
    torch.manual_seed(0)
    morph = ["0.weight", "0.bias", "2.weight"]
    inr = NeuMeta(_family(8), morph, hidden=16, num_freqs=3)
    for width in (3, 8, 13):
        member = _family(width)
        shapes = {n: p.shape for n, p in member.named_parameters() if n in morph}
        w = inr.sample(shapes, 3, generator=torch.Generator().manual_seed(0))
        assert {n: v.shape for n, v in w.items()} == shapes
        out = functional_call(member, w, (torch.randn(2, 2, 4, 4),))
        assert out.shape == (2, 3)
    # Eval-mode generation is deterministic; training mode jitters the coordinates.
    inr.eval()
    shapes = {n: p.shape for n, p in _family(5).named_parameters() if n in morph}
    torch.testing.assert_close(inr(shapes), inr(shapes))
    inr.train()
    assert not torch.allclose(inr(shapes)["2.weight"], inr(shapes)["2.weight"])
    # Clean sample with one draw equals the eval forward.
    torch.testing.assert_close(inr.sample(shapes, 1), inr(shapes, noise=0.0))
    with pytest.raises(ConfigError, match="rank"):
        inr({"0.weight": (5, 2), "0.bias": (5,), "2.weight": (4, 5, 1, 1)})
    with pytest.raises(ConfigError, match="morph"):
        NeuMeta(_family(8), ["nope"])


def test_fan_in_division_makes_the_next_layer_a_riemann_sum() -> None:
    """With the INR constant along the input axis, the next layer's sum over h units is width-free."""
    torch.manual_seed(0)
    fam = lambda h: nn.Sequential(nn.Linear(3, h), nn.Linear(h, 2))  # noqa: E731
    inr = NeuMeta(fam(4), ["1.weight"], hidden=8, num_freqs=0).double().eval()
    with torch.no_grad():
        for net in inr.nets:
            net.inp.weight.zero_()  # output independent of the coordinate
            net.inp.bias.fill_(1.0)
    sums = [inr({"1.weight": (2, h)})["1.weight"].sum(1) for h in (4, 9, 32)]
    torch.testing.assert_close(sums[0], sums[1])
    torch.testing.assert_close(sums[0], sums[2])


def test_morphed_model_learns_a_toy_task() -> None:
    torch.manual_seed(0)
    x = torch.randn(256, 5)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    fam = lambda h: nn.Sequential(nn.Linear(5, h), nn.ReLU(), nn.Linear(h, 3))  # noqa: E731
    inr = NeuMeta(fam(8), ["0.weight", "0.bias", "2.weight", "2.bias"], hidden=32, num_freqs=4)
    model = MorphedModel(fam(8), inr)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    with torch.no_grad():
        loss0 = float(nn.functional.cross_entropy(model(x), y))
    for _ in range(150):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        assert float(nn.functional.cross_entropy(model(x), y)) < 0.6 * loss0


@pytest.mark.parametrize(
    "case", [c for c in module_cases() if c.name.startswith("MorphedModel")], ids=lambda c: c.name
)
def test_conformance(case) -> None:  # type: ignore[no-untyped-def]
    check_module(
        case.build, case.inputs, dtypes=case.dtypes, frozen_ok=case.frozen_ok, name=case.name
    )


def test_conformance_case_registered() -> None:
    assert any(c.name == "MorphedModel-mlp" for c in module_cases())
