"""Samples on low-dimensional manifolds embedded in ``R^D``, and the digits as a real point cloud.

Test beds for estimating singular distributions (e.g. Chae, Kim, Kim, Lin, arXiv 2105.04046):

* :func:`circle`, :func:`curve` (``"helix"``, ``"trefoil"``, ``"lissajous"``) and :func:`torus`:
  points on a ``d``-dimensional manifold in a low-dimensional coordinate space, zero-padded to
  ``R^D`` and turned by a seeded Haar-random rotation (:func:`random_rotation`), so that the
  manifold is not aligned with the axes; optional isotropic ambient Gaussian noise. The
  intrinsic parameters are drawn uniformly (in the parameter, not in arc length), so the law on
  the manifold is the push-forward of a uniform law.
* :func:`digits_cloud`: scikit-learn's 8x8 digits (1797 images) as points of ``[0, 1]^64``,
  split into train and test (scikit-learn, extra ``data``, imported only when called).

Every generator draws from its own ``torch.Generator`` seeded with ``seed`` and computes in
float64 before casting to ``dtype``; the rotation uses a stream derived from ``seed``, so the
same seed gives the same embedding for any ``n``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_real

__all__ = [
    "CURVE_NAMES",
    "ManifoldSample",
    "circle",
    "curve",
    "digits_cloud",
    "random_rotation",
    "torus",
]

CURVE_NAMES = ("helix", "trefoil", "lissajous")
_ROTATION_SALT = 0x0707_AB1E


class ManifoldSample(NamedTuple):
    """Points on an embedded manifold.

    Attributes:
        x: ``(n, D)`` points (with ambient noise, if any).
        params: ``(n, d)`` intrinsic parameters the points were drawn at.
        clean: ``(n, D)`` the same points without the ambient noise.
        rotation: ``(D, D)`` the orthogonal map applied after zero-padding.
    """

    x: Tensor
    params: Tensor
    clean: Tensor
    rotation: Tensor


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a non-negative int; got {seed!r}")
    return seed


def _check_dtype(dtype: object) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ConfigError(f"dtype must be a floating-point torch.dtype; got {dtype!r}")
    return dtype


def random_rotation(dim: int, *, seed: int = 0, dtype: torch.dtype = torch.float64) -> Tensor:
    """A Haar-distributed orthogonal ``(dim, dim)`` matrix (QR of a Gaussian, signs fixed).

    Args:
        dim: the dimension.
        seed: seed of the draw.
        dtype: floating-point dtype of the result.
    """
    d = check_int("dim", dim)
    g = torch.Generator().manual_seed(_check_seed(seed))
    q, r = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r)).where(torch.diagonal(r) != 0, 1.0)
    return q.to(_check_dtype(dtype))


def _embed(
    coords: Tensor,
    params: Tensor,
    ambient_dim: int,
    noise: float,
    seed: int,
    generator: torch.Generator,
    dtype: torch.dtype,
) -> ManifoldSample:
    k = coords.shape[1]
    ambient = check_int("ambient_dim", ambient_dim, low=k)
    s = check_real("noise", noise, low=0.0)
    rot = random_rotation(ambient, seed=(seed ^ _ROTATION_SALT) & 0x7FFF_FFFF)
    padded = torch.cat([coords, coords.new_zeros(coords.shape[0], ambient - k)], dim=1)
    clean = padded @ rot.T
    x = clean + s * torch.randn(clean.shape, generator=generator, dtype=torch.float64)
    return ManifoldSample(x.to(dtype), params.to(dtype), clean.to(dtype), rot.to(dtype))


def circle(
    n: int,
    *,
    radius: float = 1.0,
    ambient_dim: int = 2,
    noise: float = 0.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> ManifoldSample:
    """``n`` points uniform on a circle of ``radius`` in a random plane of ``R^ambient_dim``.

    Args:
        n: number of points.
        radius: the circle's radius ``> 0``.
        ambient_dim: ``D >= 2``.
        noise: standard deviation of isotropic ambient Gaussian noise (``0``: on the circle).
        seed: seed of the angles, the noise and (a derived stream) the rotation.
        dtype: floating-point dtype of the tensors.

    Returns:
        A :class:`ManifoldSample` with ``params`` the angles ``(n, 1)`` in ``[0, 2π)``.
    """
    check_int("n", n)
    r = check_real("radius", radius, low=0.0, low_open=True)
    dtype = _check_dtype(dtype)
    g = torch.Generator().manual_seed(_check_seed(seed))
    theta = 2 * math.pi * torch.rand(n, 1, generator=g, dtype=torch.float64)
    coords = r * torch.cat([theta.cos(), theta.sin()], dim=1)
    return _embed(coords, theta, ambient_dim, noise, seed, g, dtype)


def _curve_coords(name: str, t: Tensor) -> Tensor:
    """``(n, 3)`` coordinates of a curve at parameters ``t: (n, 1)`` in ``[0, 1]``."""
    if name == "helix":  # an open helix of 1.5 turns, radius 1, height 2
        a = 3 * math.pi * t
        return torch.cat([a.cos(), a.sin(), 2 * t - 1], dim=1)
    if name == "trefoil":  # a closed trefoil knot, scaled to unit-order extent
        a = 2 * math.pi * t
        x = (a.sin() + 2 * (2 * a).sin()) / 3
        y = (a.cos() - 2 * (2 * a).cos()) / 3
        return torch.cat([x, y, -(3 * a).sin() / 3], dim=1)
    a = 2 * math.pi * t  # an open Lissajous figure (frequencies 1, 2, 3 over [0, 1])
    return torch.cat([(a).sin(), (2 * a).sin(), (3 * a).cos()], dim=1)


def curve(
    n: int,
    *,
    name: str = "helix",
    ambient_dim: int = 10,
    noise: float = 0.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> ManifoldSample:
    """``n`` points on a curve in ``R^3`` rotated into ``R^ambient_dim``.

    Args:
        n: number of points.
        name: one of :data:`CURVE_NAMES`: ``"helix"`` (open, 1.5 turns of radius 1 over
            height 2), ``"trefoil"`` (a closed knot), ``"lissajous"`` (open, frequencies 1, 2, 3).
        ambient_dim: ``D >= 3``.
        noise: standard deviation of isotropic ambient Gaussian noise.
        seed: seed of the parameters, the noise and the rotation.
        dtype: floating-point dtype.

    Returns:
        A :class:`ManifoldSample` with ``params`` the curve parameters ``t ~ U[0, 1]``, ``(n, 1)``.
    """
    check_int("n", n)
    if name not in CURVE_NAMES:
        raise ConfigError(f"name must be one of {CURVE_NAMES}; got {name!r}")
    dtype = _check_dtype(dtype)
    g = torch.Generator().manual_seed(_check_seed(seed))
    t = torch.rand(n, 1, generator=g, dtype=torch.float64)
    return _embed(_curve_coords(name, t), t, ambient_dim, noise, seed, g, dtype)


def torus(
    n: int,
    *,
    radii: tuple[float, float] = (1.0, 0.4),
    ambient_dim: int = 3,
    noise: float = 0.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> ManifoldSample:
    """``n`` points on a torus of revolution ``(R, r)`` in ``R^3``, rotated into ``R^ambient_dim``.

    Both angles are uniform on ``[0, 2π)`` (so the law is not the surface-uniform one).

    Args:
        n: number of points.
        radii: ``(R, r)`` with ``R > r > 0``.
        ambient_dim: ``D >= 3``.
        noise: standard deviation of isotropic ambient Gaussian noise.
        seed: seed of the angles, the noise and the rotation.
        dtype: floating-point dtype.

    Returns:
        A :class:`ManifoldSample` with ``params`` the two angles ``(n, 2)``.
    """
    check_int("n", n)
    if (
        not isinstance(radii, tuple | list)
        or len(radii) != 2
        or not all(isinstance(r, int | float) and not isinstance(r, bool) for r in radii)
        or not all(math.isfinite(r) for r in radii)
        or not radii[0] > radii[1] > 0
    ):
        raise ConfigError(
            f"radii must be a pair (R, r) of finite numbers with R > r > 0; got {radii!r}"
        )
    big, small = float(radii[0]), float(radii[1])
    dtype = _check_dtype(dtype)
    g = torch.Generator().manual_seed(_check_seed(seed))
    ang = 2 * math.pi * torch.rand(n, 2, generator=g, dtype=torch.float64)
    u, v = ang[:, :1], ang[:, 1:]
    ring = big + small * v.cos()
    coords = torch.cat([ring * u.cos(), ring * u.sin(), small * v.sin()], dim=1)
    return _embed(coords, ang, ambient_dim, noise, seed, g, dtype)


def digits_cloud(
    *, test_size: float = 0.2, seed: int = 0, dtype: torch.dtype = torch.float32
) -> tuple[Tensor, Tensor]:
    """scikit-learn's digits as points of ``[0, 1]^64`` (pixel intensities / 16), train and test.

    Args:
        test_size: fraction held out, in ``(0, 1)`` (stratified by digit class).
        seed: seed of the split.
        dtype: floating-point dtype.

    Returns:
        ``(train, test)``, ``(N_train, 64)`` and ``(N_test, 64)``; ``N_train + N_test = 1797``.

    Raises:
        MissingExtraError: scikit-learn (extra ``data``) is not installed.
    """
    from nnatlas.data.tabular import load_digits

    split = load_digits(
        test_size=test_size, seed=seed, standardize=False, dtype=_check_dtype(dtype)
    )
    return split.x_train / 16.0, split.x_test / 16.0
