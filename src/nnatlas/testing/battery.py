"""Conformance checks for ``nn.Module`` s and ``torch.optim.Optimizer`` s, in the spirit of
``torch.testing``: usable by anyone on their own components, and run by nnatlas's test suite on
every case registered in :mod:`nnatlas.testing.catalog`.

* :func:`check_module`: finite, deterministic eval-mode outputs that keep the requested dtype;
  inputs left untouched; backward reaches every trainable parameter with a finite gradient of
  the right dtype; ``train()``/``eval()`` reach every submodule; ``state_dict`` round trip.
* :func:`check_optimizer`: convergence through ``step(closure)`` on an ill-conditioned convex
  quadratic (two param groups) and on the 2-D Rosenbrock function; deterministic under a
  seed; a ``state_dict`` saved with ``torch.save`` and loaded with
  ``torch.load(weights_only=True)`` (the default since torch 2.6) into a fresh optimizer
  continues the exact same trajectory.

Every failure raises ``AssertionError`` whose message names the case, the dtype where
relevant, and the failed check; exceptions raised by the component are wrapped the same way.
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import torch
from torch import nn
from torch.optim.optimizer import ParamsT

from nnatlas.testing.catalog import ModuleCase, OptimizerCase

__all__ = ["check_module", "check_module_case", "check_optimizer", "check_optimizer_case"]

ModuleFactory = Callable[[torch.dtype], nn.Module]
InputsFactory = Callable[[torch.dtype], tuple[torch.Tensor, ...]]
OptimizerFactory = Callable[[ParamsT], torch.optim.Optimizer]


class _CheckFailure(AssertionError):
    """A failed check whose message is already complete (not wrapped again)."""


class _Checker:
    """Formats failures as ``<case> [<dtype>]: check '<check>' failed: <detail>``."""

    def __init__(self, case: str, dtype: torch.dtype | None = None) -> None:
        self.where = repr(case) + (f" [{dtype}]" if dtype is not None else "")

    def fail(self, check: str, detail: str) -> NoReturn:
        raise _CheckFailure(f"{self.where}: check '{check}' failed: {detail}")

    @contextmanager
    def running(self, check: str) -> Iterator[None]:
        """Turn any exception the component raises during ``check`` into a failure of it."""
        try:
            yield
        except _CheckFailure:
            raise
        except Exception as exc:
            raise _CheckFailure(
                f"{self.where}: check '{check}' failed: raised {type(exc).__name__}: {exc}"
            ) from exc


def _leaves(obj: object) -> list[torch.Tensor]:
    """Tensors inside an output: a tensor, or nested tuples, lists, dicts and dataclasses."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, Mapping):
        return [t for value in obj.values() for t in _leaves(value)]
    if isinstance(obj, list | tuple):
        return [t for value in obj for t in _leaves(value)]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [t for f in dataclasses.fields(obj) for t in _leaves(getattr(obj, f.name))]
    return []


def _is_float(t: torch.Tensor) -> bool:
    return t.is_floating_point() or t.is_complex()


def _real_dtype(t: torch.Tensor) -> torch.dtype:
    return t.real.dtype if t.is_complex() else t.dtype


def _as_real(t: torch.Tensor) -> torch.Tensor:
    return torch.view_as_real(t) if t.is_complex() else t


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Run with the global CPU RNG seeded, restoring its previous state afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


# --------------------------------------------------------------------------- modules


