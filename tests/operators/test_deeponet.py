"""DeepONet: the formula, layouts, stacked vs unstacked, multi-output, errors, training."""

from __future__ import annotations

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.operators.deeponet import DeepONet
from nnatlas.testing import check_module


def test_output_is_branch_dot_trunk_plus_bias():
    torch.manual_seed(0)
    net = DeepONet([6, 10, 5], [1, 10, 5], dtype=torch.float64)
    with torch.no_grad():
        net.bias.fill_(0.25)
    u, y = torch.randn(4, 6, dtype=torch.float64), torch.rand(4, 1, dtype=torch.float64)
    expected = (net.branch_features(u) * net.trunk_features(y)).sum(-1) + 0.25
    torch.testing.assert_close(net(u, y), expected)
    # trunk's last layer is activated (ReLU >= 0); branch's last layer is linear (any sign).
    assert float(net.trunk_features(y).detach().min()) >= 0
    assert (
        sum(p.numel() for p in net.parameters())
        == (6 * 10 + 10 + 10 * 5 + 5) + (10 + 10 + 50 + 5) + 1
    )


def test_layouts_agree():
    torch.manual_seed(1)
    net = DeepONet([6, 8, 4], [2, 8, 4], dtype=torch.float64)
    u, grid = torch.randn(3, 6, dtype=torch.float64), torch.rand(5, 2, dtype=torch.float64)
    cart = net.cartesian(u, grid)
    assert cart.shape == (3, 5)
    per_fn = net.pointwise(u, grid.expand(3, 5, 2))
    torch.testing.assert_close(cart, per_fn)
    triples = net.pointwise(u.repeat_interleave(5, 0), grid.repeat(3, 1)).reshape(3, 5)
    torch.testing.assert_close(cart, triples)
    net.layout = "cartesian"
    torch.testing.assert_close(net(u, grid), cart)


def test_stacked_equals_independent_branch_nets():
    torch.manual_seed(2)
    net = DeepONet([5, 7, 3], [1, 6, 3], stacked=True, dtype=torch.float64)
    u = torch.randn(4, 5, dtype=torch.float64)
    feats = net.branch_features(u)
    assert feats.shape == (4, 3)
    l1, l2 = net.branch
    for k in range(3):
        h = torch.relu(u @ l1.weight[k] + l1.bias[k])
        torch.testing.assert_close(feats[:, k], (h @ l2.weight[k] + l2.bias[k])[:, 0])
    # p copies of [5, 7, 1]: many more parameters than one [5, 7, 3] branch.
    unstacked = DeepONet([5, 7, 3], [1, 6, 3])
    n_branch = lambda m: sum(p.numel() for p in m.branch.parameters())  # noqa: E731
    assert n_branch(net) == 3 * (5 * 7 + 7 + 7 + 1) and n_branch(unstacked) == 5 * 7 + 7 + 7 * 3 + 3


@pytest.mark.parametrize("strategy", ["split_both", "split_branch", "split_trunk"])
def test_multi_output_strategies(strategy):
    torch.manual_seed(3)
    k, p = 2, 3
    branch_out = k * p if strategy != "split_trunk" else p
    trunk_out = k * p if strategy != "split_branch" else p
    net = DeepONet(
        [4, 6, branch_out],
        [1, 6, trunk_out],
        num_outputs=k,
        multi_output=strategy,
        dtype=torch.float64,
    )
    u, y = torch.randn(3, 4, dtype=torch.float64), torch.rand(7, 1, dtype=torch.float64)
    out = net.cartesian(u, y)
    assert out.shape == (3, 7, 2)
    b = net.branch_features(u).reshape(3, -1, p)
    t = net.trunk_features(y).reshape(7, -1, p)
    for i in range(k):
        bi, ti = b[:, min(i, b.shape[1] - 1)], t[:, min(i, t.shape[1] - 1)]
        torch.testing.assert_close(out[..., i], bi @ ti.T + net.bias[i])
    assert net.pointwise(u, y[:3]).shape == (3, 2)


def test_errors_name_the_argument():
    with pytest.raises(ConfigError, match="same latent size"):
        DeepONet([4, 5], [1, 6])
    with pytest.raises(ConfigError, match="divisible"):
        DeepONet([4, 5], [1, 5], num_outputs=2)
    with pytest.raises(ConfigError, match="branch_sizes"):
        DeepONet([4], [1, 4])
    with pytest.raises(ConfigError, match="layout"):
        DeepONet([4, 4], [1, 4], layout="grid")  # type: ignore[arg-type]
    net = DeepONet([4, 4], [1, 4])
    with pytest.raises(ConfigError, match=r"u must have shape \(batch, 4\)"):
        net(torch.zeros(2, 3), torch.zeros(2, 1))
    with pytest.raises(ConfigError, match="batch = 2"):
        net(torch.zeros(2, 4), torch.zeros(3, 1))
    with pytest.raises(ConfigError, match="query dimension 1"):
        net(torch.zeros(2, 4), torch.zeros(2, 2))


def test_learns_antiderivative_of_linear_functions():
    # u(x) = a + b x on 10 sensors; G(u)(y) = a y + b y²/2 is linear in the sensor values and
    # the trunk only needs the basis {y, y²}: a small DeepONet must fit it closely.
    torch.manual_seed(4)
    x = torch.linspace(0, 1, 10)
    coef = torch.randn(256, 2)
    u = coef[:, :1] + coef[:, 1:] * x
    y = torch.rand(256, 1)
    s = coef[:, :1] * y + coef[:, 1:] * y**2 / 2
    net = DeepONet([10, 32, 16], [1, 32, 16], activation="tanh")
    opt = torch.optim.Adam(net.parameters(), lr=5e-3)
    for _ in range(250):
        opt.zero_grad()
        loss = (net(u, y) - s[:, 0]).pow(2).mean()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 1e-2 * float(s.var())


def test_conformance():
    check_module(
        lambda dtype: DeepONet([3, 5, 4], [2, 5, 4], stacked=True, dtype=dtype),
        lambda dtype: (torch.randn(2, 3, dtype=dtype), torch.rand(2, 6, 2, dtype=dtype)),
        name="DeepONet-test",
    )
    check_module(
        lambda dtype: DeepONet([3, 4], [1, 5, 4], layout="cartesian", bias=False, dtype=dtype),
        lambda dtype: (torch.randn(2, 3, dtype=dtype), torch.rand(6, 1, dtype=dtype)),
        name="DeepONet-cartesian-test",
    )
