"""abc-parametrizations: the exponents (a, b, c) of SP, NTP and muP per layer type.

Part of :mod:`nnatlas.param.mup`. Paper: *Feature Learning in Infinite-Width Neural Networks*
(Tensor Programs IV; Greg Yang, Edward J. Hu; ICML 2021), arXiv 2011.14522, Sec. 3 and 5. A weight
of a width-n network is ``W = n^-a w`` with ``w_ij ~ N(0, n^-2b)``, trained by SGD at learning
rate ``eta n^-c``; ``(a, b, c) -> (a + theta, b - theta, c - 2 theta)`` leaves SGD's dynamics
unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int

__all__ = ["ABC", "PARAMETRIZATIONS", "LayerKind", "abc_parametrization"]

LayerKind = Literal["input", "hidden", "output"]
#: The named abc-parametrizations: standard, neural tangent, maximal update.
PARAMETRIZATIONS: tuple[str, ...] = ("sp", "ntp", "mup")


@dataclass(frozen=True)
class ABC:
    """The exponents of one layer in an abc-parametrization (TP4, Sec. 3).

    The layer's weight is ``W = n^-a w`` with ``w_ij ~ N(0, n^-2b)`` trained by SGD at learning rate
    ``eta n^-c``, where ``n`` is the width.

    Attributes:
        a: exponent of the multiplier.
        b: exponent of the initialisation standard deviation.
        c: exponent of the learning rate.
    """

    a: float
    b: float
    c: float

    def scales(self, width: int) -> tuple[float, float, float]:
        """``(multiplier n^-a, init std n^-b, learning-rate factor n^-c)`` at width ``n``."""
        n = float(check_int("width", width))
        return n**-self.a, n**-self.b, n**-self.c

    def shifted(self, theta: float) -> ABC:
        """The equivalent point ``(a + theta, b - theta, c - 2 theta)`` (same SGD dynamics)."""
        return ABC(self.a + theta, self.b - theta, self.c - 2 * theta)


_ABC_TABLE: dict[str, dict[str, ABC]] = {
    # SP: no multipliers, fan-in init (O(1) at the input because the input dimension is finite).
    "sp": {"input": ABC(0.0, 0.0, 0.0), "hidden": ABC(0.0, 0.5, 0.0), "output": ABC(0.0, 0.5, 0.0)},
    # NTP: 1/sqrt(n) multipliers after the input layer, unit-variance weights.
    "ntp": {
        "input": ABC(0.0, 0.0, 0.0),
        "hidden": ABC(0.5, 0.0, 0.0),
        "output": ABC(0.5, 0.0, 0.0),
    },
    # muP (TP4's form): sqrt(n) at the input, 1/sqrt(n) at the output, all weights N(0, 1/n).
    "mup": {
        "input": ABC(-0.5, 0.5, 0.0),
        "hidden": ABC(0.0, 0.5, 0.0),
        "output": ABC(0.5, 0.5, 0.0),
    },
}


def abc_parametrization(name: str, layer: LayerKind, *, theta: float = 0.0) -> ABC:
    """(a, b, c) of a named abc-parametrization for one layer type (TP4, Sec. 3 and 5).

    Args:
        name: ``"sp"`` (standard), ``"ntp"`` (neural tangent) or ``"mup"`` (maximal update).
        layer: ``"input"`` (the first weight, fan-in = input dimension), ``"hidden"`` or
            ``"output"`` (the readout).
        theta: shift along the symmetry ``(a + theta, b - theta, c - 2 theta)``; e.g. muP with
            ``theta = 0.5`` at the input layer gives ``(0, 0, -1)``: no multiplier, O(1) init and
            learning rate ``eta n`` (the form the ``mup`` package uses for SGD).

    Returns:
        The layer's :class:`ABC`.

    Raises:
        ConfigError: unknown ``name`` or ``layer``.
    """
    if name not in _ABC_TABLE:
        raise ConfigError(f"name must be one of {PARAMETRIZATIONS}; got {name!r}")
    if layer not in ("input", "hidden", "output"):
        raise ConfigError(f"layer must be 'input', 'hidden' or 'output'; got {layer!r}")
    if not isinstance(theta, int | float) or not math.isfinite(theta):
        raise ConfigError(f"theta must be a finite number; got {theta!r}")
    return _ABC_TABLE[name][layer].shifted(float(theta))