def check_module(
    module_factory: ModuleFactory,
    inputs_factory: InputsFactory,
    *,
    dtypes: Sequence[torch.dtype] = (torch.float32, torch.float64),
    frozen_ok: Sequence[str] = (),
    name: str = "module",
    seed: int = 0,
) -> None:
    """Check that a module behaves like a well-formed ``nn.Module``, in each dtype.

    For every dtype in ``dtypes``, on a module built under a fixed seed:

    1. ``dtype``: floating parameters and buffers have that dtype.
    2. ``eval forward``: in eval mode, two forward passes give finite, bit-identical outputs of
       that dtype (complex outputs: of the matching complex dtype), and leave the inputs
       unmodified.
    3. ``backward``: in train mode, the backward pass of a random projection of the outputs
       gives every parameter with ``requires_grad`` a finite gradient of its own dtype and
       shape; a parameter whose gradient stays ``None`` fails as unused unless its name is
       in ``frozen_ok``.
    4. ``train/eval``: ``train()`` and ``eval()`` set the mode of every submodule.
    5. ``state_dict round trip``: a second instance built under another seed, loaded with
       ``load_state_dict(strict=True)``, gives identical eval outputs.

    Output shapes must also agree across dtypes. The global RNG state is restored afterwards.

    Args:
        module_factory: ``dtype -> module``, building a fresh module in that dtype.
        inputs_factory: ``dtype -> tuple of tensors`` passed as ``module(*inputs)``.
        dtypes: dtypes to check.
        frozen_ok: names (as in ``named_parameters()``) allowed to receive no gradient.
        name: name of the case, used in failure messages.
        seed: seed under which the module is built and run.

    Raises:
        AssertionError: naming the case, dtype and failed check.
        ValueError: if ``frozen_ok`` names a parameter the module does not have.
    """
    shapes: dict[torch.dtype, list[tuple[int, ...]]] = {}
    for dtype in dtypes:
        shapes[dtype] = _check_module_in(
            module_factory, inputs_factory, dtype, tuple(frozen_ok), name, seed
        )
    if shapes:
        first, *rest = shapes
        for dtype in rest:
            if shapes[dtype] != shapes[first]:
                _Checker(name).fail(
                    "output shape",
                    f"output shapes differ between dtypes: {shapes[first]} for {first}, "
                    f"{shapes[dtype]} for {dtype}",
                )


def _check_module_in(
    module_factory: ModuleFactory,
    inputs_factory: InputsFactory,
    dtype: torch.dtype,
    frozen_ok: tuple[str, ...],
    name: str,
    seed: int,
) -> list[tuple[int, ...]]:
    checker = _Checker(name, dtype)
    with _seeded(seed):
        with checker.running("build"):
            module = module_factory(dtype)
            inputs = tuple(inputs_factory(dtype))
        if not isinstance(module, nn.Module):
            checker.fail("build", f"the factory returned {type(module).__name__}, not an nn.Module")
        unknown = sorted(set(frozen_ok) - {n for n, _ in module.named_parameters()})
        if unknown:
            raise ValueError(
                f"frozen_ok must name parameters of {name!r}; got unknown names {unknown}"
            )

        for kind, named in (
            ("parameter", module.named_parameters()),
            ("buffer", module.named_buffers()),
        ):
            for pname, tensor in named:
                if _is_float(tensor) and _real_dtype(tensor) != dtype:
                    checker.fail(
                        "dtype", f"{kind} {pname!r} has dtype {tensor.dtype}, expected {dtype}"
                    )

        with checker.running("eval forward"):
            originals = [t.clone() for t in _leaves(inputs)]
            module.eval()
            with torch.no_grad():
                first = _leaves(module(*inputs))
                second = _leaves(module(*inputs))
        _check_outputs(checker, first, second, dtype)
        for i, (before, after) in enumerate(zip(originals, _leaves(inputs), strict=True)):
            if not torch.equal(before, after):
                checker.fail("eval forward", f"input {i} was modified in place by forward")

        _check_backward(checker, module, inputs, frozen_ok)

        with checker.running("train/eval"):
            module.train()
            still_eval = [n or "<root>" for n, m in module.named_modules() if not m.training]
            module.eval()
            still_train = [n or "<root>" for n, m in module.named_modules() if m.training]
        if still_eval or still_train:
            checker.fail(
                "train/eval",
                f"submodules ignoring train(): {still_eval}; ignoring eval(): {still_train}",
            )

    _check_state_dict(checker, module, module_factory, inputs, dtype, seed)
    return [tuple(t.shape) for t in first]


