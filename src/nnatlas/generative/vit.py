"""A DeiT-style vision transformer whose intermediate tokens are tapped as a feature map.

FastFlow (Yu et al., arXiv 2111.07677) runs one flow on the tokens of a transformer backbone:
with DeiT-B/16 distilled at 384² ("Training data-efficient image transformers & distillation
through attention", Touvron et al., arXiv 2012.12877) the tokens after block index 7, passed
through the final LayerNorm, with the class and distillation tokens dropped, are reshaped into a
768 × 24 × 24 map (as the reference implementations tap it). torchvision does not import beside
the supported torch build and ImageNet weights cannot be downloaded here, so this module builds
the architecture in-house, from the shared transformer blocks of :mod:`nnatlas.nn.transformer`:
patch embedding (a ``patch × patch`` convolution with that stride), a class token and an optional
distillation token, learned position embeddings, pre-norm encoder blocks and a final LayerNorm.
A user with ``timm`` and weights passes the ``timm`` model to
:class:`~nnatlas.generative.FeatureTaps` instead (``drop_tokens=2``).

The tapped map goes through the identity submodule ``features``, so
``FeatureTaps(vit, "features")`` taps it like a ResNet stage (``vit.stage_names()``).
With ``num_classes`` the forward continues through the remaining blocks and returns class logits
from the class token (and, when distilled, the mean of the two heads, as DeiT at test time);
without, it stops at the tapped block and returns the map.

Deviations from DeiT: no stochastic depth and no dropout (the backbone is frozen for FastFlow);
position embeddings are not interpolated, so the image size is fixed at construction; CaiT
(class-attention layers, LayerScale, talking heads) is not built.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.nn.transformer import TransformerEncoderBlock

__all__ = ["VisionTransformerStages"]


class VisionTransformerStages(nn.Module):
    """DeiT-style ViT whose tokens after block ``tap_block`` (+ final norm) form a feature map.

    Args:
        image_size: input side (square images, fixed).
        patch_size: patch side; must divide ``image_size``.
        dim, depth, num_heads, ffn_dim: transformer width, number of blocks, heads and
            feed-forward width (DeiT-B: 768, 12, 12, 3072).
        tap_block: index of the block whose output is tapped (FastFlow with DeiT: 7).
        distilled: add DeiT's distillation token (2 prefix tokens instead of 1).
        in_channels: image channels.
        num_classes: if given, a linear head (two when distilled) on the final class token;
            the forward then returns logits.

    Shapes:
        ``x: (N, in_channels, image_size, image_size)`` → the map
        ``(N, dim, image_size / patch_size, image_size / patch_size)``, or logits
        ``(N, num_classes)``.
    """

    def __init__(
        self,
        image_size: int = 384,
        patch_size: int = 16,
        *,
        dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        ffn_dim: int | None = None,
        tap_block: int = 7,
        distilled: bool = True,
        in_channels: int = 3,
        num_classes: int | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("image_size", image_size)
        check_int("patch_size", patch_size)
        if image_size % patch_size:
            raise ConfigError(
                f"patch_size must divide image_size={image_size}; got patch_size={patch_size}"
            )
        check_int("depth", depth)
        check_int("tap_block", tap_block, low=0, high=depth - 1)
        check_int("in_channels", in_channels)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.image_size, self.patch_size, self.dim = image_size, patch_size, dim
        self.tap_block, self.distilled = tap_block, bool(distilled)
        self.grid = image_size // patch_size
        self.num_prefix = 2 if distilled else 1
        self.patch_embed = nn.Conv2d(in_channels, dim, patch_size, patch_size, **kw)
        self.cls_token = nn.Parameter(torch.empty(1, 1, dim, **kw))
        self.dist_token = nn.Parameter(torch.empty(1, 1, dim, **kw)) if distilled else None
        self.pos_embed = nn.Parameter(torch.empty(1, self.num_prefix + self.grid**2, dim, **kw))
        self.blocks = nn.ModuleList(
            TransformerEncoderBlock(dim, num_heads, ffn_dim, **kw) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim, eps=1e-6, **kw)
        self.features = nn.Identity()
        self.head: nn.Linear | None = None
        self.head_dist: nn.Linear | None = None
        if num_classes is not None:
            check_int("num_classes", num_classes)
            self.head = nn.Linear(dim, num_classes, **kw)
            if distilled:
                self.head_dist = nn.Linear(dim, num_classes, **kw)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """DeiT's initialisation: truncated normal (std 0.02) tokens, positions and linears."""
        for p in (self.cls_token, self.dist_token, self.pos_embed):
            if p is not None:
                nn.init.trunc_normal_(p, std=0.02)
        fan_in = self.patch_embed.weight[0].numel()
        nn.init.uniform_(self.patch_embed.weight, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
        if self.patch_embed.bias is not None:
            nn.init.zeros_(self.patch_embed.bias)
        for block in self.blocks:
            assert isinstance(block, TransformerEncoderBlock)
            block.reset_parameters()
        self.norm.reset_parameters()
        for head in (self.head, self.head_dist):
            if head is not None:
                nn.init.trunc_normal_(head.weight, std=0.02)
                nn.init.zeros_(head.bias)

    def stage_names(self) -> list[str]:
        """``["features"]``: the name to tap with :class:`~nnatlas.generative.FeatureTaps`."""
        return ["features"]

    def extra_repr(self) -> str:
        return (
            f"image_size={self.image_size}, patch_size={self.patch_size}, dim={self.dim}, "
            f"tap_block={self.tap_block}, distilled={self.distilled}"
        )

    def tokens(self, x: Tensor) -> Tensor:
        """Patch, class (and distillation) tokens with positions: ``(N, prefix + grid², dim)``."""
        expected = (self.patch_embed.in_channels, self.image_size, self.image_size)
        if not isinstance(x, Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != expected:
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ConfigError(
                f"x must be an image batch (N, {', '.join(map(str, expected))}); got {got}"
            )
        patches = self.patch_embed(x).flatten(2).transpose(1, 2)
        prefix = [self.cls_token.expand(x.shape[0], -1, -1)]
        if self.dist_token is not None:
            prefix.append(self.dist_token.expand(x.shape[0], -1, -1))
        return torch.cat([*prefix, patches], dim=1) + self.pos_embed

    def forward(self, x: Tensor) -> Tensor:
        h = self.tokens(x)
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i == self.tap_block:
                patches = self.norm(h)[:, self.num_prefix :]
                fmap = patches.transpose(1, 2).reshape(x.shape[0], self.dim, self.grid, self.grid)
                fmap = self.features(fmap)
                if self.head is None:
                    return fmap
        assert self.head is not None  # the loop returned the map otherwise
        h = self.norm(h)
        logits = self.head(h[:, 0])
        if self.head_dist is not None:
            logits = (logits + self.head_dist(h[:, 1])) / 2
        return logits
