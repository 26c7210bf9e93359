"""MIP hypernetwork (nnatlas.param.HyperModel) vs the official ``hyperlight`` package.

Two comparisons on the paper's example architecture (primary MLP 8-32-32-1 with LeakyReLU,
every Linear generated; hypernetwork hidden 16-64-128, cos|sin encoding, output residual):

1. *Copied weights* (float64): our hypernetwork's backbone and output layer (whose bias is
   θ₀) are copied into hyperlight's ``HyperNet``; for five γ in [0, 1] we compare the generated
   weights, the primary network's output and the gradient of a loss with respect to every
   hypernetwork parameter. Tolerance 1e-12 (identical float64 operations).
2. *Initialisation* (the part of MIP that is a distribution, not a function): over 200 seeds,
   the RMS of the generated update Δθ = θ(γ) - θ₀ at γ = 0.5 for each generated tensor, ours
   vs hyperlight's own ``HyperNet(...)`` init. Agree when every per-tensor ratio of means is
   within 3 standard errors of 1 (the standard error from the two samples' spreads).
"""

from __future__ import annotations

import copy
import math

from _common import guarded, judge_max, mean_std, row, setup, version

PEER = "hyperlight"
COMPONENTS = ["MIP HyperNetwork (copied weights)", "MIP HyperNetwork (initialisation)"]
TOL = 1e-12
SEEDS = 200


def primary(torch, width: int = 32):  # type: ignore[no-untyped-def]
    nn = torch.nn
    return nn.Sequential(nn.Linear(8, width), nn.LeakyReLU(), nn.Linear(width, width),
                         nn.LeakyReLU(), nn.Linear(width, 1))  # fmt: skip


def peer_pair(torch, hl, base):  # type: ignore[no-untyped-def]
    linears = [m for m in base.modules() if isinstance(m, torch.nn.Linear)]
    main = hl.hypernetize(base, modules=linears)
    hyper = hl.HyperNet(input_shapes={"g": (1,)}, output_shapes=main.external_shapes(),
                        hidden_sizes=[16, 64, 128], encoding="cos|sin")  # fmt: skip
    return main, hyper


def body() -> list[dict[str, str]]:
    torch = setup()
    import hyperlight as hl

    from nnatlas.param import HyperModel

    peer = f"hyperlight {version('hyperlight')}"
    rows = []

    # 1. copied weights
    base = primary(torch).double()
    ours = HyperModel(copy.deepcopy(base), 1, hidden=(16, 64, 128)).double()
    main, hyper = peer_pair(torch, hl, copy.deepcopy(base))
    hyper = hyper.double()
    if list(main.external_shapes()) != list(ours.hypernet.output_shapes):
        raise RuntimeError(f"generated tensors differ: {list(main.external_shapes())} vs "
                           f"{list(ours.hypernet.output_shapes)}")  # fmt: skip
    ours_lin = [m for m in [*ours.hypernet.backbone, ours.hypernet.output]
                if isinstance(m, torch.nn.Linear)]  # fmt: skip
    peer_lin = [m for m in hyper.backbone if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for a, b in zip(ours_lin, peer_lin, strict=True):
            b.weight.copy_(a.weight)
            b.bias.copy_(a.bias)
    x = torch.randn(16, 8, dtype=torch.float64)
    dw = dout = dgrad = 0.0
    for g in (0.0, 0.1, 0.5, 0.9, 1.0):
        gamma = torch.tensor([g], dtype=torch.float64)
        wo, wp = ours.generate(gamma), hyper(g=gamma)
        dw = max(dw, max((wo[k] - wp[k].reshape(wo[k].shape)).abs().max().item() for k in wo))
        ours.zero_grad()
        hyper.zero_grad()
        yo = ours(x, gamma)
        with main.using_externals(wp):
            yp = main(x)
        dout = max(dout, (yo - yp).abs().max().item())
        yo.square().mean().backward()
        yp.square().mean().backward()
        dgrad = max(dgrad, max((a.weight.grad - b.weight.grad).abs().max().item()
                               for a, b in zip(ours_lin, peer_lin, strict=True)))  # fmt: skip
    worst = max(dw, dout, dgrad)
    rows.append(row(COMPONENTS[0], peer,
                    "max |Δ| of generated weights, primary output, hypernet grads (float64, 5 γ)",
                    f"weights {dw:.1e}, output {dout:.1e}, grads {dgrad:.1e}",
                    judge_max(worst, TOL)))  # fmt: skip

    # 2. initialisation statistics
    gamma = torch.tensor([0.5])
    rms: dict[str, tuple[list[float], list[float]]] = {}
    for seed in range(SEEDS):
        torch.manual_seed(seed)
        net = primary(torch)
        o = HyperModel(copy.deepcopy(net), 1, hidden=(16, 64, 128))
        torch.manual_seed(10_000 + seed)
        _, h = peer_pair(torch, hl, copy.deepcopy(net))
        with torch.no_grad():
            wo, wp = o.generate(gamma), h(g=gamma)
            t0o = o.hypernet.independent_weights()
            t0p = h.get_independent_weights()
            for k in wo:
                a = (wo[k] - t0o[k]).pow(2).mean().sqrt().item()
                b = (
                    (wp[k].reshape(wo[k].shape) - t0p[k].reshape(wo[k].shape))
                    .pow(2)
                    .mean()
                    .sqrt()
                    .item()
                )
                rms.setdefault(k, ([], []))
                rms[k][0].append(a)
                rms[k][1].append(b)
    parts, zmax = [], 0.0
    for k, (a, b) in rms.items():
        if max(b) == 0.0 and max(a) == 0.0:
            parts.append(f"{k} 0 = 0")  # bias blocks start at zero in both
            continue
        ma, sa = mean_std(a)
        mb, sb = mean_std(b)
        ratio = ma / mb
        se = ratio * math.sqrt((sa / ma) ** 2 / len(a) + (sb / mb) ** 2 / len(b))
        zmax = max(zmax, abs(ratio - 1) / se)
        parts.append(f"{k} {ratio:.3f}±{se:.3f}")
    rows.append(row(COMPONENTS[1], peer,
                    "RMS of generated Δθ at init, ours/hyperlight per tensor (200 seeds)",
                    ", ".join(parts), "agree" if zmax <= 3.0 else "disagree",
                    f"max |ratio-1| = {zmax:.1f} standard errors"))  # fmt: skip
    return rows


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
