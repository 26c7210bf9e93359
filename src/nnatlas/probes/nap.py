"""Neural activation patterns (NAPs) of ReLU MLPs: mining, recall/precision, non-ambiguity.

Paper: "Towards Reliable Neural Specifications", Chuqin Geng, Nham Le, Xiaojie Xu, Zhaoyue Wang,
Arie Gurfinkel, Xujie Si (ICML 2023), arXiv 2210.16114.

Method. A NAP of a ReLU network assigns every hidden neuron one of three states: *active*
(pre-activation ≥ 0), *inactive* (pre-activation ≤ 0) or unconstrained. The δ-relaxed mining
rule (the paper's Algorithm 1) looks at the inputs of one class ℓ: with p_i the fraction of them
on which neuron i is active (pre-activation > 0), neuron i is fixed active in NAP_ℓ when
p_i ≥ δ, fixed inactive when p_i ≤ 1 − δ, and left free otherwise. δ = 1 keeps only neurons
that agree on *every* class-ℓ input. **Direction of δ**: a larger δ is a stricter
agreement requirement, so it fixes *fewer* neurons, the NAP region grows, and recall rises
while precision falls. The NAP is then a candidate specification: "every input whose pattern
matches NAP_ℓ is classified ℓ". On held-out data we measure its *recall* (share of class-ℓ
inputs whose pattern matches NAP_ℓ) and *precision* (share of inputs matching NAP_ℓ that the
network predicts as ℓ); two NAPs are trivially *non-ambiguous* when some neuron is fixed
active in one and inactive in the other, so no input can match both. Sound checks of the
specification over an input region live in :mod:`nnatlas.probes.verify`.

Deviations from the paper and its code: patterns are read from the ReLU layers' outputs with
forward hooks (:func:`nnatlas.probes.features.extract_features`), so "active" means
ReLU output > 0 (pre-activation exactly 0 counts as inactive, as in the official mining);
non-ambiguity is only the trivial, syntactic check (a conflicting neuron) — the paper also
asks a verifier about pairs without one; recall and precision are micro-averaged over
classes (each input counts once per class it is tested against).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.probes.features import extract_features

__all__ = [
    "NAP",
    "NAPStats",
    "ReluLayers",
    "activation_patterns",
    "mine_naps",
    "mine_naps_from_patterns",
    "nap_statistics",
    "non_ambiguity",
    "relu_layers",
]

# Modules that may sit between the Linear/ReLU layers without changing the piecewise-linear
# function at evaluation time.
_PASSTHROUGH: tuple[type[nn.Module], ...] = (nn.Identity, nn.Flatten, nn.Dropout)


@dataclass(frozen=True)
class ReluLayers:
    """The affine/ReLU structure of a ReLU MLP, as found by :func:`relu_layers`.

    Attributes:
        linear: names of the ``nn.Linear`` layers, in forward order (one more than ``relu``).
        relu: names of the ``nn.ReLU`` layers; ``relu[k]`` follows ``linear[k]``.
        widths: number of neurons of each hidden (ReLU) layer.
    """

    linear: tuple[str, ...]
    relu: tuple[str, ...]
    widths: tuple[int, ...]

    @property
    def num_neurons(self) -> int:
        """Total number of hidden neurons (the length of a pattern)."""
        return sum(self.widths)


def relu_layers(model: nn.Module) -> ReluLayers:
    """Find the ``Linear → ReLU → … → Linear`` chain of a feed-forward ReLU network.

    The model's leaf modules, in registration order, must be ``Linear`` layers each followed
    by a ``ReLU`` except the last (``Identity``, ``Flatten`` and ``Dropout`` may appear
    anywhere and are ignored). This is what :class:`nnatlas.nn.models.MLP` with
    ``activation="relu"`` and any ``nn.Sequential`` of ``Linear``/``ReLU`` look like.

    Args:
        model: the network.

    Returns:
        The layer names and hidden widths.

    Raises:
        TypeError: ``model`` is not an ``nn.Module``.
        ConfigError: a leaf that is not Linear/ReLU (e.g. ``Tanh``, ``Conv2d``), two Linear or
            two ReLU layers in a row, no hidden layer, a last layer that is not Linear, or
            widths that do not chain.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    linear: list[str] = []
    relu: list[str] = []
    widths: list[int] = []
    expect_linear = True
    previous_out: int | None = None
    for name, module in model.named_modules():
        if list(module.children()) or isinstance(module, _PASSTHROUGH):
            continue
        label = name or "<model>"
        if isinstance(module, nn.Linear):
            if not expect_linear:
                raise ConfigError(
                    f"model must alternate Linear and ReLU layers; layer {label!r} is a second "
                    f"Linear after {linear[-1]!r} with no ReLU between"
                )
            if previous_out is not None and module.in_features != previous_out:
                raise ConfigError(
                    f"layer {label!r} expects {module.in_features} inputs but the previous "
                    f"Linear gives {previous_out}; the layers must chain in registration order"
                )
            linear.append(name)
            previous_out = module.out_features
            expect_linear = False
        elif isinstance(module, nn.ReLU):
            if expect_linear:
                raise ConfigError(
                    f"model must alternate Linear and ReLU layers; ReLU {label!r} does not "
                    "follow a Linear layer"
                )
            relu.append(name)
            assert previous_out is not None
            widths.append(previous_out)
            expect_linear = True
        else:
            raise ConfigError(
                "model must be a feed-forward ReLU network (Linear and ReLU layers only); "
                f"layer {label!r} is a {type(module).__name__}"
            )
    if not relu or len(linear) != len(relu) + 1:
        raise ConfigError(
            "model must be Linear → ReLU → … → Linear with at least one hidden ReLU layer and "
            f"a final Linear; got Linear layers {linear} and ReLU layers {relu}"
        )
    return ReluLayers(tuple(linear), tuple(relu), tuple(widths))


