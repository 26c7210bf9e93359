"""Bad inputs to every public entry point of ``nnatlas.data`` fail clearly.

Generators: zero or negative sizes, a resolution too small for the scheme, negative or
non-finite physical constants, integer/bool/complex output dtypes, unknown option strings and
non-int seeds raise ``ValueError`` (``ConfigError``) / ``TypeError`` naming the argument
(``UnknownNameError``, a ``KeyError``, for unknown dataset names). Nothing is written to the
cache on the way (``cache=False``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnatlas.data import (
    CartPole,
    CartPoleClosure,
    CartPolePolicy,
    CharCorpus,
    DataSplit,
    MaxSatClosure,
    SatInstance,
    antiderivative_data,
    burgers_data,
    darcy_data,
    episode_returns,
    gaussian_mixture,
    load_breast_cancer,
    load_dataset,
    load_digits,
    load_iris,
    load_mnist,
    load_stdlib_text,
    load_wine,
    make_split,
    mixture_means,
    navier_stokes_data,
    poisson_data,
    probsat,
    random_ksat,
    read_idx,
    spirals,
    split_dataset,
    stratified_split,
    two_moons,
)
from nnatlas.testing.bad_inputs import (
    BAD_DTYPES,
    assert_clear_error,
    bad_dtype_tensors,
    unknown_names,
    wrong_rank_tensors,
)

FEW = settings(max_examples=10, deadline=None)
NAME_ERRORS = (ValueError, TypeError, KeyError)  # UnknownNameError is a KeyError
NAN, INF = float("nan"), float("inf")
BAD_COUNTS: list[Any] = [0, -3, 2.5, True, "4"]
BAD_POSITIVE: list[Any] = [0.0, -1.0, NAN, INF, "1"]
BAD_SEEDS: list[Any] = [1.5, "0", None]

# -- PDE generators --------------------------------------------------------------------------

# name -> (generator, smallest good arguments); every call below passes cache=False.
PDE: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "antiderivative_data": (antiderivative_data, {"n_functions": 2, "grid_size": 8}),
    "burgers_data": (burgers_data, {"n_samples": 2, "resolution": 8, "dt": 0.1}),
    "darcy_data": (darcy_data, {"n_samples": 1, "resolutions": 5, "modes": 2}),
    "navier_stokes_data": (
        navier_stokes_data,
        {"n_samples": 1, "resolution": 8, "t_final": 0.1, "dt": 0.1, "n_snapshots": 1},
    ),
    "poisson_data": (poisson_data, {"n_samples": 2, "resolution": 5, "modes": 2}),
}

# (generator name, argument, bad values)
PDE_BAD: list[tuple[str, str, list[Any]]] = [
    ("antiderivative_data", "n_functions", BAD_COUNTS),
    ("antiderivative_data", "n_queries", BAD_COUNTS),
    ("antiderivative_data", "n_sensors", [1, *BAD_COUNTS]),
    ("antiderivative_data", "grid_size", [1, *BAD_COUNTS]),
    ("antiderivative_data", "length_scale", BAD_POSITIVE),
    ("antiderivative_data", "seed", BAD_SEEDS),
    ("burgers_data", "n_samples", BAD_COUNTS),
    ("burgers_data", "resolution", [1, 3, *BAD_COUNTS]),
    ("burgers_data", "viscosity", BAD_POSITIVE),
    ("burgers_data", "t_final", BAD_POSITIVE),
    ("burgers_data", "dt", BAD_POSITIVE),
    ("burgers_data", "n_snapshots", BAD_COUNTS),
    ("burgers_data", "seed", BAD_SEEDS),
    ("darcy_data", "n_samples", BAD_COUNTS),
    ("darcy_data", "resolutions", [1, 2, (), (5, 8), "5", 5.0]),
    ("darcy_data", "forcing", [NAN, INF, "1"]),
    ("darcy_data", "a_high", BAD_POSITIVE),
    ("darcy_data", "a_low", BAD_POSITIVE),
    ("darcy_data", "alpha", BAD_POSITIVE),
    ("darcy_data", "tau", BAD_POSITIVE),
    ("darcy_data", "modes", BAD_COUNTS),
    ("navier_stokes_data", "n_samples", BAD_COUNTS),
    ("navier_stokes_data", "resolution", [1, 3, *BAD_COUNTS]),
    ("navier_stokes_data", "viscosity", BAD_POSITIVE),
    ("navier_stokes_data", "t_final", BAD_POSITIVE),
    ("navier_stokes_data", "dt", BAD_POSITIVE),
    ("navier_stokes_data", "n_snapshots", BAD_COUNTS),
    ("navier_stokes_data", "seed", BAD_SEEDS),
    ("poisson_data", "n_samples", BAD_COUNTS),
    ("poisson_data", "resolution", [1, 2, *BAD_COUNTS]),
    ("poisson_data", "alpha", BAD_POSITIVE),
    ("poisson_data", "tau", BAD_POSITIVE),
    ("poisson_data", "modes", BAD_COUNTS),
    ("poisson_data", "seed", BAD_SEEDS),
]


@pytest.mark.parametrize(("name", "arg", "bads"), PDE_BAD, ids=lambda v: str(v)[:24])
def test_pde_generators_refuse_bad_arguments(name, arg, bads):
    pytest.importorskip("scipy")  # darcy's solver
    generate, good = PDE[name]
    for bad in bads:
        assert_clear_error(generate, argument=arg, cache=False, **{**good, arg: bad})


@pytest.mark.parametrize("name", sorted(PDE))
@pytest.mark.parametrize("dtype", [*BAD_DTYPES, "float32", 1], ids=str)
def test_pde_generators_refuse_non_floating_dtypes(name, dtype):
    generate, good = PDE[name]
    assert_clear_error(generate, argument="dtype", cache=False, dtype=dtype, **good)


@pytest.mark.parametrize(
    ("name", "arg", "known"),
    [
        ("darcy_data", "coarse_targets", ("subsample", "solve")),
        ("poisson_data", "boundary", ("periodic", "dirichlet")),
    ],
)
@FEW
@given(data=st.data())
def test_pde_generators_refuse_unknown_options(name, arg, known, data):
    generate, good = PDE[name]
    bad = data.draw(unknown_names(known), label=arg)
    assert_clear_error(generate, argument=arg, cache=False, **{**good, arg: bad})


# -- synthetic tasks and splits -------------------------------------------------------------

SYNTHETIC_BAD: list[tuple[Callable[..., Any], str, dict[str, Any], list[Any]]] = [
    (two_moons, "n", {"n": 6}, [1, *BAD_COUNTS]),
    (two_moons, "noise", {"n": 6}, [-0.1, NAN, INF, "0"]),
    (two_moons, "seed", {"n": 6}, BAD_SEEDS),
    (spirals, "n", {"n": 6, "num_classes": 3}, [2, *BAD_COUNTS]),
    (spirals, "num_classes", {"n": 6}, BAD_COUNTS),
    (spirals, "turns", {"n": 6}, [0.0, -1.0, NAN, INF]),
    (spirals, "noise", {"n": 6}, [-1.0, NAN]),
    (gaussian_mixture, "n", {"n": 6}, [2, *BAD_COUNTS]),
    (gaussian_mixture, "dim", {"n": 6}, BAD_COUNTS),
    (gaussian_mixture, "std", {"n": 6}, [-1.0, NAN, INF]),
    (gaussian_mixture, "separation", {"n": 6}, [-1.0, NAN, INF]),
    (gaussian_mixture, "seed", {"n": 6}, BAD_SEEDS),
    (mixture_means, "num_classes", {"num_classes": 3, "dim": 2, "separation": 1.0}, BAD_COUNTS),
    (mixture_means, "dim", {"num_classes": 3, "dim": 2, "separation": 1.0}, BAD_COUNTS),
    (mixture_means, "separation", {"num_classes": 3, "dim": 2, "separation": 1.0}, [-1.0, NAN]),
    (make_split, "n_train", {"name": "two_moons", "n_train": 4, "n_test": 4}, BAD_COUNTS),
    (make_split, "n_test", {"name": "two_moons", "n_train": 4, "n_test": 4}, BAD_COUNTS),
    (make_split, "noise", {"name": "two_moons", "n_train": 4, "n_test": 4}, [-1.0]),
]


@pytest.mark.parametrize(("fn", "arg", "good", "bads"), SYNTHETIC_BAD, ids=lambda v: str(v)[:24])
def test_synthetic_generators_refuse_bad_arguments(fn, arg, good, bads):
    fn(**good)
    for bad in bads:
        assert_clear_error(fn, argument=arg, **{**good, arg: bad})


@pytest.mark.parametrize("fn", [two_moons, spirals, gaussian_mixture])
@pytest.mark.parametrize("dtype", BAD_DTYPES, ids=str)
def test_synthetic_generators_refuse_non_floating_dtypes(fn, dtype):
    assert_clear_error(fn, 6, dtype=dtype, argument="dtype")
    assert_clear_error(make_split, "two_moons", 4, 4, dtype=dtype, argument="dtype")


@FEW
@given(name=unknown_names(("two_moons", "spirals", "gaussian_mixture")))
def test_make_split_refuses_unknown_generators(name):
    assert_clear_error(make_split, name, 4, 4, argument=name, exc=NAME_ERRORS)
    assert_clear_error(make_split, "two_moons", 4, 4, argument="bogus", bogus=1)


@FEW
@given(y=bad_dtype_tensors((8,), dtypes=(torch.float32, torch.complex64)))
def test_splits_refuse_non_integer_labels(y):
    x = torch.zeros(8, 2)
    assert_clear_error(stratified_split, y, argument="y")
    assert_clear_error(split_dataset, x, y, argument="y")


@FEW
@given(y=wrong_rank_tensors(1))
def test_splits_refuse_labels_of_the_wrong_rank(y):
    assert_clear_error(stratified_split, y.long(), argument="y")
    assert_clear_error(split_dataset, torch.zeros(*y.shape[:1], 2), y.long(), argument=("x", "y"))


def test_splits_refuse_bad_sizes_seeds_and_dtypes():
    x, y = torch.zeros(8, 2), torch.tensor([0, 1] * 4)
    for bad in (0.0, 1.0, -0.5, NAN, 0.01, "0.2", True):
        assert_clear_error(stratified_split, y, test_size=bad, argument="test_size")
        assert_clear_error(split_dataset, x, y, test_size=bad, argument="test_size")
    for bad in BAD_SEEDS:
        assert_clear_error(stratified_split, y, seed=bad, argument="seed")
    assert_clear_error(split_dataset, x[:7], y, argument=("x", "y"))
    assert_clear_error(split_dataset, torch.zeros(8), y, argument="x")
    assert_clear_error(split_dataset, x, y, dtype=torch.int64, argument="dtype")


def test_datasplit_refuses_inconsistent_parts():
    good = {
        "x_train": torch.zeros(4, 2),
        "y_train": torch.zeros(4, dtype=torch.int64),
        "x_test": torch.zeros(2, 2),
        "y_test": torch.zeros(2, dtype=torch.int64),
        "num_classes": 2,
    }
    DataSplit(**good)
    bad_parts = [
        ("x_train", torch.zeros(4, 2, dtype=torch.int64)),
        ("x_train", torch.zeros(4)),
        ("y_train", torch.zeros(4)),
        ("y_train", torch.zeros(3, dtype=torch.int64)),
        ("x_test", torch.zeros(2, 3)),
        ("y_test", torch.full((2,), 5, dtype=torch.int64)),
        ("num_classes", 0),
    ]
    for arg, bad in bad_parts:
        assert_clear_error(DataSplit, argument=arg, **{**good, arg: bad})
    assert_clear_error(DataSplit(**good).to, dtype=torch.int64, argument="dtype")


# -- bundled and on-disk datasets -------------------------------------------------------------

LOADERS = [load_digits, load_iris, load_wine, load_breast_cancer]


@pytest.mark.parametrize("load", LOADERS, ids=lambda f: f.__name__)
def test_bundled_loaders_refuse_bad_arguments(load):
    pytest.importorskip("sklearn")
    for bad in (0.0, 1.0, NAN, "0.2"):
        assert_clear_error(load, test_size=bad, argument="test_size")
    assert_clear_error(load, dtype=torch.int64, argument="dtype")
    assert_clear_error(load, seed="0", argument="seed")


@FEW
@given(name=unknown_names(("digits", "iris", "wine", "breast_cancer")))
def test_load_dataset_refuses_unknown_names(name):
    assert_clear_error(load_dataset, name, argument=name, exc=NAME_ERRORS)


def test_mnist_refuses_bad_options_before_touching_the_disk(tmp_path: Path):
    for kw, arg in (
        ({"split": "train"}, "split"),
        ({"dtype": torch.int64}, "dtype"),
        ({"limit_train": 0}, "limit_train"),
        ({"limit_test": 2.5}, "limit_test"),
    ):
        assert_clear_error(load_mnist, tmp_path, argument=arg, **kw)
    # A folder without the files: FileNotFoundError listing the folders searched (documented).
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        load_mnist(tmp_path)


def test_read_idx_names_the_bad_file(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing")  # documented: the OS error, naming the path
    for content in (b"", b"\x00\x00\x08", b"\x01\x02\x08\x01\x00\x00\x00\x02", b"\x1f\x8bgarbage"):
        path = tmp_path / "bad.idx"
        path.write_bytes(content)
        assert_clear_error(read_idx, path, argument=str(path))


def test_text_corpus_refuses_bad_arguments():
    assert_clear_error(load_stdlib_text, "textwrap", argument="modules")
    assert_clear_error(load_stdlib_text, ["no_such_module"], argument="modules")
    assert_clear_error(load_stdlib_text, max_chars=0, argument="max_chars")
    for text in ("", "a", 5):
        assert_clear_error(CharCorpus.from_text, text, argument="text")
    for bad in (0.0, 1.0, NAN, "0.1"):
        assert_clear_error(CharCorpus.from_text, "abcdefghij", bad, argument="val_fraction")
    corpus = CharCorpus.from_text("abcdefghij" * 5)
    gen = torch.Generator().manual_seed(0)
    assert_clear_error(corpus.batch, "test", 2, 3, gen, argument="split")
    assert_clear_error(corpus.batch, "train", 0, 3, gen, argument="batch_size")
    assert_clear_error(corpus.batch, "val", 2, 10, gen, argument="length")


# -- MAX-SAT and cart-pole ------------------------------------------------------------------


def test_maxsat_refuses_bad_instances_and_arguments():
    for arg, bad in (("num_vars", 2), ("num_vars", 2.5), ("k", 0), ("ratio", NAN),
                     ("ratio", INF), ("ratio", 0.0)):  # fmt: skip
        assert_clear_error(random_ksat, argument=arg, **{"num_vars": 5, "k": 3, arg: bad})
    v, p = torch.tensor([[0, 1, 2]]), torch.ones(1, 3, dtype=torch.bool)
    for kw, arg in (
        ({"variables": torch.tensor([[0, 1, 7]])}, "variables"),
        ({"variables": v.float()}, "variables"),
        ({"variables": v[0]}, "variables"),
        ({"positive": p[:, :2]}, "positive"),
        ({"positive": p.long()}, "positive"),
        ({"num_vars": 0}, "num_vars"),
    ):
        assert_clear_error(
            SatInstance, argument=arg, **{"num_vars": 3, "variables": v, "positive": p, **kw}
        )
    inst = random_ksat(6, seed=1)
    assert_clear_error(inst.satisfied, torch.ones(5, dtype=torch.bool), argument="assignment")
    assert_clear_error(MaxSatClosure, "instance", torch.zeros(6), argument="instance")
    assert_clear_error(MaxSatClosure, inst, torch.zeros(5), argument="x")
    assert_clear_error(MaxSatClosure, inst, torch.zeros(6, dtype=torch.int64), argument="x")
    assert_clear_error(probsat, "instance", max_flips=3, argument="instance")
    for arg, bad in (("max_flips", -1), ("max_flips", 1.5), ("cb", NAN), ("cb", -1.0),
                     ("eps", 0.0), ("eps", INF)):  # fmt: skip
        assert_clear_error(probsat, inst, argument=arg, **{"max_flips": 3, arg: bad})


@FEW
@given(state=wrong_rank_tensors(2) | bad_dtype_tensors((3, 4)))
def test_cartpole_dynamics_refuse_bad_states(state):
    if state.is_floating_point() and state.shape[-1:] == (4,):
        state = state[..., :3]  # a draw that happens to be a valid (..., 4) state: make it bad
    action = torch.zeros(state.shape[:-1] if state.dim() else (), dtype=torch.int64)
    assert_clear_error(CartPole.step, state, action, argument="state")


def test_cartpole_refuses_bad_actions_policies_and_batches():
    state = torch.zeros(3, 4)
    assert_clear_error(CartPole.step, state, torch.zeros(2, dtype=torch.int64), argument="action")
    gen = torch.Generator().manual_seed(0)
    assert_clear_error(CartPole.reset, 3, gen, argument="batch")
    assert_clear_error(CartPole.reset, (3, -1), gen, argument="batch")
    assert_clear_error(CartPole.reset, (3,), 0, argument="generator")
    assert_clear_error(CartPole.reset, (3,), gen, torch.int64, argument="dtype")
    for bad in BAD_COUNTS:
        assert_clear_error(CartPolePolicy, bad, argument="hidden")
    assert_clear_error(CartPolePolicy, 4, "relu", argument="activation", exc=NAME_ERRORS)
    policy = CartPolePolicy(4)
    assert_clear_error(policy, torch.zeros(2, 3), argument="obs")
    assert_clear_error(policy, torch.zeros(2, 4, dtype=torch.int64), argument="obs")
    assert_clear_error(episode_returns, "policy", episodes=2, argument="policy")
    assert_clear_error(CartPoleClosure, "policy", argument="policy")
    for bad in BAD_COUNTS:
        assert_clear_error(episode_returns, policy, episodes=bad, argument="episodes")
        assert_clear_error(episode_returns, policy, episodes=1, max_steps=bad, argument="max_steps")
        assert_clear_error(CartPoleClosure, policy, episodes=bad, argument="episodes")


COVERED = {
    "anomaly_textures",  # its bad-input test: tests/data/test_anomaly.py
    "FactWorld",  # its bad-input tests: tests/data/test_facts.py
    "TinyLlama",  # tests/data/test_facts.py
    "WordTokenizer",  # tests/data/test_facts.py
    "pretrain_fact_lm",  # tests/data/test_facts.py
    "pretrained_fact_lm",  # tests/data/test_facts.py
    "circle",  # its bad-input tests: tests/data/test_manifolds.py
    "curve",  # tests/data/test_manifolds.py
    "digits_cloud",  # tests/data/test_manifolds.py
    "random_rotation",  # tests/data/test_manifolds.py
    "torus",  # tests/data/test_manifolds.py
    "distribution_response",  # its bad-input tests: tests/data/test_random_objects.py
    "spd_response",  # tests/data/test_random_objects.py
    "topic_corpus",  # its bad-input tests: tests/data/test_topics.py
    "anomaly_objects",  # its bad-input test: tests/data/test_anomaly.py
    "load_mvtec",  # its bad-input test: tests/data/test_anomaly.py
    "one_class_digits",  # its bad-input test: tests/data/test_anomaly.py
    "CartPole",
    "CartPoleClosure",
    "CartPolePolicy",
    "CharCorpus",
    "DataSplit",
    "MaxSatClosure",
    "SatInstance",
    "antiderivative_data",
    "burgers_data",
    "darcy_data",
    "episode_returns",
    "gaussian_mixture",
    "load_breast_cancer",
    "load_dataset",
    "load_digits",
    "load_iris",
    "load_mnist",
    "load_stdlib_text",
    "load_wine",
    "make_split",
    "mixture_means",
    "navier_stokes_data",
    "poisson_data",
    "probsat",
    "random_ksat",
    "read_idx",
    "spirals",
    "split_dataset",
    "stratified_split",
    "two_moons",
}
EXEMPT = {
    "AnomalyData": "a frozen dataclass of generated tensors (anomaly_textures' result)",
    "DEFECTS": "a constant: the defect kinds of anomaly_textures",
    "TEXTURES": "a constant: the texture families of anomaly_textures",
    "Fact": "a frozen record (subject, relation, object) of the fact world",
    "CURVE_NAMES": "a constant: the curve names of data.curve",
    "ManifoldSample": "a frozen record of generated points (the manifold generators' result)",
    "RandomObjectData": "a frozen record of generated tensors (random-object generators' result)",
    "TOPICS": "a constant: the topic table of topic_corpus",
    "TopicCorpus": "a frozen record of generated texts (topic_corpus' result)",
    "OBJECTS": "a constant: the object categories of anomaly_objects",
    "OBJECT_DEFECTS": "a constant: the defect kinds of anomaly_objects",
    "DATASET_NAMES": "a constant: the tuple of bundled dataset names",
    "GENERATOR_NAMES": "a constant: the tuple of synthetic generator names",
    "MNIST_DIR_ENV": "a constant: the environment variable's name",
    "MNIST_FILES": "a constant: the four MNIST file names",
    "STDLIB_MODULES": "a constant: the default module list of the text corpus",
}


def test_unknown_fields_and_resolutions_of_generated_data_are_named():
    pytest.importorskip("scipy")
    data = darcy_data(1, (5, 9), modes=2, cache=False)
    assert_clear_error(data.at, 7, argument="resolution")
    assert_clear_error(data.at, "9", argument="resolution")
