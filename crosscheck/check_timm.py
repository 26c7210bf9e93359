"""EvoNorm-B0 / S0 (nnatlas.nn) vs timm's EvoNorm2dB0 / EvoNorm2dS0 on copied weights.

Same random weights (gamma, beta, v perturbed away from their init so every term matters), same
float32 input (batch 4, 64 channels, 9x9, positive and negative values so both branches of
B0's max are taken), eps set to 1e-5 in both (timm's B0 default is 1e-3). Compared: the
train-mode output, the input gradient of a fixed random projection, the eval-mode output from
the same running variance, and the running-variance update (timm applies Bessel's n/(n-1),
the official TF code does not: we expect exactly that factor, and report it).

Tolerance: timm computes statistics in float32 like us here; the two differ only in reduction
order, so outputs agree to a few float32 ulps of O(1) values: 1e-5 absolute.
"""

from __future__ import annotations

from _common import guarded, import_skipping_init, judge_max, row, setup, version

PEER = "timm"
COMPONENTS = ["EvoNorm-B0", "EvoNorm-S0"]
TOL = 1e-5


def body() -> list[dict[str, str]]:
    torch = setup()
    evo = import_skipping_init("timm", "layers.evo_norm")
    EvoNorm2dB0, EvoNorm2dS0 = evo.EvoNorm2dB0, evo.EvoNorm2dS0

    from nnatlas.nn import EvoNormB0, EvoNormS0

    peer = f"timm {version('timm')}"
    c = 64
    x = torch.randn(4, c, 9, 9) * 2.0 + 0.3
    proj = torch.randn_like(x)
    rows = []
    for name, ours, theirs in (
        ("EvoNorm-B0", EvoNormB0(c, eps=1e-5), EvoNorm2dB0(c, eps=1e-5)),
        ("EvoNorm-S0", EvoNormS0(c, groups=32, eps=1e-5), EvoNorm2dS0(c, groups=32, eps=1e-5)),
    ):
        with torch.no_grad():
            for p in ours.parameters():
                p.add_(0.5 * torch.randn_like(p))
        missing = theirs.load_state_dict(ours.state_dict(), strict=False)
        if missing.missing_keys or missing.unexpected_keys:
            raise RuntimeError(f"state dicts differ: {missing}")
        diffs = {}
        grads = []
        for mod in (ours, theirs):
            mod.train()
            xi = x.clone().requires_grad_(True)
            out = mod(xi)
            (out * proj).sum().backward()
            grads.append((out.detach(), xi.grad))
        diffs["train out"] = (grads[0][0] - grads[1][0]).abs().max().item()
        diffs["input grad"] = (grads[0][1] - grads[1][1]).abs().max().item()
        note = ""
        if name == "EvoNorm-B0":
            # Running variance after one step from 1: ours 0.9 + 0.1 v, timm 0.9 + 0.1 v n/(n-1).
            n = x.numel() / c
            ours_upd = (ours.running_var - 0.9) / 0.1
            theirs_upd = (theirs.running_var - 0.9) / 0.1
            ratio = (theirs_upd / ours_upd).mean().item()
            note = f"running-var update ratio timm/ours {ratio:.6f} = n/(n-1) {n / (n - 1):.6f} (Bessel, documented)"
            with torch.no_grad():
                theirs.running_var.copy_(ours.running_var)
            ours.eval()
            theirs.eval()
            with torch.no_grad():
                diffs["eval out"] = (ours(x) - theirs(x)).abs().max().item()
        worst = max(diffs.values())
        value = ", ".join(f"{k} {v:.1e}" for k, v in diffs.items())
        rows.append(
            row(
                name,
                peer,
                "max |Δ| of outputs and input gradients, copied weights (float32)",
                value,
                judge_max(worst, TOL),
                note,
            )
        )
    return rows


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
