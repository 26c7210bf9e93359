"""The muP output layer :class:`MuReadout`.

Part of :mod:`nnatlas.param.mup` (Tensor Programs V, arXiv 2203.03466, Sec. 4 and App. B): the
readout divides its input by the width multiplier, so its output stays O(1) as the width grows.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.param.mup.shapes import BUFFER_PREFIX, fanin_mult

__all__ = ["MuReadout"]


class MuReadout(nn.Linear):
    """The muP output layer: ``Linear(output_mult * x / width_mult)``.

    ``width_mult = in_features / base in_features`` once :func:`set_base_shapes` has recorded the
    base (1 before, when the layer is an ordinary ``nn.Linear`` times ``output_mult``).

    Args:
        in_features: width of the input (a width dimension of the model).
        out_features: number of outputs (finite: classes, vocabulary).
        bias: whether to add a bias.
        output_mult: constant output multiplier (a tunable, transferable hyperparameter).
        zero_init: initialise weight and bias to zero (recommended by TP5; the network output is
            then 0 at initialisation and the coordinate check is exactly flat at step 0).
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(*, in_features)``.
        - Output: ``(*, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        output_mult: float = 1.0,
        zero_init: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_int("in_features", in_features)
        check_int("out_features", out_features)
        if not isinstance(output_mult, int | float) or not math.isfinite(output_mult):
            raise ConfigError(f"output_mult must be a finite number; got {output_mult!r}")
        self.output_mult = float(output_mult)
        self.zero_init = bool(zero_init)
        super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        """Zero (``zero_init``) or PyTorch's fan-in init, rescaled for the recorded base shape."""
        if self.zero_init:
            with torch.no_grad():
                self.weight.zero_()
                if self.bias is not None:
                    self.bias.zero_()
            return
        super().reset_parameters()
        mult = self.width_mult()
        if mult != 1.0 and self.weight.device.type != "meta":
            with torch.no_grad():
                self.weight.mul_(math.sqrt(mult))
                if self.bias is not None:
                    self.bias.mul_(math.sqrt(mult))

    def width_mult(self) -> float:
        """``in_features / base in_features`` (1 before :func:`set_base_shapes`)."""
        buf = self._buffers.get(BUFFER_PREFIX + "weight")
        if buf is None:
            return 1.0
        # Reading the buffer on an accelerator would synchronise every forward; cache it until the
        # buffer is replaced (``.to()``) or written in place (``load_state_dict``).
        key = (id(buf), buf._version)
        cached = self.__dict__.get("_mult_cache")
        if cached is None or cached[0] != key:
            cached = (key, fanin_mult(self))
            self.__dict__["_mult_cache"] = cached
        return cached[1]

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x * (self.output_mult / self.width_mult()), self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, output_mult={self.output_mult:g}, "
            f"zero_init={self.zero_init}, width_mult={self.width_mult():g}"
        )
