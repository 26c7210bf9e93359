"""Batched candidate evaluation shared by the gradient-free optimizers (PolyStep, ES, SPSA).

A gradient-free step scores many candidate parameter values. Two ways to do that fit the
``torch.optim`` protocol:

* a **plain closure** ``closure() -> loss`` (any parameters, any code): the optimizer writes
  each candidate into the parameters in place, calls the closure under ``torch.no_grad()``,
  and restores the parameters afterwards; one closure call per candidate.
* a **batched closure**: any callable that also has a method
  ``evaluate_batch(params, values) -> losses (N,)``, where ``values[j]`` is an
  ``(N, *params[j].shape)`` stack of candidate values for ``params[j]``. :class:`ModelClosure`
  builds one for any ``nn.Module`` and loss with ``torch.func.functional_call`` + ``vmap``
  (chunked to bound memory), falling back to a Python loop over candidates for models that
  ``vmap`` cannot trace (data-dependent control flow, ``.item()``, in-place buffers).

Both kinds are still ordinary closures (calling them returns the loss at the current
parameters), so one object drives PolyStep, the ES baselines and any torch optimizer alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor, nn
from torch.func import functional_call, vmap

from nnatlas.core.validation import check_int
from nnatlas.optim._checks import check_bool, check_loss, check_losses

__all__ = ["BatchedClosure", "ModelClosure", "evaluate_candidates", "flat_to_values"]

logger = logging.getLogger(__name__)


@runtime_checkable
class BatchedClosure(Protocol):
    """A closure that can also score a stack of candidate parameter values in one call."""

    def __call__(self) -> Any: ...

    def evaluate_batch(self, params: Sequence[Tensor], values: Sequence[Tensor]) -> Tensor:
        """Losses ``(N,)`` of the candidates ``values[j]: (N, *params[j].shape)``."""
        ...


def flat_to_values(flat: Tensor, params: Sequence[Tensor]) -> list[Tensor]:
    """Split ``(N, D)`` flat candidates into per-parameter stacks ``(N, *p.shape)``."""
    sizes = [p.numel() for p in params]
    if flat.ndim != 2 or flat.shape[1] != sum(sizes):
        raise ValueError(
            f"flat candidates must have shape (N, {sum(sizes)}); got {tuple(flat.shape)}"
        )
    return [
        chunk.reshape(flat.shape[0], *p.shape)
        for chunk, p in zip(flat.split(sizes, dim=1), params, strict=True)
    ]


def _check_values(params: Sequence[Tensor], values: Sequence[Tensor]) -> None:
    if len(params) == 0 or len(params) != len(values):
        raise ValueError(
            f"params and values must be non-empty and of the same length; got {len(params)} "
            f"params and {len(values)} values"
        )
    for j, (p, v) in enumerate(zip(params, values, strict=True)):
        if not isinstance(p, Tensor) or not isinstance(v, Tensor):
            raise TypeError(f"params[{j}] and values[{j}] must be tensors")
        if v.shape[1:] != p.shape or v.shape[0] != values[0].shape[0] or v.ndim == 0:
            raise ValueError(
                f"values[{j}] must have shape (N, *params[{j}].shape) = (N, "
                f"{', '.join(map(str, p.shape))}) with one N for all; got {tuple(v.shape)}"
            )


@torch.no_grad()
def evaluate_candidates(
    closure: Callable[[], Any], params: Sequence[Tensor], values: Sequence[Tensor]
) -> Tensor:
    """Losses ``(N,)`` (float64, on CPU) of N candidate values of ``params``.

    Uses ``closure.evaluate_batch`` when the closure has one; otherwise writes each candidate
    into the parameters, calls the closure, and restores the original values (even on error).

    Args:
        closure: a plain closure ``() -> scalar loss`` or a :class:`BatchedClosure`.
        params: the tensors being varied.
        values: ``values[j]: (N, *params[j].shape)`` candidate values of ``params[j]``.

    Raises:
        TypeError: ``closure`` is not callable, or returns something that is not a number.
        ValueError: ``params`` and ``values`` do not match; or the closure returned a
            non-scalar, NaN or infinite loss (a gradient-free step cannot rank those).
    """
    if not callable(closure):
        raise TypeError(f"closure must be callable; got {type(closure).__name__}")
    _check_values(params, values)
    n = values[0].shape[0]
    if isinstance(closure, BatchedClosure):
        losses = closure.evaluate_batch(params, values)
        if not isinstance(losses, Tensor) or losses.shape != (n,):
            got = tuple(losses.shape) if isinstance(losses, Tensor) else type(losses).__name__
            raise ValueError(
                f"closure.evaluate_batch must return losses of shape ({n},); got {got}"
            )
        return check_losses(losses.detach().to("cpu", torch.float64))
    saved = [p.detach().clone() for p in params]
    out = torch.empty(n, dtype=torch.float64)
    try:
        for i in range(n):
            for p, v in zip(params, values, strict=True):
                p.copy_(v[i])
            out[i] = check_loss(closure())
    finally:
        for p, s in zip(params, saved, strict=True):
            p.copy_(s)
    return out


class ModelClosure:
    """A batched closure for ``loss_fn(model(*inputs), *targets)``.

    Calling it returns the (detached) loss at the model's current parameters, so it also works
    as a plain closure for any optimizer. ``evaluate_batch`` scores a stack of candidate values
    for some or all of the model's parameters in one vectorised call (``vmap`` over
    ``functional_call``), ``chunk_size`` candidates at a time; parameters not being varied keep
    their current values.

    Args:
        model: the module.
        loss_fn: ``loss_fn(outputs, *targets) -> scalar``.
        inputs: positional inputs of ``model`` (a tuple) or a single tensor.
        targets: extra arguments of ``loss_fn`` after the outputs (a tuple) or a single tensor.
        chunk_size: at most this many candidates per vectorised call (``None``: all at once).
        use_vmap: ``False`` forces the per-candidate loop (for models ``vmap`` cannot trace);
            with ``True``, a ``vmap`` failure logs once and switches to the loop.

    Raises:
        TypeError: ``model`` is not an ``nn.Module``, ``loss_fn`` is not callable, ``inputs``
            or ``targets`` is neither a tensor nor a tuple, or ``use_vmap`` is not a bool.
        ConfigError: ``chunk_size`` is not a positive int.
    """

    def __init__(
        self,
        model: nn.Module,
        loss_fn: Callable[..., Tensor],
        inputs: Tensor | tuple[Any, ...],
        targets: Tensor | tuple[Any, ...] = (),
        *,
        chunk_size: int | None = None,
        use_vmap: bool = True,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
        if not callable(loss_fn):
            raise TypeError(f"loss_fn must be callable; got {type(loss_fn).__name__}")
        for name, value in (("inputs", inputs), ("targets", targets)):
            if not isinstance(value, Tensor | tuple):
                raise TypeError(
                    f"{name} must be a tensor or a tuple of arguments; got {type(value).__name__}"
                )
        if chunk_size is not None:
            check_int("chunk_size", chunk_size)
        check_bool("use_vmap", use_vmap)
        self.model = model
        self.loss_fn = loss_fn
        self.inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        self.targets = targets if isinstance(targets, tuple) else (targets,)
        self.chunk_size = chunk_size
        self.use_vmap = use_vmap
        self._names = {id(p): n for n, p in model.named_parameters()}

    def __call__(self) -> Tensor:
        with torch.no_grad():
            return self.loss_fn(self.model(*self.inputs), *self.targets).detach()

    def _names_of(self, params: Sequence[Tensor]) -> list[str]:
        try:
            return [self._names[id(p)] for p in params]
        except KeyError:
            raise ValueError(
                "ModelClosure.evaluate_batch: params must all be parameters of the closure's "
                "model (an optimised tensor is not one)"
            ) from None

    def _one(self, fixed: dict[str, Tensor], names: list[str], values: list[Tensor]) -> Tensor:
        state = dict(fixed)
        state.update(zip(names, values, strict=True))
        out = functional_call(self.model, state, self.inputs)
        return self.loss_fn(out, *self.targets)

    @torch.no_grad()
    def evaluate_batch(self, params: Sequence[Tensor], values: Sequence[Tensor]) -> Tensor:
        """Losses ``(N,)`` of ``N`` candidate values (``values[j]: (N, *params[j].shape)``)."""
        names = self._names_of(params)
        varied = set(names)
        fixed = {
            n: t
            for n, t in [*self.model.named_parameters(), *self.model.named_buffers()]
            if n not in varied
        }
        n = values[0].shape[0]
        step = n if self.chunk_size is None else self.chunk_size
        if self.use_vmap:
            try:
                fn = vmap(lambda *vs: self._one(fixed, names, list(vs)))
                return torch.cat(
                    [fn(*(v[i : i + step] for v in values)) for i in range(0, n, step)]
                )
            except Exception as exc:  # vmap cannot trace every model: fall back, once
                logger.info(
                    "vmap failed (%s: %s); evaluating candidates one by one",
                    type(exc).__name__,
                    exc,
                )
                self.use_vmap = False
        return torch.stack([self._one(fixed, names, [v[i] for v in values]) for i in range(n)])
