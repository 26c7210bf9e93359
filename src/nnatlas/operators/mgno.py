"""MgNO: Efficient Parameterization of Linear Operators via Multigrid (He, Liu, Xu; ICLR 2024,
arXiv 2310.19809).

A neural-operator layer is u ↦ σ(W u + b) with W a bounded linear operator between
multi-channel functions. MgNO parameterises the whole multi-channel W as one **V-cycle**
(:class:`MgConv2d`), so the network needs no lifting or projection MLP:

* finest level: u¹ = S⁰ f¹ (a 3×3 convolution from the ``c_f`` input channels to ``c_u``);
* every further smoothing step at level ℓ: u^ℓ ← u^ℓ + S (f^ℓ − A u^ℓ), with A: c_u → c_f and
  S: c_f → c_u learned 3×3 convolutions (own weights per step and level);
* restriction: f^{ℓ+1} = R f^ℓ and u^{ℓ+1} = Π u^ℓ (stride-2 3×3 convolutions);
* upward sweep, coarse to fine: u^ℓ ← u^ℓ + P u^{ℓ+1} (transposed convolution, kernel 4,
  stride 2), then optional post-smoothing steps.

Boundary conditions enter through the padding of every convolution: ``"dirichlet"`` pads with
zeros, ``"periodic"`` wraps around (the transposed convolutions too, by padding their input
circularly and cropping). :class:`MgNO` stacks ``n_layers`` of u ← σ(W^Mg u + C u) where C is a
1×1 convolution with bias (the pointwise term and the bias function), then a bias-free 1×1
convolution to the output channels.

Resolution: every convolution has a fixed stencil on the grid, so the same weights run on any
grid whose sides are divisible by 2^(levels − 1) (checked, with an error naming the sizes). As
with any fixed-stencil CNN, a model trained on one grid is not expected to transfer zero-shot
to a finer one (our notes measured this on Darcy); the paper's claims are about accuracy at the
training resolution.

Deviations from the official code: no LayerNorm variant (the NS model's LayerNorm is tied to a
fixed 64×64 grid), no residual-restriction flag, no output de-normalisation inside the module
(normalise data outside); weights use PyTorch's default convolution initialisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.nn.activations import activation_fn
from nnatlas.operators.validation import check_real_tensor

__all__ = ["MgConv2d", "MgNO"]

Boundary = Literal["dirichlet", "periodic"]


def _check_boundary(boundary: str) -> str:
    if boundary not in ("dirichlet", "periodic"):
        raise ConfigError(f"boundary must be 'dirichlet' or 'periodic'; got {boundary!r}")
    return boundary


def _check_iterations(iterations: Sequence[Sequence[int]]) -> tuple[tuple[int, int], ...]:
    try:
        out = tuple((int(pre), int(post)) for pre, post in iterations)
    except (TypeError, ValueError):
        raise ConfigError(
            f"num_iterations must be a sequence of (pre, post) pairs of ints, one per level; "
            f"got {iterations!r}"
        ) from None
    if not out:
        raise ConfigError("num_iterations must name at least one level")
    for level, (pre, post) in enumerate(out):
        if pre < 0 or post < 0:
            raise ConfigError(f"num_iterations[{level}] = {(pre, post)}: counts must be >= 0")
    if out[0][0] < 1:
        raise ConfigError(
            "num_iterations[0][0] must be >= 1: the first smoothing on the finest level maps "
            f"the input to the output channels; got {out[0]}"
        )
    return out


class _Conv(nn.Conv2d):
    """A bias-free 3×3 convolution padded for the boundary condition."""

    def __init__(self, c_in: int, c_out: int, stride: int, boundary: str, **kw: Any) -> None:
        mode: Literal["circular", "zeros"] = "circular" if boundary == "periodic" else "zeros"
        super().__init__(
            c_in, c_out, 3, stride=stride, padding=1, bias=False, padding_mode=mode, **kw
        )


class _Prolong(nn.ConvTranspose2d):
    """Bias-free transposed convolution (kernel 4, stride 2): an (n, m) grid → (2n, 2m)."""

    def __init__(self, channels: int, boundary: str, **kw: Any) -> None:
        super().__init__(channels, channels, 4, stride=2, padding=1, bias=False, **kw)
        self.periodic = boundary == "periodic"

    def forward(self, x: Tensor, output_size: list[int] | None = None) -> Tensor:
        if not self.periodic:
            return super().forward(x)
        # Wrap one cell on each side, transpose-convolve without padding (2n + 6 outputs) and
        # crop: output j of the padding-1 map is output j + 3 of the padded, unpadded map.
        n, m = x.shape[-2:]
        full = F.conv_transpose2d(F.pad(x, (1, 1, 1, 1), mode="circular"), self.weight, stride=2)
        return full[..., 3 : 3 + 2 * n, 3 : 3 + 2 * m]


class MgConv2d(nn.Module):
    """A multi-channel linear operator parameterised by one multigrid V-cycle (no bias).

    Args:
        in_channels: c_f, channels of the input ("right-hand side") f.
        out_channels: c_u, channels of the output u.
        num_iterations: one ``(pre, post)`` pair of smoothing counts per level, finest first;
            the number of levels is its length (official Darcy default: six levels,
            ``[(1, 0)] * 5 + [(2, 0)]``). ``num_iterations[0][0]`` must be ≥ 1.
        boundary: ``"dirichlet"`` (zero padding) or ``"periodic"`` (circular padding).

    Shapes:
        input (batch, in_channels, H, W) with H and W divisible by 2^(levels − 1) →
        output (batch, out_channels, H, W).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        num_iterations: Sequence[Sequence[int]] = ((1, 0), (1, 0), (1, 0)),
        *,
        boundary: Boundary = "dirichlet",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.out_channels = check_int("out_channels", out_channels)
        self.num_iterations = _check_iterations(num_iterations)
        self.boundary = _check_boundary(boundary)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        cf, cu, bc = in_channels, out_channels, boundary
        self.levels = len(self.num_iterations)
        self.first = _Conv(cf, cu, 1, bc, **kw)
        # Smoothing steps: level ℓ has (pre + post) pairs (A: c_u → c_f, S: c_f → c_u); the
        # first pre-smoothing of level 0 is ``first`` and has no A.
        self.op_a = nn.ModuleList()
        self.op_s = nn.ModuleList()
        for level, (pre, post) in enumerate(self.num_iterations):
            n = pre + post - (1 if level == 0 else 0)
            self.op_a.append(nn.ModuleList(_Conv(cu, cf, 1, bc, **kw) for _ in range(n)))
            self.op_s.append(nn.ModuleList(_Conv(cf, cu, 1, bc, **kw) for _ in range(n)))
        self.restrict_f = nn.ModuleList(_Conv(cf, cf, 2, bc, **kw) for _ in range(self.levels - 1))
        self.restrict_u = nn.ModuleList(_Conv(cu, cu, 2, bc, **kw) for _ in range(self.levels - 1))
        self.prolong = nn.ModuleList(_Prolong(cu, bc, **kw) for _ in range(self.levels - 1))

    @property
    def multiple(self) -> int:
        """Grid sides must be divisible by this: 2^(levels − 1)."""
        return 2 ** (self.levels - 1)

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                m.reset_parameters()

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, num_iterations={list(self.num_iterations)}, "
            f"boundary={self.boundary!r}"
        )

    def check_input(self, x: Tensor) -> None:
        """Raise :class:`ConfigError` unless ``x`` is (batch, in_channels, H, W) on a valid grid."""
        name = type(self).__name__
        check_real_tensor("input", x, name)
        if not isinstance(x, Tensor) or x.dim() != 4 or x.shape[1] != self.in_channels:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ConfigError(
                f"{name} expects input (batch, channels, H, W) with channels={self.in_channels}; "
                f"got {shape}"
            )
        h, w = x.shape[-2:]
        k = self.multiple
        if h % k or w % k:
            raise ConfigError(
                f"{name}: a {self.levels}-level V-cycle needs grid sides divisible by "
                f"2^(levels - 1) = {k}; got {h}×{w} (crop/pad the grid, or use fewer levels)"
            )

    def _smooth(self, level: int, start: int, count: int, f: Tensor, u: Tensor) -> Tensor:
        for i in range(start, start + count):
            smoother: nn.ModuleList = self.op_s[level]  # type: ignore[assignment]
            operator: nn.ModuleList = self.op_a[level]  # type: ignore[assignment]
            u = u + smoother[i](f - operator[i](u))
        return u

    def forward(self, f: Tensor) -> Tensor:
        self.check_input(f)
        fs: list[Tensor] = [f]
        us: list[Tensor] = []
        pre0, _ = self.num_iterations[0]
        u = self._smooth(0, 0, pre0 - 1, f, self.first(f))
        us.append(u)
        for level in range(1, self.levels):
            f = self.restrict_f[level - 1](f)
            u = self.restrict_u[level - 1](u)
            u = self._smooth(level, 0, self.num_iterations[level][0], f, u)
            fs.append(f)
            us.append(u)
        # The coarsest level's post-smoothing steps simply follow its pre-smoothing steps.
        last = self.levels - 1
        pre, post = self.num_iterations[last]
        u = self._smooth(last, pre - (1 if last == 0 else 0), post, fs[last], u)
        for level in range(self.levels - 2, -1, -1):
            u = us[level] + self.prolong[level](u)
            pre, post = self.num_iterations[level]
            start = pre - (1 if level == 0 else 0)
            u = self._smooth(level, start, post, fs[level], u)
        return u


