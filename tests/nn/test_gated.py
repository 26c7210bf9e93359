"""Tests of the conditional-computation gater (Bengio, Léonard, Courville 2013)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.data import make_split
from nnatlas.nn.gated import GatedLayer, GatedMLP, gate_bias_for_rate, make_gate
from nnatlas.testing import check_module, check_module_case
from nnatlas.testing.catalog import load_all, module_cases
from nnatlas.train.stochastic_neurons import ESTIMATORS, ReinforceBernoulli


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_registered_cases_conform(estimator: str) -> None:
    load_all()
    (case,) = [c for c in module_cases() if c.name == f"GatedMLP-{estimator}"]
    check_module_case(case)


def test_gated_layer_conforms_directly() -> None:
    check_module(
        lambda dtype: GatedLayer(5, 12, 3, "st-sigmoid", gate_bias=0.0, dtype=dtype),
        lambda dtype: (torch.randn(7, 5, dtype=dtype),),
        name="GatedLayer-st-sigmoid",
    )


def test_gates_switch_whole_blocks() -> None:
    layer = GatedLayer(
        4, 12, 3, "st-identity", gate_bias=0.0, generator=torch.Generator().manual_seed(0)
    )
    x = torch.randn(50, 4)
    out = layer(x)
    hidden = torch.relu(layer.main(x))
    gates = layer.last_gates
    assert gates is not None and gates.shape == (50, 3)
    assert set(gates.unique().tolist()) <= {0.0, 1.0}
    expected = hidden * gates.repeat_interleave(4, dim=1)
    torch.testing.assert_close(out, expected)
    # a zero gate zeroes exactly its own 4 units
    assert bool((out.reshape(50, 3, 4)[gates == 0] == 0).all())


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_initial_bias_puts_gates_at_target_rate(estimator: str) -> None:
    bias = gate_bias_for_rate(estimator, 0.2)
    gate = make_gate(estimator, 1)
    rate = gate.on_probability(torch.tensor([bias], dtype=torch.float64))  # type: ignore[operator]
    assert float(rate) == pytest.approx(0.2, rel=1e-12)
    model = GatedMLP(3, [8], 2, 4, estimator, target_rate=0.2)
    assert torch.allclose(model.layers[0].gater.bias, torch.full((4,), bias))


def test_sparsity_penalty_closed_form() -> None:
    model = GatedMLP(3, [8], 2, 4, "st-sigmoid", target_rate=0.3, sparsity_weight=2.5)
    x = torch.randn(10, 3)
    model(x)
    p = torch.sigmoid(model.layers[0].gater(x)).mean(0)
    torch.testing.assert_close(model.sparsity_penalty(), 2.5 * (p - 0.3).square().sum())


def test_reinforce_gater_gets_gradient_only_through_auxiliary_loss() -> None:
    model = GatedMLP(
        4, [8], 3, 4, "reinforce", sparsity_weight=0.0, generator=torch.Generator().manual_seed(0)
    )
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    per_example = F.cross_entropy(model(x), y, reduction="none")
    per_example.mean().backward(retain_graph=True)
    gater = model.layers[0].gater
    assert gater.weight.grad is None
    aux = model.auxiliary_loss(per_example)
    assert float(aux.detach()) == 0.0  # the surrogate's value is 0, the penalty weight is 0
    aux.backward()
    assert gater.weight.grad is not None and float(gater.weight.grad.abs().sum()) > 0
    assert isinstance(model.layers[0].gate, ReinforceBernoulli)


def test_generator_makes_training_repeatable() -> None:
    def run() -> torch.Tensor:
        torch.manual_seed(0)
        model = GatedMLP(4, [8], 3, 4, "sts", generator=torch.Generator().manual_seed(1))
        return model(torch.ones(5, 4))

    assert torch.equal(run(), run())


def _train_toy(
    estimator: str, target: float, weight: float, steps: int = 600
) -> tuple[float, float]:
    data = make_split("gaussian_mixture", 512, 256, seed=0)
    x, y = data.x_train, data.y_train
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = GatedMLP(
        x.shape[1], [32], data.num_classes, 8, estimator,
        target_rate=target, sparsity_weight=weight, gate_bias=0.0, generator=gen,
    )  # fmt: skip
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (64,), generator=gen)
        per_example = F.cross_entropy(model(x[idx]), y[idx], reduction="none")
        loss = per_example.mean() + model.auxiliary_loss(per_example)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        rates = []
        for _ in range(5):
            model(data.x_test)
            rates.append(model.on_fraction())
        acc = float((model(data.x_test).argmax(1) == data.y_test).float().mean())
    return sum(rates) / len(rates), acc


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_gater_reaches_its_sparsity_target(estimator: str) -> None:
    # Gates start at rate 0.5 (bias 0); a strong penalty must bring them to the 0.2 target.
    rate, acc = _train_toy(estimator, target=0.2, weight=100.0)
    assert abs(rate - 0.2) < 0.05, rate
    assert acc > 0.5  # still learns the task (chance is 1 / num_classes)


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(UnknownNameError, match="estimator"):
        GatedMLP(4, [8], 3, 4, "gumbel")
    with pytest.raises(ConfigError, match="multiple of num_blocks"):
        GatedLayer(4, 10, 3)
    with pytest.raises(ConfigError, match="target_rate"):
        GatedMLP(4, [8], 3, 4, target_rate=1.0)
    with pytest.raises(ConfigError, match="sparsity_weight"):
        GatedMLP(4, [8], 3, 4, sparsity_weight=-1.0)
    with pytest.raises(ConfigError, match="one per hidden layer"):
        GatedMLP(4, [8, 8], 3, [4])
    with pytest.raises(ConfigError, match="hidden"):
        GatedMLP(4, [], 3)
    with pytest.raises(ConfigError, match="in_features=4"):
        GatedLayer(4, 8, 2)(torch.randn(3, 5))
    model = GatedMLP(4, [8], 3, 4)
    with pytest.raises(RuntimeError, match="on_fraction"):
        model.on_fraction()
    model.eval()
    model(torch.randn(2, 4))
    with pytest.raises(RuntimeError, match="training mode"):
        model.sparsity_penalty()
    assert not math.isnan(model.on_fraction())


def test_reproduction_run_is_a_function_of_its_seed() -> None:
    from nnatlas.papers.stochastic_neurons import PAPER

    claim = PAPER.claim("gating")
    config = claim.config("smoke")

    def numbers(seed: int) -> dict[str, object]:
        out = claim.run(config, seed)
        # everything but the wall-clock training time
        for record in [out["dense"], *out["gated"].values()]:
            record.pop("seconds")
        return out

    first = numbers(3)
    assert first == numbers(3)
    assert numbers(4)["gated"] != first["gated"]
