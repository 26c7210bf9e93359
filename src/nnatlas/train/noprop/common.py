"""Pieces shared by the NoProp variants (DT, CT, FM): class embeddings, time features, steps.

Paper: Li, Teh, Pascanu, "Training Neural Networks without Back-propagation or
Forward-propagation", arXiv 2503.24322. See :mod:`nnatlas.train.noprop` for the method.

The helpers that act on a model (:func:`add_class_embedding`, :func:`reset_class_embedding`,
:func:`set_time_conditioning`) set attributes on the ``nn.Module`` they are given; they are
public so the three variant modules can share them, not re-exported by ``nnatlas.train``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.train.validation import check_labels

__all__ = [
    "EmbeddingKind",
    "add_class_embedding",
    "check_batch",
    "check_module",
    "check_time",
    "class_prototypes",
    "initial_state",
    "posterior_coefficients",
    "prior_kl",
    "reset_class_embedding",
    "reset_modules",
    "set_time_conditioning",
    "time_features",
]

EmbeddingKind = Literal["onehot", "learned", "prototype"]


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
    if not isinstance(x, Tensor) or x.dim() == 0 or x.shape[0] == 0:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise TypeError(f"x must be a non-empty (n, *) tensor; got {shape}")
    check_labels("y", y, x.shape[0])
    c = int(y.max()) + 1 if num_classes is None else check_int("num_classes", num_classes, low=1)
    check_labels("y", y, x.shape[0], c)
    flat = x.reshape(x.shape[0], -1)
    rows = []
    for k in range(c):
        members = flat[y == k]
        if members.shape[0] == 0:
            raise ConfigError(f"class {k} has no examples in y; cannot choose its prototype")
        rows.append(members[torch.cdist(members, members).mean(dim=1).argmin()])
    return torch.stack(rows)


def add_class_embedding(
    module: Any,
    num_classes: int,
    embedding: str,
    embed_dim: int | None,
    factory: dict[str, Any],
    prototypes: Tensor | None = None,
) -> None:
    """Validate the embedding choice and register ``module.embed`` ``(C, E)``.

    One-hot: a fixed identity buffer (E = C). Learned: a parameter, initialised by
    :func:`reset_class_embedding`. Prototype: a parameter initialised from ``prototypes``
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


def reset_class_embedding(module: Any) -> None:
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


def reset_modules(*modules: nn.Module) -> None:
    """Call ``reset_parameters()`` on each module that has one."""
    for m in modules:
        reset = getattr(m, "reset_parameters", None)
        if callable(reset):
            reset()


def check_batch(x: Any, y: Any, num_classes: int) -> None:
    """Require ``x (batch, *)`` and integer labels ``y (batch,)`` in ``[0, num_classes)``."""
    if not isinstance(x, Tensor) or x.dim() == 0:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise TypeError(f"x must be a (batch, *) tensor; got {shape}")
    check_labels("y", y, x.shape[0], num_classes)


def check_time(t: Any) -> Tensor:
    """Require times ``t (B,)`` of a floating dtype."""
    if not isinstance(t, Tensor) or t.dim() != 1 or not t.is_floating_point():
        got = f"shape {tuple(t.shape)}, dtype {t.dtype}" if isinstance(t, Tensor) else type(t)
        raise ConfigError(f"t must be a 1-D floating tensor of times (B,); got {got}")
    return t


def check_module(name: str, value: Any) -> nn.Module:
    """Require an ``nn.Module`` (a block, a network, a schedule)."""
    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module; got {type(value).__name__}")
    return value


def time_features(t: Tensor, num: int) -> Tensor:
    """Sinusoidal features of t ∈ [0, 1]: ``t (B,)`` -> ``(B, num)``, frequencies π·2^k.

    ``num`` must be even (half sines, half cosines).
    """
    check_time(t)
    check_int("num", num, low=2)
    if num % 2:
        raise ConfigError(f"num must be even (sines and cosines); got {num}")
    k = torch.arange(num // 2, device=t.device, dtype=t.dtype)
    angles = t[:, None] * math.pi * (2.0**k)
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


def set_time_conditioning(module: Any, num_classes: int, steps: int, time_features: int) -> None:
    """Checks and settings shared by the one-network variants (CT, FM)."""
    check_int("num_classes", num_classes, low=2)
    check_int("steps", steps)
    check_int("time_features", time_features, low=2)
    if time_features % 2:
        raise ConfigError(f"time_features must be even; got {time_features}")
    module.time_features = time_features
    module.steps = steps


def initial_state(
    shape: tuple[int, int],
    *,
    stochastic: bool,
    generator: torch.Generator | None,
    factory: dict[str, Any],
) -> Tensor:
    """z_0 for inference: N(0, I) samples when ``stochastic``, else the prior mean 0."""
    if stochastic:
        return torch.randn(shape, generator=generator, **factory)
    return torch.zeros(shape, **factory)


def posterior_coefficients(abar_prev: Tensor, abar_next: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """DDPM posterior coefficients of one step z_{t-1} -> z_t in NoProp's time direction.

    With ᾱ_{t-1} = α ᾱ_t (so α = ᾱ_{t-1} / ᾱ_t), the step is z_t = a û + b z_{t-1} + √c ε with
    a = √ᾱ_t (1 - α) / (1 - ᾱ_{t-1}), b = √α (1 - ᾱ_t) / (1 - ᾱ_{t-1}) and
    c = (1 - ᾱ_t)(1 - α) / (1 - ᾱ_{t-1}).

    Args:
        abar_prev, abar_next: ᾱ_{t-1} and ᾱ_t (0-d tensors, ᾱ_{t-1} < ᾱ_t).

    Returns:
        ``(a, b, c)``.
    """
    alpha_prev = abar_prev / abar_next
    denom = 1 - abar_prev
    a = abar_next.sqrt() * (1 - alpha_prev) / denom
    b = alpha_prev.sqrt() * (1 - abar_next) / denom
    c = (1 - abar_next) * (1 - alpha_prev) / denom
    return a, b, c


def prior_kl(u: Tensor, abar_0: Tensor, embed_dim: int) -> Tensor:
    """KL(q(z_0 | y) ‖ N(0, I)) for q = N(√ᾱ_0 u, (1 - ᾱ_0) I), mean over the batch.

    Args:
        u: ``(batch, E)`` class embeddings u_y; abar_0: ᾱ_0; embed_dim: E.
    """
    return 0.5 * (abar_0 * u.pow(2).sum(-1) + embed_dim * (-abar_0 - torch.log1p(-abar_0))).mean()
