"""Finite-width (empirical) NTK of any ``nn.Module`` and Monte Carlo NNGP / NTK estimates.

The empirical NTK of a network ``f(theta, x)`` with ``O`` outputs is
``Theta(x, x')_{ab} = sum_p d f_a(x) / d theta_p * d f_b(x') / d theta_p`` (Jacot, Gabriel, Hongler,
arXiv 1806.07572). Two implementations, as in the PyTorch ``torch.func`` NTK tutorial and in
"Fast Finite Width Neural Tangent Kernel" (Novak, Sohl-Dickstein, Schoenholz, ICML 2022,
arXiv 2206.08720):

* ``"jacobian"`` (Jacobian contraction): per-example Jacobians by ``vmap(jacrev)``, contracted
  parameter tensor by parameter tensor. Memory ``O((n1 + n2) O P)``.
* ``"ntk_vector_products"``: ``Theta e_i = J(x2) J(x1)^T e_i`` by one ``vjp`` and one ``jvp`` per
  basis vector of the ``x1`` outputs, vectorized with ``vmap``. Never materializes ``J(x2)``;
  faster when ``O P`` is large compared with the batch. With ``x2=None`` the stacked ``vjp``
  results are ``J(x1)`` itself, so the kernel is taken as their Gram matrix and the ``jvp``
  half is skipped (same sums regrouped: equal to rounding, several times faster).

The model must treat examples independently (no batch statistics: call ``model.eval()`` for
batch norm); both implementations then agree to rounding. Monte Carlo kernels average the
output covariance (NNGP) or the empirical NTK over an ensemble of freshly initialized networks.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Literal

import torch
from torch import Tensor, nn
from torch.func import functional_call, jacrev, jvp, vjp, vmap

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.kernels.analytic import Kernels
from nnatlas.kernels.validation import check_tensor

__all__ = ["empirical_ntk", "monte_carlo_kernels"]

Mode = Literal["full", "trace", "diagonal"]
Implementation = Literal["jacobian", "ntk_vector_products"]


def _check_batch(name: str, x: Tensor) -> Tensor:
    return check_tensor(name, x, min_ndim=1, nonempty=True)


def _split_params(
    model: nn.Module, params: dict[str, Tensor] | None
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Return ``(trainable, frozen)`` tensors (detached) for ``functional_call``."""
    named = dict(model.named_parameters())
    if params is None:
        trainable = {k: v.detach() for k, v in named.items() if v.requires_grad}
    else:
        unknown = sorted(set(params) - set(named))
        if unknown:
            raise ValueError(
                f"params names {unknown} are not parameters of the model; "
                f"valid names: {sorted(named)}"
            )
        trainable = {k: v.detach() for k, v in params.items()}
    if not trainable:
        raise ValueError("the model has no trainable parameters to take an NTK over")
    frozen = {k: v.detach() for k, v in named.items() if k not in trainable}
    frozen.update({k: v.detach() for k, v in model.named_buffers()})
    return trainable, frozen


def _as_matrix_output(out: Tensor) -> Tensor:
    """Outputs as ``(n, O)``: scalars per example become ``O = 1``, extra axes are flattened."""
    return out.reshape(out.shape[0], -1)