def activation_patterns(
    model: nn.Module,
    x: Tensor,
    *,
    layers: Sequence[str] | None = None,
    batch_size: int = 1024,
) -> Tensor:
    """Which hidden neurons are active (ReLU output > 0) on each input.

    Args:
        model: a ReLU MLP (see :func:`relu_layers`), or any model when ``layers`` is given.
        x: inputs ``(N, *)`` as the model takes them.
        layers: names of the ReLU modules to read (see
            :func:`nnatlas.probes.features.layer_names`); ``None`` finds them with
            :func:`relu_layers`. Explicit names let any architecture be mined (the
            verification tools still need a plain ReLU MLP).
        batch_size: forward in chunks of this size.

    Returns:
        Boolean patterns ``(N, num_neurons)``, the layers concatenated in the given order
        (forward order by default), each layer's output flattened.
    """
    _check_inputs(x)
    names = list(relu_layers(model).relu if layers is None else layers)
    if not names:
        raise ConfigError("layers must name at least one layer; got an empty sequence")
    feats = extract_features(model, x, names, batch_size=batch_size)
    return torch.cat([feats[n] > 0 for n in names], dim=1)


@dataclass(frozen=True, eq=False)  # tensor fields: compare masks explicitly, not with ==
class NAP:
    """The neural activation pattern of one class.

    Attributes:
        label: the class ℓ the pattern specifies.
        active: ``(num_neurons,)`` bool, neurons fixed active (the set A_ℓ).
        inactive: ``(num_neurons,)`` bool, neurons fixed inactive (the set D_ℓ); disjoint
            from ``active``.
        widths: hidden layer widths, to split the concatenated masks per layer.
        delta: the δ it was mined with (``nan`` when built by hand).
        support: number of inputs it was mined from.
    """

    label: int
    active: Tensor
    inactive: Tensor
    widths: tuple[int, ...]
    delta: float = float("nan")
    support: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.label, bool) or not isinstance(self.label, int) or self.label < 0:
            raise ConfigError(f"NAP.label must be a class index (int >= 0); got {self.label!r}")
        n = sum(self.widths)
        for field_name, mask in (("active", self.active), ("inactive", self.inactive)):
            if not isinstance(mask, Tensor) or mask.dtype != torch.bool or mask.shape != (n,):
                shape = tuple(mask.shape) if isinstance(mask, Tensor) else type(mask).__name__
                raise ConfigError(
                    f"NAP.{field_name} must be a bool tensor of shape ({n},) (sum of widths "
                    f"{self.widths}); got {shape}"
                )
        if bool((self.active & self.inactive).any()):
            raise ConfigError("NAP.active and NAP.inactive must be disjoint; they share a neuron")

    @property
    def num_fixed(self) -> int:
        """Number of neurons the pattern constrains."""
        return int(self.active.sum() + self.inactive.sum())

    def layer_masks(self) -> list[tuple[Tensor, Tensor]]:
        """``[(active, inactive), ...]`` per hidden layer, each ``(width,)`` bool."""
        act = torch.split(self.active, list(self.widths))
        ina = torch.split(self.inactive, list(self.widths))
        return list(zip(act, ina, strict=True))

    def contains(self, patterns: Tensor) -> Tensor:
        """Whether each pattern matches this NAP.

        Args:
            patterns: ``(N, num_neurons)`` bool, from :func:`activation_patterns`.

        Returns:
            ``(N,)`` bool on ``patterns``' device: every fixed-active neuron active and every
            fixed-inactive neuron inactive.
        """
        _check_patterns(patterns, self.active.shape[0])
        active = self.active.to(patterns.device)
        inactive = self.inactive.to(patterns.device)
        ok_active = (patterns | ~active).all(dim=1)
        ok_inactive = (~patterns | ~inactive).all(dim=1)
        return ok_active & ok_inactive


