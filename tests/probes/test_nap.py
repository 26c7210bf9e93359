"""NAP mining, recall/precision and non-ambiguity on nets with known answers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.nn.models import MLP
from nnatlas.probes import (
    NAP,
    activation_patterns,
    mine_naps,
    mine_naps_from_patterns,
    nap_statistics,
    non_ambiguity,
    relu_layers,
)


def _identity_net() -> nn.Sequential:
    """Two hidden neurons that copy the two inputs: neuron k is active iff x_k > 0."""
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(2))
        net[0].bias.zero_()
        net[2].weight.copy_(torch.eye(2))
        net[2].bias.zero_()
    return net


def _known_data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    # class 0: x0 > 0, x1 < 0 always.
    c0 = torch.stack([0.1 + torch.rand(20, generator=g), -0.1 - torch.rand(20, generator=g)], 1)
    # class 1: x0 < 0, x1 > 0, except one input with x0 > 0 (neuron 0 active on 1 of 20).
    c1 = torch.stack([-0.1 - torch.rand(20, generator=g), 0.1 + torch.rand(20, generator=g)], 1)
    c1[0, 0] = 0.5
    return torch.cat([c0, c1]), torch.cat([torch.zeros(20), torch.ones(20)]).long()


def test_relu_layers_of_mlp_and_sequential():
    s = relu_layers(MLP(5, [7, 3], 2))
    assert s.linear == ("layers.0", "layers.2", "layers.4")
    assert s.relu == ("layers.1", "layers.3")
    assert s.widths == (7, 3) and s.num_neurons == 10
    s2 = relu_layers(
        nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Dropout(), nn.Linear(3, 2))
    )
    assert s2.relu == ("2",) and s2.widths == (3,)


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (MLP(4, [3], 2, activation="tanh"), "Tanh"),
        (nn.Sequential(nn.Linear(4, 3), nn.Sigmoid(), nn.Linear(3, 2)), "Sigmoid"),
        (nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Linear(2, 2)), "Conv2d"),
        (nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)), "second Linear"),
        (nn.Sequential(nn.Linear(4, 3), nn.ReLU()), "final Linear"),
        (nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(5, 2)), "expects 5 inputs"),
    ],
)
def test_non_relu_models_are_rejected_with_a_clear_error(model, match):
    with pytest.raises(ConfigError, match=match):
        relu_layers(model)
    with pytest.raises(ConfigError, match=match):
        mine_naps(model, torch.zeros(3, 4), torch.zeros(3, dtype=torch.long))


def test_relu_layers_rejects_non_modules():
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        relu_layers("mlp")  # type: ignore[arg-type]


def test_patterns_match_pre_activation_signs():
    torch.manual_seed(0)
    model = MLP(5, [6, 4], 3)
    x = torch.randn(50, 5)
    p = activation_patterns(model, x)
    w0, b0 = model.layers[0].weight, model.layers[0].bias
    w1, b1 = model.layers[2].weight, model.layers[2].bias
    z0 = x @ w0.T + b0
    z1 = z0.clamp(min=0) @ w1.T + b1
    expected = torch.cat([z0 > 0, z1 > 0], 1)
    assert p.dtype == torch.bool and p.shape == (50, 10)
    assert torch.equal(p, expected)


def test_mining_on_a_hand_built_net_gives_the_known_naps():
    net = _identity_net()
    x, y = _known_data()
    naps = mine_naps(net, x, y, delta=0.95)
    assert set(naps) == {0, 1}
    assert naps[0].active.tolist() == [True, False]
    assert naps[0].inactive.tolist() == [False, True]
    # Neuron 0 is active on exactly 1/20 = 1 − 0.95 of class 1: fixed inactive at δ = 0.95.
    assert naps[1].active.tolist() == [False, True]
    assert naps[1].inactive.tolist() == [True, False]
    assert naps[1].support == 20 and naps[1].delta == 0.95
    # At δ = 1 only unanimous neurons are fixed: neuron 0 is free for class 1.
    strict = mine_naps(net, x, y, delta=1.0)
    assert strict[1].active.tolist() == [False, True]
    assert strict[1].inactive.tolist() == [False, False]
    assert strict[0].num_fixed == 2 and strict[1].num_fixed == 1
    # Both NAPs disagree on a neuron: trivially non-ambiguous at either δ.
    assert non_ambiguity(naps).tolist() == [[False, True], [True, False]]
    assert non_ambiguity(strict).tolist() == [[False, True], [True, False]]


def test_contains_uses_only_fixed_neurons():
    nap = NAP(
        label=0,
        active=torch.tensor([True, False, False]),
        inactive=torch.tensor([False, True, False]),
        widths=(3,),
    )
    pats = torch.tensor(
        [[True, False, False], [True, False, True], [False, False, True], [True, True, False]]
    )
    assert nap.contains(pats).tolist() == [True, True, False, False]
    assert [tuple(m.tolist()) for pair in nap.layer_masks() for m in pair] == [
        (True, False, False),
        (False, True, False),
    ]


def test_recall_and_precision_definitions():
    widths = (2,)
    naps = {
        0: NAP(0, torch.tensor([True, False]), torch.tensor([False, False]), widths),
        1: NAP(1, torch.tensor([False, True]), torch.tensor([True, False]), widths),
    }
    # Patterns of 6 inputs: NAP_0 matches rows with neuron 0 on; NAP_1 rows (off, on).
    pats = torch.tensor(
        [[True, False], [True, True], [False, True], [False, True], [True, True], [False, False]]
    )
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    preds = torch.tensor([0, 1, 0, 1, 0, 1])
    s = nap_statistics(naps, pats, labels, preds)
    # Class 0: rows 0, 1 match NAP_0 of 3 → 2/3. Class 1: only row 3 matches NAP_1 → 1/3.
    assert s.recall_per_class == pytest.approx({0: 2 / 3, 1: 1 / 3})
    assert s.recall == pytest.approx(3 / 6)
    # NAP_0 matches rows 0, 1, 4: predicted 0 on rows 0 and 4 → 2/3. NAP_1 matches rows 2, 3:
    # predicted 1 on row 3 → 1/2.
    assert s.precision_per_class == pytest.approx({0: 2 / 3, 1: 1 / 2})
    assert s.precision == pytest.approx(3 / 5)
    assert s.matches == {0: 3, 1: 2}
    assert non_ambiguity(naps).tolist() == [[False, True], [True, False]]


def test_non_ambiguity_false_without_a_conflicting_neuron():
    widths = (3,)
    a = NAP(0, torch.tensor([True, False, False]), torch.tensor([False, False, True]), widths)
    b = NAP(1, torch.tensor([True, True, False]), torch.tensor([False, False, False]), widths)
    assert not non_ambiguity({0: a, 1: b}).any()


def test_larger_delta_fixes_fewer_neurons_and_raises_recall():
    torch.manual_seed(1)
    model = MLP(8, [16, 16], 4)
    x = torch.randn(400, 8)
    y = model(x).argmax(1)
    pats = activation_patterns(model, x)
    fixed, recall, precision = [], [], []
    for delta in (0.6, 0.8, 0.95, 1.0):
        naps = mine_naps_from_patterns(pats, y, (16, 16), delta=delta)
        s = nap_statistics(naps, pats, y, y)
        fixed.append(sum(n.num_fixed for n in naps.values()))
        recall.append(s.recall)
        precision.append(s.precision)
    assert fixed == sorted(fixed, reverse=True)
    assert recall == sorted(recall)
    assert recall[-1] == 1.0  # δ = 1 NAPs match every input they were mined from


@pytest.mark.parametrize("delta", [0.5, 0.3, 1.01])
def test_delta_out_of_range(delta):
    with pytest.raises(ConfigError, match="delta must be in"):
        mine_naps(_identity_net(), *_known_data(), delta=delta)


def test_bad_labels_and_patterns():
    x, y = _known_data()
    with pytest.raises(ConfigError, match="labels must be a 1-D integer tensor of length 40"):
        mine_naps(_identity_net(), x, y.float())
    with pytest.raises(ConfigError, match="sum\\(widths\\) = 2"):
        mine_naps_from_patterns(torch.zeros(4, 3, dtype=torch.bool), y[:4], (2,))
    with pytest.raises(ConfigError, match="disjoint"):
        NAP(0, torch.tensor([True]), torch.tensor([True]), (1,))
    with pytest.raises(ConfigError, match="shape"):
        NAP(0, torch.tensor([True, False]), torch.tensor([False]), (2,))


def test_explicit_layer_names_mine_any_model():
    # A Tanh head after the ReLU layer: auto-detection refuses, explicit names work.
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.Tanh())
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2))
        model[0].bias.zero_()
    x, y = _known_data()
    naps = mine_naps(model, x, y, delta=0.95, layers=["1"])
    assert naps[0].active.tolist() == [True, False] and naps[1].inactive.tolist() == [True, False]
    p = activation_patterns(model, x, layers=["1"])
    assert p.shape == (40, 2) and naps[0].contains(p)[:20].all()
    with pytest.raises(KeyError, match="unknown layer"):
        activation_patterns(model, x, layers=["nope"])
