"""The device a run uses, chosen by the CLI (``--device``) and read by run functions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from nnatlas.core.errors import ConfigError

__all__ = ["current_device", "resolve_device", "use_device"]

_DEVICE = torch.device("cpu")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """Validate a device name; ``None`` or ``"auto"`` picks CUDA when available, else CPU.

    Raises:
        ConfigError: an unparsable name, or CUDA/MPS asked for but not available.
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(
            f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {device!r}"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but CUDA is not available on this machine")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {device!r} requested but MPS is not available on this machine")
    return dev


def current_device() -> torch.device:
    """The device the current run should place its tensors on (CPU unless set)."""
    return _DEVICE


@contextlib.contextmanager
def use_device(device: str | torch.device) -> Iterator[torch.device]:
    """Make ``device`` the current device inside the block."""
    global _DEVICE
    previous, _DEVICE = _DEVICE, resolve_device(device)
    try:
        yield _DEVICE
    finally:
        _DEVICE = previous
