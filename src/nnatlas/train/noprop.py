"""Training Neural Networks without Back-propagation or Forward-propagation (Li, Teh, Pascanu).

arXiv: 2503.24322 (v2 retitled "... without Full Back-propagation or Full Forward-propagation").

NoProp-DT trains T blocks, each *alone*, to denoise a noisy class embedding. With a fixed class
embedding matrix ``W`` (C × E) and a noise schedule ᾱ_0 < ᾱ_1 < ... < ᾱ_T (z_0 is pure noise,
z_T the cleanest state), block t sees the input x and a sample z_{t-1} ~ q(z_{t-1} | y) =
N(√ᾱ_{t-1} u_y, (1 - ᾱ_{t-1}) I), u_y = W[y], and predicts u_y as a convex combination
softmax(logits) @ W. Its loss is the paper's SNR-weighted squared error
(η / 2) · (SNR(t) - SNR(t-1)) · ‖û_t - u_y‖², SNR(t) = ᾱ_t / (1 - ᾱ_t). Because z_{t-1} is
drawn from q and never from block t-1, no gradient and no forward activation passes between
blocks during training. A linear head p̂(y | z_T) is trained by cross-entropy on z_T ~ q(z_T | y),
and a KL term keeps q(z_0 | y) close to N(0, I) (it only matters for learned embeddings).
Inference runs the blocks in order: z_t = a_t û_t(z_{t-1}, x) + b_t z_{t-1} + √c_t ε with the
DDPM posterior coefficients written for this time direction, and classifies z_T with the head.

Deviations from the paper:

* Deterministic inference (the default) starts from z_0 = 0, the prior mean, and drops the noise
  term (c_t = 0), so prediction is a deterministic function of x; the paper samples z_0.
  ``stochastic=True`` gives the paper's sampler.
* Training sums the local losses of all T blocks for each minibatch (the exact expectation over
  t instead of one sampled t), but runs each block's backward pass before the next block's
  forward pass, so only one block's activations are alive at a time; one stock optimizer over
  all parameters then steps (the gradients are disjoint, so this equals T optimizers).
* Blocks are any ``nn.Module`` mapping ``(x, z)`` to class logits: :class:`MLPBlock` is the
  tabular block of our notes, :class:`ConvBlock` the paper's image block (Fig. 6) with its
  widths as arguments.
* The cosine schedule is clamped to ᾱ ∈ [1e-4, 0.9999] so SNR stays finite.
* NoProp-FM (:class:`NoPropFM`) classifies z_1 by its distance to the class embeddings (no
  head), uses 20 Euler steps by default instead of 1000, and starts deterministic inference
  from z_0 = 0.
* NoProp-CT (:class:`NoPropCT`): the learnable schedule is a normalised monotone sum of
  sigmoids with fixed endpoints γ(0) = 10, γ(1) = -10 (VDM-style, endpoints not learned);
  inference takes 20 DT-style posterior steps by default instead of 1000 ODE/SDE steps.
* Prototype embeddings (``embedding="prototype"``) are learned embeddings initialised from one
  representative input per class, E = input dimension; the representative is the class medoid
  (:func:`class_prototypes`: the example with the smallest mean distance to its class), our
  reading of the paper's "class-representative images".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int

__all__ = [
    "ConvBlock",
    "MLPBlock",
    "MonotoneSchedule",
    "NoPropCT",
    "NoPropDT",
    "NoPropFM",
    "class_prototypes",
    "cosine_alpha_bar",
    "saved_activation_bytes",
    "time_features",
]

EmbeddingKind = Literal["onehot", "learned", "prototype"]


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
    if not 0.0 < low < high < 1.0:
        raise ConfigError(f"need 0 < low < high < 1; got low={low}, high={high}")
    tau = 1.0 - torch.arange(num_blocks + 1, dtype=torch.float64) / num_blocks
    abar = torch.cos((tau + s) / (1.0 + s) * math.pi / 2) ** 2
    return abar.clamp(low, high)


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
        return self.joint(self.x_path(x.flatten(1)) + self.z_path(z))

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
        x = x.reshape(x.shape[0], self.in_channels, s, s)
        h = self.z_in(z)
        return self.joint(torch.cat([self.x_path(x), h + self.z_res(h)], dim=-1))

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, image_size={self.image_size}, "
            f"embed_dim={self.embed_dim}, num_classes={self.num_classes}, "
            f"channels={self.channels}, hidden={self.hidden}"
        )


def class_prototypes(x: Tensor, y: Tensor, num_classes: int | None = None) -> Tensor:
    """One representative input per class: the class medoid, flattened.

    The medoid is the example with the smallest mean Euclidean distance to the other examples
    of its class, so it is a real input (as the paper's prototype images), not an average.

    Args:
        x: inputs ``(n, *)``; y: integer labels ``(n,)`` in ``[0, num_classes)``.
        num_classes: C (default ``y.max() + 1``); every class needs at least one example.

    Returns:
        ``(C, prod(*))`` prototypes, in ``x``'s dtype, to pass as ``prototypes=`` to the
        NoProp models with ``embedding="prototype"``.
    """
    if y.dim() != 1 or y.shape[0] != x.shape[0]:
        raise ConfigError(f"y must be ({x.shape[0]},) labels; got shape {tuple(y.shape)}")
    c = int(y.max()) + 1 if num_classes is None else check_int("num_classes", num_classes, low=1)
    flat = x.reshape(x.shape[0], -1)
    rows = []
    for k in range(c):
        members = flat[y == k]
        if members.shape[0] == 0:
            raise ConfigError(f"class {k} has no examples; cannot choose its prototype")
        rows.append(members[torch.cdist(members, members).mean(dim=1).argmin()])
    return torch.stack(rows)


def _add_class_embedding(
    module: Any,
    num_classes: int,
    embedding: str,
    embed_dim: int | None,
    factory: dict[str, Any],
    prototypes: Tensor | None = None,
) -> None:
    """Validate the embedding choice and register ``module.embed`` ``(C, E)``.

    One-hot: a fixed identity buffer (E = C). Learned: a parameter, initialised by
    :func:`_reset_class_embedding`. Prototype: a parameter initialised from ``prototypes``
    ``(C, E)`` (kept as the buffer ``embed_init`` so ``reset_parameters`` restores it). Sets
    ``num_classes``, ``embed_dim``, ``embedding_kind``.
    """
    if embedding not in ("onehot", "learned", "prototype"):
        raise ConfigError(
            f"embedding must be 'onehot', 'learned' or 'prototype'; got {embedding!r}"
        )
    if embedding == "onehot" and embed_dim not in (None, num_classes):
        raise ConfigError(f"one-hot embeddings have embed_dim = num_classes = {num_classes}")
    if (embedding == "prototype") != (prototypes is not None):
        raise ConfigError("prototypes must be given exactly when embedding='prototype'")
    if prototypes is not None:
        if prototypes.dim() != 2 or prototypes.shape[0] != num_classes:
            raise ConfigError(
                f"prototypes must be (num_classes, E) = ({num_classes}, E); "
                f"got {tuple(prototypes.shape)}"
            )
        if embed_dim not in (None, prototypes.shape[1]):
            raise ConfigError(
                f"prototype embeddings have embed_dim = prototypes.shape[1] = "
                f"{prototypes.shape[1]}; got embed_dim={embed_dim}"
            )
        embed_dim = prototypes.shape[1]
    module.num_classes = num_classes
    module.embed_dim = check_int("embed_dim", embed_dim or num_classes)
    module.embedding_kind = embedding
    if embedding == "onehot":
        module.register_buffer("embed", torch.eye(num_classes, **factory))
    else:
        module.embed = nn.Parameter(torch.empty(num_classes, module.embed_dim, **factory))
    if prototypes is not None:
        module.register_buffer("embed_init", prototypes.detach().clone().to(**factory))


def _reset_class_embedding(module: Any) -> None:
    """Prototypes as given; learned: orthogonal rows when E ≥ C (as the paper), else N(0, 1/E)."""
    embed = module.embed
    if isinstance(embed, nn.Parameter):
        with torch.no_grad():
            if module.embedding_kind == "prototype":
                embed.copy_(module.embed_init)
            elif module.embed_dim >= module.num_classes:
                nn.init.orthogonal_(embed)
            else:
                nn.init.normal_(embed, std=module.embed_dim**-0.5)


def _reset_modules(*modules: nn.Module) -> None:
    """Call ``reset_parameters()`` on each module that has one."""
    for m in modules:
        reset = getattr(m, "reset_parameters", None)
        if callable(reset):
            reset()


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
        if len(blocks) < 1:
            raise ConfigError("NoPropDT needs at least one block")
        if not eta > 0:
            raise ConfigError(f"eta must be > 0; got {eta}")
        self.eta = float(eta)
        self.blocks = nn.ModuleList(blocks)
        T = len(self.blocks)
        abar = cosine_alpha_bar(T) if alpha_bar is None else alpha_bar.double().cpu()
        if abar.shape != (T + 1,):
            raise ConfigError(f"alpha_bar must have shape ({T + 1},); got {tuple(abar.shape)}")
        if not bool(((abar > 0) & (abar < 1)).all()) or not bool((abar.diff() > 0).all()):
            raise ConfigError("alpha_bar must be strictly increasing inside (0, 1)")
        fkw: dict[str, Any] = {"device": device, "dtype": dtype or torch.get_default_dtype()}
        self.register_buffer("alpha_bar", abar.to(**fkw))
        _add_class_embedding(self, num_classes, embedding, embed_dim, fkw, prototypes)
        self.head = nn.Linear(self.embed_dim, num_classes, **fkw)
        self.reset_parameters()

    @property
    def num_blocks(self) -> int:
        """T."""
        return len(self.blocks)

    def reset_parameters(self) -> None:
        _reset_class_embedding(self)
        _reset_modules(self.head, *self.blocks)

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
        u = self.embed[y]
        z = self._sample_q(u, t - 1)
        err = (self._denoise(t, x, z) - u).pow(2).sum(dim=-1).mean()
        return self.loss_weights()[t - 1] * err

    def head_loss(self, y: Tensor) -> Tensor:
        """-log p̂(y | z_T) with z_T ~ q(z_T | y), plus KL(q(z_0 | y) ‖ N(0, I)); mean over batch."""
        u = self.embed[y]
        ce = F.cross_entropy(self.head(self._sample_q(u, self.num_blocks)), y)
        a0 = self.alpha_bar[0]
        kl = 0.5 * (a0 * u.pow(2).sum(-1) + self.embed_dim * (-a0 - torch.log1p(-a0))).mean()
        return ce + kl

    def backward_local(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """Accumulate into ``.grad`` the gradients of all local losses, one block at a time.

        Each block's graph is built, differentiated and freed before the next block runs, so
        peak activation memory is that of one block. Call ``optimizer.zero_grad()`` before and
        ``optimizer.step()`` after.

        Returns:
            ``{"loss": total, "head": head_loss, "block_1": ..., "block_T": ...}`` as floats.
        """
        out: dict[str, float] = {}
        total = 0.0
        for t in range(1, self.num_blocks + 1):
            loss = self.local_loss(x, y, t)
            loss.backward()
            out[f"block_{t}"] = float(loss.detach())
            total += out[f"block_{t}"]
        head = self.head_loss(y)
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
        n = x.shape[0]
        shape = (n, self.embed_dim)
        kw: dict[str, Any] = {"device": self.embed.device, "dtype": self.embed.dtype}
        if stochastic:
            z = torch.randn(shape, generator=generator, **kw)
        else:
            z = torch.zeros(shape, **kw)
        ab = self.alpha_bar
        for t in range(1, self.num_blocks + 1):
            alpha_prev = ab[t - 1] / ab[t]  # α_{t-1}, since ᾱ_{t-1} = α_{t-1} ᾱ_t
            denom = 1 - ab[t - 1]
            a = ab[t].sqrt() * (1 - alpha_prev) / denom
            b = alpha_prev.sqrt() * (1 - ab[t]) / denom
            z = a * self._denoise(t, x, z) + b * z
            if stochastic:
                c = (1 - ab[t]) * (1 - alpha_prev) / denom
                z = z + c.sqrt() * torch.randn(shape, generator=generator, **kw)
        return self.head(z)

    def extra_repr(self) -> str:
        return (
            f"T={self.num_blocks}, num_classes={self.num_classes}, "
            f"embedding={self.embedding_kind!r}, embed_dim={self.embed_dim}, eta={self.eta}"
        )


def time_features(t: Tensor, num: int) -> Tensor:
    """Sinusoidal features of t ∈ [0, 1]: ``t (B,)`` -> ``(B, num)``, frequencies π·2^k."""
    k = torch.arange(num // 2, device=t.device, dtype=t.dtype)
    angles = t[:, None] * math.pi * (2.0**k)
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


def _set_time_conditioning(module: Any, num_classes: int, steps: int, time_features: int) -> None:
    """Checks and settings shared by the one-network variants (CT, FM)."""
    check_int("num_classes", num_classes, low=2)
    check_int("steps", steps)
    check_int("time_features", time_features, low=2)
    if time_features % 2:
        raise ConfigError(f"time_features must be even; got {time_features}")
    module.time_features = time_features
    module.steps = steps


class MonotoneSchedule(nn.Module):
    """A learnable noise schedule ᾱ(t) = σ(-γ(t)), increasing in t ∈ [0, 1] (z_0 noisiest).

    γ(t) = γ_0 + (γ_1 - γ_0) g(t) with fixed endpoints and g a normalised monotone sum of
    sigmoids, g(0) = 0, g(1) = 1 (Variational Diffusion Models use a monotone network too; ours
    fixes the endpoints).

    Args:
        gamma_0, gamma_1: γ(0) > γ(1); defaults give ᾱ(0) ≈ 4.5e-5, ᾱ(1) ≈ 0.99995.
        num_sigmoids: number of sigmoid terms in g.
    """

    def __init__(
        self,
        gamma_0: float = 10.0,
        gamma_1: float = -10.0,
        num_sigmoids: int = 8,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("num_sigmoids", num_sigmoids)
        if not gamma_0 > gamma_1:
            raise ConfigError(f"need gamma_0 > gamma_1; got {gamma_0}, {gamma_1}")
        self.gamma_0, self.gamma_1 = float(gamma_0), float(gamma_1)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.raw_linear = nn.Parameter(torch.empty((), **kw))
        self.raw_weight = nn.Parameter(torch.empty(num_sigmoids, **kw))
        self.raw_slope = nn.Parameter(torch.empty(num_sigmoids, **kw))
        self.center = nn.Parameter(torch.empty(num_sigmoids, **kw))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.raw_linear.fill_(1.0)
            self.raw_weight.fill_(-2.0)
            self.raw_slope.fill_(1.5)
            self.center.copy_(torch.linspace(0, 1, self.center.numel()))

    def _g_and_slope(self, t: Tensor) -> tuple[Tensor, Tensor]:
        lin, w = F.softplus(self.raw_linear), F.softplus(self.raw_weight)
        a = F.softplus(self.raw_slope) * 4.0
        sig = torch.sigmoid(a * (t[..., None] - self.center))
        sig0 = torch.sigmoid(a * (0 - self.center))
        sig1 = torch.sigmoid(a * (1 - self.center))
        num = lin * t + (w * (sig - sig0)).sum(-1)
        den = lin + (w * (sig1 - sig0)).sum(-1)
        dnum = lin + (w * a * sig * (1 - sig)).sum(-1)
        return num / den, dnum / den

    def gamma(self, t: Tensor) -> tuple[Tensor, Tensor]:
        """γ(t) and γ'(t) (< 0) for ``t (B,)``: two ``(B,)`` tensors."""
        g, dg = self._g_and_slope(t)
        span = self.gamma_1 - self.gamma_0
        return self.gamma_0 + span * g, span * dg

    def forward(self, t: Tensor) -> Tensor:
        """ᾱ(t) for ``t (B,)``: ``(B,)``."""
        return torch.sigmoid(-self.gamma(t)[0])

    def extra_repr(self) -> str:
        return f"gamma_0={self.gamma_0}, gamma_1={self.gamma_1}, num_sigmoids={self.center.numel()}"


class NoPropCT(nn.Module):
    """NoProp-CT: one time-conditioned denoiser with a learnable noise schedule.

    z_t ~ N(√ᾱ(t) u_y, (1 - ᾱ(t)) I) with ᾱ(t) = σ(-γ(t)) (:class:`MonotoneSchedule`); the
    network predicts u_y as softmax(net(x, [z_t, φ(t)])) @ W and is trained by
    (η / 2) SNR'(t) ‖û - u_y‖² at t ~ U(0, 1), plus the head's cross-entropy on z_1 and the KL
    of z_0, as in DT. Inference runs ``steps`` DT-style posterior steps on a uniform t grid.

    Args:
        net: maps ``(x, z_aug)`` to ``(batch, num_classes)`` logits, ``z_aug (batch, embed_dim +
            time_features)``, e.g. ``MLPBlock(d, embed_dim + time_features, num_classes)``.
        num_classes, embedding, embed_dim, prototypes: as for :class:`NoPropDT`.
        eta: η (paper: 1 for CT).
        time_features: number of sinusoidal time features (even).
        steps: inference steps (paper: 1000).
        schedule: the learnable schedule (default :class:`MonotoneSchedule`).
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
        eta: float = 1.0,
        time_features: int = 8,
        steps: int = 20,
        schedule: MonotoneSchedule | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        _set_time_conditioning(self, num_classes, steps, time_features)
        if not eta > 0:
            raise ConfigError(f"eta must be > 0; got {eta}")
        self.eta = float(eta)
        self.net = net
        kw: dict[str, Any] = {"device": device, "dtype": dtype or torch.get_default_dtype()}
        self.schedule = schedule if schedule is not None else MonotoneSchedule(**kw)
        _add_class_embedding(self, num_classes, embedding, embed_dim, kw, prototypes)
        self.head = nn.Linear(self.embed_dim, num_classes, **kw)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_class_embedding(self)
        _reset_modules(self.head, self.net, self.schedule)

    def _denoise(self, x: Tensor, z: Tensor, t: Tensor) -> Tensor:
        z_aug = torch.cat([z, time_features(t, self.time_features)], dim=-1)
        return self.net(x, z_aug).softmax(dim=-1) @ self.embed

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        """Denoising + head + KL loss at one t ~ U(0, 1) per example, mean over the batch."""
        u = self.embed[y]
        t = torch.rand(u.shape[0], device=u.device, dtype=u.dtype)
        gamma, dgamma = self.schedule.gamma(t)
        abar = torch.sigmoid(-gamma)[:, None]
        z = abar.sqrt() * u + (1 - abar).sqrt() * torch.randn_like(u)
        snr_slope = -dgamma * torch.exp(-gamma)  # d/dt SNR(t), SNR = exp(-γ)
        err = (self._denoise(x, z, t) - u).pow(2).sum(-1)
        denoise = (0.5 * self.eta * snr_slope * err).mean()
        ones = torch.ones(1, device=u.device, dtype=u.dtype)
        a1 = self.schedule(ones)
        z1 = a1.sqrt() * u + (1 - a1).sqrt() * torch.randn_like(u)
        ce = F.cross_entropy(self.head(z1), y)
        a0 = self.schedule(0 * ones)
        kl = 0.5 * (a0 * u.pow(2).sum(-1) + self.embed_dim * (-a0 - torch.log1p(-a0))).mean()
        return denoise + ce + kl

    def forward(
        self, x: Tensor, *, stochastic: bool = False, generator: torch.Generator | None = None
    ) -> Tensor:
        """Posterior steps on ``steps`` uniform intervals from z_0 to z_1; ``(B, C)`` logits.

        Deterministic by default (z_0 = 0, no noise); ``stochastic`` samples as the paper does.
        """
        kw: dict[str, Any] = {"device": self.embed.device, "dtype": self.embed.dtype}
        n = x.shape[0]
        shape = (n, self.embed_dim)
        z = (
            torch.randn(shape, generator=generator, **kw)
            if stochastic
            else torch.zeros(shape, **kw)
        )
        ab = self.schedule(torch.linspace(0, 1, self.steps + 1, **kw))
        for k in range(1, self.steps + 1):
            alpha_prev = ab[k - 1] / ab[k]
            denom = 1 - ab[k - 1]
            a = ab[k].sqrt() * (1 - alpha_prev) / denom
            b = alpha_prev.sqrt() * (1 - ab[k]) / denom
            t = torch.full((n,), (k - 1) / self.steps, **kw)
            z = a * self._denoise(x, z, t) + b * z
            if stochastic:
                c = (1 - ab[k]) * (1 - alpha_prev) / denom
                z = z + c.sqrt() * torch.randn(shape, generator=generator, **kw)
        return self.head(z)

    def extra_repr(self) -> str:
        return (
            f"num_classes={self.num_classes}, embedding={self.embedding_kind!r}, "
            f"embed_dim={self.embed_dim}, eta={self.eta}, steps={self.steps}"
        )


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
        _set_time_conditioning(self, num_classes, steps, time_features)
        self.ce_weight = float(ce_weight)
        self.net = net
        kw: dict[str, Any] = {"device": device, "dtype": dtype or torch.get_default_dtype()}
        _add_class_embedding(self, num_classes, embedding, embed_dim, kw, prototypes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_class_embedding(self)
        _reset_modules(self.net)

    def velocity(self, x: Tensor, z: Tensor, t: Tensor) -> Tensor:
        """v(x, z_t, t): ``x (B, *)``, ``z (B, E)``, ``t (B,)`` -> ``(B, E)``."""
        return self.net(x, torch.cat([z, time_features(t, self.time_features)], dim=-1))

    def _logits(self, z: Tensor) -> Tensor:
        return -(z[:, None, :] - self.embed[None]).pow(2).sum(-1)

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        """The flow-matching loss (plus the optional CE term), mean over the batch."""
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
        z = (
            torch.randn(shape, generator=generator, **kw)
            if stochastic
            else torch.zeros(shape, **kw)
        )
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


def saved_activation_bytes(fn: Callable[[], Tensor], exclude: Sequence[Tensor] = ()) -> int:
    """Bytes of the tensors autograd saves for backward while ``fn()`` builds its graph.

    A CPU-portable proxy for the activation memory of a training step: every tensor saved
    for backward is recorded by ``torch.autograd.graph.saved_tensors_hooks``, each distinct
    tensor (address, dtype, shape) is counted once by its own size, and tensors living in the
    storage of one of ``exclude`` (pass the parameters) are skipped.

    Args:
        fn: builds and returns a loss (its graph is dropped afterwards, not differentiated).
        exclude: tensors whose storages are not counted.

    Returns:
        The total bytes of the distinct saved tensors.
    """
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    seen: dict[tuple[int, int, tuple[int, ...]], int] = {}

    def pack(t: Tensor) -> Tensor:
        if t.untyped_storage().data_ptr() not in skip:
            # Count the view's own bytes, not its whole storage: a minibatch sliced from a
            # dataset tensor would otherwise count as the dataset.
            seen[(t.data_ptr(), t.dtype.itemsize, tuple(t.shape))] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return sum(seen.values())


def _register_conformance_cases() -> None:
    from nnatlas.testing.catalog import register_module_case

    for kind in ("onehot", "learned"):
        register_module_case(
            f"NoPropDT-MLPBlock-{kind}",
            build=lambda dtype, kind=kind: NoPropDT(
                [MLPBlock(6, 4 if kind == "learned" else 3, 3, 8, dtype=dtype) for _ in range(3)],
                3,
                embedding=kind,
                embed_dim=4 if kind == "learned" else None,
                dtype=dtype,
            ),
            inputs=lambda dtype: (torch.randn(5, 6, dtype=dtype),),
        )
    register_module_case(
        "NoPropDT-ConvBlock-prototype",
        build=lambda dtype: NoPropDT(
            [ConvBlock(1, 4, 16, 3, channels=(2, 3, 4), hidden=6, dtype=dtype) for _ in range(2)],
            3,
            embedding="prototype",
            prototypes=torch.randn(3, 16, generator=torch.Generator().manual_seed(0)),
            dtype=dtype,
        ),
        inputs=lambda dtype: (torch.randn(5, 1, 4, 4, dtype=dtype),),
    )
    register_module_case(
        "NoPropFM-MLPBlock-learned",
        build=lambda dtype: NoPropFM(
            MLPBlock(6, 4 + 4, 4, 8, dtype=dtype),
            3,
            embedding="learned",
            embed_dim=4,
            time_features=4,
            steps=3,
            dtype=dtype,
        ),
        inputs=lambda dtype: (torch.randn(5, 6, dtype=dtype),),
    )
    register_module_case(
        "NoPropCT-MLPBlock-learned",
        build=lambda dtype: NoPropCT(
            MLPBlock(6, 4 + 4, 3, 8, dtype=dtype),
            3,
            embedding="learned",
            embed_dim=4,
            time_features=4,
            steps=3,
            dtype=dtype,
        ),
        inputs=lambda dtype: (torch.randn(5, 6, dtype=dtype),),
    )


_register_conformance_cases()
