"""Sliced inverse regression (Li, 1991), with an ensemble form for metric-space responses.

Baseline of the FCCov paper (Yuan, Wang, Yu, arXiv 2502.15374), which compares FCCov-Net with
linear and kernel SDR. With the standardised predictors ``Z = Σ^{-1/2}(X - μ)`` and the response
cut into ``H`` slices of (nearly) equal size, SIR's candidate matrix is
``M = Σ_h p_h m_h m_hᵀ`` (``m_h`` the mean of ``Z`` in slice ``h``); its top eigenvectors ``v``
give the directions ``β = Σ^{-1/2} v`` and the predictor ``βᵀ(X - μ)``.

A response with several columns is treated as an ensemble: ``M`` is the mean of the columns'
candidate matrices. With the columns ``d(Y, Y_a)`` for anchor objects ``Y_a`` this is an ensemble
SIR for Fréchet regression in the spirit of Zhang, Xue & Li (JASA 2023), whose ensembles are
kernels ``k(Y, y)``; slicing by quantiles is invariant to monotone transforms, so a Gaussian
kernel of the distance to an anchor gives the same slices as the distance itself. (Our
construction; the FCCov paper's exact linear baseline is not known to us.)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_real, check_tensor

__all__ = ["LinearSDR", "sliced_inverse_regression"]


@dataclass(frozen=True)
class LinearSDR:
    """A linear reduction ``x ↦ (x - mean) @ directions``.

    Attributes:
        mean: ``(p,)`` predictor mean.
        directions: ``(p, d)`` directions, orthonormal in the ``Σ`` inner product.
        eigenvalues: ``(d,)`` the candidate matrix's eigenvalues, decreasing.
    """

    mean: Tensor
    directions: Tensor
    eigenvalues: Tensor

    def transform(self, x: Tensor) -> Tensor:
        """Project predictors: ``(m, p) -> (m, d)``."""
        xs = check_tensor("x", x, ndim=2, nonempty=True)
        if xs.shape[1] != self.mean.shape[0]:
            raise ConfigError(
                f"x must have {self.mean.shape[0]} features (as fitted); got {xs.shape[1]}"
            )
        return (xs.to(self.mean.dtype) - self.mean) @ self.directions

    __call__ = transform


def _inverse_sqrt(cov: Tensor, ridge: float) -> Tensor:
    lam, vec = torch.linalg.eigh(cov)
    lam = lam.clamp_min(ridge * float(lam.max()))
    return (vec / lam.sqrt()) @ vec.T


def sliced_inverse_regression(
    x: Tensor, y: Tensor, n_directions: int, *, n_slices: int = 10, ridge: float = 1e-8
) -> LinearSDR:
    """Fit SIR (or its ensemble over the columns of ``y``).

    Args:
        x: ``(n, p)`` predictors.
        y: ``(n,)`` scalar responses, or ``(n, m)``: ``m`` scalar responses whose candidate
            matrices are averaged (e.g. distances to ``m`` anchor objects).
        n_directions: ``d <= p`` directions to return.
        n_slices: slices per response column, ``2 <= H <= n``.
        ridge: eigenvalues of ``Σ`` below ``ridge · λ_max`` are raised to it (collinear inputs).

    Returns:
        The fitted :class:`LinearSDR`.
    """
    xs = check_tensor("x", x, ndim=2, nonempty=True).double()
    ys = check_tensor("y", y, ndim=(1, 2), nonempty=True).double()
    n, p = xs.shape
    if ys.shape[0] != n:
        raise ConfigError(
            f"x and y must have the same number of samples; got {n} and {ys.shape[0]}"
        )
    d = check_int("n_directions", n_directions, high=p, high_name="p")
    h = check_int("n_slices", n_slices, low=2, high=n, high_name="n")
    ridge = check_real("ridge", ridge, low=0.0)
    if ys.dim() == 1:
        ys = ys[:, None]
    mean = xs.mean(0)
    xc = xs - mean
    root = _inverse_sqrt(xc.T @ xc / n, ridge)
    z = xc @ root
    slice_of = (torch.arange(n) * h) // n  # rank r goes to slice floor(r h / n)
    m = torch.zeros(p, p, dtype=torch.float64)
    for col in ys.T:
        labels = torch.empty(n, dtype=torch.long)
        labels[col.argsort(stable=True)] = slice_of
        sums = torch.zeros(h, p, dtype=torch.float64).index_add_(0, labels, z)
        counts = torch.bincount(labels, minlength=h).to(torch.float64)
        means = sums / counts[:, None]
        m += (means.T * (counts / n)) @ means
    m /= ys.shape[1]
    lam, vec = torch.linalg.eigh(m)
    top = lam.argsort(descending=True)[:d]
    return LinearSDR(mean, root @ vec[:, top], lam[top])
