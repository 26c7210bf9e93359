"""Names ``nnatlas.kernels.scale_mixture`` exports beside what ``nnatlas.kernels`` re-exports.

Its entry points (the regression fit, the classifier, calibration) are re-exported by
``nnatlas.kernels`` and fed bad inputs in ``tests/kernels/test_bad_inputs.py``; what is left here
are results and a constant, built by those entry points rather than from user input.
"""

COVERED: set[str] = set()
EXEMPT = {
    "DEFAULT_PRIOR": "a constant: the inverse-gamma prior the fits default to",
    "GaussianPredictive": "a result record built by the predictive functions",
    "RegressionFit": "a result record built by the regression fit",
    "ScaleMixturePredictive": "a result record built by the predictive functions",
    "StudentTPredictive": "a result record built by the predictive functions",
}
