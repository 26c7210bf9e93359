"""Recording base shapes on a model: :func:`set_base_shapes`.

Part of :mod:`nnatlas.param.mup` (Tensor Programs V, arXiv 2203.03466): a dimension is a width
dimension when it differs between a *base* and a *delta* model; the record goes into the buffers
described in :mod:`nnatlas.param.mup.shapes`, and readout weights and biases are rescaled so that
PyTorch's default init becomes muP's.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.param.mup.readout import MuReadout
from nnatlas.param.mup.shapes import (
    BUFFER_PREFIX,
    base_buffer,
    decode_base,
    fanin_mult,
    get_shapes,
    owned_parameters,
    strip_wrapper_prefixes,
)

__all__ = ["BaseSpec", "set_base_shapes"]

BaseSpec = nn.Module | Mapping[str, Sequence[int | None]]
"""A base model, or a mapping ``name -> base shape`` (``None`` marks a finite dimension)."""


def _base_dims(base: BaseSpec, what: str) -> tuple[dict[str, tuple[int | None, ...]], bool]:
    """Shapes from a module, or explicit base shapes (``None`` = finite); flag: explicit."""
    if isinstance(base, nn.Module):
        return {k: tuple(v) for k, v in get_shapes(base).items()}, False
    if isinstance(base, Mapping):
        out = {strip_wrapper_prefixes(k): tuple(v) for k, v in base.items()}
        for k, v in out.items():
            if any(
                b is not None and (isinstance(b, bool) or not isinstance(b, int) or b < 1)
                for b in v
            ):
                raise ConfigError(
                    f"{what}[{k!r}] must hold positive ints (width dims) or None (finite); got {v}"
                )
        return out, True
    raise TypeError(
        f"{what} must be an nn.Module or a mapping name -> base shape; got {type(base).__name__}"
    )


def _mismatch(a: Mapping[str, Any], b: Mapping[str, Any], a_name: str, b_name: str) -> str | None:
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a or only_b:
        return (
            f"{a_name} and {b_name} have different parameters (not the same architecture): "
            f"only in {a_name}: {only_a[:5]}, only in {b_name}: {only_b[:5]}"
        )
    for k in a:
        if len(a[k]) != len(b[k]):
            return (
                f"parameter {k!r} has {len(a[k])} dims in {a_name} but {len(b[k])} in {b_name} "
                f"(shapes {tuple(a[k])} vs {tuple(b[k])})"
            )
    return None


def set_base_shapes(
    model: nn.Module,
    base: BaseSpec,
    delta: nn.Module | None = None,
    *,
    rescale: bool = True,
) -> nn.Module:
    """Record which dimensions of every parameter are width dimensions, and their base sizes.

    A dimension is a width ("infinite") dimension if it differs between ``base`` and ``delta``;
    without ``delta``, if it differs between ``base`` and ``model`` (so a model of the base size
    then has no width dimension at all, as in the ``mup`` package). Build ``base`` and ``delta``
    on the ``meta`` device (``with torch.device("meta"): base = build(64)``) to spend no memory.

    With ``rescale`` (default), the :class:`MuReadout` weight and bias and the biases of other
    ``nn.Linear``/``nn.Conv*`` layers are multiplied by ``sqrt(new_mult / old_mult)``: from
    PyTorch's fan-in init this gives the readout an effective variance proportional to
    1/fan_in^2 and biases a width-independent init. The first call has ``old_mult = 1``; calling
    again with the same base does nothing, so the call is idempotent.

    Args:
        model: the model to train; any wrapper prefixes in its parameter names are ignored.
        base: the base model, or a mapping ``name -> base shape`` with ``None`` for finite
            dimensions (e.g. from :func:`base_shapes_from_state_dict`).
        delta: a model differing from ``base`` in every width dimension (only with a module
            ``base``).
        rescale: rescale readout and bias initialisation as described.

    Returns:
        ``model`` (modified in place: buffers ``_mup_base_<param>`` added or updated).

    Raises:
        TypeError: ``model``, ``base`` or ``delta`` of the wrong type.
        ConfigError: the models do not share parameter names or dimension counts.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
    bases = _resolve_bases(get_shapes(model), base, delta)
    # The rescale depends on the change of each layer's fan-in multiplier, so read the old one
    # (1 when no base shape was recorded yet) before overwriting the buffers.
    old_fanin = {id(m): fanin_mult(m) for m in model.modules()}
    _write_records(model, bases)
    if rescale:
        _rescale_readouts_and_biases(model, old_fanin)
    _check_readouts(model)
    return model


