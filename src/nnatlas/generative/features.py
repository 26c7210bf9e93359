"""Feature taps for anomaly detectors: any ``nn.Module``'s layers by name, as a frozen backbone.

Used by FastFlow (Yu et al., arXiv 2111.07677), PaDiM and PatchCore, which all score the
features of a frozen backbone. The taps reuse :func:`nnatlas.probes.capture_features` (forward
hooks; the backbone is not modified). Also a small ResNet with the stage layout FastFlow taps
(a stem of stride 4, then stages of stride 1, 2, 2 named ``layer1``..``layer3``): with
``widths=(64, 128, 256)`` and two basic blocks per stage it is ResNet-18 up to its third stage.
Without ImageNet weights offline, :func:`pretrain_rotation` trains such a backbone in-process
on the normal images by self-supervised rotation prediction (Gidaris et al., arXiv 1803.07728).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int
from nnatlas.probes import capture_features, layer_names

__all__ = ["FeatureTaps", "ResNetStages", "pretrain_rotation", "tokens_to_map"]


class FeatureTaps(nn.Module):
    """A frozen backbone whose forward returns the outputs of named layers.

    Args:
        backbone: any module taking an image batch.
        layers: names of its submodules (see :func:`nnatlas.probes.layer_names`), in the
            order the features are returned (FastFlow: shallow to deep).
        drop_tokens: for transformer taps: a layer output ``(N, T, D)`` of tokens becomes a
            map ``(N, D, h, w)`` after dropping this many leading tokens (DeiT: 2, the class
            and distillation tokens; CaiT/ViT: 1), see :func:`tokens_to_map`. ``None``: every
            tap must already give ``(N, C, H, W)``.
        freeze: set ``requires_grad=False`` on the backbone and run it in eval mode whatever
            the taps' own mode (its batch-norm statistics stay fixed).

    Raises:
        UnknownNameError: a layer name the backbone does not have (listing the valid ones).
    """

    def __init__(
        self,
        backbone: nn.Module,
        layers: str | Sequence[str],
        *,
        drop_tokens: int | None = None,
        freeze: bool = True,
    ):
        super().__init__()
        if not isinstance(backbone, nn.Module):
            raise TypeError(f"backbone must be an nn.Module; got {type(backbone).__name__}")
        names = [layers] if isinstance(layers, str) else layers
        if not isinstance(names, Sequence) or not names:
            raise TypeError(f"layers must be a layer name or a non-empty sequence; got {layers!r}")
        valid = layer_names(backbone)
        for name in names:
            if not isinstance(name, str) or name not in valid:
                raise UnknownNameError("layer (argument layers)", str(name), valid)
        if drop_tokens is not None:
            check_int("drop_tokens", drop_tokens, low=0)
        self.backbone, self.layers, self.freeze = backbone, list(names), freeze
        self.drop_tokens = drop_tokens
        if freeze:
            backbone.requires_grad_(False)
            backbone.eval()

    def extra_repr(self) -> str:
        return f"layers={self.layers}"

    def forward(self, x: Tensor) -> list[Tensor]:
        """``x: (N, 3, H, W)`` → one feature map per layer, in the order of ``layers``."""
        if not isinstance(x, Tensor) or not x.is_floating_point() or x.dim() != 4:
            raise TypeError(
                f"x must be a real floating image batch (N, C, H, W); got {_describe(x)}"
            )
        if x.shape[0] == 0:
            raise ConfigError(f"x must hold at least one image; got shape {tuple(x.shape)}")
        was_training = self.backbone.training
        if self.freeze:
            self.backbone.eval()  # a frozen backbone keeps its batch-norm statistics
        try:
            with capture_features(self.backbone, self.layers, detach=self.freeze) as store:
                self.backbone(x)
        finally:
            self.backbone.train(was_training)
        out = [store[name][-1] for name in self.layers]
        if self.drop_tokens is not None:
            out = [tokens_to_map(f, drop=self.drop_tokens) if f.dim() == 3 else f for f in out]
        for name, f in zip(self.layers, out, strict=True):
            if f.dim() != 4:
                raise ConfigError(
                    f"layer {name!r} gives shape {tuple(f.shape)}; a feature map must be "
                    "(N, C, H, W)"
                )
        return out

    @torch.no_grad()
    def shapes(
        self, image_size: int | tuple[int, int], channels: int = 3
    ) -> list[tuple[int, int, int]]:
        """The ``(C, H, W)`` of each tap for images of ``image_size``."""
        h, w = (image_size, image_size) if isinstance(image_size, int) else image_size
        p = next(iter(self.backbone.parameters()), None)
        x = torch.zeros(1, channels, h, w, dtype=p.dtype if p is not None else None,
                        device=p.device if p is not None else None)  # fmt: skip
        return [(int(f.shape[1]), int(f.shape[2]), int(f.shape[3])) for f in self(x)]


def tokens_to_map(tokens: Tensor, *, drop: int = 0, grid: tuple[int, int] | None = None) -> Tensor:
    """Transformer tokens ``(N, T, D)`` as a feature map ``(N, D, h, w)``.

    The first ``drop`` tokens (class / distillation tokens) are removed; the remaining
    ``T − drop`` patch tokens, in row-major order, fill ``grid = (h, w)`` (default: a square).

    Raises:
        ConfigError: the patch tokens do not fill the grid (or a square).
    """
    if not isinstance(tokens, Tensor) or tokens.dim() != 3:
        raise ConfigError(f"tokens must be a tensor (N, T, D); got {_describe(tokens)}")
    check_int("drop", drop, low=0)
    patches = tokens[:, drop:]
    t = patches.shape[1]
    if grid is None:
        side = math.isqrt(t)
        grid = (side, side)
    if len(grid) != 2 or grid[0] * grid[1] != t or t == 0:
        raise ConfigError(
            f"tokens: {t} patch tokens (after dropping {drop}) do not fill the grid {grid}"
        )
    return patches.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], grid[0], grid[1])


def _describe(x: object) -> str:
    if isinstance(x, Tensor):
        return f"dtype {x.dtype}, shape {tuple(x.shape)}"
    return type(x).__name__


class _BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, **kw: Any) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False, **kw)
        self.bn1 = nn.BatchNorm2d(c_out, **kw)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False, **kw)
        self.bn2 = nn.BatchNorm2d(c_out, **kw)
        self.down: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.down = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False, **kw),
                nn.BatchNorm2d(c_out, **kw),
            )

    def forward(self, x: Tensor) -> Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.down(x))


class _Bottleneck(nn.Module):
    """1×1 → 3×3 (stride here, as torchvision's v1.5) → 1×1 with a residual."""

    def __init__(self, c_in: int, c_out: int, stride: int, inner: int, **kw: Any) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, inner, 1, bias=False, **kw)
        self.bn1 = nn.BatchNorm2d(inner, **kw)
        self.conv2 = nn.Conv2d(inner, inner, 3, stride, 1, bias=False, **kw)
        self.bn2 = nn.BatchNorm2d(inner, **kw)
        self.conv3 = nn.Conv2d(inner, c_out, 1, bias=False, **kw)
        self.bn3 = nn.BatchNorm2d(c_out, **kw)
        self.down: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.down = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False, **kw), nn.BatchNorm2d(c_out, **kw)
            )

    def forward(self, x: Tensor) -> Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(self.bn2(self.conv2(y)))
        return torch.relu(self.bn3(self.conv3(y)) + self.down(x))