class MgNO(nn.Module):
    """Multigrid neural operator: ``n_layers`` of u ← σ(V-cycle(u) + 1×1 conv(u)), then a
    bias-free 1×1 convolution to the output channels (no lifting or projection MLP).

    Args:
        in_channels: input function channels (1 for Darcy's coefficient).
        out_channels: output function channels.
        width: hidden channels c_u (paper, Darcy: 24).
        n_layers: number of MgNO layers (paper, Darcy: 4 or 5).
        num_iterations: ``(pre, post)`` smoothing counts per level of every V-cycle.
        boundary: ``"dirichlet"`` (zero padding, e.g. Darcy) or ``"periodic"`` (circular).
        activation: a name of :data:`nnatlas.nn.activations.ACTIVATIONS` (paper: ``gelu``).

    Shapes:
        input (batch, in_channels, H, W), H and W divisible by 2^(levels − 1) →
        output (batch, out_channels, H, W).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        width: int = 24,
        n_layers: int = 4,
        num_iterations: Sequence[Sequence[int]] = ((1, 0), (1, 0), (1, 0), (1, 0)),
        *,
        boundary: Boundary = "dirichlet",
        activation: str = "gelu",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.out_channels = check_int("out_channels", out_channels)
        self.width = check_int("width", width)
        self.n_layers = check_int("n_layers", n_layers)
        self._act = activation_fn(activation)
        self.activation = activation
        self.boundary = _check_boundary(boundary)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        channels = [in_channels] + [width] * n_layers
        self.cycles = nn.ModuleList(
            MgConv2d(c, width, num_iterations, boundary=boundary, **kw) for c in channels[:-1]
        )
        self.pointwise = nn.ModuleList(nn.Conv2d(c, width, 1, **kw) for c in channels[:-1])
        self.head = nn.Conv2d(width, out_channels, 1, bias=False, **kw)

    @property
    def multiple(self) -> int:
        """Grid sides must be divisible by this: 2^(levels − 1)."""
        first: MgConv2d = self.cycles[0]  # type: ignore[assignment]
        return first.multiple

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                m.reset_parameters()

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, out_channels={self.out_channels}, width={self.width}, "
            f"n_layers={self.n_layers}, boundary={self.boundary!r}, activation={self.activation!r}"
        )

    def forward(self, x: Tensor) -> Tensor:
        first: MgConv2d = self.cycles[0]  # type: ignore[assignment]
        first.check_input(x)
        for cycle, point in zip(self.cycles, self.pointwise, strict=True):
            x = self._act(cycle(x) + point(x))
        return self.head(x)
