"""DeepONet (Lu, Jin, Pang, Zhang, Karniadakis; "Learning nonlinear operators via DeepONet based
on the universal approximation theorem of operators", arXiv 1910.03193, Nat. Mach. Intell. 2021).

An operator G is learned from the values of the input function u at m fixed sensors and a query
location y: G(u)(y) ≈ Σ_{k=1..p} b_k(u(x_1), …, u(x_m)) · t_k(y) + b₀. The branch net b maps the
m sensor values to p coefficients, the trunk net t maps y to p basis functions, b₀ is a
trainable scalar bias.

* **Unstacked** (the paper's recommendation and the official default): one branch MLP with p
  outputs. **Stacked**: p independent branch MLPs with one output each (here run as one batched
  computation).
* **Data layouts** (``forward`` dispatches on ``layout``): ``pointwise`` triples — ``u`` (B, m),
  ``y`` (B, d) → (B,), one query per function, or ``y`` (B, Q, d) → (B, Q); ``cartesian``
  (DeepXDE's ``DeepONetCartesianProd``, "aligned" data) — every function queried at the same
  points, ``u`` (B, m), ``y`` (Q, d) → (B, Q), sharing one trunk evaluation across the batch.
* **Multiple outputs** (``num_outputs`` = K > 1, an extra trailing axis of size K):
  ``split_both`` — branch and trunk both emit K·p values, split into K groups, one inner product
  per group; ``split_branch`` — the branch emits K·p, the trunk p shared by all outputs;
  ``split_trunk`` — the trunk emits K·p, the branch p shared. One bias per output.

As in the paper's code (DeepXDE) the last trunk layer is followed by the activation and the last
branch layer is linear, and weights are Glorot-normal with zero biases.

Deviations: none in the model; DeepXDE's ``independent`` multi-output strategy (K separate
DeepONets) is not provided — build K :class:`DeepONet` modules instead.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, Literal

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.nn.activations import activation_fn
from nnatlas.operators.validation import check_real_tensor

__all__ = ["DeepONet"]

Layout = Literal["pointwise", "cartesian"]
MultiOutput = Literal["split_both", "split_branch", "split_trunk"]


class _StackedLinear(nn.Module):
    """``copies`` independent linear maps applied to the same (or per-copy) input."""

    def __init__(
        self,
        copies: int,
        in_features: int,
        out_features: int,
        *,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(
            torch.empty(copies, in_features, out_features, device=device, dtype=dtype)
        )
        self.bias = nn.Parameter(torch.empty(copies, 1, out_features, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        fan_in, fan_out = self.weight.shape[1], self.weight.shape[2]
        with torch.no_grad():
            self.weight.normal_(0.0, math.sqrt(2.0 / (fan_in + fan_out)))
            self.bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        # x: (B, in) shared, or (copies, B, in) per copy -> (copies, B, out)
        if x.dim() == 2:
            return torch.einsum("bi,cio->cbo", x, self.weight) + self.bias
        return torch.baddbmm(self.bias, x, self.weight)


def _mlp(
    sizes: Sequence[int], device: torch.device | str | None, dtype: torch.dtype | None
) -> nn.ModuleList:
    return nn.ModuleList(
        nn.Linear(a, b, device=device, dtype=dtype) for a, b in itertools.pairwise(sizes)
    )


def _check_sizes(name: str, sizes: Sequence[int]) -> tuple[int, ...]:
    if isinstance(sizes, int) or len(sizes) < 2:
        raise ConfigError(
            f"{name} must list at least input and output sizes, e.g. [100, 40, 40]; got {sizes!r}"
        )
    for s in sizes:
        check_int(name, s)
    return tuple(int(s) for s in sizes)


class DeepONet(nn.Module):
    """Deep operator network G(u)(y) ≈ Σ_k b_k(u) t_k(y) + b₀.

    Args:
        branch_sizes: ``[m, h_1, …, p]``: sensors, hidden widths, latent size p. For a stacked
            net each of the p branch MLPs has widths ``[m, h_1, …, 1]`` (the paper uses the
            same hidden widths for every copy).
        trunk_sizes: ``[d, h_1, …, p]``: query dimension, hidden widths, latent size p.
        activation: hidden (and last trunk) activation, a name of
            :data:`nnatlas.nn.activations.ACTIVATIONS` (paper's default ``relu``).
        stacked: p independent branch nets (stacked) or one with p outputs (unstacked).
        num_outputs: K output components; >1 adds a trailing axis of size K.
        multi_output: how K outputs share the latent space (see module docstring).
        layout: default data layout of :meth:`forward` (``pointwise`` or ``cartesian``).
        bias: include the scalar output bias b₀ (one per output).

    Shapes:
        pointwise: ``u`` (B, m), ``y`` (B, d) → (B,) [or (B, K)]; ``y`` (B, Q, d) → (B, Q) [(B, Q, K)].
        cartesian: ``u`` (B, m), ``y`` (Q, d) → (B, Q) [or (B, Q, K)].
    """

    def __init__(
        self,
        branch_sizes: Sequence[int],
        trunk_sizes: Sequence[int],
        *,
        activation: str = "relu",
        stacked: bool = False,
        num_outputs: int = 1,
        multi_output: MultiOutput = "split_both",
        layout: Layout = "pointwise",
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        branch = _check_sizes("branch_sizes", branch_sizes)
        trunk = _check_sizes("trunk_sizes", trunk_sizes)
        self.num_outputs = check_int("num_outputs", num_outputs)
        if multi_output not in ("split_both", "split_branch", "split_trunk"):
            raise ConfigError(
                f"multi_output must be 'split_both', 'split_branch' or 'split_trunk'; got {multi_output!r}"
            )
        if layout not in ("pointwise", "cartesian"):
            raise ConfigError(f"layout must be 'pointwise' or 'cartesian'; got {layout!r}")
        act = activation_fn(activation)
        k = self.num_outputs
        branch_mult = k if k > 1 and multi_output in ("split_both", "split_branch") else 1
        trunk_mult = k if k > 1 and multi_output in ("split_both", "split_trunk") else 1
        if branch[-1] % branch_mult or trunk[-1] % trunk_mult:
            raise ConfigError(
                f"with num_outputs={k} and multi_output={multi_output!r} the branch/trunk output "
                f"sizes must be divisible by {k}; got branch {branch[-1]}, trunk {trunk[-1]}"
            )
        p_branch, p_trunk = branch[-1] // branch_mult, trunk[-1] // trunk_mult
        if p_branch != p_trunk:
            raise ConfigError(
                f"branch and trunk must give the same latent size p per output; got branch "
                f"{branch[-1]} and trunk {trunk[-1]} with num_outputs={k}, multi_output={multi_output!r}"
            )
        self.p = p_branch
        self.branch_sizes, self.trunk_sizes = branch, trunk
        self.activation, self.stacked, self.multi_output = activation, bool(stacked), multi_output
        self.layout: Layout = layout
        self._act = act
        self._branch_mult, self._trunk_mult = branch_mult, trunk_mult
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        if stacked:
            widths = (*branch[:-1], 1)
            self.branch = nn.ModuleList(
                _StackedLinear(branch[-1], a, b, **kw) for a, b in itertools.pairwise(widths)
            )
        else:
            self.branch = _mlp(branch, **kw)
        self.trunk = _mlp(trunk, **kw)
        self.bias = nn.Parameter(torch.zeros(k, device=device, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-normal weights, zero biases (the paper's initialisation)."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, _StackedLinear):
                m.reset_parameters()
        if self.bias is not None:
            with torch.no_grad():
                self.bias.zero_()

    def extra_repr(self) -> str:
        return (
            f"branch={list(self.branch_sizes)}, trunk={list(self.trunk_sizes)}, p={self.p}, "
            f"stacked={self.stacked}, num_outputs={self.num_outputs}, layout={self.layout!r}, "
            f"activation={self.activation!r}"
        )

    # -- the two nets --------------------------------------------------------------------

    def branch_features(self, u: Tensor) -> Tensor:
        """Branch outputs: ``u`` (B, m) → (B, K_b·p), K_b = K for split_both/split_branch else 1."""
        m = self.branch_sizes[0]
        check_real_tensor("u", u, "DeepONet")
        if not isinstance(u, Tensor) or u.dim() != 2 or u.shape[1] != m:
            shape = tuple(u.shape) if isinstance(u, Tensor) else type(u).__name__
            raise ConfigError(f"u must have shape (batch, {m}) (sensor values); got {shape}")
        if self.stacked:
            h: Tensor = u
            for i, layer in enumerate(self.branch):
                h = layer(h)
                if i < len(self.branch) - 1:
                    h = self._act(h)
            return h[..., 0].T  # (copies, B, 1) -> (B, copies)
        for i, layer in enumerate(self.branch):
            u = layer(u)
            if i < len(self.branch) - 1:
                u = self._act(u)
        return u

    def trunk_features(self, y: Tensor) -> Tensor:
        """Trunk outputs (activated, as in DeepXDE): ``y`` (..., d) → (..., K_t·p)."""
        d = self.trunk_sizes[0]
        check_real_tensor("y", y, "DeepONet")
        if not isinstance(y, Tensor) or y.dim() < 1 or y.shape[-1] != d:
            shape = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
            raise ConfigError(f"y must end with the query dimension {d}; got shape {shape}")
        for layer in self.trunk:
            y = self._act(layer(y))
        return y

    def _finish(self, out: Tensor) -> Tensor:
        # out: (..., K)
        if self.bias is not None:
            out = out + self.bias
        return out[..., 0] if self.num_outputs == 1 else out

    def _groups(self, b: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        # Split the latent axis into (K or 1, p) groups; broadcasting pairs them per output.
        return (
            b.unflatten(-1, (self._branch_mult, self.p)),
            t.unflatten(-1, (self._trunk_mult, self.p)),
        )

    # -- layouts ---------------------------------------------------------------------------

    def pointwise(self, u: Tensor, y: Tensor) -> Tensor:
        """Triples: ``u`` (B, m) with ``y`` (B, d) → (B[, K]) or ``y`` (B, Q, d) → (B, Q[, K])."""
        b = self.branch_features(u)
        check_real_tensor("y", y, "DeepONet")
        if not isinstance(y, Tensor) or y.dim() not in (2, 3) or y.shape[0] != u.shape[0]:
            shape = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
            raise ConfigError(
                f"pointwise layout: y must be (batch, d) or (batch, Q, d) with batch = {u.shape[0]}; "
                f"got {shape}"
            )
        t = self.trunk_features(y)
        bg, tg = self._groups(b, t)
        if y.dim() == 3:
            bg = bg[:, None]
        return self._finish((bg * tg).sum(-1).expand(*tg.shape[:-2], self.num_outputs))

    def cartesian(self, u: Tensor, y: Tensor) -> Tensor:
        """Cartesian product ("aligned" data): ``u`` (B, m), ``y`` (Q, d) → (B, Q[, K])."""
        check_real_tensor("y", y, "DeepONet")
        if not isinstance(y, Tensor) or y.dim() != 2:
            shape = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
            raise ConfigError(
                f"cartesian layout: y must be (Q, d), shared by the batch; got {shape}"
            )
        bg, tg = self._groups(self.branch_features(u), self.trunk_features(y))
        k = self.num_outputs
        # One trunk evaluation shared by the batch: a (B, p) × (p, Q) product per output.
        out = torch.einsum("bkp,qkp->bqk", bg.expand(-1, k, -1), tg.expand(-1, k, -1))
        return self._finish(out.expand(u.shape[0], y.shape[0], self.num_outputs))

    def forward(self, u: Tensor, y: Tensor) -> Tensor:
        """Evaluate in the layout chosen at construction (see :meth:`pointwise`, :meth:`cartesian`)."""
        return self.cartesian(u, y) if self.layout == "cartesian" else self.pointwise(u, y)
