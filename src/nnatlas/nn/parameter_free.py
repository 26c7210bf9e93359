"""Parameter-free spatial operations in ResNet bottlenecks and ViT blocks.

Paper: "Learning Features with Parameter-Free Layers", Dongyoon Han, YoungJoon Yoo, Beomyoung
Kim, Byeongho Heo (ICLR 2022), arXiv 2202.02777. Official code: naver-ai/PfLayer (Apache-2.0).

The paper replaces the trainable spatial operation of a block by a built-in parameter-free one,
chiefly a 3×3 max-pool, and keeps the pointwise (1×1 / linear) layers trainable:

* :class:`MaxPoolBottleneck` (R50-max): ``1×1 conv-BN-ReLU -> MaxPool 3×3 (stride s, pad 1) ->
  1×1 conv-BN``, plus the shortcut (``1×1 conv-BN`` projection when the shape changes), ReLU.
  The max-pool also does the down-sampling of strided blocks.
* :class:`HybridBottleneck` (R50-hybrid, the paper's "efficient bottleneck"): the same for
  stride-1 blocks; strided blocks use ``AvgPool 2×2 s2 -> 3×3 conv-BN-ReLU`` as the spatial op,
  so a ResNet-50 keeps only three trainable 3×3 convolutions in its bottlenecks (the first block
  of stages 2–4).
* :class:`ConvBottleneck`: the torchvision ResNet-50 v1.5 bottleneck (3×3 conv carries the
  stride), the baseline.
* :class:`BottleneckResNet` with the builders :func:`resnet50`, :func:`resnet50_max`,
  :func:`resnet50_hybrid` (stem ``7×7 s2 conv-BN-ReLU + 3×3 s2 max-pool``, depths [3, 4, 6, 3],
  widths 64·{1, 2, 4, 8}, expansion 4, 1000 classes: 25,557,032 / 14,232,232 / 17,330,600
  parameters, the paper's 25.6 M / 14.2 M / 17.3 M), and a small-stem variant for tiny images.
* :class:`MaxPoolTokenMixer` and :class:`PfTransformerBlock` (ViT-S-max): in every second block
  self-attention is replaced by ``Linear(d -> 3d) -> GELU -> tokens as a √N×√N map ->
  MaxPool 3×3 s1 -> GELU -> Linear(3d -> d)``; the sequence must be a square grid of tokens (no
  class token; the paper's ViT pools tokens by averaging before the head).

Every ``BatchNorm2d -> ReLU`` pair sits in an ``nn.Sequential``, so
:func:`nnatlas.nn.evonorm.convert_bn_relu_to_evonorm` can swap them. Deviations from the official
code: none in the architecture; no ``pretrained`` weights, no dilation option, and the ViT
block is provided as a block (with an attention variant for the even positions), not as a whole
timm-registered model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int, check_positive, check_real
from nnatlas.nn._checks import check_factory_dtype, check_input, module_dtype

__all__ = [
    "BottleneckResNet",
    "ConvBottleneck",
    "HybridBottleneck",
    "MaxPoolBottleneck",
    "MaxPoolTokenMixer",
    "PfTransformerBlock",
    "resnet50",
    "resnet50_hybrid",
    "resnet50_max",
]

Factory = dict[str, object]
BlockKind = Literal["conv", "max", "hybrid"]


def _conv_bn(
    c_in: int,
    c_out: int,
    kernel: int,
    stride: int,
    relu: bool,
    kw: Factory,
) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, bias=False, **kw),  # type: ignore[arg-type]
        nn.BatchNorm2d(c_out, **kw),  # type: ignore[arg-type]
    ]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class _Bottleneck(nn.Module):
    """``reduce (1×1) -> spatial -> expand (1×1)`` + shortcut, ReLU; subclasses pick ``spatial``."""

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int,
        *,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.width = check_int("width", width)
        self.stride = check_int("stride", stride)
        self.out_channels = width * self.expansion
        kw: Factory = {"device": device, "dtype": dtype}
        self.reduce = _conv_bn(in_channels, width, 1, 1, True, kw)
        self.spatial = self._spatial(width, stride, kw)
        self.expand = _conv_bn(width, self.out_channels, 1, 1, False, kw)
        self.shortcut = (
            _conv_bn(in_channels, self.out_channels, 1, stride, False, kw)
            if stride != 1 or in_channels != self.out_channels
            else nn.Identity()
        )
        self.relu = nn.ReLU()

    def _spatial(self, width: int, stride: int, kw: Factory) -> nn.Module:
        raise NotImplementedError

    def _check_spatial(self, x: Tensor) -> None:
        """Refuse spatial sizes the block's two paths would shape differently (none here)."""

    def reset_parameters(self) -> None:
        """PyTorch default initialisation of every convolution and BatchNorm."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.BatchNorm2d):
                m.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        """``(N, in_channels, H, W) -> (N, 4·width, ceil(H/stride), ceil(W/stride))``."""
        check_input(type(self).__name__, x, dtype=module_dtype(self))
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__} expects input (batch, {self.in_channels}, height, width); "
                f"got shape {tuple(x.shape)}"
            )
        self._check_spatial(x)
        out = self.expand(self.spatial(self.reduce(x)))
        return self.relu(out + self.shortcut(x))

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, width={self.width}, stride={self.stride}"


class ConvBottleneck(_Bottleneck):
    """ResNet v1.5 bottleneck: ``1×1 -> 3×3 conv (stride) -> 1×1``, each with BN (ReLU but last).

    Args:
        in_channels: input channels.
        width: bottleneck width ``w``; the block outputs ``4w`` channels.
        stride: stride of the 3×3 convolution (and of the projection shortcut).
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, 4·width, ceil(H/stride), ceil(W/stride))``.
    """

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__(in_channels, width, stride, device=device, dtype=dtype)

    def _spatial(self, width: int, stride: int, kw: Factory) -> nn.Module:
        return _conv_bn(width, width, 3, stride, True, kw)


class MaxPoolBottleneck(_Bottleneck):
    """Parameter-free bottleneck: ``1×1 conv-BN-ReLU -> MaxPool 3×3 (stride) -> 1×1 conv-BN``.

    Args:
        in_channels: input channels.
        width: bottleneck width ``w``; the block outputs ``4w`` channels.
        stride: stride of the max-pool (and of the projection shortcut).
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, 4·width, ceil(H/stride), ceil(W/stride))``.
    """

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__(in_channels, width, stride, device=device, dtype=dtype)

    def _spatial(self, width: int, stride: int, kw: Factory) -> nn.Module:
        return nn.MaxPool2d(3, stride, 1)


class HybridBottleneck(_Bottleneck):
    """The paper's efficient bottleneck: max-pool when ``stride == 1``, else avg-pool + 3×3 conv.

    Stride 1: ``1×1 conv-BN-ReLU -> MaxPool 3×3 -> 1×1 conv-BN``. Stride ``s > 1``:
    ``1×1 conv-BN-ReLU -> AvgPool s×s (stride s) -> 3×3 conv-BN-ReLU -> 1×1 conv-BN`` (the official
    code uses a 2×2 average pool for its stride-2 blocks).

    Args:
        in_channels: input channels.
        width: bottleneck width ``w``; the block outputs ``4w`` channels.
        stride: down-sampling factor.
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(N, in_channels, H, W)``, with ``H`` and ``W`` divisible by ``stride`` when
          ``stride > 1`` (else the average pool floors while the shortcut ceils).
        - Output: ``(N, 4·width, H/stride, W/stride)``.
    """

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__(in_channels, width, stride, device=device, dtype=dtype)

    def _check_spatial(self, x: Tensor) -> None:
        if self.stride > 1 and (x.shape[2] % self.stride or x.shape[3] % self.stride):
            raise ConfigError(
                f"HybridBottleneck with stride {self.stride} expects x with height and width "
                f"divisible by {self.stride} (its average pool floors, the shortcut ceils); "
                f"got shape {tuple(x.shape)}"
            )

    def _spatial(self, width: int, stride: int, kw: Factory) -> nn.Module:
        if stride == 1:
            return nn.MaxPool2d(3, 1, 1)
        return nn.Sequential(nn.AvgPool2d(stride, stride), _conv_bn(width, width, 3, 1, True, kw))


_BLOCKS: dict[str, type[_Bottleneck]] = {
    "conv": ConvBottleneck,
    "max": MaxPoolBottleneck,
    "hybrid": HybridBottleneck,
}


class BottleneckResNet(nn.Module):
    """A bottleneck ResNet whose blocks are conv, max-pool or hybrid bottlenecks.

    Stage ``i`` has ``depths[i]`` blocks of width ``widths[i]`` (output ``4·widths[i]``
    channels); the first block of every stage but the first has stride 2. Global average pooling
    and a linear classifier follow.

    Args:
        block: ``"conv"`` (:class:`ConvBottleneck`), ``"max"`` (:class:`MaxPoolBottleneck`) or
            ``"hybrid"`` (:class:`HybridBottleneck`).
        depths: blocks per stage.
        widths: bottleneck width per stage.
        num_classes: classifier outputs.
        in_channels: image channels.
        stem: ``"imagenet"`` (7×7 stride-2 conv-BN-ReLU to ``stem_channels``, then 3×3 stride-2
            max-pool: ResNet-50) or ``"small"`` (3×3 stride-1 conv-BN-ReLU, for tiny images).
        stem_channels: stem output channels.
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, num_classes)``.
    """

    def __init__(
        self,
        block: BlockKind,
        depths: Sequence[int],
        widths: Sequence[int],
        *,
        num_classes: int = 1000,
        in_channels: int = 3,
        stem: Literal["imagenet", "small"] = "imagenet",
        stem_channels: int = 64,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        if block not in _BLOCKS:
            raise UnknownNameError("bottleneck block", block, tuple(_BLOCKS))
        if stem not in ("imagenet", "small"):
            raise UnknownNameError("stem", stem, ("imagenet", "small"))
        for name, seq in (("depths", depths), ("widths", widths)):
            if isinstance(seq, str | bytes) or not isinstance(seq, Sequence):
                raise TypeError(f"{name} must be a sequence of ints; got {seq!r}")
        if len(depths) != len(widths):
            raise ValueError(
                f"depths and widths must be sequences of equal length; got {depths!r} and {widths!r}"
            )
        if not depths:
            raise ValueError("depths must name at least one stage; got an empty sequence")
        self.block = block
        self.depths = tuple(check_int(f"depths[{i}]", d) for i, d in enumerate(depths))
        self.widths = tuple(check_int(f"widths[{i}]", w) for i, w in enumerate(widths))
        self.num_classes = check_int("num_classes", num_classes)
        self.in_channels = check_int("in_channels", in_channels)
        self.stem_kind = stem
        check_int("stem_channels", stem_channels)
        kw: Factory = {"device": device, "dtype": dtype}
        if stem == "imagenet":
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, stem_channels, 7, 2, 3, bias=False, **kw),  # type: ignore[arg-type]
                nn.BatchNorm2d(stem_channels, **kw),  # type: ignore[arg-type]
                nn.ReLU(),
                nn.MaxPool2d(3, 2, 1),
            )
        else:
            self.stem = _conv_bn(in_channels, stem_channels, 3, 1, True, kw)
        cls = _BLOCKS[block]
        stages: list[nn.Module] = []
        channels = stem_channels
        for i, (depth, width) in enumerate(zip(self.depths, self.widths, strict=True)):
            blocks: list[nn.Module] = []
            for j in range(depth):
                stride = 2 if i > 0 and j == 0 else 1
                blocks.append(cls(channels, width, stride, device=device, dtype=dtype))
                channels = width * cls.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes, **kw)  # type: ignore[arg-type]

    def reset_parameters(self) -> None:
        """PyTorch default initialisation of every layer."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.BatchNorm2d | nn.Linear):
                m.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        """Classify ``(N, in_channels, H, W)`` images into ``(N, num_classes)`` logits."""
        check_input("BottleneckResNet", x, dtype=module_dtype(self))
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"BottleneckResNet expects input (batch, {self.in_channels}, height, width); "
                f"got shape {tuple(x.shape)}"
            )
        return self.fc(self.pool(self.stages(self.stem(x))).flatten(1))

    def extra_repr(self) -> str:
        return (
            f"block={self.block}, depths={self.depths}, widths={self.widths}, "
            f"stem={self.stem_kind}, num_classes={self.num_classes}"
        )


