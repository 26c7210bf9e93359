"""The gated ReLU (sampled convex program) route: FISTA reaches the solver optimum."""

from __future__ import annotations

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.data import spirals
from nnatlas.testing import check_module
from nnatlas.train.gated_relu import (
    GatedReLU,
    gated_relu_cvxpy,
    gated_relu_fista,
    gated_relu_objective,
    sample_gates,
)

pytest.importorskip("cvxpy")


@pytest.fixture(scope="module")
def problem():
    x, y = spirals(40, seed=1)
    x = x.double()
    gates = sample_gates(x, 200, generator=torch.Generator().manual_seed(0))
    return x, 2 * y.double() - 1, gates


def test_gates_have_distinct_nonempty_patterns(problem):
    x, _, gates = problem
    pats = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1) @ gates >= 0
    assert pats.any(dim=0).all()
    assert torch.unique(pats.T, dim=0).shape[0] == gates.shape[1]


# Clarabel flags the exponential-cone solve as "may be inaccurate" although it agrees with
# FISTA's KKT-certified optimum to ~1e-8; the KKT residual is the certificate checked here.
@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_fista_reaches_the_cvxpy_optimum(problem, loss):
    x, y, gates = problem
    sol = gated_relu_fista(x, y, beta=0.1, gates=gates, loss=loss, max_iter=4000, tol=1e-7)
    ref = gated_relu_cvxpy(x, y, gates, 0.1, loss=loss)
    assert abs(sol.objective - ref) <= 1e-4 * abs(ref)
    assert sol.kkt_residual < 1e-3
    assert sol.objective == pytest.approx(
        gated_relu_objective(x, y, sol.u, gates, 0.1, loss=loss), rel=1e-12
    )
    # Group sparsity: most sampled neurons are pruned at this β.
    assert 0 < sol.num_neurons < gates.shape[1]


def test_objective_decreases_monotonically(problem):
    x, y, gates = problem
    sol = gated_relu_fista(x, y, beta=0.1, gates=gates, max_iter=300, tol=0.0)
    hist = torch.tensor(sol.history)
    assert (hist.diff() <= 1e-12).all()


def test_module_reproduces_the_solution_and_labels_01_are_accepted(problem):
    x, y, gates = problem
    sol = gated_relu_fista(x, (y + 1) / 2, beta=0.1, gates=gates, loss="logistic", max_iter=500)
    module = sol.to_module()
    assert module.num_neurons == sol.num_neurons
    with torch.no_grad():
        torch.testing.assert_close(module(x), sol.predict(x), rtol=0, atol=1e-12)
    assert float(((sol.predict(x) > 0).double() * 2 - 1 == y).double().mean()) > 0.8


def test_bad_input_names_the_argument(problem):
    x, y, gates = problem
    with pytest.raises(ConfigError, match=r"x must be a non-empty \(n, d\) tensor; got \(40,\)"):
        gated_relu_fista(x[:, 0], y, beta=0.1)
    with pytest.raises(ConfigError, match="x must be a non-empty"):
        sample_gates(x[:0], 10)
    with pytest.raises(ConfigError, match="beta"):
        gated_relu_fista(x, y, beta=0.0, gates=gates)
    with pytest.raises(ConfigError, match="gates"):
        gated_relu_fista(x, y, beta=0.1, gates=gates[:2])
    with pytest.raises(ConfigError, match="labels"):
        gated_relu_fista(x, y * 3, beta=0.1, gates=gates, loss="logistic")
    with pytest.raises(ConfigError, match="loss"):
        gated_relu_fista(x, y, beta=0.1, gates=gates, loss="hinge")  # type: ignore[arg-type]


def test_gated_relu_module_conformance():
    check_module(
        lambda dtype: GatedReLU(5, 7, dtype=dtype), lambda dtype: (torch.randn(4, 5, dtype=dtype),)
    )


def test_fast_products_match_the_elementwise_formulas(problem):
    """The solver's objective and KKT residual (matrix-product forms, cached extrapolated
    predictions) against the elementwise definitions: the objective by
    ``gated_relu_objective`` (Σ_i D_i X u_i, column by column) and the gradient by autograd of
    it. float64, n = 40 and P ≈ 100 terms per sum: agreement to ~1e-15 relative; 1e-10 is a
    wide margin (a wrong pattern or a stale cached prediction changes them at O(1e-3) or more)."""
    x, y, gates = problem
    sol = gated_relu_fista(x, y, beta=0.1, gates=gates, max_iter=60, tol=0.0)
    obj = gated_relu_objective(x, y, sol.u, gates, 0.1)
    assert sol.objective == pytest.approx(obj, rel=1e-10)
    u = sol.u.clone().requires_grad_()
    xb = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
    pred = ((xb @ gates >= 0) * (xb @ u)).sum(dim=1)
    (grad,) = torch.autograd.grad(0.5 * (pred - y).pow(2).sum(), u)
    norms = sol.u.norm(dim=0)
    active = norms > 0
    res = torch.cat(
        [
            (grad[:, active] + 0.1 * sol.u[:, active] / norms[active]).norm(dim=0),
            (grad[:, ~active].norm(dim=0) - 0.1).clamp_min(0),
        ]
    )
    assert sol.kkt_residual == pytest.approx(float(res.max()) / 0.1, rel=1e-8, abs=1e-12)
