"""Neural Metamorphosis: an implicit neural representation of a family of networks.

Paper: *Neural Metamorphosis* (Xingyi Yang, Xinchao Wang; ECCV 2024), arXiv 2410.11878.

NeuMeta learns one function ``F`` from the coordinate of a weight in "model space" to its value,
so that a network of any width in a family can be instantiated without retraining:

* **Coordinates.** For morphable tensor ``k`` of ``K`` and entry ``(i, j)`` of its first two
  dimensions (out, in; 1-D tensors use ``j = 0``), the raw coordinate is
  ``[k, i, j, K, size0, size1]`` (:func:`weight_coordinates`). In training, uniform noise of
  ``±noise/2`` index units jitters ``i`` and ``j``.
* **Encoding.** NeRF Fourier features of the normalised coordinate (:func:`fourier_features`).
* **INR.** One residual MLP per morphable tensor, routed by ``k``; its output is one whole
  kernel (``kh·kw`` values; 1 for linear layers and 1-D tensors) and is divided by ``size1``,
  so an input-side width change is a change of Riemann-sum resolution (:class:`NeuMeta`).
* **Permutation smoothing** before training: channels of every group of coupled tensors (a
  layer's outputs, its bias, a following BatchNorm's parameters *and running statistics*, the
  next layer's inputs; in a residual network, every tensor touching the residual stream) are
  reordered by a shortest Hamiltonian path on their L1 distances. This is function
  preserving and lowers the total variation the INR has to fit
  (:func:`smooth_permutation`, :func:`total_variation`).
* **Inference.** Weights averaged over several coordinate-noise draws, the first one clean
  (:meth:`NeuMeta.sample`).

Deviations from the official code (Adamdad/neumeta):

* Noise is added to ``i`` and ``j`` only, and the sub-network is chosen by the clean ``k``
  (the official code jitters all six numbers and routes by ``int()`` of the noisy ``k``, so
  half of a tensor's noisy coordinates are served by the previous tensor's network).
* Positions are cell centres ``(i + ½)/size0`` (official: ``i/size0``), so that unit ``i`` of
  a width-``h`` layer sits at the centre of the interval it covers in the continuum.
* Channel groups are given explicitly (:class:`ChannelGroup`, with
  :func:`sequential_channel_groups` for ``nn.Sequential`` chains) instead of being found by
  torch-pruning's dependency graph; the shortest Hamiltonian path is found by nearest-neighbour
  starts plus 2-opt (exact for ≤ 9 channels by brute force) instead of ``fast_tsp``.
* Kernel outputs have the size of each tensor's own kernel instead of a fixed 9.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.func import functional_call

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive

__all__ = [
    "ChannelGroup",
    "MorphedModel",
    "NeuMeta",
    "fourier_features",
    "permute_group",
    "sequential_channel_groups",
    "shortest_hamiltonian_path",
    "smooth_permutation",
    "total_variation",
    "weight_coordinates",
]


# --------------------------------------------------------------------------- permutation


@dataclass(frozen=True)
class ChannelGroup:
    """Tensors whose channels must be permuted together to keep a network's function.

    Attributes:
        members: ``(name, axis, repeat)`` triples: ``name`` as in ``state_dict()`` (parameters
            and buffers), the axis holding the channels, and how many consecutive entries of
            that axis belong to one channel (``> 1`` for a Linear after ``Flatten`` of a
            feature map: ``repeat = H·W``).
        channels: number of channels in the group.
    """

    members: tuple[tuple[str, int, int], ...]
    channels: int

    def __post_init__(self) -> None:
        check_int("channels", self.channels)
        if not isinstance(self.members, tuple) or not self.members:
            raise ConfigError(
                f"members must be a non-empty tuple of (name, axis, repeat); got {self.members!r}"
            )
        for m in self.members:
            ok = isinstance(m, tuple) and len(m) == 3 and isinstance(m[0], str)
            if not ok or any(isinstance(v, bool) or not isinstance(v, int) for v in m[1:]):
                raise ConfigError(f"members must hold (name, axis, repeat) triples; got {m!r}")
            if m[2] < 1:
                raise ConfigError(f"members: repeat must be >= 1; got {m!r}")


def _channel_view(t: Tensor, axis: int, repeat: int, channels: int) -> Tensor:
    """``t`` as ``(channels, -1)``: one row per channel, along ``axis`` in blocks of ``repeat``."""
    moved = t.movedim(axis, 0)
    if moved.shape[0] != channels * repeat:
        raise ConfigError(
            f"axis {axis} of a tensor of shape {tuple(t.shape)} has {moved.shape[0]} entries; "
            f"the group expects channels × repeat = {channels} × {repeat}"
        )
    return moved.reshape(channels, -1)


def _check_members(state: Mapping[str, Tensor], group: ChannelGroup) -> None:
    missing = [name for name, _, _ in group.members if name not in state]
    if missing:
        raise ConfigError(f"group names tensors the model does not have: {missing}")


def _check_model(model: nn.Module) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")


def _check_groups(groups: Sequence[ChannelGroup]) -> list[ChannelGroup]:
    if isinstance(groups, ChannelGroup) or not isinstance(groups, Sequence):
        raise TypeError(
            f"groups must be a sequence of ChannelGroup (wrap one in a list); got "
            f"{type(groups).__name__}"
        )
    for g in groups:
        if not isinstance(g, ChannelGroup):
            raise TypeError(f"groups must hold ChannelGroup objects; got {type(g).__name__}")
    return list(groups)


def permute_group(model: nn.Module, group: ChannelGroup, order: Tensor | Sequence[int]) -> None:
    """Reorder the channels of every tensor of ``group`` in place (parameters and buffers).

    Args:
        model: the network.
        group: the coupled tensors.
        order: new channel ``c`` is old channel ``order[c]``; a permutation of ``channels``.
    """
    _check_model(model)
    if not isinstance(group, ChannelGroup):
        raise TypeError(f"group must be a ChannelGroup; got {type(group).__name__}")
    order = torch.as_tensor(order, dtype=torch.long)
    if order.dim() != 1 or sorted(order.tolist()) != list(range(group.channels)):
        raise ConfigError(
            f"order must be a permutation of range({group.channels}); got {order.tolist()}"
        )
    state = dict(itertools.chain(model.named_parameters(), model.named_buffers()))
    _check_members(state, group)
    with torch.no_grad():
        for name, axis, repeat in group.members:
            t = state[name]
            if t.ndim == 0:
                continue
            idx = (order[:, None] * repeat + torch.arange(repeat)).reshape(-1).to(t.device)
            t.copy_(t.index_select(axis, idx))


def total_variation(model: nn.Module, groups: Sequence[ChannelGroup]) -> float:
    """Σ over groups and their parameters of Σ_c ‖w[c+1] − w[c]‖₁ along the channel axis.

    Buffers (BatchNorm statistics) are permuted with their group but not counted: the INR
    does not generate them.
    """
    _check_model(model)
    params = dict(model.named_parameters())
    total = 0.0
    for group in _check_groups(groups):
        for name, axis, repeat in group.members:
            if name in params and params[name].ndim > 0:
                rows = _channel_view(params[name].detach(), axis, repeat, group.channels)
                total += float((rows[1:] - rows[:-1]).abs().sum())
    return total


def _path_length(dist: list[list[float]], order: Sequence[int]) -> float:
    return sum(dist[a][b] for a, b in itertools.pairwise(order))


def shortest_hamiltonian_path(dist: Tensor, *, restarts: int | None = 16) -> list[int]:
    """An open path through all nodes of a distance matrix with (near-)minimal length.

    Exact by enumeration for ≤ 8 nodes; otherwise the best nearest-neighbour path over
    ``restarts`` start nodes (``None``: all) improved by 2-opt segment reversals until no
    reversal shortens it (a local optimum, like the official ``fast_tsp`` call).

    Args:
        dist: ``(n, n)`` symmetric non-negative distances.
        restarts: number of start nodes tried for the nearest-neighbour construction.

    Returns:
        A permutation of ``range(n)``.
    """
    if not isinstance(dist, Tensor):
        raise TypeError(f"dist must be a torch.Tensor; got {type(dist).__name__}")
    if dist.ndim != 2 or dist.shape[0] != dist.shape[1]:
        raise ConfigError(f"dist must be a square matrix; got shape {tuple(dist.shape)}")
    if dist.is_complex() or dist.dtype == torch.bool:
        raise ConfigError(f"dist must hold real distances; got {dist.dtype}")
    if not bool(torch.isfinite(dist).all()):
        raise ConfigError("dist must be finite; it holds NaN or inf")
    if restarts is not None:
        check_int("restarts", restarts)
    n = dist.shape[0]
    # Plain lists: the loops below index single entries, which is slow on tensors.
    d: list[list[float]] = dist.detach().double().cpu().tolist()
    if n <= 2:
        return list(range(n))
    if n <= 8:
        best = min(
            (p for p in itertools.permutations(range(n)) if p[0] < p[-1]),
            key=lambda p: _path_length(d, p),
        )
        return list(best)
    starts = range(n) if restarts is None else range(min(n, restarts))
    best_order: list[int] = []
    best_len = math.inf
    for start in starts:
        order = [start]
        left = set(range(n)) - {start}
        while left:
            row = d[order[-1]]
            nxt = min(left, key=row.__getitem__)
            order.append(nxt)
            left.remove(nxt)
        order = _two_opt(d, order)
        length = _path_length(d, order)
        if length < best_len - 1e-12:
            best_order, best_len = order, length
    return best_order


def _two_opt(d: list[list[float]], order: list[int]) -> list[int]:
    n = len(order)
    improved = True
    while improved:
        improved = False
        for i in range(n - 1):
            for j in range(i + 1, n):
                # Reverse order[i..j]; only the edges at the two ends change.
                a, b = order[i], order[j]
                before = after = 0.0
                if i > 0:
                    before += d[order[i - 1]][a]
                    after += d[order[i - 1]][b]
                if j < n - 1:
                    before += d[b][order[j + 1]]
                    after += d[a][order[j + 1]]
                if after < before - 1e-12:
                    order[i : j + 1] = order[i : j + 1][::-1]
                    improved = True
    return order


def smooth_permutation(model: nn.Module, groups: Sequence[ChannelGroup]) -> list[list[int]]:
    """Reorder every group's channels along a shortest Hamiltonian path (in place).

    The rows compared are the concatenation of all the group's *parameters* along its channel
    axis (L1 distance); buffers are permuted with them.

    Returns:
        The order applied to each group.
    """
    _check_model(model)
    params = dict(model.named_parameters())
    state = dict(itertools.chain(model.named_parameters(), model.named_buffers()))
    orders = []
    for group in _check_groups(groups):
        _check_members(state, group)
        rows = [
            _channel_view(params[name].detach(), axis, repeat, group.channels)
            for name, axis, repeat in group.members
            if name in params and params[name].ndim > 0
        ]
        feats = torch.cat(rows, dim=1).double()
        order = shortest_hamiltonian_path(torch.cdist(feats, feats, p=1))
        permute_group(model, group, order)
        orders.append(order)
    return orders


_ELEMENTWISE = (
    nn.ReLU, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.Dropout,
    nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d,
)  # fmt: skip


def sequential_channel_groups(
    model: nn.Sequential, example_input: Tensor, *, prefix: str = ""
) -> list[ChannelGroup]:
    """Channel groups of a plain chain of Linear / Conv2d / BatchNorm / pointwise layers.

    Every hidden layer's output channels form one group with its bias, the BatchNorm that
    follows (weight, bias, running mean and variance) and the next layer's input axis. A
    ``Flatten`` between a feature map and a Linear gives that Linear's inputs ``repeat = H·W``.
    The network's input and output channels are never permuted.

    Args:
        model: the chain.
        example_input: one batch, used to find feature-map sizes at ``Flatten``.
        prefix: prepended to every name (when the chain sits inside a larger model).

    Raises:
        ConfigError: for a module the chain analysis does not understand.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential chain; got {type(model).__name__}")
    if not isinstance(example_input, Tensor):
        raise TypeError(
            f"example_input must be a torch.Tensor batch; got {type(example_input).__name__}"
        )
    groups: list[ChannelGroup] = []
    open_members: list[tuple[str, int, int]] = []
    channels = 0
    repeat = 1
    x = example_input
    with torch.no_grad():
        for name, layer in model.named_children():
            full = f"{prefix}{name}"
            if isinstance(layer, nn.Linear | nn.Conv2d):
                if open_members:
                    open_members.append((f"{full}.weight", 1, repeat))
                    groups.append(ChannelGroup(tuple(open_members), channels))
                open_members = [(f"{full}.weight", 0, 1)]
                if layer.bias is not None:
                    open_members.append((f"{full}.bias", 0, 1))
                channels = (
                    layer.out_channels if isinstance(layer, nn.Conv2d) else layer.out_features
                )
                repeat = 1
            elif isinstance(layer, nn.BatchNorm1d | nn.BatchNorm2d):
                for attr in ("weight", "bias", "running_mean", "running_var"):
                    if getattr(layer, attr) is not None:
                        open_members.append((f"{full}.{attr}", 0, 1))
            elif isinstance(layer, nn.Flatten):
                repeat = math.prod(x.shape[2:]) if x.ndim > 2 else 1
            elif not isinstance(layer, _ELEMENTWISE):
                raise ConfigError(
                    f"sequential_channel_groups does not know how channels flow through "
                    f"{full} ({type(layer).__name__}); give the ChannelGroups explicitly"
                )
            x = layer(x)
    return groups


