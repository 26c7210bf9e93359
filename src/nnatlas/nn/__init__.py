"""Layers and architectures, each an ``nn.Module`` with PyTorch-style constructor arguments.

* :class:`MLP`, :class:`LeNet`: small reference models used by many papers' experiments.
* :func:`num_parameters`: count of trainable parameters.
* :mod:`nnatlas.nn.pararnn`: ParaRNN (arXiv 2510.21450): nonlinear RNNs (:class:`ParaGRU`,
  :class:`ParaLSTM`) solved over the whole sequence by Newton iterations and a parallel scan.

Importing this package registers every module's conformance case in
:mod:`nnatlas.core.catalog`.
"""

from __future__ import annotations

from nnatlas.nn.models import MLP, LeNet, num_parameters
from nnatlas.nn.pararnn import (
    NewtonConfig,
    ParaGRU,
    ParaLSTM,
    RecurrentCell,
    apply_recurrence,
    linear_scan,
    newton_solve,
)

__all__ = [
    "MLP",
    "LeNet",
    "NewtonConfig",
    "ParaGRU",
    "ParaLSTM",
    "RecurrentCell",
    "apply_recurrence",
    "linear_scan",
    "newton_solve",
    "num_parameters",
]
