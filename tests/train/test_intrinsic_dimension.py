"""The d_int search on synthetic scores, the paper's toy problem, and the training helper."""

from __future__ import annotations

import functools
import json
import math
from collections import Counter
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from nnatlas.train import (
    SubspaceModel,
    direct_training_score,
    intrinsic_dimension,
    make_projection,
    subspace_training_score,
)

KINDS = ("dense", "sparse", "fastfood")
CROSSING = 50 * math.log(10)  # 1 - exp(-d/50) = 0.9 at d = 115.13


class Counted:
    """A monotone score 1 - exp(-d/50) that counts its calls per d."""

    def __init__(self) -> None:
        self.calls: Counter[int] = Counter()

    def __call__(self, d: int) -> float:
        self.calls[d] += 1
        return 1 - math.exp(-d / 50)


def test_grid_reports_smallest_passing_and_interpolates() -> None:
    score = Counted()
    res = intrinsic_dimension(score, baseline=1.0, dims=[320, 10, 40, 20, 160, 80, 40])
    assert res.d_int == 160 and res.found
    assert res.threshold == pytest.approx(0.9)
    assert [d for d, _ in res.curve] == [10, 20, 40, 80, 160, 320]
    assert set(score.calls.values()) == {1}  # 40 was listed twice, evaluated once
    assert 80 < res.d_int_interp < 160  # type: ignore[operator]


def test_grid_interpolation_is_exact_for_scores_linear_in_log_d() -> None:
    res = intrinsic_dimension(
        lambda d: math.log(d) / math.log(1000), baseline=1.0, dims=[10, 100, 1000, 10_000]
    )
    assert res.d_int == 1000
    assert res.d_int_interp == pytest.approx(1000**0.9, rel=1e-12)


def test_grid_default_doubling_dims_and_non_monotone_noise() -> None:
    res = intrinsic_dimension(lambda d: 0.0, baseline=1.0, d_min=3, d_max=40)
    assert [d for d, _ in res.curve] == [3, 6, 12, 24, 40]
    assert not res.found and res.d_int is None and res.d_int_interp is None
    noisy = {1: 0.1, 2: 0.95, 4: 0.5, 8: 0.97}
    res = intrinsic_dimension(noisy.__getitem__, baseline=1.0, dims=[1, 2, 4, 8])
    assert res.d_int == 2  # the paper's rule: the smallest evaluated d that passes


def test_bisect_finds_the_exact_integer_crossing_with_few_calls() -> None:
    score = Counted()
    res = intrinsic_dimension(score, baseline=1.0, search="bisect", d_max=4096, rel_tol=1e-9)
    assert res.d_int == math.ceil(CROSSING) == 116
    assert res.d_int_interp == pytest.approx(CROSSING, rel=1e-3)
    assert max(score.calls.values()) == 1
    assert len(score.calls) <= 8 + 7  # doublings 1..128, then log2(64) bisection steps
    assert all(s < 0.9 for d, s in res.curve if d < 116)


def test_bisect_tolerance_and_caps() -> None:
    res = intrinsic_dimension(Counted(), baseline=1.0, search="bisect", d_max=4096, rel_tol=0.1)
    assert 116 <= res.d_int <= 1.1 * CROSSING  # type: ignore[operator]
    res = intrinsic_dimension(Counted(), baseline=1.0, search="bisect", d_max=100)
    assert not res.found and [d for d, _ in res.curve] == [1, 2, 4, 8, 16, 32, 64, 100]
    res = intrinsic_dimension(Counted(), baseline=1.0, search="bisect", d_min=200, d_max=999)
    assert res.d_int == 200 and res.d_int_interp is None and len(res.curve) == 1
    # fraction=0.5 moves the crossing to 50 ln 2 = 34.66.
    res = intrinsic_dimension(
        Counted(), baseline=1.0, fraction=0.5, search="bisect", d_max=999, rel_tol=1e-9
    )
    assert res.d_int == 35


