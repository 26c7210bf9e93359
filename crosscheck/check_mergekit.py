"""TIES merging (nnatlas.editing.trim_top / ties_merge) vs mergekit's ``ties`` method.

mergekit 0.1.5 (PyPI; its source files carry an LGPL-3.0 header) is called on in-memory tensors
only: ``mergekit.sparsify.magnitude`` (the trim step) and
``mergekit.merge_methods.merge_tensors(..., "ties")`` (the whole merge: ``GeneralizedTaskArithmeticMerge``
with magnitude sparsification, ``sum`` sign consensus, ``normalize`` on, ``rescale`` off, λ = 1;
no model files, no transformers).

Random task vectors τ_i = W_i - W_base (base ~ N(0, 1), τ_i ~ N(0, 0.1²): continuous values, so
no magnitude ties), shapes (100,), (20, 50), (4, 5, 30), (50, 40); densities 0.2, 0.5, 0.53
(WISE's default) and 1.0; 2 to 5 shards; weights: none (ours 1/k each, mergekit 1.0 each), the
WISE re-merge weights (0.6, 0.4/k', ...) and random weights in [0.1, 1]; float64 and float32.

Conventions, and how the comparison handles each:

* *Kept count*: ours keeps ``round(density · n)``, mergekit ``max(1, int(density · n))`` (floor).
  They differ when density · n is not an integer (the script records one such example).
  EasyEdit's ``merge/utils.py`` (WISE's reference code) floors too, ``int(density · n)``, and
  also ranks float32 magnitudes on CPU; ours rounds (and keeps 0 entries when density · n < 0.5);
  every compared shape has density · n integral, and the script asserts both counts agree.
* *Top-k selection*: ours ``topk`` of |τ| in the input dtype; mergekit ``argsort`` of |τ| cast to
  float32 on CPU. In float64 two magnitudes equal after the float32 cast can be ordered
  differently at the k-th place; a kept-mask mismatch is counted as this convention (and the
  entries involved are left out of the merge comparison) only if every mismatched entry has
  the float32 magnitude of the k-th kept entry. Any other mismatch is a disagreement.
* *Elected sign*: ours ``sign(Σ w_i τ_i)`` (0 where the sum is 0), mergekit ``+1`` where the
  sum is ≥ 0. The two differ only where the sum is exactly 0, where both merge to 0 (no trimmed
  entry is non-zero there, or none agrees). Where the exact sum is within rounding of 0,
  |Σ w_i τ_i| ≤ 8 m u Σ |w_i τ_i| (m shards, u the unit roundoff; evaluated in float64),
  the rounded sign may differ between the two (different weight scaling when none is given):
  those entries are counted and left out.
* *Weights and normalisation*: mergekit's ``normalize: true`` (the TIES default) divides by the
  sum of the agreeing weights, as ours always does; ``normalize: false`` (an unnormalised sum)
  and ``rescale`` (L1 rescaling after trimming, DARE's) have no counterpart in ours and are not
  compared; negative weights (allowed by mergekit) are refused by ours and not compared.
* Both subtract the base before trimming and add it back.

Error analysis (per entry, same kept masks and elected sign). The agreeing trimmed entries
share one sign and the weights are positive, so neither the numerator Σ w_i τ_i nor the
denominator Σ w_i cancels: each is computed with relative error ≤ (m + 1) u (m ≤ 5 products and
sums, plus u for a rounded 1/k weight), the quotient adds u, so each implementation's merged
task vector has relative error ≤ 2(m + 1) u + u ≤ 13 u and the two differ by ≤ 26 u·max|τ|; the
final ``base + merged`` adds ≤ u(|base| + |merged|) on each side. Bound: |Δ| ≤ 32 u (|base| +
max_i |τ_i|) entrywise (u = 2⁻⁵³ in float64, 2⁻²⁴ in float32). The trimmed tensors are exact
copies of entries of τ, so the trim row must agree exactly (|Δ| = 0) wherever the masks agree.
Verdict: **agree** when no mask mismatch is unexplained, the trim values agree exactly, and
every compared merged entry is within the bound (the value column gives the largest
|Δ| / (u (|base| + max|τ|)), to be ≤ 32).
"""

from __future__ import annotations

import itertools

from _common import guarded, row, setup, version

PEER = "mergekit"
COMPONENTS = ["TIES trim_top (magnitude trim)", "TIES ties_merge"]
SHAPES = [(100,), (20, 50), (4, 5, 30), (50, 40)]
DENSITIES = [0.2, 0.5, 0.53, 1.0]
SHARDS = [2, 3, 4, 5]
BOUND_ULPS = 32.0


