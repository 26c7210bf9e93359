"""Bad inputs to every public entry point of ``nnatlas.probes`` fail clearly, naming the argument.

Table-driven rows call one entry point with one bad argument and name the argument the error
must mention; hypothesis feeds generated wrong-dtype, non-finite and wrong-rank tensors to the
tensor-taking entry points. ``tests/test_bad_input_coverage.py`` checks that ``COVERED`` and
``EXEMPT`` together are ``nnatlas.probes.__all__``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from torch import nn

from nnatlas.core.errors import UnknownNameError
from nnatlas.probes import (
    NAP,
    Euclidean,
    FCCovNet,
    ProbeCallback,
    SPDAffineInvariant,
    SPDLogEuclidean,
    SphereGeodesic,
    Wasserstein2,
    activation_patterns,
    affine_layers,
    binned_entropy,
    binned_mutual_information,
    capture_features,
    certified_radius,
    crown_margin_lower_bounds,
    diffusion_eigenvalues,
    diffusion_matrix,
    diffusion_spectral_entropy,
    diffusion_spectral_mutual_information,
    discretize_labels,
    distance_correlation,
    distance_covariance,
    extract_features,
    fccov,
    fccov_cnn,
    fccov_direct,
    fccov_loss,
    fccov_mlp,
    forward_margins,
    get_metric,
    interval_bounds,
    kernel_sir,
    knn_mutual_information,
    layer_names,
    margin_lower_bounds,
    median_distance,
    metric_balls,
    milp_margins,
    mine_naps,
    mine_naps_from_patterns,
    nap_statistics,
    non_ambiguity,
    orthogonality_penalty,
    pairwise_squared_distances,
    pgd_in_nap,
    relu_layers,
    resolve_sigma,
    sliced_inverse_regression,
    spd_log,
    spectral_entropy,
    verify_region,
)
from nnatlas.testing.bad_inputs import (
    assert_clear_error,
    bad_dtype_tensors,
    nonfinite_tensors,
    unknown_names,
    wrong_rank_tensors,
)

NAN, INF = math.nan, math.inf
# Unknown option names raise the project's UnknownNameError (a KeyError listing the valid names).
CLEAR = (ValueError, TypeError, UnknownNameError)

torch.manual_seed(0)
NET = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
LAYERS = affine_layers(NET)
LO, HI = torch.zeros(3), torch.ones(3)
X = torch.rand(8, 3)
Y = torch.tensor([0, 1] * 4)
Z = torch.randn(8, 2)
PATTERNS = activation_patterns(NET, X)
NAP0 = NAP(0, torch.zeros(4, dtype=torch.bool), torch.zeros(4, dtype=torch.bool), (4,))
NAPS = {0: NAP0}
EYE = torch.ones(3)
# FCCov inputs: a symmetric 8×8 distance matrix, a non-SPD and an asymmetric 2×2 matrix
DIST = torch.cdist(Z, Z)
NOT_SPD = torch.tensor([[[1.0, 0.0], [0.0, -1.0]]])
ASYM = torch.tensor([[[2.0, 1.0], [0.0, 2.0]]])
SIR = sliced_inverse_regression(X, Z[:, 0], 1, n_slices=2)
GSIR = kernel_sir(X, DIST, 1)
FNET = FCCovNet(fccov_mlp(3, 2, (4,)), "euclidean")


def probe(f: torch.Tensor) -> float:
    return float(f.mean())


# (entry point, callable doing one bad call, the argument its error must name)
Case = tuple[str, Callable[[], Any], str | tuple[str, ...]]
CASES: list[Case] = [
    # -- features and callbacks ----------------------------------------------------------------
    ("layer_names", lambda: layer_names("net"), "model"),  # type: ignore[arg-type]
    ("capture_features", lambda: capture_features(NET, ["9"]).__enter__(), ("layers", "layer")),
    ("capture_features", lambda: capture_features("net", ["0"]).__enter__(), "model"),  # type: ignore[arg-type]
    ("extract_features", lambda: extract_features(NET, X, "9"), ("layers", "layer")),
    ("extract_features", lambda: extract_features(NET, X, "0", batch_size=0), "batch_size"),
    ("extract_features", lambda: extract_features(NET, X.numpy(), "0"), "x"),  # type: ignore[arg-type]
    ("extract_features", lambda: extract_features(NET, X[:0], "0"), "x"),
    ("ProbeCallback", lambda: ProbeCallback(3, layer="0", inputs=X), "probe"),  # type: ignore[arg-type]
    ("ProbeCallback", lambda: ProbeCallback(probe, layer=0, inputs=X), "layer"),  # type: ignore[arg-type]
    ("ProbeCallback", lambda: ProbeCallback(probe, layer="0", inputs=[1.0]), "inputs"),  # type: ignore[arg-type]
    ("ProbeCallback", lambda: ProbeCallback(probe, layer="0", inputs=X, labels=Y[:3]), "labels"),
    ("ProbeCallback", lambda: ProbeCallback(probe, layer="0", inputs=X, every=0), "every"),
    ("ProbeCallback", lambda: ProbeCallback(probe, layer="0", inputs=X, on_log="log"), "on_log"),  # type: ignore[arg-type]
    # -- NAPs ----------------------------------------------------------------------------------
    ("relu_layers", lambda: relu_layers("net"), "model"),  # type: ignore[arg-type]
    (
        "relu_layers",
        lambda: relu_layers(nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2))),
        "model",
    ),
    ("activation_patterns", lambda: activation_patterns(NET, X, layers=[]), "layers"),
    ("activation_patterns", lambda: activation_patterns(NET, X, batch_size=0), "batch_size"),
    ("NAP", lambda: NAP(0, torch.zeros(3, dtype=torch.bool), NAP0.inactive, (4,)), "active"),
    ("NAP", lambda: NAP(0, NAP0.active, torch.zeros(4), (4,)), "inactive"),
    (
        "NAP",
        lambda: NAP(0, torch.ones(4, dtype=torch.bool), torch.ones(4, dtype=torch.bool), (4,)),
        "active",
    ),
    ("NAP", lambda: NAP(-1, NAP0.active, NAP0.inactive, (4,)), "label"),
    ("NAP", lambda: NAP(0, NAP0.active, NAP0.inactive, (4,)).contains(PATTERNS[:, :3]), "patterns"),
    ("mine_naps", lambda: mine_naps(NET, X, Y, delta=1.5), "delta"),
    ("mine_naps", lambda: mine_naps(NET, X, Y[:3]), "labels"),
    ("mine_naps_from_patterns", lambda: mine_naps_from_patterns(PATTERNS, Y, (3,)), "widths"),
    (
        "mine_naps_from_patterns",
        lambda: mine_naps_from_patterns(PATTERNS.float(), Y, (4,)),
        "patterns",
    ),
    (
        "mine_naps_from_patterns",
        lambda: mine_naps_from_patterns(PATTERNS, Y.float(), (4,)),
        "labels",
    ),
    (
        "mine_naps_from_patterns",
        lambda: mine_naps_from_patterns(PATTERNS, Y, (4,), delta=NAN),
        "delta",
    ),
    ("nap_statistics", lambda: nap_statistics(NAPS, PATTERNS, Y, Y[:2]), "predictions"),
    ("nap_statistics", lambda: nap_statistics([NAP0], PATTERNS, Y, Y), "naps"),  # type: ignore[arg-type]
    ("NAPStats", lambda: nap_statistics(NAPS, PATTERNS[:, :2], Y, Y), "patterns"),
    ("non_ambiguity", lambda: non_ambiguity([NAP0]), "naps"),  # type: ignore[arg-type]
    ("non_ambiguity", lambda: non_ambiguity({0: "nap"}), "naps"),  # type: ignore[dict-item]
    # -- verification --------------------------------------------------------------------------
    ("affine_layers", lambda: affine_layers(nn.Sequential(nn.Conv1d(1, 1, 1))), "model"),
    ("interval_bounds", lambda: interval_bounds("net", LO, HI), "model"),  # type: ignore[arg-type]
    (
        "interval_bounds",
        lambda: interval_bounds([(torch.ones(4, 3), torch.ones(3))], LO, HI),
        "model",
    ),
    ("interval_bounds", lambda: interval_bounds(NET, HI, LO), "lower"),
    ("interval_bounds", lambda: interval_bounds(NET, LO, torch.ones(4)), ("lower", "upper")),
    ("interval_bounds", lambda: interval_bounds(NET, LO, HI, nap="nap"), "nap"),  # type: ignore[arg-type]
    (
        "interval_bounds",
        lambda: interval_bounds(
            NET, LO, HI, nap=NAP(0, *[torch.zeros(3, dtype=torch.bool)] * 2, (3,))
        ),
        "nap",
    ),
    ("IntervalBounds", lambda: interval_bounds(NET, LO, [1.0, 1.0, 1.0]), "upper"),  # type: ignore[arg-type]
    ("margin_lower_bounds", lambda: margin_lower_bounds(NET, LO, HI, 2), "label"),
    ("margin_lower_bounds", lambda: margin_lower_bounds(NET, LO, HI, True), "label"),  # type: ignore[arg-type]
    ("forward_margins", lambda: forward_margins(NET, torch.ones(2, 4), 0), "x"),
    ("forward_margins", lambda: forward_margins(NET, torch.ones(2, 3), 5), "label"),
    (
        "crown_margin_lower_bounds",
        lambda: crown_margin_lower_bounds(NET, LO[None], HI[None], 0),
        "lower",
    ),
    ("milp_margins", lambda: milp_margins(NET, LO, HI, 0, competitors=[0]), "competitors"),
    ("milp_margins", lambda: milp_margins(NET, LO, HI, 0, competitors=1), "competitors"),  # type: ignore[arg-type]
    ("milp_margins", lambda: milp_margins(NET, LO, HI, 0, time_limit=0.0), "time_limit"),
    ("MarginResult", lambda: milp_margins(NET, LO[None], HI[None], 0), "lower"),
    ("pgd_in_nap", lambda: pgd_in_nap(NET, LO, HI, 0, restarts=0), ("starts", "restarts")),
    ("pgd_in_nap", lambda: pgd_in_nap(NET, LO, HI, 0, steps=-1), "steps"),
    ("pgd_in_nap", lambda: pgd_in_nap(NET, LO, HI, 0, penalty=NAN), "penalty"),
    ("pgd_in_nap", lambda: pgd_in_nap(NET, LO, HI, 0, step_size=-0.1), "step_size"),
    ("pgd_in_nap", lambda: pgd_in_nap(NET, LO, HI, 0, starts=torch.ones(2, 4)), "starts"),
    ("PGDResult", lambda: pgd_in_nap(NET, LO, HI, 0, starts=torch.ones(3)), "starts"),
    ("verify_region", lambda: verify_region(NET, LO, HI, 0, method="smt"), "method"),  # type: ignore[arg-type]
    ("verify_region", lambda: verify_region(NET, LO, HI, 3), "label"),
    ("certified_radius", lambda: certified_radius(NET, EYE, 0, tol=0.0), "tol"),
    ("certified_radius", lambda: certified_radius(NET, EYE, 0, max_radius=INF), "max_radius"),
    ("certified_radius", lambda: certified_radius(NET, EYE, 0, domain=(1.0, 0.0)), "domain"),
    ("certified_radius", lambda: certified_radius(NET, EYE, 0, method="smt"), "method"),  # type: ignore[arg-type]
    ("certified_radius", lambda: certified_radius(NET, torch.ones(2, 3), 0), "x"),
    # -- diffusion spectral entropy and baselines ----------------------------------------------
    ("pairwise_squared_distances", lambda: pairwise_squared_distances([[1.0]]), "z"),  # type: ignore[arg-type]
    ("median_distance", lambda: median_distance(Z, max_points=1), "max_points"),
    ("resolve_sigma", lambda: resolve_sigma(Z, -1.0), "sigma"),
    ("resolve_sigma", lambda: resolve_sigma(Z, 1.0, "relative"), "sigma_mode"),  # type: ignore[arg-type]
    ("diffusion_matrix", lambda: diffusion_matrix(Z, NAN), "sigma"),
    ("diffusion_eigenvalues", lambda: diffusion_eigenvalues(Z, method="svd"), "method"),  # type: ignore[arg-type]
    ("spectral_entropy", lambda: spectral_entropy(torch.ones(3), t=-1), "t"),
    ("spectral_entropy", lambda: spectral_entropy(torch.ones(3, 3)), "eigenvalues"),
    ("diffusion_spectral_entropy", lambda: diffusion_spectral_entropy(Z, t=0), "t"),
    ("diffusion_spectral_entropy", lambda: diffusion_spectral_entropy(Z, max_n=0), "max_n"),
    ("discretize_labels", lambda: discretize_labels([0, 1]), "y"),  # type: ignore[arg-type]
    ("discretize_labels", lambda: discretize_labels(Y, n_clusters=0), "n_clusters"),
    (
        "diffusion_spectral_mutual_information",
        lambda: diffusion_spectral_mutual_information(Z, Y[:3]),
        ("z", "y"),
    ),
    (
        "diffusion_spectral_mutual_information",
        lambda: diffusion_spectral_mutual_information(Z, Y, num_repetitions=0),
        "num_repetitions",
    ),
    ("binned_entropy", lambda: binned_entropy(Z, n_bins=0), "n_bins"),
    ("binned_mutual_information", lambda: binned_mutual_information(Z, Y[:2]), ("z", "y")),
    ("knn_mutual_information", lambda: knn_mutual_information(Z, Y, k=0), "k"),
    ("knn_mutual_information", lambda: knn_mutual_information(Z, Y, base=1.0), "base"),
    ("knn_mutual_information", lambda: knn_mutual_information(Z, Y[:3]), ("x", "y")),
    # -- FCCov: metrics, objective, net, baselines, distance correlation ------------------------
    ("Euclidean", lambda: Euclidean().pairwise("a"), "a"),  # type: ignore[arg-type]
    ("Euclidean", lambda: Euclidean().pairwise(Z, torch.ones(2, 3)), ("a", "b")),
    ("Wasserstein2", lambda: Wasserstein2().pairwise(torch.tensor([[0.0, 1.0, 0.5]])), "a"),
    ("Wasserstein2", lambda: Wasserstein2(tol=-1.0), "tol"),
    ("SPDAffineInvariant", lambda: SPDAffineInvariant().pairwise(NOT_SPD), "a"),
    ("SPDAffineInvariant", lambda: SPDAffineInvariant().pairwise(Z), "a"),
    ("SPDAffineInvariant", lambda: SPDAffineInvariant(chunk=0), "chunk"),
    ("SPDLogEuclidean", lambda: SPDLogEuclidean().pairwise(ASYM), "a"),
    ("SphereGeodesic", lambda: SphereGeodesic().pairwise(torch.ones(2, 3)), "a"),
    ("spd_log", lambda: spd_log(NOT_SPD), "y"),
    ("get_metric", lambda: get_metric("manhattan"), "metric"),
    ("get_metric", lambda: get_metric(3), "metric"),  # type: ignore[arg-type]
    ("metric_balls", lambda: metric_balls(torch.rand(3, 4)), "distances"),
    ("metric_balls", lambda: metric_balls(-torch.ones(2, 2)), "distances"),
    ("fccov", lambda: fccov(torch.randn(5, 2), DIST), ("features", "distances")),
    ("fccov", lambda: fccov(torch.ones(8, 2, dtype=torch.long), DIST), "features"),
    ("fccov_direct", lambda: fccov_direct(torch.randn(3, 2), torch.rand(3, 4)), "distances"),
    ("fccov_loss", lambda: fccov_loss(Z, DIST, lam=0.0), "lam"),
    ("orthogonality_penalty", lambda: orthogonality_penalty(torch.randn(1, 2)), "features"),
    ("fccov_mlp", lambda: fccov_mlp(0, 2), "in_features"),
    ("fccov_cnn", lambda: fccov_cnn(1, 0), "out_features"),
    ("FCCovNet", lambda: FCCovNet("net"), "model"),  # type: ignore[arg-type]
    ("FCCovNet", lambda: FCCovNet(NET, "l1"), "metric"),
    ("FCCovNet", lambda: FCCovNet(NET, lam=-1.0), "lam"),
    ("FCCovNet", lambda: FNET.fit(X, Z, batch_size=1), "batch_size"),
    ("FCCovNet", lambda: FNET.fit(X, Z[:5]), ("x", "y")),
    ("FCCovNet", lambda: FNET.fit(X, distances=DIST[:5, :5]), "distances"),
    ("sliced_inverse_regression", lambda: sliced_inverse_regression(X, Z, 0), "n_directions"),
    (
        "sliced_inverse_regression",
        lambda: sliced_inverse_regression(X, Z, 1, n_slices=1),
        "n_slices",
    ),
    ("sliced_inverse_regression", lambda: sliced_inverse_regression(X, Z[:5], 1), ("x", "y")),
    ("LinearSDR", lambda: SIR.transform(torch.randn(3, 5)), "x"),
    ("kernel_sir", lambda: kernel_sir(X, DIST[:5, :5], 1), "distances"),
    ("kernel_sir", lambda: kernel_sir(X, DIST, 1, eps_x=0.0), "eps_x"),
    ("kernel_sir", lambda: kernel_sir(X, DIST, 9), "n_directions"),
    ("KernelSDR", lambda: GSIR.transform(torch.randn(3, 5)), "x"),
    ("distance_correlation", lambda: distance_correlation(Z, Z[:3]), ("x", "y")),
    (
        "distance_correlation",
        lambda: (
            distance_correlation(Z, Z, unbiased=True)
            and distance_correlation(Z[:3], Z[:3], unbiased=True)
        ),
        "samples",
    ),
    ("distance_covariance", lambda: distance_covariance([1.0], Z), "x"),  # type: ignore[arg-type]
]

EXEMPT: dict[str, str] = {
    "ReluLayers": "a frozen dataclass of layer names and widths (built by relu_layers)",
    "METRICS": "a dict of metric names to classes (get_metric's bad names are covered)",
    "MetricBalls": "a NamedTuple of index tensors built and checked by metric_balls",
    "MetricSpace": "the abstract base of the metrics (each concrete metric is covered)",
}
COVERED = {name for name, _, _ in CASES}


@pytest.mark.parametrize(
    ("name", "call", "argument"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_bad_argument_is_named(name: str, call: Callable[[], Any], argument: Any) -> None:
    assert_clear_error(call, argument=argument, exc=CLEAR)


# -- property-based: generated bad tensors ----------------------------------------------------

FEATURE_FUNCTIONS: list[tuple[Callable[..., Any], str]] = [
    (pairwise_squared_distances, "z"),
    (median_distance, "z"),
    (diffusion_matrix, "z"),
    (diffusion_spectral_entropy, "z"),
    (binned_entropy, "z"),
]


@settings(max_examples=15, deadline=None)
@given(bad=nonfinite_tensors((6, 2)))
def test_feature_probes_refuse_nonfinite_features(bad: torch.Tensor) -> None:
    for fn, argument in FEATURE_FUNCTIONS:
        assert_clear_error(fn, bad, argument=argument)
    assert_clear_error(knn_mutual_information, bad, Y[:6], argument="x")


@settings(max_examples=15, deadline=None)
@given(bad=bad_dtype_tensors((6, 2), dtypes=(torch.bool, torch.complex64)))
def test_feature_probes_refuse_bool_and_complex(bad: torch.Tensor) -> None:
    for fn, argument in FEATURE_FUNCTIONS:
        assert_clear_error(fn, bad, argument=argument)


@settings(max_examples=15, deadline=None)
@given(bad=wrong_rank_tensors(2, max_rank=4))
def test_feature_probes_refuse_wrong_rank(bad: torch.Tensor) -> None:
    if bad.dim() == 1:
        return  # a 1-D input is documented as one feature per sample
    for fn, argument in FEATURE_FUNCTIONS:
        assert_clear_error(fn, bad, argument=argument)


@settings(max_examples=15, deadline=None)
@given(bad=nonfinite_tensors((3,)))
def test_verification_refuses_nonfinite_boxes(bad: torch.Tensor) -> None:
    assert_clear_error(interval_bounds, NET, bad, HI + INF, argument=("lower", "upper"))
    assert_clear_error(margin_lower_bounds, NET, LO, bad, 0, argument="upper")
    assert_clear_error(certified_radius, NET, bad, 0, argument="x")


@settings(max_examples=15, deadline=None)
@given(bad=bad_dtype_tensors((3,), dtypes=(torch.bool, torch.complex64)))
def test_verification_refuses_bool_and_complex_boxes(bad: torch.Tensor) -> None:
    assert_clear_error(interval_bounds, NET, bad, HI, argument="lower")
    assert_clear_error(forward_margins, NET, bad[None], 0, argument="x")


@settings(max_examples=15, deadline=None)
@given(bad=nonfinite_tensors((8, 3)))
def test_nap_mining_refuses_nonfinite_inputs(bad: torch.Tensor) -> None:
    assert_clear_error(activation_patterns, NET, bad, argument="x")
    assert_clear_error(mine_naps, NET, bad, Y, argument="x")


@settings(max_examples=10, deadline=None)
@given(name=unknown_names(["absolute", "median"]))
def test_unknown_sigma_modes(name: str) -> None:
    assert_clear_error(
        diffusion_spectral_entropy, Z, sigma_mode=name, argument="sigma_mode", exc=CLEAR
    )


@settings(max_examples=10, deadline=None)
@given(name=unknown_names(["ibp", "crown", "milp"]))
def test_unknown_verification_methods(name: str) -> None:
    assert_clear_error(verify_region, NET, LO, HI, 0, method=name, argument="method")


# -- a missing optional package names an extra that really installs it ------------------------


def _extra_provides(extra: str, distribution: str) -> bool:
    """Whether the installed nnatlas's extra ``extra`` requires ``distribution``."""
    from importlib.metadata import metadata

    requires = metadata("nnatlas").get_all("Requires-Dist") or []
    return any(
        req.startswith(distribution) and f'extra == "{extra}"' in req.replace("'", '"')
        for req in requires
    )


@pytest.mark.parametrize(
    ("call", "module", "distribution"),
    [
        (lambda: milp_margins(NET, LO, HI, 0), "scipy.optimize", "scipy"),
        (lambda: discretize_labels(torch.randn(8, 2)), "sklearn.cluster", "scikit-learn"),
    ],
    ids=["milp-scipy", "dse-sklearn"],
)
def test_missing_extra_message_names_a_real_extra(
    call: Callable[[], Any], module: str, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re
    import sys

    from nnatlas.core.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, module, None)  # makes ``import module`` fail
    with pytest.raises(MissingExtraError) as info:
        call()
    named = re.search(r"nnatlas\[(\w+)\]", str(info.value))
    assert named is not None, str(info.value)
    assert _extra_provides(named.group(1), distribution), named.group(1)
