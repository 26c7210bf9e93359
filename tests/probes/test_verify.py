"""Soundness of NAP-tightened interval bounds, MILP exactness, PGD and certified radius."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.nn.models import MLP
from nnatlas.probes import (
    NAP,
    activation_patterns,
    affine_layers,
    certified_radius,
    crown_margin_lower_bounds,
    forward_margins,
    interval_bounds,
    margin_lower_bounds,
    milp_margins,
    mine_naps_from_patterns,
    pgd_in_nap,
    verify_region,
)
from nnatlas.train.loop import fit

D, WIDTHS, C = 5, (8, 8), 3
TOL = 1e-6


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    model = MLP(D, list(WIDTHS), C)
    x = torch.rand(300, D)
    # A random net predicts one class almost everywhere on [0, 1]^5; a short training on a
    # simple rule gives decision boundaries inside the box (and non-trivial radii).
    y = x[:, :C].argmax(1)
    fit(model, x, y, optimizer=torch.optim.Adam(model.parameters(), lr=0.02), epochs=40,
        batch_size=100, generator=torch.Generator().manual_seed(0))  # fmt: skip
    model.eval()
    naps = mine_naps_from_patterns(activation_patterns(model, x), y, WIDTHS, delta=0.9)
    assert sorted(naps) == list(range(C))
    return model, naps


def _in_closed_nap(pre, nap):
    ok = torch.ones(pre[0].shape[0], dtype=torch.bool)
    for z, (act, ina) in zip(pre, nap.layer_masks(), strict=True):
        ok &= ~((z < 0) & act).any(-1) & ~((z > 0) & ina).any(-1)
    return ok


def _boxes():
    g = torch.Generator().manual_seed(1)
    yield torch.zeros(D), torch.ones(D)
    for _ in range(3):
        c = torch.rand(D, generator=g)
        yield (c - 0.15).clamp(0, 1), (c + 0.15).clamp(0, 1)


def _sample(lo, hi, n=4000, seed=2):
    g = torch.Generator().manual_seed(seed)
    return lo.double() + torch.rand(n, D, generator=g, dtype=torch.float64) * (hi - lo).double()


def test_random_points_never_leave_plain_and_nap_bounds(setup):
    model, naps = setup
    layers = affine_layers(model)
    for lo, hi in _boxes():
        pts = _sample(lo, hi)
        b = interval_bounds(model, lo, hi)
        with torch.no_grad():
            out = model(pts.float()).double()
        assert (out >= b.out_lower - 1e-4).all() and (out <= b.out_upper + 1e-4).all()
        for label, nap in naps.items():
            margins, pre = forward_margins(layers, pts, label)
            plain, _ = margin_lower_bounds(layers, lo, hi, label)
            assert (margins >= plain - TOL).all()
            inside = _in_closed_nap(pre, nap)
            tight, empty = margin_lower_bounds(layers, lo, hi, label, nap=nap)
            nb = interval_bounds(layers, lo, hi, nap=nap)
            if inside.any():
                assert not bool(empty)
                assert (margins[inside] >= tight - TOL).all()
                for z, zl, zu in zip(pre, nb.pre_lower, nb.pre_upper, strict=True):
                    assert (z[inside] >= zl - TOL).all() and (z[inside] <= zu + TOL).all()


def _crown_boxes():
    g = torch.Generator().manual_seed(5)
    for _ in range(8):
        c = torch.rand(D, generator=g)
        r = 0.05 + 0.4 * float(torch.rand(1, generator=g))
        yield (c - r).clamp(0, 1), (c + r).clamp(0, 1)


def test_crown_bounds_are_sound_and_at_least_as_tight(setup):
    model, naps = setup
    layers = affine_layers(model)
    gain = 0.0
    for k, (lo, hi) in enumerate(_crown_boxes()):
        pts = _sample(lo, hi, 3000, seed=10 + k)
        for label, nap in naps.items():
            margins, pre = forward_margins(layers, pts, label)
            inside = _in_closed_nap(pre, nap)
            plain_ibp, _ = margin_lower_bounds(layers, lo, hi, label)
            plain, _ = crown_margin_lower_bounds(layers, lo, hi, label)
            tight, empty = crown_margin_lower_bounds(layers, lo, hi, label, nap=nap)
            assert (margins >= plain - TOL).all()
            if inside.any():
                assert not bool(empty)
                assert (margins[inside] >= tight - TOL).all()
            assert (plain >= plain_ibp - 1e-12).all() and (tight >= plain - 1e-12).all()
            gain += float((plain - plain_ibp).sum())
    assert gain > 0  # linear relaxation beats intervals somewhere


def test_nap_bounds_are_inside_plain_bounds(setup):
    model, naps = setup
    strictly = 0
    for lo, hi in _boxes():
        plain = interval_bounds(model, lo, hi)
        for label, nap in naps.items():
            tight = interval_bounds(model, lo, hi, nap=nap)
            pairs = [
                *zip(tight.pre_lower, plain.pre_lower, strict=True),
                (tight.out_lower, plain.out_lower),
            ]
            for t, p in pairs:
                assert (t >= p - 1e-12).all()
            for t, p in [
                *zip(tight.pre_upper, plain.pre_upper, strict=True),
                (tight.out_upper, plain.out_upper),
            ]:
                assert (t <= p + 1e-12).all()
            mp, _ = margin_lower_bounds(model, lo, hi, label)
            mt, _ = margin_lower_bounds(model, lo, hi, label, nap=nap)
            assert (mt >= mp - 1e-12).all()
            strictly += int((mt > mp + 1e-9).sum())
    assert strictly > 0  # the NAP actually tightens something on these boxes


def test_batched_boxes_match_single_boxes(setup):
    model, naps = setup
    boxes = list(_boxes())
    lo = torch.stack([b[0] for b in boxes])
    hi = torch.stack([b[1] for b in boxes])
    batched, empty = margin_lower_bounds(model, lo, hi, 1, nap=naps[1])
    assert batched.shape == (len(boxes), C) and empty.shape == (len(boxes),)
    for i, (lo_i, hi_i) in enumerate(boxes):
        single, _ = margin_lower_bounds(model, lo_i, hi_i, 1, nap=naps[1])
        assert torch.allclose(batched[i], single)


@pytest.mark.parametrize("use_nap", [False, True])
def test_milp_optimum_is_exact_and_inside_the_bounds(setup, use_nap):
    model, naps = setup
    layers = affine_layers(model)
    lo, hi = torch.zeros(D), torch.ones(D)
    for label, nap_l in naps.items():
        nap = nap_l if use_nap else None
        lb, _ = margin_lower_bounds(layers, lo, hi, label, nap=nap)
        results = milp_margins(layers, lo, hi, label, nap=nap)
        pts = _sample(lo, hi)
        margins, pre = forward_margins(layers, pts, label)
        inside = (
            _in_closed_nap(pre, nap) if nap is not None else torch.ones(len(pts), dtype=torch.bool)
        )
        for j, r in results.items():
            assert r.status == "optimal"
            assert r.value >= float(lb[j]) - TOL  # IBP bound below the exact optimum
            assert r.bound <= r.value + TOL
            # No sampled in-region point beats the optimum, and the optimiser attains it.
            if inside.any():
                assert float(margins[inside, j].min()) >= r.value - 1e-5
            assert r.x is not None
            assert (r.x >= lo.double() - 1e-7).all() and (r.x <= hi.double() + 1e-7).all()
            m_at, pre_at = forward_margins(layers, r.x[None], label)
            assert float(m_at[0, j]) == pytest.approx(r.value, abs=1e-5)
            if nap is not None:
                for z, (act, ina) in zip(pre_at, nap.layer_masks(), strict=True):
                    assert (z[0][act] >= -1e-6).all() and (z[0][ina] <= 1e-6).all()


def test_pgd_points_lie_in_the_region_and_above_the_exact_minimum(setup):
    model, naps = setup
    layers = affine_layers(model)
    lo, hi = torch.zeros(D), torch.ones(D)
    g = torch.Generator().manual_seed(3)
    for label, nap in naps.items():
        res = pgd_in_nap(layers, lo, hi, label, nap=nap, restarts=8, steps=40, generator=g)
        assert res.found and res.x is not None and res.margins is not None
        _, pre = forward_margins(layers, res.x[None], label)
        assert bool(_in_closed_nap(pre, nap)[0])
        exact = milp_margins(layers, lo, hi, label, nap=nap)
        exact_min = min(r.value for r in exact.values())
        assert res.margin >= exact_min - 1e-6
        lb, _ = margin_lower_bounds(layers, lo, hi, label, nap=nap)
        others = [j for j in range(C) if j != label]
        assert (res.margins[others] >= lb[others] - TOL).all()


def test_empty_nap_region_is_detected():
    # One hidden neuron z = x − 2 on x ∈ [0, 1] can never be active.
    net = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 2))
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.fill_(-2.0)
        net[2].weight.copy_(torch.tensor([[1.0], [-1.0]]))
        net[2].bias.copy_(torch.tensor([-1.0, 1.0]))
    nap = NAP(0, torch.tensor([True]), torch.tensor([False]), (1,))
    lo, hi = torch.zeros(1), torch.ones(1)
    _, empty = margin_lower_bounds(net, lo, hi, 0, nap=nap)
    assert bool(empty)
    assert milp_margins(net, lo, hi, 0, nap=nap)[1].status == "infeasible"
    assert verify_region(net, lo, hi, 0, nap=nap) is True
    # Without the NAP, class 0 loses everywhere: the MILP refutes, IBP stays undecided.
    assert verify_region(net, lo, hi, 0, method="milp") is False
    assert verify_region(net, lo, hi, 0) is None
    assert not pgd_in_nap(net, lo, hi, 0, nap=nap, restarts=4, steps=5).found


def test_certified_radius_nap_at_least_plain_and_milp_at_least_ibp(setup):
    model, naps = setup
    layers = affine_layers(model)
    g = torch.Generator().manual_seed(4)
    x = torch.rand(40, D, generator=g)
    y = model(x).argmax(1)
    pats = activation_patterns(model, x)
    done = 0
    for i in range(40):
        label = int(y[i])
        if not bool(naps[label].contains(pats[i : i + 1])[0]):
            continue
        r0 = certified_radius(layers, x[i], label, tol=1e-3)
        r1 = certified_radius(layers, x[i], label, nap=naps[label], tol=1e-3)
        assert r1 >= r0 - 1e-3
        if r0 > 0:
            lo, hi = (x[i] - r0).clamp(0, 1), (x[i] + r0).clamp(0, 1)
            assert verify_region(layers, lo, hi, label) is True
        rc = certified_radius(layers, x[i], label, method="crown", tol=1e-3)
        rcn = certified_radius(layers, x[i], label, nap=naps[label], method="crown", tol=1e-3)
        assert rc >= r0 - 1e-3 and rcn >= r0 - 1e-3
        rm = certified_radius(layers, x[i], label, method="milp", tol=1e-2)
        assert rm >= rc - 1e-2
        # The exact radius really is certified: no sampled point in the ball is misclassified.
        pts = (
            x[i].double() + (2 * _sample(torch.zeros(D), torch.ones(D), 2000, i) - 1) * rm
        ).clamp(0, 1)
        margins, _ = forward_margins(layers, pts, label)
        others = [j for j in range(C) if j != label]
        assert (margins[:, others] > -1e-9).all()
        done += 1
        if done == 3:
            break
    assert done > 0


def test_verify_errors(setup):
    model, _ = setup
    lo, hi = torch.zeros(D), torch.ones(D)
    with pytest.raises(ConfigError, match="lower must be <= upper"):
        interval_bounds(model, hi, lo)
    with pytest.raises(ConfigError, match=r"same shape \(\.\.\., 5\)"):
        interval_bounds(model, torch.zeros(4), torch.ones(4))
    with pytest.raises(ConfigError, match=r"label must be an int in \[0, 3\)"):
        margin_lower_bounds(model, lo, hi, 3)
    with pytest.raises(ConfigError, match="hidden widths"):
        bad = NAP(0, torch.zeros(4, dtype=torch.bool), torch.zeros(4, dtype=torch.bool), (4,))
        interval_bounds(model, lo, hi, nap=bad)
    with pytest.raises(ConfigError, match="method must be"):
        verify_region(model, lo, hi, 0, method="smt")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Tanh"):
        interval_bounds(MLP(D, [4], C, activation="tanh"), lo, hi)
    with pytest.raises(ConfigError, match="competitors"):
        milp_margins(model, lo, hi, 0, competitors=[0])
    with pytest.raises(TypeError, match=r"lower must be a torch\.Tensor"):
        interval_bounds(model, [0.0] * D, hi)  # type: ignore[arg-type]
    assert math.isfinite(certified_radius(model, torch.rand(D), 0, tol=0.05))
