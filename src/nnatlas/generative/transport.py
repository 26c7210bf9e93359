"""Wasserstein distances between two samples: exact (POT / 1-D closed form), sliced, Gaussian.

The evaluation metric of Chae, Kim, Kim, Lin, "A likelihood approach to nonparametric
estimation of a singular distribution using deep generative models" (JMLR 2023, arXiv
2105.04046), whose convergence rates are stated in the Wasserstein metric.

* :func:`wasserstein_distance`: the ``p``-Wasserstein distance between the empirical laws of
  two samples ``x: (n, D)`` and ``y: (m, D)`` (uniform weights ``1/n`` and ``1/m``, Euclidean
  ground cost ``|x - y|^p``). In one dimension the optimal coupling is monotone and the distance
  is computed exactly from the sorted samples (any ``n``, ``m``); in higher dimensions by the
  exact network-simplex solver of POT (``ot.emd2``, the ``stats`` extra, imported only here).
* :func:`sliced_wasserstein`: the Monte-Carlo sliced distance ``(E_θ W_p^p(θ·x, θ·y))^{1/p}``
  over uniform directions on the sphere; it never exceeds the exact distance (projections are
  1-Lipschitz).
* :func:`gaussian_wasserstein2`: the closed form of ``W2`` between two Gaussians,
  ``|m1 - m2|^2 + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2})``.

The paper does not publish an implementation; these are standard definitions, nothing here is
specific to it.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.optional import require
from nnatlas.core.validation import check_int, check_real, check_tensor

__all__ = ["gaussian_wasserstein2", "sliced_wasserstein", "wasserstein_distance"]


def _samples(x: Tensor, y: Tensor, owner: str) -> tuple[Tensor, Tensor]:
    """Both samples as float64 ``(n, D)`` / ``(m, D)`` (a 1-D tensor is a sample of scalars)."""
    out = []
    for name, v in (("x", x), ("y", y)):
        v = check_tensor(name, v, ndim=(1, 2), nonempty=True, owner=owner)
        if v.dim() == 1:
            v = v[:, None]
        if v.shape[1] == 0:
            raise ConfigError(
                f"{owner}: {name} must have at least one feature; got {tuple(v.shape)}"
            )
        out.append(v.detach().double())
    a, b = out
    if a.shape[1] != b.shape[1]:
        raise ConfigError(
            f"{owner}: x and y must have the same number of features (dimension D); got "
            f"x {tuple(a.shape)} and y {tuple(b.shape)}"
        )
    return a, b


def _check_p(p: object, owner: str) -> float:
    return check_real(f"{owner}: p", p, low=1.0)


def _sorted_wasserstein_pp(a: Tensor, b: Tensor, p: float) -> Tensor:
    """``W_p^p`` between 1-D empirical laws, batched over leading dims: ``a: (..., n)``, ``b: (..., m)``.

    ``W_p^p = int_0^1 |Q_a(u) - Q_b(u)|^p du`` with the empirical quantile functions, which are
    constant between consecutive levels of ``{i/n} ∪ {j/m}``; the levels are merged exactly on
    the common denominator ``n m``.
    """
    qa, qb = torch.sort(a, dim=-1).values, torch.sort(b, dim=-1).values
    n, m = qa.shape[-1], qb.shape[-1]
    if n == m:
        return (qa - qb).abs().pow(p).mean(-1)
    levels = torch.unique(torch.cat([torch.arange(1, n + 1) * m, torch.arange(1, m + 1) * n]))
    widths = torch.diff(levels, prepend=levels.new_zeros(1)).double() / (n * m)
    ia = torch.div(levels - 1, m, rounding_mode="floor")
    ib = torch.div(levels - 1, n, rounding_mode="floor")
    return (widths * (qa[..., ia] - qb[..., ib]).abs().pow(p)).sum(-1)


def wasserstein_distance(x: Tensor, y: Tensor, *, p: float = 1.0) -> float:
    """Exact ``p``-Wasserstein distance between the empirical laws of two samples.

    Args:
        x: ``(n, D)`` sample (or ``(n,)`` for ``D = 1``), uniform weights ``1/n``.
        y: ``(m, D)`` sample (or ``(m,)``), uniform weights ``1/m``; ``n`` and ``m`` may differ.
        p: the order, ``>= 1`` (the ground cost is the Euclidean distance to the power ``p``).

    Returns:
        ``W_p(x, y)``. For ``D = 1`` from sorted samples (exact, ``O((n + m) log(n + m))``);
        for ``D > 1`` from POT's exact solver ``ot.emd2`` on the ``(n, m)`` cost matrix
        (memory ``O(n m)``).

    Raises:
        MissingExtraError: ``D > 1`` and POT (extra ``stats``) is not installed.
        ConfigError: mismatched dimensions, empty samples or ``p < 1``.
    """
    owner = "wasserstein_distance"
    p = _check_p(p, owner)
    a, b = _samples(x, y, owner)
    if a.shape[1] == 1:
        return float(_sorted_wasserstein_pp(a[:, 0], b[:, 0], p) ** (1.0 / p))
    ot = require("ot", "stats")
    cost = torch.cdist(a, b).pow(p).numpy()
    wa = torch.full((a.shape[0],), 1.0 / a.shape[0], dtype=torch.float64).numpy()
    wb = torch.full((b.shape[0],), 1.0 / b.shape[0], dtype=torch.float64).numpy()
    # numItermax: the default (1e5) stops short of optimal for a few thousand points
    value = float(ot.emd2(wa, wb, cost, numItermax=max(100_000, 50 * a.shape[0] * b.shape[0])))
    return max(value, 0.0) ** (1.0 / p)


def sliced_wasserstein(
    x: Tensor,
    y: Tensor,
    *,
    p: float = 1.0,
    num_projections: int = 256,
    generator: torch.Generator | None = None,
) -> float:
    """Monte-Carlo sliced ``p``-Wasserstein distance ``(mean_k W_p^p(θ_k·x, θ_k·y))^{1/p}``.

    Args:
        x: ``(n, D)`` sample (or ``(n,)``).
        y: ``(m, D)`` sample (or ``(m,)``).
        p: the order, ``>= 1``.
        num_projections: directions ``θ_k``, uniform on the unit sphere of ``R^D``.
        generator: draws the directions (the global RNG if ``None``).

    Returns:
        The sliced distance; ``<=`` :func:`wasserstein_distance` for every draw of directions.
    """
    owner = "sliced_wasserstein"
    p = _check_p(p, owner)
    check_int(f"{owner}: num_projections", num_projections)
    a, b = _samples(x, y, owner)
    theta = torch.randn(num_projections, a.shape[1], generator=generator, dtype=torch.float64)
    theta = theta / theta.norm(dim=1, keepdim=True)
    pp = _sorted_wasserstein_pp(theta @ a.T, theta @ b.T, p)  # (num_projections,)
    return float(pp.mean() ** (1.0 / p))


def _psd_sqrt(s: Tensor) -> Tensor:
    vals, vecs = torch.linalg.eigh(s)
    return (vecs * vals.clamp_min(0).sqrt()) @ vecs.T


def gaussian_wasserstein2(m1: Tensor, s1: Tensor, m2: Tensor, s2: Tensor) -> float:
    """``W2`` between ``N(m1, s1)`` and ``N(m2, s2)`` in closed form.

    Args:
        m1: ``(D,)`` mean.
        s1: ``(D, D)`` symmetric positive semi-definite covariance.
        m2: ``(D,)`` mean.
        s2: ``(D, D)`` covariance.
    """
    owner = "gaussian_wasserstein2"
    ms = [
        check_tensor(n, v, ndim=1, nonempty=True, owner=owner) for n, v in (("m1", m1), ("m2", m2))
    ]
    ss = [check_tensor(n, v, ndim=2, owner=owner) for n, v in (("s1", s1), ("s2", s2))]
    d = ms[0].shape[0]
    if ms[1].shape[0] != d:
        raise ConfigError(
            f"{owner}: m1 and m2 must have the same length; got {d} and {ms[1].shape[0]}"
        )
    for name, s in zip(("s1", "s2"), ss, strict=True):
        if tuple(s.shape) != (d, d):
            raise ConfigError(f"{owner}: {name} must be ({d}, {d}); got {tuple(s.shape)}")
        s64 = s.double()
        if not torch.allclose(s64, s64.T, atol=1e-10 * (1 + float(s64.abs().max()))):
            raise ConfigError(f"{owner}: {name} must be symmetric")
        if float(torch.linalg.eigvalsh(s64).min()) < -1e-10 * (1 + float(s64.abs().max())):
            raise ConfigError(f"{owner}: {name} must be positive semi-definite")
    a, b = (s.double() for s in ss)
    r = _psd_sqrt(a)
    cross = _psd_sqrt(r @ b @ r)
    w2sq = float(((ms[0].double() - ms[1].double()) ** 2).sum() + torch.trace(a + b - 2 * cross))
    return math.sqrt(max(w2sq, 0.0))
