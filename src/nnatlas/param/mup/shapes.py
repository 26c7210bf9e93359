"""Base shapes: which dimensions of each parameter are width dimensions, and how that is stored.

Part of :mod:`nnatlas.param.mup` (Tensor Programs V, arXiv 2203.03466). The record of a parameter
lives in a persistent int64 buffer ``_mup_base_<param>`` of the module that owns it, one entry per
dimension: the base size of a width ("infinite") dimension, or 0 for a finite one. Buffers
survive ``state_dict``/``torch.save``, ``copy.deepcopy`` and wrappers, which a Python attribute on
the parameter (the ``mup`` package's ``p.infshape``) does not. This module holds the record's
format and its readers; :func:`nnatlas.param.mup.set_base_shapes` writes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from torch import Tensor, nn

from nnatlas.core.errors import ConfigError

__all__ = [
    "BUFFER_PREFIX",
    "WRAPPER_PREFIXES",
    "BaseShape",
    "base_buffer",
    "base_shapes_from_state_dict",
    "check_base_shape",
    "check_model",
    "decode_base",
    "fanin_mult",
    "get_base_shapes",
    "get_shapes",
    "owned_parameters",
    "strip_wrapper_prefixes",
]

#: Name prefix of the buffers that hold base shapes (``_mup_base_weight`` for ``weight``).
BUFFER_PREFIX = "_mup_base_"
#: Prefixes that wrappers put in front of parameter names; stripped before names are matched.
WRAPPER_PREFIXES: tuple[str, ...] = (
    "module.",
    "_orig_mod.",
    "_fsdp_wrapped_module.",
    "_checkpoint_wrapped_module.",
)


@dataclass(frozen=True)
class BaseShape:
    """A parameter's shape together with its base shape.

    Attributes:
        shape: the parameter's shape.
        base: per dimension, the base size of a width ("infinite") dimension, or ``None`` for a
            finite one.
    """

    shape: tuple[int, ...]
    base: tuple[int | None, ...]

    def __post_init__(self) -> None:
        if len(self.shape) != len(self.base):
            raise ValueError(f"shape {self.shape} and base {self.base} differ in length")

    @property
    def ninf(self) -> int:
        """Number of width dimensions."""
        return sum(b is not None for b in self.base)

    def dim_mult(self, dim: int) -> float:
        """``size / base size`` of dimension ``dim`` (1 for a finite dimension)."""
        b = self.base[dim]
        return 1.0 if b is None else self.shape[dim] / b

    @property
    def width_mult(self) -> float:
        """Multiplier of the *last* width dimension: the fan-in for a (fan_out, fan_in, ...) weight
        with two width dimensions, the only one otherwise; 1 with none."""
        for i in range(len(self.base) - 1, -1, -1):
            if self.base[i] is not None:
                return self.dim_mult(i)
        return 1.0

    @property
    def fanin_fanout_ratio(self) -> float:
        """``fan_in_mult / fan_out_mult`` for a weight laid out (fan_out, fan_in, ...)."""
        if len(self.shape) < 2:
            raise ValueError("fan-in/fan-out are undefined for tensors with fewer than 2 dims")
        return self.dim_mult(1) / self.dim_mult(0)


def strip_wrapper_prefixes(name: str) -> str:
    """``name`` without the :data:`WRAPPER_PREFIXES` (at the front and after any ``.``)."""
    changed = True
    while changed:
        changed = False
        for prefix in WRAPPER_PREFIXES:
            if name.startswith(prefix):
                name, changed = name[len(prefix) :], True
        for prefix in WRAPPER_PREFIXES:
            # Wrappers may also sit inside the model (FSDP wraps submodules).
            name = name.replace("." + prefix, ".")
    return name


def check_model(model: nn.Module, name: str = "model") -> None:
    """Raise a ``TypeError`` naming ``name`` unless ``model`` is an ``nn.Module``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be an nn.Module; got {type(model).__name__}")


