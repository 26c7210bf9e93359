"""Embedded manifolds: exact geometry after the rotation, seeding, noise, digits, bad inputs."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.data.manifolds import (
    CURVE_NAMES,
    circle,
    curve,
    digits_cloud,
    random_rotation,
    torus,
)
from nnatlas.testing.bad_inputs import assert_clear_error


def test_rotation_is_orthogonal_and_seeded():
    q = random_rotation(7, seed=3)
    torch.testing.assert_close(q @ q.T, torch.eye(7, dtype=torch.float64), rtol=0, atol=1e-12)
    torch.testing.assert_close(q, random_rotation(7, seed=3), rtol=0, atol=0)
    assert not torch.allclose(q, random_rotation(7, seed=4))


def test_circle_points_lie_on_the_circle_in_a_plane():
    s = circle(500, radius=2.0, ambient_dim=6, seed=1, dtype=torch.float64)
    torch.testing.assert_close(s.x.norm(dim=1), torch.full((500,), 2.0, dtype=torch.float64))
    # rank 2: the centred points span a plane (third singular value at rounding level)
    sv = torch.linalg.svdvals(s.x - s.x.mean(0))
    assert float(sv[2]) < 1e-10 * float(sv[0])
    # the rotation is an isometry: undoing it gives the planar coordinates back
    planar = s.x @ s.rotation
    torch.testing.assert_close(planar[:, 0], 2 * s.params[:, 0].cos())
    torch.testing.assert_close(planar[:, 2:], torch.zeros(500, 4, dtype=torch.float64))


@pytest.mark.parametrize("name", CURVE_NAMES)
def test_curves_are_isometric_images_of_their_3d_coordinates(name):
    a = curve(300, name=name, ambient_dim=10, seed=2, dtype=torch.float64)
    b = curve(300, name=name, ambient_dim=3, seed=2, dtype=torch.float64)
    # the same parameters; pairwise distances do not depend on the embedding
    torch.testing.assert_close(a.params, b.params)
    torch.testing.assert_close(torch.cdist(a.x, a.x), torch.cdist(b.x, b.x))
    assert a.x.shape == (300, 10) and a.params.shape == (300, 1)


def test_helix_closed_form():
    s = curve(50, name="helix", ambient_dim=3, seed=0, dtype=torch.float64)
    local = s.x @ s.rotation
    t = s.params[:, 0]
    torch.testing.assert_close(local[:, 2], 2 * t - 1)
    torch.testing.assert_close(local[:, :2].norm(dim=1), torch.ones(50, dtype=torch.float64))


def test_torus_satisfies_its_implicit_equation():
    s = torus(400, radii=(2.0, 0.5), ambient_dim=5, seed=0, dtype=torch.float64)
    p = (s.x @ s.rotation)[:, :3]
    # (sqrt(x² + y²) - R)² + z² = r²
    lhs = (p[:, :2].norm(dim=1) - 2.0) ** 2 + p[:, 2] ** 2
    torch.testing.assert_close(lhs, torch.full((400,), 0.25, dtype=torch.float64))


def test_noise_is_isotropic_and_seeded():
    s = circle(4000, ambient_dim=4, noise=0.1, seed=5, dtype=torch.float64)
    e = s.x - s.clean
    # 16k draws: the sample sd is within 3 % of 0.1 with overwhelming probability
    assert float(e.std()) == pytest.approx(0.1, rel=0.03)
    torch.testing.assert_close(
        s.x, circle(4000, ambient_dim=4, noise=0.1, seed=5, dtype=torch.float64).x
    )
    assert circle(10, seed=0).x.dtype == torch.float32


def test_digits_cloud():
    train, test = digits_cloud(seed=0)
    assert train.shape[1] == 64 and train.shape[0] + test.shape[0] == 1797
    assert float(train.min()) >= 0 and float(train.max()) == 1.0


def test_bad_inputs_name_the_argument():
    assert_clear_error(circle, 0, argument="n")
    assert_clear_error(circle, 10, radius=0.0, argument="radius")
    assert_clear_error(circle, 10, ambient_dim=1, argument="ambient_dim")
    assert_clear_error(circle, 10, noise=-0.1, argument="noise")
    assert_clear_error(circle, 10, seed=-1, argument="seed")
    assert_clear_error(circle, 10, dtype=torch.int64, argument="dtype")
    assert_clear_error(curve, 10, name="spiral", argument="name")
    assert_clear_error(curve, 10, ambient_dim=2, argument="ambient_dim")
    assert_clear_error(torus, 10, radii=(0.5, 1.0), argument="radii")
    assert_clear_error(torus, 10, radii=(1.0, math.nan), argument="radii")
    assert_clear_error(random_rotation, 0, argument="dim")
    assert_clear_error(digits_cloud, test_size=1.5, argument="test_size")