def _check_outputs(
    checker: _Checker, first: list[torch.Tensor], second: list[torch.Tensor], dtype: torch.dtype
) -> None:
    if not first:
        checker.fail("eval forward", "forward returned no tensor")
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        if _is_float(a) and _real_dtype(a) != dtype:
            checker.fail("eval forward", f"output {i} has dtype {a.dtype}, expected {dtype}")
        if _is_float(a) and not bool(torch.isfinite(a).all()):
            bad = int((~torch.isfinite(a)).sum())
            checker.fail("eval forward", f"output {i} has {bad} non-finite entries")
        if a.shape != b.shape or not torch.equal(a, b):
            checker.fail(
                "eval forward",
                f"output {i} differs between two eval-mode calls on the same input "
                "(eval must be deterministic)",
            )


def _check_backward(
    checker: _Checker, module: nn.Module, inputs: tuple[Any, ...], frozen_ok: tuple[str, ...]
) -> None:
    trainable = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
    with checker.running("backward"):
        module.train()
        module.zero_grad(set_to_none=True)
        outputs = [t for t in _leaves(module(*inputs)) if _is_float(t) and t.requires_grad]
        if not outputs:
            if trainable:
                checker.fail(
                    "backward", "no output requires grad although the module has parameters"
                )
            return
        # A fixed random projection: plain sums can cancel (softmax rows, normalised features)
        # and hide a parameter's gradient.
        generator = torch.Generator().manual_seed(1)
        loss = torch.zeros((), dtype=torch.float64)
        for t in outputs:
            real = _as_real(t)
            weights = torch.randn(real.shape, generator=generator, dtype=real.dtype)
            loss = loss + (real * weights.to(real.device)).sum().double().cpu()
        loss.backward()
    for pname, p in trainable:
        if p.grad is None:
            if pname in frozen_ok:
                continue
            checker.fail(
                "unused parameter",
                f"parameter {pname!r} got no gradient: it does not influence the output "
                "(list it in frozen_ok if that is by design)",
            )
        if p.grad.dtype != p.dtype or p.grad.shape != p.shape:
            checker.fail(
                "gradient dtype",
                f"gradient of {pname!r} is {p.grad.dtype} {tuple(p.grad.shape)}, "
                f"parameter is {p.dtype} {tuple(p.shape)}",
            )
        if not bool(torch.isfinite(p.grad).all()):
            checker.fail("backward", f"gradient of {pname!r} has non-finite entries")


def _check_state_dict(
    checker: _Checker,
    module: nn.Module,
    module_factory: ModuleFactory,
    inputs: tuple[Any, ...],
    dtype: torch.dtype,
    seed: int,
) -> None:
    with checker.running("state_dict round trip"):
        with _seeded(seed + 1):
            fresh = module_factory(dtype)
        fresh.load_state_dict(module.state_dict(), strict=True)
        module.eval()
        fresh.eval()
        with torch.no_grad(), _seeded(seed + 2):
            expected = _leaves(module(*inputs))
        with torch.no_grad(), _seeded(seed + 2):
            got = _leaves(fresh(*inputs))
    for i, (a, b) in enumerate(zip(expected, got, strict=True)):
        if a.shape != b.shape or not torch.equal(a, b):
            checker.fail(
                "state_dict round trip",
                f"output {i} of a fresh instance loaded with the state_dict differs from the "
                "original's (is some state kept outside parameters and buffers?)",
            )


def check_module_case(case: ModuleCase) -> None:
    """Run :func:`check_module` on a catalogue entry."""
    check_module(
        case.build, case.inputs, dtypes=case.dtypes, frozen_ok=case.frozen_ok, name=case.name
    )


# ------------------------------------------------------------------------ optimizers


@dataclasses.dataclass(frozen=True)
class _Problem:
    """A test function of a few parameter tensors, with how to hand them to an optimizer."""

    name: str
    init: Callable[[torch.dtype], list[torch.Tensor]]
    loss: Callable[[list[torch.Tensor]], torch.Tensor]
    groups: Callable[[list[torch.Tensor]], ParamsT]


