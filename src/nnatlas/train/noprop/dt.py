"""NoProp-DT: T blocks, each trained alone to denoise a noisy class embedding (discrete time).

Paper: Li, Teh, Pascanu, "Training Neural Networks without Back-propagation or
Forward-propagation", arXiv 2503.24322. See :mod:`nnatlas.train.noprop` for the method and the
deviations from the paper.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive
from nnatlas.train.noprop.common import (
    EmbeddingKind,
    add_class_embedding,
    check_batch,
    initial_state,
    posterior_coefficients,
    prior_kl,
    reset_class_embedding,
    reset_modules,
)
from nnatlas.train.validation import check_labels, check_nonnegative

__all__ = ["NoPropDT", "cosine_alpha_bar"]


def cosine_alpha_bar(
    num_blocks: int, *, s: float = 0.008, low: float = 1e-4, high: float = 0.9999
) -> Tensor:
    """The cosine noise schedule ᾱ_t, t = 0..T, increasing in t (z_0 noisiest, z_T cleanest).

    ᾱ_t = cos²(π/2 · (1 - t/T + s) / (1 + s)), the schedule of Nichol & Dhariwal with the time
    axis reversed, clamped to ``[low, high]``.

    Args:
        num_blocks: T, the number of blocks.
        s: the cosine offset.
        low, high: clamp bounds that keep SNR finite.

    Returns:
        ``(T + 1,)`` float64 tensor, strictly increasing for T ≥ 2 with default clamps.
    """
    check_int("num_blocks", num_blocks)
    check_nonnegative("s", s)
    if not 0.0 < low < high < 1.0:
        raise ConfigError(f"need 0 < low < high < 1; got low={low}, high={high}")
    tau = 1.0 - torch.arange(num_blocks + 1, dtype=torch.float64) / num_blocks
    abar = torch.cos((tau + s) / (1.0 + s) * math.pi / 2) ** 2
    return abar.clamp(low, high)


class NoPropDT(nn.Module):
    """NoProp, discrete time: T blocks, each trained alone to denoise a noisy label embedding.

    Train with any stock optimizer over ``parameters()``::

        model = NoPropDT([MLPBlock(64, 10, 10) for _ in range(10)], num_classes=10)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-3)
        for xb, yb in batches:
            opt.zero_grad()
            model.backward_local(xb, yb)  # T local backward passes + head; returns the losses
            opt.step()
        logits = model(x_test)  # deterministic inference

    Args:
        blocks: the T blocks; block t maps ``(x, z_{t-1})`` to ``(batch, num_classes)`` logits.
        num_classes: C.
        embedding: ``"onehot"`` (fixed identity, E = C), ``"learned"`` (orthogonal init when
            E ≥ C, trained by all loss terms) or ``"prototype"`` (learned, initialised from
            ``prototypes``).
        embed_dim: E for learned embeddings (default C).
        prototypes: ``(C, E)`` initial embeddings for ``embedding="prototype"``, e.g.
            :func:`class_prototypes` of the training inputs.
        eta: η, the weight of the denoising terms (paper: 0.1 for DT).
        alpha_bar: ᾱ_0..ᾱ_T, increasing; default :func:`cosine_alpha_bar`.
        device, dtype: of the parameters.

    Shape:
        - x: ``(batch, *)`` as the blocks expect; y: ``(batch,)`` integer labels.
        - ``forward(x)``: ``(batch, num_classes)`` logits of p̂(y | z_T).
    """

    alpha_bar: Tensor
    embed: Tensor
    num_classes: int
    embed_dim: int
    embedding_kind: str

    def __init__(
        self,
        blocks: Sequence[nn.Module],
        num_classes: int,
        *,
        embedding: EmbeddingKind = "onehot",
        embed_dim: int | None = None,
        prototypes: Tensor | None = None,
        eta: float = 0.1,
        alpha_bar: Tensor | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("num_classes", num_classes, low=2)
        blocks = list(blocks)
        if len(blocks) < 1:
            raise ConfigError("blocks must hold at least one block; got none")
        for block in blocks:
            if not isinstance(block, nn.Module):
                raise TypeError(f"blocks must be torch.nn.Modules; got a {type(block).__name__}")
        self.eta = check_positive("eta", eta)
        self.blocks = nn.ModuleList(blocks)
        T = len(self.blocks)
        if alpha_bar is not None and not isinstance(alpha_bar, Tensor):
            raise TypeError(f"alpha_bar must be a tensor or None; got {type(alpha_bar).__name__}")
        abar = cosine_alpha_bar(T) if alpha_bar is None else alpha_bar.double().cpu()
        if abar.shape != (T + 1,):
            raise ConfigError(f"alpha_bar must have shape ({T + 1},); got {tuple(abar.shape)}")
        if not bool(((abar > 0) & (abar < 1)).all()) or not bool((abar.diff() > 0).all()):
            raise ConfigError("alpha_bar must be strictly increasing inside (0, 1)")
        fkw: dict[str, Any] = {"device": device, "dtype": dtype or torch.get_default_dtype()}
        self.register_buffer("alpha_bar", abar.to(**fkw))
        add_class_embedding(self, num_classes, embedding, embed_dim, fkw, prototypes)
        self.head = nn.Linear(self.embed_dim, num_classes, **fkw)
        self.reset_parameters()

    @property
    def num_blocks(self) -> int:
        """T."""
        return len(self.blocks)

    def reset_parameters(self) -> None:
        reset_class_embedding(self)
        reset_modules(self.head, *self.blocks)

    def snr(self) -> Tensor:
        """SNR(t) = ᾱ_t / (1 - ᾱ_t), t = 0..T: ``(T + 1,)``."""
        return self.alpha_bar / (1 - self.alpha_bar)

    def loss_weights(self) -> Tensor:
        """Weight of block t's squared error, (η / 2)(SNR(t) - SNR(t-1)), t = 1..T: ``(T,)``."""
        return 0.5 * self.eta * self.snr().diff()

    def _sample_q(self, u: Tensor, t: int) -> Tensor:
        a = self.alpha_bar[t]
        return a.sqrt() * u + (1 - a).sqrt() * torch.randn_like(u)

    def _denoise(self, t: int, x: Tensor, z: Tensor) -> Tensor:
        return self.blocks[t - 1](x, z).softmax(dim=-1) @ self.embed

    def local_loss(self, x: Tensor, y: Tensor, t: int) -> Tensor:
        """Block t's loss (t = 1..T): weighted ‖û_t(z_{t-1}, x) - u_y‖², mean over the batch.

        z_{t-1} is drawn from q(z_{t-1} | y), so the loss depends on block t's parameters (and
        the embedding when it is learned) only.

        Args:
            x: ``(batch, *)`` inputs; y: ``(batch,)`` integer labels.
            t: block index in ``[1, T]``.
        """
        check_int("t", t, low=1, high=self.num_blocks, high_name="T")
        check_batch(x, y, self.num_classes)
        return self._local_loss(x, y, t)

    def _local_loss(self, x: Tensor, y: Tensor, t: int) -> Tensor:
        u = self.embed[y]
        z = self._sample_q(u, t - 1)
        err = (self._denoise(t, x, z) - u).pow(2).sum(dim=-1).mean()
        return self.loss_weights()[t - 1] * err

    def head_loss(self, y: Tensor) -> Tensor:
        """-log p̂(y | z_T) with z_T ~ q(z_T | y), plus KL(q(z_0 | y) ‖ N(0, I)); mean over batch."""
        check_labels("y", y, num_classes=self.num_classes)
        return self._head_loss(y)

    def _head_loss(self, y: Tensor) -> Tensor:
        u = self.embed[y]
        ce = F.cross_entropy(self.head(self._sample_q(u, self.num_blocks)), y)
        return ce + prior_kl(u, self.alpha_bar[0], self.embed_dim)

    def backward_local(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """Accumulate into ``.grad`` the gradients of all local losses, one block at a time.

        Each block's graph is built, differentiated and freed before the next block runs, so
        peak activation memory is that of one block. Call ``optimizer.zero_grad()`` before and
        ``optimizer.step()`` after.

        Returns:
            ``{"loss": total, "head": head_loss, "block_1": ..., "block_T": ...}`` as floats.
        """
        check_batch(x, y, self.num_classes)
        out: dict[str, float] = {}
        total = 0.0
        for t in range(1, self.num_blocks + 1):
            loss = self._local_loss(x, y, t)
            loss.backward()
            out[f"block_{t}"] = float(loss.detach())
            total += out[f"block_{t}"]
        head = self._head_loss(y)
        head.backward()
        out["head"] = float(head.detach())
        out["loss"] = total + out["head"]
        return out

    def forward(
        self, x: Tensor, *, stochastic: bool = False, generator: torch.Generator | None = None
    ) -> Tensor:
        """Run the T blocks in order (paper Eq. 3) and return the head's logits on z_T.

        Args:
            x: ``(batch, *)`` inputs.
            stochastic: sample z_0 ~ N(0, I) and add the posterior noise √c_t ε (the paper's
                sampler); otherwise z_0 = 0 and c_t = 0 (deterministic).
            generator: RNG for the stochastic sampler.

        Returns:
            ``(batch, num_classes)`` logits.
        """
        shape = (x.shape[0], self.embed_dim)
        kw: dict[str, Any] = {"device": self.embed.device, "dtype": self.embed.dtype}
        z = initial_state(shape, stochastic=stochastic, generator=generator, factory=kw)
        ab = self.alpha_bar
        for t in range(1, self.num_blocks + 1):
            a, b, c = posterior_coefficients(ab[t - 1], ab[t])
            z = a * self._denoise(t, x, z) + b * z
            if stochastic:
                z = z + c.sqrt() * torch.randn(shape, generator=generator, **kw)
        return self.head(z)

    def extra_repr(self) -> str:
        return (
            f"T={self.num_blocks}, num_classes={self.num_classes}, "
            f"embedding={self.embedding_kind!r}, embed_dim={self.embed_dim}, eta={self.eta}"
        )
