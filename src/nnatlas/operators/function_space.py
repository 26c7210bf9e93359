"""Function-space layers of the "neural networks → neural operators" recipe (Berner,
Liu-Schiaffini, Kossaifi, Duruisseaux, Bonev, Azizzadenesheli, Anandkumar; "Principled
Approaches for Extending Neural Architectures to Function Spaces for Operator Learning",
arXiv 2506.10973). Every layer reads its input as samples of a function on the unit square and
works on any grid resolution:

* :class:`IntegralOperator2d` — (Kv)(x) = ∫ κ(x, y) v(y) dy with κ a small MLP of the two
  coordinates, discretised by the midpoint rule on cell centres (quadrature weight 1/(HW)).
* :class:`AttentionOperator2d` — attention as an integral operator: the softmax denominator
  Σ_j exp(s_ij) becomes ∫ exp(s(x, y)) dy, i.e. quadrature weights enter the softmax as
  log-weights added to the scores. On a uniform grid the weights cancel and the layer equals
  ordinary softmax attention over the grid points; non-uniform weights can be passed.
* :class:`DifferentialKernelConv2d` — a local k×k stencil whose taps are made to sum to zero
  and divided by the grid spacing h, so as h → 0 it converges to a first-order differential
  operator (Σ_c g_c ∂/∂x_c, with g the stencil's first moment) instead of collapsing to a
  pointwise map, as a plain convolution with fixed taps does.
* :class:`ResolutionWrapper` — the input–output interpolation baseline: resample the input to a
  fixed training grid, run any fixed-resolution module there, resample the output back.
* :func:`multiresolution_batches` — minibatches drawn from several resolutions in turn
  (multi-resolution training), e.g. from ``{s: darcy_data(...).at(s) for s in resolutions}``.

Deviations from the paper and its code: the integral and attention layers are dense
(O((HW)²) time and memory), meant for small grids, not the paper's spectral/GNO fast paths; the
differential layer follows the idea of `neuraloperator`'s finite-difference convolution (zero-
sum kernel, 1/h scaling) with our own parameterisation, on square grids of the unit square only;
the input–output interpolation uses bilinear resampling only (the paper also uses Fourier).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.operators.validation import check_real_tensor

__all__ = [
    "AttentionOperator2d",
    "DifferentialKernelConv2d",
    "IntegralOperator2d",
    "ResolutionWrapper",
    "cell_centers",
    "multiresolution_batches",
]


def cell_centers(height: int, width: int, *, dtype: torch.dtype | None = None,
                 device: torch.device | str | None = None) -> Tensor:  # fmt: skip
    """Cell-centre coordinates ((i + ½)/H, (j + ½)/W) of an H×W grid on the unit square: (H·W, 2).

    Refining by an odd factor keeps the coarse centres among the fine ones.
    """
    check_int("height", height)
    check_int("width", width)
    xs = (torch.arange(height, dtype=dtype, device=device) + 0.5) / height
    ys = (torch.arange(width, dtype=dtype, device=device) + 0.5) / width
    xx, yy = torch.meshgrid(xs, ys, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=-1)


def _check_input(layer: str, x: object, channels: int) -> Tensor:
    check_real_tensor("x", x, layer)
    if not isinstance(x, Tensor) or x.dim() != 4 or x.shape[1] != channels or x.shape[2] < 1:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ConfigError(f"{layer} expects x of shape (batch, {channels}, H, W); got {shape}")
    return x


class IntegralOperator2d(nn.Module):
    """Kernel integral operator (Kv)(x) = ∫_{[0,1]²} κ(x, y) v(y) dy with an MLP kernel.

    κ(x, y) ∈ R^{out×in} is an MLP of the four coordinates (x, y); the integral is the midpoint
    rule on the cell centres of the input grid, Σ_j κ(x_i, y_j) v(y_j) / (H W). Cost
    O((HW)² · hidden) time and memory: for small grids.

    Args:
        in_channels, out_channels: channels of v and of Kv.
        hidden: width of the kernel MLP (two hidden layers).

    Shapes:
        input (batch, in_channels, H, W) → output (batch, out_channels, H, W), any H, W.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden: int = 16,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.out_channels = check_int("out_channels", out_channels)
        self.hidden = check_int("hidden", hidden)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.kernel = nn.Sequential(
            nn.Linear(4, hidden, **kw),
            nn.GELU(),
            nn.Linear(hidden, hidden, **kw),
            nn.GELU(),
            nn.Linear(hidden, out_channels * in_channels, **kw),
        )

    def reset_parameters(self) -> None:
        for m in self.kernel:
            if isinstance(m, nn.Linear):
                m.reset_parameters()

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, hidden={self.hidden}"

    def kernel_matrix(self, height: int, width: int) -> Tensor:
        """κ(x_i, y_j) on the cell centres: (H·W, H·W, out_channels, in_channels)."""
        first = self.kernel[0]
        assert isinstance(first, nn.Linear)
        weight = first.weight
        pts = cell_centers(height, width, dtype=weight.dtype, device=weight.device)
        n = pts.shape[0]
        pairs = torch.cat(
            [pts[:, None, :].expand(n, n, 2), pts[None, :, :].expand(n, n, 2)], dim=-1
        )
        return self.kernel(pairs).reshape(n, n, self.out_channels, self.in_channels)

    def forward(self, x: Tensor) -> Tensor:
        x = _check_input(type(self).__name__, x, self.in_channels)
        b, _, h, w = x.shape
        k = self.kernel_matrix(h, w)
        v = x.reshape(b, self.in_channels, h * w)
        out = torch.einsum("ijoc,bcj->boi", k, v) / (h * w)
        return out.reshape(b, self.out_channels, h, w)