class ResNetStages(nn.Module):
    """The first stages of a ResNet, named as torchvision names them.

    ``stem`` (7×7 conv stride 2, BN, ReLU, 3×3 max-pool stride 2), then ``layer1`` (stride 1),
    ``layer2``, ``layer3``, ... (stride 2 each). The forward returns the last stage's output;
    tap the stages with :class:`FeatureTaps`. ``widths=(64, 128, 256)``, ``blocks=(2, 2, 2)``
    is ResNet-18 up to stage 3 (FastFlow's taps); smaller widths make a CPU-sized backbone.
    ``widths=(256, 512, 1024)``, ``blocks=(3, 4, 6)``, ``bottleneck=0.5`` is Wide-ResNet-50-2 up
    to stage 3 (``bottleneck=0.25``: ResNet-50).

    Args:
        widths: output channels of each stage.
        blocks: blocks per stage (same length as ``widths``).
        bottleneck: ``None`` for basic blocks (two 3×3 convs); otherwise bottleneck blocks
            whose inner width is this fraction of the stage's output width.
        stem_width: channels of the stem (default: ``widths[0]`` with basic blocks, 64 with
            bottlenecks, as torchvision).
        in_channels: image channels.
        num_classes: if given, a linear head on the pooled last stage (``head``), e.g. for
            self-supervised pretraining; the forward then returns logits.
    """

    def __init__(
        self,
        widths: Sequence[int] = (64, 128, 256),
        blocks: Sequence[int] = (2, 2, 2),
        *,
        bottleneck: float | None = None,
        stem_width: int | None = None,
        in_channels: int = 3,
        num_classes: int | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(widths, Sequence) or not widths:
            raise TypeError(f"widths must be a non-empty sequence of ints; got {widths!r}")
        if not isinstance(blocks, Sequence) or len(blocks) != len(widths):
            raise ConfigError(
                f"blocks must have one entry per width ({len(widths)}); got {blocks!r}"
            )
        for w in widths:
            check_int("widths", w)
        for b in blocks:
            check_int("blocks", b)
        check_int("in_channels", in_channels)
        if bottleneck is not None and (
            isinstance(bottleneck, bool) or not isinstance(bottleneck, int | float)
            or not 0 < bottleneck <= 1
        ):  # fmt: skip
            raise ConfigError(f"bottleneck must be None or a number in (0, 1]; got {bottleneck!r}")
        stem = stem_width if stem_width is not None else (64 if bottleneck else widths[0])
        check_int("stem_width", stem)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.widths, self.blocks, self.bottleneck = tuple(widths), tuple(blocks), bottleneck
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, stem, 7, 2, 3, bias=False, **kw),
            nn.BatchNorm2d(stem, **kw),
            nn.ReLU(),
            nn.MaxPool2d(3, 2, 1),
        )
        c = stem
        for i, (w, b) in enumerate(zip(widths, blocks, strict=True)):
            stage: list[nn.Module] = []
            for j in range(b):
                c_in, stride = (c if j == 0 else w), (2 if i > 0 and j == 0 else 1)
                if bottleneck is None:
                    stage.append(_BasicBlock(c_in, w, stride, **kw))
                else:
                    inner = max(1, round(bottleneck * w))
                    stage.append(_Bottleneck(c_in, w, stride, inner, **kw))
            self.add_module(f"layer{i + 1}", nn.Sequential(*stage))
            c = w
        self.head: nn.Module | None = None
        if num_classes is not None:
            check_int("num_classes", num_classes)
            self.head = nn.Linear(c, num_classes, **kw)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d | nn.Linear):
                m.reset_parameters()

    def stage_names(self) -> list[str]:
        """``["layer1", "layer2", ...]``: the names to tap."""
        return [f"layer{i + 1}" for i in range(len(self.widths))]

    def forward(self, x: Tensor) -> Tensor:
        x = self.stem(x)
        for name in self.stage_names():
            x = getattr(self, name)(x)
        if self.head is not None:
            return self.head(x.mean(dim=(2, 3)))
        return x