def test_nan_scores_count_as_failures() -> None:
    res = intrinsic_dimension(
        lambda d: math.nan if d < 8 else 1.0, baseline=1.0, search="bisect", d_max=64, rel_tol=1e-9
    )
    assert res.d_int == 8


def test_result_to_dict_is_json_ready() -> None:
    res = intrinsic_dimension(Counted(), baseline=0.97, dims=[50, 200])
    out = json.loads(json.dumps(res.to_dict()))
    assert out["d_int"] == 200 and out["curve"][0][0] == 50
    assert out["threshold"] == pytest.approx(0.9 * 0.97)
    with pytest.raises(AttributeError):
        res.d_int = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"baseline": 0.0, "dims": [1]},
            ValueError,
            "baseline must be a finite score > 0; got 0.0",
        ),
        ({"baseline": math.nan, "dims": [1]}, ValueError, "baseline"),
        ({"baseline": 1.0, "fraction": 0, "dims": [1]}, ValueError, "fraction .*got 0"),
        (
            {"baseline": 1.0, "search": "golden", "dims": [1]},
            ValueError,
            "search must be 'grid' or 'bisect'; got 'golden'",
        ),
        ({"baseline": 1.0, "dims": []}, ValueError, "dims must be a non-empty"),
        (
            {"baseline": 1.0, "dims": [4, 0]},
            ValueError,
            "every entry of dims must be an int >= 1; got 0",
        ),
        ({"baseline": 1.0}, ValueError, "needs dims or d_max"),
        ({"baseline": 1.0, "search": "bisect"}, ValueError, "needs d_max"),
        (
            {"baseline": 1.0, "search": "bisect", "dims": [2], "d_max": 8},
            ValueError,
            "dims is only used",
        ),
        ({"baseline": 1.0, "d_min": 8, "d_max": 4}, ValueError, "d_max must be >= d_min=8; got 4"),
        ({"baseline": 1.0, "d_min": 0, "d_max": 4}, ValueError, "d_min must be an int >= 1; got 0"),
        ({"baseline": 1.0, "search": "bisect", "d_max": 8, "rel_tol": 0}, ValueError, "rel_tol"),
    ],
)
def test_search_argument_errors(kwargs: dict, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        intrinsic_dimension(Counted(), **kwargs)


def test_evaluate_must_be_callable() -> None:
    with pytest.raises(TypeError, match="evaluate must be callable; got int"):
        intrinsic_dimension(3, baseline=1.0, dims=[1])  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the toy problem

D_TOY = 1000


def toy_constraints() -> tuple[torch.Tensor, torch.Tensor]:
    """The paper's toy: θ ∈ R^1000 whose 10 blocks of 100 entries sum to 1, 2, ..., 10."""
    a = torch.zeros(10, D_TOY, dtype=torch.float64)
    for i in range(10):
        a[i, 100 * i : 100 * (i + 1)] = 1.0
    return a, torch.arange(1, 11, dtype=torch.float64)


def min_relative_loss(kind: str, d: int, seed: int = 0) -> float:
    """min over z of ‖A(θ₀ + P z) - b‖² / ‖A θ₀ - b‖², by least squares on the materialised P."""
    a, b = toy_constraints()
    theta0 = torch.randn(D_TOY, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    residual = b - a @ theta0
    p = make_projection(kind, D_TOY, d, seed=seed, dtype=torch.float64).to_dense()
    sol = torch.linalg.lstsq(a @ p, residual[:, None]).solution
    return float((a @ p @ sol - residual[:, None]).square().sum() / residual.square().sum())


@pytest.mark.parametrize("kind", KINDS)
def test_toy_problem_is_solvable_exactly_from_d_equal_10(kind: str) -> None:
    losses = {d: min_relative_loss(kind, d) for d in range(5, 13)}
    assert all(losses[d] < 1e-20 for d in (10, 11, 12)), losses
    assert all(losses[d] > 1e-3 for d in range(5, 10)), losses


def test_toy_problem_intrinsic_dimension_agrees_across_projections() -> None:
    found = {}
    for kind in KINDS:
        for seed in range(3):
            res = intrinsic_dimension(
                lambda d, k=kind, s=seed: 1.0 - min_relative_loss(k, d, s),
                baseline=1.0,
                fraction=1 - 1e-12,
                search="bisect",
                d_max=512,
                rel_tol=1e-9,
            )
            found[kind, seed] = res.d_int
    assert set(found.values()) == {10}, found


class Toy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.randn(D_TOY, dtype=torch.float64))
        self.a, self.b = toy_constraints()

    def forward(self) -> torch.Tensor:
        return (self.a @ self.theta - self.b).square().sum()


@pytest.mark.parametrize("kind", KINDS)
def test_toy_problem_by_lbfgs_in_the_subspace(kind: str) -> None:
    torch.manual_seed(0)
    toy = Toy()
    final = {}
    for d in (8, 12):
        model = SubspaceModel(toy, d, projection=kind, seed=d)
        opt = torch.optim.LBFGS(
            model.parameters(), max_iter=300, tolerance_grad=0, line_search_fn="strong_wolfe"
        )

        def closure(model: SubspaceModel = model, opt: torch.optim.Optimizer = opt) -> torch.Tensor:
            opt.zero_grad()
            loss = model()
            loss.backward()
            return loss

        opt.step(closure)
        # The least-squares optimum of this subspace, for comparison.
        a, b = toy_constraints()
        p = model.projection.to_dense()
        residual = b - a @ model.theta0
        sol = torch.linalg.lstsq(a @ p, residual[:, None]).solution
        best = float((a @ p @ sol - residual[:, None]).square().sum())
        final[d] = (float(model().detach()), best)
    assert final[12][0] < 1e-10 * float(toy().detach()), final
    loss8, best8 = final[8]
    assert best8 > 1.0 and loss8 == pytest.approx(best8, rel=1e-6), final


# ----------------------------------------------------------------------------- training helper


def blobs() -> SimpleNamespace:
    gen = torch.Generator().manual_seed(0)
    centres = 2.5 * torch.randn(3, 6, generator=gen)
    y = torch.randint(0, 3, (300,), generator=gen)
    x = centres[y] + torch.randn(300, 6, generator=gen)
    return SimpleNamespace(x_train=x[:200], y_train=y[:200], x_test=x[200:], y_test=y[200:])


def small_net() -> nn.Module:
    return nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 3))