def check_base_shape(shape: BaseShape) -> None:
    """Raise a ``TypeError`` naming ``shape`` unless it is a :class:`BaseShape`."""
    if not isinstance(shape, BaseShape):
        raise TypeError(
            f"shape must be a BaseShape (from get_base_shapes); got {type(shape).__name__}"
        )


def get_shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """Shapes of all parameters, keyed by name with wrapper prefixes removed.

    Works on models built on the ``meta`` device (no memory is used for the weights).
    """
    check_model(model)
    out: dict[str, tuple[int, ...]] = {}
    for n, p in model.named_parameters():
        key = strip_wrapper_prefixes(n)
        if key in out:
            raise ConfigError(
                f"parameters {n!r} and another both read {key!r} once wrapper prefixes "
                f"({', '.join(WRAPPER_PREFIXES)}) are removed; rename one of the submodules"
            )
        out[key] = tuple(p.shape)
    return out


def owned_parameters(model: nn.Module) -> Iterable[tuple[str, nn.Module, str, nn.Parameter]]:
    """``(stripped full name, owning module, local name, parameter)``, each tensor once.

    Tied parameters (one tensor under two names) appear once, under the first name.
    """
    seen: set[int] = set()
    for mod_name, module in model.named_modules():
        for local, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            yield (
                strip_wrapper_prefixes(f"{mod_name}.{local}" if mod_name else local),
                module,
                local,
                p,
            )


def base_buffer(module: nn.Module, local: str) -> Tensor | None:
    """The base-shape buffer of ``module``'s own parameter ``local`` (``None`` if not recorded)."""
    return module._buffers.get(BUFFER_PREFIX + local)


def get_base_shapes(model: nn.Module) -> dict[str, BaseShape]:
    """The base shapes recorded by ``set_base_shapes``, keyed by (prefix-stripped) name.

    Raises:
        ConfigError: a parameter has no recorded base shape (``set_base_shapes`` was not called,
            or a parameter was added afterwards).
    """
    check_model(model)
    out: dict[str, BaseShape] = {}
    missing = []
    for name, module, local, p in owned_parameters(model):
        buf = base_buffer(module, local)
        if buf is None:
            missing.append(name)
            continue
        out[name] = BaseShape(tuple(p.shape), decode_base(buf))
    if missing:
        raise ConfigError(
            f"parameters {missing[:5]}{' ...' if len(missing) > 5 else ''} have no base shape; "
            "call set_base_shapes(model, base, delta) first"
        )
    return out


def base_shapes_from_state_dict(
    state_dict: Mapping[str, Tensor],
) -> dict[str, tuple[int | None, ...]]:
    """Base shapes stored in a state dict saved from a model with base shapes set.

    Pass the result as ``base`` to :func:`set_base_shapes` on a freshly built model (with
    ``rescale=False`` if you then load the saved weights), before ``load_state_dict``.

    Raises:
        ConfigError: the state dict holds no ``_mup_base_*`` entries.
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"state_dict must be a mapping name -> tensor; got {type(state_dict).__name__}"
        )
    out: dict[str, tuple[int | None, ...]] = {}
    for key, value in state_dict.items():
        head, _, last = key.rpartition(".")
        if last.startswith(BUFFER_PREFIX):
            local = last[len(BUFFER_PREFIX) :]
            name = strip_wrapper_prefixes(f"{head}.{local}" if head else local)
            out[name] = decode_base(value)
    if not out:
        raise ConfigError("state_dict holds no muP base shapes (no '_mup_base_*' entries)")
    return out


def fanin_mult(module: nn.Module) -> float:
    """Fan-in width multiplier of a module's ``weight`` (1 without a recorded base shape)."""
    buf = base_buffer(module, "weight")
    w = module._parameters.get("weight")
    if buf is None or w is None or w.dim() < 2:
        return 1.0
    return BaseShape(tuple(w.shape), decode_base(buf)).dim_mult(1)


def decode_base(buf: Tensor) -> tuple[int | None, ...]:
    """A base-shape buffer as a tuple: the base size of each width dimension, ``None`` if finite."""
    return tuple(int(b) if b > 0 else None for b in buf.tolist())
