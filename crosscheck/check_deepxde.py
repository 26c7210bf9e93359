"""DeepONet (nnatlas.operators) vs DeepXDE's DeepONet / DeepONetCartesianProd (PyTorch backend).

Copied weights (DeepXDE's ``FNN.linears`` are plain ``nn.Linear`` layers, ours too), float64,
the same inputs; the output bias set to a non-zero value in both. Compared: the pointwise
(triples) output, the Cartesian-product output, the two-output ``split_both`` strategy, and
the gradient of an MSE loss with respect to every parameter (what training sees).

Tolerance: identical float64 operations up to summation order: 1e-12 absolute on O(1) values.
"""

from __future__ import annotations

import os

from _common import guarded, judge_max, row, setup, version

PEER = "deepxde"
COMPONENTS = ["DeepONet"]
TOL = 1e-12


def copy_mlp(ours, theirs_fnn) -> None:  # type: ignore[no-untyped-def]
    import torch

    with torch.no_grad():
        for a, b in zip(ours, theirs_fnn.linears, strict=True):
            a.weight.normal_(0.0, 0.5)
            a.bias.normal_(0.0, 0.1)
            b.weight.copy_(a.weight)
            b.bias.copy_(a.bias)


def body() -> list[dict[str, str]]:
    os.environ.setdefault("DDE_BACKEND", "pytorch")
    torch = setup()
    import deepxde as dde

    from nnatlas.operators import DeepONet

    peer = f"deepxde {version('deepxde')} (pytorch)"
    branch, trunk = [20, 32, 32, 16], [2, 32, 16]
    u, y = torch.randn(7, 20, dtype=torch.float64), torch.rand(7, 2, dtype=torch.float64)
    grid = torch.rand(11, 2, dtype=torch.float64)
    target = torch.randn(7, dtype=torch.float64)
    diffs = {}

    ours = DeepONet(branch, trunk, activation="tanh").double()
    theirs = dde.nn.DeepONet(branch, trunk, "tanh", "Glorot normal").double()
    copy_mlp(ours.branch, theirs.branch)
    copy_mlp(ours.trunk, theirs.trunk)
    with torch.no_grad():
        ours.bias.fill_(0.3)
        theirs.b[0].fill_(0.3)
    diffs["pointwise"] = (ours(u, y) - theirs((u, y))[:, 0]).abs().max().item()
    ((ours(u, y) - target) ** 2).mean().backward()
    ((theirs((u, y))[:, 0] - target) ** 2).mean().backward()
    pairs = [
        (a.weight.grad, b.weight.grad)
        for a, b in zip(ours.branch, theirs.branch.linears, strict=True)
    ]
    pairs += [
        (a.weight.grad, b.weight.grad)
        for a, b in zip(ours.trunk, theirs.trunk.linears, strict=True)
    ]
    pairs.append((ours.bias.grad[0], theirs.b[0].grad))
    diffs["MSE grads"] = max((a - b).abs().max().item() for a, b in pairs)

    cart = dde.nn.DeepONetCartesianProd(branch, trunk, "tanh", "Glorot normal").double()
    copy_mlp(ours.branch, cart.branch)
    copy_mlp(ours.trunk, cart.trunk)
    with torch.no_grad():
        cart.b[0].fill_(0.3)
    diffs["cartesian"] = (ours.cartesian(u, grid) - cart((u, grid))).abs().max().item()

    ours2 = DeepONet(branch, trunk, activation="relu", num_outputs=2,
                     multi_output="split_both").double()  # fmt: skip
    theirs2 = dde.nn.DeepONet(branch, trunk, "relu", "Glorot normal", num_outputs=2,
                              multi_output_strategy="split_both").double()  # fmt: skip
    copy_mlp(ours2.branch, theirs2.branch)
    copy_mlp(ours2.trunk, theirs2.trunk)
    with torch.no_grad():
        ours2.bias.copy_(torch.tensor([0.2, -0.4], dtype=torch.float64))
        theirs2.b[0].fill_(0.2)
        theirs2.b[1].fill_(-0.4)
    diffs["split_both K=2"] = (ours2(u, y) - theirs2((u, y))).abs().max().item()

    value = ", ".join(f"{k} {v:.1e}" for k, v in diffs.items())
    return [
        row(
            "DeepONet",
            peer,
            "max |Δ| of outputs and MSE gradients, copied weights (float64)",
            value,
            judge_max(max(diffs.values()), TOL),
        )
    ]


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
