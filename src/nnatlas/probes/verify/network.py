"""A ReLU MLP as affine layers, input boxes, NAP masks and exact margins: what every check shares.

Part of :mod:`nnatlas.probes.verify`. Paper: "Towards Reliable Neural Specifications", Chuqin Geng, Nham Le, Xiaojie Xu, Zhaoyue Wang,
Arie Gurfinkel, Xujie Si (ICML 2023), arXiv 2210.16114.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.probes.nap import NAP, relu_layers

__all__ = [
    "Affine",
    "Masks",
    "affine_layers",
    "as_affine",
    "check_box",
    "check_points",
    "forward_margins",
    "in_nap",
    "margin_matrix",
    "nap_masks",
]

Affine = list[tuple[Tensor, Tensor]]
"""A ReLU MLP as ``[(W_k (out, in), b_k (out,)), ...]``; ReLU between layers, none after the last."""
Masks = list[tuple[Tensor, Tensor]]
"""Per hidden layer, the NAP's ``(fixed active, fixed inactive)`` bool masks ``(width,)``."""


def affine_layers(model: nn.Module) -> Affine:
    """The weights of a ReLU MLP as float64 ``[(W, b), ...]``, the last one the output layer.

    Args:
        model: a ReLU MLP (see :func:`nnatlas.probes.nap.relu_layers`).

    Returns:
        ``[(W_k (out, in), b_k (out,)), ...]`` detached float64 copies; missing biases are 0.

    Raises:
        ConfigError: the model is not a feed-forward ReLU network.
    """
    structure = relu_layers(model)
    modules = dict(model.named_modules())
    layers: Affine = []
    for name in structure.linear:
        lin = modules[name]
        assert isinstance(lin, nn.Linear)
        w = lin.weight.detach().to(torch.float64)
        b = (
            lin.bias.detach().to(torch.float64)
            if lin.bias is not None
            else torch.zeros(lin.out_features, dtype=torch.float64, device=w.device)
        )
        layers.append((w, b))
    return layers


def as_affine(model: nn.Module | Affine) -> Affine:
    """``model``'s :func:`affine_layers`, or ``model`` itself when it already is a checked list.

    Raises:
        TypeError: neither an ``nn.Module`` nor a list of ``(W, b)`` tensor pairs.
        ConfigError: the pairs' shapes do not chain (``W_k (out, in)``, ``b_k (out,)``,
            ``in`` of each layer the ``out`` of the one before), or non-float tensors.
    """
    if isinstance(model, nn.Module):
        return affine_layers(model)
    if not isinstance(model, list | tuple) or not model:
        raise TypeError(
            "model must be a ReLU MLP (nn.Module) or a non-empty list of (W, b) tensor pairs; "
            f"got {type(model).__name__}"
        )
    fan_in: int | None = None
    for k, pair in enumerate(model):
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise TypeError(f"model[{k}] must be a (W, b) pair of tensors; got {pair!r}")
        w, b = pair
        if not (isinstance(w, Tensor) and isinstance(b, Tensor)):
            raise TypeError(f"model[{k}] must be a (W, b) pair of tensors; got {type(w).__name__}")
        if not (w.is_floating_point() and b.is_floating_point()):
            raise ConfigError(f"model[{k}] must hold float tensors; got {w.dtype} and {b.dtype}")
        if (
            w.dim() != 2
            or b.shape != (w.shape[0],)
            or (fan_in is not None and w.shape[1] != fan_in)
        ):
            raise ConfigError(
                f"model[{k}] must be W (out, in) and b (out,) chaining with the layer before; "
                f"got W {tuple(w.shape)} and b {tuple(b.shape)}"
            )
        fan_in = w.shape[0]
    return list(model)


def nap_masks(nap: NAP | None, layers: Affine) -> Masks | None:
    """The NAP's per-layer masks on the layers' device (``None`` without a NAP).

    Raises:
        TypeError: ``nap`` is not a :class:`~nnatlas.probes.nap.NAP`.
        ConfigError: its hidden widths are not the model's.
    """
    if nap is None:
        return None
    if not isinstance(nap, NAP):
        raise TypeError(f"nap must be a NAP or None; got {type(nap).__name__}")
    widths = tuple(w.shape[0] for w, _ in layers[:-1])
    if tuple(nap.widths) != widths:
        raise ConfigError(f"nap must have hidden widths {widths} (the model's); got {nap.widths}")
    dev = layers[0][0].device
    return [(a.to(dev), i.to(dev)) for a, i in nap.layer_masks()]