@contextlib.contextmanager
def _quiet_forward_ad() -> Iterator[None]:
    """Silence torch's own deprecation warning on its first forward-mode AD call.

    torch loads TorchScript decompositions lazily the first time ``jvp`` runs, and that load
    warns that ``torch.jit.script`` is deprecated: an internal detail, not the caller's concern.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*torch.jit.script.*", category=DeprecationWarning
        )
        yield


def _reduce(full: Tensor, mode: Mode) -> Tensor:
    """``(n1, n2, O, O)`` -> the requested mode."""
    if mode == "full":
        return full
    diag = full.diagonal(dim1=2, dim2=3)
    return diag.sum(-1) if mode == "trace" else diag


def _jacobian_ntk(
    model: nn.Module,
    trainable: dict[str, Tensor],
    frozen: dict[str, Tensor],
    x1: Tensor,
    x2: Tensor | None,
    mode: Mode,
) -> Tensor:
    def f_single(p: dict[str, Tensor], x: Tensor) -> Tensor:
        out = functional_call(model, (p, frozen), (x.unsqueeze(0),))
        return out.reshape(-1)

    jac_fn = vmap(jacrev(f_single), in_dims=(None, 0))
    j1 = jac_fn(trainable, x1)
    j2 = j1 if x2 is None else jac_fn(trainable, x2)
    total: Tensor | None = None
    for name in trainable:
        a = j1[name].flatten(2)  # (n1, O, P_k)
        b = j2[name].flatten(2)
        if mode == "full":
            term = torch.einsum("naf,mbf->nmab", a, b)
        elif mode == "diagonal":
            term = torch.einsum("naf,maf->nma", a, b)
        else:
            term = torch.einsum("naf,maf->nm", a, b)
        total = term if total is None else total + term
    assert total is not None
    return total


def _nvp_ntk(
    model: nn.Module,
    trainable: dict[str, Tensor],
    frozen: dict[str, Tensor],
    x1: Tensor,
    x2: Tensor | None,
    mode: Mode,
) -> Tensor:
    def f_batch(x: Tensor) -> Callable[[dict[str, Tensor]], Tensor]:
        return lambda p: _as_matrix_output(functional_call(model, (p, frozen), (x,)))

    f1 = f_batch(x1)
    f2 = f1 if x2 is None else f_batch(x2)
    out1, vjp_fn = vjp(f1, trainable)[:2]  # (outputs, pullback); no auxiliary output
    n1, n_out = out1.shape

    def column(cotangent: Tensor) -> Tensor:
        (tangent,) = vjp_fn(cotangent)  # J(x1)^T e_i, shaped like the parameters
        return jvp(f2, (trainable,), (tangent,))[1]  # J(x2) J(x1)^T e_i: (n2, O)

    basis = torch.eye(n1 * n_out, dtype=out1.dtype, device=out1.device).view(-1, n1, n_out)
    if x2 is None:
        # The vmapped pullbacks J(x1)^T e_i, stacked, are J(x1) itself (already in memory);
        # with x2 = x1 the kernel J J^T is their Gram matrix, so the jvps (the costly half:
        # n1 O forward-mode passes over the batch) are skipped. Same sums, regrouped.
        (tangents,) = vmap(vjp_fn)(basis)  # name -> (n1 * O, *param shape)
        gram: Tensor | None = None
        for t in tangents.values():
            flat = t.reshape(t.shape[0], -1)
            term = flat @ flat.T
            gram = term if gram is None else gram + term
        assert gram is not None
        full = gram.view(n1, n_out, n1, n_out).permute(0, 2, 1, 3)
        return _reduce(full, mode)
    with _quiet_forward_ad():
        cols = vmap(column)(basis)  # (n1 * O, n2, O)
    full = cols.view(n1, n_out, cols.shape[1], n_out).permute(0, 2, 1, 3)
    return _reduce(full, mode)


def empirical_ntk(
    model: nn.Module,
    x1: Tensor,
    x2: Tensor | None = None,
    *,
    mode: Mode = "full",
    implementation: Implementation = "jacobian",
    params: dict[str, Tensor] | None = None,
    block_size: int | None = None,
) -> Tensor:
    """Empirical (finite-width) neural tangent kernel of ``model`` at its current parameters.

    Args:
        model: any module mapping a batch ``(n, ...)`` to outputs ``(n, ...)`` (flattened to
            ``O`` outputs per example), treating examples independently.
        x1: ``(n1, ...)`` inputs.
        x2: ``(n2, ...)`` inputs; ``None`` means ``x1``.
        mode: ``"full"`` -> ``(n1, n2, O, O)``; ``"trace"`` -> ``(n1, n2)``, the sum over
            outputs of the diagonal blocks; ``"diagonal"`` -> ``(n1, n2, O)``.
        implementation: ``"jacobian"`` (Jacobian contraction) or ``"ntk_vector_products"``.
        params: a subset of the named parameters to differentiate (name -> tensor, e.g.
            ``{"2.weight": model[2].weight}``); ``None`` takes every parameter with
            ``requires_grad``. The others are held fixed.
        block_size: compute in blocks of this many rows of ``x1`` (bounds memory).

    Returns:
        The kernel in the model's dtype, detached from autograd.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
    if mode not in ("full", "trace", "diagonal"):
        raise ConfigError(f"mode must be 'full', 'trace' or 'diagonal'; got {mode!r}")
    if implementation not in ("jacobian", "ntk_vector_products"):
        raise ConfigError(
            f"implementation must be 'jacobian' or 'ntk_vector_products'; got {implementation!r}"
        )
    x1 = _check_batch("x1", x1)
    if x2 is not None:
        x2 = _check_batch("x2", x2)
        if x2.shape[1:] != x1.shape[1:]:
            raise ValueError(
                f"x1 and x2 must have the same example shape; got {tuple(x1.shape[1:])} and "
                f"{tuple(x2.shape[1:])}"
            )
    trainable, frozen = _split_params(model, params)
    compute = _jacobian_ntk if implementation == "jacobian" else _nvp_ntk
    if block_size is None:
        with torch.no_grad():
            return compute(model, trainable, frozen, x1, x2, mode)
    check_int("block_size", block_size)
    target = x1 if x2 is None else x2
    blocks = []
    with torch.no_grad():
        for start in range(0, x1.shape[0], block_size):
            blocks.append(
                compute(model, trainable, frozen, x1[start : start + block_size], target, mode)
            )
    return torch.cat(blocks)


