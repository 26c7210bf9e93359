"""Scale mixtures of NNGPs: a random last-layer variance turns an NNGP into a heavy-tailed process.

Paper: *Scale Mixtures of Neural Network Gaussian Processes*, Hyungi Lee, Eunggu Yun, Hongseok
Yang, Juho Lee (ICLR 2022), arXiv 2107.01408.

Give the last layer of an infinitely wide network a random variance σ² ~ H. Conditionally on σ²
the output is the NNGP scaled by σ², ``f | σ² ~ GP(0, σ² K)``; marginally it is a scale mixture
of Gaussian processes. With an inverse-gamma prior ``H = InvGamma(a, b)`` the mixture is a
Student-t process with ``2a`` degrees of freedom and scale ``(b/a) K``, and regression with a
noise variance that scales with σ² as well (``ε | σ² ~ N(0, σ² σ_ε²)``, the paper's conjugate
form) has a closed form:

* ``σ² | y ~ InvGamma(a + n/2, b + q/2)`` with ``C = K(X, X) + σ_ε² I`` and ``q = yᵀC⁻¹y``;
* the predictive at ``x*`` is Student-t with ``2a + n`` degrees of freedom, mean ``k*ᵀC⁻¹y``
  and squared scale ``(2b + q)/(2a + n) · (k** + σ_ε² − k*ᵀC⁻¹k*)``;
* the evidence is a multivariate t, ``y ~ MVT(2a, 0, (b/a) C)``.

This module provides that closed form (:func:`student_t_posterior`,
:func:`student_t_log_marginal_likelihood`), the Gaussian process it mixes
(:func:`gaussian_posterior`, the NNGP baseline), self-normalised importance sampling over any
scale prior (:func:`importance_sampling_posterior`, the paper's inference for priors without a
closed form such as Burr type XII), marginal-likelihood fitting of the hyperparameters
(:func:`fit_regression_hyperparameters`) and a variational classifier
(:func:`fit_scale_mixture_classifier`) with a softmax likelihood and the scale integrated under
a variational inverse-gamma posterior.

Modules: :mod:`.distributions` (the inverse-gamma prior, the predictive distributions),
:mod:`.linalg` (the kernel solves they share), :mod:`.regression`, :mod:`.classifier` and
:mod:`.calibration`; every name is re-exported here.

Kernels are plain tensors, so any kernel works (for an NNGP use
``nnatlas.kernels.analytic``). Outputs with several columns share one σ² (it scales the whole
last layer), which adds ``n`` to the degrees of freedom per column.

Deviations from the paper: the classifier is full-data variational inference in the whitened
parametrisation with a mean-field Gaussian over the whitened latents (the paper uses sparse
variational inference with inducing points, which matters only for data sets too large for an
``n × n`` Cholesky factor); the Gaussian-process baseline of the classifier learns σ² as a point
estimate by maximising the same evidence lower bound.
"""

from __future__ import annotations

from nnatlas.kernels.scale_mixture.calibration import expected_calibration_error
from nnatlas.kernels.scale_mixture.classifier import (
    ScaleMixtureClassifier,
    fit_scale_mixture_classifier,
)
from nnatlas.kernels.scale_mixture.distributions import (
    DEFAULT_PRIOR,
    GaussianPredictive,
    InverseGamma,
    ScaleMixturePredictive,
    StudentTPredictive,
)
from nnatlas.kernels.scale_mixture.regression import (
    RegressionFit,
    fit_regression_hyperparameters,
    gaussian_log_marginal_likelihood,
    gaussian_posterior,
    importance_sampling_posterior,
    posterior_scale,
    student_t_log_marginal_likelihood,
    student_t_posterior,
)

__all__ = [
    "DEFAULT_PRIOR",
    "GaussianPredictive",
    "InverseGamma",
    "RegressionFit",
    "ScaleMixtureClassifier",
    "ScaleMixturePredictive",
    "StudentTPredictive",
    "expected_calibration_error",
    "fit_regression_hyperparameters",
    "fit_scale_mixture_classifier",
    "gaussian_log_marginal_likelihood",
    "gaussian_posterior",
    "importance_sampling_posterior",
    "posterior_scale",
    "student_t_log_marginal_likelihood",
    "student_t_posterior",
]
