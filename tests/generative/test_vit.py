"""The DeiT-style ViT backbone: the tapped map, its parameter count, FastFlow on it."""

from __future__ import annotations

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.generative import FastFlow, FeatureTaps, pretrain_rotation
from nnatlas.generative.vit import VisionTransformerStages
from nnatlas.testing.bad_inputs import assert_clear_error


def _tiny(**kw):
    torch.manual_seed(0)
    args = {"image_size": 16, "patch_size": 4, "dim": 16, "depth": 3, "num_heads": 2,
            "tap_block": 1} | kw  # fmt: skip
    return VisionTransformerStages(**args).eval()


def test_map_is_the_normed_patch_tokens_after_the_tapped_block():
    vit = _tiny()
    x = torch.randn(2, 3, 16, 16)
    fmap = vit(x)
    assert fmap.shape == (2, 16, 4, 4)
    h = vit.tokens(x)
    for block in vit.blocks[:2]:
        h = block(h)
    manual = vit.norm(h)[:, 2:].transpose(1, 2).reshape(2, 16, 4, 4)
    torch.testing.assert_close(fmap, manual, rtol=0, atol=0)
    # Patch tokens in row-major order: the map's (i, j) cell comes from patch (i, j) alone at
    # the embedding, so perturbing one patch's pixels moves that cell's first-layer token only.
    tokens = vit.tokens(x)
    x2 = x.clone()
    x2[:, :, 4:8, 8:12] += 1.0  # patch row 1, column 2 -> token 2 + 1 * 4 + 2
    changed = (vit.tokens(x2) - tokens).abs().sum(-1)[0] > 0
    assert changed.nonzero().flatten().tolist() == [2 + 4 + 2]


def test_feature_taps_see_the_same_map_and_a_head_does_not_change_it():
    vit = _tiny()
    x = torch.randn(3, 3, 16, 16)
    (tapped,) = FeatureTaps(vit, vit.stage_names())(x)
    torch.testing.assert_close(tapped, vit(x), rtol=0, atol=0)
    headed = _tiny(num_classes=4)
    headed.load_state_dict(vit.state_dict(), strict=False)  # the same trunk, plus heads
    (tapped_h,) = FeatureTaps(headed, headed.stage_names())(x)
    torch.testing.assert_close(tapped_h, tapped, rtol=0, atol=0)
    assert headed(x).shape == (3, 4)


def test_deit_base_distilled_384_has_timm_s_parameter_count():
    # timm's deit_base_distilled_patch16_384: 87.63 M parameters with its two 1000-class heads
    # (model card). Built on the meta device: nothing is allocated.
    vit = VisionTransformerStages(num_classes=1000, device="meta")
    count = sum(p.numel() for p in vit.parameters())
    assert abs(count / 1e6 - 87.63) < 0.01, count
    assert vit.grid == 24 and vit.num_prefix == 2  # FastFlow's 768 x 24 x 24 map


def test_fastflow_trains_on_vit_features_and_rotation_pretraining_runs():
    vit = _tiny(num_classes=4)
    images = torch.rand(8, 3, 16, 16)
    pretrain_rotation(vit, images, epochs=1, batch_size=4)
    taps = FeatureTaps(vit, vit.stage_names())
    feats = taps(images)
    flow = FastFlow([tuple(f.shape[1:]) for f in feats], num_steps=2, hidden_ratio=0.16)
    opt = torch.optim.Adam(flow.parameters(), lr=1e-2)
    first = flow.loss(feats).item()
    for _ in range(20):
        opt.zero_grad()
        flow.loss(feats).backward()
        opt.step()
    assert flow.loss(feats).item() < first
    assert flow.anomaly_map(feats, (16, 16)).shape == (8, 16, 16)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [({"patch_size": 5}, "patch_size"), ({"tap_block": 3}, "tap_block"),
     ({"image_size": 0}, "image_size"), ({"num_classes": 0}, "num_classes")],
)  # fmt: skip
def test_bad_construction_names_the_argument(kwargs, argument):
    assert_clear_error(_tiny, argument=argument, **kwargs)


def test_wrong_image_size_is_a_clear_error():
    with pytest.raises(ConfigError, match="x must be an image batch"):
        _tiny()(torch.randn(1, 3, 32, 32))
