"""Tests of the random k-SAT generator, the MAX-SAT closure and probSAT."""

from __future__ import annotations

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.data.maxsat import MaxSatClosure, SatInstance, probsat, random_ksat
from nnatlas.optim import PolyStep


def test_random_ksat_shape_distinct_variables_and_balance() -> None:
    inst = random_ksat(2000, 4.26, seed=3)
    assert inst.num_clauses == round(4.26 * 2000)
    s, _ = inst.variables.sort(dim=1)
    assert bool((s[:, 1:] != s[:, :-1]).all())
    assert 0.48 < inst.positive.double().mean() < 0.52
    again = random_ksat(2000, 4.26, seed=3)
    assert torch.equal(inst.variables, again.variables)


def test_random_assignment_satisfies_seven_eighths() -> None:
    inst = random_ksat(5000, seed=0)
    a = torch.rand(20, 5000, generator=torch.Generator().manual_seed(1)) < 0.5
    # Each 3-clause is falsified by exactly 1 of the 8 assignments of its variables.
    assert abs(float(inst.satisfied_fraction(a).mean()) - 7 / 8) < 0.003


def test_satisfied_counts_a_hand_example() -> None:
    # (x0 ∨ ¬x1) ∧ (¬x0 ∨ x1) ∧ (x0 ∨ x1)
    inst = SatInstance(
        2,
        torch.tensor([[0, 1], [0, 1], [0, 1]]),
        torch.tensor([[True, False], [False, True], [True, True]]),
    )
    a = torch.tensor([[False, False], [True, False], [False, True], [True, True]])
    assert inst.satisfied(a).tolist() == [2, 2, 2, 3]


def test_incremental_block_evaluation_matches_full_evaluation() -> None:
    inst = random_ksat(101, seed=2)
    x = torch.randn(101, generator=torch.Generator().manual_seed(0))
    closure = MaxSatClosure(inst, x)
    for d in (1, 2, 3):
        blocks = -(-101 // d)
        deltas = 2 * torch.randn(blocks, 4, d, generator=torch.Generator().manual_seed(d))
        fast = closure.evaluate_blocks([x], d, deltas)
        full = torch.zeros(blocks * d)
        full[:101] = x
        values = full.repeat(blocks * 4, 1).reshape(blocks, 4, blocks * d)
        for b in range(blocks):
            values[b, :, b * d : (b + 1) * d] += deltas[b]
        slow = closure.evaluate_batch([x], [values.reshape(-1, blocks * d)[:, :101]])
        assert torch.equal(fast, slow.reshape(blocks, 4))


def test_polystep_beats_random_assignment_with_the_incremental_closure() -> None:
    inst = random_ksat(300, seed=0)
    x = torch.randn(300, generator=torch.Generator().manual_seed(0))
    closure = MaxSatClosure(inst, x)
    start = float(closure())
    opt = PolyStep([x], subspace="full", scale_cost="none", step_radius=0.5, probe_radius=6.0)
    for _ in range(15):
        opt.step(closure)
    assert float(closure()) < 0.5 * start


def test_probsat_solves_an_easy_instance_and_reports_the_best_count() -> None:
    inst = random_ksat(200, 3.0, seed=1)  # well below the threshold: satisfiable w.h.p.
    a, sat = probsat(inst, max_flips=20000, seed=0)
    assert sat == inst.num_clauses == int(inst.satisfied(a))
    hard = random_ksat(300, 4.26, seed=1)
    a, sat = probsat(hard, max_flips=300, seed=0)
    assert int(hard.satisfied(a)) == sat
    assert sat / hard.num_clauses > 0.95


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="num_vars"):
        random_ksat(2)
    with pytest.raises(ConfigError, match="ratio"):
        random_ksat(10, 0.0)
    inst = random_ksat(10)
    with pytest.raises(ValueError, match="x must have shape"):
        MaxSatClosure(inst, torch.zeros(9))
    with pytest.raises(ValueError, match="variables"):
        inst.satisfied(torch.zeros(9, dtype=torch.bool))