def _resnet50(
    block: BlockKind,
    num_classes: int,
    device: torch.device | str | None,
    dtype: torch.dtype | None,
) -> BottleneckResNet:
    return BottleneckResNet(
        block,
        (3, 4, 6, 3),
        (64, 128, 256, 512),
        num_classes=num_classes,
        device=device,
        dtype=dtype,
    )


def resnet50(
    num_classes: int = 1000,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> BottleneckResNet:
    """ResNet-50 v1.5 (torchvision layout): 25,557,032 parameters at 1000 classes (paper: 25.6 M)."""
    return _resnet50("conv", num_classes, device, dtype)


def resnet50_max(
    num_classes: int = 1000,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> BottleneckResNet:
    """R50-max: every bottleneck's 3×3 conv replaced by a 3×3 max-pool; 14,232,232 parameters
    at 1000 classes (paper: 14.2 M)."""
    return _resnet50("max", num_classes, device, dtype)


def resnet50_hybrid(
    num_classes: int = 1000,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> BottleneckResNet:
    """R50-hybrid: max-pool bottlenecks except avg-pool + 3×3 conv in the three strided blocks;
    17,330,600 parameters at 1000 classes (paper: 17.3 M)."""
    return _resnet50("hybrid", num_classes, device, dtype)


class MaxPoolTokenMixer(nn.Module):
    """Parameter-free token mixing: ``Linear(d -> e·d) -> GELU -> 3×3 max-pool over the token grid
    -> GELU -> Linear(e·d -> d) -> Dropout``.

    Args:
        dim: token dimension ``d``.
        expansion: hidden expansion ``e`` (the paper's 3).
        kernel_size: max-pool window (odd; stride 1, "same" padding).
        dropout: dropout after the output projection.
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(batch, N, d)`` with ``N`` a perfect square (tokens in row-major order).
        - Output: ``(batch, N, d)``.
    """

    def __init__(
        self,
        dim: int,
        *,
        expansion: int = 3,
        kernel_size: int = 3,
        dropout: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.dim = check_int("dim", dim)
        self.expansion = check_int("expansion", expansion)
        self.kernel_size = check_int("kernel_size", kernel_size)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (same padding); got {kernel_size}")
        check_real("dropout", dropout, low=0.0, high=1.0, high_open=True)
        kw: Factory = {"device": device, "dtype": dtype}
        self.up = nn.Linear(dim, dim * expansion, **kw)  # type: ignore[arg-type]
        self.down = nn.Linear(dim * expansion, dim, **kw)  # type: ignore[arg-type]
        self.act = nn.GELU()
        self.pool = nn.MaxPool2d(kernel_size, 1, kernel_size // 2)
        self.dropout = nn.Dropout(dropout)

    def reset_parameters(self) -> None:
        """PyTorch default initialisation of both linear layers."""
        self.up.reset_parameters()
        self.down.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        """Mix tokens by a max over each token's grid neighbourhood; ``(B, N, d) -> (B, N, d)``."""
        check_input("MaxPoolTokenMixer", x, dtype=module_dtype(self))
        if x.ndim != 3 or x.shape[2] != self.dim:
            raise ValueError(
                f"MaxPoolTokenMixer expects input (batch, tokens, {self.dim}); got shape {tuple(x.shape)}"
            )
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:
            raise ValueError(
                f"MaxPoolTokenMixer needs a square grid of tokens; got {x.shape[1]} tokens "
                "(drop the class token first)"
            )
        h = self.act(self.up(x))
        b, n, c = h.shape
        grid = h.transpose(1, 2).reshape(b, c, side, side)
        h = self.pool(grid).reshape(b, c, n).transpose(1, 2)
        return self.dropout(self.down(self.act(h)))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, expansion={self.expansion}, kernel_size={self.kernel_size}"


class PfTransformerBlock(nn.Module):
    """Pre-norm transformer block whose token mixer is self-attention or a max-pool mixer.

    ``x + mixer(LN(x))`` then ``x + MLP(LN(x))`` with a GELU MLP of ratio ``mlp_ratio``. In the
    paper's ViT-S-max the blocks alternate: even indices ``"attention"``, odd ones ``"max"``.

    Args:
        dim: token dimension.
        num_heads: attention heads (used by ``mixer="attention"``; must divide ``dim``).
        mixer: ``"max"`` (:class:`MaxPoolTokenMixer`) or ``"attention"``.
        mlp_ratio: MLP hidden size / ``dim``.
        dropout: dropout in the mixer output and the MLP.
        eps: LayerNorm epsilon (the official code uses 1e-6).
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(batch, N, dim)`` (``N`` a perfect square for ``mixer="max"``).
        - Output: ``(batch, N, dim)``.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int = 6,
        *,
        mixer: Literal["max", "attention"] = "max",
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        eps: float = 1e-6,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.dim = check_int("dim", dim)
        self.num_heads = check_int("num_heads", num_heads)
        if mixer not in ("max", "attention"):
            raise UnknownNameError("token mixer", mixer, ("max", "attention"))
        if mixer == "attention" and dim % num_heads:
            raise ValueError(f"num_heads={num_heads} must divide dim={dim}")
        check_real("mlp_ratio", mlp_ratio, low=0.0, low_open=True)
        check_real("dropout", dropout, low=0.0, high=1.0, high_open=True)
        check_positive("eps", eps)
        if int(dim * mlp_ratio) < 1:
            raise ConfigError(f"mlp_ratio={mlp_ratio} leaves no MLP hidden unit for dim={dim}")
        self.mixer_kind = mixer
        self.mlp_ratio = float(mlp_ratio)
        kw: Factory = {"device": device, "dtype": dtype}
        self.norm1 = nn.LayerNorm(dim, eps=eps, **kw)  # type: ignore[arg-type]
        self.mixer: nn.Module
        if mixer == "max":
            self.mixer = MaxPoolTokenMixer(dim, dropout=dropout, device=device, dtype=dtype)
        else:
            self.mixer = nn.MultiheadAttention(
                dim,
                num_heads,
                dropout=0.0,
                batch_first=True,
                **kw,
            )
        hidden = int(dim * mlp_ratio)
        self.norm2 = nn.LayerNorm(dim, eps=eps, **kw)  # type: ignore[arg-type]
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden, **kw),  # type: ignore[arg-type]
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, dim, **kw),  # type: ignore[arg-type]
            nn.Dropout(dropout),
        )

    def reset_parameters(self) -> None:
        """PyTorch default initialisation of every layer."""
        for m in self.modules():
            if m is not self and callable(getattr(m, "_reset_parameters", None)):
                m._reset_parameters()  # type: ignore[operator]
            elif m is not self and isinstance(m, nn.Linear | nn.LayerNorm):
                m.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, N, dim) -> (batch, N, dim)``."""
        check_input("PfTransformerBlock", x, dtype=module_dtype(self))
        if x.ndim != 3 or x.shape[2] != self.dim:
            raise ValueError(
                f"PfTransformerBlock expects input (batch, tokens, {self.dim}); got shape {tuple(x.shape)}"
            )
        h = self.norm1(x)
        if self.mixer_kind == "max":
            mixed = self.mixer(h)
        else:
            mixed = self.mixer(h, h, h, need_weights=False)[0]
        x = x + mixed
        return x + self.mlp(self.norm2(x))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, mixer={self.mixer_kind}, mlp_ratio={self.mlp_ratio:g}"
