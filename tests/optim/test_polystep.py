"""Tests of PolyStep and the shared batched candidate evaluation."""

from __future__ import annotations

import io
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.optim import ModelClosure, PolyStep, evaluate_candidates
from nnatlas.optim.polystep import haar_rotations, polytope_vertices, transport_weights
from nnatlas.testing import check_optimizer_case
from nnatlas.testing.catalog import load_all, optimizer_cases


def test_conformance_case_registered_and_passes() -> None:
    load_all()
    case = next(c for c in optimizer_cases() if c.name == "PolyStep")
    check_optimizer_case(case)


@pytest.mark.parametrize(("kind", "count"), [("simplex", 6), ("orthoplex", 10), ("cube", 32)])
def test_polytope_vertices_are_centred_unit_vectors(kind: str, count: int) -> None:
    v = polytope_vertices(kind, 5, dtype=torch.float64)
    assert v.shape == (count, 5)
    torch.testing.assert_close(v.norm(dim=1), torch.ones(count, dtype=torch.float64))
    torch.testing.assert_close(v.sum(0), torch.zeros(5, dtype=torch.float64), atol=1e-12, rtol=0)


def test_simplex_is_regular() -> None:
    d = 4
    v = polytope_vertices("simplex", d, dtype=torch.float64)
    gram = v @ v.T
    off = gram[~torch.eye(d + 1, dtype=torch.bool)]
    # A regular simplex inscribed in the unit sphere has pairwise inner products -1/d.
    torch.testing.assert_close(off, torch.full_like(off, -1.0 / d))
    assert v[0, 0] == pytest.approx(1.0)


def test_haar_rotations_are_rotations_and_bias_sets_first_axis() -> None:
    g = torch.Generator().manual_seed(0)
    bias = torch.randn(7, 4, dtype=torch.float64)
    bias[3] = 0.0
    r = haar_rotations(7, 4, generator=g, dtype=torch.float64, bias=bias)
    eye = torch.eye(4, dtype=torch.float64).expand(7, 4, 4)
    torch.testing.assert_close(r.transpose(1, 2) @ r, eye)
    torch.testing.assert_close(torch.linalg.det(r), torch.ones(7, dtype=torch.float64))
    unit = bias / bias.norm(dim=1, keepdim=True).clamp_min(1e-300)
    for i in (0, 1, 2, 4, 5, 6):
        torch.testing.assert_close(r[i, :, 0], unit[i])


def test_haar_first_column_is_uniform_in_mean() -> None:
    g = torch.Generator().manual_seed(1)
    r = haar_rotations(20000, 3, generator=g, dtype=torch.float64)
    # Haar frames: each column is uniform on the sphere, so its mean is ~0 and E[x_k^2] = 1/3.
    col = r[:, :, 0]
    assert col.mean(0).abs().max() < 0.03
    torch.testing.assert_close(
        (col**2).mean(0), torch.full((3,), 1 / 3, dtype=torch.float64), atol=0.02, rtol=0
    )


def test_softmax_weights_match_closed_form() -> None:
    cost = torch.tensor([[0.0, 1.0, 2.0], [3.0, 3.0, 3.0]], dtype=torch.float64)
    w = transport_weights(cost, 0.5)
    expected = torch.exp(-cost[0] / 0.5) / torch.exp(-cost[0] / 0.5).sum()
    torch.testing.assert_close(w[0], expected)
    torch.testing.assert_close(w[1], torch.full((3,), 1 / 3, dtype=torch.float64))


def test_sinkhorn_plan_has_uniform_marginals() -> None:
    g = torch.Generator().manual_seed(0)
    cost = torch.rand(6, 4, generator=g, dtype=torch.float64)
    w = transport_weights(cost, 0.2, solver="sinkhorn", sinkhorn_iters=500)
    torch.testing.assert_close(w.sum(1), torch.ones(6, dtype=torch.float64))
    plan = w / 6
    torch.testing.assert_close(plan.sum(0), torch.full((4,), 0.25, dtype=torch.float64))
    relaxed = transport_weights(
        cost, 0.2, solver="sinkhorn", sinkhorn_iters=500, sinkhorn_omega=1.5
    )
    torch.testing.assert_close(relaxed, w, atol=1e-8, rtol=0)


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(2)
    return torch.randn(32, 6, generator=g), torch.randint(0, 3, (32,), generator=g)


def test_hybrid_layout_counts_coordinates() -> None:
    model = _model()
    opt = PolyStep(model.parameters(), rank=2)
    # (16, 6): 2*(16+6)=44 < 96 projected; biases direct; (3, 16): 2*19=38 < 48 projected.
    assert opt.subspace_dims() == [44 + 16 + 38 + 3]
    n_part = math.ceil(101 / 8)
    assert opt.candidates_per_step() == n_part * 9
    capped = PolyStep(model.parameters(), rank=2, max_subspace_dim=40)
    assert capped.subspace_dims()[0] <= 40
    full = PolyStep(model.parameters(), subspace="full")
    assert full.subspace_dims() == [sum(p.numel() for p in model.parameters())]
    assert full.candidates_per_step() == math.ceil(163 / 2) * 3


def test_batched_and_plain_closures_follow_the_same_path() -> None:
    x, y = _data()
    paths = []
    for batched in (True, False):
        model = _model().double()
        opt = PolyStep(model.parameters(), rank=2, seed=3)
        for _ in range(4):
            if batched:
                opt.step(ModelClosure(model, F.cross_entropy, x.double(), y))
            else:
                opt.step(lambda m=model: F.cross_entropy(m(x.double()), y))
        paths.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    torch.testing.assert_close(paths[0], paths[1], atol=1e-10, rtol=0)


