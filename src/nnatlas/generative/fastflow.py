"""FastFlow: one 2-D normalizing flow per feature scale, scored per pixel.

FastFlow: Unsupervised Anomaly Detection and Localization via 2D Normalizing Flows (Yu et al.,
arXiv 2111.07677). Features of a frozen backbone at several scales (ResNets: the outputs of
stages 1–3) each pass a trainable LayerNorm over ``[C, H, W]`` (not in the paper, but in both
reference implementations and reported as critical, gathierry/FastFlow issue #3) and then their
own flow of :class:`~nnatlas.generative.coupling.AffineCoupling2d` steps, with 3×3 subnet
kernels on even steps and 1×1 on odd ones (or 3×3 on every step: ``conv3x3_only``). Training
maximises the exact likelihood of normal features under a standard normal:
``loss = mean over images of Σ_scales [½‖z‖² − log|det ∂z/∂x|]``.

The anomaly map is computed as in the two reference implementations (gathierry/FastFlow and
anomalib): per scale, ``p(u) = exp(−½ mean_c z[c, u]²)`` at each location, ``−p`` upsampled
bilinearly (``align_corners=False``) to the image size, and the mean over scales; the image
score is the map's maximum (anomalib). This map ignores the Jacobian term; ``jacobian=True``
gives the variant that keeps it, ``log p(u) = (−½ Σ_c z[c, u]² + log_jac(u)) / C`` (the
per-channel log-likelihood including the per-pixel log-determinant of the flow).

As in the references, the LayerNorm's affine parameters are trained through the flow's loss but
their Jacobian is not counted (the flow models the normalised features).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive
from nnatlas.generative.coupling import AffineCoupling2d, check_feature_map

__all__ = ["FastFlow", "check_features", "check_image_size"]

_MAX_LOG_P = 50.0


def check_image_size(size: object) -> tuple[int, int]:
    """``size`` as ``(H, W)`` (an int means a square); raises naming ``size`` otherwise."""
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size, size)
    if (
        not isinstance(size, tuple | list)
        or len(size) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in size)
    ):
        raise ConfigError(f"size must be an int >= 1 or a pair (H, W) of them; got {size!r}")
    return int(size[0]), int(size[1])


def check_features(
    features: object, shapes: Sequence[tuple[int, int, int]] | None = None
) -> list[Tensor]:
    """``features`` as a list of finite ``(N, C, H, W)`` maps with one batch size (and the
    ``(C, H, W)`` of ``shapes`` when given); raises naming ``features`` otherwise."""
    if isinstance(features, Tensor):
        features = [features]
    if not isinstance(features, Sequence) or not features:
        raise TypeError(
            f"features must be a non-empty sequence of (N, C, H, W) tensors; got {features!r:.80}"
        )
    out = [check_feature_map(f"features[{i}]", f) for i, f in enumerate(features)]
    if len({f.shape[0] for f in out}) != 1:
        raise ConfigError(
            f"features must share one batch size; got {[tuple(f.shape) for f in out]}"
        )
    if shapes is not None:
        got = [tuple(f.shape[1:]) for f in out]
        if got != [tuple(s) for s in shapes]:
            raise ConfigError(
                f"features must have the (C, H, W) shapes {list(shapes)}; got {got} "
                "(mismatched image or feature sizes)"
            )
    return out


class FastFlow(nn.Module):
    """FastFlow over a fixed set of feature scales.

    Args:
        shapes: ``(C, H, W)`` of each scale's feature map (e.g. ResNet-18 at 256²:
            ``[(64, 64, 64), (128, 32, 32), (256, 16, 16)]``).
        num_steps: flow steps per scale (paper: 8 for ResNets, 20 for DeiT/CaiT).
        conv3x3_only: 3×3 subnets on every step (else 3×3 on even steps, 1×1 on odd).
        kernel_size: force one kernel size on every step (``1``: a flow without spatial
            context, the ablation of the paper's central claim); overrides ``conv3x3_only``.
        hidden_ratio, clamp: of every :class:`AffineCoupling2d`.
        layer_norm: the per-scale trainable LayerNorm over ``[C, H, W]``.
        permutation_seed: seed of the steps' fixed channel permutations.

    ``forward(*features)`` returns ``(zs, log_jacs)``: per scale the latent ``(N, C, H, W)``
    and the per-pixel log-determinant ``(N, H, W)`` of the whole flow.
    """

    def __init__(
        self,
        shapes: Sequence[tuple[int, int, int]],
        *,
        num_steps: int = 8,
        conv3x3_only: bool = False,
        kernel_size: int | None = None,
        hidden_ratio: float = 1.0,
        clamp: float = 2.0,
        layer_norm: bool = True,
        permutation_seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if isinstance(shapes, str) or not isinstance(shapes, Sequence) or not shapes:
            raise TypeError(f"shapes must be a non-empty sequence of (C, H, W); got {shapes!r}")
        for s in shapes:
            ok = isinstance(s, tuple | list) and len(s) == 3
            if not ok or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                 for v in s):  # fmt: skip
                raise ConfigError(f"shapes must hold (C, H, W) triples of ints >= 1; got {s!r}")
        check_int("num_steps", num_steps)
        if kernel_size is not None:
            check_int("kernel_size", kernel_size)
        check_positive("hidden_ratio", hidden_ratio)
        check_int("permutation_seed", permutation_seed, low=0)
        self.shapes: list[tuple[int, int, int]] = [
            (int(s[0]), int(s[1]), int(s[2])) for s in shapes
        ]
        self.num_steps, self.conv3x3_only, self.kernel_size = num_steps, conv3x3_only, kernel_size
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.norms = nn.ModuleList(
            nn.LayerNorm(list(s), **kw) if layer_norm else nn.Identity() for s in self.shapes
        )
        self.flows = nn.ModuleList()
        for i, (c, _, _) in enumerate(self.shapes):
            steps = [
                AffineCoupling2d(
                    c,
                    self.step_kernel(k),
                    hidden_ratio=hidden_ratio,
                    clamp=clamp,
                    permutation_seed=permutation_seed + 1000 * i + k,
                    **kw,
                )
                for k in range(num_steps)
            ]
            self.flows.append(nn.ModuleList(steps))

    def step_kernel(self, step: int) -> int:
        """The subnet kernel size of flow step ``step`` (0-based)."""
        if self.kernel_size is not None:
            return self.kernel_size
        return 3 if self.conv3x3_only or step % 2 == 0 else 1

    def reset_parameters(self) -> None:
        for m in self.modules():
            reset = getattr(m, "reset_parameters", None)
            if m is not self and callable(reset):
                reset()

    def extra_repr(self) -> str:
        kernels = [self.step_kernel(k) for k in range(self.num_steps)]
        return f"shapes={self.shapes}, num_steps={self.num_steps}, kernels={kernels}"

    def forward(self, *features: Tensor) -> tuple[list[Tensor], list[Tensor]]:
        feats = check_features(list(features), self.shapes)
        zs, log_jacs = [], []
        for feat, norm, flow in zip(feats, self.norms, self.flows, strict=True):
            z = norm(feat)
            log_jac = torch.zeros(z.shape[0], z.shape[2], z.shape[3], dtype=z.dtype,
                                  device=z.device)  # fmt: skip
            for step in flow:  # type: ignore[attr-defined]
                z, lj = step.transform(z)
                log_jac = log_jac + lj
            zs.append(z)
            log_jacs.append(log_jac)
        return zs, log_jacs

    def loss(self, features: Sequence[Tensor]) -> Tensor:
        """Negative log-likelihood (up to the constant ``½ log 2π`` per entry): mean over images
        of ``Σ_scales [½‖z‖² − log|det|]``."""
        zs, log_jacs = self(*check_features(features))
        terms = [(0.5 * (z**2).sum(dim=(1, 2, 3)) - lj.sum(dim=(1, 2))).mean()
                 for z, lj in zip(zs, log_jacs, strict=True)]  # fmt: skip
        return torch.stack(terms).sum()

    @torch.no_grad()
    def anomaly_map(
        self, features: Sequence[Tensor], size: int | tuple[int, int], *, jacobian: bool = False
    ) -> Tensor:
        """The anomaly map ``(N, H, W)`` at image size ``size`` (higher = more anomalous).

        Args:
            features: one ``(N, C, H, W)`` map per scale.
            size: the image size ``(H, W)`` (an int for a square).
            jacobian: keep the flow's per-pixel log-determinant in the likelihood (the
                variant); the default ignores it, as the reference implementations do.
        """
        hw = check_image_size(size)
        zs, log_jacs = self(*check_features(features))
        maps = []
        for z, lj in zip(zs, log_jacs, strict=True):
            log_p = -0.5 * (z**2).mean(dim=1)
            if jacobian:  # clamped: exp must stay finite where the log-det is large
                log_p = (log_p + lj / z.shape[1]).clamp(max=_MAX_LOG_P)
            up = F.interpolate(-torch.exp(log_p)[:, None], size=hw, mode="bilinear",
                               align_corners=False)  # fmt: skip
            maps.append(up[:, 0])
        return torch.stack(maps).mean(dim=0)
