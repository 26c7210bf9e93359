"""Conditional computation by stochastic binary gates (Bengio, Léonard, Courville 2013).

Paper: "Estimating or Propagating Gradients Through Stochastic Neurons for Conditional
Computation", Yoshua Bengio, Nicholas Léonard, Aaron Courville, arXiv 1308.3432.

A :class:`GatedLayer` has a main ("expert") path ``H = act(W x + b)`` whose ``out_features``
units are split into ``num_blocks`` equal blocks, and a gater path ``a = V x + c`` feeding one
stochastic neuron per block. The layer's output is ``H ⊙ expand(h)``: a gate that is exactly
zero switches its whole block off, so the block need not be computed. A sparsity penalty
``weight · Σ_k (mean_batch P(h_k ≠ 0) - target)²`` pulls each gate's on-rate to a target.
:class:`GatedMLP` stacks gated layers and a linear read-out.

The gate's estimator is chosen by name from :data:`nnatlas.nn.stochastic_neurons.ESTIMATORS`:
``"st-identity"``, ``"st-sigmoid"`` (straight-through), ``"sts"`` (stochastic times smooth),
``"noisy-rectifier"``, ``"reinforce"`` (unbiased, with the per-unit optimal baseline).

Training contract (the same for every estimator)::

    out = model(x)
    per_example = F.cross_entropy(out, y, reduction="none")
    loss = per_example.mean() + model.auxiliary_loss(per_example)
    loss.backward()

``auxiliary_loss`` adds the sparsity penalty and, for ``"reinforce"``, each gate's surrogate
term (whose value is 0 and whose gradient is the REINFORCE estimate with the task loss as the
signal). It uses the tensors of the last training-mode forward.

Deviations from the paper: the sparsity penalty acts on the gate's *on-probability*
``P(h ≠ 0)`` (``sigm(a)`` for binary gates and the logistic noisy rectifier, ``√sigm(a)`` for
STS), so that every estimator is pulled to the same fraction of computed blocks; the paper
states a target of about 10 % non-zero gates without this per-estimator detail. Blocks are
computed densely and multiplied by the gate (the savings are in principle, not in wall time).
In eval mode the gates use the median of their noise (deterministic; see
:mod:`nnatlas.nn.stochastic_neurons`); the paper does not fix a test-time rule. At low target
rates this median rule switches off many more blocks than sampling does (an STS gate is on at
the median only if ``√sigm(a) > 1/2``, so at a 10 % target nearly every block is off); to test
with sampled gates, as in training, run the model in train mode under ``torch.no_grad()``
(the reproduction in :mod:`nnatlas.papers.stochastic_neurons` does this).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import cast

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int, check_real
from nnatlas.nn._checks import check_factory_dtype, check_input, module_dtype
from nnatlas.nn.activations import ActivationSpec, activation_module
from nnatlas.nn.stochastic_neurons import (
    ESTIMATORS,
    NoisyRectifier,
    ReinforceBernoulli,
    StochasticTimesSmooth,
    StraightThroughBernoulli,
)

__all__ = ["GatedLayer", "GatedMLP", "gate_bias_for_rate", "make_gate"]


def gate_bias_for_rate(estimator: str, rate: float) -> float:
    """The gater pre-activation at which a gate of this estimator is non-zero with ``rate``.

    ``logit(rate)`` for binary gates and the logistic noisy rectifier (``P(h ≠ 0) = sigm(a)``),
    ``logit(rate²)`` for STS (``P(h ≠ 0) = √sigm(a)``).
    """
    if estimator not in ESTIMATORS:
        raise UnknownNameError("estimator", estimator, ESTIMATORS)
    check_real("rate", rate, low=0.0, high=1.0, low_open=True, high_open=True)
    p = rate * rate if estimator == "sts" else rate
    return math.log(p) - math.log1p(-p)


def make_gate(
    estimator: str, num_units: int, generator: torch.Generator | None = None, **factory: object
) -> nn.Module:
    """The stochastic neuron module for an estimator name.

    Args:
        estimator: one of :data:`~nnatlas.nn.stochastic_neurons.ESTIMATORS`.
        num_units: number of gates (used by ``"reinforce"`` for its per-unit baseline).
        generator: optional ``torch.Generator`` for the gate noise.
        factory: ``device``/``dtype`` for the REINFORCE baseline buffers.

    Returns:
        A module mapping pre-activations to gates, with an ``on_probability(a)`` method.
    """
    check_int("num_units", num_units)
    if estimator == "st-identity":
        return StraightThroughBernoulli("identity", generator=generator)
    if estimator == "st-sigmoid":
        return StraightThroughBernoulli("sigmoid", generator=generator)
    if estimator == "sts":
        return StochasticTimesSmooth(generator=generator)
    if estimator == "noisy-rectifier":
        return NoisyRectifier("logistic", generator=generator)
    if estimator == "reinforce":
        return ReinforceBernoulli(num_units, generator=generator, **factory)  # type: ignore[arg-type]
    raise UnknownNameError("estimator", estimator, ESTIMATORS)


class GatedLayer(nn.Module):
    """A fully connected layer whose unit blocks are switched on/off by stochastic gates.

    Args:
        in_features: input size.
        out_features: number of units of the main path (a multiple of ``num_blocks``).
        num_blocks: number of gates; each gates ``out_features // num_blocks`` units.
        estimator: gate estimator name (see :func:`make_gate`).
        activation: main-path activation: a name of :data:`nnatlas.nn.activations.ACTIVATIONS`
            (``"relu"``, ``"tanh"``, ``"gelu"``, ...) or a zero-argument module factory.
        gate_bias: initial bias of the gater (negative: gates start mostly off).
        generator: optional ``torch.Generator`` for the gate noise.
        device, dtype: of the parameters.

    Shape:
        input ``(batch, in_features)``; output ``(batch, out_features)``.

    Attributes:
        last_gates: the gates of the last forward, ``(batch, num_blocks)``, detached.
        last_on_probability: ``P(gate ≠ 0)`` of the last training-mode forward, with its graph
            (``None`` after an eval-mode forward).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        num_blocks: int,
        estimator: str = "st-identity",
        *,
        activation: ActivationSpec = "relu",
        gate_bias: float = -2.0,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        check_factory_dtype(dtype)
        super().__init__()
        check_int("in_features", in_features)
        check_int("out_features", out_features)
        check_int("num_blocks", num_blocks, high=out_features, high_name="out_features")
        if out_features % num_blocks:
            raise ConfigError(
                f"out_features must be a multiple of num_blocks; got out_features={out_features}, "
                f"num_blocks={num_blocks}"
            )
        check_real("gate_bias", gate_bias)
        factory = {"device": device, "dtype": dtype}
        act, self._activation_name = activation_module(activation)
        self.in_features, self.out_features, self.num_blocks = in_features, out_features, num_blocks
        self.estimator = estimator
        self.gate_bias = float(gate_bias)
        self.main = nn.Linear(in_features, out_features, **factory)  # type: ignore[arg-type]
        self.gater = nn.Linear(in_features, num_blocks, **factory)  # type: ignore[arg-type]
        self.activation = act()
        self.gate = make_gate(estimator, num_blocks, generator, **factory)
        self.last_gates: Tensor | None = None
        self.last_on_probability: Tensor | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.main.reset_parameters()
        self.gater.reset_parameters()
        with torch.no_grad():
            self.gater.bias.fill_(self.gate_bias)
        if isinstance(self.gate, ReinforceBernoulli):
            self.gate.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        check_input("GatedLayer", x, dtype=module_dtype(self))
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ConfigError(
                f"input must be (batch, in_features={self.in_features}); got {tuple(x.shape)}"
            )
        a = self.gater(x)
        gates = self.gate(a)
        self.last_gates = gates.detach()
        on_probability = cast(Callable[[Tensor], Tensor], self.gate.on_probability)
        self.last_on_probability = on_probability(a) if self.training else None
        hidden = self.activation(self.main(x))
        # Broadcasting over a (batch, blocks, units per block) view avoids materialising the
        # expanded gate tensor.
        blocks = hidden.unflatten(1, (self.num_blocks, -1)) * gates.unsqueeze(-1)
        return blocks.flatten(1)

    def sparsity_penalty(self, target_rate: float) -> Tensor:
        """``Σ_k (mean_batch P(gate_k ≠ 0) - target_rate)²`` of the last training forward."""
        if self.last_on_probability is None:
            raise RuntimeError("sparsity_penalty() needs a preceding forward in training mode")
        return (self.last_on_probability.mean(0) - target_rate).square().sum()

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"num_blocks={self.num_blocks}, estimator={self.estimator!r}, "
            f"activation={self._activation_name!r}, gate_bias={self.gate_bias}"
        )


