"""LordNet: an efficient neural network for learning to solve parametric PDEs without simulated
data (Huang, Shi, Gao, Wei, Zhang, Bian, Yang, Liu; arXiv 2206.09418, Neural Networks).

Two pieces:

* **Training without data** — the network N_θ(λ) is trained to make the residual of the
  *discretised* PDE small, L(θ) = E_λ mean_mesh |F_h(N_θ(λ); λ)|² (the mean squared residual,
  MSR), so no solver is ever called. Here: the 5-point Poisson problem −Δ_h u = f with zero
  Dirichlet data (:func:`poisson_residual`, :func:`mean_squared_residual`).
* **Long-range mixing** — the inverse of a discretised elliptic operator is dense, so every
  output depends on every input. :class:`LordMixing` mixes each channel globally along each
  axis, X_c ← M_H^{(c)} X_c (M_W^{(c)})ᵀ: a Kronecker-structured dense map of the H·W grid
  (with the C channels recombined by 1×1 convolutions, a rank-C Kronecker approximation of a
  general (HW) × (HW) layer) at O(C(H²W + HW²)) cost instead of O((HW)²). The matrices can be
  full or low-rank (M = U Vᵀ, rank r). :class:`LordNet` = 1×1 lifting, ``n_blocks`` residual
  blocks x ← x + C₂ σ(C₁ Mix(x) + C₀ x), 1×1 projection.

Deviations from the paper (no official code exists; the block follows our reading of the
paper's description — "a series of matrix multiplications … a low-rank approximation to the
general fully-connected layers" — not its exact figure): the per-axis Kronecker form above,
the block layout and the initialisation are our choices — the mixing matrices start near the
identity (low-rank ones are parameterised as I + U Vᵀ) and each block's last 1×1 convolution at
zero, because random dense mixing emits white noise that the residual loss punishes so hard
that training stalled (measured). The matrices are tied to the grid
size they were built for, so the network runs on that grid only (checked, with a clear error).
The paper's implicit Navier–Stokes step residual is
:func:`nnatlas.operators.residuals.navier_stokes_step_residual` (our spectral discretisation;
LordNet's own is not public); the claim here uses the Poisson residual only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.nn.activations import activation_fn
from nnatlas.operators.validation import check_real_tensor

__all__ = ["LordMixing", "LordNet", "mean_squared_residual", "poisson_residual"]


def _check_pair(u: Tensor, f: Tensor) -> None:
    for name, t in (("u", u), ("f", f)):
        if not isinstance(t, Tensor) or not t.is_floating_point():
            kind = t.dtype if isinstance(t, Tensor) else type(t).__name__
            raise TypeError(f"{name} must be a floating tensor; got {kind}")
    if u.shape != f.shape or u.dim() < 2 or min(u.shape[-2:]) < 1:
        raise ConfigError(
            f"u and f must have the same shape (..., H, W); got {tuple(u.shape)} and {tuple(f.shape)}"
        )


def poisson_residual(u: Tensor, f: Tensor) -> Tensor:
    """Residual −Δ_h u − f of the 5-point Poisson problem with zero Dirichlet data.

    ``u`` and ``f`` hold the **interior** nodes of the unit square: an (H, W) interior belongs to
    the grid x_i = i / (H + 1), i = 0..H+1 (and likewise in y), whose boundary nodes are u = 0.

    Args:
        u: (..., H, W) candidate solution at the interior nodes.
        f: (..., H, W) source at the same nodes.

    Returns:
        (..., H, W): the residual (exactly 0 for the exact discrete solution); NaN where the
        inputs hold NaN (values are not scanned).
    """
    from nnatlas.data.pde.poisson import laplacian_5point

    _check_pair(u, f)
    full = F.pad(u, (1, 1, 1, 1))  # the Dirichlet boundary nodes, u = 0
    return laplacian_5point(full, periodic=False)[..., 1:-1, 1:-1] - f


def mean_squared_residual(u: Tensor, f: Tensor, *, normalize: bool = True) -> Tensor:
    """LordNet's MSR loss for Poisson: mean of |−Δ_h u − f|² over the batch and the grid.

    Args:
        u, f: (batch, ..., H, W) interior values (see :func:`poisson_residual`).
        normalize: divide by mean(f²), so the loss is 1 for u = 0 whatever the scale of f.

    Returns:
        a scalar tensor.
    """
    r = poisson_residual(u, f)
    loss = r.pow(2).mean()
    if normalize:
        loss = loss / f.pow(2).mean().clamp_min(torch.finfo(f.dtype).tiny)
    return loss


class LordMixing(nn.Module):
    """Per-channel global mixing along both axes: X_c ← M_H^{(c)} X_c (M_W^{(c)})ᵀ.

    Args:
        channels: C.
        height, width: the grid (H, W) the matrices act on.
        rank: ``None`` for full H×H and W×W matrices (initialised near the identity); an int r
            for identity-plus-low-rank matrices M = I + U Vᵀ with U, V of shape (n, r).

    Shapes:
        input (batch, C, H, W) → output (batch, C, H, W), for exactly this (H, W).
    """

    def __init__(
        self,
        channels: int,
        height: int,
        width: int,
        *,
        rank: int | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.channels = check_int("channels", channels)
        self.height = check_int("height", height)
        self.width = check_int("width", width)
        self.rank = None if rank is None else check_int("rank", rank)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        if self.rank is None:
            self.m_h = nn.Parameter(torch.empty(channels, height, height, **kw))
            self.m_w = nn.Parameter(torch.empty(channels, width, width, **kw))
        else:
            r = self.rank
            self.u_h = nn.Parameter(torch.empty(channels, height, r, **kw))
            self.v_h = nn.Parameter(torch.empty(channels, height, r, **kw))
            self.u_w = nn.Parameter(torch.empty(channels, width, r, **kw))
            self.v_w = nn.Parameter(torch.empty(channels, width, r, **kw))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # Start near the identity: random dense matrices would emit white noise, which the MSR
        # loss (dominated by the stencil's largest eigenvalues, ~8/h²) punishes so hard that
        # training first has to undo it (measured: no learning at all in 1 500 steps at 15²).
        with torch.no_grad():
            if self.rank is None:
                eye_h = torch.eye(self.height, dtype=self.m_h.dtype, device=self.m_h.device)
                eye_w = torch.eye(self.width, dtype=self.m_w.dtype, device=self.m_w.device)
                self.m_h.normal_(0.0, 0.1 / math.sqrt(self.height)).add_(eye_h)
                self.m_w.normal_(0.0, 0.1 / math.sqrt(self.width)).add_(eye_w)
            else:
                self.u_h.normal_(0.0, 0.1 / math.sqrt(self.rank))
                self.v_h.normal_(0.0, 1.0 / math.sqrt(self.height))
                self.u_w.normal_(0.0, 0.1 / math.sqrt(self.rank))
                self.v_w.normal_(0.0, 1.0 / math.sqrt(self.width))

    def extra_repr(self) -> str:
        return f"{self.channels}, grid=({self.height}, {self.width}), rank={self.rank}"

    def matrices(self) -> tuple[Tensor, Tensor]:
        """The dense per-channel matrices (M_H, M_W): (C, H, H) and (C, W, W)."""
        if self.rank is None:
            return self.m_h, self.m_w
        eye_h = torch.eye(self.height, dtype=self.u_h.dtype, device=self.u_h.device)
        eye_w = torch.eye(self.width, dtype=self.u_w.dtype, device=self.u_w.device)
        return eye_h + self.u_h @ self.v_h.transpose(1, 2), eye_w + self.u_w @ self.v_w.transpose(
            1, 2
        )

    def forward(self, x: Tensor) -> Tensor:
        check_real_tensor("x", x, type(self).__name__)
        if not isinstance(x, Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != (
            self.channels, self.height, self.width,
        ):  # fmt: skip
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ConfigError(
                f"{type(self).__name__} expects x of shape (batch, {self.channels}, {self.height}, "
                f"{self.width}) (its matrices are built for this grid); got {shape}"
            )
        if self.rank is None:
            y = torch.einsum("chk,bckw->bchw", self.m_h, x)
            return torch.einsum("bchk,cwk->bchw", y, self.m_w)
        # Apply (I + U Vᵀ) one factor at a time: O(r n) per line, no n × n matrix is formed.
        y = x + torch.einsum(
            "chr,bcrw->bchw", self.u_h, torch.einsum("chr,bchw->bcrw", self.v_h, x)
        )
        return y + torch.einsum(
            "cwr,bchr->bchw", self.u_w, torch.einsum("cwr,bchw->bchr", self.v_w, y)
        )


class _LordBlock(nn.Module):
    def __init__(
        self,
        channels: int,
        height: int,
        width: int,
        rank: int | None,
        act: Callable[[Tensor], Tensor],
        **kw: Any,
    ) -> None:
        super().__init__()
        self.mix = LordMixing(channels, height, width, rank=rank, **kw)
        self.local = nn.Conv2d(channels, 2 * channels, 1, **kw)
        self.mixed = nn.Conv2d(channels, 2 * channels, 1, bias=False, **kw)
        self.out = nn.Conv2d(2 * channels, channels, 1, **kw)
        self.act = act
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in (self.mix, self.local, self.mixed, self.out):
            m.reset_parameters()
        # Zero-initialised last layer: every block starts as the identity (see LordMixing).
        with torch.no_grad():
            self.out.weight.zero_()
            if self.out.bias is not None:
                self.out.bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        return x + self.out(self.act(self.mixed(self.mix(x)) + self.local(x)))


class LordNet(nn.Module):
    """Low-rank long-range mixing network for fixed-grid PDE solution maps.

    Args:
        in_channels, out_channels: input / output field channels.
        height, width: the grid the network is built for (interior nodes for Dirichlet data).
        channels: hidden channels C (the Kronecker rank of each mixing layer).
        n_blocks: residual blocks.
        rank: ``None`` (full per-axis matrices) or the rank r of their factors.
        activation: a name of :data:`nnatlas.nn.activations.ACTIVATIONS`.

    Shapes:
        input (batch, in_channels, height, width) → output (batch, out_channels, height, width).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        height: int,
        width: int,
        channels: int = 8,
        n_blocks: int = 3,
        *,
        rank: int | None = None,
        activation: str = "gelu",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.out_channels = check_int("out_channels", out_channels)
        self.height = check_int("height", height)
        self.width = check_int("width", width)
        self.channels = check_int("channels", channels)
        self.n_blocks = check_int("n_blocks", n_blocks)
        act = activation_fn(activation)
        self.activation = activation
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.lift = nn.Conv2d(in_channels, channels, 1, **kw)
        self.blocks = nn.ModuleList(
            _LordBlock(channels, height, width, rank, act, **kw) for _ in range(n_blocks)
        )
        self.project = nn.Conv2d(channels, out_channels, 1, **kw)
        self.rank = rank

    def reset_parameters(self) -> None:
        self.lift.reset_parameters()
        self.project.reset_parameters()
        for block in self.blocks:
            block.reset_parameters()  # type: ignore[operator]

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, out_channels={self.out_channels}, "
            f"grid=({self.height}, {self.width}), channels={self.channels}, "
            f"n_blocks={self.n_blocks}, rank={self.rank}, activation={self.activation!r}"
        )

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.in_channels, self.height, self.width)
        check_real_tensor("x", x, "LordNet")
        if not isinstance(x, Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != expected:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ConfigError(
                f"LordNet expects x of shape (batch, {self.in_channels}, {self.height}, {self.width}) — "
                f"its mixing matrices are built for a {self.height}×{self.width} grid; got {shape}"
            )
        v = self.lift(x)
        for block in self.blocks:
            v = block(v)
        return self.project(v)