def _resolve_bases(
    shapes: Mapping[str, tuple[int, ...]], base: BaseSpec, delta: nn.Module | None
) -> Mapping[str, tuple[int | None, ...]]:
    """Per parameter of the model (``shapes``), the base size of each width dim (else ``None``)."""
    base_dims, explicit = _base_dims(base, "base")
    err = _mismatch(base_dims, shapes, "base", "model")
    if err:
        raise ConfigError(err)
    if explicit:
        if delta is not None:
            raise ConfigError("delta must be None when base is a mapping of base shapes")
        return base_dims
    other: Mapping[str, tuple[int, ...]] = shapes
    if delta is not None:
        if not isinstance(delta, nn.Module):
            raise TypeError(f"delta must be an nn.Module or None; got {type(delta).__name__}")
        other = get_shapes(delta)
        err = _mismatch(base_dims, other, "base", "delta")
        if err:
            raise ConfigError(err)
    return {
        k: tuple(b if b != o else None for b, o in zip(v, other[k], strict=True))
        for k, v in base_dims.items()
    }


def _write_records(model: nn.Module, bases: Mapping[str, tuple[int | None, ...]]) -> None:
    """Create or overwrite every parameter's base-shape buffer."""
    for name, module, local, p in owned_parameters(model):
        buf = base_buffer(module, local)
        # Meta tensors hold no values; keep the record on the CPU then (``.to()`` moves it). The
        # explicit device also overrides a ``with torch.device(...)`` context around this call.
        device = p.device if p.device.type != "meta" else torch.device("cpu")
        if buf is not None and buf.device.type != "meta":
            device = buf.device
        encoded = torch.tensor(
            [0 if b is None else int(b) for b in bases[name]], dtype=torch.int64, device=device
        )
        if buf is None or buf.device.type == "meta":
            module.register_buffer(BUFFER_PREFIX + local, encoded)
        else:
            buf.copy_(encoded)


def _rescale_readouts_and_biases(model: nn.Module, old_fanin: Mapping[int, float]) -> None:
    """Multiply readout weights and biases by ``sqrt(new fan-in mult / old fan-in mult)``."""
    for module in model.modules():
        factor = math.sqrt(fanin_mult(module) / old_fanin[id(module)])
        if factor == 1.0:
            continue
        targets: list[Tensor | None] = []
        if isinstance(module, MuReadout):
            targets = [module.weight, module.bias]
        elif isinstance(module, nn.Linear | nn.modules.conv._ConvNd):
            targets = [module.bias]
        with torch.no_grad():
            for t in targets:
                if t is not None and t.device.type != "meta":
                    t.mul_(factor)


def _check_readouts(model: nn.Module) -> None:
    """Warn about plain ``nn.Linear`` readouts (width -> finite), whose output grows under muP."""
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear) and not isinstance(module, MuReadout):
            buf = base_buffer(module, "weight")
            if buf is not None:
                base = decode_base(buf)
                if base[0] is None and base[1] is not None:
                    warnings.warn(
                        f"{strip_wrapper_prefixes(name) or 'model'} maps a width dimension to a finite one but is "
                        "not a MuReadout; under muP its output grows with width (use MuReadout)",
                        UserWarning,
                        stacklevel=3,
                    )
