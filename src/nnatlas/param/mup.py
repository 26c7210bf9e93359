"""abc-parametrizations and the Maximal Update Parametrization (muP).

Papers: *Feature Learning in Infinite-Width Neural Networks* (Tensor Programs IV; Greg Yang and
Edward J. Hu, ICML 2021; arXiv 2011.14522) for the abc-parametrizations and muP, and *Tuning
Large Neural Networks via Zero-Shot Hyperparameter Transfer* (Tensor Programs V; arXiv
2203.03466) for the practical recipe with base shapes that the ``mup`` package implements.

An abc-parametrization of an L-hidden-layer network of width n writes every weight as
W = n^{-a} w with trainable w_ij ~ N(0, n^{-2b}) and trains it with learning rate eta n^{-c}.
:func:`abc_parametrization` gives (a, b, c) of the named points (SP, NTP, muP) per layer type and
applies the symmetry (a, b, c) -> (a + theta, b - theta, c - 2 theta) that leaves the training
dynamics of SGD unchanged.

The practical recipe (the one users run) keeps PyTorch's default fan-in initialisation and
expresses width through *base shapes*:

* :func:`set_base_shapes` compares the model with a small *base* model (and a *delta* model
  that differs from the base in every width dimension) and records, per parameter, which
  dimensions are "infinite" (width) and their base size. Width multipliers are
  ``dim / base_dim``. The record lives in persistent buffers ``_mup_base_<param>`` of the module
  that owns the parameter, so it survives ``state_dict``/``torch.save``/``torch.load``,
  ``copy.deepcopy`` and wrappers that prefix parameter names (tested with ``DataParallel`` and
  a ``module.`` wrapper; the prefixes of ``DistributedDataParallel``, FSDP with
  ``use_orig_params=True`` and ``torch.compile`` are stripped the same way but not tested here).
* :class:`MuReadout`: the output layer, ``Linear(output_mult * x / width_mult)``, whose weight and
  bias :func:`set_base_shapes` rescales by ``sqrt(width_mult)`` (effective weight variance
  proportional to 1/fan_in^2); optionally zero-initialised.
* :func:`mup_param_groups`: parameter groups for stock ``torch.optim`` optimizers. Adam-like:
  weights with two width dimensions get ``lr / fan_in_mult`` (weight decay ``x fan_in_mult``),
  everything else keeps ``lr``. SGD-like: tensors with one width dimension get
  ``lr x width_mult`` (weight decay ``/ width_mult``), those with two get
  ``lr / (fan_in_mult / fan_out_mult)``.
* :func:`mup_normal_` / :func:`mup_init_std`: a constant-std custom init made muP (hidden weights
  ``std / sqrt(fan_in_mult)``, as ``mup.init.normal_``).
* :func:`mup_attention_scale`: attention logits scaled by 1/d instead of 1/sqrt(d) (equal at the
  base head size, so ``8/d`` at base 64).
* :func:`coord_check` and :func:`plot_coord_check`: mean absolute activation of every module over
  widths and training steps (flat in width under a correct muP); :func:`lr_sweep`: final training
  loss over a grid of widths and learning rates, for learning-rate transfer.

Deviations from the ``mup`` package (same numbers, different plumbing): base shapes live in
buffers instead of a ``p.infshape`` attribute (which ``torch.save`` and ``DataParallel`` drop,
microsoft/mup README and issue #59); re-running :func:`set_base_shapes` rescales the readout by the
*change* in width multiplier, so it is idempotent instead of raising; parameter names are
matched after stripping wrapper prefixes (``module.``, ``_orig_mod.``, ``_fsdp_wrapped_module.``,
``_checkpoint_wrapped_module.``); there are parameter groups instead of optimizer subclasses.
FSDP without ``use_orig_params=True`` flattens parameters and cannot be supported.
``nn.MultiheadAttention`` hard-codes 1/sqrt(d); use :func:`mup_attention` in your own attention.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.testing.catalog import register_module_case
from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int

__all__ = [
    "ABC",
    "PARAMETRIZATIONS",
    "BaseShape",
    "CoordCheck",
    "CoordRecord",
    "LRSweep",
    "MuReadout",
    "ParamScaling",
    "abc_parametrization",
    "base_shapes_from_state_dict",
    "coord_check",
    "get_base_shapes",
    "get_shapes",
    "lr_sweep",
    "mup_attention",
    "mup_attention_scale",
    "mup_init_std",
    "mup_normal_",
    "mup_param_groups",
    "param_scaling",
    "plot_coord_check",
    "set_base_shapes",
]

LayerKind = Literal["input", "hidden", "output"]
OptimizerKind = Literal["adam", "sgd"]
PARAMETRIZATIONS: tuple[str, ...] = ("sp", "ntp", "mup")

_BUFFER_PREFIX = "_mup_base_"
# Prefixes that wrappers put in front of parameter names; stripped before names are matched.
_WRAPPER_PREFIXES: tuple[str, ...] = (
    "module.",
    "_orig_mod.",
    "_fsdp_wrapped_module.",
    "_checkpoint_wrapped_module.",
)
_ADAM_LIKE = ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta")
_SGD_LIKE = ("SGD", "ASGD")


# -- abc-parametrizations (TP4) ----------------------------------------------------------------


@dataclass(frozen=True)
class ABC:
    """The exponents of one layer in an abc-parametrization (TP4, Sec. 3).

    The layer's weight is ``W = n^-a w`` with ``w_ij ~ N(0, n^-2b)`` trained by SGD at learning rate
    ``eta n^-c``, where ``n`` is the width.

    Attributes:
        a: exponent of the multiplier.
        b: exponent of the initialisation standard deviation.
        c: exponent of the learning rate.
    """

    a: float
    b: float
    c: float

    def scales(self, width: int) -> tuple[float, float, float]:
        """``(multiplier n^-a, init std n^-b, learning-rate factor n^-c)`` at width ``n``."""
        n = float(check_int("width", width))
        return n**-self.a, n**-self.b, n**-self.c

    def shifted(self, theta: float) -> ABC:
        """The equivalent point ``(a + theta, b - theta, c - 2 theta)`` (same SGD dynamics)."""
        return ABC(self.a + theta, self.b - theta, self.c - 2 * theta)


_ABC_TABLE: dict[str, dict[str, ABC]] = {
    # SP: no multipliers, fan-in init (O(1) at the input because the input dimension is finite).
    "sp": {"input": ABC(0.0, 0.0, 0.0), "hidden": ABC(0.0, 0.5, 0.0), "output": ABC(0.0, 0.5, 0.0)},
    # NTP: 1/sqrt(n) multipliers after the input layer, unit-variance weights.
    "ntp": {
        "input": ABC(0.0, 0.0, 0.0),
        "hidden": ABC(0.5, 0.0, 0.0),
        "output": ABC(0.5, 0.0, 0.0),
    },
    # muP (TP4's form): sqrt(n) at the input, 1/sqrt(n) at the output, all weights N(0, 1/n).
    "mup": {
        "input": ABC(-0.5, 0.5, 0.0),
        "hidden": ABC(0.0, 0.5, 0.0),
        "output": ABC(0.5, 0.5, 0.0),
    },
}


def abc_parametrization(name: str, layer: LayerKind, *, theta: float = 0.0) -> ABC:
    """(a, b, c) of a named abc-parametrization for one layer type (TP4, Sec. 3 and 5).

    Args:
        name: ``"sp"`` (standard), ``"ntp"`` (neural tangent) or ``"mup"`` (maximal update).
        layer: ``"input"`` (the first weight, fan-in = input dimension), ``"hidden"`` or
            ``"output"`` (the readout).
        theta: shift along the symmetry ``(a + theta, b - theta, c - 2 theta)``; e.g. muP with
            ``theta = 0.5`` at the input layer gives ``(0, 0, -1)``: no multiplier, O(1) init and
            learning rate ``eta n`` (the form the ``mup`` package uses for SGD).

    Returns:
        The layer's :class:`ABC`.

    Raises:
        ConfigError: unknown ``name`` or ``layer``.
    """
    if name not in _ABC_TABLE:
        raise ConfigError(f"name must be one of {PARAMETRIZATIONS}; got {name!r}")
    if layer not in ("input", "hidden", "output"):
        raise ConfigError(f"layer must be 'input', 'hidden' or 'output'; got {layer!r}")
    if not isinstance(theta, int | float) or not math.isfinite(theta):
        raise ConfigError(f"theta must be a finite number; got {theta!r}")
    return _ABC_TABLE[name][layer].shifted(float(theta))


# -- base shapes ----------------------------------------------------------------------------------


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


def _strip(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in _WRAPPER_PREFIXES:
            if name.startswith(prefix):
                name, changed = name[len(prefix) :], True
        for prefix in _WRAPPER_PREFIXES:
            # Wrappers may also sit inside the model (FSDP wraps submodules).
            name = name.replace("." + prefix, ".")
    return name


def get_shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """Shapes of all parameters, keyed by name with wrapper prefixes removed.

    Works on models built on the ``meta`` device (no memory is used for the weights).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
    out: dict[str, tuple[int, ...]] = {}
    for n, p in model.named_parameters():
        key = _strip(n)
        if key in out:
            raise ConfigError(
                f"parameters {n!r} and another both read {key!r} once wrapper prefixes "
                f"({', '.join(_WRAPPER_PREFIXES)}) are removed; rename one of the submodules"
            )
        out[key] = tuple(p.shape)
    return out


