"""muP learning rates and weight decays as parameter groups for stock ``torch.optim`` optimizers.

Part of :mod:`nnatlas.param.mup` (Tensor Programs V, arXiv 2203.03466, Table 8; the rules of the
``mup`` package's ``MuAdam``/``MuSGD``), expressed as parameter groups instead of optimizer
subclasses so any optimizer works.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.param.mup.shapes import (
    BaseShape,
    check_base_shape,
    check_model,
    get_base_shapes,
    owned_parameters,
)

__all__ = ["OptimizerKind", "ParamScaling", "mup_param_groups", "param_scaling"]

OptimizerKind = Literal["adam", "sgd"]
_ADAM_LIKE = ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta")
_SGD_LIKE = ("SGD", "ASGD")


@dataclass(frozen=True)
class ParamScaling:
    """How muP scales one tensor's learning rate and weight decay for an optimizer kind.

    Attributes:
        kind: ``"matrix"`` (two width dims), ``"vector"`` (one) or ``"scalar"`` (none).
        lr_mult: factor on the base learning rate.
        weight_decay_mult: factor on the base weight decay.
    """

    kind: str
    lr_mult: float
    weight_decay_mult: float


def _optimizer_kind(optimizer: str | type) -> OptimizerKind:
    if isinstance(optimizer, type):
        names = {c.__name__ for c in optimizer.__mro__}
        if names & set(_ADAM_LIKE):
            return "adam"
        if names & set(_SGD_LIKE):
            return "sgd"
        raise ConfigError(
            f"optimizer {optimizer.__name__} is neither Adam-like ({', '.join(_ADAM_LIKE)}) nor "
            "SGD-like (SGD, ASGD); pass optimizer='adam' or 'sgd' to say how it scales"
        )
    key = str(optimizer).lower()
    if key in ("adam", "adamw"):
        return "adam"
    if key == "sgd":
        return "sgd"
    raise ConfigError(
        f"optimizer must be 'adam', 'adamw', 'sgd' or an optimizer class; got {optimizer!r}"
    )


def param_scaling(shape: BaseShape, optimizer: str | type = "adam") -> ParamScaling:
    """The muP learning-rate and weight-decay factors of one tensor (TP5, Table 8 / ``mup``).

    Args:
        shape: the tensor's :class:`BaseShape`; weights are laid out (fan_out, fan_in, ...).
        optimizer: ``"adam"``/``"adamw"`` (any entry-wise normalised update) or ``"sgd"``, or an
            optimizer class.

    Returns:
        The :class:`ParamScaling`.

    Raises:
        ConfigError: more than two width dimensions, or an unknown optimizer.
    """
    check_base_shape(shape)
    kind = _optimizer_kind(optimizer)
    if shape.ninf > 2:
        raise ConfigError(
            f"a tensor of shape {shape.shape} has {shape.ninf} width dims; at most 2 are supported"
        )
    if shape.ninf == 0:
        return ParamScaling("scalar", 1.0, 1.0)
    if shape.ninf == 1:
        m = shape.width_mult
        return (
            ParamScaling("vector", 1.0, 1.0) if kind == "adam" else ParamScaling("vector", m, 1 / m)
        )
    if kind == "adam":
        m = shape.width_mult
        return ParamScaling("matrix", 1 / m, m)
    r = shape.fanin_fanout_ratio
    return ParamScaling("matrix", 1 / r, r)


def mup_param_groups(
    model: nn.Module,
    lr: float,
    *,
    optimizer: str | type = "adam",
    weight_decay: float = 0.0,
    parametrization: Literal["mup", "sp"] = "mup",
) -> list[dict[str, Any]]:
    """Parameter groups with muP learning rates for a stock ``torch.optim`` optimizer.

    Example:
        >>> groups = mup_param_groups(model, 1e-3, optimizer="adam")
        >>> opt = torch.optim.AdamW(groups, lr=1e-3)

    Args:
        model: a model whose base shapes are set (:func:`set_base_shapes`); wrapped models work.
        lr: the base learning rate (the one tuned at the base width).
        optimizer: ``"adam"``, ``"adamw"``, ``"sgd"`` or the optimizer class you will use.
        weight_decay: the base weight decay.
        parametrization: ``"mup"``, or ``"sp"`` for one group with ``lr`` (for side-by-side runs).

    Returns:
        A list of dicts with ``params``, ``lr``, ``weight_decay``, ``mup_kind`` (e.g.
        ``"matrix"`` or ``"vector+scalar"``) and ``mup_names``; tensors with equal factors share a
        group, tied tensors appear once.

    Raises:
        ConfigError: bad ``lr``/``weight_decay``/``parametrization``, or base shapes not set.
    """
    check_model(model)
    if (
        not isinstance(lr, int | float)
        or isinstance(lr, bool)
        or not lr > 0
        or not math.isfinite(lr)
    ):
        raise ConfigError(f"lr must be a positive finite number; got {lr!r}")
    if not isinstance(weight_decay, int | float) or not weight_decay >= 0:
        raise ConfigError(f"weight_decay must be a number >= 0; got {weight_decay!r}")
    if parametrization not in ("mup", "sp"):
        raise ConfigError(f"parametrization must be 'mup' or 'sp'; got {parametrization!r}")
    _optimizer_kind(optimizer)
    params = [(n, p) for n, _, _, p in owned_parameters(model) if p.requires_grad]
    if parametrization == "sp":
        return [
            {
                "params": [p for _, p in params],
                "lr": float(lr),
                "weight_decay": float(weight_decay),
                "mup_kind": "sp",
                "mup_names": [n for n, _ in params],
            }
        ]
    shapes = get_base_shapes(model)
    # One group per distinct (lr, weight decay) factor: fewer groups keep foreach kernels large.
    groups: dict[tuple[float, float], dict[str, Any]] = {}
    for name, p in params:
        s = param_scaling(shapes[name], optimizer)
        key = (s.lr_mult, s.weight_decay_mult)
        if key not in groups:
            groups[key] = {
                "params": [],
                "lr": lr * s.lr_mult,
                "weight_decay": weight_decay * s.weight_decay_mult,
                "mup_kind": s.kind,
                "mup_names": [],
            }
        elif s.kind not in groups[key]["mup_kind"].split("+"):
            groups[key]["mup_kind"] += "+" + s.kind
        groups[key]["params"].append(p)
        groups[key]["mup_names"].append(name)
    return list(groups.values())