def test_polystep_decreases_a_classification_loss_and_counts_evaluations() -> None:
    x, y = _data()
    model = _model()
    opt = PolyStep(model.parameters(), rank=2, epsilon=0.25, step_radius=4.0, probe_radius=2.0)
    closure = ModelClosure(model, F.cross_entropy, x, y)
    start = float(closure())
    for _ in range(40):
        opt.step(closure)
    assert float(closure()) < 0.8 * start
    assert opt.evaluations == 40 * opt.candidates_per_step()


def test_max_batch_chunks_do_not_change_the_result() -> None:
    x, y = _data()
    out = []
    for max_batch in (None, 7):
        model = _model().double()
        opt = PolyStep(model.parameters(), rank=2, max_batch=max_batch)
        for _ in range(3):
            opt.step(ModelClosure(model, F.cross_entropy, x.double(), y))
        out.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    torch.testing.assert_close(out[0], out[1], atol=1e-12, rtol=0)


class _NeedsItem(nn.Module):
    """A model ``vmap`` cannot trace (``.item()`` on a batched tensor)."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = 1.0 + 0.0 * float(self.lin.weight.sum().item())
        return self.lin(x) * scale


def test_model_closure_falls_back_when_vmap_fails() -> None:
    x, y = _data()
    model = _NeedsItem()
    closure = ModelClosure(model, F.cross_entropy, x, y)
    params = list(model.parameters())
    values = [p.detach()[None] + 0.1 * torch.randn(5, *p.shape) for p in params]
    batched = closure.evaluate_batch(params, values)
    assert closure.use_vmap is False
    looped = evaluate_candidates(lambda: F.cross_entropy(model(x), y), params, values)
    torch.testing.assert_close(batched.double(), looped, atol=1e-6, rtol=0)
    # The plain path restores the parameters it wrote into.
    torch.testing.assert_close(params[0], model.lin.weight)


def test_seeds_determinism_and_state_dict_holds_the_generator() -> None:
    x, y = _data()

    def run(seed: int, steps: int = 3) -> tuple[torch.Tensor, PolyStep, nn.Module]:
        model = _model()
        opt = PolyStep(model.parameters(), rank=2, seed=seed)
        for _ in range(steps):
            opt.step(ModelClosure(model, F.cross_entropy, x, y))
        return torch.cat([p.detach().flatten() for p in model.parameters()]), opt, model

    a, opt, model = run(0)
    b, _, _ = run(0)
    c, _, _ = run(1)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    clone = _model()
    clone.load_state_dict(model.state_dict())
    restored = PolyStep(clone.parameters(), rank=2, seed=99)  # seed overwritten by the state
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    for _ in range(2):
        opt.step(ModelClosure(model, F.cross_entropy, x, y))
        restored.step(ModelClosure(clone, F.cross_entropy, x, y))
    for p, q in zip(model.parameters(), clone.parameters(), strict=True):
        assert torch.equal(p, q)


def test_schedules_follow_the_cosine_and_floats_scale_with_epsilon() -> None:
    p = torch.zeros(4, requires_grad=True)
    opt = PolyStep([p], epsilon=0.5, step_radius=2.0, probe_radius=1.0)
    assert opt._schedule(opt.param_groups[0], 0) == (0.5, 1.0, 0.5)
    sched = PolyStep(
        [p], epsilon=(1.0, 0.1), step_radius=(4.0, 2.0), probe_radius=1.0, total_steps=10
    )
    eps, r_s, r_p = sched._schedule(sched.param_groups[0], 10)
    assert (eps, r_s) == pytest.approx((0.1, 2.0))
    assert r_p == pytest.approx(0.1)


def test_bad_arguments_name_the_argument() -> None:
    p = torch.zeros(3, requires_grad=True)
    with pytest.raises(ConfigError, match="epsilon"):
        PolyStep([p], epsilon=-1.0)
    with pytest.raises(ConfigError, match="total_steps"):
        PolyStep([p], step_radius=(1.0, 0.1))
    with pytest.raises(UnknownNameError, match="polytope"):
        PolyStep([p], polytope="hexagon")  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match="solver"):
        PolyStep([p], solver="greedy")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rank"):
        PolyStep([p], rank=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="closure"):
        PolyStep([p]).step()
    with pytest.raises(TypeError, match="floating"):
        PolyStep([torch.zeros(3, dtype=torch.int64)])


def test_absorb_folds_without_moving_and_can_redraw_projections() -> None:
    x, y = _data()
    model = _model()
    opt = PolyStep(model.parameters(), rank=2, absorb_interval=2, redraw_on_absorb=True)
    weight = next(model.parameters())
    before = opt.state[weight]["projection"].clone()
    closure = ModelClosure(model, F.cross_entropy, x, y)
    opt.step(closure)
    head = opt.state[weight]
    assert head["z"].abs().sum() > 0
    after_one = [p.detach().clone() for p in model.parameters()]
    opt.step(closure)
    assert torch.count_nonzero(head["z"]) == 0  # folded into the parameters
    assert not torch.equal(head["projection"], before)
    # The second step moved the weight by exactly P_old times its own displacement: the absorb
    # (and the redraw) do not move the parameters.
    start, c = (int(v) for v in head["coords"])
    move = head["previous"].reshape(-1)[start : start + c]
    expected = after_one[0] + (before @ move).reshape(weight.shape)
    torch.testing.assert_close(weight.detach(), expected)