def _owned_params(model: nn.Module) -> Iterable[tuple[str, nn.Module, str, nn.Parameter]]:
    """(stripped full name, owning module, local name, parameter), each tensor once."""
    seen: set[int] = set()
    for mod_name, module in model.named_modules():
        for local, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            yield _strip(f"{mod_name}.{local}" if mod_name else local), module, local, p


def _read_buffer(module: nn.Module, local: str) -> Tensor | None:
    buf = module._buffers.get(_BUFFER_PREFIX + local)
    return buf


def get_base_shapes(model: nn.Module) -> dict[str, BaseShape]:
    """The base shapes recorded by :func:`set_base_shapes`, keyed by (prefix-stripped) name.

    Raises:
        ConfigError: a parameter has no recorded base shape (``set_base_shapes`` was not called,
            or a parameter was added afterwards).
    """
    out: dict[str, BaseShape] = {}
    missing = []
    for name, module, local, p in _owned_params(model):
        buf = _read_buffer(module, local)
        if buf is None:
            missing.append(name)
            continue
        base = tuple(int(b) if b > 0 else None for b in buf.tolist())
        out[name] = BaseShape(tuple(p.shape), base)
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
    out: dict[str, tuple[int | None, ...]] = {}
    for key, value in state_dict.items():
        head, _, last = key.rpartition(".")
        if last.startswith(_BUFFER_PREFIX):
            local = last[len(_BUFFER_PREFIX) :]
            name = _strip(f"{head}.{local}" if head else local)
            out[name] = tuple(int(b) if b > 0 else None for b in value.tolist())
    if not out:
        raise ConfigError("state_dict holds no muP base shapes (no '_mup_base_*' entries)")
    return out