class AttentionOperator2d(nn.Module):
    """Multi-head attention over the grid points as an integral operator.

    out(x) = W_o [∫ exp(s(x, y)) V v(y) w(y) dy / ∫ exp(s(x, y)) w(y) dy], with
    s(x, y) = (Q v(x))·(K v(y)) / √d per head and w the quadrature weights (uniform 1/(HW) by
    default, where the layer equals plain softmax attention over the H·W points).

    Args:
        channels: input and output channels (= embedding size).
        heads: number of heads; must divide ``channels``.

    Shapes:
        input (batch, channels, H, W) [and optional quadrature weights (H, W), positive] →
        output (batch, channels, H, W).
    """

    def __init__(
        self,
        channels: int,
        heads: int = 1,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.channels = check_int("channels", channels)
        self.heads = check_int("heads", heads)
        if channels % heads:
            raise ConfigError(f"heads must divide channels; got channels={channels}, heads={heads}")
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.qkv = nn.Linear(channels, 3 * channels, **kw)
        self.out = nn.Linear(channels, channels, **kw)

    def reset_parameters(self) -> None:
        self.qkv.reset_parameters()
        self.out.reset_parameters()

    def extra_repr(self) -> str:
        return f"{self.channels}, heads={self.heads}"

    def forward(self, x: Tensor, weights: Tensor | None = None) -> Tensor:
        x = _check_input(type(self).__name__, x, self.channels)
        b, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)  # (b, n, c)
        q, k, v = self.qkv(tokens).chunk(3, dim=-1)
        d = c // self.heads

        def split(t: Tensor) -> Tensor:
            return t.reshape(b, h * w, self.heads, d).transpose(1, 2)

        scores = split(q) @ split(k).transpose(-1, -2) / math.sqrt(d)
        if weights is not None:
            if not isinstance(weights, Tensor) or tuple(weights.shape) != (h, w):
                shape = tuple(weights.shape) if isinstance(weights, Tensor) else type(weights)
                raise ConfigError(f"weights must have shape ({h}, {w}); got {shape}")
            check_real_tensor("weights", weights, "AttentionOperator2d")
            if not bool((weights > 0).all() & torch.isfinite(weights).all()):
                raise ConfigError("weights must be finite, positive quadrature weights")
            # ∫ instead of Σ: the weights multiply exp(score), i.e. add log w to the score.
            scores = scores + weights.reshape(-1).to(scores.dtype).log()
        attn = scores.softmax(dim=-1) @ split(v)  # (b, heads, n, d)
        out = self.out(attn.transpose(1, 2).reshape(b, h * w, c))
        return out.transpose(1, 2).reshape(b, c, h, w)


