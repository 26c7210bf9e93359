"""ParaGRU and ParaLSTM: the paper's cells, adapted so that Newton's Jacobians stay tiny.

From "ParaRNN: Unlocking Parallel Training of Nonlinear RNNs for Large Language Models"
(Danieli, Rodríguez, Sarabia, Suau, Zappella; arXiv 2510.21450). Both cells replace the dense
recurrent matrices of GRU / LSTM by diagonal ones, so the Jacobian ∂h_t/∂h_{t-1} is diagonal
(ParaGRU) or 2×2 block-diagonal over (c, h) per channel (ParaLSTM with a coupled input-forget
gate), and map the input by a multi-head block-diagonal matrix (``num_heads`` blocks, default 2).
The state-independent input maps run once over the whole sequence; the recurrence is then
solved by :func:`~nnatlas.nn.pararnn.newton.apply_recurrence` in ``mode="sequential"``,
``"parallel"`` or ``"chunked"``, with identical outputs up to float rounding.

ParaGRU: z = σ(a_z ⊙ h + B_z x + b_z), r = σ(a_r ⊙ h + B_r x + b_r),
ĥ = tanh(a_h ⊙ (h ⊙ r) + B_h x + b_h), h' = z ⊙ ĥ + (1 - z) ⊙ h.

ParaLSTM (CIFG): f = σ(a_f ⊙ h + B_f x + b_f), o = σ(a_o ⊙ h + B_o x + b_o),
g = tanh(a_g ⊙ h + B_g x + b_g), c' = f ⊙ c + (1 - f) ⊙ g, h' = o ⊙ tanh(c').

Deviations: the official initialisers are named ``a_init_fn="xlstm"`` and
``b_init_fn="bias_minus_linspace"``; their exact formulas were not re-read, so we use our own
reading of them: diagonal recurrent weights uniform in ``[-a_scale, a_scale]`` (default 0.5),
the update gate's bias ``-linspace(1, 4)`` across channels (a spread of memory lengths; for
ParaLSTM the forget gate's bias ``+linspace(1, 4)``, the same memory), other biases zero, and
input maps Xavier-uniform per head. ParaLSTM has no peephole terms: the official
``pararnn-torch`` LSTM adds ``c_f ⊙ c`` to the forget gate and ``c_o ⊙ c'`` to the output gate (its
reading of the paper's eq. 3.1b); with those weights zeroed the two cells agree to 1e-16 in
float64 (``crosscheck/check_pararnn.py``).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int, check_real
from nnatlas.nn._checks import check_factory_dtype, check_input, describe, module_dtype
from nnatlas.nn.pararnn.newton import (
    MODES,
    Mode,
    NewtonConfig,
    RecurrentCell,
    apply_recurrence,
)

__all__ = ["ParaGRU", "ParaLSTM"]


class _ParaCell(RecurrentCell):
    """Shared parts: multi-head input map to ``gates`` × ``hidden_size`` and the layer API."""

    gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_heads: int = 2,
        *,
        mode: Mode = "parallel",
        newton: NewtonConfig | None = None,
        chunk_size: int | None = None,
        a_scale: float = 0.5,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        check_int("input_size", input_size)
        check_int("hidden_size", hidden_size)
        check_int("num_heads", num_heads)
        for name, size in (("input_size", input_size), ("hidden_size", hidden_size)):
            if size % num_heads:
                raise ConfigError(f"{name} must be divisible by num_heads={num_heads}; got {size}")
        check_real("a_scale", a_scale, low=0.0)
        if newton is not None and not isinstance(newton, NewtonConfig):
            raise TypeError(f"newton must be a NewtonConfig or None; got {describe(newton)}")
        if chunk_size is not None:
            check_int("chunk_size", chunk_size)
        if mode not in MODES:  # fail at construction, not at the first forward
            raise UnknownNameError("mode", str(mode), MODES)
        self.input_size, self.hidden_size, self.num_heads = input_size, hidden_size, num_heads
        self.mode, self.newton, self.chunk_size, self.a_scale = mode, newton, chunk_size, a_scale
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        g = self.gates
        self.projected_size = g * hidden_size
        self.weight = nn.Parameter(
            torch.empty(num_heads, input_size // num_heads, g * hidden_size // num_heads, **kw)
        )
        self.bias = nn.Parameter(torch.empty(g, hidden_size, **kw))
        self.recurrent = nn.Parameter(torch.empty(g, hidden_size, **kw))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        fan_in, fan_out = self.weight.shape[1], self.weight.shape[2]
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            self.recurrent.uniform_(-self.a_scale, self.a_scale)
            self.bias.zero_()

    def project(self, x: Tensor) -> Tensor:
        """``x: (..., L, input_size)`` -> ``u: (..., L, gates * hidden_size)``, gate-major."""
        if x.shape[-1] != self.input_size:
            raise ConfigError(
                f"x must have {self.input_size} features in its last dim; got shape {tuple(x.shape)}"
            )
        heads = x.unflatten(-1, (self.num_heads, -1))
        y = torch.einsum("...hi,hio->...ho", heads, self.weight)
        # (..., heads, gates, n/heads) -> (..., gates, hidden): each gate's channels contiguous
        y = y.unflatten(-1, (self.gates, -1)).transpose(-2, -3).flatten(-2)
        return (y + self.bias).flatten(-2)

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Run the recurrence over a batch-first sequence.

        Args:
            x: ``(batch, L, input_size)`` (any leading dims).
            h0: initial state ``(batch, state_size)`` or ``None`` for zeros.

        Returns:
            ``(y, h_last)``: outputs ``(batch, L, hidden_size)`` and the final state
            ``(batch, state_size)``.
        """
        check_input(
            type(self).__name__,
            x,
            dtype=module_dtype(self),
            min_ndim=2,
            last=self.input_size,
            expected=f"(batch, L, {self.input_size})",
        )
        u = self.project(x)
        h = apply_recurrence(
            self, u, h0, mode=self.mode, newton=self.newton, chunk_size=self.chunk_size,
            params=(self.recurrent,),
        )  # fmt: skip
        last = (
            h[..., -1, :]
            if h.shape[-2]
            else (h0 if h0 is not None else h.new_zeros(*h.shape[:-2], self.state_size))
        )
        return self.output(h), last

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_heads={self.num_heads}, "
            f"mode={self.mode!r}, a_scale={self.a_scale}"
        )