def _check_patterns(patterns: Tensor, n: int) -> None:
    if not isinstance(patterns, Tensor) or patterns.dim() != 2 or patterns.shape[1] != n:
        shape = tuple(patterns.shape) if isinstance(patterns, Tensor) else type(patterns).__name__
        raise ConfigError(f"patterns must be a (N, {n}) bool tensor; got {shape}")
    if patterns.dtype != torch.bool:
        raise ConfigError(f"patterns must be bool (from activation_patterns); got {patterns.dtype}")


def _check_labels(name: str, labels: Tensor, n: int) -> None:
    if (
        not isinstance(labels, Tensor)
        or labels.dim() != 1
        or labels.is_floating_point()
        or labels.is_complex()
        or labels.dtype == torch.bool
        or labels.shape[0] != n
    ):
        got = (
            f"shape {tuple(labels.shape)}, dtype {labels.dtype}"
            if isinstance(labels, Tensor)
            else type(labels).__name__
        )
        raise ConfigError(f"{name} must be a 1-D integer tensor of length {n}; got {got}")


def _check_inputs(x: Tensor) -> None:
    """Patterns of NaN inputs would silently read as "inactive": refuse them."""
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor; got {type(x).__name__}")
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ConfigError("x must be finite; it holds NaN or inf")


def _check_naps(naps: Mapping[int, NAP]) -> None:
    if not isinstance(naps, Mapping):
        raise TypeError(f"naps must be a mapping label -> NAP; got {type(naps).__name__}")
    if not naps:
        raise ConfigError("naps must hold at least one NAP; got an empty mapping")
    for label, nap in naps.items():
        if not isinstance(nap, NAP):
            raise TypeError(f"naps[{label!r}] must be a NAP; got {type(nap).__name__}")


def _check_delta(delta: float) -> float:
    if isinstance(delta, bool) or not isinstance(delta, int | float):
        raise TypeError(f"delta must be a float in (0.5, 1]; got {type(delta).__name__}")
    if not 0.5 < float(delta) <= 1.0:
        # δ ≤ 0.5 would put a neuron active on half the inputs in both A and D.
        raise ConfigError(f"delta must be in (0.5, 1]; got {delta}")
    return float(delta)


def mine_naps(
    model: nn.Module,
    x: Tensor,
    labels: Tensor,
    *,
    delta: float = 0.95,
    layers: Sequence[str] | None = None,
    batch_size: int = 1024,
) -> dict[int, NAP]:
    """Mine one δ-relaxed NAP per class (the paper's Algorithm 1).

    Args:
        model: a ReLU MLP (see :func:`relu_layers`).
        x: inputs ``(N, *)``.
        labels: ``(N,)`` integer classes used to group the inputs: the true labels, or the
            model's predictions (the paper uses either).
        delta: agreement threshold in ``(0.5, 1]``: a neuron is fixed active when active on at
            least a fraction δ of the class's inputs, inactive when active on at most 1 − δ.
            Larger δ fixes fewer neurons (1.0: only unanimous neurons).
        layers: ReLU module names to read (``None``: found by :func:`relu_layers`).
        batch_size: forward in chunks of this size.

    Returns:
        ``{label: NAP}`` for every class present in ``labels``.

    Raises:
        ConfigError: δ out of range, or ``labels`` not a 1-D integer tensor matching ``x``.
    """
    delta = _check_delta(delta)
    _check_inputs(x)
    _check_labels("labels", labels, x.shape[0])
    names = relu_layers(model).relu if layers is None else tuple(layers)
    feats = extract_features(model, x, list(names), batch_size=batch_size)
    widths = tuple(feats[n].shape[1] for n in names)
    patterns = torch.cat([feats[n] > 0 for n in names], dim=1)
    return mine_naps_from_patterns(patterns, labels, widths, delta=delta)


