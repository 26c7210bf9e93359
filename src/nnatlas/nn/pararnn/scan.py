"""Batched linear-recurrence solvers: h_t = A_t h_{t-1} + b_t with h_{-1} = 0.

This is the shared scan primitive of "ParaRNN: Unlocking Parallel Training of Nonlinear RNNs
for Large Language Models" (Danieli et al., arXiv 2510.21450): both the Newton step and the
adjoint (backward) recurrence are linear recurrences of this form. Three structures of the
transition A_t are supported:

* ``"diag"``: A_t is diagonal; ``a`` has the shape of ``b``, ``(..., L, D)``.
* ``"block"``: A_t is block-diagonal with ``N`` blocks of size ``k``; ``a`` is
  ``(..., L, N, k, k)`` and ``b`` is ``(..., L, N * k)`` (block ``n`` acts on channels
  ``n*k .. n*k + k - 1``).
* ``"dense"``: A_t is a full ``(D, D)`` matrix; ``a`` is ``(..., L, D, D)``.

Three methods solve it, all exact up to float rounding:

* ``"sequential"``: the plain loop over t (L steps).
* ``"parallel"``: odd-even (cyclic) reduction, a work-efficient associative scan: pairs of steps
  are composed, the half-length recurrence is solved recursively, and the even positions are
  filled in. ``ceil(log2 L)`` levels and O(L) work (the paper's Hillis-Steele sweep does
  O(L log L) work; on a CPU the work-efficient form is the faster one).
* ``"chunked"``: the hybrid for CPUs with few cores: a sequential loop of ``chunk_size`` steps
  run on all chunks at once, a parallel scan over the chunk carries, and one fix-up pass.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.nn._checks import describe

__all__ = [
    "SCAN_METHODS",
    "STRUCTURES",
    "ScanMethod",
    "Structure",
    "linear_scan",
    "transpose_jacobian",
]

Structure = Literal["diag", "block", "dense"]
ScanMethod = Literal["sequential", "parallel", "chunked"]

#: The transition layouts :func:`linear_scan` accepts.
STRUCTURES: tuple[str, ...] = ("diag", "block", "dense")
#: Its solution methods.
SCAN_METHODS: tuple[str, ...] = ("sequential", "parallel", "chunked")


# The solvers below work on time-major tensors held as lists of components. Small blocks
# (k <= 4, including diagonal, k = 1) are split into k*k transition and k vector components of
# shape (L, ..., N), so that composing two steps is a few elementwise products instead of a
# batched product of tiny matrices (much faster on a CPU). Larger blocks keep one
# (L, ..., N, k, k) tensor and use matmul. ``k`` below is the block size of the split form and
# 0 for the matmul form.

Parts = list[Tensor]


def _apply(a: Parts, b: Parts, k: int) -> Parts:
    """A b for one transition per position."""
    if k == 0:
        return [(a[0] @ b[0].unsqueeze(-1))[..., 0]]
    return [sum((a[i * k + j] * b[j] for j in range(1, k)), a[i * k] * b[0]) for i in range(k)]


def _compose(a2: Parts, a1: Parts, k: int) -> Parts:
    """A2 A1: the transition of two consecutive steps."""
    if k == 0:
        return [a2[0] @ a1[0]]
    return [
        sum((a2[i * k + m] * a1[m * k + j] for m in range(1, k)), a2[i * k] * a1[j])
        for i in range(k)
        for j in range(k)
    ]


def _identity(a: Parts, k: int) -> Parts:
    if k == 0:
        eye = torch.eye(a[0].shape[-1], dtype=a[0].dtype, device=a[0].device)
        return [eye.expand_as(a[0]).clone()]
    return [
        torch.ones_like(x) if i % (k + 1) == 0 else torch.zeros_like(x) for i, x in enumerate(a)
    ]


def _take(x: Parts, index: slice) -> Parts:
    return [t[index] for t in x]


def _cat(x: Parts, y: Parts) -> Parts:
    return [torch.cat([s, t]) for s, t in zip(x, y, strict=True)]


def _add(x: Parts, y: Parts) -> Parts:
    return [s + t for s, t in zip(x, y, strict=True)]


def _sequential(a: Parts, b: Parts, k: int) -> Parts:
    h = _take(b, slice(0, 1))
    out = [h]
    for t in range(1, b[0].shape[0]):
        h = _add(_apply(_take(a, slice(t, t + 1)), h, k), _take(b, slice(t, t + 1)))
        out.append(h)
    return [torch.cat(parts) for parts in zip(*out, strict=True)]


def _parallel(a: Parts, b: Parts, k: int) -> Parts:
    length = b[0].shape[0]
    if length == 1:
        return b
    if length % 2:
        # One trailing identity step keeps the pairing simple; its output is dropped.
        a = _cat(a, _identity(_take(a, slice(0, 1)), k))
        b = _cat(b, [torch.zeros_like(t[:1]) for t in b])
    a0, a1 = _take(a, slice(0, None, 2)), _take(a, slice(1, None, 2))
    b0, b1 = _take(b, slice(0, None, 2)), _take(b, slice(1, None, 2))
    # h_{2i+1} = a1 (a0 h_{2i-1} + b0) + b1: a recurrence of half the length over odd positions.
    h_odd = _parallel(_compose(a1, a0, k), _add(_apply(a1, b0, k), b1), k)
    h_prev = [torch.cat([torch.zeros_like(t[:1]), t[:-1]]) for t in h_odd]
    h_even = _add(_apply(a0, h_prev, k), b0)
    return [
        torch.stack([e, o], dim=1).flatten(0, 1)[:length]
        for e, o in zip(h_even, h_odd, strict=True)
    ]


def _chunked(a: Parts, b: Parts, k: int, chunk_size: int) -> Parts:
    length = b[0].shape[0]
    chunks = math.ceil(length / chunk_size)
    pad = chunks * chunk_size - length
    if pad:
        ident = _identity(_take(a, slice(0, 1)), k)
        a = _cat(a, [t.expand(pad, *t.shape[1:]) for t in ident])
        b = _cat(b, [t.new_zeros(pad, *t.shape[1:]) for t in b])
    # (chunks * T, ...) -> (T, chunks, ...): the loop runs over T with all chunks at once.
    a_c = [t.unflatten(0, (chunks, chunk_size)).transpose(0, 1) for t in a]
    b_c = [t.unflatten(0, (chunks, chunk_size)).transpose(0, 1) for t in b]
    h_loc, prod = [_take(b_c, slice(0, 1))], [_take(a_c, slice(0, 1))]
    for t in range(1, chunk_size):
        a_t = _take(a_c, slice(t, t + 1))
        h_loc.append(_add(_apply(a_t, h_loc[-1], k), _take(b_c, slice(t, t + 1))))
        prod.append(_compose(a_t, prod[-1], k))
    # each chunk's solution from a zero start, and the running products A_t ... A_start
    local = [torch.cat(p) for p in zip(*h_loc, strict=True)]
    cum = [torch.cat(p) for p in zip(*prod, strict=True)]
    # The carry into chunk c is the true h at the end of chunk c-1: a scan over chunk ends.
    ends = _parallel([t[-1] for t in cum], [t[-1] for t in local], k)
    carry = [torch.cat([torch.zeros_like(t[:1]), t[:-1]]).unsqueeze(0) for t in ends]
    h = _add(local, _apply(cum, carry, k))
    return [t.transpose(0, 1).flatten(0, 1)[:length] for t in h]


def _check_shapes(a: Tensor, b: Tensor, structure: str) -> None:
    if b.dim() < 2:
        raise ConfigError(f"b must be (..., L, D); got shape {tuple(b.shape)}")
    if structure == "diag":
        if a.shape != b.shape:
            raise ConfigError(
                f"a must have the shape of b for structure='diag' ({tuple(b.shape)}); "
                f"got {tuple(a.shape)}"
            )
    elif structure == "block":
        if a.dim() != b.dim() + 2 or a.shape[-1] != a.shape[-2]:
            raise ConfigError(
                f"a must be (..., L, N, k, k) for structure='block'; got {tuple(a.shape)}"
            )
        if a.shape[:-3] != b.shape[:-1] or a.shape[-3] * a.shape[-1] != b.shape[-1]:
            raise ConfigError(
                f"a (..., L, N, k, k) = {tuple(a.shape)} does not match b (..., L, N*k) = "
                f"{tuple(b.shape)}"
            )
    elif a.shape != (*b.shape, b.shape[-1]):
        raise ConfigError(
            f"a must be (..., L, D, D) = {(*b.shape, b.shape[-1])} for structure='dense'; "
            f"got {tuple(a.shape)}"
        )


def linear_scan(
    a: Tensor,
    b: Tensor,
    *,
    structure: Structure = "diag",
    method: ScanMethod = "parallel",
    chunk_size: int | None = None,
) -> Tensor:
    """Solve h_t = A_t h_{t-1} + b_t for t = 0..L-1 with h_{-1} = 0 (so h_0 = b_0).

    Args:
        a: the transitions A_t: ``(..., L, D)`` for ``"diag"``, ``(..., L, N, k, k)`` for
            ``"block"`` (``D = N k``), ``(..., L, D, D)`` for ``"dense"``. ``A_0`` is unused.
        b: the inputs b_t, ``(..., L, D)``.
        structure: ``"diag"``, ``"block"`` or ``"dense"``.
        method: ``"sequential"``, ``"parallel"`` (log-depth odd-even scan) or ``"chunked"``.
        chunk_size: chunk length for ``"chunked"`` (default ``ceil(sqrt(L))``).

    Returns:
        h: ``(..., L, D)``.
    """
    if structure not in STRUCTURES:
        raise UnknownNameError("structure", str(structure), STRUCTURES)
    if method not in SCAN_METHODS:
        raise UnknownNameError("scan method", str(method), SCAN_METHODS)
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, Tensor) or not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor; got {describe(t)}")
    if a.dtype != b.dtype:
        raise TypeError(f"a and b must have one dtype; got {a.dtype} and {b.dtype}")
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise ConfigError(f"chunk_size must be an int >= 1 or None; got {chunk_size!r}")
    _check_shapes(a, b, structure)
    length = b.shape[-2]
    if length == 0:  # nothing to scan (the parallel recursion needs at least one step)
        return torch.zeros_like(b)
    if structure == "diag":
        k = 1
        a_p, b_p = [a.movedim(-2, 0)], [b.movedim(-2, 0)]
    else:
        if structure == "dense":
            a = a.unsqueeze(-3)  # one block of size D
        size = a.shape[-1]
        a_t = a.movedim(-4, 0)  # (L, ..., N, k, k)
        b_t = b.unflatten(-1, (-1, size)).movedim(-3, 0)  # (L, ..., N, k)
        if size <= 4:
            k = size
            a_p = [a_t[..., i, j].contiguous() for i in range(k) for j in range(k)]
            b_p = [b_t[..., i].contiguous() for i in range(k)]
        else:
            k = 0
            a_p, b_p = [a_t], [b_t]
    if method == "sequential" or length == 1:
        h = _sequential(a_p, b_p, k)
    elif method == "parallel":
        h = _parallel(a_p, b_p, k)
    else:
        chunk = chunk_size if chunk_size is not None else max(1, math.isqrt(length - 1) + 1)
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise ConfigError(f"chunk_size must be an int >= 1 or None; got {chunk_size!r}")
        h = _chunked(a_p, b_p, k, min(chunk, length))
    if structure == "diag":
        return h[0].movedim(0, -2)
    out = h[0] if k == 0 else torch.stack(h, dim=-1)  # (L, ..., N, k)
    return out.movedim(0, -3).flatten(-2)


def transpose_jacobian(a: Tensor, structure: Structure) -> Tensor:
    """Aᵀ in the same layout (diagonal transitions are their own transpose)."""
    return a if structure == "diag" else a.transpose(-1, -2)