BaseSpec = nn.Module | Mapping[str, Sequence[int | None]]


def _base_dims(base: BaseSpec, what: str) -> tuple[dict[str, tuple[int | None, ...]], bool]:
    """Shapes from a module, or explicit base shapes (``None`` = finite); flag: explicit."""
    if isinstance(base, nn.Module):
        return {k: tuple(v) for k, v in get_shapes(base).items()}, False
    if isinstance(base, Mapping):
        out = {_strip(k): tuple(v) for k, v in base.items()}
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
    shapes = get_shapes(model)
    base_dims, explicit = _base_dims(base, "base")
    err = _mismatch(base_dims, shapes, "base", "model")
    if err:
        raise ConfigError(err)
    if explicit:
        if delta is not None:
            raise ConfigError("delta must be None when base is a mapping of base shapes")
        bases = base_dims
    else:
        if delta is not None:
            if not isinstance(delta, nn.Module):
                raise TypeError(f"delta must be an nn.Module or None; got {type(delta).__name__}")
            delta_shapes = get_shapes(delta)
            err = _mismatch(base_dims, delta_shapes, "base", "delta")
            if err:
                raise ConfigError(err)
            other: Mapping[str, tuple[int, ...]] = delta_shapes
        else:
            other = shapes
        bases = {
            k: tuple(b if b != o else None for b, o in zip(v, other[k], strict=True))
            for k, v in base_dims.items()
        }
    # The rescale depends on the change of each layer's fan-in multiplier, so read the old one
    # (1 when no base shape was recorded yet) before overwriting the buffers.
    old_fanin = {id(m): _fanin_mult(m) for m in model.modules()}
    for name, module, local, p in _owned_params(model):
        buf = _read_buffer(module, local)
        # Meta tensors hold no values; keep the record on the CPU then (``.to()`` moves it). The
        # explicit device also overrides a ``with torch.device(...)`` context around this call.
        device = p.device if p.device.type != "meta" else torch.device("cpu")
        if buf is not None and buf.device.type != "meta":
            device = buf.device
        encoded = torch.tensor(
            [0 if b is None else int(b) for b in bases[name]], dtype=torch.int64, device=device
        )
        if buf is None or buf.device.type == "meta":
            module.register_buffer(_BUFFER_PREFIX + local, encoded)
        else:
            buf.copy_(encoded)
    if rescale:
        for module in model.modules():
            factor = math.sqrt(_fanin_mult(module) / old_fanin[id(module)])
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
    _check_readouts(model)
    return model


