"""The projection protocol: a fixed random linear map z ∈ R^d ↦ P z ∈ R^D.

Paper: Li, Farkhoor, Liu, Yosinski, "Measuring the Intrinsic Dimension of Objective
Landscapes", ICLR 2018, arXiv:1804.08838. See :mod:`nnatlas.train.subspace` for the method.
"""

from __future__ import annotations

import abc
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int

__all__ = ["Projection", "cpu_generator"]


def cpu_generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed``: every projection draws P from one."""
    return torch.Generator(device="cpu").manual_seed(int(seed))


class Projection(nn.Module, abc.ABC):
    """A fixed linear map z ∈ R^d ↦ P z ∈ R^D (abstract base).

    Random state comes from ``seed`` through a local CPU ``torch.Generator`` (never the
    global RNG), so the same seed gives the same P on any device. Random buffers are
    non-persistent; the seed and sizes travel in the module's extra state, so loading a
    ``state_dict`` regenerates the saved P even into an instance built with another seed.

    Attributes:
        full_dim: D, the length of the projected vector.
        subspace_dim: d, the length of z.
        seed: the seed P was drawn from.
    """

    full_dim: int
    subspace_dim: int
    seed: int

    def __init__(self, full_dim: int, subspace_dim: int, *, seed: int = 0) -> None:
        super().__init__()
        self.full_dim = check_int("full_dim", full_dim)
        self.subspace_dim = check_int(
            "subspace_dim", subspace_dim, high=self.full_dim, high_name="full_dim"
        )
        self.seed = check_int("seed", seed, low=0)

    @abc.abstractmethod
    def _generate(self, device: torch.device, dtype: torch.dtype) -> None:
        """Draw (or redraw) the random buffers from ``self.seed``."""

    @abc.abstractmethod
    def _project(self, z: Tensor) -> Tensor:
        """P z for ``z: (..., d)``, already validated; returns ``(..., D)``."""

    def _config(self) -> dict[str, Any]:
        """Kind-specific settings that, with the seed, determine P."""
        return {}

    def forward(self, z: Tensor) -> Tensor:
        """Project ``z``.

        Args:
            z: ``(d,)`` or batched ``(..., d)``.

        Returns:
            ``(D,)`` or ``(..., D)``.
        """
        if not isinstance(z, Tensor):
            raise TypeError(f"z must be a torch.Tensor; got {type(z).__name__}")
        if not z.is_floating_point():
            raise TypeError(f"z must have a floating dtype; got {z.dtype}")
        if z.dim() == 0 or z.shape[-1] != self.subspace_dim:
            raise ConfigError(
                f"z must have last dimension subspace_dim={self.subspace_dim}; "
                f"got shape {tuple(z.shape)}"
            )
        return self._project(z)

    def _factory(self) -> tuple[torch.device, torch.dtype]:
        for buf in self.buffers():
            if buf.is_floating_point():
                return buf.device, buf.dtype
        return torch.device("cpu"), torch.get_default_dtype()

    def reseed(self, seed: int) -> None:
        """Redraw P from a new seed, keeping device and dtype."""
        self.seed = check_int("seed", seed, low=0)
        device, dtype = self._factory()
        self._generate(device, dtype)

    @torch.no_grad()
    def to_dense(self) -> Tensor:
        """Materialise P by pushing the d basis vectors through the map.

        Returns:
            ``(D, d)``; O(D d) memory, for tests and small problems.
        """
        device, dtype = self._factory()
        eye = torch.eye(self.subspace_dim, device=device, dtype=dtype)
        return self(eye).T.contiguous()

    def get_extra_state(self) -> dict[str, Any]:
        return {
            "kind": type(self).__name__,
            "full_dim": self.full_dim,
            "subspace_dim": self.subspace_dim,
            "seed": self.seed,
            **self._config(),
        }

    def set_extra_state(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise TypeError(f"projection extra state must be a dict; got {type(state).__name__}")
        mine = self.get_extra_state()
        for key in ("kind", "full_dim", "subspace_dim"):
            if state.get(key) != mine[key]:
                raise ConfigError(
                    f"cannot load a projection state with {key}={state.get(key)!r} into one "
                    f"with {key}={mine[key]!r}"
                )
        if state != mine:
            for key, value in state.items():
                if key not in ("kind", "full_dim", "subspace_dim"):
                    setattr(self, key, value)
            device, dtype = self._factory()
            self._generate(device, dtype)

    def extra_repr(self) -> str:
        extra = "".join(f", {k}={v}" for k, v in self._config().items())
        return (
            f"full_dim={self.full_dim}, subspace_dim={self.subspace_dim}, seed={self.seed}{extra}"
        )
