"""Bad inputs to every public entry point of ``nnatlas.kernels`` fail clearly, naming the argument.

Three tables: tensor arguments (property-based: wrong dtypes, NaN/inf, wrong ranks), option
strings (property-based unknown names) and scalar / structural arguments (one bad value each).
Unknown activation names raise the project's ``UnknownNameError`` (a ``KeyError``, like every
registry lookup in nnatlas); everything else raises ``ConfigError`` (a ``ValueError``) or
``TypeError``. Modules (``ParametrizedLinear``, ``SignMLP``) refuse non-float inputs and wrong
feature sizes but propagate NaN like ``torch.nn`` layers do.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import nnatlas.kernels as K
from nnatlas.testing.bad_inputs import (
    assert_clear_error,
    bad_dtype_tensors,
    nonfinite_tensors,
    unknown_names,
    wrong_rank_tensors,
)
from nnatlas.testing.inputs import randn

F64 = torch.float64
SETTINGS = settings(max_examples=12, deadline=None)

X = randn(4, 3, dtype=F64, seed=1)
Y = randn(4, dtype=F64, seed=2)
LABELS_PM = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=F64)
LABELS = torch.tensor([0, 1, 0, 1])
KT = X @ X.T + torch.eye(4, dtype=F64)  # (4, 4) positive definite
KX = randn(2, 4, dtype=F64, seed=3)  # (2, 4) test-train
KD = torch.ones(2, dtype=F64)  # (2,) test variances
KTT = torch.eye(2, dtype=F64)  # (2, 2) test kernel
PROBS = torch.softmax(randn(4, 2, dtype=F64, seed=4), -1)
SIMPLEX = torch.tensor([[0.2, 0.8], [0.5, 0.5]], dtype=F64)
A1, A2 = (1.0, 2.0), (2.0, 1.0)
PRIOR = K.InverseGamma(2.0, 2.0)
NET = K.serial(K.Dense(1.2, 0.1), K.ReLU(), K.Dense(1.2, 0.1))
MODEL = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()


def _factory(g: torch.Generator) -> nn.Module:
    return NET.module(8, 3, generator=g, dtype=F64)


def _net(act: K.ElementwiseKernel) -> K.KernelNetwork:
    return K.serial(K.Dense(1.0, 0.1), act, K.Dense(1.0, 0.1))


#: Activation descriptions, exercised through the network they sit in (their entry point).
LAYER_KINDS: dict[str, K.ElementwiseKernel] = {
    "Activation": K.Activation(torch.tanh, order=8),
    "Erf": K.Erf(),
    "HermiteActivation": K.HermiteActivation({1: 0.5, 3: 0.5}),
    "Identity": K.Identity(),
    "LeakyReLU": K.LeakyReLU(0.1),
    "NormalizedErf": K.NormalizedErf(),
    "NormalizedReLU": K.NormalizedReLU(),
    "ReLU": K.ReLU(),
    "Sign": K.Sign(),
    "SinhActivation": K.SinhActivation(1.0),
    "SurrogateErf": K.SurrogateErf(1.0),
}


@functools.cache
def _classifier() -> K.ScaleMixtureClassifier:
    return K.fit_scale_mixture_classifier(KT, LABELS, 2, steps=1, num_samples=1)


# -- tensor arguments ----------------------------------------------------------------------

# name -> (call with the bad tensor, argument, good rank or None (any rank), good shape)
TensorCase = tuple[Callable[[torch.Tensor], Any], str, int | None, tuple[int, ...]]
TENSOR_CASES: dict[str, TensorCase] = {
    "KernelNetwork": (lambda v: NET(X, v), "x2", 2, (4, 3)),
    "serial": (lambda v: NET(v), "x1", 2, (4, 3)),
    "nngp_kernel": (lambda v: K.nngp_kernel(NET, v), "x1", 2, (4, 3)),
    "ntk_kernel": (lambda v: K.ntk_kernel(NET, X, v), "x2", 2, (4, 3)),
    **{
        name: (lambda v, a=act: _net(a)(v, get="nngp"), "x1", 2, (4, 3))
        for name, act in LAYER_KINDS.items()
    },
    "empirical_ntk": (lambda v: K.empirical_ntk(MODEL, v), "x1", None, (4, 3)),
    "monte_carlo_kernels": (
        lambda v: K.monte_carlo_kernels(_factory, X, v, num_networks=1),
        "x2",
        None,
        (4, 3),
    ),
    "gp_posterior": (lambda v: K.gp_posterior(KT, v, Y), "k_test_train", 2, (2, 4)),
    "gradient_flow_mse": (lambda v: K.gradient_flow_mse(v, KX, Y, 1.0), "ntk_train", 2, (4, 4)),
    "ntk_ensemble_covariance": (
        lambda v: K.ntk_ensemble_covariance(KT, KX, v, KX, KTT, 1.0),
        "nngp_train",
        2,
        (4, 4),
    ),
    "gaussian_posterior": (lambda v: K.gaussian_posterior(v, Y, KX, KD), "k_train", 2, (4, 4)),
    "student_t_posterior": (lambda v: K.student_t_posterior(KT, Y, KX, v), "k_test_diag", 1, (2,)),
    "importance_sampling_posterior": (
        lambda v: K.importance_sampling_posterior(KT, Y, KX, KD, v),
        "scales",
        1,
        (3,),
    ),
    "gaussian_log_marginal_likelihood": (
        lambda v: K.gaussian_log_marginal_likelihood(KT, v),
        "y_train",
        None,
        (4,),
    ),
    "student_t_log_marginal_likelihood": (
        lambda v: K.student_t_log_marginal_likelihood(v, Y),
        "k_train",
        2,
        (4, 4),
    ),
    "posterior_scale": (lambda v: K.posterior_scale(v, Y, PRIOR), "k_train", 2, (4, 4)),
    "fit_regression_hyperparameters": (
        lambda v: K.fit_regression_hyperparameters(v, Y, steps=1),
        "k_train",
        2,
        (4, 4),
    ),
    "fit_scale_mixture_classifier": (
        lambda v: K.fit_scale_mixture_classifier(v, LABELS, 2, steps=1),
        "k_train",
        2,
        (4, 4),
    ),
    "ScaleMixtureClassifier": (
        lambda v: _classifier().predict_proba(v, KD, num_samples=2),
        "k_test_train",
        2,
        (2, 4),
    ),
    "expected_calibration_error": (
        lambda v: K.expected_calibration_error(v, LABELS),
        "probs",
        2,
        (4, 2),
    ),
    "gaussian_expectation": (lambda v: K.gaussian_expectation(torch.relu, v), "k", None, (3,)),
    "deep_kernel": (lambda v: K.deep_kernel(v, None, K.NormalizedReLU(), 2), "x1", 2, (4, 3)),
    "kernel_classifier": (
        lambda v: K.kernel_classifier(v, LABELS_PM, randn(2, 4, dtype=F64)),
        "k_train",
        2,
        (4, 4),
    ),
    "nearest_neighbor_classifier": (
        lambda v: K.nearest_neighbor_classifier(X, LABELS_PM, v),
        "x_test",
        2,
        (4, 3),
    ),
    "singular_kernel_classifier": (
        lambda v: K.singular_kernel_classifier(v, LABELS_PM, X, 1.0),
        "x_train",
        2,
        (4, 3),
    ),
    "dirichlet_bayes_classifier": (
        lambda v: K.dirichlet_bayes_classifier(v, A1, A2),
        "simplex",
        2,
        (2, 2),
    ),
    "train_sign_ensemble": (
        lambda v: K.train_sign_ensemble(X, Y, v, width=4, num_networks=1, steps=1, lr=0.1),
        "x_test",
        2,
        (4, 3),
    ),
    "sign_with_surrogate": (lambda v: K.sign_with_surrogate(v), "x", None, (4,)),
}
# NaN is a legitimate input of these (sign of NaN is NaN, as torch.sign)
NAN_PROPAGATES = {"sign_with_surrogate"}
RANKED = sorted(name for name, case in TENSOR_CASES.items() if case[2] is not None)


@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
@SETTINGS
@given(data=st.data())
def test_wrong_dtypes_are_refused(name: str, data: st.DataObject) -> None:
    call, argument, _, shape = TENSOR_CASES[name]
    bad = data.draw(bad_dtype_tensors(shape))
    assert_clear_error(call, bad, argument=argument)


@pytest.mark.parametrize("name", sorted(set(TENSOR_CASES) - NAN_PROPAGATES))
@SETTINGS
@given(data=st.data())
def test_nonfinite_entries_are_refused(name: str, data: st.DataObject) -> None:
    call, argument, _, shape = TENSOR_CASES[name]
    assert_clear_error(call, data.draw(nonfinite_tensors(shape, dtype=F64)), argument=argument)


@pytest.mark.parametrize("name", RANKED)
@SETTINGS
@given(data=st.data())
def test_wrong_ranks_are_refused(name: str, data: st.DataObject) -> None:
    call, argument, rank, _ = TENSOR_CASES[name]
    assert rank is not None
    bad = data.draw(wrong_rank_tensors(rank, dtype=F64, max_rank=4))
    assert_clear_error(call, bad, argument=argument)


@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
def test_non_tensors_are_refused(name: str) -> None:
    call, argument, _, shape = TENSOR_CASES[name]
    assert_clear_error(call, [[0.5] * shape[-1]] * shape[0], argument=argument)


def test_labels_must_be_plus_minus_one():
    for bad in (torch.tensor([1.0, 0.0, 1.0, -1.0]), torch.ones(4, dtype=torch.bool)):
        assert_clear_error(K.majority_vote, bad, 3, argument="y_train")
        assert_clear_error(K.nearest_neighbor_classifier, X, bad, X, argument="y_train")
    assert_clear_error(
        K.fit_scale_mixture_classifier, KT, LABELS.double(), 2, steps=1, argument="labels"
    )
    assert_clear_error(K.expected_calibration_error, PROBS, LABELS.double(), argument="labels")


def test_single_samples_work_and_empty_batches_are_refused_or_empty():
    x1 = X[:1]
    assert NET(x1).nngp.shape == (1, 1) and K.deep_kernel(
        x1, None, K.NormalizedReLU(), 2
    ).shape == (
        1,
        1,
    )
    assert K.empirical_ntk(MODEL, x1).shape == (1, 1, 1, 1)
    assert NET(X[:0], X).nngp.shape == (0, 4)  # an empty batch gives an empty kernel
    assert_clear_error(K.empirical_ntk, MODEL, X[:0], argument="x1")
    # no training points: the posterior is the prior (mean 0, covariance the test kernel)
    post = K.gp_posterior(KT[:0, :0], KX[:, :0], Y[:0], KTT)
    assert torch.equal(post.mean, torch.zeros(2, dtype=F64)) and torch.equal(post.covariance, KTT)
    assert_clear_error(K.gaussian_posterior, KT[:0, :0], Y[:0], KX[:, :0], KD, argument="k_train")


# -- option strings ------------------------------------------------------------------------

OPTION_CASES: dict[str, tuple[Callable[[str], Any], str, tuple[str, ...]]] = {
    "KernelNetwork": (lambda s: NET(X, get=s), "get", ("both", "nngp")),
    "Dense": (lambda s: K.Dense(1.0, 0.0, s), "parametrization", ("ntk", "standard")),
    "ParametrizedLinear": (
        lambda s: K.ParametrizedLinear(3, 2, parametrization=s),
        "parametrization",
        ("ntk", "standard"),
    ),
    "Activation": (lambda s: K.Activation(torch.tanh, method=s), "method", ("polar", "hermite")),
    "empirical_ntk": (lambda s: K.empirical_ntk(MODEL, X, mode=s), "mode", ("full", "trace")),
    "monte_carlo_kernels": (
        lambda s: K.monte_carlo_kernels(_factory, X, implementation=s),
        "implementation",
        ("jacobian", "ntk_vector_products"),
    ),
    "deep_kernel": (
        lambda s: K.deep_kernel(X, None, K.NormalizedReLU(), 1, kernel=s),
        "kernel",
        ("nngp", "ntk"),
    ),
    "fit_regression_hyperparameters": (
        lambda s: K.fit_regression_hyperparameters(KT, Y, process=s),
        "process",
        ("gaussian", "student_t"),
    ),
}
NAME_CASES: dict[str, Callable[[str], Any]] = {
    "criticality": lambda s: K.criticality(s),
    "critical_init_": lambda s: K.critical_init_(nn.Linear(2, 2), s),
    "susceptibilities": lambda s: K.susceptibilities(s, 2.0, 1.0),
    "variance_recursion": lambda s: K.variance_recursion(s, 2.0, 0.0, 2),
    "kurtosis_estimate": lambda s: K.kurtosis_estimate(s, 2.0, 0.0, 2, 8),
    "preactivation_statistics": lambda s: K.preactivation_statistics(s, 2.0, 0.0, 2, 4),
}


@pytest.mark.parametrize("name", sorted(OPTION_CASES))
@SETTINGS
@given(data=st.data())
def test_unknown_option_strings_are_refused(name: str, data: st.DataObject) -> None:
    call, argument, known = OPTION_CASES[name]
    assert_clear_error(call, data.draw(unknown_names(known)), argument=argument)


@pytest.mark.parametrize("name", sorted(NAME_CASES))
@SETTINGS
@given(data=st.data())
def test_unknown_activation_names_are_refused(name: str, data: st.DataObject) -> None:
    bad = data.draw(unknown_names(sorted(K.ACTIVATIONS)))
    assert_clear_error(NAME_CASES[name], bad, argument="phi", exc=(ValueError, TypeError, KeyError))


# -- scalar and structural arguments -------------------------------------------------------

SCALAR_CASES: list[tuple[str, Callable[[], Any], str]] = [
    ("serial", lambda: K.serial(), "layer"),
    ("serial", lambda: K.serial(K.Dense(), "relu"), "layer"),
    ("Dense", lambda: K.Dense(sigma_w=-1.0), "sigma_w"),
    ("Dense", lambda: K.Dense(sigma_b=math.nan), "sigma_b"),
    ("Dense", lambda: K.Dense(width=0), "width"),
    ("Activation", lambda: K.Activation("tanh"), "phi"),
    ("Activation", lambda: K.Activation(torch.tanh, order=1), "order"),
    ("LeakyReLU", lambda: K.LeakyReLU("0.1"), "negative_slope"),
    ("LeakyReLU", lambda: K.LeakyReLU(math.inf), "negative_slope"),
    ("ParametrizedLinear", lambda: K.ParametrizedLinear(0, 3), "in_features"),
    ("ParametrizedLinear", lambda: K.ParametrizedLinear(3, 2)(torch.ones(2, 4)), "x"),
    ("ParametrizedLinear", lambda: K.ParametrizedLinear(3, 2)(torch.ones(2, 3).long()), "x"),
    ("KernelNetwork", lambda: NET(X, block_size=0), "block_size"),
    ("KernelNetwork", lambda: NET(X, dtype=torch.int64), "dtype"),
    ("KernelNetwork", lambda: NET(X, randn(2, 5, dtype=F64)), "x2"),
    ("KernelNetwork", lambda: NET.module(0, 3), "width"),
    ("nngp_kernel", lambda: K.nngp_kernel("net", X), "net"),
    ("ntk_kernel", lambda: K.ntk_kernel(None, X), "net"),
    ("Sign", lambda: _net(K.Sign())(X), "nngp"),  # the sign NTK is ill-posed: ask for the NNGP
    ("SurrogateErf", lambda: K.SurrogateErf(0.0), "surrogate_sharpness"),
    ("SurrogateErf", lambda: K.SurrogateErf(1.0, forward_sharpness=math.nan), "forward_sharpness"),
    ("HermiteActivation", lambda: K.HermiteActivation({}), "coefficients"),
    ("HermiteActivation", lambda: K.HermiteActivation({1: 0.5}), "coefficients"),
    ("HermiteActivation", lambda: K.HermiteActivation({-1: 1.0}), ("coefficient", "degrees")),
    ("SinhActivation", lambda: K.SinhActivation(0.0), "a"),
    ("consistent_activation", lambda: K.consistent_activation(4), "dim"),
    ("limit_classifier", lambda: K.limit_classifier(K.ReLU()), "activation"),
    ("deep_kernel", lambda: K.deep_kernel(X, None, K.ReLU(), 2), "activation"),
    ("deep_kernel", lambda: K.deep_kernel(X, None, K.NormalizedReLU(), -1), "depth"),
    ("deep_kernel", lambda: K.deep_kernel(torch.zeros(2, 3, dtype=F64), None, K.NormalizedReLU(), 1), "x1"),
    ("kernel_classifier", lambda: K.kernel_classifier(KT, LABELS_PM, KX[:, :3]), "k_test_train"),
    ("majority_vote", lambda: K.majority_vote(LABELS_PM, -1), "num_test"),
    ("singular_kernel_classifier", lambda: K.singular_kernel_classifier(X, LABELS_PM, X, 0.0), "exponent"),
    ("dirichlet_task", lambda: K.dirichlet_task(0, 5, A1, A2), "n_train"),
    ("dirichlet_task", lambda: K.dirichlet_task(5, 5, (1.0,), (2.0,)), "alpha1"),
    ("dirichlet_task", lambda: K.dirichlet_task(5, 5, (-1.0, 1.0), A2), "alpha1"),
    ("dirichlet_task", lambda: K.dirichlet_task(5, 5, A1, A2, prior1=1.5), "prior1"),
    ("dirichlet_bayes_classifier", lambda: K.dirichlet_bayes_classifier(SIMPLEX, A1, A2, prior1=0.0), "prior1"),
    ("dirichlet_bayes_classifier", lambda: K.dirichlet_bayes_classifier(-SIMPLEX, A1, A2), "simplex"),
    ("dirichlet_bayes_classifier", lambda: K.dirichlet_bayes_classifier(SIMPLEX, (1.0, 2.0, 3.0), (1.0, 1.0, 1.0)), "simplex"),
    ("criticality", lambda: K.criticality(torch.tanh, k_range=(2.0, 1.0)), "k_range"),
    ("criticality", lambda: K.criticality(torch.tanh, grid=1), "grid"),
    ("critical_init_", lambda: K.critical_init_("model", "relu"), "model"),
    ("critical_init_", lambda: K.critical_init_(nn.Linear(2, 2), "relu", critical=(1, 2)), "critical"),
    ("gaussian_expectation", lambda: K.gaussian_expectation("relu", 1.0), "fn"),
    ("gaussian_expectation", lambda: K.gaussian_expectation(torch.relu, -1.0), "k"),
    ("gaussian_expectation", lambda: K.gaussian_expectation(torch.relu, "1"), "k"),
    ("gaussian_expectation", lambda: K.gaussian_expectation(torch.relu, 1.0, order=1), "order"),
    ("susceptibilities", lambda: K.susceptibilities("relu", -2.0, 1.0), "c_w"),
    ("susceptibilities", lambda: K.susceptibilities("relu", 2.0, math.nan), "k"),
    ("variance_recursion", lambda: K.variance_recursion("relu", 2.0, 0.0, 0), "depth"),
    ("variance_recursion", lambda: K.variance_recursion("relu", 2.0, -1.0, 2), "c_b"),
    ("kurtosis_estimate", lambda: K.kurtosis_estimate("relu", 2.0, 0.0, 3, 0), "width"),
    ("preactivation_statistics", lambda: K.preactivation_statistics("relu", 2.0, 0.0, 2, 4, num_networks=0), "num_networks"),
    ("preactivation_statistics", lambda: K.preactivation_statistics("relu", math.inf, 0.0, 2, 4), "c_w"),
    ("empirical_ntk", lambda: K.empirical_ntk("model", X), "model"),
    ("empirical_ntk", lambda: K.empirical_ntk(MODEL, X, block_size=0), "block_size"),
    ("empirical_ntk", lambda: K.empirical_ntk(MODEL, X, params={"nope": X}), "params"),
    ("empirical_ntk", lambda: K.empirical_ntk(MODEL, X, implementation="jac"), "implementation"),
    ("monte_carlo_kernels", lambda: K.monte_carlo_kernels("factory", X), "factory"),
    ("monte_carlo_kernels", lambda: K.monte_carlo_kernels(_factory, X, num_networks=0), "num_networks"),
    ("monte_carlo_kernels", lambda: K.monte_carlo_kernels(_factory, X, get="ntk"), "get"),
    ("gp_posterior", lambda: K.gp_posterior(KT, KX, Y, noise=-1.0), "noise"),
    ("gp_posterior", lambda: K.gp_posterior(KT, KX, Y, KTT[:1]), "k_test"),
    ("gp_posterior", lambda: K.gp_posterior(KT, KX, Y[:3]), "y_train"),
    ("gradient_flow_mse", lambda: K.gradient_flow_mse(KT, KX, Y, -1.0), "t"),
    ("gradient_flow_mse", lambda: K.gradient_flow_mse(KT, KX, Y, [1.0, math.nan]), "t"),
    ("gradient_flow_mse", lambda: K.gradient_flow_mse(KT, KX, Y, "soon"), "t"),
    ("gradient_flow_mse", lambda: K.gradient_flow_mse(KT, KX, Y, 1.0, learning_rate=-1.0), "learning_rate"),
    ("gradient_flow_mse", lambda: K.gradient_flow_mse(KT, KX, Y, 1.0, f0_train=Y), "f0_test"),
    ("ntk_ensemble_covariance", lambda: K.ntk_ensemble_covariance(KT, KX, KT, KX, KTT[:1], 1.0), "nngp_test"),
    ("InverseGamma", lambda: K.InverseGamma(-1.0, 1.0).validate(), "alpha"),
    ("InverseGamma", lambda: K.InverseGamma(1.0, 0.0).sample(3), "beta"),
    ("InverseGamma", lambda: PRIOR.sample(0), "num"),
    ("gaussian_posterior", lambda: K.gaussian_posterior(KT, Y, KX, KD, noise=0.0), "noise"),
    ("gaussian_posterior", lambda: K.gaussian_posterior(KT, Y, KX, KD, scale=-1.0), "scale"),
    ("gaussian_posterior", lambda: K.gaussian_posterior(KT, Y, KX, None), "k_test_diag"),
    ("student_t_posterior", lambda: K.student_t_posterior(KT, Y, KX, KD, prior=(2, 2)), "prior"),
    ("posterior_scale", lambda: K.posterior_scale(KT, Y, K.InverseGamma(0.0, 1.0)), "alpha"),
    ("gaussian_log_marginal_likelihood", lambda: K.gaussian_log_marginal_likelihood(KT, Y, noise=-1.0), "noise"),
    ("student_t_log_marginal_likelihood", lambda: K.student_t_log_marginal_likelihood(KT, Y, alpha=0.0), "alpha"),
    ("importance_sampling_posterior", lambda: K.importance_sampling_posterior(KT, Y, KX, KD, -torch.ones(3, dtype=F64)), "scales"),
    ("fit_regression_hyperparameters", lambda: K.fit_regression_hyperparameters(KT, Y, steps=0), "steps"),
    ("fit_regression_hyperparameters", lambda: K.fit_regression_hyperparameters(KT, Y, alpha=-1.0), "alpha"),
    ("fit_regression_hyperparameters", lambda: K.fit_regression_hyperparameters(KT, Y, lr=0.0), "lr"),
    ("fit_scale_mixture_classifier", lambda: K.fit_scale_mixture_classifier(KT, LABELS, 1), "num_classes"),
    ("fit_scale_mixture_classifier", lambda: K.fit_scale_mixture_classifier(KT, LABELS + 5, 2), "labels"),
    ("fit_scale_mixture_classifier", lambda: K.fit_scale_mixture_classifier(KT, LABELS, 2, jitter=0.0), "jitter"),
    ("fit_scale_mixture_classifier", lambda: K.fit_scale_mixture_classifier(KT, LABELS, 2, prior="t"), "prior"),
    ("ScaleMixtureClassifier", lambda: _classifier().predict_proba(KX, KD, num_samples=0), "num_samples"),
    ("ScaleMixtureClassifier", lambda: _classifier().predict_proba(KX, KD[:1]), "k_test_diag"),
    ("expected_calibration_error", lambda: K.expected_calibration_error(PROBS, LABELS, num_bins=0), "num_bins"),
    ("expected_calibration_error", lambda: K.expected_calibration_error(PROBS, LABELS[:3]), "labels"),
    ("SignMLP", lambda: K.SignMLP(0, [4]), "in_features"),
    ("SignMLP", lambda: K.SignMLP(3, []), "hidden"),
    ("SignMLP", lambda: K.SignMLP(3, [4], sharpness=0.0), "sharpness"),
    ("SignMLP", lambda: K.SignMLP(3, [4])(torch.ones(2, 5)), "x"),
    ("SignMLP", lambda: K.SignMLP(3, [4])(torch.ones(2, 3).long()), "x"),
    ("sign_with_surrogate", lambda: K.sign_with_surrogate(X, sharpness=-1.0), "sharpness"),
    ("sign_with_surrogate", lambda: K.sign_with_surrogate(X, forward_sharpness=0.0), "forward_sharpness"),
    ("train_sign_ensemble", lambda: K.train_sign_ensemble(X, Y, X, width=0, num_networks=1, steps=1, lr=0.1), "width"),
    ("train_sign_ensemble", lambda: K.train_sign_ensemble(X, Y, X, width=4, num_networks=1, steps=1, lr=-0.1), "lr"),
    ("train_sign_ensemble", lambda: K.train_sign_ensemble(X, Y[:3], X, width=4, num_networks=1, steps=1, lr=0.1), "y_train"),
    ("train_sign_ensemble", lambda: K.train_sign_ensemble(X, Y, X, width=4, num_networks=1, steps=1, lr=0.1, sigma_w=-1.0), "sigma_w"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "call", "argument"), SCALAR_CASES, ids=[f"{c[0]}-{c[2]}" for c in SCALAR_CASES]
)
def test_bad_scalar_and_structural_arguments(name: str, call: Callable[[], Any], argument):
    assert name in COVERED
    assert_clear_error(call, argument=argument)


# -- the declaration checked by tests/test_bad_input_coverage.py ---------------------------

EXEMPT: dict[str, str] = {
    "ACTIVATIONS": "a constant (the criticality activation table)",
    "CriticalPoint": "a NamedTuple of results",
    "PreactivationStatistics": "a NamedTuple of results",
    "Kernels": "a NamedTuple of results",
    "Posterior": "a NamedTuple of results",
    "ElementwiseKernel": "an abstract base class (its subclasses are covered)",
    "DualActivation": "an abstract base class (its subclasses are covered)",
}
COVERED: set[str] = (
    set(TENSOR_CASES)
    | set(OPTION_CASES)
    | set(NAME_CASES)
    | {name for name, _, _ in SCALAR_CASES}
    | {"majority_vote"}
)
