"""ODE families, the batched RK4 and the trajectory sets of ``nnatlas.data.ode``."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.data.ode import (
    ODE_FAMILIES,
    ODE_SETS,
    ODEFamily,
    add_observation_noise,
    get_family,
    resolve_families,
    rk4,
    sample_ode_data,
)
from nnatlas.data.symbolic import evaluate, parse_prefix, to_prefix
from nnatlas.testing.bad_inputs import assert_clear_error

F64 = torch.float64


def _linear_rhs(t: torch.Tensor, y: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    # y' = A y with A = [[-a, w], [-w, -a]]: a damped rotation, exact solution known
    a, w = p[:, :1], p[:, 1:2]
    return torch.cat([-a * y[:, :1] + w * y[:, 1:], -w * y[:, :1] - a * y[:, 1:]], dim=1)


def _linear_exact(t: float, y0: torch.Tensor, a: float, w: float) -> torch.Tensor:
    c, s = math.cos(w * t), math.sin(w * t)
    rot = torch.tensor([[c, s], [-s, c]], dtype=F64)
    return math.exp(-a * t) * y0 @ rot.T


def test_rk4_is_fourth_order_on_a_linear_ode() -> None:
    # Global error of RK4 is C h^4 + O(h^5): halving h divides it by 16 (1 + O(h)). At
    # h = T/20 = 0.1 with |lambda| h ~ 0.2 the O(h) correction is a few percent: ratio in [15, 17].
    y0 = torch.tensor([[1.0, 0.5]], dtype=F64)
    p = torch.tensor([[0.3, 2.0]], dtype=F64)
    exact = _linear_exact(2.0, y0, 0.3, 2.0)
    errors = []
    for n in (20, 40, 80):
        t = torch.linspace(0, 2.0, n + 1, dtype=F64)
        errors.append(float((rk4(_linear_rhs, y0, t, p)[:, -1] - exact).norm()))
    ratios = [errors[0] / errors[1], errors[1] / errors[2]]
    assert all(15.0 < r < 17.0 for r in ratios), ratios
    # substeps on a coarse grid give the same result as the fine grid
    t = torch.linspace(0, 2.0, 21, dtype=F64)
    coarse = rk4(_linear_rhs, y0, t, p, substeps=4)[:, -1]
    fine = rk4(_linear_rhs, y0, torch.linspace(0, 2.0, 81, dtype=F64), p)[:, -1]
    assert torch.allclose(coarse, fine, atol=1e-14, rtol=0)


def _lorenz(y: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    x, yy, z = y.unbind(-1)
    s, r, b = p.unbind(-1)
    return torch.stack([s * (yy - x), x * (r - z) - yy, x * yy - b * z], dim=-1)


def _lotka(y: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    x, yy = y.unbind(-1)
    return torch.stack([p[:, 0] * x - p[:, 1] * x * yy, p[:, 2] * x * yy - p[:, 3] * yy], -1)


def test_template_right_hand_sides_match_hand_written_ones() -> None:
    gen = torch.Generator().manual_seed(0)
    y = torch.randn(7, 3, generator=gen, dtype=F64)
    for name, ref in (("lorenz", _lorenz), ("lotka_volterra", _lotka)):
        fam = get_family(name)
        p = fam.sample_params(7, "id", gen)
        yy = y[:, : fam.dim]
        assert torch.allclose(fam.rhs(0.0, yy, p), ref(yy, p), atol=1e-12, rtol=0), name
    fam = get_family("sine_growth")  # time-dependent: a sin(6.28 t) u
    p = fam.sample_params(7, "id", gen)
    t = torch.tensor(0.7, dtype=F64)
    want = p[:, 0] * torch.sin(6.28 * t) * y[:, 0]
    assert torch.allclose(fam.rhs(t, y[:, :1], p)[:, 0], want, atol=1e-12, rtol=0)


@pytest.mark.parametrize("name", sorted(ODE_FAMILIES))
def test_every_family_integrates_to_bounded_trajectories(name: str) -> None:
    fam = ODE_FAMILIES[name]
    data = sample_ode_data([name], 6, num_points=24, t_end=2.0, cache=False)
    assert data.u.shape == (6, 24, fam.dim)
    assert torch.isfinite(data.u).all() and data.u.abs().max() <= 1e3
    skel = fam.skeleton_tokens()
    assert "p0" not in skel and "+" not in skel and "C" in skel
    # the instantiated expression (parameters as floats) and the template evaluated with the
    # parameter tensor give the same derivative at the first state (float32 round-off: 1e-5)
    expr = data.expression(0)
    u0 = data.u[0, :1, : fam.dim]
    direct = fam.rhs(torch.tensor(0.0), u0, data.params[:1, : fam.num_params])
    assert torch.allclose(evaluate(expr, u0, 0.0), direct, rtol=1e-5, atol=1e-5)
    tokens = to_prefix(expr)  # floats rounded to 3 digits: the tokens are a fixed point
    assert to_prefix(parse_prefix(tokens, max_dim=fam.dim)) == tokens


def test_parameter_boxes_in_and_out_of_distribution() -> None:
    fam = get_family("lotka_volterra")
    gen = torch.Generator().manual_seed(1)
    nominal = torch.tensor(fam.nominal, dtype=F64)
    rel_id = fam.sample_params(500, "id", gen) / nominal - 1
    rel_ood = fam.sample_params(500, "ood", gen) / nominal - 1
    assert rel_id.abs().max() <= 0.1 + 1e-12 and rel_id.abs().max() > 0.09
    assert rel_ood.min() >= 0.1 - 1e-12 and rel_ood.max() <= 0.3 + 1e-12


def test_samples_cycle_through_families_and_are_seeded(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NNATLAS_CACHE_DIR", str(tmp_path))
    a = sample_ode_data("prose2d", 10, num_points=16, seed=3)
    assert a.family.tolist() == [i % 5 for i in range(10)]
    assert a.dims.tolist() == [2] * 10
    b = sample_ode_data("prose2d", 10, num_points=16, seed=3)  # read back from the cache
    c = sample_ode_data("prose2d", 10, num_points=16, seed=3, cache=False)
    d = sample_ode_data("prose2d", 10, num_points=16, seed=4, cache=False)
    assert torch.equal(a.u, b.u) and torch.equal(a.u, c.u)
    assert not torch.equal(a.u, d.u)
    assert any(tmp_path.joinpath("ode").iterdir())


def test_mixed_dimensions_are_zero_padded() -> None:
    data = sample_ode_data(["linear", "lorenz"], 4, num_points=8, t_end=0.5, cache=False)
    assert data.u.shape == (4, 8, 3)
    assert torch.all(data.u[0::2, :, 1:] == 0) and data.dims.tolist() == [1, 3, 1, 3]


def test_observation_noise_levels() -> None:
    gen = torch.Generator().manual_seed(0)
    u = torch.full((200, 50, 2), 2.0, dtype=F64)
    noisy = add_observation_noise(u, 0.02, generator=gen)
    # relative deviations are N(0, 0.02^2): sample sd of 20 000 values within 3 % of 0.02
    assert abs(float((noisy / u - 1).std()) - 0.02) < 0.02 * 0.03
    ramp = torch.linspace(0, 1, 50, dtype=F64).expand(200, 50).unsqueeze(-1)
    add = add_observation_noise(ramp, 0.1, kind="additive", generator=gen)
    sigma = float(ramp[0].std())
    assert abs(float((add - ramp).std()) - 0.1 * sigma) < 0.1 * sigma * 0.03


def test_a_family_that_diverges_is_reported() -> None:
    blowup = ODEFamily("blowup", 1, "pow2 u_0", (), (1.0,), (2.0,))
    with pytest.raises(ConfigError, match="diverging"):
        sample_ode_data([blowup], 2, t_end=5.0, num_points=10, cache=False)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"families": "nope"}, "family"),
        ({"families": []}, "families"),
        ({"num_samples": 0}, "num_samples"),
        ({"num_points": 1}, "num_points"),
        ({"t_end": -1.0}, "t_end"),
        ({"t_end": math.nan}, "t_end"),
        ({"substeps": 0}, "substeps"),
        ({"split": "test"}, "split"),
        ({"seed": -1}, "seed"),
        ({"max_abs": 0.0}, "max_abs"),
    ],
)
def test_sample_ode_data_names_bad_arguments(kwargs: dict, argument: str) -> None:
    args = {"families": "prose2d", "num_samples": 2, "cache": False} | kwargs
    assert_clear_error(sample_ode_data, argument=argument, **args)


def test_rk4_and_noise_and_families_name_bad_arguments() -> None:
    y0, p = torch.zeros(2, 2), torch.zeros(2, 2)
    t = torch.linspace(0, 1, 5)
    assert_clear_error(rk4, _linear_rhs, y0[0], t, p, argument="y0")
    assert_clear_error(rk4, _linear_rhs, y0, t.flip(0), p, argument="t")
    assert_clear_error(rk4, _linear_rhs, y0, t, p[:1], argument="params")
    assert_clear_error(rk4, _linear_rhs, y0, t, p, substeps=0, argument="substeps")
    assert_clear_error(rk4, 3, y0, t, p, argument="rhs")
    assert_clear_error(rk4, _linear_rhs, y0.long(), t, p, argument="y0")
    u = torch.zeros(2, 3, 1)
    assert_clear_error(add_observation_noise, u[0], 0.1, argument="u")
    assert_clear_error(add_observation_noise, u, -0.1, argument="level")
    assert_clear_error(add_observation_noise, u, 0.1, kind="poisson", argument="kind")
    assert_clear_error(add_observation_noise, u, 0.1, generator=3, argument="generator")
    with pytest.raises(UnknownNameError):
        get_family("lorenz84")
    assert_clear_error(ODEFamily, "x", 2, "u_0", (), (0.0,) * 2, (1.0,) * 2, argument="template")
    assert_clear_error(ODEFamily, "x", 1, "u_0", (), (0.0,), (1.0,), ood_spread=(0.0, 0.1),
                       argument="ood_spread")  # fmt: skip
    assert_clear_error(get_family("linear").param_box, "test", argument="split")
    assert resolve_families("chaotic3d")[0].name == ODE_SETS["chaotic3d"][0]
