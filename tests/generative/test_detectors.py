"""Feature taps, PaDiM and PatchCore: closed forms and agreement with direct computations."""

from __future__ import annotations

import pytest
import torch

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.generative import (
    FeatureTaps,
    PaDiM,
    PatchCore,
    ResNetStages,
    concat_features,
    greedy_coreset,
    pretrain_rotation,
    tokens_to_map,
)

F64 = torch.float64


def _feats(n, seed=0, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, 3, 4, 4, generator=g, dtype=dtype),
            torch.randn(n, 2, 2, 2, generator=g, dtype=dtype)]  # fmt: skip


def test_taps_return_stage_outputs_in_order_and_freeze():
    net = ResNetStages((4, 6, 8), (1, 1, 1))
    taps = FeatureTaps(net, ["layer3", "layer1"])
    feats = taps(torch.randn(2, 3, 32, 32))
    assert [tuple(f.shape) for f in feats] == [(2, 8, 2, 2), (2, 4, 8, 8)]
    assert taps.shapes(32) == [(8, 2, 2), (4, 8, 8)]
    assert not any(p.requires_grad for p in net.parameters())
    taps.train()
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(taps(x)[0], taps.eval()(x)[0])  # BN statistics stay fixed


def test_resnet18_stage_widths_and_strides():
    net = ResNetStages()
    shapes = FeatureTaps(net, net.stage_names()).shapes(64)
    assert shapes == [(64, 16, 16), (128, 8, 8), (256, 4, 4)]  # strides 4, 8, 16


def test_unknown_tap_name_lists_the_valid_names():
    with pytest.raises(UnknownNameError, match=r"layer9.*layer1"):
        FeatureTaps(ResNetStages((4, 4), (1, 1)), ["layer1", "layer9"])


def test_concat_features_upsamples_nearest():
    feats = _feats(2)
    emb = concat_features(feats)
    assert emb.shape == (2, 5, 4, 4)
    torch.testing.assert_close(emb[:, 3:, ::2, ::2], feats[1])
    torch.testing.assert_close(emb[:, 3:, 1::2, 1::2], feats[1])


def test_padim_mahalanobis_equals_direct_computation():
    train, test = _feats(30, seed=1), _feats(3, seed=2)
    pd = PaDiM(shrinkage=0.2, eps=0.01).fit(train)
    emb_tr, emb_te = concat_features(train), concat_features(test)
    u = (1, 2)  # one location, computed by hand
    x = emb_tr[:, :, u[0], u[1]]
    cov = torch.cov(x.T)
    d = cov.shape[0]
    shrunk = 0.8 * cov + (0.2 * cov.trace() / d + 0.01) * torch.eye(d, dtype=F64)
    diff = emb_te[:, :, u[0], u[1]] - x.mean(0)
    expected = torch.sqrt(((diff @ torch.linalg.inv(shrunk)) * diff).sum(1))
    m = pd.anomaly_map(test, 4)  # the embedding grid is 4×4: no resampling
    torch.testing.assert_close(m[:, u[0], u[1]], expected, rtol=1e-10, atol=1e-12)


def test_padim_diagonal_and_channel_subset():
    train = _feats(10)
    pd = PaDiM(diagonal=True, num_channels=4, seed=3).fit(train)
    assert pd.precision is not None and pd.precision.shape == (16, 4, 4)
    off = pd.precision - torch.diag_embed(pd.precision.diagonal(dim1=1, dim2=2))
    assert off.abs().max() == 0
    with pytest.raises(ConfigError, match="num_channels"):
        PaDiM(num_channels=9).fit(train)


def test_greedy_coreset_is_farthest_point_order():
    x = torch.tensor([[0.0], [1.0], [10.0], [4.0], [6.0]])
    assert greedy_coreset(x, 3, start=0).tolist() == [0, 2, 3]  # 10 farthest, then 4 (d=4 vs 6→4)


def test_patchcore_full_bank_gives_zero_on_training_images():
    train = _feats(3)
    pc = PatchCore(coreset_ratio=1.0).fit(train)
    m = pc.anomaly_map(train, 4)
    assert m.abs().max() < 1e-6
    pc = PatchCore(coreset_ratio=0.25, projection_dim=2).fit(train)
    assert pc.bank is not None and pc.bank.shape == (12, 5)
    assert (pc.anomaly_map(_feats(2, seed=9), (8, 8)) > 0).all()