def _fanin_mult(module: nn.Module) -> float:
    """Fan-in width multiplier of a module's ``weight`` (1 without a recorded base shape)."""
    buf = module._buffers.get(_BUFFER_PREFIX + "weight")
    w = module._parameters.get("weight")
    if buf is None or w is None or w.dim() < 2:
        return 1.0
    return BaseShape(tuple(w.shape), _decode(buf)).dim_mult(1)


def _decode(buf: Tensor) -> tuple[int | None, ...]:
    return tuple(int(b) if b > 0 else None for b in buf.tolist())


def _check_readouts(model: nn.Module) -> None:
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear) and not isinstance(module, MuReadout):
            buf = _read_buffer(module, "weight")
            if buf is not None:
                base = _decode(buf)
                if base[0] is None and base[1] is not None:
                    warnings.warn(
                        f"{_strip(name) or 'model'} maps a width dimension to a finite one but is "
                        "not a MuReadout; under muP its output grows with width (use MuReadout)",
                        UserWarning,
                        stacklevel=3,
                    )


# -- readout --------------------------------------------------------------------------------------


class MuReadout(nn.Linear):
    """The muP output layer: ``Linear(output_mult * x / width_mult)``.

    ``width_mult = in_features / base in_features`` once :func:`set_base_shapes` has recorded the
    base (1 before, when the layer is an ordinary ``nn.Linear`` times ``output_mult``).

    Args:
        in_features: width of the input (a width dimension of the model).
        out_features: number of outputs (finite: classes, vocabulary).
        bias: whether to add a bias.
        output_mult: constant output multiplier (a tunable, transferable hyperparameter).
        zero_init: initialise weight and bias to zero (recommended by TP5; the network output is
            then 0 at initialisation and the coordinate check is exactly flat at step 0).
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(*, in_features)``.
        - Output: ``(*, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        output_mult: float = 1.0,
        zero_init: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_int("in_features", in_features)
        check_int("out_features", out_features)
        if not isinstance(output_mult, int | float) or not math.isfinite(output_mult):
            raise ConfigError(f"output_mult must be a finite number; got {output_mult!r}")
        self.output_mult = float(output_mult)
        self.zero_init = bool(zero_init)
        super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        """Zero (``zero_init``) or PyTorch's fan-in init, rescaled for the recorded base shape."""
        if self.zero_init:
            with torch.no_grad():
                self.weight.zero_()
                if self.bias is not None:
                    self.bias.zero_()
            return
        super().reset_parameters()
        mult = self.width_mult()
        if mult != 1.0 and self.weight.device.type != "meta":
            with torch.no_grad():
                self.weight.mul_(math.sqrt(mult))
                if self.bias is not None:
                    self.bias.mul_(math.sqrt(mult))

    def width_mult(self) -> float:
        """``in_features / base in_features`` (1 before :func:`set_base_shapes`)."""
        buf = self._buffers.get(_BUFFER_PREFIX + "weight")
        if buf is None:
            return 1.0
        # Reading the buffer on an accelerator would synchronise every forward; cache it until the
        # buffer is replaced (``.to()``) or written in place (``load_state_dict``).
        key = (id(buf), buf._version)
        cached = self.__dict__.get("_mult_cache")
        if cached is None or cached[0] != key:
            cached = (key, _fanin_mult(self))
            self.__dict__["_mult_cache"] = cached
        return cached[1]

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x * (self.output_mult / self.width_mult()), self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, output_mult={self.output_mult:g}, "
            f"zero_init={self.zero_init}, width_mult={self.width_mult():g}"
        )


# -- optimizer parameter groups -------------------------------------------------------------------


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
    params = [(n, p) for n, _, _, p in _owned_params(model) if p.requires_grad]
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