class DifferentialKernelConv2d(nn.Module):
    """Zero-sum k×k stencil divided by the grid spacing: a learnable first-order differential
    operator with a receptive field that shrinks with h.

    The applied taps are (W − mean_taps W) / h with h = 1/n on an n×n grid of the unit square
    (``padding_mode`` ``"circular"`` for periodic data). For a smooth u the output tends to
    Σ_c g_c ∂u/∂x_c, where g = Σ_taps (W − mean W)·offset is the stencil's first moment, with
    an O(h) error.

    Args:
        in_channels, out_channels: channels.
        kernel_size: odd k.
        padding_mode: ``"circular"``, ``"zeros"``, ``"reflect"`` or ``"replicate"``.

    Shapes:
        input (batch, in_channels, n, n) → output (batch, out_channels, n, n), square grids.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        *,
        padding_mode: str = "circular",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.out_channels = check_int("out_channels", out_channels)
        self.kernel_size = check_int("kernel_size", kernel_size)
        if kernel_size % 2 == 0 or kernel_size < 3:
            raise ConfigError(f"kernel_size must be odd and >= 3; got {kernel_size}")
        modes = ("circular", "zeros", "reflect", "replicate")
        if padding_mode not in modes:
            raise ConfigError(f"padding_mode must be one of {list(modes)}; got {padding_mode!r}")
        self.padding_mode = padding_mode
        k = kernel_size
        self.weight = nn.Parameter(
            torch.empty(out_channels, in_channels, k, k, device=device, dtype=dtype)
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"padding_mode={self.padding_mode!r}"
        )

    def stencil(self) -> Tensor:
        """The zero-sum taps W − mean W (before the 1/h scaling): (out, in, k, k)."""
        return self.weight - self.weight.mean(dim=(-2, -1), keepdim=True)

    def forward(self, x: Tensor) -> Tensor:
        x = _check_input(type(self).__name__, x, self.in_channels)
        n = x.shape[-1]
        if x.shape[-2] != n:
            raise ConfigError(
                f"DifferentialKernelConv2d needs a square grid (one spacing h); got "
                f"{tuple(x.shape[-2:])}"
            )
        p = self.kernel_size // 2
        mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
        padded = F.pad(x, (p, p, p, p), mode=mode)
        return F.conv2d(padded, self.stencil()) * n  # divide by h = 1/n


class ResolutionWrapper(nn.Module):
    """Input–output interpolation around a fixed-resolution module.

    Inputs on another grid are resampled (bilinear) to ``resolution``, passed through
    ``module``, and the output is resampled back to the input's grid. On the training grid the
    module is called directly.

    Args:
        module: maps (batch, C, H₀, W₀) to (batch, C', H₀, W₀).
        resolution: the training grid (H₀, W₀), or one int for a square grid.
        align_corners: ``True`` for node grids that include the boundary (e.g. Darcy's), ``False``
            for cell-centred / periodic grids.

    Shapes:
        input (batch, C, H, W) → output (batch, C', H, W).
    """

    def __init__(
        self,
        module: nn.Module,
        resolution: int | tuple[int, int],
        *,
        align_corners: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be an nn.Module; got {type(module).__name__}")
        if isinstance(resolution, int):
            res: tuple[Any, ...] = (resolution, resolution)
        elif isinstance(resolution, tuple | list):
            res = tuple(resolution)
        else:
            res = ()
        if len(res) != 2:
            raise ConfigError(f"resolution must be an int or a pair (H, W); got {resolution!r}")
        self.resolution = (check_int("resolution", res[0]), check_int("resolution", res[1]))
        self.align_corners = bool(align_corners)
        self.module = module

    def reset_parameters(self) -> None:
        reset = getattr(self.module, "reset_parameters", None)
        if callable(reset):
            reset()

    def extra_repr(self) -> str:
        return f"resolution={self.resolution}, align_corners={self.align_corners}"

    def _resize(self, x: Tensor, size: tuple[int, int]) -> Tensor:
        return F.interpolate(x, size=size, mode="bilinear", align_corners=self.align_corners)

    def forward(self, x: Tensor) -> Tensor:
        check_real_tensor("x", x, "ResolutionWrapper")
        if x.dim() != 4:
            shape = tuple(x.shape)
            raise ConfigError(f"ResolutionWrapper expects x of shape (batch, C, H, W); got {shape}")
        grid = (x.shape[-2], x.shape[-1])
        if grid == self.resolution:
            return self.module(x)
        out = self.module(self._resize(x, self.resolution))
        return self._resize(out, grid)


def multiresolution_batches(
    data: Mapping[int, Sequence[Tensor]],
    batch_size: int,
    n_batches: int,
    *,
    schedule: Sequence[int] | None = None,
    seed: int = 0,
) -> Iterator[tuple[int, tuple[Tensor, ...]]]:
    """Yield ``n_batches`` minibatches, cycling through resolutions.

    Each resolution keeps its own shuffled pass over its samples (reshuffled when exhausted; a
    short last batch is dropped unless a pass is shorter than ``batch_size``, in which case the
    whole pass is one batch), so every sample of a resolution is seen once per pass.

    Args:
        data: resolution → tensors with a common first (sample) dimension, e.g.
            ``{s: darcy.at(s) for s in darcy.resolutions}``.
        batch_size: samples per batch.
        n_batches: number of batches to yield.
        schedule: the cycle of resolutions (repeats allowed to weight one more); default: the
            keys of ``data`` in ascending order.
        seed: seed of the shuffles (same seed → same batches).

    Yields:
        ``(resolution, tensors)`` with every tensor indexed by the same sample indices.
    """
    check_int("batch_size", batch_size)
    check_int("n_batches", n_batches)
    if not isinstance(data, Mapping) or not data:
        raise ConfigError("data must be a non-empty mapping resolution -> tensors")
    sizes: dict[int, int] = {}
    for res, tensors in data.items():
        if (
            isinstance(tensors, Tensor)
            or not isinstance(tensors, Sequence)
            or not tensors
            or not all(isinstance(t, Tensor) and t.dim() >= 1 for t in tensors)
        ):
            raise ConfigError(
                f"data[{res!r}] must be a non-empty tuple of tensors; got {type(tensors).__name__}"
            )
        n = tensors[0].shape[0]
        if n < 1 or any(t.shape[0] != n for t in tensors):
            raise ConfigError(
                f"data[{res!r}]: tensors must share a non-empty first dimension; got "
                f"{[tuple(t.shape) for t in tensors]}"
            )
        sizes[res] = n
    cycle = sorted(data) if schedule is None else list(schedule)
    if not cycle or any(r not in data for r in cycle):
        raise ConfigError(f"schedule must list resolutions among {sorted(data)}; got {schedule!r}")
    return _batches(data, sizes, cycle, batch_size, n_batches, seed)


def _batches(
    data: Mapping[int, Sequence[Tensor]],
    sizes: dict[int, int],
    cycle: list[int],
    batch_size: int,
    n_batches: int,
    seed: int,
) -> Iterator[tuple[int, tuple[Tensor, ...]]]:
    gen = torch.Generator().manual_seed(seed)
    queues: dict[int, list[Tensor]] = {r: [] for r in sizes}
    for step in range(n_batches):
        res = cycle[step % len(cycle)]
        if not queues[res]:
            perm = torch.randperm(sizes[res], generator=gen)
            if sizes[res] < batch_size:
                queues[res] = [perm]
            else:
                full = sizes[res] // batch_size
                queues[res] = list(perm[: full * batch_size].split(batch_size))
        idx = queues[res].pop(0)
        yield res, tuple(t[idx.to(t.device)] for t in data[res])
