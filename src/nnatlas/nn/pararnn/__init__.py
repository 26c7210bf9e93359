"""ParaRNN: nonlinear RNNs trained in parallel over the sequence by Newton's method.

"ParaRNN: Unlocking Parallel Training of Nonlinear RNNs for Large Language Models"
(Danieli, Rodríguez, Sarabia, Suau, Zappella; arXiv 2510.21450). The recurrence of any cell
h_t = f(h_{t-1}, x_t) is solved as one nonlinear system by Newton's method, each Newton step a
linear recurrence solved by a log-depth parallel scan; the backward pass solves the adjoint
recurrence by the same scan. See :mod:`~nnatlas.nn.pararnn.newton` (solver and
``autograd.Function``), :mod:`~nnatlas.nn.pararnn.scan` (the linear-recurrence primitive),
:mod:`~nnatlas.nn.pararnn.cells` (ParaGRU, ParaLSTM).
"""

from __future__ import annotations

from nnatlas.nn.pararnn.cells import ParaGRU, ParaLSTM
from nnatlas.nn.pararnn.lm import ParaRNNLM, TransformerLM
from nnatlas.nn.pararnn.newton import (
    NewtonConfig,
    RecurrentCell,
    apply_recurrence,
    autograd_jacobian,
    newton_solve,
)
from nnatlas.nn.pararnn.scan import linear_scan

__all__ = [
    "NewtonConfig",
    "ParaGRU",
    "ParaLSTM",
    "ParaRNNLM",
    "RecurrentCell",
    "TransformerLM",
    "apply_recurrence",
    "autograd_jacobian",
    "linear_scan",
    "newton_solve",
]
