"""The NoProp blocks: :class:`MLPBlock` for vectors and :class:`ConvBlock` (the paper's Fig. 6).

Paper: Li, Teh, Pascanu, "Training Neural Networks without Back-propagation or
Forward-propagation", arXiv 2503.24322. A block maps an input x and a noisy label embedding z
to class logits; any module with that signature can serve as a NoProp block.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int

__all__ = ["ConvBlock", "MLPBlock"]


def _check_z(z: Tensor, batch: int, embed_dim: int) -> None:
    if z.dim() != 2 or z.shape != (batch, embed_dim):
        raise ConfigError(
            f"z must be (batch, embed_dim) = ({batch}, {embed_dim}); got shape {tuple(z.shape)}"
        )


class MLPBlock(nn.Module):
    """A NoProp block for vector inputs: predicts class logits from ``(x, z)``.

    x-path: Linear-ReLU-Linear-BN; z-path: Linear-BN-ReLU-Linear-BN; joint (on the sum):
    ReLU-Linear-BN-ReLU-Linear(num_classes).

    Args:
        in_features: size of a flattened input x.
        embed_dim: E, the size of z.
        num_classes: C, the number of logits.
        hidden: width of every hidden layer.
        device, dtype: of the parameters.

    Shape:
        - x: ``(batch, *)`` with ``prod(*) == in_features``; z: ``(batch, embed_dim)``.
        - Output: ``(batch, num_classes)`` logits.
    """

    def __init__(
        self,
        in_features: int,
        embed_dim: int,
        num_classes: int,
        hidden: int = 128,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, value in (
            ("in_features", in_features),
            ("embed_dim", embed_dim),
            ("num_classes", num_classes),
            ("hidden", hidden),
        ):
            check_int(name, value)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.in_features, self.embed_dim, self.num_classes, self.hidden = (
            in_features,
            embed_dim,
            num_classes,
            hidden,
        )
        self.x_path = nn.Sequential(
            nn.Linear(in_features, hidden, **kw),
            nn.ReLU(),
            nn.Linear(hidden, hidden, **kw),
            nn.BatchNorm1d(hidden, **kw),
        )
        self.z_path = nn.Sequential(
            nn.Linear(embed_dim, hidden, **kw),
            nn.BatchNorm1d(hidden, **kw),
            nn.ReLU(),
            nn.Linear(hidden, hidden, **kw),
            nn.BatchNorm1d(hidden, **kw),
        )
        self.joint = nn.Sequential(
            nn.ReLU(),
            nn.Linear(hidden, hidden, **kw),
            nn.BatchNorm1d(hidden, **kw),
            nn.ReLU(),
            nn.Linear(hidden, num_classes, **kw),
        )

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.BatchNorm1d)):
                m.reset_parameters()

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        x = x.flatten(1)
        if x.shape[1] != self.in_features:
            raise ConfigError(
                f"x must flatten to (batch, in_features={self.in_features}); got shape "
                f"{tuple(x.shape)}"
            )
        _check_z(z, x.shape[0], self.embed_dim)
        return self.joint(self.x_path(x) + self.z_path(z))

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, embed_dim={self.embed_dim}, "
            f"num_classes={self.num_classes}, hidden={self.hidden}"
        )


class ConvBlock(nn.Module):
    """The paper's NoProp block for images (Fig. 6): predicts class logits from ``(x, z)``.

    Image path: three 3×3 convolutions (``channels``) with ReLU, max-pooling after the first
    and the third, dropout after each, then Linear + BatchNorm to ``hidden``. z path:
    Linear-BN-ReLU to ``hidden`` then a residual Linear-BN-ReLU-Linear-BN. Joint: the two
    paths concatenated, Linear-BN-ReLU (``hidden``), Linear-BN-ReLU (``hidden // 2``), Linear to
    the logits. The paper's widths are the defaults.

    Args:
        in_channels: image channels.
        image_size: height = width of the images (a multiple of 4: two 2×2 poolings).
        embed_dim: E, the size of z.
        num_classes: C, the number of logits.
        channels: the three convolutions' output channels.
        hidden: width of the fully connected layers.
        dropout: dropout probability in the image path.
        device, dtype: of the parameters.

    Shape:
        - x: ``(batch, in_channels, image_size, image_size)``, or flattened
          ``(batch, in_channels * image_size ** 2)``; z: ``(batch, embed_dim)``.
        - Output: ``(batch, num_classes)`` logits.
    """

    def __init__(
        self,
        in_channels: int,
        image_size: int,
        embed_dim: int,
        num_classes: int,
        *,
        channels: tuple[int, int, int] = (32, 64, 128),
        hidden: int = 256,
        dropout: float = 0.3,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, value in (
            ("in_channels", in_channels),
            ("image_size", image_size),
            ("embed_dim", embed_dim),
            ("num_classes", num_classes),
            ("hidden", hidden),
        ):
            check_int(name, value)
        if image_size % 4:
            raise ConfigError(f"image_size must be a multiple of 4; got {image_size}")
        if len(channels) != 3:
            raise ConfigError(f"channels must hold three widths; got {channels!r}")
        if not 0 <= dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1); got {dropout}")
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.in_channels, self.image_size, self.embed_dim = in_channels, image_size, embed_dim
        self.num_classes, self.channels, self.hidden = num_classes, tuple(channels), hidden
        c1, c2, c3 = channels
        self.x_path = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, padding=1, **kw),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(dropout),
            nn.Conv2d(c1, c2, 3, padding=1, **kw),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Conv2d(c2, c3, 3, padding=1, **kw),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(dropout),
            nn.Flatten(),
            nn.Linear(c3 * (image_size // 4) ** 2, hidden, **kw),
            nn.BatchNorm1d(hidden, **kw),
        )
        self.z_in = nn.Sequential(
            nn.Linear(embed_dim, hidden, **kw), nn.BatchNorm1d(hidden, **kw), nn.ReLU()
        )
        self.z_res = nn.Sequential(
            nn.Linear(hidden, hidden, **kw),
            nn.BatchNorm1d(hidden, **kw),
            nn.ReLU(),
            nn.Linear(hidden, hidden, **kw),
            nn.BatchNorm1d(hidden, **kw),
        )
        self.joint = nn.Sequential(
            nn.Linear(2 * hidden, hidden, **kw),
            nn.BatchNorm1d(hidden, **kw),
            nn.ReLU(),
            nn.Linear(hidden, hidden // 2, **kw),
            nn.BatchNorm1d(hidden // 2, **kw),
            nn.ReLU(),
            nn.Linear(hidden // 2, num_classes, **kw),
        )

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.BatchNorm1d)):
                m.reset_parameters()

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        s = self.image_size
        if x.dim() < 2 or math.prod(x.shape[1:]) != self.in_channels * s * s:
            raise ConfigError(
                f"x must be (batch, in_channels={self.in_channels}, {s}, {s}) or flattened to "
                f"{self.in_channels * s * s} features; got shape {tuple(x.shape)}"
            )
        _check_z(z, x.shape[0], self.embed_dim)
        x = x.reshape(x.shape[0], self.in_channels, s, s)
        h = self.z_in(z)
        return self.joint(torch.cat([self.x_path(x), h + self.z_res(h)], dim=-1))

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, image_size={self.image_size}, "
            f"embed_dim={self.embed_dim}, num_classes={self.num_classes}, "
            f"channels={self.channels}, hidden={self.hidden}"
        )