def mine_naps_from_patterns(
    patterns: Tensor, labels: Tensor, widths: Sequence[int], *, delta: float = 0.95
) -> dict[int, NAP]:
    """:func:`mine_naps` on precomputed patterns (cheap when sweeping δ).

    Args:
        patterns: ``(N, num_neurons)`` bool.
        labels: ``(N,)`` integer classes.
        widths: hidden layer widths (sum = num_neurons).
        delta: as in :func:`mine_naps`.

    Returns:
        ``{label: NAP}`` for every class present in ``labels``.
    """
    delta = _check_delta(delta)
    widths = tuple(int(w) for w in widths)
    if not isinstance(patterns, Tensor) or patterns.dim() != 2 or patterns.shape[1] != sum(widths):
        shape = tuple(patterns.shape) if isinstance(patterns, Tensor) else type(patterns).__name__
        raise ConfigError(
            f"patterns (N, num_neurons) and widths must agree: sum(widths) = {sum(widths)}; got "
            f"patterns of shape {shape}"
        )
    _check_patterns(patterns, sum(widths))
    _check_labels("labels", labels, patterns.shape[0])
    labels = labels.to(patterns.device)
    naps: dict[int, NAP] = {}
    # A tiny slack so that e.g. 19/20 = 0.95 counts as ≥ 0.95 despite rounding.
    eps = 1e-9
    for label in torch.unique(labels).tolist():
        group = patterns[labels == label]
        freq = group.double().mean(dim=0)
        naps[int(label)] = NAP(
            label=int(label),
            active=(freq >= delta - eps).cpu(),
            inactive=(freq <= 1.0 - delta + eps).cpu(),
            widths=widths,
            delta=delta,
            support=int(group.shape[0]),
        )
    return naps


@dataclass(frozen=True)
class NAPStats:
    """Recall and precision of a set of NAPs on labelled data.

    Attributes:
        recall: micro-averaged: matches of NAP_y(x) over all inputs x (labels y).
        precision: micro-averaged: inputs matching NAP_ℓ and predicted ℓ, over all
            (input, ℓ) matches; ``nan`` when nothing matches any NAP.
        recall_per_class: ``{ℓ: share of class-ℓ inputs matching NAP_ℓ}``.
        precision_per_class: ``{ℓ: share of inputs matching NAP_ℓ predicted ℓ}`` (``nan``
            when none matches).
        matches: ``{ℓ: number of inputs (any class) matching NAP_ℓ}``.
    """

    recall: float
    precision: float
    recall_per_class: dict[int, float]
    precision_per_class: dict[int, float]
    matches: dict[int, int]


def nap_statistics(
    naps: Mapping[int, NAP], patterns: Tensor, labels: Tensor, predictions: Tensor
) -> NAPStats:
    """Recall and precision of NAPs as specifications, on held-out data.

    Recall of NAP_ℓ: the share of class-ℓ inputs (true label) whose pattern matches NAP_ℓ.
    Precision of NAP_ℓ: among all inputs whose pattern matches NAP_ℓ, the share the network
    predicts as ℓ (the specification "NAP_ℓ ⇒ class ℓ" holds on them).

    Args:
        naps: ``{label: NAP}``.
        patterns: ``(N, num_neurons)`` bool.
        labels: ``(N,)`` true classes.
        predictions: ``(N,)`` the network's predicted classes.

    Returns:
        A :class:`NAPStats`.
    """
    _check_naps(naps)
    n = next(iter(naps.values())).active.shape[0]
    _check_patterns(patterns, n)
    _check_labels("labels", labels, patterns.shape[0])
    _check_labels("predictions", predictions, patterns.shape[0])
    labels = labels.to(patterns.device)
    predictions = predictions.to(patterns.device)
    recall_pc: dict[int, float] = {}
    precision_pc: dict[int, float] = {}
    matches: dict[int, int] = {}
    hits = total = agree = matched = 0
    for label, nap in naps.items():
        inside = nap.contains(patterns)
        own = labels == label
        n_own = int(own.sum())
        n_hit = int((inside & own).sum())
        n_in = int(inside.sum())
        n_agree = int((inside & (predictions == label)).sum())
        recall_pc[label] = n_hit / n_own if n_own else float("nan")
        precision_pc[label] = n_agree / n_in if n_in else float("nan")
        matches[label] = n_in
        hits, total, agree, matched = hits + n_hit, total + n_own, agree + n_agree, matched + n_in
    return NAPStats(
        recall=hits / total if total else float("nan"),
        precision=agree / matched if matched else float("nan"),
        recall_per_class=recall_pc,
        precision_per_class=precision_pc,
        matches=matches,
    )


def non_ambiguity(naps: Mapping[int, NAP]) -> Tensor:
    """Which pairs of NAPs cannot both match one input (a conflicting neuron).

    Args:
        naps: ``{label: NAP}``, ``C`` of them.

    Returns:
        ``(C, C)`` bool, symmetric, in the order of ``sorted(naps)``: entry ``(a, b)`` is
        True when some neuron is fixed active in one NAP and inactive in the other, which
        proves that no input matches both (trivial non-ambiguity). False does not prove an
        overlap; a verifier must decide those pairs.
    """
    _check_naps(naps)
    keys = sorted(naps)
    act = torch.stack([naps[k].active for k in keys])  # (C, n)
    ina = torch.stack([naps[k].inactive for k in keys])
    conflict = (act.double() @ ina.double().T) > 0
    return conflict | conflict.T
