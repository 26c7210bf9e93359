"""Non-differentiable networks: the benchmark zoo of PolyStep, each with an optional surrogate.

Paper: An T. Le, "Training Non-Differentiable Networks via Optimal Transport" (2026),
arXiv 2605.01928. Its benchmarks are networks whose exact gradient is zero almost everywhere
(or undefined) for some parameters, so plain backpropagation cannot train them:

* :class:`SpikingMLP`: two hard leaky integrate-and-fire layers (``v ← β v + I``, spike
  ``1[v ≥ threshold]``, reset by multiplication ``v ← v (1 - spike)``), a constant input
  current over ``num_steps`` time steps, logits = output spike counts. Gradient: absent.
* :class:`Int8Linear` / :class:`Int8MLP`: weights and bias replaced by
  ``scale · clip(round(w / scale), -128, 127)``. Gradient of the quantised weights: zero.
* :class:`Staircase` / :class:`StaircaseMLP`: a ``levels``-step floor activation
  ``clip(floor(scale · x), 0, levels - 1)``. Gradient through it: zero.
* :class:`ArgmaxAttention` / :class:`ArgmaxAttentionClassifier`: each query attends to the
  single key of highest score (one-hot argmax). Gradient of the query/key weights: absent.
* :class:`HardMoE` / :class:`HardMoEClassifier`: a gate picks one expert per example by
  argmax. Gradient of the gate: absent.

Every module takes ``surrogate=False`` by default (the exact, non-differentiable model). With
``surrogate=True`` the forward values are bit-identical but the backward pass uses a surrogate:
a fast-sigmoid derivative ``1 / (1 + slope |x|)^2`` for spikes, the straight-through estimator
(identity inside the clip range) for rounding and floors, and the softmax's gradient for the
argmaxes. They are written as ``hard + (soft - soft.detach())`` rather than custom autograd
functions, so they also run under ``torch.func.vmap`` (PolyStep's batched evaluation).

Deviations from the paper: the paper's SNN is 784-128-10 with T = 15 on MNIST, its INT8 and
staircase nets 784-128-128-10, its argmax attention a 128-d representation with 8 slots on
Fashion-MNIST, its MoE 4 experts on MNIST+Fashion-MNIST; the constructors take any sizes, and
the argmax attention here is token self-attention (e.g. the 8 rows of an 8×8 digit as tokens)
rather than slot attention.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive, check_real
from nnatlas.nn._checks import check_factory_dtype, check_input, module_dtype

__all__ = [
    "ArgmaxAttention",
    "ArgmaxAttentionClassifier",
    "HardMoE",
    "HardMoEClassifier",
    "Int8Linear",
    "Int8MLP",
    "SpikingMLP",
    "Staircase",
    "StaircaseMLP",
    "hard_argmax",
    "int8_quantize",
    "spike",
    "staircase",
]


def spike(
    v: Tensor, threshold: float = 1.0, *, surrogate: bool = False, slope: float = 5.0
) -> Tensor:
    """Heaviside spike ``1[v >= threshold]`` (same dtype as ``v``).

    With ``surrogate``, the backward pass uses the fast-sigmoid derivative
    ``1 / (1 + slope |v - threshold|)^2``; otherwise the output has no gradient. NaN
    potentials give no spike (``NaN >= threshold`` is false), as a hard threshold does.
    """
    check_input("spike", v, name="v")
    check_real("threshold", threshold)
    check_positive("slope", slope)
    hard = (v >= threshold).to(v.dtype)
    if not surrogate:
        return hard
    u = v - threshold
    soft = u / (1 + slope * u.abs())
    return hard + (soft - soft.detach())


def int8_quantize(w: Tensor, scale: float = 0.01, *, surrogate: bool = False) -> Tensor:
    """``scale · clip(round(w / scale), -128, 127)``; straight-through backward if ``surrogate``.

    Without the surrogate the gradient with respect to ``w`` is exactly zero (``round``'s).
    """
    check_input("int8_quantize", w, name="w")
    check_positive("scale", scale)
    hard = scale * torch.clamp(torch.round(w / scale), -128, 127)
    if not surrogate:
        return hard
    soft = torch.clamp(w, -128 * scale, 127 * scale)
    return hard + (soft - soft.detach())


def staircase(x: Tensor, levels: int = 5, scale: float = 1.0, *, surrogate: bool = False) -> Tensor:
    """``clip(floor(scale · x), 0, levels - 1)``; straight-through backward if ``surrogate``.

    Without the surrogate the gradient is exactly zero everywhere.
    """
    check_input("staircase", x)
    check_int("levels", levels, low=2)
    check_positive("scale", scale)
    hard = torch.clamp(torch.floor(scale * x), 0, levels - 1)
    if not surrogate:
        return hard
    soft = torch.clamp(scale * x, 0, levels)
    return hard + (soft - soft.detach())


def hard_argmax(scores: Tensor, *, surrogate: bool = False, dim: int = -1) -> Tensor:
    """One-hot of the argmax along ``dim`` (ties to the first index), in ``scores``' dtype.

    With ``surrogate``, the backward pass is the softmax's (straight-through softmax);
    otherwise the output has no gradient. A NaN score counts as the maximum (``torch.argmax``'s
    rule).
    """
    check_input("hard_argmax", scores, name="scores", min_ndim=1, expected="(..., n) with n >= 1")
    if not isinstance(dim, int) or isinstance(dim, bool) or not -scores.ndim <= dim < scores.ndim:
        raise ConfigError(
            f"dim must be an int in [-{scores.ndim}, {scores.ndim}) for scores of shape "
            f"{tuple(scores.shape)}; got {dim!r}"
        )
    if scores.shape[dim] == 0:
        raise ConfigError(f"scores has no entries along dim={dim} to take an argmax over")
    index = scores.argmax(dim=dim, keepdim=True)
    hard = torch.zeros_like(scores).scatter(dim, index, 1.0)
    if not surrogate:
        return hard
    soft = torch.softmax(scores, dim=dim)
    return hard + (soft - soft.detach())


# --------------------------------------------------------------------------- spiking


class SpikingMLP(nn.Module):
    """Two-layer spiking MLP with hard LIF neurons; logits are output spike counts.

    Args:
        in_features, hidden_features, out_features: layer widths.
        num_steps: time steps T (the input current is constant over time).
        beta: membrane leak β in ``(0, 1]``.
        threshold: firing threshold.
        surrogate: fast-sigmoid surrogate backward (forward unchanged).
        surrogate_slope: slope of the fast sigmoid.

    Shapes:
        x: ``(batch, in_features)`` → ``(batch, out_features)`` spike counts in ``[0, T]``.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        out_features: int,
        *,
        num_steps: int = 8,
        beta: float = 0.95,
        threshold: float = 1.0,
        surrogate: bool = False,
        surrogate_slope: float = 5.0,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        for name, value in (
            ("in_features", in_features),
            ("hidden_features", hidden_features),
            ("out_features", out_features),
            ("num_steps", num_steps),
        ):
            check_int(name, value)
        check_real("beta", beta, low=0.0, high=1.0, low_open=True)
        self.num_steps = num_steps
        self.beta = float(beta)
        self.threshold = check_positive("threshold", threshold)
        self.surrogate = bool(surrogate)
        self.surrogate_slope = check_positive("surrogate_slope", surrogate_slope)
        self.fc1 = nn.Linear(in_features, hidden_features, device=device, dtype=dtype)
        self.fc2 = nn.Linear(hidden_features, out_features, device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        self.fc1.reset_parameters()
        self.fc2.reset_parameters()

    def _fire(self, v: Tensor) -> tuple[Tensor, Tensor]:
        """Spikes and the membrane after reset by multiplication, ``v (1 - spike)``."""
        if self.surrogate:
            s = spike(v, self.threshold, surrogate=True, slope=self.surrogate_slope)
        else:
            s = (v >= self.threshold).to(v.dtype)
        # v - v·s equals v (1 - s) exactly for a 0/1 spike, in one fused pass (addcmul): the
        # batched candidate evaluation is memory-bound on these elementwise ops.
        return torch.addcmul(v, v, s, value=-1.0), s

    def forward(self, x: Tensor) -> Tensor:
        check_input("SpikingMLP", x, dtype=module_dtype(self), ndim=2, last=self.fc1.in_features)
        current = self.fc1(x)
        v1 = torch.zeros_like(current)
        v2: Tensor | None = None
        counts: Tensor | None = None
        for _ in range(self.num_steps):
            v1 = torch.add(current, v1, alpha=self.beta)  # β v + I in one pass
            v1, s1 = self._fire(v1)
            i2 = self.fc2(s1)
            v2 = i2 if v2 is None else torch.add(i2, v2, alpha=self.beta)
            v2, s2 = self._fire(v2)
            counts = s2 if counts is None else counts + s2
        assert counts is not None
        return counts

    def extra_repr(self) -> str:
        return (
            f"num_steps={self.num_steps}, beta={self.beta}, threshold={self.threshold}, "
            f"surrogate={self.surrogate}, surrogate_slope={self.surrogate_slope}"
        )


# --------------------------------------------------------------------------- int8


class Int8Linear(nn.Linear):
    """A linear layer whose weight and bias are quantised to int8 levels on the fly.

    The float parameters are kept (they are what an optimizer moves); the forward pass uses
    ``scale · clip(round(w / scale), -128, 127)``.

    Args:
        in_features, out_features, bias: as in ``nn.Linear``.
        scale: the quantisation step (the paper's 0.01).
        surrogate: straight-through backward (forward unchanged).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        scale: float = 0.01,
        surrogate: bool = False,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        check_int("in_features", in_features)
        check_int("out_features", out_features)
        super().__init__(in_features, out_features, bias, device=device, dtype=dtype)
        self.scale = check_positive("scale", scale)
        self.surrogate = bool(surrogate)

    def forward(self, x: Tensor) -> Tensor:
        check_input("Int8Linear", x, dtype=module_dtype(self), min_ndim=1, last=self.in_features)
        w = int8_quantize(self.weight, self.scale, surrogate=self.surrogate)
        b = (
            None
            if self.bias is None
            else int8_quantize(self.bias, self.scale, surrogate=self.surrogate)
        )
        return F.linear(x, w, b)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, scale={self.scale}, surrogate={self.surrogate}"


class _ThreeLayer(nn.Module):
    """``in → hidden → hidden → out`` with a pluggable middle layer / activation."""

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        out_features: int,
        device: Any,
        dtype: torch.dtype | None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        for name, value in (
            ("in_features", in_features),
            ("hidden_features", hidden_features),
            ("out_features", out_features),
        ):
            check_int(name, value)
        self.fc1 = nn.Linear(in_features, hidden_features, device=device, dtype=dtype)
        self.fc3 = nn.Linear(hidden_features, out_features, device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        for m in self.children():
            reset = getattr(m, "reset_parameters", None)
            if callable(reset):
                reset()


class Int8MLP(_ThreeLayer):
    """``in → hidden (ReLU) → Int8Linear hidden (ReLU) → out``: the paper's INT8 MLP.

    Shapes:
        x: ``(batch, in_features)`` → ``(batch, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        out_features: int,
        *,
        scale: float = 0.01,
        surrogate: bool = False,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__(in_features, hidden_features, out_features, device, dtype)
        self.fc2 = Int8Linear(
            hidden_features,
            hidden_features,
            scale=scale,
            surrogate=surrogate,
            device=device,
            dtype=dtype,
        )

    def forward(self, x: Tensor) -> Tensor:
        check_input("Int8MLP", x, dtype=module_dtype(self), ndim=2, last=self.fc1.in_features)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


# --------------------------------------------------------------------------- staircase


class Staircase(nn.Module):
    """The floor activation ``clip(floor(scale · x), 0, levels - 1)`` (values 0 … levels-1).

    Args:
        levels: number of output levels (≥ 2).
        scale: input scale before the floor.
        surrogate: straight-through backward (forward unchanged).
    """

    def __init__(self, levels: int = 5, scale: float = 1.0, *, surrogate: bool = False) -> None:
        super().__init__()
        self.levels = check_int("levels", levels, low=2)
        self.scale = check_positive("scale", scale)
        self.surrogate = bool(surrogate)

    def forward(self, x: Tensor) -> Tensor:
        check_input("Staircase", x)
        return staircase(x, self.levels, self.scale, surrogate=self.surrogate)

    def extra_repr(self) -> str:
        return f"levels={self.levels}, scale={self.scale}, surrogate={self.surrogate}"


class StaircaseMLP(_ThreeLayer):
    """``in → hidden (Staircase) → hidden (Staircase) → out``: the paper's staircase net.

    Shapes:
        x: ``(batch, in_features)`` → ``(batch, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        out_features: int,
        *,
        levels: int = 5,
        scale: float = 2.0,
        surrogate: bool = False,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__(in_features, hidden_features, out_features, device, dtype)
        self.fc2 = nn.Linear(hidden_features, hidden_features, device=device, dtype=dtype)
        self.act = Staircase(levels, scale, surrogate=surrogate)

    def forward(self, x: Tensor) -> Tensor:
        check_input("StaircaseMLP", x, dtype=module_dtype(self), ndim=2, last=self.fc1.in_features)
        return self.fc3(self.act(self.fc2(self.act(self.fc1(x)))))


# --------------------------------------------------------------------------- argmax attention


class ArgmaxAttention(nn.Module):
    """Single-head self-attention in which each query attends to exactly one key (argmax).

    Args:
        embed_dim: token width E.
        surrogate: straight-through softmax backward (forward unchanged).

    Shapes:
        x: ``(batch, tokens, E)`` → ``(batch, tokens, E)``.
    """

    def __init__(
        self,
        embed_dim: int,
        *,
        surrogate: bool = False,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.embed_dim = check_int("embed_dim", embed_dim)
        self.surrogate = bool(surrogate)
        self.q = nn.Linear(embed_dim, embed_dim, device=device, dtype=dtype)
        self.k = nn.Linear(embed_dim, embed_dim, device=device, dtype=dtype)
        self.v = nn.Linear(embed_dim, embed_dim, device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        for m in (self.q, self.k, self.v):
            m.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        check_input(
            "ArgmaxAttention",
            x,
            dtype=module_dtype(self),
            ndim=3,
            last=self.embed_dim,
            expected=f"(batch, tokens, {self.embed_dim})",
        )
        scores = self.q(x) @ self.k(x).transpose(-1, -2) / math.sqrt(self.embed_dim)
        return hard_argmax(scores, surrogate=self.surrogate) @ self.v(x)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, surrogate={self.surrogate}"


class ArgmaxAttentionClassifier(nn.Module):
    """Tokens → linear embedding + position → argmax attention (residual) → mean pool → classes.

    Args:
        num_tokens: tokens per example (e.g. 8 rows of an 8×8 digit).
        token_features: features per token (e.g. 8 pixels).
        embed_dim: embedding width.
        num_classes: output classes.
        surrogate: straight-through softmax in the attention.

    Shapes:
        x: ``(batch, num_tokens * token_features)`` or ``(batch, num_tokens, token_features)``
        → ``(batch, num_classes)``.
    """

    def __init__(
        self,
        num_tokens: int,
        token_features: int,
        embed_dim: int,
        num_classes: int,
        *,
        surrogate: bool = False,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.num_tokens = check_int("num_tokens", num_tokens)
        self.token_features = check_int("token_features", token_features)
        check_int("num_classes", num_classes)
        check_int("embed_dim", embed_dim)
        self.embed = nn.Linear(token_features, embed_dim, device=device, dtype=dtype)
        self.position = nn.Parameter(torch.empty(num_tokens, embed_dim, device=device, dtype=dtype))
        self.attention = ArgmaxAttention(embed_dim, surrogate=surrogate, device=device, dtype=dtype)
        self.head = nn.Linear(embed_dim, num_classes, device=device, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.embed.reset_parameters()
        nn.init.normal_(self.position, std=0.1)
        self.attention.reset_parameters()
        self.head.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        check_input(
            "ArgmaxAttentionClassifier",
            x,
            dtype=module_dtype(self),
            ndim=2,
            last=self.num_tokens * self.token_features,
        )
        x = x.reshape(x.shape[0], self.num_tokens, self.token_features)
        h = self.embed(x) + self.position
        h = torch.relu(h + self.attention(h))
        return self.head(h.mean(dim=1))

    def extra_repr(self) -> str:
        return f"num_tokens={self.num_tokens}, token_features={self.token_features}"


# --------------------------------------------------------------------------- hard MoE


class HardMoE(nn.Module):
    """Mixture of linear experts with a hard (argmax) gate: each example uses one expert.

    All experts are computed and the chosen one selected by a one-hot mask, which keeps the
    layer free of data-dependent control flow (so it runs under ``vmap``).

    Args:
        in_features, out_features: widths.
        num_experts: number of experts (≥ 2).
        surrogate: straight-through softmax for the gate (forward unchanged).

    Shapes:
        x: ``(batch, in_features)`` → ``(batch, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        num_experts: int = 4,
        *,
        surrogate: bool = False,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.in_features = check_int("in_features", in_features)
        self.out_features = check_int("out_features", out_features)
        self.num_experts = check_int("num_experts", num_experts, low=2)
        self.surrogate = bool(surrogate)
        self.gate = nn.Linear(in_features, num_experts, device=device, dtype=dtype)
        self.weight = nn.Parameter(
            torch.empty(num_experts, out_features, in_features, device=device, dtype=dtype)
        )
        self.bias = nn.Parameter(torch.empty(num_experts, out_features, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.gate.reset_parameters()
        bound = 1 / math.sqrt(self.in_features)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        check_input("HardMoE", x, dtype=module_dtype(self), ndim=2, last=self.in_features)
        mask = hard_argmax(self.gate(x), surrogate=self.surrogate)  # (B, E)
        experts = torch.einsum("bi,eoi->beo", x, self.weight) + self.bias  # (B, E, out)
        return torch.einsum("be,beo->bo", mask, experts)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"num_experts={self.num_experts}, surrogate={self.surrogate}"
        )


class HardMoEClassifier(nn.Module):
    """``in → hidden (ReLU) → HardMoE(hidden → classes)``.

    Shapes:
        x: ``(batch, in_features)`` → ``(batch, num_classes)``.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        num_classes: int,
        num_experts: int = 4,
        *,
        surrogate: bool = False,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        check_int("in_features", in_features)
        check_int("hidden_features", hidden_features)
        check_int("num_classes", num_classes)
        self.trunk = nn.Linear(in_features, hidden_features, device=device, dtype=dtype)
        self.moe = HardMoE(
            hidden_features,
            num_classes,
            num_experts,
            surrogate=surrogate,
            device=device,
            dtype=dtype,
        )

    def reset_parameters(self) -> None:
        self.trunk.reset_parameters()
        self.moe.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        check_input(
            "HardMoEClassifier", x, dtype=module_dtype(self), ndim=2, last=self.trunk.in_features
        )
        return self.moe(torch.relu(self.trunk(x)))