# --------------------------------------------------------------------------- the INR


def fourier_features(x: Tensor, num_freqs: int) -> Tensor:
    """NeRF positional encoding ``[x, sin(2^m π x), cos(2^m π x)]`` for m < ``num_freqs``.

    Args:
        x: ``(..., d)``.
        num_freqs: number of octaves M.

    Returns:
        ``(..., d·(1 + 2M))``.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor; got {type(x).__name__}")
    if not x.is_floating_point():
        raise ConfigError(f"x must be a float tensor; got {x.dtype}")
    check_int("num_freqs", num_freqs, low=0)
    freqs = (2.0 ** torch.arange(num_freqs, device=x.device, dtype=x.dtype)) * math.pi
    angles = (x.unsqueeze(-1) * freqs).flatten(-2)
    return torch.cat([x, torch.sin(angles), torch.cos(angles)], dim=-1)


def weight_coordinates(k: int, num_tensors: int, shape: Sequence[int]) -> Tensor:
    """Raw coordinates ``[k, i, j, K, size0, size1]`` of every (i, j) entry of a tensor.

    Args:
        k: index of the tensor among the ``num_tensors`` morphable ones.
        num_tensors: K.
        shape: the tensor's shape; 1-D tensors use ``j = 0`` and ``size1 = 1``.

    Returns:
        ``(size0·size1, 6)`` float64 coordinates, row-major in (i, j).
    """
    check_int("num_tensors", num_tensors)
    check_int("k", k, low=0, high=num_tensors - 1, high_name="num_tensors - 1")
    if (
        isinstance(shape, str)
        or not isinstance(shape, Sequence | torch.Size)
        or len(shape) == 0
        or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in shape)
    ):
        raise ConfigError(f"shape must be a non-empty sequence of positive ints; got {shape!r}")
    s0 = int(shape[0])
    s1 = int(shape[1]) if len(shape) > 1 else 1
    i, j = torch.meshgrid(torch.arange(s0), torch.arange(s1), indexing="ij")
    n = s0 * s1
    const = torch.tensor([k, num_tensors, s0, s1], dtype=torch.float64).expand(n, 4)
    return torch.stack(
        [
            const[:, 0],
            i.reshape(-1).double(),
            j.reshape(-1).double(),
            const[:, 1],
            const[:, 2],
            const[:, 3],
        ],
        dim=1,
    )


class _ResMLP(nn.Module):
    def __init__(
        self,
        in_dim: int,
        hidden: int,
        layers: int,
        out_dim: int,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        self.inp = nn.Linear(in_dim, hidden, device=device, dtype=dtype)
        self.blocks = nn.ModuleList(
            nn.Linear(hidden, hidden, device=device, dtype=dtype) for _ in range(layers - 1)
        )
        self.scales = nn.Parameter(
            torch.full((max(layers - 1, 0),), 0.1, device=device, dtype=dtype)
        )
        self.out = nn.Linear(hidden, out_dim, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        z = torch.relu(self.inp(x))
        for scale, block in zip(self.scales, self.blocks, strict=True):
            z = z + scale * torch.relu(block(z))
        return self.out(z)


class NeuMeta(nn.Module):
    """An implicit neural representation of the weights of a family of networks.

    Args:
        reference: one member of the family (its morphable tensors fix their order, rank and
            kernel size; their first two dimensions may differ between members).
        morph: names (as in ``named_parameters``) of the generated tensors, in order.
        hidden: width of each per-tensor residual MLP (official ResNet20 config: 512).
        layers: number of hidden layers of each MLP (official: 8).
        num_freqs: Fourier octaves M (official: 16–32).
        noise: coordinate noise in index units, used when ``noise`` is not given to
            :meth:`forward` and the module is in training mode.
        norm: divisor of the size entries ``K, size0, size1`` of the coordinate (official: 64).
        device: device of the parameters.
        dtype: dtype of the parameters.
    """

    def __init__(
        self,
        reference: nn.Module,
        morph: Sequence[str],
        *,
        hidden: int = 64,
        layers: int = 3,
        num_freqs: int = 8,
        noise: float = 1.0,
        norm: float = 64.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        _check_model(reference)
        params = dict(reference.named_parameters())
        if isinstance(morph, str) or not isinstance(morph, Sequence):
            raise ConfigError(f"morph must be a sequence of parameter names; got {morph!r}")
        unknown = [m for m in morph if m not in params]
        if not morph or unknown:
            raise ConfigError(
                f"morph must name parameters of the reference model; unknown: {unknown}"
            )
        check_int("hidden", hidden)
        check_int("layers", layers)
        check_int("num_freqs", num_freqs, low=0)
        _check_noise(noise)
        check_positive("norm", norm)
        self.morph = tuple(morph)
        self.kernel_shapes = {m: tuple(params[m].shape[2:]) for m in self.morph}
        self.ranks = {m: params[m].ndim for m in self.morph}
        self.hidden, self.layers, self.num_freqs = hidden, layers, num_freqs
        self.noise, self.norm = float(noise), float(norm)
        in_dim = 6 * (1 + 2 * num_freqs)
        self.nets = nn.ModuleList(
            _ResMLP(in_dim, hidden, layers, max(1, math.prod(self.kernel_shapes[m])), device, dtype)
            for m in self.morph
        )

    def reset_parameters(self) -> None:
        for net in self.nets:
            for m in net.modules():
                if isinstance(m, nn.Linear):
                    m.reset_parameters()
            with torch.no_grad():
                net.scales.fill_(0.1)  # type: ignore[operator]

    def _encode(self, raw: Tensor) -> Tensor:
        k, i, j, big_k, s0, s1 = raw.unbind(-1)
        rel = torch.stack(
            [
                k / big_k,
                (i + 0.5) / s0,
                (j + 0.5) / s1,
                big_k / self.norm,
                s0 / self.norm,
                s1 / self.norm,
            ],
            dim=-1,
        )
        return fourier_features(rel, self.num_freqs)

    def forward(
        self,
        shapes: Mapping[str, Sequence[int]],
        *,
        noise: float | None = None,
        generator: torch.Generator | None = None,
    ) -> dict[str, Tensor]:
        """Generate the morphable tensors of one family member.

        Args:
            shapes: ``{name: shape}`` of the member's morphable tensors (all of ``morph``).
            noise: coordinate noise in index units; default ``self.noise`` in training mode and
                0 in eval mode.
            generator: CPU generator for the noise.

        Returns:
            ``{name: tensor of that shape}``.
        """
        if not isinstance(shapes, Mapping):
            raise TypeError(f"shapes must be a mapping name -> shape; got {type(shapes).__name__}")
        missing = [m for m in self.morph if m not in shapes]
        if missing:
            raise ConfigError(f"shapes lacks morphable tensors {missing}")
        if noise is None:
            noise = self.noise if self.training else 0.0
        _check_noise(noise)
        ref = next(self.parameters())
        out: dict[str, Tensor] = {}
        for k, (name, net) in enumerate(zip(self.morph, self.nets, strict=True)):
            shape = tuple(int(s) for s in shapes[name])
            if len(shape) != self.ranks[name] or tuple(shape[2:]) != self.kernel_shapes[name]:
                raise ConfigError(
                    f"shape of {name!r} must have rank {self.ranks[name]} and kernel "
                    f"{self.kernel_shapes[name]}; got {shape}"
                )
            raw = weight_coordinates(k, len(self.morph), shape)
            if noise > 0:
                jitter = (
                    torch.rand(raw.shape[0], 2, generator=generator, dtype=torch.float64) - 0.5
                ) * noise
                raw = raw.clone()
                raw[:, 1:3] += jitter
            values = net(self._encode(raw).to(device=ref.device, dtype=ref.dtype))
            if len(shape) > 1:
                values = values / shape[1]
            kernel = self.kernel_shapes[name]
            out[name] = values[:, : max(1, math.prod(kernel))].reshape(shape)
        return out

    @torch.no_grad()
    def sample(
        self,
        shapes: Mapping[str, Sequence[int]],
        num_samples: int = 10,
        *,
        noise: float | None = None,
        generator: torch.Generator | None = None,
    ) -> dict[str, Tensor]:
        """Weights averaged over ``num_samples`` coordinate-noise draws, the first one clean.

        Args:
            shapes: as in :meth:`forward`.
            num_samples: number of draws (official default 50; README uses 100).
            noise: noise of the other draws (default ``self.noise``).
            generator: CPU generator for the noise.
        """
        check_int("num_samples", num_samples)
        noise = self.noise if noise is None else noise
        total = self.forward(shapes, noise=0.0)
        for _ in range(num_samples - 1):
            draw = self.forward(shapes, noise=noise, generator=generator)
            total = {k: total[k] + draw[k] for k in total}
        return {k: v / num_samples for k, v in total.items()}

    def extra_repr(self) -> str:
        return (
            f"tensors={len(self.morph)}, hidden={self.hidden}, layers={self.layers}, "
            f"num_freqs={self.num_freqs}, noise={self.noise}, norm={self.norm}"
        )


class MorphedModel(nn.Module):
    """A family member whose morphable tensors come from a :class:`NeuMeta` INR.

    The morphable parameters of ``model`` become non-persistent buffers (their values are
    ignored) and each forward pass generates them from ``inr`` (noisy in training mode).

    Args:
        model: the family member (any width).
        inr: the INR; its ``morph`` names tensors of ``model``.
    """

    def __init__(self, model: nn.Module, inr: NeuMeta) -> None:
        super().__init__()
        _check_model(model)
        if not isinstance(inr, NeuMeta):
            raise TypeError(f"inr must be a NeuMeta; got {type(inr).__name__}")
        params = dict(model.named_parameters())
        missing = [m for m in inr.morph if m not in params]
        if missing:
            raise ConfigError(f"model lacks the INR's morphable tensors {missing}")
        for m in inr.morph:
            if params[m].ndim != inr.ranks[m] or tuple(params[m].shape[2:]) != inr.kernel_shapes[m]:
                raise ConfigError(
                    f"model's {m!r} must have rank {inr.ranks[m]} and kernel "
                    f"{inr.kernel_shapes[m]} (the INR's); got shape {tuple(params[m].shape)}"
                )
        self.shapes = {m: tuple(params[m].shape) for m in inr.morph}
        for name in inr.morph:
            owner_name, _, attr = name.rpartition(".")
            owner = model.get_submodule(owner_name)
            value = owner._parameters.pop(attr)
            assert value is not None
            owner.register_buffer(attr, value.detach().clone(), persistent=False)
        self.model = model
        self.inr = inr

    def forward(self, x: Tensor) -> Tensor:
        """``model(x)`` with generated weights."""
        return functional_call(self.model, self.inr(self.shapes), (x,))


def _check_noise(noise: float) -> None:
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise < math.inf:
        raise ConfigError(f"noise must be a finite number >= 0 (index units); got {noise!r}")