def test_mismatched_image_sizes_are_clear_errors():
    train = _feats(4)
    other = [torch.randn(2, 3, 8, 8, dtype=F64), torch.randn(2, 2, 4, 4, dtype=F64)]
    for det in (PaDiM().fit(train), PatchCore().fit(train)):
        with pytest.raises(ConfigError, match="mismatched image"):
            det.anomaly_map(other, 8)
    with pytest.raises(ConfigError, match="batch size"):
        concat_features([train[0], train[1][:2]])


def test_rotation_pretraining_learns_an_asymmetric_pattern():
    # a bright upper-left quadrant: its rotation is visible, so the loss must fall
    x = torch.full((16, 3, 16, 16), 0.1)
    x[:, :, :8, :8] = 1.0
    x += 0.05 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    net = ResNetStages((4, 8), (1, 1), num_classes=4)
    log = []
    pretrain_rotation(net, x, epochs=12, lr=1e-2, batch_size=16, on_log=lambda **kw: log.append(kw))
    assert len(log) == 12 and not net.training
    assert log[-1]["loss"] < log[0]["loss"] and log[-1]["accuracy"] > 0.5


class _TinyViT(torch.nn.Module):
    """Patchify 4×4, prepend a class and a distillation token, one block (DeiT's layout)."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Conv2d(3, 8, 4, stride=4)
        self.tokens = torch.nn.Parameter(torch.randn(1, 2, 8))
        self.block = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, dropout=0.0)

    def forward(self, x):
        p = self.embed(x).flatten(2).transpose(1, 2)  # (N, 16, 8), row-major patches
        return self.block(torch.cat([self.tokens.expand(x.shape[0], -1, -1), p], dim=1))


def test_vit_tap_drops_class_tokens_and_keeps_patch_positions():
    vit = _TinyViT()
    x = torch.randn(2, 3, 16, 16)
    (fmap,) = FeatureTaps(vit, ["embed"], drop_tokens=0)(x)  # a conv tap stays a map
    assert fmap.shape == (2, 8, 4, 4)
    (tmap,) = FeatureTaps(vit, ["block"], drop_tokens=2)(x)
    assert tmap.shape == (2, 8, 4, 4)
    tokens = vit(x)
    torch.testing.assert_close(tmap[:, :, 1, 2], tokens[:, 2 + 1 * 4 + 2])  # row 1, column 2
    assert tokens_to_map(tokens, drop=2, grid=(2, 8)).shape == (2, 8, 2, 8)


def test_bottleneck_stages_have_the_wide_resnet_layout():
    # Wide-ResNet-50-2's layout at 1/16 width: stem 64 -> bottleneck stages with inner width
    # out/2, strides 4, 8, 16
    net = ResNetStages((16, 32, 64), (3, 4, 6), bottleneck=0.5)
    assert net.stem[0].out_channels == 64
    first = net.layer2[0]
    assert (first.conv1.out_channels, first.conv2.stride, first.conv3.out_channels) == (
        16,
        (2, 2),
        32,
    )
    assert FeatureTaps(net, net.stage_names()).shapes(64) == [(16, 16, 16), (32, 8, 8), (64, 4, 4)]
    with pytest.raises(ConfigError, match="bottleneck"):
        ResNetStages((8,), (1,), bottleneck=1.5)


def test_parameter_counts_equal_torchvisions_architectures():
    """Stages 1-3 plus torchvision's layer4 and fc (counted by hand) give torchvision's totals:
    resnet18 11,689,512 and wide_resnet50_2 68,883,240 (no torchvision import needed)."""
    r18 = sum(p.numel() for p in ResNetStages().parameters())
    layer4_r18 = (9 * 256 * 512 + 9 * 512 * 512 + 256 * 512 + 3 * 1024) + 2 * (9 * 512 * 512 + 1024)
    assert r18 + layer4_r18 + (512 * 1000 + 1000) == 11_689_512
    wrn = sum(
        p.numel() for p in ResNetStages((256, 512, 1024), (3, 4, 6), bottleneck=0.5).parameters()
    )
    first = 1024 * 1024 + 9 * 1024 * 1024 + 1024 * 2048 + 8192 + 1024 * 2048 + 4096
    rest = 2 * (2048 * 1024 + 9 * 1024 * 1024 + 1024 * 2048 + 8192)
    assert wrn + first + rest + (2048 * 1000 + 1000) == 68_883_240