class ParaGRU(_ParaCell):
    """Diagonal GRU with multi-head input maps (the paper's ``GRUDiagMH``).

    Args:
        input_size: features of x.
        hidden_size: N, the state size.
        num_heads: blocks of the block-diagonal input map (divides both sizes).
        mode: ``"sequential"``, ``"parallel"`` (Newton + log-depth scan) or ``"chunked"``.
        newton: Newton settings (default: residual check, up to 10 iterations).
        chunk_size: chunk length for ``mode="chunked"``.
        a_scale: diagonal recurrent weights start uniform in ``[-a_scale, a_scale]``.
        device, dtype: as for any ``nn.Module``.

    Shapes: ``x: (batch, L, input_size)`` -> ``(y: (batch, L, N), h_last: (batch, N))``.
    """

    structure = "diag"

    def __init__(
        self, input_size: int, hidden_size: int, num_heads: int = 2, **kwargs: Any
    ) -> None:
        self.state_size = hidden_size
        super().__init__(input_size, hidden_size, num_heads, **kwargs)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        with torch.no_grad():
            self.bias[0].copy_(-torch.linspace(1.0, 4.0, self.hidden_size))

    def step(self, h: Tensor, u: Tensor) -> Tensor:
        uz, ur, uh = u.unflatten(-1, (3, -1)).unbind(-2)
        az, ar, ah = self.recurrent
        z = torch.sigmoid(az * h + uz)
        r = torch.sigmoid(ar * h + ur)
        cand = torch.tanh(ah * (h * r) + uh)
        return h + z * (cand - h)

    def jacobian(self, h: Tensor, u: Tensor) -> Tensor:
        """Closed-form diagonal of ∂h'/∂h, ``(..., N)``."""
        return self.step_and_jacobian(h, u)[1]

    def step_and_jacobian(self, h: Tensor, u: Tensor) -> tuple[Tensor, Tensor]:
        uz, ur, uh = u.unflatten(-1, (3, -1)).unbind(-2)
        az, ar, ah = self.recurrent
        z = torch.sigmoid(az * h + uz)
        r = torch.sigmoid(ar * h + ur)
        cand = torch.tanh(ah * (h * r) + uh)
        diff = cand - h
        dcand = (1 - cand * cand) * ah * (r + h * (r * (1 - r) * ar))
        return h + z * diff, (1 - z) + z * ((1 - z) * az * diff + dcand)


