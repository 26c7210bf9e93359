"""Numerical checks of the random-subspace projections and SubspaceModel."""

from __future__ import annotations

import pytest
import scipy.linalg
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from nnatlas.core.errors import ConfigError
from nnatlas.train import (
    DenseProjection,
    FastfoodProjection,
    IdentityProjection,
    SparseProjection,
    SubspaceModel,
    fwht,
    make_projection,
)

KINDS = ("dense", "sparse", "fastfood")


def mlp(dtype: torch.dtype = torch.float64) -> nn.Module:
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).to(dtype)


def cnn(dtype: torch.dtype = torch.float64) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1),
        nn.BatchNorm2d(3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(12, 4),
    ).to(dtype)


def inputs(name: str, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1)
    shape = (6, 5) if name == "mlp" else (6, 1, 4, 4)
    return torch.randn(shape, generator=gen, dtype=dtype)


# ----------------------------------------------------------------------------- FWHT


@pytest.mark.parametrize("length", [1, 2, 8, 64, 512])
@pytest.mark.parametrize("block", [2, 4, 16])
def test_fwht_matches_explicit_hadamard_and_is_self_inverse(length: int, block: int) -> None:
    x = torch.randn(3, length, dtype=torch.float64)
    hadamard = torch.as_tensor(scipy.linalg.hadamard(length), dtype=torch.float64)
    y = fwht(x, block=block)
    torch.testing.assert_close(y, x @ hadamard, rtol=0, atol=1e-12 * length)
    torch.testing.assert_close(fwht(y, block=block) / length, x, rtol=0, atol=1e-12)


def test_fwht_keeps_leading_dims_and_is_differentiable() -> None:
    x = torch.randn(2, 3, 32, dtype=torch.float64, requires_grad=True)
    assert fwht(x).shape == (2, 3, 32)
    assert torch.autograd.gradcheck(lambda t: fwht(t, block=4), (x,))


@pytest.mark.parametrize("length", [0, 3, 12, 100])
def test_fwht_rejects_non_power_of_two(length: int) -> None:
    with pytest.raises(ValueError, match=r"x must have a last dimension that is a power of two"):
        fwht(torch.zeros(length))


# ----------------------------------------------------------------------------- projections


def test_dense_and_sparse_columns_have_exactly_unit_norm() -> None:
    for kind in ("dense", "sparse"):
        p = make_projection(kind, 700, 30, seed=3, dtype=torch.float64).to_dense()
        torch.testing.assert_close(p.norm(dim=0), torch.ones(30, dtype=torch.float64))


def test_fastfood_columns_have_unit_norm_on_average() -> None:
    norms = torch.cat(
        [
            FastfoodProjection(700, 30, seed=s, dtype=torch.float64).to_dense().square().sum(0)
            for s in range(20)
        ]
    )
    assert abs(float(norms.mean()) - 1.0) < 0.02
    assert float(norms.std()) < 0.1  # close to unit norm individually too


@pytest.mark.parametrize("kind", KINDS)
def test_norm_preserved_in_expectation_over_seeds(kind: str) -> None:
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(12, generator=gen, dtype=torch.float64)
    ratios = (
        torch.tensor(
            [
                float(make_projection(kind, 300, 12, seed=s, dtype=torch.float64)(z).square().sum())
                for s in range(400)
            ]
        )
        / z.square().sum()
    )
    assert abs(float(ratios.mean()) - 1.0) < 0.03


def test_sparse_density_and_values() -> None:
    d_full, d, density = 4000, 50, 0.02
    proj = SparseProjection(d_full, d, density=density, seed=1, dtype=torch.float64)
    assert proj.matrix.layout == torch.sparse_coo
    expected = d_full * d * density
    assert abs(proj.nnz - expected) < 4 * expected**0.5
    dense = proj.to_dense()
    counts = (dense != 0).sum(0)
    # Entries of a column with k non-zeros are ±1/√k, signs balanced.
    torch.testing.assert_close(dense.abs().sum(0), counts.double().sqrt())
    positive = float((dense > 0).sum()) / proj.nnz
    assert abs(positive - 0.5) < 0.03
    assert SparseProjection(10_000, 3).density == pytest.approx(0.01)


