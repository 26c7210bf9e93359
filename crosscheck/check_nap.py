"""NAP mining (nnatlas.probes.mine_naps) vs the official code's definitions, re-stated in numpy.

The official code (allengeng123/reliable-neural-specifications, package ``neural_specs``) is
not on PyPI, has no licence and no snapshot could be fetched here, so it cannot be run. This
check instead re-states its definitions independently, in numpy, from our research notes
(Algorithm 1, δ-relaxed): a neuron is active on an input when its pre-activation is > 0 (0 is
inactive when mining); for class ℓ, p_i is the fraction of class-ℓ inputs on which neuron i is
active; i is fixed active if p_i ≥ δ and fixed inactive if p_i ≤ 1 − δ; an input satisfies
NAP_ℓ when every fixed-active neuron has pre-activation ≥ 0 and every fixed-inactive one ≤ 0
(the refactor's closed half-spaces). Pre-activations are read directly from the Linear layers,
not through our feature taps, so the check also covers which layers are read.

Data: scikit-learn digits, a 64-32-32-10 ReLU MLP trained 30 epochs by Adam (seconds); NAPs
mined on the training split with true labels, for δ = 0.9, 0.95, 0.99, 1.0. Compared: the fixed
masks (count of differing neurons, must be 0) and the held-out recall (must be equal).
Runs in the project's own interpreter (``PEER = "self"``): the peer is numpy.
"""

from __future__ import annotations

from _common import guarded, row, setup, version

PEER = "self"
COMPONENTS = ["NAP mining (mine_naps, NAP.contains)"]


def body() -> list[dict[str, str]]:
    torch = setup()
    import numpy as np
    from torch import nn

    from nnatlas.data import load_digits
    from nnatlas.probes import activation_patterns, mine_naps

    data = load_digits(seed=0)
    xtr, ytr, xte, yte = data.x_train, data.y_train, data.x_test, data.y_test
    xtr, xte = xtr.float(), xte.float()
    model = nn.Sequential(
        nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10)
    )
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(30):
        for idx in torch.randperm(len(xtr)).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
    model.eval()

    def pre_acts(x):  # type: ignore[no-untyped-def]
        with torch.no_grad():
            h1 = model[0](x)
            h2 = model[2](torch.relu(h1))
        return np.concatenate([h1.numpy(), h2.numpy()], axis=1)

    ptr, pte = pre_acts(xtr), pre_acts(xte)
    ytr_np, yte_np = ytr.numpy(), yte.numpy()
    mask_diff, recall_diff, parts = 0, 0.0, []
    for delta in (0.9, 0.95, 0.99, 1.0):
        naps = mine_naps(model, xtr, ytr, delta=delta)
        pats_te = activation_patterns(model, xte)
        hits_ours = hits_ref = total = 0
        for c in range(10):
            p = (ptr[ytr_np == c] > 0).mean(axis=0)
            act_ref, ina_ref = p >= delta, p <= 1 - delta
            mask_diff += int(
                (naps[c].active.numpy() != act_ref).sum()
                + (naps[c].inactive.numpy() != ina_ref).sum()
            )
            sel = yte_np == c
            ok = np.all((pte[sel][:, act_ref] >= 0), axis=1) & np.all(
                (pte[sel][:, ina_ref] <= 0), axis=1
            )
            hits_ref += int(ok.sum())
            hits_ours += int(naps[c].contains(pats_te[torch.from_numpy(sel)]).sum())
            total += int(sel.sum())
        r_ours, r_ref = hits_ours / total, hits_ref / total
        recall_diff = max(recall_diff, abs(r_ours - r_ref))
        parts.append(f"δ={delta}: recall {r_ours:.4f} vs {r_ref:.4f}")
    value = f"mask differences {mask_diff}; " + "; ".join(parts)
    verdict = "agree" if mask_diff == 0 and recall_diff == 0.0 else "disagree"
    return [
        row(
            COMPONENTS[0],
            f"official definitions re-stated in numpy {version('numpy')}",
            "differing fixed neurons (4 δ × 10 classes) and held-out recall",
            value,
            verdict,
            "official neural_specs code not runnable here: not on PyPI, no licence, no snapshot",
        )
    ]


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
