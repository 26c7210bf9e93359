"""Gated-ReLU and ReLU convex programs (nnatlas.train) vs pyscnn (pilancilab/scnn), same gates.

Data: 60 points of two spirals (``nnatlas.data.spirals``), targets ±1, the bias as an input
column, Gaussian gates from our ``sample_gates`` (300 directions, de-duplicated), β = 0.1. pyscnn
gets exactly these gates (``ConvexGatedReLU(G, bias=False)`` / ``ConvexReLU(G, bias=False)``,
``unitize_data=False``, float64) and the regulariser β/n because it averages the loss over the
data (it re-orders the gates by pattern, so its returned gates are used with its weights). Every
objective is evaluated by *our* formula on the solver's own weights, and pyscnn's
predictions are compared with our formula's predictions at pyscnn's weights (a check of the
model definition itself).

* Gated ReLU: ours R-FISTA vs pyscnn's R-FISTA, both to tight tolerances; agree when the
  objectives' relative gap is ≤ 1e-4 (both near-optimal for a strictly convex-in-prediction,
  group-lasso problem whose optimum value is unique).
* ReLU (constrained) program: our ADMM (``admm_convex_relu``) vs pyscnn's augmented Lagrangian,
  same patterns D_i = 1[X̃ h_i ≥ 0]; agree when the relative gap is ≤ 1e-3 (ADMM at tol 1e-6;
  our ``admm-optimality`` claim asks 1 %), with the constraint violation of both reported and,
  where cvxpy is installed in the venv, the interior-point optimum beside them.
"""

from __future__ import annotations

import logging

from _common import guarded, row, setup, version

PEER = "pyscnn"
COMPONENTS = ["gated ReLU program (R-FISTA)", "convex ReLU program (ADMM)"]


def body() -> list[dict[str, str]]:
    torch = setup()
    import numpy as np
    from scnn.metrics import Metrics
    from scnn.models import ConvexGatedReLU, ConvexReLU
    from scnn.optimize import optimize_model
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import AL, RFISTA

    from nnatlas.data import spirals
    from nnatlas.train import (
        admm_convex_relu,
        convex_objective,
        gated_relu_fista,
        gated_relu_objective,
    )
    from nnatlas.train.gated_relu import sample_gates

    logging.getLogger("scnn").setLevel(logging.WARNING)
    peer = f"pyscnn {version('pyscnn')}"
    beta, n = 0.1, 60
    x, y = spirals(n, seed=0)
    x, y = x.double(), 2 * y.double() - 1
    gates = sample_gates(x, 300, generator=torch.Generator().manual_seed(0))
    xb = torch.cat([x, torch.ones(n, 1, dtype=x.dtype)], 1)
    xn, yn, gn = xb.numpy(), y.numpy()[:, None], gates.numpy()
    rows = []

    # gated ReLU
    ours = gated_relu_fista(x, y, beta=beta, gates=gates, max_iter=50_000, tol=1e-9)
    model = ConvexGatedReLU(gn, c=1, bias=False)
    fitted, _ = optimize_model(model, RFISTA(model, max_iters=50_000, tol=1e-12), Metrics(), xn, yn,
                               regularizer=NeuronGL1(beta / n), unitize_data=False,
                               dtype="float64", return_convex=True)  # fmt: skip
    u_peer = torch.from_numpy(np.asarray(fitted.parameters[0])[0]).T.contiguous()  # (d+1, P)
    # pyscnn re-orders the gates (np.unique over patterns): evaluate with the gates it returns.
    g_peer = torch.from_numpy(np.asarray(fitted.G)).double()
    same = g_peer.shape == gates.shape and bool(
        torch.equal(
            torch.unique((xb @ g_peer >= 0).T, dim=0), torch.unique((xb @ gates >= 0).T, dim=0)
        )
    )
    if not same:
        raise RuntimeError("pyscnn's gates give other patterns than ours")
    obj_peer = gated_relu_objective(x, y, u_peer, g_peer, beta)
    pred_ours_formula = ((xb @ g_peer >= 0) * (xb @ u_peer)).sum(1)
    pred_diff = (
        (pred_ours_formula - torch.from_numpy(np.asarray(fitted(xn)).ravel())).abs().max().item()
    )
    gap = (ours.objective - obj_peer) / obj_peer
    rows.append(row(COMPONENTS[0], peer,
                    "relative objective gap (ours − pyscnn)/pyscnn at the same gates; prediction Δ",
                    f"{gap:+.1e} (ours {ours.objective:.6f}, pyscnn {obj_peer:.6f}); pred Δ {pred_diff:.1e}",
                    "agree" if abs(gap) <= 1e-4 and pred_diff <= 1e-10 else "disagree",
                    f"P = {gates.shape[1]} gates"))  # fmt: skip

    # ReLU program (constrained)
    patterns = xb @ gates >= 0
    sol = admm_convex_relu(x, y, beta=beta, patterns=patterns, max_iter=20_000, tol=1e-6)
    model = ConvexReLU(gn, c=1, bias=False)
    fitted, _ = optimize_model(model, AL(model, tol=1e-10, constraint_tol=1e-10), Metrics(), xn, yn,
                               regularizer=NeuronGL1(beta / n), unitize_data=False,
                               dtype="float64", return_convex=True)  # fmt: skip
    v = torch.from_numpy(np.asarray(fitted.parameters[0])[0])  # (P, d+1)
    w = torch.from_numpy(np.asarray(fitted.parameters[1])[0])
    p_peer = xb @ torch.from_numpy(np.asarray(fitted.G)).double() >= 0
    obj_peer = convex_objective(xb, y, v, w, p_peer, beta)
    sign = 2 * p_peer.double() - 1  # constraints (2D_i − I) X̃ v_i ≥ 0
    viol_peer = max((-(sign * (xb @ v.T))).clamp_min(0).max().item(),
                    (-(sign * (xb @ w.T))).clamp_min(0).max().item())  # fmt: skip
    obj_ours = sol.objective
    gap = (obj_ours - obj_peer) / obj_peer
    try:  # the interior-point optimum, when cvxpy is in this venv (setup_peers.sh installs it)
        from nnatlas.train import cvxpy_reference

        ref = cvxpy_reference(x, y, patterns, beta)
        ref_note = (f"; CVXPY optimum {ref:.6f}: ours {(obj_ours - ref) / ref:+.1e}, "
                    f"pyscnn {(obj_peer - ref) / ref:+.1e}")  # fmt: skip
        if obj_peer < ref and viol_peer > 1e-6:
            ref_note += " (pyscnn's point is infeasible, below the optimum: the gap is the peer's)"
    except ImportError as exc:
        ref_note = f"; no CVXPY reference ({exc})"
    rows.append(row(COMPONENTS[1], peer,
                    "relative objective gap (ours ADMM − pyscnn AL)/pyscnn at the same patterns",
                    f"{gap:+.1e} (ours {obj_ours:.6f}, pyscnn {obj_peer:.6f})",
                    "agree" if abs(gap) <= 1e-3 else "disagree",
                    f"constraint violation: ours {sol.constraint_violation:.1e} (relative), "
                    f"pyscnn {viol_peer:.1e} (absolute); ADMM {sol.iterations} iterations{ref_note}"))  # fmt: skip
    return rows


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