def pretrain_rotation(
    backbone: nn.Module,
    images: Tensor,
    *,
    epochs: int,
    lr: float = 2e-3,
    batch_size: int = 32,
    seed: int = 0,
    on_log: Callable[..., object] | None = None,
) -> nn.Module:
    """Train ``backbone`` to predict which of 0°, 90°, 180°, 270° an image was rotated by.

    Args:
        backbone: a module mapping square images ``(N, C, H, H)`` to 4 logits (e.g.
            ``ResNetStages(..., num_classes=4)``).
        images: the (normal) training images ``(N, C, H, H)``.
        epochs, lr, batch_size: Adam on cross-entropy, each image once per epoch with a
            random rotation.
        seed: seed of the shuffling and the rotations.
        on_log: called as ``on_log(step=epoch, loss=..., accuracy=...)`` after each epoch.

    Returns:
        ``backbone``, trained, in eval mode.
    """
    if not isinstance(backbone, nn.Module):
        raise TypeError(f"backbone must be an nn.Module; got {type(backbone).__name__}")
    if not isinstance(images, Tensor) or not images.is_floating_point() or images.dim() != 4:
        raise TypeError(
            f"images must be a real floating batch (N, C, H, H); got {_describe(images)}"
        )
    if images.shape[0] == 0 or images.shape[2] != images.shape[3]:
        raise ConfigError(
            f"images must be a non-empty batch of square images; got {tuple(images.shape)}"
        )
    check_int("epochs", epochs, low=0)
    check_int("batch_size", batch_size)
    check_int("seed", seed, low=0)
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not 0 < lr < float("inf"):
        raise ConfigError(f"lr must be a finite number > 0; got {lr!r}")
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(backbone.parameters(), lr=lr)
    backbone.train()
    n = images.shape[0]
    for epoch in range(epochs):
        order = torch.randperm(n, generator=gen)
        total, correct = 0.0, 0
        for i in range(0, n, batch_size):
            x = images[order[i : i + batch_size]]
            k = torch.randint(4, (x.shape[0],), generator=gen)
            x = torch.stack(
                [torch.rot90(xi, int(ki), dims=(1, 2)) for xi, ki in zip(x, k, strict=True)]
            )
            logits = backbone(x)
            if logits.dim() != 2 or logits.shape[1] != 4:
                raise ConfigError(
                    f"backbone must return 4 rotation logits per image; got shape {tuple(logits.shape)}"
                )
            loss = F.cross_entropy(logits, k.to(logits.device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * x.shape[0]
            correct += int((logits.argmax(1).cpu() == k).sum())
        if on_log is not None:
            on_log(step=epoch, loss=total / n, accuracy=correct / n)
    return backbone.eval()