class ParaLSTM(_ParaCell):
    """Diagonal LSTM with coupled input-forget gate (the paper's ``LSTMCIFGDiagMH``).

    The state is (c, h) per channel, stored interleaved: ``state[..., 2n] = c_n``,
    ``state[..., 2n + 1] = h_n``, so the Jacobian is ``N`` 2×2 blocks. Arguments as for
    :class:`ParaGRU`.

    Shapes: ``x: (batch, L, input_size)`` -> ``(y: (batch, L, N), state_last: (batch, 2N))``.
    """

    structure = "block"
    block_size = 2

    def __init__(
        self, input_size: int, hidden_size: int, num_heads: int = 2, **kwargs: Any
    ) -> None:
        self.state_size = 2 * hidden_size
        super().__init__(input_size, hidden_size, num_heads, **kwargs)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        with torch.no_grad():
            self.bias[0].copy_(torch.linspace(1.0, 4.0, self.hidden_size))

    def _gates(self, s: Tensor, u: Tensor) -> tuple[Tensor, ...]:
        c, h = s.unflatten(-1, (-1, 2)).unbind(-1)
        uf, uo, ug = u.unflatten(-1, (3, -1)).unbind(-2)
        af, ao, ag = self.recurrent
        f = torch.sigmoid(af * h + uf)
        o = torch.sigmoid(ao * h + uo)
        g = torch.tanh(ag * h + ug)
        c_new = f * c + (1 - f) * g
        return c, h, f, o, g, c_new, torch.tanh(c_new)

    def step(self, h: Tensor, u: Tensor) -> Tensor:
        _, _, _, o, _, c_new, tc = self._gates(h, u)
        return torch.stack([c_new, o * tc], dim=-1).flatten(-2)

    def jacobian(self, h: Tensor, u: Tensor) -> Tensor:
        """Closed-form 2×2 blocks of ∂(c', h')/∂(c, h), ``(..., N, 2, 2)``."""
        return self.step_and_jacobian(h, u)[1]

    def step_and_jacobian(self, h: Tensor, u: Tensor) -> tuple[Tensor, Tensor]:
        c, _, f, o, g, c_new, tc = self._gates(h, u)
        h_new = o * tc
        af, ao, ag = self.recurrent
        dc_dc = f
        dc_dh = f * (1 - f) * af * (c - g) + (1 - f) * (1 - g * g) * ag
        dtc = o * (1 - tc * tc)
        dh_dc = dtc * dc_dc
        dh_dh = o * (1 - o) * ao * tc + dtc * dc_dh
        jac = torch.stack([dc_dc, dc_dh, dh_dc, dh_dh], -1).unflatten(-1, (2, 2))
        return torch.stack([c_new, h_new], dim=-1).flatten(-2), jac

    def output(self, h: Tensor) -> Tensor:
        return h[..., 1::2]
