"""Random-subspace training: θ = θ₀ + P z with only z ∈ R^d trainable.

Paper: Chunyuan Li, Heerad Farkhoor, Rosanne Liu, Jason Yosinski, "Measuring the Intrinsic
Dimension of Objective Landscapes", ICLR 2018, arXiv:1804.08838.

Method. A network with D parameters is trained only inside a random d-dimensional affine
subspace of its parameter space: the initial parameters θ₀ are frozen, a fixed random
matrix P ∈ R^{D×d} is drawn, and the optimiser updates z ∈ R^d (starting at 0) in
θ = θ₀ + P z. Sweeping d and recording the smallest d at which the trained model reaches a
given fraction of the directly trained model's performance gives the "intrinsic dimension"
of the objective landscape (see :mod:`nnatlas.train.intrinsic_dimension`). Every
parameter (weights, biases, normalisation scales) is a slice of the one projected vector.

This module provides the projections (dense Gaussian, very sparse, Fastfood, identity) as
``nn.Module`` s mapping z ↦ P z, and :class:`SubspaceModel`, which wraps any ``nn.Module``
so that its only trainable parameter is z.

Deviations from the paper and its official TensorFlow code:

* Normalisation. Dense and sparse P have columns (basis vectors of the subspace, of length
  D, across all layers jointly) of exactly unit norm, as in the official code. The
  Fastfood map keeps the official divisor, which we show gives columns of unit norm in
  expectation (E‖P z‖² = ‖z‖² for every z, see :class:`FastfoodProjection`), so one learning
  rate transfers across the three kinds.
* Learning rate. With unit-norm columns a unit step in z moves θ by a unit distance spread
  over D coordinates, so the learning rate on z must be about 100x the usual one: on
  scikit-learn digits with an MLP, Adam with lr 0.1 on z worked for dense P, whereas lr 3e-3
  failed to reach 90% of direct training even at d = 320 (the project's measurements; lr
  0.03 to 0.1 was best for d in 20..320, 0.01 and 1.0 were worse). Adam moves every
  coordinate of z by about lr per step, so ‖Δθ‖ ≈ lr √d and lr ≈ 0.5 / √d is a fair start.
* Sparse matvec. P is stored as a coalesced ``torch.sparse_coo_tensor`` (memory O(nnz)),
  but by default the product is computed as a gather/scatter (``index_add``) over its
  indices and values, which on CPU is several times faster than ``torch.sparse.mm`` and
  composes with ``torch.func``; ``matvec="torch.sparse"`` selects ``torch.sparse.mm``.
* Sparse columns that happen to draw no non-zero entry (probability (1 - s)^D) get one
  ±1 entry at a random row, so every column has unit norm; the official code would divide
  by zero there.
* Fast Walsh–Hadamard transform. Pure PyTorch, differentiable, with ``block`` butterfly
  levels fused into one small dense Hadamard matmul per stage (16 by default, about 3x
  faster than radix-2 on CPU); ``block=2`` is the textbook radix-2 butterfly.
"""

from __future__ import annotations

import abc
import copy
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int

__all__ = [
    "PROJECTION_KINDS",
    "DenseProjection",
    "FastfoodProjection",
    "IdentityProjection",
    "Projection",
    "SparseProjection",
    "SubspaceModel",
    "fwht",
    "make_projection",
]

PROJECTION_KINDS: tuple[str, ...] = ("dense", "fastfood", "identity", "sparse")


def _cpu_generator(seed: int) -> torch.Generator:
    return torch.Generator(device="cpu").manual_seed(int(seed))


# --------------------------------------------------------------------------------------
# Fast Walsh–Hadamard transform
# --------------------------------------------------------------------------------------

_HADAMARD_CACHE: dict[tuple[int, torch.dtype, torch.device], Tensor] = {}