def mup_init_std(shape: BaseShape, std: float) -> float:
    """The muP standard deviation of a tensor whose init is ``N(0, std^2)`` at the base width.

    Tensors with two width dimensions (hidden weights) get ``std / sqrt(fan_in_mult)`` (variance
    proportional to 1/fan_in); all others keep ``std`` (a :class:`MuReadout` weight is then
    divided by its width multiplier in the forward pass). This is what ``mup.init.normal_`` does,
    for users who replace PyTorch's default init with their own constant ``std``.
    """
    if not isinstance(std, int | float) or not std >= 0:
        raise ConfigError(f"std must be a number >= 0; got {std!r}")
    if shape.ninf > 2:
        raise ConfigError(
            f"a tensor of shape {shape.shape} has {shape.ninf} width dims; at most 2 are supported"
        )
    return std / math.sqrt(shape.width_mult) if shape.ninf == 2 else float(std)


def mup_normal_(
    model: nn.Module, std: float = 0.02, *, generator: torch.Generator | None = None
) -> nn.Module:
    """Re-initialise every weight (tensors with >= 2 dims) as ``N(0, mup_init_std(shape, std)^2)``.

    One-dimensional tensors (biases, norm gains) are left as they are. The base shapes must be
    set (:func:`set_base_shapes`).

    Args:
        model: the model.
        std: the standard deviation at the base width (e.g. GPT-2's 0.02).
        generator: random generator (default: torch's global one).

    Returns:
        ``model``.
    """
    shapes = get_base_shapes(model)
    with torch.no_grad():
        for name, _, _, p in _owned_params(model):
            if p.dim() >= 2:
                p.normal_(0.0, mup_init_std(shapes[name], std), generator=generator)
    return model


# -- attention --------------------------------------------------------------------------------------


def mup_attention_scale(head_dim: int, base_head_dim: int = 64) -> float:
    """The muP attention-logit scale ``sqrt(base_head_dim) / head_dim``.

    muP scales q.k by 1/d instead of 1/sqrt(d) (TP5, Sec. 4 and App. B); anchoring at the base head
    size keeps the base model unchanged, giving the ``mup`` package's ``8/d`` at base 64.
    """
    d = check_int("head_dim", head_dim)
    b = check_int("base_head_dim", base_head_dim)
    return math.sqrt(b) / d


def mup_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    *,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    dropout_p: float = 0.0,
    base_head_dim: int = 64,
) -> Tensor:
    """Scaled dot-product attention with the muP scale :func:`mup_attention_scale`.

    Args:
        query: ``(*, L, d)``; key: ``(*, S, d)``; value: ``(*, S, d_v)``.
        attn_mask, is_causal, dropout_p: as in ``torch.nn.functional.scaled_dot_product_attention``.
        base_head_dim: head size at which the scale equals 1/sqrt(d).

    Returns:
        ``(*, L, d_v)``.
    """
    if query.dim() < 2 or query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query (*, L, d) and key (*, S, d) must share d; got {tuple(query.shape)} and {tuple(key.shape)}"
        )
    scale = mup_attention_scale(int(query.shape[-1]), base_head_dim)
    return F.scaled_dot_product_attention(
        query,
        key,
        value,
        attn_mask=attn_mask,
        dropout_p=dropout_p,
        is_causal=is_causal,
        scale=scale,
    )


# -- coordinate check and learning-rate sweep ---------------------------------------------------------

Builder = Callable[[int], nn.Module]
LossFn = Callable[[Tensor, Tensor], Tensor]


def _check_widths(widths: Sequence[int]) -> tuple[int, ...]:
    if isinstance(widths, int | str) or not isinstance(widths, Sequence) or not widths:
        raise ConfigError(f"widths must be a non-empty sequence of ints; got {widths!r}")
    out = tuple(check_int(f"widths[{i}]", w) for i, w in enumerate(widths))
    if list(out) != sorted(set(out)):
        raise ConfigError(f"widths must be strictly increasing; got {out}")
    return out


def _prepare(
    build: Builder,
    width: int,
    parametrization: str,
    base_width: int,
    delta_width: int,
) -> nn.Module:
    model = build(width)
    if not isinstance(model, nn.Module):
        raise TypeError(f"build({width}) must return an nn.Module; got {type(model).__name__}")
    if parametrization == "mup":
        with torch.device("meta"):
            base, delta = build(base_width), build(delta_width)
        set_base_shapes(model, base, delta)
    return model


