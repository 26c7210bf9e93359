"""Conformance cases of ``nnatlas.kernels``: the finite networks behind the analytic kernels.

Each case builds a fresh module in the requested dtype and feeds it seeded inputs from
:mod:`nnatlas.testing.inputs`. Imported by :func:`nnatlas.testing.load_all`, never by
``import nnatlas.kernels``.
"""

from __future__ import annotations

from nnatlas.kernels.analytic import Dense, ParametrizedLinear, ReLU, serial
from nnatlas.kernels.surrogate_ntk import SignMLP
from nnatlas.testing.catalog import register_module_case
from nnatlas.testing.inputs import seeded_inputs

register_module_case(
    "ParametrizedLinear[ntk]",
    build=lambda dtype: ParametrizedLinear(6, 4, 1.5, 0.2, "ntk", dtype=dtype),
    inputs=seeded_inputs((3, 6)),
)
register_module_case(
    "ParametrizedLinear[standard]",
    build=lambda dtype: ParametrizedLinear(6, 4, 1.5, 0.0, "standard", dtype=dtype),
    inputs=seeded_inputs((3, 6)),
)
register_module_case(
    "KernelNetwork.module[relu]",
    build=lambda dtype: serial(Dense(1.4, 0.1), ReLU(), Dense(1.4, 0.1)).module(
        16, 5, 2, dtype=dtype
    ),
    inputs=seeded_inputs((4, 5)),
)
register_module_case(
    "SignMLP",
    build=lambda dtype: SignMLP(3, [16, 8], 2, dtype=dtype),
    inputs=seeded_inputs((5, 3)),
)
