"""Pieces of the "neural networks → neural operators" recipe (Berner, Liu-Schiaffini, Kossaifi,
Duruisseaux, Bonev, Azizzadenesheli, Anandkumar; "Principled Approaches for Extending Neural
Architectures to Function Spaces for Operator Learning", arXiv 2506.10973).

* :class:`UNet2d` — a small U-Net built only from resolution-relative pieces (k×k convolutions,
  2× average pooling, 2× bilinear upsampling), the CNN that the recipe converts.
* :func:`interpolate_kernel` / :func:`kernel_interpolated` — the recipe's fix for a CNN run on a
  grid ``factor`` times finer than its training grid: a k×k kernel is read as samples of a
  continuous kernel κ with a fixed *physical* support, resampled bilinearly (grid corners
  aligned) to k' = factor·(k − 1) + 1 taps and divided by the ratio of tap counts (k'/k)², so a
  constant kernel keeps its sum (the response to a constant input is unchanged) and
  Σ_j w'_j u(x − y'_j) approximates the same ∫ κ(y) u(x − y) dy as the coarse sum. Padding grows
  to (k' − 1)/2. Pointwise (1×1) convolutions are left unchanged.

Deviations from the official code (models/unet_kernel_interp.py): it also wraps transposed
convolutions (interpolating their input to the base resolution); our U-Net has none. The
normalisation by the area ratio follows the official converter; the plain quadrature factor
factor² would shrink a constant kernel's sum by (k'/(k·factor))² (19 % for k = 5), which we
measured to be the worse choice.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.operators.validation import check_real_tensor

__all__ = ["UNet2d", "interpolate_kernel", "kernel_interpolated"]


def interpolate_kernel(weight: Tensor, factor: int) -> Tensor:
    """Resample a conv kernel for a grid ``factor`` times finer (same physical support).

    Args:
        weight: (out, in, k, k) with odd k.
        factor: refinement factor s ≥ 1.

    Returns:
        (out, in, k', k') with k' = s(k − 1) + 1, bilinear (corners aligned), divided by (k'/k)².
    """
    check_int("factor", factor)
    check_real_tensor("weight", weight, "interpolate_kernel")
    if not isinstance(weight, Tensor) or weight.dim() != 4 or weight.shape[-1] != weight.shape[-2]:
        shape = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise ConfigError(f"weight must be a square conv kernel (out, in, k, k); got {shape}")
    k = weight.shape[-1]
    if k % 2 == 0:
        raise ConfigError(f"kernel size must be odd to keep the grid centred; got k={k}")
    if factor == 1 or k == 1:
        return weight.clone()
    size = factor * (k - 1) + 1
    out = F.interpolate(
        weight.reshape(-1, 1, k, k), size=(size, size), mode="bilinear", align_corners=True
    )
    return out.reshape(*weight.shape[:2], size, size) * (k / size) ** 2


def kernel_interpolated(model: nn.Module, factor: int) -> nn.Module:
    """A copy of ``model`` whose k×k ``nn.Conv2d`` layers (k > 1, stride 1) are resampled with
    :func:`interpolate_kernel` for a grid ``factor`` times finer; ``model`` is not modified."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    check_int("factor", factor)
    new = copy.deepcopy(model)
    for name, conv in list(new.named_modules()):
        if not isinstance(conv, nn.Conv2d) or conv.kernel_size[0] == 1:
            continue
        if conv.stride != (1, 1) or conv.dilation != (1, 1) or conv.groups != 1:
            raise ConfigError(
                f"kernel_interpolated: {name} has stride {conv.stride}, dilation {conv.dilation}, "
                f"groups {conv.groups}; only stride-1, undilated, ungrouped convolutions are supported"
            )
        weight = interpolate_kernel(conv.weight.detach(), factor)
        k = weight.shape[-1]
        conv.weight = nn.Parameter(weight)
        conv.kernel_size = (k, k)
        conv.padding = ((k - 1) // 2, (k - 1) // 2)
    return new


class _Block(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, k: int, **kw: Any) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, k, padding=k // 2, **kw),
            nn.GELU(),
            nn.Conv2d(c_out, c_out, k, padding=k // 2, **kw),
            nn.GELU(),
        )


class UNet2d(nn.Module):
    """U-Net of resolution-relative pieces: k×k conv blocks, 2× average pooling, 2× bilinear
    upsampling with skip connections, a 1×1 output layer.

    Args:
        in_channels, out_channels: field channels.
        width: channels at the finest level (doubled at each coarser level).
        levels: number of poolings.
        kernel_size: odd k of every conv.

    Shapes:
        input (batch, in_channels, H, W), H and W divisible by 2^levels → same grid out.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        width: int = 16,
        levels: int = 2,
        kernel_size: int = 3,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.out_channels = check_int("out_channels", out_channels)
        self.width = check_int("width", width)
        self.levels = check_int("levels", levels)
        self.kernel_size = check_int("kernel_size", kernel_size)
        if kernel_size % 2 == 0:
            raise ConfigError(f"kernel_size must be odd; got {kernel_size}")
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        chans = [width * 2**i for i in range(levels + 1)]
        k = kernel_size
        self.down = nn.ModuleList(
            _Block(in_channels if i == 0 else chans[i - 1], chans[i], k, **kw)
            for i in range(levels + 1)
        )
        self.up = nn.ModuleList(
            _Block(chans[i] + chans[i + 1], chans[i], k, **kw) for i in range(levels)
        )
        self.head = nn.Conv2d(width, out_channels, 1, **kw)

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                m.reset_parameters()

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, width={self.width}, levels={self.levels}, "
            f"kernel_size={self.kernel_size}"
        )

    def forward(self, x: Tensor) -> Tensor:
        m = 2**self.levels
        check_real_tensor("x", x, "UNet2d")
        if not isinstance(x, Tensor) or x.dim() != 4 or x.shape[1] != self.in_channels:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ConfigError(
                f"UNet2d expects x of shape (batch, {self.in_channels}, H, W); got {shape}"
            )
        if x.shape[-2] % m or x.shape[-1] % m:
            raise ConfigError(
                f"UNet2d with levels={self.levels} needs H and W divisible by {m}; "
                f"got {tuple(x.shape[-2:])}"
            )
        skips = []
        for i, block in enumerate(self.down):
            if i:
                x = F.avg_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        for i in range(self.levels - 1, -1, -1):
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = self.up[i](torch.cat([skips[i], x], dim=1))
        return self.head(x)
