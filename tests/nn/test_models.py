"""Reference models: architecture arithmetic, argument checks, and a short fit on digits.

Shapes, backward, dtypes and state_dict round trips are covered by the conformance battery
(tests/test_conformance.py) through the cases registered in nnatlas.nn.models.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nnatlas.core.errors import UnknownNameError
from nnatlas.nn import MLP, LeNet, num_parameters
from nnatlas.nn.activations import ACTIVATIONS


def _lenet5_parameters(flat: int, k: int = 5, c_in: int = 1, classes: int = 10) -> int:
    conv = (c_in * k * k + 1) * 6 + (6 * k * k + 1) * 16
    return conv + (flat + 1) * 120 + (120 + 1) * 84 + (84 + 1) * classes


@pytest.mark.parametrize(
    ("image_size", "flat", "kernel"), [(28, 16 * 4 * 4, 5), (32, 16 * 5 * 5, 5), (8, 16 * 2 * 2, 3)]
)
def test_lenet_flatten_size_and_parameter_count(image_size: int, flat: int, kernel: int) -> None:
    model = LeNet(1, 10, image_size=image_size)
    assert model.flatten_size == flat and model.kernel_size == kernel
    assert num_parameters(model) == _lenet5_parameters(flat, kernel)
    assert model(torch.randn(3, 1, image_size, image_size)).shape == (3, 10)


def test_lenet_options() -> None:
    model = LeNet(3, 5, image_size=(28, 20), channels=(4, 8), hidden=(32,), dtype=torch.float64)
    assert model.flatten_size == 8 * 4 * 2
    out = model(torch.randn(2, 3, 28, 20, dtype=torch.float64))
    assert out.shape == (2, 5) and out.dtype == torch.float64
    assert "flatten_size=64" in model.extra_repr()


def test_lenet_batch_norm_drops_conv_bias_and_dry_run_leaves_stats_alone() -> None:
    model = LeNet(image_size=8, batch_norm=True)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert all(conv.bias is None for conv in convs)
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(int(bn.num_batches_tracked) == 0 for bn in norms)
    assert all(torch.equal(bn.running_mean, torch.zeros_like(bn.running_mean)) for bn in norms)
    assert model.training and all(m.training for m in model.modules())


def test_lenet_rejects_bad_input_and_tiny_images() -> None:
    model = LeNet(image_size=8)
    with pytest.raises(
        ValueError, match=r"LeNet expects input \(batch, 1, 8, 8\); got shape \(2, 1, 28, 28\)"
    ):
        model(torch.randn(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"image_size=\(6, 6\) is too small for kernel_size=5"):
        LeNet(image_size=6, kernel_size=5, padding=0)
    with pytest.raises(ValueError, match=r"channels must hold two channel counts; got \(6,\)"):
        LeNet(channels=(6,))
    with pytest.raises(ValueError, match=r"padding must be a non-negative integer; got -1"):
        LeNet(padding=-1)


def test_mlp_flattens_trailing_dimensions() -> None:
    model = MLP(64, [32, 16], 10)
    x = torch.randn(5, 1, 8, 8)
    torch.testing.assert_close(model(x), model(x.flatten(1)))
    assert num_parameters(model) == (64 + 1) * 32 + (32 + 1) * 16 + (16 + 1) * 10
    assert MLP(3, [], 2, bias=False)(torch.randn(4, 3)).shape == (4, 2)


def test_mlp_activations_and_repr() -> None:
    model = MLP(4, [8, 8], 2, activation=nn.PReLU, dtype=torch.float64)
    prelus = [m for m in model.modules() if isinstance(m, nn.PReLU)]
    assert len(prelus) == 2 and prelus[0] is not prelus[1]
    assert all(p.weight.dtype == torch.float64 for p in prelus)
    assert model.extra_repr() == (
        "in_features=4, hidden=(8, 8), out_features=2, activation=PReLU, bias=True"
    )
    assert isinstance(MLP(4, [3], 2, activation="tanh").layers[1], nn.Tanh)
    assert isinstance(MLP(4, [3], 2, activation="gelu").layers[1], nn.GELU)
    # Every name of the shared table works (it was a private relu/tanh/gelu table before).
    for name, entry in ACTIVATIONS.items():
        layer = MLP(4, [3], 2, activation=name).layers[1]
        assert type(layer) is entry.module, name


def test_mlp_argument_errors() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown activation 'swish'.*relu.*silu"):
        MLP(4, [8], 2, activation="swish")
    with pytest.raises(ValueError, match=r"hidden\[1\] must be an int >= 1; got 0"):
        MLP(4, [8, 0], 2)
    with pytest.raises(ValueError, match=r"hidden must be a sequence of layer widths; got 8"):
        MLP(4, 8, 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"in_features must be an int >= 1; got 0"):
        MLP(0, [8], 2)
    with pytest.raises(ValueError, match=r"expects input \(batch, \*\) with 4 features .*\(3, 5\)"):
        MLP(4, [8], 2)(torch.randn(3, 5))


def test_reset_parameters_reinitialises() -> None:
    for model in (MLP(4, [8], 2), LeNet(image_size=8, batch_norm=True)):
        before = [p.detach().clone() for p in model.parameters()]
        model.reset_parameters()
        after = list(model.parameters())
        assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))


def test_num_parameters_skips_frozen() -> None:
    model = MLP(4, [8], 2)
    model.layers[0].weight.requires_grad_(False)
    assert num_parameters(model) == 8 + 9 * 2
    assert num_parameters(model, trainable_only=False) == 5 * 8 + 9 * 2


def test_lenet_learns_digits() -> None:
    pytest.importorskip("sklearn")
    from nnatlas.data import load_digits

    data = load_digits(as_images=True, seed=0)
    model = LeNet(1, 10, image_size=8)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    generator = torch.Generator().manual_seed(0)
    for _ in range(5):
        for batch in torch.randperm(data.num_train, generator=generator).split(64):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(data.x_train[batch]), data.y_train[batch])
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(data.x_test).argmax(1) == data.y_test).double().mean().item()
    assert accuracy > 0.85  # about 0.90-0.96 over init seeds
