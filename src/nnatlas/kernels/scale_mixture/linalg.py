"""The kernel linear algebra shared by the scale-mixture regression and classifier.

Part of :mod:`nnatlas.kernels.scale_mixture` (arXiv 2107.01408): shape checks of kernel
matrices, the Cholesky solve of ``K + noise I`` and the Gaussian conditional at σ² = 1.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from nnatlas.core.validation import check_positive
from nnatlas.kernels.scale_mixture.distributions import InverseGamma
from nnatlas.kernels.validation import check_tensor

__all__ = [
    "KernelSolve",
    "as_columns",
    "check_kernels",
    "check_prior",
    "check_scalar_or_tensor",
    "conditional_moments",
    "solve_kernel",
]


def as_columns(y: Tensor, n: int, name: str) -> tuple[Tensor, bool]:
    """``y`` of shape ``(n,)`` or ``(n, k)`` as ``(n, k)`` columns, and whether it was 1-D.

    Raises:
        TypeError: ``y`` is not a real floating tensor.
        ValueError: its shape does not start with ``n``, or it has non-finite entries.
    """
    check_tensor(name, y, ndim=(1, 2))
    if y.shape[0] != n or (y.dim() == 2 and y.shape[1] == 0):
        raise ValueError(f"{name} must have shape ({n},) or ({n}, k); got {tuple(y.shape)}")
    return (y[:, None], True) if y.dim() == 1 else (y, False)


def check_kernels(
    k_train: Tensor, k_test_train: Tensor | None = None, k_test_diag: Tensor | None = None
) -> int:
    """Validate a training kernel and, optionally, test kernels; return ``n``.

    Args:
        k_train: ``(n, n)`` with ``n >= 1``.
        k_test_train: ``(m, n)``.
        k_test_diag: ``(m,)``, required with ``k_test_train``.

    Raises:
        TypeError / ValueError naming the offending argument.
    """
    check_tensor("k_train", k_train, ndim=2)
    if k_train.shape[0] != k_train.shape[1] or k_train.shape[0] == 0:
        raise ValueError(f"k_train must be square (n, n) with n >= 1; got {tuple(k_train.shape)}")
    n = k_train.shape[0]
    if k_test_train is not None:
        check_tensor("k_test_train", k_test_train, ndim=2)
        if k_test_train.shape[1] != n:
            raise ValueError(
                f"k_test_train must have shape (m, {n}) to match k_train; "
                f"got {tuple(k_test_train.shape)}"
            )
        if k_test_diag is None:
            raise ValueError("k_test_diag (the test prior variances) is required with k_test_train")
        check_tensor("k_test_diag", k_test_diag, ndim=1)
        if k_test_diag.shape != (k_test_train.shape[0],):
            raise ValueError(
                f"k_test_diag must have shape ({k_test_train.shape[0]},) (the test prior "
                f"variances); got {tuple(k_test_diag.shape)}"
            )
    return n


def check_prior(prior: object) -> InverseGamma:
    """``prior`` must be a valid :class:`InverseGamma` (TypeError / ConfigError naming it)."""
    if not isinstance(prior, InverseGamma):
        raise TypeError(f"prior must be an InverseGamma(alpha, beta); got {prior!r}")
    return prior.validate()


def check_scalar_or_tensor(name: str, value: object) -> None:
    """A hyperparameter given as a number > 0 or a positive one-element floating tensor."""
    if isinstance(value, Tensor):
        check_tensor(name, value)
        if value.numel() != 1 or not bool((value > 0).all()):
            raise ValueError(f"{name} must be a positive one-element tensor; got {value}")
    else:
        check_positive(name, value)


class KernelSolve(NamedTuple):
    """The solve of ``C = K + noise I`` against targets (from :func:`solve_kernel`)."""

    chol: Tensor  # (n, n) Cholesky factor of C = K + noise I
    alpha: Tensor  # (n, k) C⁻¹ y
    quad: Tensor  # (k,) yᵀ C⁻¹ y per column
    logdet: Tensor  # log |C|


def solve_kernel(k_train: Tensor, y: Tensor, noise: float) -> KernelSolve:
    """Cholesky-solve ``(K + noise I) alpha = y`` in float64 (``y``: ``(n, k)`` columns).

    Raises:
        ValueError: ``K + noise I`` is not positive definite.
    """
    n = k_train.shape[0]
    c = k_train.to(torch.float64) + noise * torch.eye(n, dtype=torch.float64, device=k_train.device)
    chol, info = torch.linalg.cholesky_ex(c)
    if int(info) != 0:
        raise ValueError(
            f"K(X, X) + noise·I is not positive definite (noise = {noise:g}); increase the noise"
        )
    alpha = torch.cholesky_solve(y.to(torch.float64), chol)
    quad = (y.to(torch.float64) * alpha).sum(0)
    logdet = 2 * torch.log(torch.diagonal(chol)).sum()
    return KernelSolve(chol, alpha, quad, logdet)


def conditional_moments(
    solved: KernelSolve,
    k_test_train: Tensor,
    k_test_diag: Tensor,
    noise: float,
    include_noise: bool,
) -> tuple[Tensor, Tensor]:
    """Predictive mean ``(m, k)`` and unit-scale variance ``(m,)`` of the Gaussian at σ² = 1."""
    kx = k_test_train.to(torch.float64)
    mean = kx @ solved.alpha
    v = torch.linalg.solve_triangular(solved.chol, kx.T, upper=False)
    var = k_test_diag.to(torch.float64) - (v**2).sum(0)
    if include_noise:
        var = var + noise
    return mean, var.clamp_min(1e-300)