def test_sparse_fills_empty_columns() -> None:
    # With D=4 and s=0.01 nearly every column draws no entry; each must still get one.
    dense = SparseProjection(4, 4, density=0.01, seed=0, dtype=torch.float64).to_dense()
    torch.testing.assert_close(dense.norm(dim=0), torch.ones(4, dtype=torch.float64))


def test_sparse_matvec_backends_agree() -> None:
    fast = SparseProjection(500, 20, seed=4, dtype=torch.float64)
    ref = SparseProjection(500, 20, seed=4, dtype=torch.float64, matvec="torch.sparse")
    z = torch.randn(3, 20, dtype=torch.float64)
    torch.testing.assert_close(fast(z), ref(z), rtol=0, atol=1e-14)
    torch.testing.assert_close(fast(z[0]), fast.to_dense() @ z[0], rtol=0, atol=1e-14)


def test_fastfood_equals_its_explicit_matrix() -> None:
    d_full, d = 100, 7
    proj = FastfoodProjection(d_full, d, seed=5, dtype=torch.float64)
    eye = torch.eye(d, dtype=torch.float64)
    pushed = torch.stack([proj(eye[j]) for j in range(d)], dim=1)  # (D, d)
    z = torch.randn(d, dtype=torch.float64)
    torch.testing.assert_close(proj(z), pushed @ z, rtol=0, atol=1e-13)
    torch.testing.assert_close(proj.to_dense(), pushed, rtol=0, atol=1e-13)
    # Independent construction from the stored diagonals: (H G Π H B)[:D, :d].
    length = proj.padded_dim
    assert length == 128
    hadamard = torch.as_tensor(scipy.linalg.hadamard(length), dtype=torch.float64)
    permute = torch.eye(length, dtype=torch.float64)[proj.perm]
    full = hadamard @ torch.diag(proj.gauss) @ permute @ hadamard @ torch.diag(proj.signs)
    torch.testing.assert_close(pushed, full[:d_full, :d], rtol=0, atol=1e-13)


def test_fastfood_memory_is_linear_in_D() -> None:
    proj = FastfoodProjection(3000, 1000, seed=0)
    assert proj.padded_dim == 4096
    assert sum(b.numel() for b in proj.buffers()) == 3 * 4096


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_matrix(kind: str) -> None:
    a = make_projection(kind, 200, 9, seed=11).to_dense()
    b = make_projection(kind, 200, 9, seed=11).to_dense()
    c = make_projection(kind, 200, 9, seed=12).to_dense()
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # float64 draws the same P (up to float32 rounding) and the global RNG is untouched.
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    wide = make_projection(kind, 200, 9, seed=11, dtype=torch.float64).to_dense()
    assert torch.equal(torch.rand(1), before)
    torch.testing.assert_close(wide.float(), a, rtol=1e-5, atol=1e-6)


def test_projection_state_regenerates_saved_seed() -> None:
    src = SparseProjection(300, 10, seed=1, density=0.2)
    dst = SparseProjection(300, 10, seed=2, density=0.1)
    dst.load_state_dict(src.state_dict())
    assert (dst.seed, dst.density) == (1, 0.2)
    assert torch.equal(dst.to_dense(), src.to_dense())
    with pytest.raises(ValueError, match="subspace_dim"):
        SparseProjection(300, 11).load_state_dict(src.state_dict())


