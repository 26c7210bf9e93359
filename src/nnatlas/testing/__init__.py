"""Testing utilities for anyone's PyTorch components, in the spirit of ``torch.testing``.

* :mod:`nnatlas.testing.battery`: the conformance checks (:func:`check_module`,
  :func:`check_optimizer`).
* :mod:`nnatlas.testing.catalog`: the registry of example cases the batteries run over
  (:func:`register_module_case`, :func:`register_optimizer_case`).
* :mod:`nnatlas.testing.cases`: nnatlas's own cases, loaded by :func:`load_all`.
* :mod:`nnatlas.testing.inputs`: seeded example inputs.
"""

from nnatlas.testing.battery import (
    check_module,
    check_module_case,
    check_optimizer,
    check_optimizer_case,
)
from nnatlas.testing.catalog import (
    ModuleCase,
    OptimizerCase,
    load_all,
    module_cases,
    optimizer_cases,
    register_module_case,
    register_optimizer_case,
)
from nnatlas.testing.inputs import randn, seeded_inputs

__all__ = [
    "ModuleCase",
    "OptimizerCase",
    "check_module",
    "check_module_case",
    "check_optimizer",
    "check_optimizer_case",
    "load_all",
    "module_cases",
    "optimizer_cases",
    "randn",
    "register_module_case",
    "register_optimizer_case",
    "seeded_inputs",
]
