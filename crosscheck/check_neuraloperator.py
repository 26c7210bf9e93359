"""FNO spectral convolutions (nnatlas.operators) vs neuraloperator's SpectralConv, copied weights.

The Fourier layer is what FNO is; the rest of either model (lifting, 1x1 skips, projection)
is pointwise and arranged differently in the two libraries, so we compare the layer itself.

Mapping (read from neuraloperator 2.0's SpectralConv): its ``n_modes`` counts modes on the
full spectrum, keeping ``n//2 + 1`` on the real-FFT axis and ``n`` centred ones (after an
``fftshift``) on the others. Our ``modes=m`` keeps frequencies 0..m-1 on the real-FFT axis and
-m1..m1-1 on the other (two blocks, ``weight_neg`` for the negative ones), so
``n_modes = (2*m1, 2*(m2-1))`` selects the same frequencies and its dense complex weight is
``cat([weight_neg, weight_pos], dim=2)``. Bias off; neuraloperator's ``fft_norm="forward"``
composes to the same map as our default normalisation (rfft scaled by 1/n, irfft not).

Tolerance: both run complex64 FFTs of O(1) data on 32-64 points; relative error of an
FFT-multiply-inverse pipeline is a few float32 ulps times log n: 1e-5 relative to max |out|.
"""

from __future__ import annotations

from _common import guarded, judge_max, row, setup, version

PEER = "neuraloperator"
COMPONENTS = ["FNO SpectralConv1d", "FNO SpectralConv2d"]
TOL = 1e-5


def body() -> list[dict[str, str]]:
    torch = setup()
    from neuralop.layers.spectral_convolution import SpectralConv

    from nnatlas.operators import SpectralConv1d, SpectralConv2d

    peer = f"neuraloperator {version('neuraloperator')}"
    rows = []

    ours1 = SpectralConv1d(3, 5, modes=8)
    theirs1 = SpectralConv(3, 5, n_modes=(2 * (8 - 1),), bias=False)
    with torch.no_grad():
        ours1.weight.normal_()
        theirs1.weight.tensor.copy_(torch.view_as_complex(ours1.weight))
    x1 = torch.randn(4, 3, 64)
    a, b = ours1(x1), theirs1(x1)
    rel = ((a - b).abs().max() / a.abs().max()).item()
    rows.append(
        row(
            COMPONENTS[0],
            peer,
            "max |Δ out| / max |out|, copied weights, n=64, modes 8",
            f"{rel:.1e}",
            judge_max(rel, TOL),
        )
    )

    m1, m2 = 6, 5
    ours2 = SpectralConv2d(3, 4, m1, m2)
    theirs2 = SpectralConv(3, 4, n_modes=(2 * m1, 2 * (m2 - 1)), bias=False)
    with torch.no_grad():
        ours2.weight_pos.normal_()
        ours2.weight_neg.normal_()
        w = torch.cat(
            [torch.view_as_complex(ours2.weight_neg), torch.view_as_complex(ours2.weight_pos)],
            dim=2,
        )
        theirs2.weight.tensor.copy_(w)
    x2 = torch.randn(2, 3, 32, 24)
    a, b = ours2(x2), theirs2(x2)
    rel = ((a - b).abs().max() / a.abs().max()).item()
    # Gradients too: the adjoint of the mode truncation is where ports often go wrong.
    g = torch.randn_like(a)
    xa = x2.clone().requires_grad_(True)
    xb = x2.clone().requires_grad_(True)
    (ours2(xa) * g).sum().backward()
    (theirs2(xb) * g).sum().backward()
    relg = ((xa.grad - xb.grad).abs().max() / xa.grad.abs().max()).item()
    rows.append(
        row(
            COMPONENTS[1],
            peer,
            "max |Δ| / max of output and input gradient, copied weights, 32x24, modes (6, 5)",
            f"out {rel:.1e}, grad {relg:.1e}",
            judge_max(max(rel, relg), TOL),
        )
    )
    return rows


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