def check_box(lower: Tensor, upper: Tensor, layers: Affine) -> tuple[Tensor, Tensor]:
    """The box ``[lower, upper]`` as float64 ``(..., in_features)`` on the layers' device.

    Integer corners are promoted to float64.

    Raises:
        TypeError: a corner is not a tensor.
        ConfigError: complex, bool or non-finite corners, a shape that does not flatten to
            ``(..., in_features)``, different shapes, or ``lower > upper`` somewhere.
    """
    for name, t in (("lower", lower), ("upper", upper)):
        check_points(name, t)
    d = layers[0][0].shape[1]
    dev = layers[0][0].device
    lo = lower.to(device=dev, dtype=torch.float64).reshape(*lower.shape[:-1], -1)
    hi = upper.to(device=dev, dtype=torch.float64).reshape(*upper.shape[:-1], -1)
    if lo.shape[-1] != d or lo.shape != hi.shape:
        raise ConfigError(
            f"lower and upper must have the same shape (..., {d}); got {tuple(lower.shape)} and "
            f"{tuple(upper.shape)}"
        )
    if bool((lo > hi).any()):
        raise ConfigError("lower must be <= upper elementwise; some lower bound exceeds its upper")
    return lo, hi


def check_points(name: str, x: Tensor) -> None:
    """``x`` must be a real (float or integer, not bool), finite tensor with at least one dim.

    Raises:
        TypeError: not a tensor.
        ConfigError: 0-d, complex or bool, or holding NaN/inf.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(x).__name__}")
    if x.dtype == torch.bool or x.is_complex():
        raise ConfigError(f"{name} must be a real float (or integer) tensor; got {x.dtype}")
    if x.dim() == 0:
        raise ConfigError(f"{name} must have at least one dimension; got a 0-d tensor")
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ConfigError(f"{name} must be finite; it holds NaN or inf")


def margin_matrix(layers: Affine, label: int) -> tuple[Tensor, Tensor]:
    """``(W_ℓ − W, b_ℓ − b)`` of the last layer: row j maps the last hidden layer to y_ℓ − y_j.

    Raises:
        ConfigError: ``label`` is not an int in ``[0, classes)``.
    """
    w, b = layers[-1]
    classes = w.shape[0]
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < classes:
        raise ConfigError(f"label must be an int in [0, {classes}); got {label!r}")
    return w[label] - w, b[label] - b  # (C, H), (C,)


def forward_margins(
    model: nn.Module | Affine, x: Tensor, label: int
) -> tuple[Tensor, list[Tensor]]:
    """Exact margins y_label − y_j and pre-activations at inputs ``x`` (float64, differentiable).

    Args:
        model: a ReLU MLP, or its :func:`affine_layers`.
        x: inputs ``(N, in_features)`` (or any shape flattening to it).
        label: the class ℓ.

    Returns:
        ``(margins (N, classes), [pre-activations (N, width) per hidden layer])``.
    """
    layers = as_affine(model)
    check_points("x", x)
    d = layers[0][0].shape[1]
    if x.numel() != x.shape[0] * d:
        raise ConfigError(f"x must be (N, {d}) (or flatten to it); got shape {tuple(x.shape)}")
    h = x.to(dtype=torch.float64, device=layers[0][0].device).reshape(x.shape[0], -1)
    pre: list[Tensor] = []
    for w, b in layers[:-1]:
        z = h @ w.T + b
        pre.append(z)
        h = z.clamp(min=0.0)
    dw, db = margin_matrix(layers, label)
    return h @ dw.T + db, pre


def in_nap(pre: list[Tensor], masks: Masks | None) -> Tensor:
    """(N,) bool: the closed NAP half-spaces hold (z ≥ 0 on active, z ≤ 0 on inactive)."""
    ok = torch.ones(pre[0].shape[0], dtype=torch.bool, device=pre[0].device)
    if masks is None:
        return ok
    for z, (act, ina) in zip(pre, masks, strict=True):
        ok &= ~((z < 0) & act).any(-1) & ~((z > 0) & ina).any(-1)
    return ok
