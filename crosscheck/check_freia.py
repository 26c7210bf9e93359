"""FastFlow's coupling step (nnatlas.generative.AffineCoupling2d) vs FrEIA's AllInOneBlock.

FastFlow's reference implementations build each flow step from FrEIA's ``AllInOneBlock``
(``permute_soft=False``, ``affine_clamping=2.0``, a Conv-ReLU-Conv subnet). Copied weights:
the subnet convolutions, the global affine (``global_scale``, ``global_offset``: same softplus
parametrisation) and the permutation (FrEIA's 1x1-conv permutation matrix ``w_perm`` set to
ours, ``w[i, perm[i]] = 1``). Compared on random (2, 6, 7, 7) float32 maps, with random
non-zero weights everywhere: the output, the log-determinant (our per-pixel map summed over
pixels vs FrEIA's per-sample value) and the inverse (``rev=True``). Tolerance 1e-5 relative to
the largest value (float32 convolutions of O(1) data; FrEIA's permutation matrix is float32).
"""

from __future__ import annotations

from _common import guarded, judge_max, row, setup, version

PEER = "freia"
COMPONENTS = ["FastFlow AffineCoupling2d"]
TOL = 1e-5


def body() -> list[dict[str, str]]:
    torch = setup()
    import FrEIA.modules as fm

    from nnatlas.generative import AffineCoupling2d

    peer = f"FrEIA {version('FrEIA')}"
    c, k = 6, 3
    ours = AffineCoupling2d(c, k, clamp=2.0, permutation_seed=3)

    def subnet(c_in: int, c_out: int) -> torch.nn.Module:
        return torch.nn.Sequential(torch.nn.Conv2d(c_in, c_in, k, padding=k // 2), torch.nn.ReLU(),
                                   torch.nn.Conv2d(c_in, c_out, k, padding=k // 2))  # fmt: skip

    theirs = fm.AllInOneBlock([(c, 7, 7)], subnet_constructor=subnet, affine_clamping=2.0,
                              permute_soft=False)  # fmt: skip
    with torch.no_grad():
        for p in ours.parameters():
            p.add_(0.3 * torch.randn_like(p))
        for a, b in zip(ours.subnet, theirs.subnet, strict=True):
            if isinstance(a, torch.nn.Conv2d):
                b.weight.copy_(a.weight)
                b.bias.copy_(a.bias)
        theirs.global_scale.copy_(ours.global_scale)
        theirs.global_offset.copy_(ours.global_offset)
        w = torch.zeros(c, c)
        w[torch.arange(c), ours.perm] = 1.0
        theirs.w_perm.copy_(w.view(c, c, 1, 1))
        theirs.w_perm_inv.copy_(w.T.contiguous().view(c, c, 1, 1))
        x = torch.randn(2, c, 7, 7)
        y, lj = ours(x)
        (yp,), ljp = theirs([x])
        xr, _ = ours.inverse(y)
        (xrp,), ljr = theirs([y], rev=True)
    d_out = ((y - yp).abs().max() / y.abs().max()).item()
    d_lj = ((lj.sum(dim=(1, 2)) - ljp).abs().max() / ljp.abs().max()).item()
    d_inv = ((xr - xrp).abs().max() / x.abs().max()).item()
    d_ljr = ((ljr + ljp).abs().max() / ljp.abs().max()).item()
    value = f"out {d_out:.1e}, log-det {d_lj:.1e}, inverse {d_inv:.1e}, inverse log-det {d_ljr:.1e}"
    return [row(COMPONENTS[0], peer, "max relative |Δ| of output, log-det, inverse (copied weights, float32)",
                value, judge_max(max(d_out, d_lj, d_inv, d_ljr), TOL))]  # fmt: skip


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
