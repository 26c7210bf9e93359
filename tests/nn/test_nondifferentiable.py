"""Tests of the non-differentiable model zoo (hard forward, optional surrogate backward)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.nn.nondifferentiable import (
    ArgmaxAttentionClassifier,
    HardMoEClassifier,
    Int8Linear,
    Int8MLP,
    SpikingMLP,
    StaircaseMLP,
    hard_argmax,
    int8_quantize,
    spike,
    staircase,
)
from nnatlas.optim import ModelClosure
from nnatlas.testing import check_module_case
from nnatlas.testing.catalog import load_all, module_cases

NAMES = [
    "SpikingMLP-surrogate",
    "Int8MLP-surrogate",
    "StaircaseMLP-surrogate",
    "ArgmaxAttentionClassifier-surrogate",
    "HardMoEClassifier-surrogate",
]


@pytest.mark.parametrize("name", NAMES)
def test_conformance(name: str) -> None:
    load_all()
    check_module_case(next(c for c in module_cases() if c.name == name))


def _builders() -> dict[str, object]:
    return {
        "snn": lambda s: SpikingMLP(6, 16, 3, num_steps=5, surrogate=s),
        "int8": lambda s: Int8MLP(6, 16, 3, surrogate=s),
        "stair": lambda s: StaircaseMLP(6, 16, 3, surrogate=s),
        "attn": lambda s: ArgmaxAttentionClassifier(3, 2, 8, 3, surrogate=s),
        "moe": lambda s: HardMoEClassifier(6, 16, 3, num_experts=4, surrogate=s),
    }


@pytest.mark.parametrize("kind", ["snn", "int8", "stair", "attn", "moe"])
def test_surrogate_leaves_the_forward_bit_identical(kind: str) -> None:
    build = _builders()[kind]
    torch.manual_seed(0)
    hard = build(False)  # type: ignore[operator]
    torch.manual_seed(0)
    soft = build(True)  # type: ignore[operator]
    x = 3 * torch.randn(10, 6)
    assert torch.equal(hard(x), soft(x))


def _grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor | None]:
    model.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    if loss.requires_grad:
        loss.backward()
    return {n: p.grad for n, p in model.named_parameters()}


def test_exact_gradients_are_zero_or_absent_where_the_paper_says() -> None:
    torch.manual_seed(0)
    x, y = 3 * torch.randn(12, 6), torch.randint(0, 3, (12,))
    b = _builders()
    # Hard LIF: the loss does not depend differentiably on any parameter.
    assert all(g is None for g in _grads(b["snn"](False), x, y).values())  # type: ignore[operator]
    # INT8: round() has derivative 0, so the quantised layer's weights get exactly zero.
    g = _grads(b["int8"](False), x, y)  # type: ignore[operator]
    assert torch.count_nonzero(g["fc2.weight"]) == 0 and torch.count_nonzero(g["fc2.bias"]) == 0
    assert torch.count_nonzero(g["fc1.weight"]) > 0
    # Staircase: floor() blocks everything before the last activation.
    g = _grads(b["stair"](False), x, y)  # type: ignore[operator]
    for name in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"):
        assert g[name] is not None and torch.count_nonzero(g[name]) == 0
    assert torch.count_nonzero(g["fc3.weight"]) > 0
    # Argmax attention: queries and keys get no gradient.
    g = _grads(b["attn"](False), x, y)  # type: ignore[operator]
    for name in ("attention.q.weight", "attention.k.weight"):
        assert g[name] is None
    assert g["attention.v.weight"] is not None
    # Hard MoE: the gate gets no gradient.
    g = _grads(b["moe"](False), x, y)  # type: ignore[operator]
    assert g["moe.gate.weight"] is None and g["trunk.weight"] is not None


@pytest.mark.parametrize("kind", ["snn", "int8", "stair", "attn", "moe"])
def test_surrogate_gradients_reach_every_parameter(kind: str) -> None:
    torch.manual_seed(0)
    x, y = 3 * torch.randn(12, 6), torch.randint(0, 3, (12,))
    grads = _grads(_builders()[kind](True), x, y)  # type: ignore[operator]
    assert all(g is not None for g in grads.values())
    assert sum(int(torch.count_nonzero(g)) for g in grads.values() if g is not None) > 0


def test_spike_surrogate_derivative_is_fast_sigmoid() -> None:
    v = torch.tensor([-1.0, 0.5, 1.0, 1.3], requires_grad=True)
    s = spike(v, 1.0, surrogate=True, slope=5.0)
    assert torch.equal(s.detach(), torch.tensor([0.0, 0.0, 1.0, 1.0]))
    s.sum().backward()
    u = v.detach() - 1.0
    torch.testing.assert_close(v.grad, 1 / (1 + 5 * u.abs()) ** 2)


def test_lif_dynamics_match_a_hand_computation() -> None:
    # One input, one hidden, one output neuron: current 0.4 → v = 0.4, 0.78, 1.141 (spike at
    # t=3, reset to 0), 0.4, 0.78, 1.141 (spike at t=6); an output that copies hidden spikes.
    model = SpikingMLP(1, 1, 1, num_steps=6, beta=0.95)
    with torch.no_grad():
        model.fc1.weight.fill_(1.0)
        model.fc1.bias.zero_()
        model.fc2.weight.fill_(2.0)
        model.fc2.bias.zero_()
    out = model(torch.tensor([[0.4]]))
    assert out.item() == 2.0


def test_quantisers_closed_forms() -> None:
    w = torch.tensor([0.004, 0.006, -0.0149, 5.0, -5.0])
    torch.testing.assert_close(
        int8_quantize(w, 0.01), torch.tensor([0.0, 0.01, -0.01, 1.27, -1.28])
    )
    x = torch.tensor([-0.3, 0.2, 0.6, 1.7, 9.0])
    torch.testing.assert_close(staircase(x, 5, 2.0), torch.tensor([0.0, 0.0, 1.0, 3.0, 4.0]))
    s = torch.tensor([[0.1, 0.7, 0.7], [2.0, -1.0, 0.0]])
    assert torch.equal(hard_argmax(s), torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]))
    layer = Int8Linear(3, 2)
    torch.testing.assert_close(
        layer(torch.eye(3)), (int8_quantize(layer.weight) + int8_quantize(layer.bias)[:, None]).T
    )


@pytest.mark.parametrize("kind", ["snn", "int8", "stair", "attn", "moe"])
def test_models_run_under_vmap_batched_evaluation(kind: str) -> None:
    torch.manual_seed(0)
    model = _builders()[kind](False)  # type: ignore[operator]
    x, y = 3 * torch.randn(12, 6), torch.randint(0, 3, (12,))
    closure = ModelClosure(model, F.cross_entropy, x, y)
    params = list(model.parameters())
    values = [p.detach()[None] + 0.3 * torch.randn(4, *p.shape) for p in params]
    batched = closure.evaluate_batch(params, values)
    assert closure.use_vmap
    for i in range(4):
        with torch.no_grad():
            for p, v in zip(params, values, strict=True):
                p.copy_(v[i])
        torch.testing.assert_close(batched[i], closure(), atol=1e-5, rtol=1e-5)


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="beta"):
        SpikingMLP(4, 4, 2, beta=1.5)
    with pytest.raises(ConfigError, match="scale"):
        Int8Linear(2, 2, scale=0.0)
    with pytest.raises(ConfigError, match="levels"):
        StaircaseMLP(2, 2, 2, levels=1)
    with pytest.raises(TypeError, match="num_experts"):
        HardMoEClassifier(2, 2, 2, num_experts=2.0)  # type: ignore[arg-type]