def monte_carlo_kernels(
    factory: Callable[[torch.Generator], nn.Module],
    x1: Tensor,
    x2: Tensor | None = None,
    *,
    num_networks: int = 16,
    seed: int = 0,
    get: Literal["both", "nngp"] = "nngp",
    implementation: Implementation = "jacobian",
) -> Kernels:
    """Monte Carlo NNGP (and NTK) from an ensemble of freshly initialized networks.

    The NNGP estimate averages ``f(x1) f(x2)^T`` over networks and output units; the NTK
    estimate averages the trace-mode empirical NTK divided by the number of outputs. For wide
    networks these converge to the analytic kernels (e.g. ``factory = lambda g:
    net.module(1024, d, 32, generator=g, dtype=torch.float64)`` for a :class:`KernelNetwork`).

    Args:
        factory: ``generator -> module``, building a network initialized from ``generator``.
        x1: ``(n1, ...)`` inputs.
        x2: ``(n2, ...)`` inputs; ``None`` means ``x1``.
        num_networks: ensemble size.
        seed: seed of the generator handed to ``factory`` (same seed, same estimate).
        get: ``"nngp"`` or ``"both"``.
        implementation: empirical NTK implementation (see :func:`empirical_ntk`).

    Returns:
        :class:`Kernels` with ``(n1, n2)`` estimates (``ntk`` is ``None`` for ``get="nngp"``).
    """
    if not callable(factory):
        raise TypeError(f"factory must be a callable generator -> nn.Module; got {factory!r}")
    check_int("num_networks", num_networks)
    if get not in ("both", "nngp"):
        raise ConfigError(f"get must be 'both' or 'nngp'; got {get!r}")
    if implementation not in ("jacobian", "ntk_vector_products"):
        raise ConfigError(
            f"implementation must be 'jacobian' or 'ntk_vector_products'; got {implementation!r}"
        )
    x1 = _check_batch("x1", x1)
    if x2 is not None:
        x2 = _check_batch("x2", x2)
    generator = torch.Generator().manual_seed(seed)
    nngp: Tensor | None = None
    ntk: Tensor | None = None
    for _ in range(num_networks):
        model = factory(generator)
        with torch.no_grad():
            f1 = _as_matrix_output(model(x1))
            f2 = f1 if x2 is None else _as_matrix_output(model(x2))
        term = f1 @ f2.T / f1.shape[1]
        nngp = term if nngp is None else nngp + term
        if get == "both":
            t = empirical_ntk(model, x1, x2, mode="trace", implementation=implementation)
            t = t / f1.shape[1]
            ntk = t if ntk is None else ntk + t
    assert nngp is not None
    return Kernels(nngp / num_networks, None if ntk is None else ntk / num_networks)