def _hadamard(k: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    """Sylvester Hadamard matrix H_k (k a power of two), cached per dtype and device."""
    key = (k, dtype, device)
    h = _HADAMARD_CACHE.get(key)
    if h is None:
        h = torch.ones(1, 1, dtype=dtype, device=device)
        while h.shape[0] < k:
            h = torch.cat((torch.cat((h, h), 1), torch.cat((h, -h), 1)), 0)
        _HADAMARD_CACHE[key] = h
    return h


def fwht(x: Tensor, *, block: int = 16) -> Tensor:
    """Unnormalised fast Walsh–Hadamard transform along the last dimension.

    Computes ``x @ H_L`` with ``H_L`` the Sylvester-ordered Hadamard matrix (entries ±1,
    ``H_L @ H_L = L I``, the ordering of ``scipy.linalg.hadamard``), in O(L log L) time and
    O(L) extra memory per row. ``H_L = H_2 ⊗ ... ⊗ H_2``, so the transform factorises over
    the log2 L bits of the index; each stage applies ``H_k`` (k = ``block``, i.e. log2 k
    butterfly levels fused into one small matmul) to the last axis of a reshaped view and
    rotates that axis to the front. Differentiable (the transform is linear and symmetric,
    autograd handles it), and works on any device and floating dtype.

    Args:
        x: ``(..., L)`` with L a power of two.
        block: butterfly levels per stage as a power of two ≥ 2; ``2`` is the classic
            radix-2 butterfly, the default 16 is about 3x faster on CPU.

    Returns:
        ``(..., L)``, the transform of each row. Applying it twice gives ``L * x``.
    """
    length = x.shape[-1]
    if length < 1 or length & (length - 1):
        raise ConfigError(f"fwht needs a last dimension that is a power of two; got {length}")
    if block < 2 or block & (block - 1):
        raise ConfigError(f"block must be a power of two >= 2; got {block}")
    if length == 1:
        return x.clone()
    lead = x.shape[:-1]
    rows = x.reshape(-1, length)
    n = rows.shape[0]
    remaining = length
    while remaining > 1:
        k = min(block, remaining)
        remaining //= k
        # Transform the fastest-varying index digit, then rotate it to the slowest place, so
        # after all stages every digit has been transformed once and the order is restored.
        rows = rows.reshape(-1, k) @ _hadamard(k, rows.dtype, rows.device)
        rows = rows.reshape(n, -1, k).transpose(1, 2).reshape(n, length)
    return rows.reshape(*lead, length)


# --------------------------------------------------------------------------------------
# Projections
# --------------------------------------------------------------------------------------


class Projection(nn.Module, abc.ABC):
    """A fixed linear map z ∈ R^d ↦ P z ∈ R^D (abstract base).

    Random state comes from ``seed`` through a local CPU ``torch.Generator`` (never the
    global RNG), so the same seed gives the same P on any device. Random buffers are
    non-persistent; the seed and sizes travel in the module's extra state, so loading a
    ``state_dict`` regenerates the saved P even into an instance built with another seed.

    Attributes:
        full_dim: D, the length of the projected vector.
        subspace_dim: d, the length of z.
        seed: the seed P was drawn from.
    """

    full_dim: int
    subspace_dim: int
    seed: int

    def __init__(self, full_dim: int, subspace_dim: int, *, seed: int = 0) -> None:
        super().__init__()
        self.full_dim = check_int("full_dim", full_dim)
        self.subspace_dim = check_int(
            "subspace_dim", subspace_dim, high=self.full_dim, high_name="full_dim"
        )
        self.seed = check_int("seed", seed, low=0)

    @abc.abstractmethod
    def _generate(self, device: torch.device, dtype: torch.dtype) -> None:
        """Draw (or redraw) the random buffers from ``self.seed``."""

    @abc.abstractmethod
    def _project(self, z: Tensor) -> Tensor:
        """P z for ``z: (..., d)``, already validated; returns ``(..., D)``."""

    def _config(self) -> dict[str, Any]:
        """Kind-specific settings that, with the seed, determine P."""
        return {}

    def forward(self, z: Tensor) -> Tensor:
        """Project ``z``.

        Args:
            z: ``(d,)`` or batched ``(..., d)``.

        Returns:
            ``(D,)`` or ``(..., D)``.
        """
        if z.dim() == 0 or z.shape[-1] != self.subspace_dim:
            raise ConfigError(
                f"z must have last dimension subspace_dim={self.subspace_dim}; "
                f"got shape {tuple(z.shape)}"
            )
        return self._project(z)

    def _factory(self) -> tuple[torch.device, torch.dtype]:
        for buf in self.buffers():
            if buf.is_floating_point():
                return buf.device, buf.dtype
        return torch.device("cpu"), torch.get_default_dtype()

    def reseed(self, seed: int) -> None:
        """Redraw P from a new seed, keeping device and dtype."""
        self.seed = check_int("seed", seed, low=0)
        device, dtype = self._factory()
        self._generate(device, dtype)

    @torch.no_grad()
    def to_dense(self) -> Tensor:
        """Materialise P by pushing the d basis vectors through the map.

        Returns:
            ``(D, d)``; O(D d) memory, for tests and small problems.
        """
        device, dtype = self._factory()
        eye = torch.eye(self.subspace_dim, device=device, dtype=dtype)
        return self(eye).T.contiguous()

    def get_extra_state(self) -> dict[str, Any]:
        return {
            "kind": type(self).__name__,
            "full_dim": self.full_dim,
            "subspace_dim": self.subspace_dim,
            "seed": self.seed,
            **self._config(),
        }

    def set_extra_state(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise TypeError(f"projection extra state must be a dict; got {type(state).__name__}")
        mine = self.get_extra_state()
        for key in ("kind", "full_dim", "subspace_dim"):
            if state.get(key) != mine[key]:
                raise ConfigError(
                    f"cannot load a projection state with {key}={state.get(key)!r} into one "
                    f"with {key}={mine[key]!r}"
                )
        if state != mine:
            for key, value in state.items():
                if key not in ("kind", "full_dim", "subspace_dim"):
                    setattr(self, key, value)
            device, dtype = self._factory()
            self._generate(device, dtype)

    def extra_repr(self) -> str:
        extra = "".join(f", {k}={v}" for k, v in self._config().items())
        return (
            f"full_dim={self.full_dim}, subspace_dim={self.subspace_dim}, seed={self.seed}{extra}"
        )


class DenseProjection(Projection):
    """Dense Gaussian projection with unit-norm columns (the paper's default).

    Entries are drawn N(0, 1) and each column of P (one basis vector of the subspace, of
    length D across all layers jointly) is scaled to unit Euclidean norm, as in the official
    code. Stores P as a ``(D, d)`` buffer: O(D d) memory and time per product.

    Args:
        full_dim: D.
        subspace_dim: d, with 1 ≤ d ≤ D.
        seed: seed of the local generator that draws P.
        device: where P lives.
        dtype: floating dtype of P (always drawn in float32, so float32 and float64 instances
            of one seed agree to float32 rounding).
    """

    matrix: Tensor

    def __init__(
        self,
        full_dim: int,
        subspace_dim: int,
        *,
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(full_dim, subspace_dim, seed=seed)
        self._generate(torch.device(device or "cpu"), dtype or torch.get_default_dtype())

    def _generate(self, device: torch.device, dtype: torch.dtype) -> None:
        gen = _cpu_generator(self.seed)
        raw = torch.randn(self.full_dim, self.subspace_dim, generator=gen, dtype=torch.float32)
        # Normalise in the wider of float32 and dtype, without a second copy of P.
        matrix = raw.to(torch.float64) if dtype == torch.float64 else raw
        matrix = matrix.div_(torch.linalg.vector_norm(matrix, dim=0)).to(dtype)
        self.register_buffer("matrix", matrix.to(device), persistent=False)

    def _project(self, z: Tensor) -> Tensor:
        return F.linear(z, self.matrix)

    @torch.no_grad()
    def to_dense(self) -> Tensor:
        return self.matrix.clone()


class SparseProjection(Projection):
    """Very sparse random projection (Ping Li, Hastie, Church 2006) with unit-norm columns.

    Each entry is +√(1/s) or -√(1/s) with probability s/2 each and 0 otherwise
    (s = ``density``, default 1/√D, as scikit-learn's ``SparseRandomProjection`` used by
    the official code); each column is then scaled to unit norm, so a column with k
    non-zeros has entries ±1/√k. Non-zero positions are drawn exactly as a Bernoulli(s)
    process over the D·d entries, by summing geometric gaps, in O(nnz) time and memory.

    P is stored as a coalesced sparse COO buffer ``matrix`` of shape ``(D, d)``.

    Args:
        full_dim: D.
        subspace_dim: d, with 1 ≤ d ≤ D.
        density: s ∈ (0, 1]; default 1/√D.
        seed: seed of the local generator.
        matvec: ``"index_add"`` (default; gather/scatter over the stored indices and values,
            several times faster than ``torch.sparse.mm`` on CPU) or ``"torch.sparse"``.
        device: where P lives.
        dtype: floating dtype of the values.
    """

    matrix: Tensor

    def __init__(
        self,
        full_dim: int,
        subspace_dim: int,
        *,
        density: float | None = None,
        seed: int = 0,
        matvec: str = "index_add",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(full_dim, subspace_dim, seed=seed)
        if density is None:
            density = 1.0 / math.sqrt(self.full_dim)
        density = float(density)
        if not 0.0 < density <= 1.0:
            raise ConfigError(f"density must be in (0, 1]; got {density}")
        if matvec not in ("index_add", "torch.sparse"):
            raise ConfigError(f"matvec must be 'index_add' or 'torch.sparse'; got {matvec!r}")
        self.density = density
        self.matvec = matvec
        self._generate(torch.device(device or "cpu"), dtype or torch.get_default_dtype())

    def _config(self) -> dict[str, Any]:
        return {"density": self.density}

    def _generate(self, device: torch.device, dtype: torch.dtype) -> None:
        gen = _cpu_generator(self.seed)
        rows_all, d = self.full_dim, self.subspace_dim
        total = rows_all * d
        s = self.density
        # Positions of successes in a Bernoulli(s) sequence over the column-major flattened
        # matrix: partial sums of Geometric(s) gaps (support 1, 2, ...).
        log_q = math.log1p(-s) if s < 1.0 else -math.inf
        expected = total * s
        chunk = int(expected + 6.0 * math.sqrt(expected) + 16)
        pieces: list[Tensor] = []
        last = -1
        while last < total - 1:
            u = 1.0 - torch.rand(chunk, generator=gen, dtype=torch.float64)  # (0, 1]
            gaps = torch.floor(torch.log(u) / log_q).to(torch.int64) + 1
            pos = last + torch.cumsum(gaps, 0)
            pieces.append(pos)
            last = int(pos[-1])
            chunk = max(16, chunk // 4)
        flat = torch.cat(pieces)
        flat = flat[flat < total]
        cols = flat // rows_all
        rows = flat % rows_all
        counts = torch.bincount(cols, minlength=d)
        empty = torch.nonzero(counts == 0).flatten()
        if empty.numel():
            extra_rows = torch.randint(rows_all, (empty.numel(),), generator=gen)
            rows = torch.cat((rows, extra_rows))
            cols = torch.cat((cols, empty))
            counts[empty] = 1
        signs = torch.randint(0, 2, (rows.numel(),), generator=gen).to(torch.float64) * 2 - 1
        values = (signs / counts[cols].to(torch.float64).sqrt()).to(dtype)
        matrix = torch.sparse_coo_tensor(
            torch.stack((rows, cols)),
            values,
            (rows_all, d),
            check_invariants=True,
        ).coalesce()
        self.register_buffer("matrix", matrix.to(device), persistent=False)

    @torch.no_grad()
    def to_dense(self) -> Tensor:
        return self.matrix.to_dense()

    @property
    def nnz(self) -> int:
        """Number of stored non-zero entries of P."""
        return int(self.matrix._nnz())

    def _project(self, z: Tensor) -> Tensor:
        indices = self.matrix._indices()
        values = self.matrix._values()
        lead = z.shape[:-1]
        flat = z.reshape(-1, self.subspace_dim)
        if self.matvec == "torch.sparse":
            out = torch.sparse.mm(self.matrix, flat.T).T
        else:
            rows, cols = indices[0], indices[1]
            out = flat.new_zeros(flat.shape[0], self.full_dim).index_add(
                1, rows, flat[:, cols] * values
            )
        return out.reshape(*lead, self.full_dim)


class FastfoodProjection(Projection):
    """Fastfood projection (Le, Sarlós, Smola 2013): P z = (H G Π H B pad(z))[:D] / c.

    z is zero-padded to L = 2^⌈log2 D⌉, multiplied by a random ±1 diagonal B, transformed
    by the unnormalised Walsh–Hadamard matrix H, permuted by a random Π, multiplied by a
    Gaussian diagonal G, transformed by H again and truncated to its first D entries. P is
    never materialised: memory O(L) ≤ O(2D), time O(L log L).

    Normalisation: c = √(L Σ G²) · √(D / L) = √(D Σ G²), the official code's divisor. It
    makes the map unbiased in squared norm, E‖P z‖² = ‖z‖² for every z (so columns have unit
    norm in expectation, as the dense and sparse columns have exactly): with u = Π H B z,
    ‖u‖² = L‖z‖²; given |G|, each output coordinate w_k of H G u has E w_k² = Σ_i G_i² u_i²
    (sign symmetry of G), so E‖w[:D]‖² / (D Σ G²) = Σ_i G_i² u_i² / Σ G², whose mean over the
    exchangeable weights G_i² / Σ G² is ‖u‖² / L = ‖z‖². The divisor is folded into G.

    Args:
        full_dim: D.
        subspace_dim: d, with 1 ≤ d ≤ D.
        seed: seed of the local generator.
        block: butterfly levels fused per matmul in :func:`fwht`.
        device: where the diagonals live.
        dtype: floating dtype.
    """

    signs: Tensor
    gauss: Tensor
    perm: Tensor

    def __init__(
        self,
        full_dim: int,
        subspace_dim: int,
        *,
        seed: int = 0,
        block: int = 16,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(full_dim, subspace_dim, seed=seed)
        self.padded_dim = 1 << max(0, math.ceil(math.log2(self.full_dim)))
        if self.subspace_dim > self.padded_dim:  # unreachable while d <= D, kept as a guard
            raise ConfigError(
                f"subspace_dim={self.subspace_dim} exceeds the padded size L={self.padded_dim}"
            )
        if block < 2 or block & (block - 1):
            raise ConfigError(f"block must be a power of two >= 2; got {block}")
        self.block = block
        self._generate(torch.device(device or "cpu"), dtype or torch.get_default_dtype())

    def _generate(self, device: torch.device, dtype: torch.dtype) -> None:
        gen = _cpu_generator(self.seed)
        length = self.padded_dim
        signs = torch.randint(0, 2, (length,), generator=gen).to(torch.float64) * 2 - 1
        perm = torch.randperm(length, generator=gen)
        gauss = torch.randn(length, generator=gen, dtype=torch.float32).to(torch.float64)
        gauss = gauss / math.sqrt(self.full_dim * float(gauss.square().sum()))
        self.register_buffer("signs", signs.to(device=device, dtype=dtype), persistent=False)
        self.register_buffer("perm", perm.to(device), persistent=False)
        self.register_buffer("gauss", gauss.to(device=device, dtype=dtype), persistent=False)

    def _project(self, z: Tensor) -> Tensor:
        x = F.pad(z, (0, self.padded_dim - self.subspace_dim)) * self.signs
        x = fwht(x, block=self.block)
        x = x.index_select(-1, self.perm) * self.gauss
        x = fwht(x, block=self.block)
        return x[..., : self.full_dim]


class IdentityProjection(Projection):
    """P = I with d = D: subspace training reduces to ordinary training (for tests)."""

    def __init__(
        self,
        full_dim: int,
        *,
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        del device, dtype  # no buffers
        super().__init__(full_dim, full_dim, seed=seed)

    def _generate(self, device: torch.device, dtype: torch.dtype) -> None:
        pass

    def _project(self, z: Tensor) -> Tensor:
        return z


def make_projection(
    kind: str,
    full_dim: int,
    subspace_dim: int,
    *,
    seed: int = 0,
    **kwargs: Any,
) -> Projection:
    """Build a projection by name.

    Args:
        kind: one of ``"dense"``, ``"sparse"``, ``"fastfood"``, ``"identity"``.
        full_dim: D.
        subspace_dim: d (must equal D for ``"identity"``).
        seed: seed of the projection's local generator.
        **kwargs: passed to the class (``device``, ``dtype``, ``density``, ``block``, ...).

    Returns:
        The projection module.
    """
    if kind == "dense":
        return DenseProjection(full_dim, subspace_dim, seed=seed, **kwargs)
    if kind == "sparse":
        return SparseProjection(full_dim, subspace_dim, seed=seed, **kwargs)
    if kind == "fastfood":
        return FastfoodProjection(full_dim, subspace_dim, seed=seed, **kwargs)
    if kind == "identity":
        if subspace_dim != full_dim:
            raise ConfigError(
                f"the identity projection needs subspace_dim == full_dim={full_dim}; "
                f"got subspace_dim={subspace_dim}"
            )
        return IdentityProjection(full_dim, seed=seed, **kwargs)
    raise ConfigError(f"kind must be one of {list(PROJECTION_KINDS)}; got {kind!r}")


# --------------------------------------------------------------------------------------
# Wrapping a module
# --------------------------------------------------------------------------------------


def _owner(root: nn.Module, dotted: str) -> tuple[nn.Module, str]:
    prefix, _, leaf = dotted.rpartition(".")
    return (root.get_submodule(prefix) if prefix else root), leaf


def _default_include(name: str, param: nn.Parameter) -> bool:
    del name
    return param.requires_grad


class SubspaceModel(nn.Module):
    """Train any module in a random affine subspace: θ = θ₀ + P z.

    A deep copy of ``module`` is kept with its parameters removed: those selected by
    ``include`` are concatenated (in ``named_parameters()`` order) into the frozen flat
    buffer ``theta0`` of length D, the others become frozen buffers at their initial value.
    The only trainable parameter is ``z`` (zeros, shape ``(d,)``). Each call computes
    θ = θ₀ + P z, cuts it into the parameter shapes and runs the module through
    ``torch.func.functional_call``, so buffers (BatchNorm running statistics) update as
    usual and ``train()`` / ``eval()`` pass through. Tied parameters stay tied.

    ``state_dict()`` holds ``z``, ``theta0``, the module's buffers and the projection's seed
    (not P, which is regenerated), so it round-trips into a fresh instance.

    Args:
        module: any ``nn.Module``; it is copied, not modified.
        subspace_dim: d, with 1 ≤ d ≤ D (d = D for the identity projection).
        projection: a kind for :func:`make_projection` (``"dense"``, ``"sparse"``,
            ``"fastfood"``, ``"identity"``) or a :class:`Projection` with ``full_dim`` D and
            ``subspace_dim`` d (it is moved to the parameters' device and dtype).
        seed: seed of P when ``projection`` is a kind.
        include: ``include(name, param) -> bool`` selects the projected parameters; default
            all parameters with ``requires_grad``. The rest stay frozen at their initial value.

    Attributes:
        full_dim: D, number of projected parameters.
        subspace_dim: d.
        z: the trainable ``(d,)`` parameter.
        theta0: the frozen ``(D,)`` initial parameters.
    """

    theta0: Tensor

    def __init__(
        self,
        module: nn.Module,
        subspace_dim: int,
        *,
        projection: str | Projection = "dense",
        seed: int = 0,
        include: Callable[[str, nn.Parameter], bool] | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
        include = include or _default_include
        inner = copy.deepcopy(module)
        names_of: dict[int, list[str]] = {}
        for name, param in inner.named_parameters(remove_duplicate=False):
            names_of.setdefault(id(param), []).append(name)
        unique = list(inner.named_parameters())
        selected = [(n, p) for n, p in unique if include(n, p)]
        if not selected:
            raise ConfigError(
                "module must have at least one parameter to project; "
                f"got {len(unique)} parameters, {len(selected)} selected by include"
            )
        kinds = {(p.dtype, p.device) for _, p in selected}
        if len(kinds) > 1:
            raise TypeError(
                "all projected parameters must share one dtype and device; got "
                + ", ".join(sorted(f"{dt}/{dev}" for dt, dev in kinds))
            )
        dtype, device = kinds.pop()
        if not dtype.is_floating_point:
            raise TypeError(f"projected parameters must be floating point; got {dtype}")

        theta0 = torch.cat([p.detach().reshape(-1) for _, p in selected]).clone()
        full_dim = theta0.numel()
        check_int("subspace_dim", subspace_dim, high=full_dim, high_name="D (projected parameters)")

        if isinstance(projection, str):
            if projection not in PROJECTION_KINDS:
                raise ConfigError(
                    f"projection must be a Projection or one of {list(PROJECTION_KINDS)}; "
                    f"got {projection!r}"
                )
            proj = make_projection(
                projection, full_dim, subspace_dim, seed=seed, device=device, dtype=dtype
            )
        elif isinstance(projection, Projection):
            if (projection.full_dim, projection.subspace_dim) != (full_dim, subspace_dim):
                raise ConfigError(
                    f"projection must map subspace_dim={subspace_dim} to full_dim={full_dim}; "
                    f"got one mapping {projection.subspace_dim} to {projection.full_dim}"
                )
            proj = projection.to(device=device, dtype=dtype)
        else:
            raise TypeError(
                f"projection must be a str or a Projection; got {type(projection).__name__}"
            )

        # Replace every parameter of the copy by a buffer: an empty placeholder for projected
        # ones (functional_call swaps θ in at call time), the initial value for frozen ones.
        self._projected: list[tuple[tuple[str, ...], torch.Size, bool]] = []
        self._frozen: list[tuple[tuple[str, ...], bool]] = []
        chosen = {id(p) for _, p in selected}
        for _, param in unique:
            names = tuple(names_of[id(param)])
            if id(param) in chosen:
                self._projected.append((names, param.shape, param.requires_grad))
                buf = torch.empty(0, dtype=dtype, device=device)
                persistent = False
            else:
                self._frozen.append((names, param.requires_grad))
                buf = param.detach().clone()
                persistent = True
            for name in names:
                owner, leaf = _owner(inner, name)
                delattr(owner, leaf)
                owner.register_buffer(leaf, buf, persistent=persistent)

        self.module = inner
        self.projection = proj
        self.register_buffer("theta0", theta0)
        self.z = nn.Parameter(torch.zeros(subspace_dim, dtype=dtype, device=device))
        self._numels = [shape.numel() for _, shape, _ in self._projected]

    @property
    def full_dim(self) -> int:
        """D, the number of projected parameters."""
        return self.projection.full_dim

    @property
    def subspace_dim(self) -> int:
        """d, the length of z."""
        return self.projection.subspace_dim

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Set z back to 0, i.e. θ back to θ₀."""
        self.z.zero_()

    def flat_parameters(self) -> Tensor:
        """θ = θ₀ + P z, differentiable in z.

        Returns:
            ``(D,)``.
        """
        return self.theta0 + self.projection(self.z)

    def parameter_dict(self) -> dict[str, Tensor]:
        """The projected parameters θ cut to the module's shapes, keyed by parameter name."""
        pieces = self.flat_parameters().split(self._numels)
        return {
            names[0]: piece.view(shape)
            for (names, shape, _), piece in zip(self._projected, pieces, strict=True)
        }

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the wrapped module at θ = θ₀ + P z with the given inputs."""
        return functional_call(self.module, self.parameter_dict(), args, kwargs)

    @torch.no_grad()
    def absorb(self, seed: int | None = None) -> None:
        """Move θ₀ to the current θ and reset z to 0; with ``seed``, also redraw P.

        The function is unchanged; optimiser state on z refers to the old subspace, so
        restart the optimiser after a redraw.
        """
        self.theta0.copy_(self.flat_parameters())
        self.z.zero_()
        if seed is not None:
            self.projection.reseed(seed)

    @torch.no_grad()
    def materialize(self) -> nn.Module:
        """A plain copy of the module with θ = θ₀ + P z written into its parameters.

        Returns:
            A deep copy of the wrapped module with ordinary ``nn.Parameter`` s (and its
            current buffers), computing the same function as this wrapper.
        """
        out = copy.deepcopy(self.module)
        theta = {k: v.detach().clone() for k, v in self.parameter_dict().items()}
        for names, _, requires_grad in self._projected:
            param = nn.Parameter(theta[names[0]], requires_grad=requires_grad)
            for name in names:
                owner, leaf = _owner(out, name)
                delattr(owner, leaf)
                owner.register_parameter(leaf, param)
        for names, requires_grad in self._frozen:
            owner, leaf = _owner(out, names[0])
            param = nn.Parameter(getattr(owner, leaf).detach().clone(), requires_grad=requires_grad)
            for name in names:
                owner, leaf = _owner(out, name)
                delattr(owner, leaf)
                owner.register_parameter(leaf, param)
        return out

    def extra_repr(self) -> str:
        return f"full_dim={self.full_dim}, subspace_dim={self.subspace_dim}"


def _register_conformance_cases() -> None:
    from nnatlas.testing.catalog import register_module_case
    from nnatlas.nn.models import MLP, LeNet

    for kind in ("dense", "sparse", "fastfood"):
        register_module_case(
            f"SubspaceModel-MLP-{kind}",
            build=lambda dtype, kind=kind: SubspaceModel(
                MLP(6, [8], 3, dtype=dtype), 7, projection=kind, seed=0
            ),
            inputs=lambda dtype: (torch.randn(5, 6, dtype=dtype),),
        )
    register_module_case(
        "SubspaceModel-LeNet-batchnorm",
        build=lambda dtype: SubspaceModel(
            LeNet(1, 4, image_size=8, channels=(2, 3), hidden=(5,), batch_norm=True, dtype=dtype),
            9,
            projection="fastfood",
        ),
        inputs=lambda dtype: (torch.randn(4, 1, 8, 8, dtype=dtype),),
    )


_register_conformance_cases()
