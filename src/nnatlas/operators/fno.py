"""Fourier Neural Operator (Li, Kovachki, Azizzadenesheli, Liu, Bhattacharya, Stuart, Anandkumar;
"Fourier Neural Operator for Parametric Partial Differential Equations", arXiv 2010.08895).

A Fourier layer maps v ↦ σ(W v + K v) where W is a pointwise (1×1) linear map and the kernel
integral operator K acts in Fourier space: (K v)^(k) = R_k v̂(k) for the lowest ``modes``
frequencies (a learned complex ``in × out`` matrix per retained mode) and 0 above them. Since
the weights live on frequencies, not grid points, the same network runs on any grid that
resolves the retained modes: a grid of n points needs n ≥ 2·modes (checked, with an error
naming the argument). The full model lifts the input channels (plus the grid coordinates) to
``width`` channels pointwise, applies ``n_layers`` Fourier layers (no activation after the
last, as in the paper's code) and projects back with a two-layer pointwise MLP.

Layout: channels first, ``(batch, channels, x)`` and ``(batch, channels, x, y)``, as
``nn.Conv1d/2d``; the grid is taken as uniform on [0, 1] (``linspace``, both ends included).

Deviations from the paper: the complex spectral weights are stored as real tensors with a
trailing dimension of 2 (so any optimizer, weight decay and ``state_dict`` treat them as plain
real parameters); their initialisation is uniform in [0, 1/(in·out)) for both parts, as in the
paper's code. No normalisation layers.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.nn.activations import activation_fn
from nnatlas.operators.validation import check_real_tensor

__all__ = ["FNO1d", "FNO2d", "SpectralConv1d", "SpectralConv2d"]


def _check_grid(name: str, size: int, modes: int, axis: str) -> None:
    if size < 2 * modes:
        raise ConfigError(
            f"{name}: the input grid has {size} points along {axis}, but modes={modes} needs at "
            f"least 2*modes = {2 * modes} points; use a finer grid or fewer modes"
        )


def _check_input(name: str, x: Tensor, dims: int, channels: int) -> None:
    check_real_tensor("x", x, name)
    if not isinstance(x, Tensor) or x.dim() != dims + 2 or x.shape[1] != channels:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        axes = ", ".join(["batch", "channels", "x", "y"][: dims + 2])
        raise ConfigError(
            f"{name} expects x of shape ({axes}) with channels={channels}; got {shape}"
        )


class SpectralConv1d(nn.Module):
    """Kernel integral operator in Fourier space on a 1-D periodic grid.

    out(k) = R_k · v̂(k) for k < ``modes``, 0 otherwise; then back to the grid (``irfft``).

    Args:
        in_channels, out_channels: channel counts.
        modes: number of retained frequencies 0..modes-1.

    Shapes:
        input (batch, in_channels, n) with n ≥ 2·modes → output (batch, out_channels, n).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        modes: int,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.out_channels = check_int("out_channels", out_channels)
        self.modes = check_int("modes", modes)
        self.weight = nn.Parameter(
            torch.empty(in_channels, out_channels, modes, 2, device=device, dtype=dtype)
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.uniform_(0.0, 1.0 / (self.in_channels * self.out_channels))

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, modes={self.modes}"

    def forward(self, x: Tensor) -> Tensor:
        _check_input(type(self).__name__, x, 1, self.in_channels)
        n = x.shape[-1]
        _check_grid(type(self).__name__, n, self.modes, "x")
        xh = torch.fft.rfft(x, dim=-1)[..., : self.modes]
        w = torch.view_as_complex(self.weight)
        out = xh.new_zeros(x.shape[0], self.out_channels, n // 2 + 1)
        out[..., : self.modes] = torch.einsum("bik,iok->bok", xh, w)
        return torch.fft.irfft(out, n=n, dim=-1)


class SpectralConv2d(nn.Module):
    """Kernel integral operator in Fourier space on a 2-D periodic grid.

    Keeps frequencies |k₁| < modes1 (both signs: two weight blocks) and 0 ≤ k₂ < modes2 (the
    real FFT's half-spectrum), each with its own complex ``in × out`` matrix.

    Args:
        in_channels, out_channels: channel counts.
        modes1, modes2: retained frequencies along x and y (``modes2`` defaults to ``modes1``).

    Shapes:
        input (batch, in_channels, n1, n2) with n1 ≥ 2·modes1, n2 ≥ 2·modes2 →
        output (batch, out_channels, n1, n2).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        modes1: int,
        modes2: int | None = None,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.out_channels = check_int("out_channels", out_channels)
        self.modes1 = check_int("modes1", modes1)
        self.modes2 = check_int("modes2", modes1 if modes2 is None else modes2)
        shape = (in_channels, out_channels, self.modes1, self.modes2, 2)
        self.weight_pos = nn.Parameter(torch.empty(shape, device=device, dtype=dtype))
        self.weight_neg = nn.Parameter(torch.empty(shape, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        scale = 1.0 / (self.in_channels * self.out_channels)
        with torch.no_grad():
            self.weight_pos.uniform_(0.0, scale)
            self.weight_neg.uniform_(0.0, scale)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, modes=({self.modes1}, {self.modes2})"

    def forward(self, x: Tensor) -> Tensor:
        _check_input(type(self).__name__, x, 2, self.in_channels)
        n1, n2 = x.shape[-2:]
        _check_grid(type(self).__name__, n1, self.modes1, "x")
        _check_grid(type(self).__name__, n2, self.modes2, "y")
        m1, m2 = self.modes1, self.modes2
        xh = torch.fft.rfft2(x, dim=(-2, -1))
        out = xh.new_zeros(x.shape[0], self.out_channels, n1, n2 // 2 + 1)
        out[..., :m1, :m2] = torch.einsum(
            "bixy,ioxy->boxy", xh[..., :m1, :m2], torch.view_as_complex(self.weight_pos)
        )
        out[..., n1 - m1 :, :m2] = torch.einsum(
            "bixy,ioxy->boxy", xh[..., n1 - m1 :, :m2], torch.view_as_complex(self.weight_neg)
        )
        return torch.fft.irfft2(out, s=(n1, n2), dim=(-2, -1))


class _FNOBase(nn.Module):
    dims: int = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        modes: tuple[int, ...],
        width: int,
        n_layers: int,
        projection_width: int,
        positional_embedding: bool,
        activation: str,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.out_channels = check_int("out_channels", out_channels)
        self.width = check_int("width", width)
        self.n_layers = check_int("n_layers", n_layers)
        self.projection_width = check_int("projection_width", projection_width)
        self.modes = modes
        self.positional_embedding = bool(positional_embedding)
        self.activation = activation
        self._act = activation_fn(activation)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        conv = nn.Conv1d if self.dims == 1 else nn.Conv2d
        lift_in = in_channels + (self.dims if positional_embedding else 0)
        self.lift = conv(lift_in, width, 1, **kw)
        if self.dims == 1:
            self.spectral = nn.ModuleList(
                SpectralConv1d(width, width, modes[0], **kw) for _ in range(n_layers)
            )
        else:
            self.spectral = nn.ModuleList(
                SpectralConv2d(width, width, modes[0], modes[1], **kw) for _ in range(n_layers)
            )
        self.pointwise = nn.ModuleList(conv(width, width, 1, **kw) for _ in range(n_layers))
        self.project1 = conv(width, projection_width, 1, **kw)
        self.project2 = conv(projection_width, out_channels, 1, **kw)

    def reset_parameters(self) -> None:
        for m in self.modules():
            reset = getattr(m, "reset_parameters", None)
            if m is not self and callable(reset):
                reset()

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, out_channels={self.out_channels}, modes={self.modes}, "
            f"width={self.width}, n_layers={self.n_layers}, "
            f"positional_embedding={self.positional_embedding}, activation={self.activation!r}"
        )

    def _grid(self, x: Tensor) -> Tensor:
        b, sizes = x.shape[0], x.shape[2:]
        axes = [torch.linspace(0.0, 1.0, n, device=x.device, dtype=x.dtype) for n in sizes]
        mesh = torch.meshgrid(*axes, indexing="ij")
        return torch.stack(mesh, 0).expand(b, -1, *sizes)

    def forward(self, x: Tensor) -> Tensor:
        _check_input(type(self).__name__, x, self.dims, self.in_channels)
        for axis, (n, m) in enumerate(zip(x.shape[2:], self.modes, strict=True)):
            _check_grid(type(self).__name__, n, m, "xy"[axis])
        if self.positional_embedding:
            x = torch.cat([x, self._grid(x)], dim=1)
        v = self.lift(x)
        for i, (spec, point) in enumerate(zip(self.spectral, self.pointwise, strict=True)):
            v = spec(v) + point(v)
            if i < self.n_layers - 1:
                v = self._act(v)
        return self.project2(self._act(self.project1(v)))


class FNO1d(_FNOBase):
    """Fourier neural operator on a 1-D grid.

    Args:
        in_channels: input function channels (grid coordinates are appended when
            ``positional_embedding``).
        out_channels: output function channels.
        modes: retained Fourier modes per layer.
        width: channels of the hidden functions.
        n_layers: number of Fourier layers.
        projection_width: hidden width of the pointwise projection MLP (128 in the paper).
        positional_embedding: append the x coordinate (linspace on [0, 1]) as an input channel.
        activation: a name of :data:`nnatlas.nn.activations.ACTIVATIONS` (paper: ``gelu``).

    Shapes:
        input (batch, in_channels, n) for any n ≥ 2·modes → output (batch, out_channels, n).
    """

    dims = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        modes: int = 16,
        width: int = 64,
        n_layers: int = 4,
        *,
        projection_width: int = 128,
        positional_embedding: bool = True,
        activation: str = "gelu",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_int("modes", modes)
        super().__init__(
            in_channels, out_channels, (modes,), width, n_layers, projection_width,
            positional_embedding, activation, device, dtype,
        )  # fmt: skip


class FNO2d(_FNOBase):
    """Fourier neural operator on a 2-D grid (the paper's Darcy / Navier–Stokes model).

    Args:
        in_channels, out_channels: input / output function channels.
        modes: retained modes per axis, an int or ``(modes1, modes2)`` (paper: 12).
        width: hidden channels (paper: 32).
        n_layers: Fourier layers (paper: 4).
        projection_width, positional_embedding, activation: as in :class:`FNO1d`.

    Shapes:
        input (batch, in_channels, n1, n2), n_i ≥ 2·modes_i → output (batch, out_channels, n1, n2).
    """

    dims = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        modes: int | tuple[int, int] = 12,
        width: int = 32,
        n_layers: int = 4,
        *,
        projection_width: int = 128,
        positional_embedding: bool = True,
        activation: str = "gelu",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        pair = (modes, modes) if isinstance(modes, int) else tuple(modes)
        if len(pair) != 2:
            raise ConfigError(f"modes must be an int or a pair of ints; got {modes!r}")
        for m in pair:
            check_int("modes", m)
        super().__init__(
            in_channels, out_channels, (int(pair[0]), int(pair[1])), width, n_layers,
            projection_width, positional_embedding, activation, device, dtype,
        )  # fmt: skip