class GatedMLP(nn.Module):
    """An MLP whose hidden layers are :class:`GatedLayer` s, then a linear read-out.

    Args:
        in_features: input size (inputs of any trailing shape are flattened).
        hidden: widths of the gated hidden layers.
        out_features: number of outputs.
        num_blocks: gates per hidden layer (one int for all, or one per layer).
        estimator: gate estimator name (see :func:`make_gate`).
        target_rate: target on-rate of every gate, in ``(0, 1)``.
        sparsity_weight: weight of the sparsity penalty (``≥ 0``).
        activation: as in :class:`GatedLayer`.
        gate_bias: initial gater bias; ``None`` (default) starts every gate at the target
            on-rate for a zero input (:func:`gate_bias_for_rate`), so the penalty need not
            first drag the biases there (with Adam at lr 1e-3 that takes hundreds of steps).
        generator: optional ``torch.Generator`` shared by all gates.
        device, dtype: of the parameters.

    Shape:
        input ``(batch, *)`` with ``prod(*) = in_features``; output ``(batch, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int],
        out_features: int,
        num_blocks: int | Sequence[int] = 16,
        estimator: str = "st-identity",
        *,
        target_rate: float = 0.1,
        sparsity_weight: float = 1.0,
        activation: ActivationSpec = "relu",
        gate_bias: float | None = None,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        check_factory_dtype(dtype)
        super().__init__()
        check_int("in_features", in_features)
        check_int("out_features", out_features)
        if isinstance(hidden, str | bytes) or not isinstance(hidden, Sequence):
            raise TypeError(f"hidden must be a sequence of layer widths; got {hidden!r}")
        hidden = [check_int(f"hidden[{i}]", h) for i, h in enumerate(hidden)]
        if not hidden:
            raise ConfigError("hidden must list at least one gated layer width; got []")
        if isinstance(num_blocks, int) and not isinstance(num_blocks, bool):
            blocks = [num_blocks] * len(hidden)
        elif isinstance(num_blocks, Sequence) and not isinstance(num_blocks, str | bytes):
            blocks = [check_int(f"num_blocks[{i}]", b) for i, b in enumerate(num_blocks)]
        else:
            raise TypeError(f"num_blocks must be an int or a sequence of ints; got {num_blocks!r}")
        if len(blocks) != len(hidden):
            raise ConfigError(
                f"num_blocks must be an int or one per hidden layer ({len(hidden)}); got {num_blocks}"
            )
        if estimator not in ESTIMATORS:
            raise UnknownNameError("estimator", estimator, ESTIMATORS)
        check_real("target_rate", target_rate, low=0.0, high=1.0, low_open=True, high_open=True)
        check_real("sparsity_weight", sparsity_weight, low=0.0)
        if gate_bias is None:
            gate_bias = gate_bias_for_rate(estimator, target_rate)
        self.in_features, self.out_features = in_features, out_features
        self.estimator = estimator
        self.target_rate = float(target_rate)
        self.sparsity_weight = float(sparsity_weight)
        widths = [in_features, *hidden]
        self.layers = nn.ModuleList(
            GatedLayer(
                widths[i], widths[i + 1], blocks[i], estimator,
                activation=activation, gate_bias=gate_bias, generator=generator,
                device=device, dtype=dtype,
            )
            for i in range(len(hidden))
        )  # fmt: skip
        self.readout = nn.Linear(widths[-1], out_features, device=device, dtype=dtype)

    def gated_layers(self) -> list[GatedLayer]:
        """The gated hidden layers, in order."""
        return [cast(GatedLayer, layer) for layer in self.layers]

    def reset_parameters(self) -> None:
        for layer in self.gated_layers():
            layer.reset_parameters()
        self.readout.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        check_input(
            "GatedMLP",
            x,
            dtype=module_dtype(self),
            min_ndim=2,
            nonempty=True,
            expected="(batch, *) with data",
        )
        x = x.reshape(x.shape[0], -1)
        for layer in self.layers:
            x = layer(x)
        out: Tensor = self.readout(x)
        return out

    def sparsity_penalty(self) -> Tensor:
        """``sparsity_weight · Σ_layers Σ_k (mean P(gate ≠ 0) - target_rate)²`` (last forward)."""
        penalties = [layer.sparsity_penalty(self.target_rate) for layer in self.gated_layers()]
        return self.sparsity_weight * torch.stack(penalties).sum()

    def auxiliary_loss(self, per_example_loss: Tensor) -> Tensor:
        """Sparsity penalty plus, for REINFORCE gates, their surrogate terms.

        Args:
            per_example_loss: the task loss of the last training forward's batch, ``(batch,)``
                (the REINFORCE learning signal; detached inside).

        Returns:
            A scalar to add to ``per_example_loss.mean()`` before ``backward()``.
        """
        total = self.sparsity_penalty()
        for layer in self.gated_layers():
            gate = layer.gate
            if isinstance(gate, ReinforceBernoulli):
                total = total + gate.surrogate(per_example_loss)
        return total

    def on_fraction(self) -> float:
        """Fraction of non-zero gates over all layers in the last forward."""
        gates = [layer.last_gates for layer in self.gated_layers()]
        if any(g is None for g in gates):
            raise RuntimeError("on_fraction() needs a preceding forward")
        nonzero = sum(int((g != 0).sum()) for g in gates if g is not None)
        return nonzero / sum(g.numel() for g in gates if g is not None)

    def extra_repr(self) -> str:
        return (
            f"estimator={self.estimator!r}, target_rate={self.target_rate}, "
            f"sparsity_weight={self.sparsity_weight}"
        )