def test_make_projection_rejects_unknown_kind() -> None:
    assert issubclass(ConfigError, ValueError)
    with pytest.raises(ConfigError, match=r"kind must be one of .*'dense'.*got 'gauss'"):
        make_projection("gauss", 10, 2)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (
            lambda: DenseProjection(10, 0),
            r"subspace_dim must be an int in \[1, full_dim=10\]; got 0",
        ),
        (lambda: DenseProjection(10, 11), r"subspace_dim .*full_dim=10.*got 11"),
        (lambda: DenseProjection(0, 1), r"full_dim must be an int >= 1; got 0"),
        (lambda: SparseProjection(10, 2, density=1.5), r"density must be in \(0, 1\]; got 1.5"),
        (lambda: make_projection("identity", 10, 3), r"subspace_dim == full_dim=10"),
        (lambda: FastfoodProjection(10, 2, block=3), r"block must be a power of two"),
    ],
)
def test_projection_argument_errors(build, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()


def test_projection_rejects_wrong_z_shape_and_non_int() -> None:
    with pytest.raises(ValueError, match=r"last dimension subspace_dim=4; got shape \(5,\)"):
        DenseProjection(10, 4)(torch.zeros(5))
    with pytest.raises(TypeError, match="subspace_dim must be an int; got float"):
        DenseProjection(10, 4.0)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- SubspaceModel


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_gradient_wrt_z_matches_finite_differences(kind: str, arch: str) -> None:
    module = mlp() if arch == "mlp" else cnn()
    model = SubspaceModel(module, 5, projection=kind, seed=2)
    x = inputs(arch)
    z0 = 0.3 * torch.randn(5, dtype=torch.float64)

    def outputs(z: torch.Tensor) -> torch.Tensor:
        return functional_call(model, {"z": z}, (x,))

    assert torch.autograd.gradcheck(outputs, (z0.requires_grad_(),), eps=1e-6, atol=1e-7)


def test_identity_projection_reproduces_ordinary_training() -> None:
    torch.manual_seed(3)
    module = cnn()
    model = SubspaceModel(
        module, sum(p.numel() for p in module.parameters()), projection="identity"
    )
    x = torch.randn(40, 1, 4, 4, dtype=torch.float64)
    y = torch.randint(0, 4, (40,))
    opt_direct = torch.optim.SGD(module.parameters(), lr=0.05, momentum=0.9)
    opt_sub = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for step in range(25):
        batch = slice(8 * (step % 5), 8 * (step % 5) + 8)
        losses = []
        for net, opt in ((module, opt_direct), (model, opt_sub)):
            opt.zero_grad()
            loss = F.cross_entropy(net(x[batch]), y[batch])
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        assert abs(losses[0] - losses[1]) <= 1e-10
    direct = torch.cat([p.detach().reshape(-1) for p in module.parameters()])
    torch.testing.assert_close(model.flat_parameters().detach(), direct, rtol=0, atol=1e-10)
    # The BatchNorm running statistics went through the same updates.
    torch.testing.assert_close(model.module[1].running_mean, module[1].running_mean)
    assert float(direct.sub(model.theta0).abs().max()) > 1e-2  # training moved θ


def test_only_z_is_trainable_and_state_dict_has_no_projection_matrix() -> None:
    model = SubspaceModel(cnn(), 6, projection="dense")
    assert [n for n, _ in model.named_parameters()] == ["z"]
    assert torch.equal(model.z, torch.zeros(6, dtype=torch.float64))
    keys = set(model.state_dict())
    assert {"z", "theta0", "module.1.running_mean", "projection._extra_state"} <= keys
    assert not any("matrix" in k for k in keys)
    assert model.full_dim == 30 + 6 + 52 and model.subspace_dim == 6
    assert model.flat_parameters().shape == (88,)


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_round_trip_gives_identical_outputs(kind: str) -> None:
    torch.manual_seed(0)
    model = SubspaceModel(cnn(), 7, projection=kind, seed=1)
    x = inputs("cnn")
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    state = model.state_dict()
    torch.manual_seed(99)  # a different θ₀ and a different P in the fresh instance
    fresh = SubspaceModel(cnn(), 7, projection=kind, seed=5)
    fresh.load_state_dict(state)
    model.eval()
    fresh.eval()
    torch.testing.assert_close(fresh(x), model(x), rtol=0, atol=0)
    model.train()
    fresh.train()
    torch.testing.assert_close(fresh(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize("kind", [*KINDS, "identity"])
def test_materialize_matches_wrapper(kind: str) -> None:
    module = cnn()
    d = 88 if kind == "identity" else 9
    model = SubspaceModel(module, d, projection=kind)
    with torch.no_grad():
        model.z.normal_()
    x = inputs("cnn")
    model.train()
    model(x)  # update running statistics
    model.eval()
    plain = model.materialize()
    assert not isinstance(plain, SubspaceModel)
    assert sum(p.numel() for p in plain.parameters()) == 88
    torch.testing.assert_close(plain(x), model(x), rtol=0, atol=1e-14)
    # The input module was copied, not modified.
    assert all(isinstance(p, nn.Parameter) for p in module.parameters())


def test_batchnorm_buffers_follow_train_and_eval() -> None:
    model = SubspaceModel(cnn(), 4)
    x = inputs("cnn")
    model.eval()
    model(x)
    assert torch.equal(model.module[1].running_mean, torch.zeros(3, dtype=torch.float64))
    model.train()
    model(x)
    assert float(model.module[1].running_mean.abs().sum()) > 0
    assert int(model.module[1].num_batches_tracked) == 1


def test_include_projects_a_subset_and_freezes_the_rest() -> None:
    module = mlp()
    model = SubspaceModel(module, 4, include=lambda name, p: name.endswith("weight"))
    assert model.full_dim == 5 * 8 + 8 * 3
    x = inputs("mlp")
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    plain = model.materialize()
    assert torch.equal(plain[0].bias, module[0].bias)
    assert not torch.equal(plain[0].weight, module[0].weight)
    torch.testing.assert_close(plain(x), model(x), rtol=0, atol=1e-14)


def test_frozen_parameters_are_not_projected_by_default() -> None:
    module = mlp()
    module[2].requires_grad_(False)
    model = SubspaceModel(module, 3)
    assert model.full_dim == 5 * 8 + 8
    plain = model.materialize()
    assert not plain[2].weight.requires_grad and plain[0].weight.requires_grad


def test_tied_and_recurrent_modules() -> None:
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(5, 4)
            self.gru = nn.GRU(4, 4, batch_first=True)
            self.out = nn.Linear(4, 5, bias=False)
            self.out.weight = self.emb.weight

        def forward(self, idx: torch.Tensor) -> torch.Tensor:
            return self.out(self.gru(self.emb(idx))[0])

    module = Tied()
    model = SubspaceModel(module, 6, projection="fastfood")
    idx = torch.tensor([[0, 3, 1], [4, 2, 2]])
    assert model.full_dim == 20 + 2 * 48 + 2 * 12
    torch.testing.assert_close(model(idx), module(idx), rtol=0, atol=0)
    with torch.no_grad():
        model.z.normal_()
    plain = model.materialize()
    assert plain.out.weight is plain.emb.weight
    torch.testing.assert_close(plain(idx), model(idx), rtol=0, atol=0)


def test_dtype_conversion_and_custom_projection() -> None:
    model = SubspaceModel(mlp(torch.float32), 4, projection="fastfood").to(torch.float64)
    assert model.z.dtype == model.theta0.dtype == model.projection.gauss.dtype == torch.float64
    assert model(inputs("mlp")).dtype == torch.float64
    proj = SparseProjection(75, 4, density=0.5, seed=3)
    model = SubspaceModel(mlp(), 4, projection=proj)
    assert model.projection.matrix.dtype == torch.float64
    assert model.projection.density == 0.5


def test_absorb_keeps_the_function() -> None:
    model = SubspaceModel(mlp(), 4, projection="dense", seed=0)
    with torch.no_grad():
        model.z.normal_()
    x = inputs("mlp")
    before = model(x).detach()
    model.absorb(seed=1)
    assert torch.equal(model.z, torch.zeros(4, dtype=torch.float64))
    assert model.projection.seed == 1
    torch.testing.assert_close(model(x), before, rtol=0, atol=1e-14)


def test_identity_projection_is_identity() -> None:
    z = torch.randn(6)
    assert torch.equal(IdentityProjection(6)(z), z)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: SubspaceModel(mlp(), 0), ValueError, r"subspace_dim .*\[1, D .*=75\]; got 0"),
        (lambda: SubspaceModel(mlp(), 76), ValueError, r"subspace_dim .*=75\]; got 76"),
        (lambda: SubspaceModel(nn.ReLU(), 1), ValueError, "at least one parameter"),
        (
            lambda: SubspaceModel(mlp(), 3, projection="gauss"),
            ValueError,
            r"projection must .*got 'gauss'",
        ),
        (lambda: SubspaceModel(mlp(), 3, projection=3), TypeError, "str or a Projection; got int"),  # type: ignore[arg-type]
        (lambda: SubspaceModel("net", 3), TypeError, "torch.nn.Module; got str"),  # type: ignore[arg-type]
        (
            lambda: SubspaceModel(mlp(), 3, projection=DenseProjection(60, 3)),
            ValueError,
            "full_dim=75; got one mapping 3 to 60",
        ),
        (lambda: SubspaceModel(mlp(), 5, projection="identity"), ValueError, "full_dim=75"),
    ],
)
def test_subspace_model_argument_errors(call, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_reset_parameters_returns_to_theta0() -> None:
    model = SubspaceModel(mlp(), 4)
    with torch.no_grad():
        model.z.normal_()
    model.reset_parameters()
    assert torch.equal(model.flat_parameters(), model.theta0)
