"""One table of activation functions by name, shared by every family.

Components that take ``activation="gelu"`` resolve the name here, so every layer, operator,
hypernetwork and kernel recursion accepts the same names and fails the same way on an unknown
one. Each entry has a module class (for ``nn.Sequential``-style models) and a function (for
functional code); both compute the same map.

Names: ``relu``, ``leaky_relu`` (slope 0.01, PyTorch's default), ``tanh``, ``gelu`` (exact
erf form, not the tanh approximation), ``silu`` (a.k.a. swish), ``sigmoid``, ``softplus``,
``elu``, ``identity``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, UnknownNameError

__all__ = ["ACTIVATIONS", "Activation", "ActivationSpec", "activation_fn", "activation_module"]

ActivationSpec = str | Callable[[], nn.Module]
"""An activation name from :data:`ACTIVATIONS`, or a zero-argument ``nn.Module`` factory."""


@dataclass(frozen=True)
class Activation:
    """An activation's module class and function (the same map)."""

    module: Callable[[], nn.Module]
    fn: Callable[[Tensor], Tensor]


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(nn.ReLU, torch.relu),
    "leaky_relu": Activation(nn.LeakyReLU, F.leaky_relu),
    "tanh": Activation(nn.Tanh, torch.tanh),
    "gelu": Activation(nn.GELU, F.gelu),
    "silu": Activation(nn.SiLU, F.silu),
    "sigmoid": Activation(nn.Sigmoid, torch.sigmoid),
    "softplus": Activation(nn.Softplus, F.softplus),
    "elu": Activation(nn.ELU, F.elu),
    "identity": Activation(nn.Identity, lambda x: x),
}


def _lookup(name: str, allowed: tuple[str, ...] | None) -> Activation:
    names = tuple(ACTIVATIONS) if allowed is None else allowed
    if name not in names:
        raise UnknownNameError("activation", name, names)
    return ACTIVATIONS[name]


def activation_fn(
    name: str, *, allowed: tuple[str, ...] | None = None
) -> Callable[[Tensor], Tensor]:
    """The function of the activation called ``name``.

    Args:
        name: a key of :data:`ACTIVATIONS`.
        allowed: restrict the accepted names (a component that supports only some of them).

    Raises:
        UnknownNameError: an unknown (or not allowed) name, listing the valid ones.
    """
    if not isinstance(name, str):
        raise ConfigError(f"activation must be a name (str); got {type(name).__name__} {name!r}")
    return _lookup(name, allowed).fn


def activation_module(
    activation: ActivationSpec, *, allowed: tuple[str, ...] | None = None
) -> tuple[Callable[[], nn.Module], str]:
    """Resolve a name or a zero-argument module factory into ``(factory, display name)``.

    Raises:
        UnknownNameError: an unknown name, listing the valid ones.
        ConfigError: neither a name nor a callable.
    """
    if isinstance(activation, str):
        return _lookup(activation, allowed).module, activation
    if not callable(activation):
        names = tuple(ACTIVATIONS) if allowed is None else allowed
        raise ConfigError(
            f"activation must be one of {', '.join(map(repr, names))} or a zero-argument "
            f"nn.Module factory; got {activation!r}"
        )
    return activation, getattr(activation, "__name__", type(activation).__name__)
