"""Diffusion spectral entropy / mutual information and the entropy/MI baselines: closed forms,
invariances, two eigenvalue routes agreeing, and errors that name the argument."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.probes import (
    ProbeCallback,
    binned_entropy,
    binned_mutual_information,
    diffusion_eigenvalues,
    diffusion_matrix,
    diffusion_spectral_entropy,
    diffusion_spectral_mutual_information,
    discretize_labels,
    knn_mutual_information,
    median_distance,
    pairwise_squared_distances,
    resolve_sigma,
    spectral_entropy,
)

dse = diffusion_spectral_entropy
dsmi = diffusion_spectral_mutual_information


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _cliques(
    k: int, m: int, dim: int = 5, spacing: float = 1e3
) -> tuple[torch.Tensor, torch.Tensor]:
    """k groups of m identical points, groups ``spacing`` apart: a disconnected graph of cliques."""
    dim = max(k, dim)
    centres = spacing * torch.eye(dim, dtype=torch.float64)[:k]
    labels = torch.arange(k).repeat_interleave(m)
    return centres[labels], labels


def _blobs(k: int, n: int, dim: int = 10, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = _gen(seed)
    centres = (torch.rand(k, dim, generator=g, dtype=torch.float64) * 2 - 1) * 100
    labels = torch.arange(n) % k
    return centres[labels] + torch.randn(n, dim, generator=g, dtype=torch.float64), labels


# -- closed forms ---------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 8])
@pytest.mark.parametrize("t", [1, 2, 7.5])
def test_disconnected_cliques_give_exactly_log2_k(k, t):
    z, _ = _cliques(k, 20)
    assert dse(z, sigma=10.0, t=t) == pytest.approx(math.log2(k), abs=1e-9)


def test_identical_points_have_zero_entropy():
    z = torch.ones(50, 4)
    assert dse(z) == pytest.approx(0.0, abs=1e-9)
    assert dse(z, sigma=1.0, sigma_mode="median") == pytest.approx(0.0, abs=1e-9)


def test_far_apart_points_have_maximal_entropy():
    n = 64
    z = 1e4 * torch.eye(n, dtype=torch.float64)  # all distances ≫ σ: K = I
    assert dse(z, sigma=10.0) == pytest.approx(math.log2(n), abs=1e-9)


def test_blobs_tend_to_log2_k_as_t_grows():
    z, _ = _blobs(4, 400)
    values = [dse(z, sigma=10.0, t=t) for t in (1, 2, 4, 16)]
    assert all(b < a for a, b in itertools.pairwise(values))
    assert values[-1] == pytest.approx(2.0, abs=0.01)
    assert 0.0 <= values[0] <= math.log2(400)


def test_spectral_entropy_of_a_known_spectrum():
    lam = torch.tensor([1.0, -1.0, 0.0, 0.0], dtype=torch.float64)  # |λ| is what counts
    assert spectral_entropy(lam, t=3) == pytest.approx(1.0, abs=1e-12)


# -- the operator and two eigenvalue routes -------------------------------------------------


def test_diffusion_matrix_properties():
    z = torch.randn(80, 6, generator=_gen(1), dtype=torch.float64)
    p = diffusion_matrix(z, sigma=2.0, symmetric=False)
    k = diffusion_matrix(z, sigma=2.0)
    torch.testing.assert_close(p.sum(dim=1), torch.ones(80, dtype=torch.float64))
    torch.testing.assert_close(k, k.T, rtol=0, atol=0)
    ev = torch.linalg.eigvalsh(k)
    assert ev.max() == pytest.approx(1.0, abs=1e-12) and ev.min() >= -1 - 1e-12


def test_two_dse_paths_agree_to_1e_10():
    z = torch.randn(150, 8, generator=_gen(2), dtype=torch.float64) * 3
    for t in (1, 2, 3):
        fast = dse(z, sigma=4.0, t=t)
        slow = dse(z, sigma=4.0, t=t, method="eig")
        assert abs(fast - slow) < 1e-10
    # A third route that never diagonalises: Σ λ^t = tr(K^t) for integer t.
    k = diffusion_matrix(z, sigma=4.0)
    lam = diffusion_eigenvalues(z, sigma=4.0)
    for t in (1, 2, 3):
        trace = torch.trace(torch.linalg.matrix_power(k, t))
        assert float((lam**t).sum()) == pytest.approx(float(trace), rel=1e-11)


def test_against_an_explicit_dense_reference():
    """The definition written out naively: Gaussian with its constant, dense Q^{-1/2} products."""
    z = torch.randn(120, 5, generator=_gen(3), dtype=torch.float64) * 5
    sigma, t = 10.0, 1
    d = torch.cdist(z, z)
    g = torch.exp(-(d**2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))
    q = torch.diag(g.sum(dim=1) ** -0.5)
    lam = torch.linalg.eigvals(q @ g @ q).real.abs() ** t
    p = lam / lam.sum() + np.finfo(float).eps
    reference = float(-(p * torch.log2(p)).sum())
    assert dse(z, sigma=sigma, t=t) == pytest.approx(reference, abs=1e-10)


# -- invariances and the σ pitfall ----------------------------------------------------------


def test_permutation_rotation_translation_invariance():
    z = torch.randn(100, 6, generator=_gen(4), dtype=torch.float64) * 4
    base = dse(z)
    perm = torch.randperm(100, generator=_gen(5))
    rot, _ = torch.linalg.qr(torch.randn(6, 6, generator=_gen(6), dtype=torch.float64))
    assert dse(z[perm]) == pytest.approx(base, abs=1e-10)
    assert dse(z @ rot) == pytest.approx(base, abs=1e-10)
    assert dse(z + 1e3) == pytest.approx(base, abs=1e-9)


def test_median_sigma_is_scale_invariant_and_absolute_sigma_is_not():
    z = torch.randn(100, 6, generator=_gen(7), dtype=torch.float64)
    rel = dse(z, sigma=0.5, sigma_mode="median")
    assert dse(37.0 * z, sigma=0.5, sigma_mode="median") == pytest.approx(rel, abs=1e-10)
    assert abs(dse(z, sigma=10.0) - dse(37.0 * z, sigma=10.0)) > 1.0
    assert resolve_sigma(z, 2.0, "median") == pytest.approx(2.0 * median_distance(z))
    assert resolve_sigma(z, 2.0) == 2.0


def test_dtype_and_numpy_inputs_and_subsampling():
    z = torch.randn(60, 3, generator=_gen(8))
    assert dse(z) == pytest.approx(dse(z.double()), abs=1e-12)
    assert dse(z.numpy()) == pytest.approx(dse(z), abs=1e-12)
    small = dse(z, max_n=16)
    assert 0.0 <= small <= 4.0 + 1e-9


def test_pairwise_squared_distances_match_cdist():
    z = torch.randn(40, 7, generator=_gen(9), dtype=torch.float64) + 50
    torch.testing.assert_close(
        pairwise_squared_distances(z), torch.cdist(z, z) ** 2, rtol=1e-9, atol=1e-9
    )


# -- DSMI ------------------------------------------------------------------------------------


def test_dsmi_of_clustered_z_with_cluster_labels_is_log2_k():
    z, y = _cliques(4, 50)
    assert dsmi(z, y) == pytest.approx(2.0, abs=1e-6)


def test_dsmi_of_independent_labels_is_near_zero():
    z = torch.randn(400, 5, generator=_gen(10), dtype=torch.float64) * 3
    y = torch.randint(0, 4, (400,), generator=_gen(11))
    assert abs(dsmi(z, y)) < 0.05
    zc, yc = _blobs(4, 400)
    assert dsmi(zc, yc) > 1.0  # the same sizes, but labels that match the geometry


def test_discretize_labels():
    y = torch.tensor([3, 3, 7, 9])
    assert discretize_labels(y).tolist() == [0, 0, 1, 2]
    scalar = torch.linspace(0, 1, 100)
    binned = discretize_labels(scalar, n_clusters=10)
    assert binned.min() == 0 and binned.max() == 9 and torch.bincount(binned).tolist() == [10] * 10
    assert discretize_labels(torch.full((5,), 2.0)).tolist() == [0] * 5


@pytest.mark.filterwarnings("ignore:Graph is not fully connected")
def test_vector_targets_are_spectrally_clustered():
    pytest.importorskip("sklearn")
    z, y_true = _cliques(3, 20)
    clusters = discretize_labels(z, n_clusters=3)
    # Spectral clustering recovers the three cliques (up to renaming).
    assert len({(int(a), int(b)) for a, b in zip(clusters, y_true, strict=True)}) == 3


def test_dsmi_with_scalar_targets_is_binned():
    z, y = _cliques(2, 30, spacing=100.0)
    target = y.double() + 0.01 * torch.rand(60, generator=_gen(12), dtype=torch.float64)
    assert dsmi(z, target, n_clusters=2) == pytest.approx(1.0, abs=1e-6)


# -- baselines -------------------------------------------------------------------------------


def test_binned_entropy_closed_form():
    z = torch.tensor([0.0, 1.0, 2.0, 3.0]).repeat(25)[:, None]
    assert binned_entropy(z, n_bins=4) == pytest.approx(2.0)
    assert binned_entropy(z, n_bins=2) == pytest.approx(1.0)
    assert binned_entropy(torch.zeros(10, 3)) == 0.0


def test_binned_mutual_information_closed_form_and_noise_sensitivity():
    z = torch.tensor([0.0, 1.0]).repeat(50)[:, None]
    y = (z[:, 0] > 0.5).long()
    assert binned_mutual_information(z, y) == pytest.approx(1.0)
    assert binned_mutual_information(z, torch.zeros(100, dtype=torch.long)) == pytest.approx(0.0)
    # Enough random noise columns give every sample its own symbol: MI = H(Y) for any labels.
    y_random = torch.randint(0, 2, (100,), generator=_gen(13))
    noisy = torch.cat([z, torch.randn(100, 30, generator=_gen(14))], dim=1)
    h_y = binned_entropy(y_random[:, None].double())
    assert binned_mutual_information(noisy, y_random) == pytest.approx(h_y)


def test_ksg_matches_the_gaussian_closed_form():
    rho = 0.8
    truth = -0.5 * math.log(1 - rho**2)
    estimates = []
    for seed in range(3):
        a = torch.randn(1500, 2, generator=_gen(20 + seed), dtype=torch.float64)
        b = rho * a[:, 0] + math.sqrt(1 - rho**2) * a[:, 1]
        estimates.append(knn_mutual_information(a[:, :1], b, k=3, base=math.e))
    assert sum(estimates) / 3 == pytest.approx(truth, abs=0.05)
    assert knn_mutual_information(a[:, :1], b, base=2.0) == pytest.approx(
        estimates[-1] / math.log(2)
    )


def test_ksg_agrees_with_scikit_learn():
    feature_selection = pytest.importorskip("sklearn.feature_selection")
    a = torch.randn(500, 2, generator=_gen(30), dtype=torch.float64)
    b = 0.6 * a[:, 0] + 0.8 * a[:, 1]
    ours = knn_mutual_information(a[:, :1], b, base=math.e)
    theirs = feature_selection.mutual_info_regression(a[:, :1].numpy(), b.numpy(), random_state=0)[
        0
    ]
    assert ours == pytest.approx(theirs, abs=1e-3)
    y = (a[:, 0] > 0).long()
    ours_d = knn_mutual_information(a[:, :1], y, base=math.e)
    theirs_d = feature_selection.mutual_info_classif(a[:, :1].numpy(), y.numpy(), random_state=0)[0]
    assert ours_d == pytest.approx(theirs_d, abs=1e-3)


def test_knn_mi_of_discrete_labels():
    z, y = _blobs(4, 400)
    assert knn_mutual_information(z, y) == pytest.approx(2.0, abs=0.05)
    y_random = torch.randint(0, 4, (400,), generator=_gen(15))
    assert abs(knn_mutual_information(z, y_random)) < 0.1


# -- as a training probe ---------------------------------------------------------------------


def test_probe_callback_attaches_to_fit():
    from nnatlas.nn.models import MLP
    from nnatlas.train.loop import fit

    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = (x[:, 0] > 0).long()
    model = MLP(4, [16], 2)
    cb = ProbeCallback(diffusion_spectral_entropy, layer="layers.1", inputs=x)
    cb_mi = ProbeCallback(
        diffusion_spectral_mutual_information, layer="layers.1", inputs=x, labels=y
    )
    history = fit(
        model, x, y, optimizer=torch.optim.Adam(model.parameters()), epochs=2, callbacks=[cb, cb_mi]
    )
    assert [h["epoch"] for h in cb.history] == [1, 2]
    assert all(0.0 <= h["diffusion_spectral_entropy"] <= 6.0 for h in history)
    assert "diffusion_spectral_mutual_information" in history[-1]


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sigma": 0.0}, ConfigError, "sigma"),
        ({"sigma": -1.0}, ConfigError, "sigma"),
        ({"sigma": "10"}, TypeError, "sigma"),
        ({"t": 0}, ConfigError, "t must"),
        ({"method": "lanczos"}, UnknownNameError, "method"),
        ({"sigma_mode": "relative"}, UnknownNameError, "sigma_mode"),
        ({"max_n": 0}, ConfigError, "max_n"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        dse(torch.randn(10, 3), **kwargs)


def test_bad_inputs_are_named():
    with pytest.raises(ConfigError, match="z must be 2-D"):
        dse(torch.randn(2, 3, 4))
    with pytest.raises(ConfigError, match="NaN"):
        dse(torch.tensor([[0.0, float("nan")]]))
    with pytest.raises(TypeError, match="z must be"):
        dse([[0.0, 1.0]])
    with pytest.raises(ConfigError, match="same number of samples"):
        dsmi(torch.randn(10, 3), torch.zeros(9, dtype=torch.long))
    with pytest.raises(ConfigError, match="same number of samples"):
        knn_mutual_information(torch.randn(10, 3), torch.randn(9))
    with pytest.raises(ConfigError, match="n_bins"):
        binned_entropy(torch.randn(10, 3), n_bins=0)
    with pytest.raises(ConfigError, match="num_repetitions"):
        dsmi(torch.randn(10, 3), torch.zeros(10, dtype=torch.long), num_repetitions=0)
