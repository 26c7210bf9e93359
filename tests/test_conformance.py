"""Conformance batteries over every registered module and optimizer case.

The batteries themselves are tested too: they must pass on stock torch optimizers (the
reference cases below, kept out of the library's catalogue) and must fail, naming the right
check, on deliberately broken optimizers and modules.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nnatlas.testing import (
    catalog,
    check_module,
    check_module_case,
    check_optimizer,
    check_optimizer_case,
)
from nnatlas.testing.catalog import OptimizerCase

catalog.load_all()

REFERENCE_OPTIMIZERS = [
    OptimizerCase(
        "torch.optim.SGD(momentum=0.9)",
        build=lambda params: torch.optim.SGD(params, lr=2e-3, momentum=0.9),
        steps=1500,
    ),
    OptimizerCase(
        "torch.optim.Adam",
        build=lambda params: torch.optim.Adam(params, lr=3e-2),
        steps=1500,
    ),
]


@pytest.mark.parametrize("case", catalog.module_cases(), ids=lambda case: case.name)
def test_module_conformance(case: catalog.ModuleCase) -> None:
    check_module_case(case)


@pytest.mark.parametrize(
    "case", [*REFERENCE_OPTIMIZERS, *catalog.optimizer_cases()], ids=lambda case: case.name
)
def test_optimizer_conformance(case: OptimizerCase) -> None:
    check_optimizer_case(case)


def test_catalogue_holds_the_reference_models() -> None:
    names = {case.name for case in catalog.module_cases()}
    assert {"MLP", "LeNet-8x8-batchnorm", "LeNet-28x28"} <= names
    assert "nnatlas.testing.cases.nn" in catalog.load_all()


# ------------------------------------------------------------- broken optimizers


class GradientBlindSGD(torch.optim.Optimizer):
    """Moves every parameter by a fixed amount, whatever the gradient says."""

    def __init__(self, params, lr: float = 1e-2) -> None:
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                p.sub_(group["lr"])
        return loss


class ForgetfulMomentum(torch.optim.Optimizer):
    """Heavy ball whose momentum lives in a private dict, so state_dict() loses it."""

    def __init__(self, params, lr: float = 2e-3, momentum: float = 0.9) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum})
        self._velocity: dict[int, torch.Tensor] = {}

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                v = self._velocity.setdefault(id(p), torch.zeros_like(p))
                v.mul_(group["momentum"]).add_(p.grad)
                p.sub_(group["lr"] * v)
        return loss


class UnseededNoiseSGD(torch.optim.Optimizer):
    """SGD plus tiny noise from a generator that nobody seeds: converges, not reproducible."""

    def __init__(self, params, lr: float = 1e-3) -> None:
        super().__init__(params, {"lr": lr})
        self._generator = torch.Generator()
        self._generator.seed()

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                noise = torch.randn(p.shape, generator=self._generator, dtype=p.dtype)
                p.sub_(group["lr"] * p.grad + 1e-7 * noise)
        return loss


def test_battery_catches_an_optimizer_that_ignores_gradients() -> None:
    with pytest.raises(AssertionError, match=r"'gradient-blind': check 'quadratic' failed"):
        check_optimizer(GradientBlindSGD, steps=50, name="gradient-blind")


def test_battery_catches_state_kept_outside_state_dict() -> None:
    with pytest.raises(AssertionError, match=r"check 'state_dict round trip' failed.*diverges"):
        check_optimizer(ForgetfulMomentum, steps=1500, name="forgetful")


def test_battery_catches_a_nondeterministic_optimizer() -> None:
    # Convergence is not the point here: infinite tolerances skip straight to determinism.
    inf = float("inf")
    with pytest.raises(AssertionError, match=r"'noisy': check 'determinism' failed"):
        check_optimizer(
            UnseededNoiseSGD, steps=10, quadratic_tol=inf, rosenbrock_tol=inf, name="noisy"
        )


def test_battery_wraps_optimizer_exceptions() -> None:
    def build(params):
        raise TypeError("boom")

    with pytest.raises(
        AssertionError, match=r"'broken': check 'quadratic' failed: raised TypeError"
    ):
        check_optimizer(build, steps=5, name="broken")


# ---------------------------------------------------------------- broken modules


class WithUnusedParameter(nn.Module):
    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3, dtype=dtype)
        self.unused = nn.Parameter(torch.zeros(3, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


class IgnoresDtype(nn.Module):
    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3)  # always float32

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.float())


class DropoutInEval(nn.Module):
    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.dropout(self.linear(x), p=0.5, training=True)


class HiddenState(nn.Module):
    """Keeps a random projection as a plain attribute: not in state_dict."""

    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3, dtype=dtype)
        self.projection = torch.randn(3, 3, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) @ self.projection


class InPlaceInput(nn.Module):
    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.relu_())


def _inputs(dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
    return (torch.randn(5, 4, generator=torch.Generator().manual_seed(0), dtype=dtype),)


@pytest.mark.parametrize(
    ("module_cls", "check"),
    [
        (WithUnusedParameter, "unused parameter"),
        (IgnoresDtype, "dtype"),
        (DropoutInEval, "eval forward"),
        (HiddenState, "state_dict round trip"),
        (InPlaceInput, "eval forward"),
    ],
)
def test_battery_catches_broken_modules(module_cls: type[nn.Module], check: str) -> None:
    with pytest.raises(
        AssertionError,
        match=rf"'{module_cls.__name__}' \[torch.float\d+\]: "
        rf"check '{check}' failed",
    ):
        check_module(module_cls, _inputs, name=module_cls.__name__)


def test_unused_parameter_message_names_it_and_frozen_ok_allows_it() -> None:
    with pytest.raises(AssertionError, match=r"parameter 'unused' got no gradient"):
        check_module(WithUnusedParameter, _inputs, name="unused")
    check_module(WithUnusedParameter, _inputs, frozen_ok=("unused",), name="unused")


def test_frozen_ok_must_name_real_parameters() -> None:
    with pytest.raises(ValueError, match=r"frozen_ok .*'nope'"):
        check_module(WithUnusedParameter, _inputs, frozen_ok=("nope",))


def test_battery_leaves_the_global_rng_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check_module(lambda dtype: nn.Linear(4, 3, dtype=dtype), _inputs, dtypes=(torch.float32,))
    assert torch.equal(torch.rand(3), expected)
