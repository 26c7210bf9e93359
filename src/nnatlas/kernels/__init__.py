"""Infinite-width kernels (NNGP / NTK), analytic and empirical, kernel inference and criticality.

Analytic kernels (:mod:`nnatlas.kernels.analytic`):

* :func:`serial` composes :class:`Dense` and activation descriptions (:class:`ReLU`,
  :class:`LeakyReLU`, :class:`Erf`, :class:`Sign`, :class:`Identity`, and :class:`Activation`
  for any other ``phi`` by quadrature; all subclass :class:`ElementwiseKernel`) into a
  :class:`KernelNetwork`, whose call returns :class:`Kernels` ``(nngp, ntk)``.
* :func:`nngp_kernel`, :func:`ntk_kernel`: one-kernel shortcuts.
* :class:`ParametrizedLinear`: the finite linear layer in NTK or standard parametrization
  (used by :meth:`KernelNetwork.module`).

Empirical kernels (:mod:`nnatlas.kernels.empirical`):

* :func:`empirical_ntk`: finite-width NTK of any ``nn.Module`` (Jacobian contraction or
  NTK-vector products; modes full / trace / diagonal).
* :func:`monte_carlo_kernels`: NNGP (and NTK) averaged over an ensemble of random networks.

Inference (:mod:`nnatlas.kernels.inference`):

* :func:`gp_posterior` (returns a :class:`Posterior`): NNGP posterior mean and covariance.
* :func:`gradient_flow_mse`: NTK gradient-flow / gradient-descent predictions on MSE at any
  training times (ensemble mean, or one network's trajectory with its initialization term).
* :func:`ntk_ensemble_covariance`: covariance over initializations of that predictor.

Criticality (:mod:`nnatlas.kernels.criticality`, Roberts, Yaida, Hanin, arXiv 2106.10165):

* :func:`criticality` (returns a :class:`CriticalPoint`): critical ``(C_b, C_W)`` of an
  activation and its universality class; :data:`ACTIVATIONS` names the built-in ones.
* :func:`critical_init_`: initialize any MLP at criticality.
* :func:`gaussian_expectation`, :func:`susceptibilities`, :func:`variance_recursion`,
  :func:`kurtosis_estimate`: the single-input kernel recursion and its finite-width correction.
* :func:`preactivation_statistics` (returns :class:`PreactivationStatistics`): Monte Carlo
  variance and kurtosis of preactivations in random MLPs.

Papers built on the machinery:

* :mod:`nnatlas.kernels.scale_mixture` (Scale Mixtures of NNGPs, arXiv 2107.01408): the
  Student-t process from an inverse-gamma last-layer variance (:func:`student_t_posterior`,
  :func:`student_t_log_marginal_likelihood`) and :class:`ScaleMixtureClassifier`.
* :mod:`nnatlas.kernels.wide_deep` (Wide and deep networks achieve optimality for
  classification, arXiv 2204.14126): :func:`deep_kernel` at any depth, the infinite-depth
  :func:`limit_classifier` (1-NN, majority vote or singular kernel) and the consistent
  activations (:func:`consistent_activation`); Dirichlet tasks with known Bayes error.
* :mod:`nnatlas.kernels.surrogate_ntk` (surrogate-gradient NTK, arXiv 2405.15539):
  :class:`SurrogateErf` (the mixed SG-NTK term), :class:`SignMLP`, batched
  :func:`train_sign_ensemble`.
"""

from __future__ import annotations

from nnatlas.kernels.analytic import (
    Activation,
    Dense,
    ElementwiseKernel,
    Erf,
    Identity,
    KernelNetwork,
    Kernels,
    LeakyReLU,
    ParametrizedLinear,
    ReLU,
    Sign,
    nngp_kernel,
    ntk_kernel,
    serial,
)
from nnatlas.kernels.criticality import (
    ACTIVATIONS,
    CriticalPoint,
    PreactivationStatistics,
    critical_init_,
    criticality,
    gaussian_expectation,
    kurtosis_estimate,
    preactivation_statistics,
    susceptibilities,
    variance_recursion,
)
from nnatlas.kernels.empirical import empirical_ntk, monte_carlo_kernels
from nnatlas.kernels.inference import (
    Posterior,
    gp_posterior,
    gradient_flow_mse,
    ntk_ensemble_covariance,
)
from nnatlas.kernels.scale_mixture import (
    InverseGamma,
    ScaleMixtureClassifier,
    expected_calibration_error,
    fit_regression_hyperparameters,
    fit_scale_mixture_classifier,
    gaussian_log_marginal_likelihood,
    gaussian_posterior,
    importance_sampling_posterior,
    posterior_scale,
    student_t_log_marginal_likelihood,
    student_t_posterior,
)
from nnatlas.kernels.surrogate_ntk import (
    SignMLP,
    SurrogateErf,
    sign_with_surrogate,
    train_sign_ensemble,
)
from nnatlas.kernels.wide_deep import (
    DualActivation,
    HermiteActivation,
    NormalizedErf,
    NormalizedReLU,
    SinhActivation,
    consistent_activation,
    deep_kernel,
    dirichlet_bayes_classifier,
    dirichlet_task,
    kernel_classifier,
    limit_classifier,
    majority_vote,
    nearest_neighbor_classifier,
    singular_kernel_classifier,
)

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "CriticalPoint",
    "Dense",
    "DualActivation",
    "ElementwiseKernel",
    "Erf",
    "HermiteActivation",
    "Identity",
    "InverseGamma",
    "KernelNetwork",
    "Kernels",
    "LeakyReLU",
    "NormalizedErf",
    "NormalizedReLU",
    "ParametrizedLinear",
    "Posterior",
    "PreactivationStatistics",
    "ReLU",
    "ScaleMixtureClassifier",
    "Sign",
    "SignMLP",
    "SinhActivation",
    "SurrogateErf",
    "consistent_activation",
    "critical_init_",
    "criticality",
    "deep_kernel",
    "dirichlet_bayes_classifier",
    "dirichlet_task",
    "empirical_ntk",
    "expected_calibration_error",
    "fit_regression_hyperparameters",
    "fit_scale_mixture_classifier",
    "gaussian_expectation",
    "gaussian_log_marginal_likelihood",
    "gaussian_posterior",
    "gp_posterior",
    "gradient_flow_mse",
    "importance_sampling_posterior",
    "kernel_classifier",
    "kurtosis_estimate",
    "limit_classifier",
    "majority_vote",
    "monte_carlo_kernels",
    "nearest_neighbor_classifier",
    "nngp_kernel",
    "ntk_ensemble_covariance",
    "ntk_kernel",
    "posterior_scale",
    "preactivation_statistics",
    "serial",
    "sign_with_surrogate",
    "singular_kernel_classifier",
    "student_t_log_marginal_likelihood",
    "student_t_posterior",
    "susceptibilities",
    "train_sign_ensemble",
    "variance_recursion",
]
