"""The operator data normaliser and the physical-units evaluation helper."""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.operators import OperatorNormalizer, evaluate_operator, relative_l2_loss
from nnatlas.testing.inputs import randn


def _data(dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    # Channels with very different offsets and scales, so per-channel and global differ.
    x = (
        randn(20, 3, 5, 4, dtype=dtype, seed=1)
        * torch.tensor([1.0, 10.0, 0.1], dtype=dtype)[:, None, None]
        + torch.tensor([5.0, -2.0, 0.0], dtype=dtype)[:, None, None]
    )
    y = 3.0 * randn(20, 2, 5, 4, dtype=dtype, seed=2) + 1.0
    return x, y


def test_global_statistics_equal_the_hand_written_ones_bit_for_bit():
    # The sequence the operator papers wrote by hand: (a - a.mean()) / a.std(), u / u.std().
    x, y = _data(torch.float32)
    norm = OperatorNormalizer.fit(x, y)
    assert torch.equal(norm.encode_x(x), (x - x.mean()) / x.std())
    assert torch.equal(norm.encode_y(y), y / y.std())
    z = randn(4, 2, 5, 4, seed=7)
    assert torch.equal(norm.decode_y(z), z * y.std())
    assert float(norm.y_mean) == 0.0 and not norm.center_y


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("center_y", [False, True])
def test_round_trip_is_exact_to_rounding(per_channel, center_y):
    x, y = _data()
    norm = OperatorNormalizer.fit(x, y, per_channel=per_channel, center_y=center_y)
    # Two affine ops each way: a few float64 roundings of values of size ~|mean| + |x|.
    for t, enc, dec in ((x, norm.encode_x, norm.decode_x), (y, norm.encode_y, norm.decode_y)):
        back = dec(enc(t))
        assert torch.allclose(back, t, rtol=0, atol=8 * 2.2e-16 * float(t.abs().max() + 1))


def test_per_channel_statistics_standardise_each_channel():
    x, y = _data()
    norm = OperatorNormalizer.fit(x, y, per_channel=True, center_y=True)
    assert norm.x_mean.shape == (3,) and norm.y_std.shape == (2,)
    zx, zy = norm.encode_x(x), norm.encode_y(y)
    for z in (zx, zy):
        dims = (0, 2, 3)
        assert torch.allclose(z.mean(dim=dims), torch.zeros(z.shape[1], dtype=z.dtype), atol=1e-13)
        assert torch.allclose(z.std(dim=dims), torch.ones(z.shape[1], dtype=z.dtype), atol=1e-13)
    # Per-channel statistics apply on any grid (e.g. a finer test resolution).
    fine = randn(2, 3, 9, 7, dtype=torch.float64)
    assert norm.encode_x(fine).shape == fine.shape
    with pytest.raises(ConfigError, match="channels"):
        norm.encode_x(randn(2, 4, 5, 4, dtype=torch.float64))


def test_constant_field_is_only_centred():
    x = torch.full((6, 1, 3, 3), 2.5, dtype=torch.float64)
    y = randn(6, 1, 3, 3, dtype=torch.float64)
    norm = OperatorNormalizer.fit(x, y)
    assert float(norm.x_std) == 1.0
    assert torch.equal(norm.encode_x(x), torch.zeros_like(x))
    # Small-scale data keeps its own std (the constant test is relative, not absolute).
    small = OperatorNormalizer.fit(1e-9 * y, y)
    assert float(small.x_std) == pytest.approx(1e-9 * float(y.std()), rel=1e-12)


def test_state_dict_round_trip_through_torch_save():
    x, y = _data()
    norm = OperatorNormalizer.fit(x, y, per_channel=True, center_y=True)
    buffer = io.BytesIO()
    torch.save(norm.state_dict(), buffer)
    buffer.seek(0)
    again = OperatorNormalizer.from_state_dict(torch.load(buffer, weights_only=True))
    assert again.center_y and again.channel_dim == 1
    assert torch.equal(again.encode_x(x), norm.encode_x(x))
    assert torch.equal(again.decode_y(y), norm.decode_y(y))
    assert again.to(dtype=torch.float32).x_mean.dtype == torch.float32


class _Affine(nn.Module):
    """A 1×1 convolution with fixed weights, so predictions are known in closed form."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 1, dtype=torch.float64)
        with torch.no_grad():
            self.conv.weight.copy_(randn(2, 3, 1, 1, dtype=torch.float64, seed=5))
            self.conv.bias.copy_(torch.tensor([0.5, -0.25], dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_evaluate_equals_a_direct_computation(batch_size):
    x, y = _data()
    norm = OperatorNormalizer.fit(x, y)
    model = _Affine().train()
    metrics = evaluate_operator(model, x, y, normalizer=norm, batch_size=batch_size)
    with torch.no_grad():
        pred = model(norm.encode_x(x)) * norm.y_std
    direct_rel = float(relative_l2_loss(pred, y))
    direct_mse = float((pred - y).pow(2).mean())
    # Same per-sample terms summed in another order: float64 rounding, ~n·eps relative.
    assert metrics["rel_l2"] == pytest.approx(direct_rel, rel=1e-13)
    assert metrics["mse"] == pytest.approx(direct_mse, rel=1e-13)
    assert model.training  # mode restored


def test_evaluate_without_normalizer_and_on_one_value_per_sample():
    x = randn(7, 4, dtype=torch.float64)
    model = nn.Linear(4, 1, dtype=torch.float64)
    y = randn(7, dtype=torch.float64, seed=3)
    metrics = evaluate_operator(nn.Sequential(model, nn.Flatten(0)), x, y, batch_size=2)
    with torch.no_grad():
        pred = model(x)[:, 0]
    assert metrics["rel_l2"] == pytest.approx(float(((pred - y).abs() / y.abs()).mean()), rel=1e-13)
    assert metrics["mse"] == pytest.approx(float((pred - y).pow(2).mean()), rel=1e-13)


def test_evaluate_rejects_a_model_of_the_wrong_output_shape():
    x, y = _data()
    with pytest.raises(ConfigError, match="model output"):
        evaluate_operator(nn.Identity(), x, y)


def test_evaluate_passes_tuples_to_two_input_models_and_encodes_the_first():
    from nnatlas.operators import DeepONet

    torch.manual_seed(0)
    net = DeepONet([5, 8, 6], [1, 8, 6], dtype=torch.float64)
    u, q = randn(9, 5, dtype=torch.float64), randn(9, 1, dtype=torch.float64, seed=4)
    s = randn(9, dtype=torch.float64, seed=5)
    norm = OperatorNormalizer.fit(u, s)
    metrics = evaluate_operator(net, (u, q), s, normalizer=norm, batch_size=4)
    with torch.no_grad():
        pred = net(norm.encode_x(u), q) * norm.y_std
    assert metrics["mse"] == pytest.approx(float((pred - s).pow(2).mean()), rel=1e-13)
    with pytest.raises(ConfigError, match="sample count"):
        evaluate_operator(net, (u, q[:5]), s)
