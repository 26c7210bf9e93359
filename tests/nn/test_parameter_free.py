"""Parameter-free layers: exact ResNet-50 parameter counts (closed form and the paper's rounded
values), block semantics (the max-pool path really is a max-pool), shapes and strides, the
max-pool token mixer against a direct neighbourhood maximum, and argument checks."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.nn.evonorm import EvoNormS0, convert_bn_relu_to_evonorm
from nnatlas.nn.models import num_parameters
from nnatlas.nn.parameter_free import (
    BottleneckResNet,
    ConvBottleneck,
    HybridBottleneck,
    MaxPoolBottleneck,
    MaxPoolTokenMixer,
    PfTransformerBlock,
    resnet50,
    resnet50_hybrid,
    resnet50_max,
)
from nnatlas.testing import check_module

DEPTHS, WIDTHS = (3, 4, 6, 3), (64, 128, 256, 512)


def _spatial_params(widths: list[int]) -> int:
    """Weights of a w×w 3×3 conv plus its BatchNorm's affine parameters, summed."""
    return sum(9 * w * w + 2 * w for w in widths)


def test_resnet50_counts_exact_and_as_published() -> None:
    base, mx, hy = (num_parameters(f()) for f in (resnet50, resnet50_max, resnet50_hybrid))
    assert base == 25_557_032  # torchvision's resnet50
    every_block = [w for d, w in zip(DEPTHS, WIDTHS, strict=True) for _ in range(d)]
    assert mx == base - _spatial_params(every_block)
    assert hy == mx + _spatial_params(list(WIDTHS[1:]))  # one 3×3 conv in each strided block
    assert (mx, hy) == (14_232_232, 17_330_600)
    # The paper's table (25.6 M / 14.2 M / 17.3 M) to its 0.1 M rounding.
    assert [round(n / 1e6, 1) for n in (base, mx, hy)] == [25.6, 14.2, 17.3]


def test_resnet50_max_forward_shape_and_no_3x3_convs() -> None:
    model = resnet50_max(num_classes=7)
    assert model(torch.randn(1, 3, 64, 64)).shape == (1, 7)
    kernels = {m.kernel_size for m in model.stages.modules() if isinstance(m, torch.nn.Conv2d)}
    assert kernels == {(1, 1)}
    hybrid_3x3 = [
        m for m in resnet50_hybrid().stages.modules()
        if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)
    ]  # fmt: skip
    assert len(hybrid_3x3) == 3


def test_max_bottleneck_spatial_op_is_a_max_pool() -> None:
    block = MaxPoolBottleneck(8, 4, stride=2, dtype=torch.float64).eval()
    x = torch.randn(2, 8, 6, 6, dtype=torch.float64)
    h = block.reduce(x)
    torch.testing.assert_close(block.spatial(h), F.max_pool2d(h, 3, 2, 1))
    expected = torch.relu(block.expand(F.max_pool2d(h, 3, 2, 1)) + block.shortcut(x))
    torch.testing.assert_close(block(x), expected)
    # An identity shortcut when shapes agree; no parameters in the spatial op.
    same = MaxPoolBottleneck(16, 4)
    assert isinstance(same.shortcut, torch.nn.Identity)
    assert num_parameters(same.spatial) == 0


@pytest.mark.parametrize("cls", [ConvBottleneck, MaxPoolBottleneck, HybridBottleneck])
@pytest.mark.parametrize("stride", [1, 2])
def test_block_shapes(cls: type, stride: int) -> None:
    block = cls(12, 5, stride)
    assert block(torch.randn(2, 12, 8, 8)).shape == (2, 20, 8 // stride, 8 // stride)


def test_conformance() -> None:
    check_module(
        lambda d: BottleneckResNet(
            "max",
            (1, 2),
            (4, 4),
            num_classes=3,
            in_channels=1,
            stem="small",
            stem_channels=8,
            dtype=d,
        ),
        lambda d: (torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0), dtype=d),),
        name="max-resnet",
    )
    check_module(
        lambda d: PfTransformerBlock(6, 2, mixer="attention", dtype=d),
        lambda d: (torch.randn(2, 4, 6, generator=torch.Generator().manual_seed(0), dtype=d),),
        name="attention-block",
    )


def test_token_mixer_matches_neighbourhood_maximum() -> None:
    mixer = MaxPoolTokenMixer(4, expansion=2, dtype=torch.float64)
    x = torch.randn(2, 9, 4, dtype=torch.float64)
    h = F.gelu(mixer.up(x))  # (2, 9, 8), tokens on a 3×3 grid in row-major order
    pooled = torch.empty_like(h)
    for t in range(9):
        r, c = divmod(t, 3)
        neigh = [
            3 * i + j
            for i in range(max(r - 1, 0), min(r + 2, 3))
            for j in range(max(c - 1, 0), min(c + 2, 3))
        ]
        pooled[:, t] = h[:, neigh].amax(dim=1)
    torch.testing.assert_close(mixer(x), mixer.down(F.gelu(pooled)))
    with pytest.raises(ValueError, match="square grid"):
        mixer(torch.randn(1, 10, 4, dtype=torch.float64))


def test_vit_s_max_block_parameter_count() -> None:
    d = 384
    block = PfTransformerBlock(d, 6, mixer="max")
    mixer = (d * 3 * d + 3 * d) + (3 * d * d + d)
    mlp = (d * 4 * d + 4 * d) + (4 * d * d + d)
    assert num_parameters(block) == mixer + mlp + 4 * d
    assert block(torch.randn(1, 196, d)).shape == (1, 196, d)


def test_evonorm_swap_reaches_every_bottleneck_norm() -> None:
    model = convert_bn_relu_to_evonorm(
        BottleneckResNet("hybrid", (1, 1), (4, 8), num_classes=3, in_channels=1, stem="small"), "S0"
    )
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    # stem + reduce (block 1) + reduce and 3×3 conv (strided hybrid block 2)
    assert sum(isinstance(m, EvoNormS0) and m.nonlinearity for m in model.modules()) == 4
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 3)


def test_bad_arguments_are_named() -> None:
    with pytest.raises(UnknownNameError, match="bottleneck block"):
        BottleneckResNet("dw", (1,), (4,))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="equal length"):
        BottleneckResNet("max", (1, 1), (4,))
    with pytest.raises(ConfigError, match="width"):
        MaxPoolBottleneck(4, 0)
    with pytest.raises(ValueError, match="must divide"):
        PfTransformerBlock(10, 3, mixer="attention")
    with pytest.raises(ValueError, match="odd"):
        MaxPoolTokenMixer(4, kernel_size=2)
    with pytest.raises(ValueError, match=r"\(batch, 3, height, width\)"):
        resnet50()(torch.randn(1, 1, 32, 32))
