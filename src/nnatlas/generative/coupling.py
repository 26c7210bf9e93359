"""The 2-D affine coupling step of FastFlow, as FrEIA's ``AllInOneBlock`` is used by FastFlow.

FastFlow: Unsupervised Anomaly Detection and Localization via 2D Normalizing Flows (Yu, Zheng,
Wang, Li, Wu, Zhao, Wu; arXiv 2111.07677). The paper has no official code; its
reference implementations (gathierry/FastFlow, anomalib) build the flow from FrEIA's
``AllInOneBlock`` with ``permute_soft=False`` and ``affine_clamping=2.0``. This is our own
implementation of that step on a feature map ``x: (N, C, H, W)`` (equal to ``AllInOneBlock`` on
copied weights, see the tests):

1. split the channels into ``x1`` (the first ``⌈C/2⌉``) and ``x2`` (the last ``⌊C/2⌋``);
2. a subnet ``a = Conv(k)–ReLU–Conv(k)(x1)`` ("same" padding, ``hidden_ratio · ⌈C/2⌉`` hidden
   channels, ``2·⌊C/2⌋`` outputs), scaled by 0.1; ``s = clamp · tanh(a[:half])`` (the soft
   clamp), ``t = a[half:]``; ``y2 = x2 · exp(s) + t`` (log-det ``Σ s``);
3. a learned global affine per channel, ``y ← y · scale + offset`` with
   ``scale = 0.2 · log(1 + exp(g / 2))`` (a softplus, initialised so that ``scale = 1``);
4. a fixed random channel permutation.

Every part acts on each pixel's channels or on a pixel's neighbourhood, so the log-determinant
decomposes over pixels: :meth:`AffineCoupling2d.forward` returns it as a map ``(N, H, W)``
whose sum over pixels is the exact ``log|det ∂y/∂x|`` of the image (FastFlow's variant with the
Jacobian term in the anomaly map uses that map).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive

__all__ = ["AffineCoupling2d", "check_feature_map"]

_SUBNET_SCALE = 0.1  # FrEIA scales the whole subnet output down for a near-identity start


def check_feature_map(name: str, x: object, channels: int | None = None) -> Tensor:
    """``x`` if it is a finite real floating tensor ``(N, C, H, W)`` (with ``C = channels``).

    Raises:
        TypeError: not a tensor, or not a real floating dtype.
        ConfigError: wrong rank, wrong channel count, an empty batch, or NaN/inf entries.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a tensor (N, C, H, W); got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a real floating tensor; got dtype {x.dtype}")
    if x.dim() != 4:
        raise ConfigError(f"{name} must have shape (N, C, H, W); got shape {tuple(x.shape)}")
    if channels is not None and x.shape[1] != channels:
        raise ConfigError(f"{name} must have {channels} channels; got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ConfigError(f"{name} must hold at least one map; got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ConfigError(f"{name} has NaN or infinite entries")
    return x


class AffineCoupling2d(nn.Module):
    """One FastFlow flow step on ``(N, C, H, W)`` feature maps (see the module docstring).

    Args:
        channels: C (≥ 2).
        kernel_size: odd kernel of both subnet convolutions (3 or 1 in FastFlow).
        hidden_ratio: hidden channels of the subnet per input channel (FastFlow: 1.0 for
            ResNets, 0.16 for the transformers).
        clamp: soft-clamp bound of the log-scale ``s`` (FrEIA's ``affine_clamping``).
        permutation_seed: seed of the fixed channel permutation (a buffer, saved with the state).
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int = 3,
        *,
        hidden_ratio: float = 1.0,
        clamp: float = 2.0,
        permutation_seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("channels", channels, low=2)
        check_int("kernel_size", kernel_size)
        if kernel_size % 2 == 0:
            raise ConfigError(f"kernel_size must be odd (same padding); got {kernel_size}")
        check_positive("hidden_ratio", hidden_ratio)
        check_positive("clamp", clamp)
        check_int("permutation_seed", permutation_seed, low=0)
        self.channels, self.kernel_size = channels, kernel_size
        self.hidden_ratio, self.clamp = float(hidden_ratio), float(clamp)
        self.split1, self.split2 = channels - channels // 2, channels // 2
        hidden = int(self.split1 * hidden_ratio)
        if hidden < 1:
            raise ConfigError(
                f"hidden_ratio={hidden_ratio} gives no hidden channel for {self.split1} inputs"
            )
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        pad = kernel_size // 2
        self.subnet = nn.Sequential(
            nn.Conv2d(self.split1, hidden, kernel_size, padding=pad, **kw),
            nn.ReLU(),
            nn.Conv2d(hidden, 2 * self.split2, kernel_size, padding=pad, **kw),
        )
        self.global_scale = nn.Parameter(torch.empty(1, channels, 1, 1, **kw))
        self.global_offset = nn.Parameter(torch.empty(1, channels, 1, 1, **kw))
        gen = torch.Generator().manual_seed(permutation_seed)
        perm = torch.randperm(channels, generator=gen)
        self.perm: Tensor
        self.perm_inv: Tensor
        self.register_buffer("perm", perm.to(device))
        self.register_buffer("perm_inv", torch.argsort(perm).to(device))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.subnet:
            if isinstance(m, nn.Conv2d):
                m.reset_parameters()
        # softplus parametrisation 0.2·log(1 + exp(g/2)) equals 1 at g = 2·log(e^5 − 1)
        nn.init.constant_(self.global_scale, 2.0 * math.log(math.expm1(5.0)))
        nn.init.zeros_(self.global_offset)

    def extra_repr(self) -> str:
        return (
            f"channels={self.channels}, kernel_size={self.kernel_size}, "
            f"hidden_ratio={self.hidden_ratio:g}, clamp={self.clamp:g}"
        )

    def scale(self) -> Tensor:
        """The global per-channel scale ``(1, C, 1, 1)`` (positive)."""
        return 0.1 * F.softplus(self.global_scale, beta=0.5)  # = 0.2·log(1 + exp(g/2))

    def _coefficients(self, x1: Tensor) -> tuple[Tensor, Tensor]:
        a = _SUBNET_SCALE * self.subnet(x1)
        return self.clamp * torch.tanh(a[:, : self.split2]), a[:, self.split2 :]

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Map ``x: (N, C, H, W)`` to ``(y, log_jac)``, ``y`` of the same shape and
        ``log_jac: (N, H, W)`` the per-pixel log-determinant (its sum over pixels is the
        image's exact ``log|det ∂y/∂x|``)."""
        return self.transform(check_feature_map("x", x, self.channels))

    def transform(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """:meth:`forward` without the argument checks (what a flow calls between its steps)."""
        x1, x2 = x[:, : self.split1], x[:, self.split1 :]
        s, t = self._coefficients(x1)
        y = torch.cat((x1, x2 * torch.exp(s) + t), dim=1)
        scale = self.scale()
        y = (y * scale + self.global_offset)[:, self.perm]
        log_jac = s.sum(dim=1) + torch.log(scale).sum()
        return y, log_jac

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        """The exact inverse: ``(x, log_jac)`` with ``log_jac`` the per-pixel log-determinant
        of the inverse map (minus the forward one)."""
        check_feature_map("y", y, self.channels)
        scale = self.scale()
        u = (y[:, self.perm_inv] - self.global_offset) / scale
        x1, y2 = u[:, : self.split1], u[:, self.split1 :]
        s, t = self._coefficients(x1)
        x = torch.cat((x1, (y2 - t) * torch.exp(-s)), dim=1)
        return x, -(s.sum(dim=1) + torch.log(scale).sum())