def body() -> list[dict[str, str]]:
    torch = setup()
    from mergekit.merge_methods import merge_tensors
    from mergekit.sparsify import magnitude

    from nnatlas.editing import ties_merge, trim_top

    peer = f"mergekit {version('mergekit')}"
    gen = torch.Generator().manual_seed(0)
    n_cases = n_trim = 0
    trim_mismatch_f32_ties = trim_unexplained = trim_value_diff = 0
    sign_near_ties = excluded_entries = compared_entries = 0
    worst = {torch.float64: 0.0, torch.float32: 0.0}
    worst_abs = {torch.float64: 0.0, torch.float32: 0.0}

    for dtype, shape, density, k in itertools.product(
        (torch.float64, torch.float32), SHAPES, DENSITIES, SHARDS
    ):
        u = torch.finfo(dtype).eps / 2
        n = 1
        for s in shape:
            n *= s
        if round(density * n) != max(1, int(density * n)):
            raise RuntimeError(f"kept counts differ at n={n}, density={density}: not comparable")
        for wkind in ("none", "wise", "random"):
            base = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)
            taus = [0.1 * torch.randn(shape, generator=gen, dtype=torch.float64) for _ in range(k)]
            tuned = [(base.double() + t).to(dtype) for t in taus]
            if wkind == "none":
                w_ours, w_peer = None, [1.0] * k
            elif wkind == "wise":
                w_ours = [0.6, *[0.4 / (k - 1)] * (k - 1)]
                w_peer = list(w_ours)
            else:
                w_ours = (0.1 + 0.9 * torch.rand(k, generator=gen, dtype=torch.float64)).tolist()
                w_peer = list(w_ours)
            n_cases += 1

            # trim step, per shard
            keep_ok = torch.ones(shape, dtype=torch.bool)
            trimmed = []
            for t in tuned:
                tau = t - base
                ours_t, peer_t = trim_top(tau, density), magnitude(tau, density)
                trimmed.append(ours_t)
                n_trim += 1
                mo, mp = ours_t != 0, peer_t != 0
                if int(mo.sum()) != int(mp.sum()):
                    trim_unexplained += 1
                    continue
                bad = mo != mp
                if bool(bad.any()):
                    a32 = tau.abs().float()
                    kth = a32[mo].min()
                    if bool((a32[bad] == kth).all()):
                        trim_mismatch_f32_ties += 1
                        keep_ok &= ~bad
                    else:
                        trim_unexplained += 1
                same = mo == mp
                if not torch.equal(ours_t[same], peer_t[same]):
                    trim_value_diff += 1

            # whole merge
            ours = ties_merge(base, tuned, density=density, weights=w_ours)
            theirs = merge_tensors(
                [base, *tuned], "ties", base_index=0,
                parameters={"density": density, "weight": w_peer, "normalize": True},
            )  # fmt: skip
            if theirs.dtype != dtype or theirs.shape != base.shape:
                raise RuntimeError(f"mergekit returned {theirs.dtype} {tuple(theirs.shape)}")
            wt = torch.tensor(w_ours or [1.0 / k] * k, dtype=torch.float64)
            wt = wt.view(-1, *([1] * len(shape)))
            tr = torch.stack(trimmed).double() * wt
            near = tr.sum(0).abs() <= 8 * k * u * tr.abs().sum(0)
            near &= tr.abs().sum(0) > 0
            sign_near_ties += int(near.sum())
            use = keep_ok & ~near
            excluded_entries += int((~use).sum())
            compared_entries += int(use.sum())
            scale = base.double().abs() + torch.stack(taus).abs().amax(0)
            diff = (ours.double() - theirs.double()).abs()
            ratio = (diff / (u * scale))[use]
            if ratio.numel():
                worst[dtype] = max(worst[dtype], ratio.max().item())
                worst_abs[dtype] = max(worst_abs[dtype], diff[use].max().item())

    # one documented example where the kept-count conventions differ (not compared)
    ex = torch.randn(64, generator=gen, dtype=torch.float64)
    k_ours = int((trim_top(ex, 0.2) != 0).sum())
    k_peer = int((magnitude(ex, 0.2) != 0).sum())

    trim_ok = trim_unexplained == 0 and trim_value_diff == 0
    rows = [
        row(COMPONENTS[0], peer,
            f"kept masks and kept values of |τ| top-k ({n_trim} task vectors: 4 shapes, "
            "density 0.2/0.5/0.53/1, float64+float32)",
            f"masks differ: {trim_unexplained} unexplained, {trim_mismatch_f32_ties} at a "
            f"float32 magnitude tie (mergekit sorts float32); kept values differ in "
            f"{trim_value_diff}", "agree" if trim_ok else "disagree",
            f"kept count: ours round(d·n), mergekit floor(d·n) (n=64, d=0.2: {k_ours} vs "
            f"{k_peer}); compared at d·n integral"),
        row(COMPONENTS[1], peer,
            f"max |Δ| of merged weights / (u·(|base|+max|τ|)) ({n_cases} merges, 2-5 shards, "
            "no/WISE/random weights, normalize on)",
            f"float64 {worst[torch.float64]:.2f} ulp (abs {worst_abs[torch.float64]:.1e}), "
            f"float32 {worst[torch.float32]:.2f} ulp (abs {worst_abs[torch.float32]:.1e}); "
            f"bound {BOUND_ULPS:.0f}",
            "agree" if trim_ok and max(worst.values()) <= BOUND_ULPS else "disagree",
            f"{compared_entries} entries compared; {excluded_entries} left out "
            f"({sign_near_ties} sign sums within rounding of 0, rest float32 top-k ties)"),
    ]  # fmt: skip
    return rows


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
