"""NoProp-FM: one network regresses the flow-matching velocity of a noisy class embedding.

Paper: Li, Teh, Pascanu, "Training Neural Networks without Back-propagation or
Forward-propagation", arXiv 2503.24322. See :mod:`nnatlas.train.noprop` for the method and the
deviations from the paper (distance-to-embedding classification, 20 Euler steps).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.train.noprop.common import (
    EmbeddingKind,
    add_class_embedding,
    check_batch,
    check_module,
    initial_state,
    reset_class_embedding,
    reset_modules,
    set_time_conditioning,
    time_features,
)
from nnatlas.train.validation import check_nonnegative

__all__ = ["NoPropFM"]


class NoPropFM(nn.Module):
    """NoProp-FM: one network regresses the flow-matching velocity of a noisy label embedding.

    With z_0 ~ N(0, I), t ~ U(0, 1) and z_t = t u_y + (1 - t) z_0, the network v(x, z_t, t) is
    trained by ‖v - (u_y - z_0)‖². Inference integrates dz/dt = v with Euler steps from z_0 and
    classifies z_1 by its negative squared distance to each class embedding. Unlike NoProp-DT,
    one network is shared across time (the paper's CT/FM are not block-wise).

    Args:
        net: maps ``(x, z_aug)`` to ``(batch, embed_dim)``, where ``z_aug`` is z with
            ``time_features`` sinusoidal features of t appended: ``(batch, embed_dim +
            time_features)``; e.g. ``MLPBlock(d, embed_dim + time_features, embed_dim)``.
        num_classes: C.
        embedding, embed_dim, prototypes: as for :class:`NoPropDT`.
        time_features: number of sinusoidal time features (even).
        steps: Euler steps at inference (paper: 1000).
        ce_weight: weight of a cross-entropy term on the one-step extrapolation
            z_t + (1 - t) v (the paper adds it for learned embeddings); 0 disables it.
        device, dtype: of the parameters.

    Shape:
        - x: ``(batch, *)``; y: ``(batch,)``; ``forward(x)``: ``(batch, num_classes)`` logits.
    """

    embed: Tensor
    num_classes: int
    embed_dim: int
    embedding_kind: str
    net: nn.Module
    time_features: int
    steps: int

    def __init__(
        self,
        net: nn.Module,
        num_classes: int,
        *,
        embedding: EmbeddingKind = "onehot",
        embed_dim: int | None = None,
        prototypes: Tensor | None = None,
        time_features: int = 8,
        steps: int = 20,
        ce_weight: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        set_time_conditioning(self, num_classes, steps, time_features)
        self.ce_weight = check_nonnegative("ce_weight", ce_weight)
        self.net = check_module("net", net)
        kw: dict[str, Any] = {"device": device, "dtype": dtype or torch.get_default_dtype()}
        add_class_embedding(self, num_classes, embedding, embed_dim, kw, prototypes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_class_embedding(self)
        reset_modules(self.net)

    def velocity(self, x: Tensor, z: Tensor, t: Tensor) -> Tensor:
        """v(x, z_t, t): ``x (B, *)``, ``z (B, E)``, ``t (B,)`` -> ``(B, E)``."""
        return self.net(x, torch.cat([z, time_features(t, self.time_features)], dim=-1))

    def _logits(self, z: Tensor) -> Tensor:
        return -(z[:, None, :] - self.embed[None]).pow(2).sum(-1)

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        """The flow-matching loss (plus the optional CE term), mean over the batch."""
        check_batch(x, y, self.num_classes)
        u = self.embed[y]
        z0 = torch.randn_like(u)
        t = torch.rand(u.shape[0], device=u.device, dtype=u.dtype)
        zt = t[:, None] * u + (1 - t[:, None]) * z0
        v = self.velocity(x, zt, t)
        loss = (v - (u - z0)).pow(2).sum(-1).mean()
        if self.ce_weight > 0:
            loss = loss + self.ce_weight * F.cross_entropy(
                self._logits(zt + (1 - t[:, None]) * v), y
            )
        return loss

    def forward(
        self, x: Tensor, *, stochastic: bool = False, generator: torch.Generator | None = None
    ) -> Tensor:
        """Euler-integrate from z_0 (0, or N(0, I) if ``stochastic``) to z_1; ``(B, C)`` logits."""
        kw: dict[str, Any] = {"device": self.embed.device, "dtype": self.embed.dtype}
        shape = (x.shape[0], self.embed_dim)
        z = initial_state(shape, stochastic=stochastic, generator=generator, factory=kw)
        dt = 1.0 / self.steps
        for i in range(self.steps):
            t = torch.full((x.shape[0],), i * dt, **kw)
            z = z + dt * self.velocity(x, z, t)
        return self._logits(z)

    def extra_repr(self) -> str:
        return (
            f"num_classes={self.num_classes}, embedding={self.embedding_kind!r}, "
            f"embed_dim={self.embed_dim}, steps={self.steps}, ce_weight={self.ce_weight}"
        )