def _make_optimizer(
    model: nn.Module, optimizer: str, lr: float, parametrization: str
) -> torch.optim.Optimizer:
    groups = mup_param_groups(model, lr, optimizer=optimizer, parametrization=parametrization)  # type: ignore[arg-type]
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}[optimizer]
    return cls(groups, lr=lr)


def _check_common(optimizer: str, parametrization: str, lr: float) -> None:
    if optimizer not in ("adam", "adamw", "sgd"):
        raise ConfigError(f"optimizer must be 'adam', 'adamw' or 'sgd'; got {optimizer!r}")
    if parametrization not in ("mup", "sp"):
        raise ConfigError(f"parametrization must be 'mup' or 'sp'; got {parametrization!r}")
    if not isinstance(lr, int | float) or not lr > 0:
        raise ConfigError(f"lr must be a positive number; got {lr!r}")


@dataclass(frozen=True)
class CoordRecord:
    """Mean absolute coordinate of one module's output at one width, seed and step."""

    width: int
    seed: int
    t: int
    module: str
    l1: float


@dataclass(frozen=True)
class CoordCheck:
    """The result of :func:`coord_check`.

    Attributes:
        widths: widths checked, increasing.
        steps: number of optimizer steps; ``t`` runs from 0 (initialisation) to ``steps``.
        modules: module names recorded, in model order (``"output"`` is the whole model).
        records: one :class:`CoordRecord` per (width, seed, t, module).
    """

    widths: tuple[int, ...]
    steps: int
    modules: tuple[str, ...]
    records: tuple[CoordRecord, ...] = field(repr=False)

    def l1(self, module: str, t: int) -> list[float]:
        """Mean over seeds of the module's mean |activation| at step ``t``, one per width."""
        if module not in self.modules:
            raise ConfigError(f"module must be one of {list(self.modules)}; got {module!r}")
        out = []
        for w in self.widths:
            vals = [r.l1 for r in self.records if r.width == w and r.t == t and r.module == module]
            out.append(sum(vals) / len(vals))
        return out

    def growth(self, module: str, t: int | None = None) -> float:
        """``l1(widest) / l1(narrowest)`` of a module at step ``t`` (default: the last)."""
        vals = self.l1(module, self.steps if t is None else t)
        return vals[-1] / vals[0] if vals[0] > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"widths", "steps", "l1": {module: {t: [per width]}}}``."""
        return {
            "widths": list(self.widths),
            "steps": self.steps,
            "l1": {m: {str(t): self.l1(m, t) for t in range(self.steps + 1)} for m in self.modules},
        }


def coord_check(
    build: Builder,
    widths: Sequence[int],
    inputs: Tensor,
    targets: Tensor,
    *,
    loss_fn: LossFn = F.cross_entropy,
    optimizer: str = "adam",
    lr: float = 1e-2,
    steps: int = 3,
    seeds: int = 1,
    parametrization: Literal["mup", "sp"] = "mup",
    base_width: int | None = None,
    delta_width: int | None = None,
    modules: Callable[[str], bool] | None = None,
    seed: int = 0,
) -> CoordCheck:
    """Coordinate check: mean |output| of every module across widths while training a few steps.

    For each seed and width, the model ``build(width)`` is built under ``torch.manual_seed(seed)``
    (with base shapes from ``build(base_width)`` and ``build(delta_width)`` on the meta device
    under muP) and trained for ``steps`` steps on the one fixed batch; before each update (and
    after the last) every module's output is recorded as ``mean(|output|)``. Under a correct muP
    the curves are flat in width after the first step; under SP they grow.

    Args:
        build: ``width -> model``.
        widths: increasing widths.
        inputs, targets: the fixed batch.
        loss_fn: ``(output, targets) -> scalar``.
        optimizer: ``"adam"``, ``"adamw"`` or ``"sgd"`` (stock torch optimizers).
        lr: base learning rate.
        steps: optimizer steps (t = 0..steps are recorded).
        seeds: number of seeds (``seed``, ``seed + 1``, ...), averaged by :meth:`CoordCheck.l1`.
        parametrization: ``"mup"`` or ``"sp"`` (same models, one learning rate, no base shapes).
        base_width: width of the base model (default: the smallest width).
        delta_width: width of the delta model (default: twice the base).
        modules: keep only modules whose name passes this filter (the whole model is ``"output"``).
        seed: the first seed.

    Returns:
        A :class:`CoordCheck`.
    """
    ws = _check_widths(widths)
    _check_common(optimizer, parametrization, lr)
    check_int("steps", steps)
    check_int("seeds", seeds)
    bw = check_int("base_width", base_width if base_width is not None else ws[0])
    dw = check_int("delta_width", delta_width if delta_width is not None else 2 * bw)
    if dw == bw:
        raise ConfigError(f"delta_width must differ from base_width; both are {bw}")
    records: list[CoordRecord] = []
    names: list[str] = []
    check_int("seed", seed, low=0)
    for s in range(seed, seed + seeds):
        for w in ws:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(s)
                model = _prepare(build, w, parametrization, bw, dw)
            model.train()
            opt = _make_optimizer(model, optimizer, lr, parametrization)
            current: dict[str, float] = {}
            hooks = []
            for name, module in model.named_modules():
                label = name or "output"
                if modules is not None and not modules(label):
                    continue

                def hook(
                    _m: nn.Module, _i: Any, out: Any, label: str = label, store: dict = current
                ) -> None:
                    if isinstance(out, Tensor) and out.is_floating_point():
                        store[label] = float(out.detach().abs().mean())

                hooks.append(module.register_forward_hook(hook))
            try:
                for t in range(steps + 1):
                    current.clear()
                    out = model(inputs)
                    for label, v in current.items():
                        records.append(CoordRecord(w, s, t, label, v))
                        if label not in names:
                            names.append(label)
                    if t == steps:
                        break
                    opt.zero_grad(set_to_none=True)
                    loss_fn(out, targets).backward()
                    opt.step()
            finally:
                for h in hooks:
                    h.remove()
    # The root module's output is recorded last by hooks; report it last as well.
    ordered = [n for n in names if n != "output"] + (["output"] if "output" in names else [])
    return CoordCheck(ws, steps, tuple(ordered), tuple(records))


def plot_coord_check(
    result: CoordCheck,
    path: str | Path | None = None,
    *,
    axes: Sequence[Any] | None = None,
    title: str = "",
) -> Any:
    """Plot mean |activation| against width, one panel per step, one line per module.

    Needs matplotlib (extra ``report``).

    Args:
        result: from :func:`coord_check`.
        path: save the figure there (PNG/PDF by suffix) when given.
        axes: ``steps + 1`` matplotlib axes to draw into (default: a new figure).
        title: figure title.

    Returns:
        The matplotlib figure.
    """
    from nnatlas.core.optional import require

    plt = require("matplotlib.pyplot", "report")
    n = result.steps + 1
    if axes is None:
        fig, ax_arr = plt.subplots(1, n, figsize=(3.2 * n, 3), squeeze=False)
        axes = list(ax_arr[0])
    elif len(axes) != n:
        raise ConfigError(f"axes must hold {n} axes (steps + 1); got {len(axes)}")
    fig = axes[0].figure
    for t, ax in enumerate(axes):
        for i, m in enumerate(result.modules):
            ax.plot(result.widths, result.l1(m, t), marker="o", ms=3, color=f"C{i % 10}", label=m)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(f"t = {t}")
        ax.set_xlabel("width")
    axes[0].set_ylabel("mean |activation|")
    axes[-1].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(path, bbox_inches="tight")
    return fig


@dataclass(frozen=True)
class LRSweep:
    """Final training loss over widths x learning rates (:func:`lr_sweep`).

    Attributes:
        widths: widths, increasing.
        lrs: learning rates, increasing.
        losses: ``losses[i][j]`` for ``widths[i]``, ``lrs[j]``; ``inf`` where training diverged.
    """

    widths: tuple[int, ...]
    lrs: tuple[float, ...]
    losses: tuple[tuple[float, ...], ...]

    def best_lr(self, width: int) -> float:
        """The learning rate of least final loss at ``width``."""
        if width not in self.widths:
            raise ConfigError(f"width must be one of {list(self.widths)}; got {width}")
        row = self.losses[self.widths.index(width)]
        return self.lrs[min(range(len(row)), key=row.__getitem__)]

    def shift_octaves(self, w0: int, w1: int) -> float:
        """``log2(best_lr(w1) / best_lr(w0))``: how far the optimum moved, in octaves."""
        return math.log2(self.best_lr(w1) / self.best_lr(w0))


def lr_sweep(
    build: Builder,
    widths: Sequence[int],
    lrs: Sequence[float],
    x: Tensor,
    y: Tensor,
    *,
    loss_fn: LossFn = F.cross_entropy,
    optimizer: str = "adam",
    steps: int = 100,
    batch_size: int = 64,
    parametrization: Literal["mup", "sp"] = "mup",
    base_width: int | None = None,
    delta_width: int | None = None,
    seed: int = 0,
    on_result: Callable[[int, float, float], None] | None = None,
) -> LRSweep:
    """Train every (width, learning rate) and record the final loss on all of ``(x, y)``.

    Every run uses the same initial weights for a given width (``torch.manual_seed(seed)`` before
    ``build``) and the same minibatch sequence (a generator seeded with ``seed``), so the runs
    differ only by width and learning rate.

    Args:
        build: ``width -> model``.
        widths: increasing widths.
        lrs: increasing base learning rates.
        x, y: the training set ``(N, ...)``, ``(N,)``.
        loss_fn: ``(output, targets) -> scalar``.
        optimizer: ``"adam"``, ``"adamw"`` or ``"sgd"``.
        steps: optimizer steps per run.
        batch_size: minibatch size (sampled without replacement, reshuffled each epoch).
        parametrization: ``"mup"`` (with :func:`mup_param_groups`) or ``"sp"``.
        base_width, delta_width: as in :func:`coord_check`.
        seed: seed of initialisation and minibatch order.
        on_result: called as ``on_result(width, lr, loss)`` after each run (e.g. logging).

    Returns:
        An :class:`LRSweep`; diverged runs (non-finite loss) have loss ``inf``.
    """
    ws = _check_widths(widths)
    if isinstance(lrs, int | float) or not lrs or list(lrs) != sorted(set(lrs)) or min(lrs) <= 0:
        raise ConfigError(
            f"lrs must be a non-empty increasing sequence of positive numbers; got {lrs!r}"
        )
    _check_common(optimizer, parametrization, float(lrs[0]))
    check_int("steps", steps)
    n = x.shape[0]
    check_int("batch_size", batch_size, high=n, high_name="len(x)")
    bw = check_int("base_width", base_width if base_width is not None else ws[0])
    dw = check_int("delta_width", delta_width if delta_width is not None else 2 * bw)
    batches = _batch_indices(n, batch_size, steps, seed)
    table = []
    for w in ws:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            init = _prepare(build, w, parametrization, bw, dw)
        state = {k: v.clone() for k, v in init.state_dict().items()}
        row = []
        for lr in lrs:
            init.load_state_dict(state)
            opt = _make_optimizer(init, optimizer, float(lr), parametrization)
            init.train()
            loss = math.inf
            for idx in batches:
                opt.zero_grad(set_to_none=True)
                step_loss = loss_fn(init(x[idx]), y[idx])
                if not torch.isfinite(step_loss):
                    break
                step_loss.backward()
                opt.step()
            else:
                with torch.no_grad():
                    final = float(loss_fn(init(x), y))
                loss = final if math.isfinite(final) else math.inf
            row.append(loss)
            if on_result is not None:
                on_result(w, float(lr), loss)
        table.append(tuple(row))
    return LRSweep(ws, tuple(float(v) for v in lrs), tuple(table))


def _batch_indices(n: int, batch_size: int, steps: int, seed: int) -> list[Tensor]:
    gen = torch.Generator().manual_seed(seed)
    out: list[Tensor] = []
    perm = torch.randperm(n, generator=gen)
    pos = 0
    while len(out) < steps:
        if pos + batch_size > n:
            perm, pos = torch.randperm(n, generator=gen), 0
        out.append(perm[pos : pos + batch_size])
        pos += batch_size
    return out


# -- conformance ----------------------------------------------------------------------------------


def _readout_case(dtype: torch.dtype) -> nn.Module:
    layer = MuReadout(16, 3, output_mult=2.0, dtype=dtype)
    set_base_shapes(layer, {"weight": (None, 4), "bias": (None,)})
    return layer


register_module_case(
    "MuReadout",
    build=_readout_case,
    inputs=lambda dtype: (torch.randn(5, 16, dtype=dtype),),
)
register_module_case(
    "MuReadout-plain",
    build=lambda dtype: MuReadout(8, 2, bias=False, dtype=dtype),
    inputs=lambda dtype: (torch.randn(2, 3, 8, dtype=dtype),),
)
