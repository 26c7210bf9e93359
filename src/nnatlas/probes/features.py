"""Features of any ``nn.Module``, taken by layer name with forward hooks (no model changes)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int

__all__ = ["capture_features", "extract_features", "layer_names"]


def layer_names(model: nn.Module) -> list[str]:
    """Names of every submodule of ``model`` (what ``layers`` arguments accept)."""
    _check_model(model)
    return [name for name, _ in model.named_modules() if name]


def _check_model(model: nn.Module) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")


def _output_tensor(output: object, name: str) -> Tensor:
    if isinstance(output, Tensor):
        return output
    if isinstance(output, tuple | list) and output and isinstance(output[0], Tensor):
        return output[0]  # e.g. RNNs return (output, state)
    raise TypeError(f"layer {name!r} returned {type(output).__name__}; expected a tensor")


@contextlib.contextmanager
def capture_features(
    model: nn.Module, layers: str | Sequence[str], *, detach: bool = True
) -> Iterator[dict[str, list[Tensor]]]:
    """Record the outputs of named layers during every forward pass inside the block.

    Args:
        model: any module.
        layers: a submodule name (see :func:`layer_names`) or several.
        detach: store detached tensors (no graph is kept).

    Yields:
        ``{name: [output of each forward pass, ...]}``, filled as the model runs.

    Raises:
        UnknownNameError: a layer name the model does not have, listing the valid names.
    """
    _check_model(model)
    if not isinstance(layers, str) and not isinstance(layers, Sequence):
        raise TypeError(f"layers must be a layer name or a sequence of names; got {layers!r}")
    names = [layers] if isinstance(layers, str) else list(layers)
    modules = dict(model.named_modules())
    for name in names:
        if name not in modules or not name:
            raise UnknownNameError("layer", name, layer_names(model))
    store: dict[str, list[Tensor]] = {name: [] for name in names}
    handles = []
    for name in names:

        def hook(_m: nn.Module, _inp: object, out: object, name: str = name) -> None:
            t = _output_tensor(out, name)
            store[name].append(t.detach() if detach else t)

        handles.append(modules[name].register_forward_hook(hook))
    try:
        yield store
    finally:
        for h in handles:
            h.remove()


@torch.no_grad()
def extract_features(
    model: nn.Module,
    x: Tensor,
    layers: str | Sequence[str],
    *,
    batch_size: int = 1024,
    flatten: bool = True,
    eval_mode: bool = True,
) -> dict[str, Tensor]:
    """Run ``model`` on ``x`` in batches and return the named layers' outputs.

    Args:
        model: any module taking a batch ``x[i:j]``.
        x: inputs ``(N, ...)``.
        layers: submodule name(s).
        batch_size: forward in chunks of this size.
        flatten: reshape each output to ``(N, features)``.
        eval_mode: run in eval mode (restoring the previous mode afterwards).

    Returns:
        ``{name: (N, features)}`` (or ``(N, ...)`` without ``flatten``), on ``x``'s device.
    """
    _check_model(model)
    if not isinstance(x, Tensor) or x.dim() == 0:
        raise TypeError(f"x must be a tensor with a batch dimension; got {type(x).__name__}")
    if x.shape[0] == 0:
        raise ConfigError(f"x must hold at least one input; got shape {tuple(x.shape)}")
    check_int("batch_size", batch_size)
    was_training = model.training
    if eval_mode:
        model.eval()
    try:
        with capture_features(model, layers) as store:
            for start in range(0, x.shape[0], batch_size):
                model(x[start : start + batch_size])
    finally:
        model.train(was_training)
    out = {name: torch.cat(chunks) for name, chunks in store.items()}
    if flatten:
        out = {name: t.reshape(t.shape[0], -1) for name, t in out.items()}
    return out
