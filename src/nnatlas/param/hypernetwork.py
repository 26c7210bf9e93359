"""Hypernetworks with magnitude invariant parametrizations (MIP).

Paper: *Magnitude Invariant Parametrizations Improve Hypernetwork Learning* (Jose Javier Gonzalez
Ortiz, John Guttag, Adrian Dalca; ICLR 2024), arXiv 2304.07645. Official package: ``hyperlight``.

A hypernetwork ``h_φ`` maps a conditioning vector γ to the weights θ of a *primary* network
``f_θ(x)``; only φ is trained, with γ drawn from its range at every step. With an ordinary MLP
hypernetwork (ReLU-family activations, zero biases) the generated weights scale with ‖γ‖
("magnitude proportionality"), so the primary network's activation and gradient scales depend on
γ and training is slow or unstable. MIP makes two changes:

1. **Input encoding** ``E(γ) = [cos(πγ/2), sin(πγ/2)]`` for γ ∈ [0, 1]: ‖E(γ)‖₂ = √dim γ for
   every γ (:func:`encode_input`).
2. **Additive output residual** ``θ = θ₀ + h_φ(E(γ))`` where θ₀ is a set of independent learned
   weights initialised like an ordinary primary network (here: a copy of the primary network's
   own initial weights, i.e. PyTorch's default init for ``nn.Linear``; the official package
   draws θ₀ afresh: Kaiming-normal weights with the LeakyReLU gain and zero biases. Both keep
   θ₀ as the bias of the hypernetwork's last layer).

Both use the official initialisation: hidden layers Kaiming-normal with ``mode='fan_out'`` and
zero biases, and the output layer initialised block by block, one block per generated tensor, so
that each block's fan-out is that tensor's size rather than the total number of generated
weights; blocks generating biases start at zero.

:class:`HyperModel` turns chosen modules of any primary network into externally parametrized
ones (their parameters become the hypernetwork's output, applied with
:func:`torch.func.functional_call`) and runs several conditioning values at once with
:func:`torch.func.vmap`, one γ per slice of the input batch.

Deviations from the official package:

* Batched conditioning (``gamma`` of shape ``(B, d)``, inputs ``(B, N, ...)``) is supported
  through ``vmap``; the official package takes one γ per batch (hyperlight#4).
* Primary networks with BatchNorm/LayerNorm work (hyperlight#10: its θ₀ initialisation fails on
  1-D tensors): θ₀ is copied from the primary network, so norm scales start at 1. Under ``vmap``
  in training mode each γ slice normalises with its own batch statistics, and the running
  statistics are updated with the mean over the γ slices of the per-slice updates. The running
  statistics are therefore shared by all γ: in eval mode every γ is normalised with statistics
  averaged over γ, which is not the per-γ function trained in train mode when the activation
  statistics depend on γ (prefer LayerNorm/GroupNorm, or evaluate with batch statistics).
* The default (non-MIP) baseline has two initialisations, ``"fan_out"`` (hyperlight's, zero
  biases: magnitude proportional) and ``"pytorch"`` (``nn.Linear``'s default uniform weights and
  biases, which are not exactly proportional): our notes found MIP's gain depends on this choice.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Literal

import torch
from torch import Tensor, nn
from torch.func import functional_call, vmap

from nnatlas.core.errors import ConfigError
from nnatlas.nn.activations import activation_module

__all__ = [
    "HyperModel",
    "HyperNetwork",
    "encode_input",
    "external_shapes",
]

Encoding = Literal["cos|sin", "z|1-z", "none"]
HyperInit = Literal["fan_out", "pytorch"]
_ENCODINGS: dict[str, int] = {"cos|sin": 2, "z|1-z": 2, "none": 1}
GainName = Literal["leaky_relu", "relu", "tanh", "sigmoid", "linear"]
# The Kaiming gain (``nn.init.calculate_gain``) used for each activation of the shared table
# (:mod:`nnatlas.nn.activations`) that hypernetworks accept. Smooth ReLU-likes use the
# LeakyReLU gain, as the official package does.
_GAINS: dict[str, GainName] = {
    "leaky_relu": "leaky_relu",
    "relu": "relu",
    "tanh": "tanh",
    "gelu": "leaky_relu",
    "silu": "leaky_relu",
    "sigmoid": "sigmoid",
    "identity": "linear",
}


def encode_input(gamma: Tensor, mode: Encoding = "cos|sin") -> Tensor:
    """Encode conditioning values for a hypernetwork.

    Args:
        gamma: ``(..., d)`` conditioning values; for ``"cos|sin"`` they should lie in [0, 1].
        mode: ``"cos|sin"`` (MIP: ``[cos(πγ/2), sin(πγ/2)]``, constant norm √d),
            ``"z|1-z"`` (``[γ, 1-γ]``, constant L1 norm on [0, 1]) or ``"none"``.

    Returns:
        ``(..., 2d)`` for the two encodings, ``gamma`` itself for ``"none"``.

    Raises:
        TypeError: ``gamma`` is not a tensor.
        ConfigError: an unknown ``mode``, or ``gamma`` not a float tensor.
    """
    _check_gamma(gamma)
    if mode not in _ENCODINGS:
        raise ConfigError(f"mode must be one of {sorted(_ENCODINGS)}; got {mode!r}")
    if mode == "none":
        return gamma
    if mode == "cos|sin":
        angle = gamma * (math.pi / 2)
        return torch.cat([torch.cos(angle), torch.sin(angle)], dim=-1)
    return torch.cat([gamma, 1 - gamma], dim=-1)


def _check_gamma(gamma: Tensor) -> None:
    if not isinstance(gamma, Tensor):
        raise TypeError(f"gamma must be a torch.Tensor; got {type(gamma).__name__}")
    if not gamma.is_floating_point():
        raise ConfigError(f"gamma must be a float tensor; got {gamma.dtype}")


def _select(model: nn.Module, modules: Sequence[str | type[nn.Module]] | None) -> list[str]:
    """Names (as in ``named_parameters``) of the parameters owned by the selected modules."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
    if modules is None:
        return [n for n, p in model.named_parameters() if p.requires_grad]
    if isinstance(modules, str | type):
        raise TypeError(
            f"modules must be a sequence of module names or nn.Module types; got {modules!r}"
        )
    by_name = dict(model.named_modules())
    chosen: list[str] = []
    for spec in modules:
        if isinstance(spec, str):
            if spec not in by_name:
                raise ConfigError(
                    f"modules: no submodule named {spec!r}; available: {sorted(by_name)[:20]}"
                )
            prefixes = [spec]
        elif isinstance(spec, type) and issubclass(spec, nn.Module):
            prefixes = [n for n, m in by_name.items() if isinstance(m, spec)]
            if not prefixes:
                raise ConfigError(f"modules: the model has no submodule of type {spec.__name__}")
        else:
            raise TypeError(
                f"modules entries must be submodule names or nn.Module types; got {spec!r}"
            )
        for prefix in prefixes:
            owner = by_name[prefix]
            for pname, p in owner.named_parameters(recurse=True):
                full = f"{prefix}.{pname}" if prefix else pname
                if p.requires_grad and full not in chosen:
                    chosen.append(full)
    if not chosen:
        raise ConfigError("modules selected no trainable parameter")
    return chosen


