"""Layers and architectures, each an ``nn.Module`` with PyTorch-style constructor arguments.

* :class:`MLP`, :class:`LeNet`: small reference models used by many papers' experiments.
* :func:`num_parameters`: count of trainable parameters.

Importing this package registers every module's conformance case in
:mod:`nnatlas.core.catalog`.
"""

from __future__ import annotations

from nnatlas.nn.models import MLP, LeNet, num_parameters

__all__ = ["MLP", "LeNet", "num_parameters"]