def _quadratic() -> _Problem:
    """``0.5 (x - x*)^T A (x - x*)`` in 10-D, eigenvalues of ``A`` from 0.1 to 10 (condition 100).

    ``x`` is split into a ``(5,)`` and a ``(1, 5)`` tensor passed as two param groups; the
    random rotation couples them, so ignoring either group leaves a large loss.
    """
    generator = torch.Generator().manual_seed(1234)
    q, _ = torch.linalg.qr(torch.randn(10, 10, generator=generator, dtype=torch.float64))
    eigenvalues = torch.logspace(-1, 1, 10, dtype=torch.float64)
    a = q @ torch.diag(eigenvalues) @ q.T
    a = (a + a.T) / 2
    target = torch.randn(10, generator=generator, dtype=torch.float64)

    def init(dtype: torch.dtype) -> list[torch.Tensor]:
        return [
            torch.zeros(5, dtype=dtype, requires_grad=True),
            torch.zeros(1, 5, dtype=dtype, requires_grad=True),
        ]

    def loss(params: list[torch.Tensor]) -> torch.Tensor:
        d = torch.cat([params[0], params[1].flatten()]) - target.to(params[0].dtype)
        return 0.5 * d @ (a.to(d.dtype) @ d)

    def groups(params: list[torch.Tensor]) -> ParamsT:
        return [{"params": [params[0]]}, {"params": [params[1]]}]

    return _Problem("quadratic", init, loss, groups)


def _rosenbrock() -> _Problem:
    """``(1 - x)^2 + 100 (y - x^2)^2`` from ``(-1.5, 2)``; minimum 0 at ``(1, 1)``."""

    def init(dtype: torch.dtype) -> list[torch.Tensor]:
        return [torch.tensor([-1.5, 2.0], dtype=dtype, requires_grad=True)]

    def loss(params: list[torch.Tensor]) -> torch.Tensor:
        x, y = params[0][0], params[0][1]
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    def groups(params: list[torch.Tensor]) -> ParamsT:
        return list(params)

    return _Problem("rosenbrock", init, loss, groups)


def _closure(
    optimizer: torch.optim.Optimizer, problem: _Problem, params: list[torch.Tensor]
) -> Callable[[], float]:
    def closure() -> Any:
        optimizer.zero_grad()
        loss = problem.loss(params)
        # Gradient-free optimizers may evaluate the closure under no_grad.
        if torch.is_grad_enabled():
            loss.backward()
        return loss

    return closure


def _steps(
    optimizer: torch.optim.Optimizer, problem: _Problem, params: list[torch.Tensor], n: int
) -> list[list[torch.Tensor]]:
    """Take ``n`` steps; return the parameters after each one."""
    closure = _closure(optimizer, problem, params)
    trajectory = []
    for _ in range(n):
        optimizer.step(closure)
        trajectory.append([p.detach().clone() for p in params])
    return trajectory


def _value(problem: _Problem, params: list[torch.Tensor]) -> float:
    with torch.no_grad():
        return float(problem.loss(params))