def test_subspace_training_score_is_deterministic_and_learns() -> None:
    data = blobs()
    score = functools.partial(
        subspace_training_score, small_net, data=data, epochs=15, lr=0.1, batch_size=32
    )
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    first = score(40, projection="fastfood", seed=1)
    assert torch.equal(torch.rand(1), before)  # the global RNG is left alone
    assert score(40, projection="fastfood", seed=1) == first
    assert first > 0.9
    assert score(1, projection="dense", seed=1) < first
    baseline = direct_training_score(small_net, data=data, epochs=15, lr=1e-2, batch_size=32)
    assert baseline > 0.9
    res = intrinsic_dimension(
        functools.partial(score, projection="sparse"), baseline=baseline, dims=[2, 8, 32]
    )
    assert res.found and res.curve[-1][1] >= res.curve[0][1]


def test_subspace_training_score_accepts_a_projection_factory_and_checks_data() -> None:
    data = blobs()
    factory = functools.partial(make_projection, "dense")
    acc = subspace_training_score(
        small_net,
        4,
        data=data,
        epochs=1,
        lr=0.1,
        projection=lambda full, d, seed: factory(full, d, seed=seed),
        optimizer="sgd",
    )
    assert 0.0 <= acc <= 1.0
    with pytest.raises(TypeError, match="lacks x_test, y_test"):
        subspace_training_score(
            small_net, 4, data=SimpleNamespace(x_train=1, y_train=1), epochs=1, lr=0.1
        )
    with pytest.raises(ValueError, match="optimizer must be 'adam' or 'sgd'; got 'rmsprop'"):
        subspace_training_score(small_net, 4, data=data, epochs=1, lr=0.1, optimizer="rmsprop")
