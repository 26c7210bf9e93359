"""Assessing Neural Network Representations During Training Using Noise-Resilient Diffusion
Spectral Entropy (Liao, Liu, Christensen, Tong, Huguet, Wolf, Nickel, Adelstein, Krishnaswamy;
ICML TAGML workshop 2023 / IEEE CISS 2024).

arXiv: 2312.04823. A representation ``Z`` (N samples × D features) is turned into a diffusion
operator: Gaussian affinities ``G_ij = exp(-‖z_i - z_j‖² / (2σ²))``, degrees ``q_i = Σ_j G_ij``,
and the symmetric normalised kernel ``K = Q^{-1/2} G Q^{-1/2}``, which has the same eigenvalues
as the row-stochastic diffusion matrix ``P = Q^{-1} G``. With eigenvalues ``λ_i`` of ``K`` and a
diffusion time ``t``, the *diffusion spectral entropy* is the Shannon entropy (bits) of
``p_i = |λ_i|^t / Σ_j |λ_j|^t``; it lies in ``[0, log₂ N]`` and, for ``k`` well separated
clusters and large ``t``, tends to ``log₂ k``. The *diffusion spectral mutual information*
``I_D(Z; Y) = Σ_c p(Y=c) [S_D(Z*_c) - S_D(Z | Y=c)]`` compares each class's DSE with the mean
DSE of random subsets ``Z*_c`` of the same size (size matching removes DSE's dependence on N).
Labels that are not discrete are binned (scalars) or spectrally clustered (vectors) first.

The module also holds the baselines the paper compares against: classic binned Shannon entropy
and mutual information (:func:`binned_entropy`, :func:`binned_mutual_information`) and a
k-nearest-neighbour mutual information estimator (:func:`knn_mutual_information`: Kraskov,
Stögbauer and Grassberger 2004 for continuous ``Y``, Ross 2014 for discrete ``Y``).

σ is in the units of ``Z`` (the paper's default σ = 10 is absolute): a DSE computed with a fixed σ
changes when the features are rescaled, which is most of why DSE of a freshly initialised
network is near 0 (all distances ≪ σ) or near log₂ N (all distances ≫ σ). Every function here
takes ``sigma_mode="median"`` to use ``sigma × median pairwise distance`` instead, which makes
the result scale invariant; the default stays the paper's absolute σ = 10 so that numbers match
the official implementation.

Deviations from the official implementation (``dse-dsmi``): eigenvalues come from
``torch.linalg.eigvalsh`` on ``K`` in float64, with ``K`` formed by broadcasting the degree
scaling instead of two dense diagonal matrix products (the same values, without two O(N³)
matrix products); the constant factor ``1/(σ√(2π))`` of the Gaussian is dropped because the
normalisation cancels it; subsampling above ``max_n`` points and the random reference subsets of
DSMI use torch generators, so they draw different (equally random) subsets than numpy does.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.optional import require
from nnatlas.core.validation import check_int, check_positive

__all__ = [
    "binned_entropy",
    "binned_mutual_information",
    "diffusion_eigenvalues",
    "diffusion_matrix",
    "diffusion_spectral_entropy",
    "diffusion_spectral_mutual_information",
    "discretize_labels",
    "knn_mutual_information",
    "median_distance",
    "pairwise_squared_distances",
    "resolve_sigma",
    "spectral_entropy",
]

logger = logging.getLogger(__name__)

SigmaMode = Literal["absolute", "median"]
EigenMethod = Literal["eigvalsh", "eig"]

_SIGMA_MODES = ("absolute", "median")
_EIGEN_METHODS = ("eigvalsh", "eig")
_EPS = float(torch.finfo(torch.float64).eps)


# -- argument checks ------------------------------------------------------------------------


def _as_features(name: str, z: Any, *, min_rows: int = 1) -> Tensor:
    """``z`` as a finite float64 ``(N, D)`` tensor (a 1-D input is one feature per sample)."""
    if isinstance(z, np.ndarray):
        z = torch.from_numpy(z)
    if not isinstance(z, Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor or numpy array (N, D); got {type(z).__name__}"
        )
    if z.is_complex() or z.dtype == torch.bool:
        raise ConfigError(f"{name} must be real-valued; got dtype {z.dtype}")
    if z.dim() == 1:
        z = z[:, None]
    if z.dim() != 2:
        raise ConfigError(f"{name} must be 2-D (samples, features); got shape {tuple(z.shape)}")
    if z.shape[0] < min_rows or z.shape[1] == 0:
        raise ConfigError(
            f"{name} must have at least {min_rows} sample(s) and 1 feature; got shape {tuple(z.shape)}"
        )
    z = z.detach().to(torch.float64)
    if not bool(torch.isfinite(z).all()):
        raise ConfigError(f"{name} contains NaN or infinite values")
    return z


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise UnknownNameError(name, value, choices)
    return value


# -- geometry -------------------------------------------------------------------------------


def _squared_distances(z: Tensor) -> Tensor:
    """Squared distances of float64 ``z`` with few temporaries; symmetric up to rounding."""
    # Centring first keeps the Gram-matrix route accurate when the data sit far from the origin.
    z = z - z.mean(dim=0, keepdim=True)
    sq = (z * z).sum(dim=1)
    d2 = z @ z.T
    d2.mul_(-2.0).add_(sq[:, None]).add_(sq[None, :]).clamp_(min=0.0)
    d2.fill_diagonal_(0.0)
    return d2


def pairwise_squared_distances(z: Tensor) -> Tensor:
    """Squared Euclidean distances between all rows, in float64.

    Args:
        z: features ``(N, D)``.

    Returns:
        ``(N, N)`` float64, exactly symmetric, zero on the diagonal, non-negative.
    """
    d2 = _squared_distances(_as_features("z", z))
    return 0.5 * (d2 + d2.T)


def _median_from_squared(d2: Tensor) -> float:
    n = d2.shape[0]
    if n < 2:
        return 0.0
    iu = torch.triu_indices(n, n, offset=1)
    return float(d2[iu[0], iu[1]].median().sqrt())


def median_distance(z: Tensor, *, max_points: int = 4000, seed: int = 0) -> float:
    """Median Euclidean distance between distinct rows of ``z``.

    Args:
        z: features ``(N, D)``.
        max_points: above this many rows, the median is taken over a random subset of this
            size (drawn with ``seed``) to bound memory; the median of ~8 million distances is
            already accurate to well under 1 %.
        seed: seed of that subset.

    Returns:
        The median distance (0.0 for a single point or identical points).
    """
    z = _as_features("z", z)
    check_int("max_points", max_points, low=2)
    if z.shape[0] > max_points:
        gen = torch.Generator().manual_seed(seed)
        z = z[torch.randperm(z.shape[0], generator=gen)[:max_points]]
    return _median_from_squared(_squared_distances(z))


def resolve_sigma(z: Tensor, sigma: float = 10.0, sigma_mode: SigmaMode = "absolute") -> float:
    """The Gaussian bandwidth actually used: ``sigma`` or ``sigma × median distance``.

    Args:
        z: features ``(N, D)``.
        sigma: the bandwidth (``"absolute"``) or its multiple of the median pairwise distance
            (``"median"``).
        sigma_mode: ``"absolute"`` (the paper: σ in the units of ``z``) or ``"median"``.

    Returns:
        σ in the units of ``z``. In ``"median"`` mode a zero median (identical points) falls
        back to ``sigma`` itself, since then any bandwidth gives the same kernel.
    """
    sigma = check_positive("sigma", sigma)
    _check_choice("sigma_mode", sigma_mode, _SIGMA_MODES)
    if sigma_mode == "absolute":
        return sigma
    med = median_distance(z)
    return sigma * med if med > 0 else sigma


def _kernel_from_squared(
    d2: Tensor, sigma: float, *, symmetric: bool = True, inplace: bool = False
) -> Tensor:
    """Normalised diffusion kernel from squared distances (overwrites ``d2`` if ``inplace``).

    The symmetric kernel is left symmetric only up to rounding: ``eigvalsh`` reads one
    triangle, and the public :func:`diffusion_matrix` symmetrises exactly.
    """
    g = d2.mul_(-0.5 / sigma**2) if inplace else d2.mul(-0.5 / sigma**2)
    g.exp_()
    deg = g.sum(dim=1)
    if symmetric:
        r = deg.rsqrt()
        return g.mul_(r[:, None]).mul_(r[None, :])
    return g.div_(deg[:, None])


def diffusion_matrix(
    z: Tensor,
    sigma: float = 10.0,
    *,
    sigma_mode: SigmaMode = "absolute",
    symmetric: bool = True,
) -> Tensor:
    """The diffusion operator of ``z`` with Gaussian affinities.

    Args:
        z: features ``(N, D)``.
        sigma: Gaussian bandwidth (see :func:`resolve_sigma`).
        sigma_mode: ``"absolute"`` or ``"median"``.
        symmetric: return ``K = Q^{-1/2} G Q^{-1/2}`` (symmetric); else the row-stochastic
            ``P = Q^{-1} G``. Both have the same eigenvalues, in ``[-1, 1]`` with the top one 1.

    Returns:
        ``(N, N)`` float64.
    """
    z = _as_features("z", z)
    s = resolve_sigma(z, sigma, sigma_mode)
    kernel = _kernel_from_squared(_squared_distances(z), s, symmetric=symmetric, inplace=True)
    return 0.5 * (kernel + kernel.T) if symmetric else kernel


def _eigenvalues_from_squared(
    d2: Tensor, sigma: float, method: str, *, inplace: bool = False
) -> Tensor:
    if method == "eigvalsh":
        return torch.linalg.eigvalsh(_kernel_from_squared(d2, sigma, inplace=inplace))
    # A general (non-symmetric) eigensolver on P: an independent route used to cross-check.
    kernel = _kernel_from_squared(d2, sigma, symmetric=False, inplace=inplace)
    return torch.linalg.eigvals(kernel).real


def diffusion_eigenvalues(
    z: Tensor,
    sigma: float = 10.0,
    *,
    sigma_mode: SigmaMode = "absolute",
    method: EigenMethod = "eigvalsh",
) -> Tensor:
    """Eigenvalues of the diffusion operator of ``z`` (exact, float64).

    Args:
        z: features ``(N, D)``.
        sigma: Gaussian bandwidth (see :func:`resolve_sigma`).
        sigma_mode: ``"absolute"`` or ``"median"``.
        method: ``"eigvalsh"`` (eigenvalues only, symmetric ``K``: fast) or ``"eig"`` (general
            eigensolver on the non-symmetric ``P``: slower, for cross-checks).

    Returns:
        ``(N,)`` float64 eigenvalues (ascending for ``"eigvalsh"``, unordered for ``"eig"``).
    """
    z = _as_features("z", z)
    _check_choice("method", method, _EIGEN_METHODS)
    s = resolve_sigma(z, sigma, sigma_mode)
    return _eigenvalues_from_squared(_squared_distances(z), s, method, inplace=True)


def spectral_entropy(eigenvalues: Tensor, t: float = 1) -> float:
    """Shannon entropy (bits) of ``p_i = |λ_i|^t / Σ_j |λ_j|^t``.

    As in the official implementation, machine epsilon is added to each ``p_i`` before the
    logarithm (so exact zeros contribute ~1e-14 bits each, not NaN).

    Args:
        eigenvalues: ``(N,)`` eigenvalues of a diffusion operator.
        t: diffusion time (> 0).

    Returns:
        The entropy in bits, in ``[0, log₂ N]`` up to the epsilon term.
    """
    t = check_positive("t", t)
    if not isinstance(eigenvalues, Tensor) or eigenvalues.dim() != 1 or eigenvalues.numel() == 0:
        raise ConfigError("eigenvalues must be a non-empty 1-D tensor")
    mag = eigenvalues.to(torch.float64).abs() ** t
    total = mag.sum()
    if not total > 0:
        raise ConfigError("eigenvalues are all zero; the spectral distribution is undefined")
    p = mag / total + _EPS
    return float(-(p * torch.log2(p)).sum())


def _subsample(z: Tensor, max_n: int | None, seed: int, *others: Tensor) -> tuple[Tensor, ...]:
    if max_n is None:
        return (z, *others)
    check_int("max_n", max_n, low=1)
    if z.shape[0] <= max_n:
        return (z, *others)
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randperm(z.shape[0], generator=gen)[:max_n]
    logger.info("subsampling %d of %d rows for DSE/DSMI", max_n, z.shape[0])
    return (z[idx], *(o[idx] for o in others))


def diffusion_spectral_entropy(
    z: Tensor,
    sigma: float = 10.0,
    t: float = 1,
    *,
    sigma_mode: SigmaMode = "absolute",
    method: EigenMethod = "eigvalsh",
    max_n: int | None = 10_000,
    seed: int = 0,
) -> float:
    """Diffusion spectral entropy ``S_D(Z; t)`` in bits.

    Args:
        z: features ``(N, D)`` (a tensor or numpy array, any float dtype; computed in float64).
        sigma: Gaussian bandwidth; the paper's default is the absolute σ = 10 (see module docs).
        t: diffusion time; the paper's default is 1 (larger t keeps only slow diffusion modes:
            for k separated clusters, DSE → log₂ k).
        sigma_mode: ``"absolute"`` (σ in the units of ``z``, the paper's) or ``"median"`` (σ is
            ``sigma`` times the median pairwise distance: invariant to rescaling ``z``).
        method: eigenvalue route, ``"eigvalsh"`` (default) or ``"eig"`` (cross-check).
        max_n: rows above this are subsampled at random (the paper's ``max_N = 10000``);
            ``None`` never subsamples. The cost is O(N³) time, O(N²) memory.
        seed: seed of the subsample.

    Returns:
        DSE in bits, in ``[0, log₂ N]``.

    Example:
        >>> z = torch.cat([torch.randn(50, 5), torch.randn(50, 5) + 100])
        >>> round(diffusion_spectral_entropy(z, sigma=10.0, t=2), 1)
        1.0
    """
    z = _as_features("z", z)
    t = check_positive("t", t)
    _check_choice("method", method, _EIGEN_METHODS)
    (z,) = _subsample(z, max_n, seed)
    s = resolve_sigma(z, sigma, sigma_mode)
    eigenvalues = _eigenvalues_from_squared(_squared_distances(z), s, method, inplace=True)
    return spectral_entropy(eigenvalues, t)


# -- labels ---------------------------------------------------------------------------------


def discretize_labels(y: Any, n_clusters: int = 10, *, seed: int = 0) -> Tensor:
    """Class indices for DSMI and the binned baselines, following the paper.

    * Integer or boolean ``(N,)`` labels: used as they are (re-indexed to ``0..C-1``).
    * Floating ``(N,)`` or ``(N, 1)``: min-max scaled and cut into ``n_clusters`` equal bins.
    * Floating ``(N, D)`` with ``D > 1`` (e.g. the inputs X): spectral clustering into
      ``n_clusters`` groups (scikit-learn, nearest-neighbour affinity, ``cluster_qr`` labels).

    Args:
        y: labels or targets, tensor or numpy array.
        n_clusters: number of bins or clusters for non-discrete ``y``.
        seed: random state of the spectral clustering.

    Returns:
        int64 ``(N,)`` class indices in ``[0, C)``.

    Raises:
        MissingExtraError: vector ``y`` needs scikit-learn (extra ``data``).
    """
    if isinstance(y, np.ndarray):
        y = torch.from_numpy(y)
    if not isinstance(y, Tensor):
        raise TypeError(f"y must be a torch.Tensor or numpy array; got {type(y).__name__}")
    check_int("n_clusters", n_clusters, low=1)
    if y.dim() == 0 or y.dim() > 2:
        raise ConfigError(f"y must be (N,) labels or (N, D) targets; got shape {tuple(y.shape)}")
    if y.dim() == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.dim() == 1 and (y.dtype == torch.bool or not y.is_floating_point()):
        return torch.unique(y.detach().cpu(), return_inverse=True)[1].to(torch.int64)
    yf = y.detach().cpu().to(torch.float64)
    if not bool(torch.isfinite(yf).all()):
        raise ConfigError("y contains NaN or infinite values")
    if yf.dim() == 1:
        lo, hi = yf.min(), yf.max()
        if hi <= lo:
            return torch.zeros(yf.shape[0], dtype=torch.int64)
        scaled = (yf - lo) / (hi - lo)
        return (scaled * n_clusters).floor().clamp_(max=n_clusters - 1).to(torch.int64)
    cluster = require("sklearn.cluster", "data")
    n_clusters = min(n_clusters, yf.shape[0])
    model = cluster.SpectralClustering(
        n_clusters=n_clusters,
        affinity="nearest_neighbors",
        assign_labels="cluster_qr",
        random_state=seed,
    )
    labels = model.fit_predict(yf.numpy())
    return torch.unique(torch.as_tensor(labels), return_inverse=True)[1].to(torch.int64)


def _check_pair(z: Tensor, y: Tensor) -> None:
    if z.shape[0] != y.shape[0]:
        raise ConfigError(
            f"z and y must have the same number of samples; got {z.shape[0]} and {y.shape[0]}"
        )


def diffusion_spectral_mutual_information(
    z: Tensor,
    y: Any,
    sigma: float = 10.0,
    t: float = 1,
    *,
    sigma_mode: SigmaMode = "absolute",
    num_repetitions: int = 5,
    n_clusters: int = 10,
    method: EigenMethod = "eigvalsh",
    max_n: int | None = 10_000,
    seed: int = 0,
) -> float:
    """Diffusion spectral mutual information ``I_D(Z; Y)`` in bits.

    ``I_D = Σ_c p(Y=c) [mean_r S_D(Z*_{c,r}) - S_D(Z | Y=c)]`` where ``Z*_{c,r}`` are
    ``num_repetitions`` random subsets of ``z`` with as many rows as class ``c``. Pairwise
    distances are computed once and indexed for every subset, and in ``"median"`` mode σ is
    fixed from the whole of ``z`` so that every subset uses the same kernel bandwidth.

    Args:
        z: features ``(N, D)``.
        y: ``(N,)`` labels or ``(N, D_y)`` targets (see :func:`discretize_labels`).
        sigma, t, sigma_mode, method: as in :func:`diffusion_spectral_entropy`.
        num_repetitions: random reference subsets per class (the paper: 5).
        n_clusters: bins or clusters for non-discrete ``y`` (the paper: 10).
        max_n: subsample ``(z, y)`` above this many rows.
        seed: seed of the subsample, the reference subsets and any clustering.

    Returns:
        DSMI in bits (≈ 0 when ``y`` is independent of ``z``; may be slightly negative).
    """
    z = _as_features("z", z)
    t = check_positive("t", t)
    check_int("num_repetitions", num_repetitions, low=1)
    _check_choice("method", method, _EIGEN_METHODS)
    labels = discretize_labels(y, n_clusters, seed=seed)
    _check_pair(z, labels)
    z, labels = _subsample(z, max_n, seed, labels)
    s = resolve_sigma(z, sigma, sigma_mode)
    d2 = _squared_distances(z)
    n = z.shape[0]
    gen = torch.Generator().manual_seed(seed + 1)
    classes, counts = torch.unique(labels, return_counts=True)
    total = 0.0

    def subset_entropy(idx: Tensor) -> float:
        # Indexing copies, so the kernel may be built in place of the copy.
        block = d2[idx[:, None], idx[None, :]]
        return spectral_entropy(_eigenvalues_from_squared(block, s, method, inplace=True), t)

    for c, n_c in zip(classes.tolist(), counts.tolist(), strict=True):
        cond = subset_entropy((labels == c).nonzero()[:, 0])
        ref = 0.0
        for _ in range(num_repetitions):
            ref += subset_entropy(torch.randperm(n, generator=gen)[:n_c])
        total += (n_c / n) * (ref / num_repetitions - cond)
    return total


# -- baselines ------------------------------------------------------------------------------


def _bin_codes(z: Tensor, n_bins: int) -> Tensor:
    """Row codes: each column cut into ``n_bins`` equal-width bins over its own range."""
    lo = z.min(dim=0).values
    width = z.max(dim=0).values - lo
    safe = torch.where(width > 0, width, torch.ones_like(width))
    bins = ((z - lo) / safe * n_bins).floor().clamp_(0, n_bins - 1).to(torch.int64)
    bins[:, width <= 0] = 0
    return torch.unique(bins, dim=0, return_inverse=True)[1]


def _entropy_of_codes(codes: Tensor) -> float:
    counts = torch.unique(codes, return_counts=True)[1].to(torch.float64)
    p = counts / counts.sum()
    return float(-(p * torch.log2(p)).sum())


def binned_entropy(z: Tensor, n_bins: int = 2) -> float:
    """Classic Shannon entropy (bits) of ``z`` after binning every feature (the paper's CSE).

    Each column is cut into ``n_bins`` equal-width bins over its range; a sample's bin vector is
    its symbol. The result saturates at ``log₂ N`` once every sample has its own symbol, which
    happens quickly in high dimension, and noise in any column changes it.

    Args:
        z: features ``(N, D)``.
        n_bins: bins per feature (the paper: 2).

    Returns:
        Entropy in bits, in ``[0, log₂ N]``.
    """
    z = _as_features("z", z)
    check_int("n_bins", n_bins, low=1)
    return _entropy_of_codes(_bin_codes(z, n_bins))


def binned_mutual_information(
    z: Tensor, y: Any, n_bins: int = 2, *, n_clusters: int = 10, seed: int = 0
) -> float:
    """Classic Shannon mutual information ``H(Z) - Σ_c p(c) H(Z | Y=c)`` of binned ``z`` (CSMI).

    Args:
        z: features ``(N, D)``, binned as in :func:`binned_entropy` (bins from all of ``z``).
        y: labels or targets (see :func:`discretize_labels`).
        n_bins: bins per feature.
        n_clusters: bins or clusters for non-discrete ``y``.
        seed: random state of any clustering.

    Returns:
        MI in bits, in ``[0, H(Y)]``.
    """
    z = _as_features("z", z)
    check_int("n_bins", n_bins, low=1)
    labels = discretize_labels(y, n_clusters, seed=seed)
    _check_pair(z, labels)
    codes = _bin_codes(z, n_bins)
    n = z.shape[0]
    cond = 0.0
    for c in torch.unique(labels).tolist():
        mask = labels == c
        cond += int(mask.sum()) / n * _entropy_of_codes(codes[mask])
    return _entropy_of_codes(codes) - cond


def knn_mutual_information(x: Tensor, y: Any, k: int = 3, *, base: float = 2.0) -> float:
    """k-nearest-neighbour estimate of ``I(X; Y)``.

    * Continuous ``y`` (floating ``(N,)`` or ``(N, D_y)``): the KSG estimator (Kraskov,
      Stögbauer, Grassberger 2004, algorithm 1) with max-norms,
      ``ψ(k) + ψ(N) - ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩``.
    * Discrete ``y`` (integer or boolean ``(N,)``): Ross (2014),
      ``ψ(N) + ψ(k) - ⟨ψ(N_c)⟩ - ⟨ψ(m)⟩``; samples of classes with a single member are
      dropped and ``k`` is capped at ``N_c - 1`` within small classes.

    Distances are dense (O(N²) memory): meant for N up to a few thousand.

    Args:
        x: ``(N, D_x)`` samples.
        y: ``(N,)`` or ``(N, D_y)``.
        k: neighbours.
        base: logarithm base of the result (2: bits; ``math.e``: nats).

    Returns:
        The MI estimate (may be slightly negative for independent variables).
    """
    x = _as_features("x", x, min_rows=2)
    check_int("k", k, low=1)
    base = check_positive("base", base)
    if base == 1.0:
        raise ConfigError("base must be a logarithm base > 0 other than 1; got 1")
    if isinstance(y, np.ndarray):
        y = torch.from_numpy(y)
    if not isinstance(y, Tensor):
        raise TypeError(f"y must be a torch.Tensor or numpy array; got {type(y).__name__}")
    discrete = y.dim() == 1 and (y.dtype == torch.bool or not y.is_floating_point())
    n = x.shape[0]
    if y.shape[0] != n:
        raise ConfigError(f"x and y must have the same number of samples; got {n} and {y.shape[0]}")
    dx = torch.cdist(x, x, p=math.inf)

    def psi(v: Tensor | float) -> Tensor:
        return torch.special.digamma(torch.as_tensor(v, dtype=torch.float64))

    if discrete:
        labels = torch.unique(y, return_inverse=True)[1]
        counts = torch.bincount(labels)
        keep = counts[labels] > 1
        if int(keep.sum()) < 2:
            raise ConfigError("knn_mutual_information needs a class with at least 2 samples")
        x_idx = keep.nonzero()[:, 0]
        dx = dx[x_idx][:, x_idx]
        labels = labels[x_idx]
        counts = torch.bincount(labels)
        n = int(x_idx.numel())
        n_c = counts[labels]
        k_i = torch.clamp(n_c - 1, max=k)
        same = labels[:, None] == labels[None, :]
        d_same = dx.masked_fill(~same, math.inf)
        d_same.fill_diagonal_(math.inf)
        srt = d_same.sort(dim=1).values
        radius = srt.gather(1, (k_i - 1)[:, None])[:, 0]
        dself = dx.clone()
        dself.fill_diagonal_(math.inf)
        m = (dself <= radius[:, None]).sum(dim=1)
        value = (
            float(psi(n)) + float(psi(k_i).mean()) - float(psi(n_c).mean()) - float(psi(m).mean())
        )
    else:
        yc = _as_features("y", y)
        dy = torch.cdist(yc, yc, p=math.inf)
        if n <= k:
            raise ConfigError(f"knn_mutual_information needs more than k={k} samples; got {n}")
        joint = torch.maximum(dx, dy)
        joint.fill_diagonal_(math.inf)
        eps = joint.kthvalue(k, dim=1).values
        dx.fill_diagonal_(math.inf)
        dy.fill_diagonal_(math.inf)
        nx = (dx < eps[:, None]).sum(dim=1)
        ny = (dy < eps[:, None]).sum(dim=1)
        value = float(psi(k) + psi(n) - (psi(nx + 1) + psi(ny + 1)).mean())
    return value / math.log(base)
