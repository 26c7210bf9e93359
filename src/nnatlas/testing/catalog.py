"""Conformance catalogue: example instances of modules and optimizers for the batteries.

The conformance batteries (``nnatlas.testing`` and ``tests/test_conformance.py``) iterate
over these entries, so a component is tested for shapes, backward, unused parameters, dtypes
and ``state_dict`` round trips simply by registering a case. nnatlas declares its own cases in
:mod:`nnatlas.testing.cases` (one module per family, imported only by :func:`load_all`, never
when the library itself is imported); a user registers cases for their own components the same
way::

    register_module_case(
        "MLP",
        build=lambda dtype: MLP(8, [16], 3, dtype=dtype),
        inputs=lambda dtype: (torch.randn(5, 8, dtype=dtype),),
    )
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.optim.optimizer import ParamsT

__all__ = [
    "ModuleCase",
    "OptimizerCase",
    "load_all",
    "module_cases",
    "optimizer_cases",
    "register_module_case",
    "register_optimizer_case",
]


@dataclass(frozen=True)
class ModuleCase:
    """An example instance of an ``nn.Module`` for the conformance battery.

    Attributes:
        name: unique case name (usually the class name, plus a variant).
        build: ``dtype -> module``; builds a fresh module in that dtype.
        inputs: ``dtype -> tuple of tensors`` accepted by ``module(*inputs)``.
        dtypes: dtypes the module supports (the battery checks each).
        frozen_ok: names of parameters allowed to get no gradient (e.g. frozen by design).
    """

    name: str
    build: Callable[[torch.dtype], nn.Module]
    inputs: Callable[[torch.dtype], tuple[torch.Tensor, ...]]
    dtypes: tuple[torch.dtype, ...] = (torch.float32, torch.float64)
    frozen_ok: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class OptimizerCase:
    """An example configuration of a ``torch.optim.Optimizer`` for the conformance battery.

    Attributes:
        name: unique case name.
        build: ``params -> optimizer``; ``params`` is an iterable of tensors or of
            param-group dicts, as for any ``torch.optim.Optimizer``.
        steps: how many ``step(closure)`` calls the convergence checks may use.
        quadratic_tol: loss the optimizer must reach on the convex quadratic.
        rosenbrock_tol: loss it must reach on the 2-D Rosenbrock function.
    """

    name: str
    build: Callable[[ParamsT], torch.optim.Optimizer]
    steps: int = 2000
    quadratic_tol: float = 1e-3
    rosenbrock_tol: float = 1e-2


_MODULES: dict[str, ModuleCase] = {}
_OPTIMIZERS: dict[str, OptimizerCase] = {}


def register_module_case(name: str, **kwargs: object) -> ModuleCase:
    """Register a :class:`ModuleCase` under ``name`` (keyword arguments as in the dataclass)."""
    if name in _MODULES:
        raise ValueError(f"module case {name!r} is already registered")
    case = ModuleCase(name=name, **kwargs)  # type: ignore[arg-type]
    _MODULES[name] = case
    return case


def register_optimizer_case(name: str, **kwargs: object) -> OptimizerCase:
    """Register an :class:`OptimizerCase` under ``name``."""
    if name in _OPTIMIZERS:
        raise ValueError(f"optimizer case {name!r} is already registered")
    case = OptimizerCase(name=name, **kwargs)  # type: ignore[arg-type]
    _OPTIMIZERS[name] = case
    return case


def module_cases() -> list[ModuleCase]:
    """All registered module cases, in registration order."""
    return list(_MODULES.values())


def optimizer_cases() -> list[OptimizerCase]:
    """All registered optimizer cases, in registration order."""
    return list(_OPTIMIZERS.values())


def load_all() -> list[str]:
    """Register nnatlas's own cases (imports :mod:`nnatlas.testing.cases`); cheap when repeated.

    Returns:
        The names of the case modules imported.
    """
    from nnatlas.testing.cases import load_all as _load

    return _load()