def external_shapes(
    model: nn.Module, modules: Sequence[str | type[nn.Module]] | None = None
) -> dict[str, torch.Size]:
    """Shapes of the parameters a hypernetwork would generate.

    Args:
        model: the primary network.
        modules: submodule names (``"layers.0"``) or module types (``nn.Linear``) whose
            parameters are generated; ``None`` generates every trainable parameter.

    Returns:
        ``{parameter name: shape}`` in ``named_parameters`` order.
    """
    names = _select(model, modules)
    params = dict(model.named_parameters())
    return {name: params[name].shape for name in names}


class HyperNetwork(nn.Module):
    """An MLP from conditioning values γ to a dictionary of weight tensors.

    ``HyperNetwork(d, shapes)`` with the defaults is MIP: cos|sin encoding, the output residual
    θ = θ₀ + Δθ and per-tensor fan-out initialisation. ``encoding="none", residual=False``
    gives the default hypernetwork of the paper's comparisons, with ``init="fan_out"`` (zero
    biases, as in the official package) or ``init="pytorch"``.

    Args:
        input_dim: size d of the conditioning vector.
        output_shapes: ``{name: shape}`` of the generated tensors (see :func:`external_shapes`).
        hidden: hidden layer widths (the paper's example: ``(16, 64, 128)``).
        encoding: input encoding, see :func:`encode_input`.
        residual: add learnable independent weights θ₀ (the output layer's bias) to the
            generated Δθ.
        init: ``"fan_out"`` (Kaiming-normal fan-out, zero biases, output layer initialised per
            generated tensor) or ``"pytorch"`` (``nn.Linear`` defaults).
        activation: a name from :mod:`nnatlas.nn.activations`: ``"leaky_relu"`` (default),
            ``"relu"``, ``"tanh"``, ``"gelu"``, ``"silu"``, ``"sigmoid"`` or ``"identity"``.
        initial: θ₀ for ``residual=True`` (typically the primary network's own initial
            weights); if ``None``, tensors of ≥ 2 dims get Kaiming-normal (fan-in, LeakyReLU
            gain), names ending in ``weight`` of 1 dim get ones and the rest zeros.
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(d,)`` or ``(B, d)``.
        - Output: ``{name: (*shape)}`` or ``{name: (B, *shape)}``.
    """

    def __init__(
        self,
        input_dim: int,
        output_shapes: Mapping[str, Sequence[int]],
        hidden: Sequence[int] = (16, 64, 128),
        *,
        encoding: Encoding = "cos|sin",
        residual: bool = True,
        init: HyperInit = "fan_out",
        activation: str = "leaky_relu",
        initial: Mapping[str, Tensor] | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(input_dim, int) or isinstance(input_dim, bool) or input_dim < 1:
            raise ConfigError(f"input_dim must be a positive int; got {input_dim!r}")
        if encoding not in _ENCODINGS:
            raise ConfigError(f"encoding must be one of {sorted(_ENCODINGS)}; got {encoding!r}")
        if init not in ("fan_out", "pytorch"):
            raise ConfigError(f"init must be 'fan_out' or 'pytorch'; got {init!r}")
        if not isinstance(activation, str):
            raise ConfigError(
                f"activation must be one of {sorted(_GAINS)} (a name); got {activation!r}"
            )
        act_factory, _ = activation_module(activation, allowed=tuple(_GAINS))
        if not output_shapes:
            raise ConfigError("output_shapes must name at least one tensor")
        if isinstance(hidden, int) or any(
            not isinstance(h, int) or isinstance(h, bool) or h < 1 for h in hidden
        ):
            raise ConfigError(f"hidden must be a sequence of positive ints; got {hidden!r}")
        self.input_dim = input_dim
        self.output_shapes = {k: torch.Size(v) for k, v in output_shapes.items()}
        self.hidden = tuple(hidden)
        self.encoding: Encoding = encoding
        self.residual = residual
        self.init: HyperInit = init
        self.activation = activation
        self._offsets: dict[str, tuple[int, int]] = {}
        offset = 0
        for name, shape in self.output_shapes.items():
            self._offsets[name] = (offset, shape.numel())
            offset += shape.numel()
        self.num_outputs = offset
        if initial is not None:
            missing = set(self.output_shapes) - set(initial)
            bad = [
                k
                for k in self.output_shapes
                if k in initial and initial[k].shape != self.output_shapes[k]
            ]
            if missing or bad:
                raise ConfigError(
                    f"initial must give every generated tensor with its shape; missing {sorted(missing)}, "
                    f"wrong shape {bad}"
                )
        self._initial = (
            None
            if initial is None
            else {k: initial[k].detach().clone() for k in self.output_shapes}
        )
        self._gain_name: GainName = _GAINS[activation]
        widths = (input_dim * _ENCODINGS[encoding], *self.hidden)
        layers: list[nn.Module] = []
        for fan_in, fan_out in itertools.pairwise(widths):
            layers += [nn.Linear(fan_in, fan_out, device=device, dtype=dtype), act_factory()]
        self.backbone = nn.Sequential(*layers)
        self.output = nn.Linear(widths[-1], self.num_outputs, device=device, dtype=dtype)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Re-initialise as described in the class docstring (θ₀ from ``initial``)."""
        gain = nn.init.calculate_gain(
            self._gain_name, 0.01 if self._gain_name == "leaky_relu" else None
        )
        for layer in [*self.backbone, self.output]:
            if not isinstance(layer, nn.Linear):
                continue
            if self.init == "pytorch":
                layer.reset_parameters()
            else:
                std = gain / math.sqrt(layer.out_features)
                layer.weight.normal_(0.0, std)
                layer.bias.zero_()
        if self.init == "fan_out":
            # One block per generated tensor, so a small tensor's scale is not set by the
            # total number of generated weights (the official "output split" init).
            for name, (start, size) in self._offsets.items():
                block = self.output.weight[start : start + size]
                if name.endswith("bias"):
                    block.zero_()
                else:
                    block.normal_(0.0, gain / math.sqrt(size))
        if self.residual:
            self.output.bias.copy_(self._theta0())

    def _theta0(self) -> Tensor:
        parts = []
        ref = self.output.bias
        for name, shape in self.output_shapes.items():
            if self._initial is not None:
                t = self._initial[name].to(device=ref.device, dtype=ref.dtype)
            elif len(shape) >= 2:
                t = torch.empty(shape, device=ref.device, dtype=ref.dtype)
                nn.init.kaiming_normal_(t, a=0.01, nonlinearity="leaky_relu")
            elif name.endswith("weight"):
                t = torch.ones(shape, device=ref.device, dtype=ref.dtype)
            else:
                t = torch.zeros(shape, device=ref.device, dtype=ref.dtype)
            parts.append(t.reshape(-1))
        return torch.cat(parts)

    def independent_weights(self) -> dict[str, Tensor]:
        """θ₀ as a dictionary of views (only meaningful with ``residual=True``)."""
        return self._unflatten(self.output.bias)

    def _unflatten(self, flat: Tensor) -> dict[str, Tensor]:
        lead = flat.shape[:-1]
        return {
            name: flat.narrow(-1, start, size).reshape(*lead, *self.output_shapes[name])
            for name, (start, size) in self._offsets.items()
        }

    def forward(self, gamma: Tensor) -> dict[str, Tensor]:
        """Generate the weights for one or a batch of conditioning vectors.

        Args:
            gamma: ``(d,)`` or ``(B, d)``.

        Returns:
            ``{name: (*shape)}`` or ``{name: (B, *shape)}``; NaN in ``gamma`` gives NaN weights
            (not checked, to keep the forward pass free of a device sync).
        """
        _check_gamma(gamma)
        if gamma.ndim not in (1, 2) or gamma.shape[-1] != self.input_dim:
            raise ValueError(
                f"gamma must have shape ({self.input_dim},) or (B, {self.input_dim}); "
                f"got {tuple(gamma.shape)}"
            )
        z = self.backbone(encode_input(gamma, self.encoding))
        return self._unflatten(self.output(z))

    def extra_repr(self) -> str:
        return (
            f"input_dim={self.input_dim}, num_outputs={self.num_outputs}, hidden={self.hidden}, "
            f"encoding={self.encoding!r}, residual={self.residual}, init={self.init!r}, "
            f"activation={self.activation!r}"
        )


class HyperModel(nn.Module):
    """A primary network whose chosen parameters are generated by a :class:`HyperNetwork`.

    The chosen parameters are removed from the primary network (they stay as non-persistent
    buffers holding their initial values, so ``primary`` alone still runs) and supplied by the
    hypernetwork at every call through :func:`torch.func.functional_call`.

    Args:
        primary: the primary network (taken over: its chosen parameters are replaced).
        input_dim: size d of the conditioning vector γ.
        modules: submodule names or module types to generate; ``None``: every parameter.
        hidden, encoding, residual, init, activation: as in :class:`HyperNetwork`; the
            defaults are MIP. With ``residual=True`` θ₀ is the primary network's own initial
            weights.
        device: device of the hypernetwork.
        dtype: dtype of the hypernetwork.

    Shape:
        - ``forward(x, gamma)`` with ``gamma (d,)``: ``x (N, ...)`` → ``primary(x)``.
        - with ``gamma (B, d)``: ``x (B, N, ...)`` → ``(B, ...)``: slice b of the output uses
          the weights generated from ``gamma[b]`` (vectorised with ``vmap``).
    """

    def __init__(
        self,
        primary: nn.Module,
        input_dim: int,
        *,
        modules: Sequence[str | type[nn.Module]] | None = None,
        hidden: Sequence[int] = (16, 64, 128),
        encoding: Encoding = "cos|sin",
        residual: bool = True,
        init: HyperInit = "fan_out",
        activation: str = "leaky_relu",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(primary, nn.Module):
            raise TypeError(f"primary must be an nn.Module; got {type(primary).__name__}")
        names = _select(primary, modules)
        params = dict(primary.named_parameters())
        initial = {n: params[n].detach().to(device=device, dtype=dtype) for n in names}
        self.hypernet = HyperNetwork(
            input_dim,
            {n: params[n].shape for n in names},
            hidden,
            encoding=encoding,
            residual=residual,
            init=init,
            activation=activation,
            initial=initial,
            device=device,
            dtype=dtype,
        )
        for name in names:
            owner_name, _, attr = name.rpartition(".")
            owner = primary.get_submodule(owner_name)
            value = owner._parameters.pop(attr)
            assert value is not None
            owner.register_buffer(attr, value.detach().clone(), persistent=False)
        self.primary = primary
        self.generated = tuple(names)

    def generate(self, gamma: Tensor) -> dict[str, Tensor]:
        """The generated primary-network weights for ``gamma`` (``(d,)`` or ``(B, d)``)."""
        return self.hypernet(gamma)

    def _state(self) -> dict[str, Tensor]:
        skip = set(self.generated)
        state: dict[str, Tensor] = dict(self.primary.named_parameters())
        state.update({n: b for n, b in self.primary.named_buffers() if n not in skip})
        return state

    def forward(self, x: Tensor, gamma: Tensor) -> Tensor:
        """Run the primary network with generated weights; see the class docstring."""
        weights = self.hypernet(gamma)
        if gamma.ndim == 1:
            return functional_call(self.primary, {**self._state(), **weights}, (x,))
        batch = gamma.shape[0]
        if x.shape[0] != batch:
            raise ValueError(
                f"with gamma of shape (B, d) = {tuple(gamma.shape)}, x must be (B, N, ...) with "
                f"B = {batch}; got {tuple(x.shape)}"
            )
        shared = {n: p for n, p in self.primary.named_parameters()}
        buffers = {n: b for n, b in self.primary.named_buffers() if n not in set(self.generated)}
        # Each γ slice gets its own copy of the buffers: BatchNorm's in-place running-stat
        # update then writes a per-slice value, which is averaged back below.
        stacked = {n: b.unsqueeze(0).expand(batch, *b.shape).clone() for n, b in buffers.items()}

        def one(w: dict[str, Tensor], bufs: dict[str, Tensor], xb: Tensor) -> Tensor:
            return functional_call(self.primary, {**shared, **bufs, **w}, (xb,))

        out = vmap(one, randomness="different")(weights, stacked, x)
        if self.training:
            with torch.no_grad():
                for name, buf in buffers.items():
                    new = stacked[name]
                    buf.copy_(new.mean(0) if new.is_floating_point() else new[0])
        return out

    def extra_repr(self) -> str:
        return f"generated={len(self.generated)} tensors"
