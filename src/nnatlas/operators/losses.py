"""Relative L² and H¹ losses for functions sampled on grids (the neural-operator metrics).

Both are per-sample ratios ‖pred − target‖ / ‖target‖ averaged over the batch. On a uniform grid
the quadrature weight cancels in the ratio, so the value does not depend on the resolution of
a well-resolved function: the same loss compares models across grids (FNO's ``LpLoss`` with
p = 2, relative; MgNO's / neuraloperator's ``H1Loss``).

H¹ uses ‖v‖²_{H¹} = ‖v‖²_{L²} + ‖∇v‖²_{L²} on the domain [0, L)^d, with derivatives either
spectral (``fft``: exact for periodic band-limited functions, as in FNO/MgNO's ``HsLoss``) or
second-order central finite differences (``fd``: ``torch.gradient``; one-sided at the ends, so
suited to non-periodic data such as Darcy).

Non-finite values are not scanned for: a NaN in ``pred`` or ``target`` gives a NaN loss.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.operators.validation import check_real_tensor

__all__ = ["H1Loss", "RelativeL2Loss", "relative_h1_loss", "relative_l2_loss"]

Reduction = Literal["mean", "sum", "none"]


def _check_pair(pred: Tensor, target: Tensor) -> None:
    check_real_tensor("pred", pred)
    check_real_tensor("target", target)
    if pred.shape != target.shape:
        raise ConfigError(
            f"pred and target must have the same shape; got {tuple(pred.shape)} and {tuple(target.shape)}"
        )
    if pred.dim() < 2:
        raise ConfigError(
            f"expected (batch, ...) tensors with at least 2 dims; got shape {tuple(pred.shape)}"
        )


_REDUCTIONS = ("mean", "sum", "none")
_METHODS = ("fft", "fd")


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def _reduce(values: Tensor, reduction: Reduction) -> Tensor:
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    if reduction == "none":
        return values
    raise ConfigError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}")


def relative_l2_loss(pred: Tensor, target: Tensor, *, reduction: Reduction = "mean") -> Tensor:
    """Σ over the batch of ‖pred_b − target_b‖₂ / ‖target_b‖₂ (norms over all non-batch dims).

    Args:
        pred, target: (batch, ...) of equal shape.
        reduction: ``mean`` (default), ``sum`` or ``none`` (per-sample values, (batch,)).
    """
    _check_pair(pred, target)
    _check_choice("reduction", reduction, _REDUCTIONS)
    diff = (pred - target).flatten(1).norm(dim=1)
    ref = target.flatten(1).norm(dim=1)
    return _reduce(diff / ref.clamp_min(torch.finfo(ref.dtype).tiny), reduction)


def _h1_sq_norms(v: Tensor, spatial_dims: int, length: float, method: str) -> Tensor:
    dims = tuple(range(v.dim() - spatial_dims, v.dim()))
    batch = v.shape[0]
    if method == "fft":
        vh = torch.fft.fftn(v, dim=dims)
        k2 = torch.zeros((), dtype=v.dtype, device=v.device)
        for i, d in enumerate(dims):
            n = v.shape[d]
            k = torch.fft.fftfreq(n, d=1.0 / n, dtype=v.dtype, device=v.device) * (
                2 * math.pi / length
            )
            shape = [1] * spatial_dims
            shape[i] = n
            k2 = k2 + k.reshape(shape) ** 2
        weight = 1.0 + k2
        return (weight * vh.abs() ** 2).reshape(batch, -1).sum(1)
    grads = torch.gradient(v, spacing=[length / v.shape[d] for d in dims], dim=list(dims))
    n_points = math.prod(v.shape[d] for d in dims)
    # Scale like the FFT branch (Parseval: Σ|v̂|² = N Σ|v|²) so both methods agree on smooth data.
    total = v.pow(2) + sum(g.pow(2) for g in grads)
    return total.reshape(batch, -1).sum(1) * n_points


def relative_h1_loss(
    pred: Tensor,
    target: Tensor,
    *,
    spatial_dims: int | None = None,
    domain_length: float = 1.0,
    method: Literal["fft", "fd"] = "fft",
    reduction: Reduction = "mean",
) -> Tensor:
    """Batch mean of ‖pred − target‖_{H¹} / ‖target‖_{H¹} on a uniform grid of [0, L)^d.

    Args:
        pred, target: (batch, [channels,] *grid) of equal shape.
        spatial_dims: d, how many trailing axes form the grid; default ``pred.dim() - 2``
            (the channels-first layout (batch, channels, *grid)); pass 1 for (batch, n).
        domain_length: L, side length of the domain (sets the weight of the gradient term).
        method: ``fft`` (spectral, periodic) or ``fd`` (central differences, spacing L / n).
        reduction: ``mean`` / ``sum`` / ``none``.
    """
    _check_pair(pred, target)
    d = pred.dim() - 2 if spatial_dims is None else spatial_dims
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= pred.dim() - 1:
        raise ConfigError(
            f"spatial_dims must be an int in [1, {pred.dim() - 1}]; got {spatial_dims!r} for shape {tuple(pred.shape)}"
        )
    _check_choice("method", method, _METHODS)
    _check_choice("reduction", reduction, _REDUCTIONS)
    if isinstance(domain_length, bool) or not isinstance(domain_length, int | float):
        raise TypeError(f"domain_length must be a number; got {type(domain_length).__name__}")
    if not math.isfinite(domain_length) or domain_length <= 0:
        raise ConfigError(f"domain_length must be a finite number > 0; got {domain_length}")
    diff = _h1_sq_norms(pred - target, d, domain_length, method)
    ref = _h1_sq_norms(target, d, domain_length, method)
    return _reduce((diff / ref.clamp_min(torch.finfo(ref.dtype).tiny)).sqrt(), reduction)


class RelativeL2Loss(nn.Module):
    """Module form of :func:`relative_l2_loss`: ``loss(pred, target)`` → scalar."""

    def __init__(self, *, reduction: Reduction = "mean") -> None:
        super().__init__()
        _check_choice("reduction", reduction, _REDUCTIONS)
        self.reduction: Reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return relative_l2_loss(pred, target, reduction=self.reduction)


class H1Loss(nn.Module):
    """Module form of :func:`relative_h1_loss`."""

    def __init__(
        self,
        *,
        spatial_dims: int | None = None,
        domain_length: float = 1.0,
        method: Literal["fft", "fd"] = "fft",
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__()
        _check_choice("reduction", reduction, _REDUCTIONS)
        _check_choice("method", method, _METHODS)
        if isinstance(domain_length, bool) or not isinstance(domain_length, int | float):
            raise TypeError(f"domain_length must be a number; got {type(domain_length).__name__}")
        if not math.isfinite(domain_length) or domain_length <= 0:
            raise ConfigError(f"domain_length must be a finite number > 0; got {domain_length}")
        self.spatial_dims, self.domain_length = spatial_dims, domain_length
        self.method: Literal["fft", "fd"] = method
        self.reduction: Reduction = reduction

    def extra_repr(self) -> str:
        return f"spatial_dims={self.spatial_dims}, domain_length={self.domain_length}, method={self.method!r}"

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return relative_h1_loss(
            pred, target, spatial_dims=self.spatial_dims, domain_length=self.domain_length,
            method=self.method, reduction=self.reduction,
        )  # fmt: skip