def check_optimizer(
    build: OptimizerFactory,
    *,
    steps: int = 2000,
    quadratic_tol: float = 1e-3,
    rosenbrock_tol: float = 1e-2,
    name: str = "optimizer",
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    roundtrip_steps: int = 5,
) -> None:
    """Check that an optimizer converges, is deterministic and checkpoints its state fully.

    1. ``quadratic``: after ``steps`` calls of ``step(closure)`` on a 10-D convex quadratic of
       condition number 100, given as two param groups, the loss (minimum 0) is at most
       ``quadratic_tol``.
    2. ``rosenbrock``: same on ``(1 - x)^2 + 100 (y - x^2)^2`` from ``(-1.5, 2)`` (one plain
       list of parameters), to ``rosenbrock_tol``.
    3. ``determinism``: two runs from the same seed follow bit-identical trajectories.
    4. ``state_dict round trip``: after ``roundtrip_steps`` steps, the state dict goes through
       ``torch.save`` / ``torch.load(weights_only=True)`` into a fresh optimizer
       on copied parameters; both then take ``roundtrip_steps`` more steps under the same seed
       and must match bit for bit.

    The closure zeroes gradients, computes the loss, calls ``backward()`` when gradients are
    enabled (gradient-free optimizers may call it under ``no_grad``) and returns the loss.
    Parameters must keep their dtype. The global RNG state is restored afterwards.

    Args:
        build: ``params -> optimizer``; ``params`` is a list of tensors or of param-group dicts.
        steps: number of ``step`` calls for each convergence check.
        quadratic_tol: loss to reach on the quadratic.
        rosenbrock_tol: loss to reach on Rosenbrock.
        name: name of the case, used in failure messages.
        seed: seed of the global RNG during each run (for stochastic optimizers).
        dtype: floating-point dtype of the parameters.
        roundtrip_steps: steps before and after the state-dict round trip.

    Raises:
        AssertionError: naming the case and the failed check.
        ValueError: if ``steps`` or ``roundtrip_steps`` is below 1.
    """
    for arg, value in (("steps", steps), ("roundtrip_steps", roundtrip_steps)):
        if value < 1:
            raise ValueError(f"{arg} must be an integer >= 1; got {value!r}")
    checker = _Checker(name)
    quadratic = _quadratic()
    for problem, tol in ((quadratic, quadratic_tol), (_rosenbrock(), rosenbrock_tol)):
        with checker.running(problem.name), _seeded(seed):
            params = problem.init(dtype)
            start = _value(problem, params)
            _steps(build(problem.groups(params)), problem, params, steps)
            final = _value(problem, params)
        for i, p in enumerate(params):
            if p.dtype != dtype:
                checker.fail(problem.name, f"parameter {i} changed dtype to {p.dtype}")
        if not (math.isfinite(final) and final <= tol):
            checker.fail(
                problem.name,
                f"loss {final:.4g} after {steps} steps (from {start:.4g}); needs <= {tol:g}",
            )

    short = min(steps, 2 * roundtrip_steps)
    runs = []
    with checker.running("determinism"):
        for _ in range(2):
            with _seeded(seed):
                params = quadratic.init(dtype)
                runs.append(_steps(build(quadratic.groups(params)), quadratic, params, short))
    for k, (a, b) in enumerate(zip(*runs, strict=True)):
        if not all(torch.equal(x, y) for x, y in zip(a, b, strict=True)):
            checker.fail("determinism", f"two runs from seed {seed} differ after step {k + 1}")

    with checker.running("state_dict round trip"):
        with _seeded(seed):
            params = quadratic.init(dtype)
            optimizer = build(quadratic.groups(params))
            _steps(optimizer, quadratic, params, roundtrip_steps)
        buffer = io.BytesIO()
        torch.save(optimizer.state_dict(), buffer)
        buffer.seek(0)
        copies = [p.detach().clone().requires_grad_(p.requires_grad) for p in params]
        restored = build(quadratic.groups(copies))
        restored.load_state_dict(torch.load(buffer, weights_only=True))
        with _seeded(seed + 1):
            original_path = _steps(optimizer, quadratic, params, roundtrip_steps)
        with _seeded(seed + 1):
            restored_path = _steps(restored, quadratic, copies, roundtrip_steps)
    for k, (a, b) in enumerate(zip(original_path, restored_path, strict=True)):
        if not all(torch.equal(x, y) for x, y in zip(a, b, strict=True)):
            checker.fail(
                "state_dict round trip",
                f"a fresh optimizer loaded with the state_dict diverges from the original "
                f"{k + 1} step(s) after the round trip (is some state kept outside "
                "self.state / param_groups?)",
            )


def check_optimizer_case(case: OptimizerCase) -> None:
    """Run :func:`check_optimizer` on a catalogue entry."""
    check_optimizer(
        case.build,
        steps=case.steps,
        quadratic_tol=case.quadratic_tol,
        rosenbrock_tol=case.rosenbrock_tol,
        name=case.name,
    )
