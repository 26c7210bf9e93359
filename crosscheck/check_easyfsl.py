"""Prototypical networks (nnatlas.meta.class_prototypes / protonet_logits) vs easyfsl 1.5.0.

easyfsl's ``PrototypicalNetworks`` (PyPI, MIT) with its default identity backbone, no feature
centering or normalisation, is given pre-computed float64 support/query features:
``process_support_set(support, labels)`` computes its prototypes, ``forward(query)`` its scores.
``easyfsl/__init__.py`` and ``easyfsl.methods``' other methods import torchvision (whose PyPI
wheels are CUDA builds), so ``easyfsl.methods.prototypical_networks`` is imported unmodified
without running the package ``__init__`` files (``_common.import_skipping_init``).

Episodes: n_way ∈ {2, 5, 20} × k_shot ∈ {1, 5, 10} × dim ∈ {16, 64}, 15 queries per class, support
in shuffled order, features N(0, 1) plus a per-class N(0, 1) offset.

Convention difference: easyfsl's score is the *negative Euclidean distance* ``-‖q - c‖``
(``l2_distance_to_prototypes``: ``-torch.cdist``), ours the negative *squared* distance
``-‖q - c‖²`` as in Snell et al. (the paper's d is the squared Euclidean distance). The logits are compared after mapping theirs s ↦ -s²; the
predicted classes (argmax, invariant under that monotone map) are compared directly. The
softmax probabilities are a different model (softmax(-d) vs softmax(-d²)) and are not
compared; the script reports their largest gap for information only.

Error analysis (float64, u = 2⁻⁵³). Prototypes: a mean of k values, summed in a possibly
different order and divided by k: each side's error ≤ k u max|x| per coordinate, so
|Δc| ≤ 2(k + 1) u max|x| (bound on the prototype row; value column in units of u max|x|).
Logits: both sides evaluate ``torch.cdist`` on equal-shaped inputs (the same algorithm), so
the only differences are the prototype difference propagated through ‖q - c‖² (≤ 2‖q - c‖‖Δc‖)
and the rounding of the two independent evaluations (cdist's |q|² + |c|² - 2q·c path:
≤ (dim + 2) u (‖q‖ + ‖c‖)² each, plus ≤ 3u ‖q - c‖² for sqrt-then-square). Bound per entry:
B = 2‖q - c‖‖Δc‖_bound + 2(dim + 5) u (‖q‖ + ‖c‖)², with ‖Δc‖_bound = √dim · 2(k + 1) u max|x|.
Verdict: **agree** when the prototypes are within their bound, every logit is within B
(value column: the largest |Δ| / B, to be ≤ 1) and every predicted class matches.
"""

from __future__ import annotations

import itertools
import math

from _common import guarded, import_skipping_init, row, setup, version

PEER = "easyfsl"
COMPONENTS = ["ProtoNet class_prototypes", "ProtoNet protonet_logits"]
N_WAY = [2, 5, 20]
K_SHOT = [1, 5, 10]
DIMS = [16, 64]
N_QUERY = 15


def body() -> list[dict[str, str]]:
    torch = setup()
    pn = import_skipping_init("easyfsl", "methods.prototypical_networks")

    from nnatlas.meta import class_prototypes, protonet_logits

    peer = f"easyfsl {version('easyfsl')}"
    u = torch.finfo(torch.float64).eps / 2
    gen = torch.Generator().manual_seed(0)
    proto_worst = proto_ratio = 0.0
    logit_ratio = logit_abs = logit_rel = prob_gap = 0.0
    mismatched = total_queries = n_eps = 0
    for n_way, k_shot, dim in itertools.product(N_WAY, K_SHOT, DIMS):
        n_eps += 1
        centres = torch.randn(n_way, dim, generator=gen, dtype=torch.float64)
        labels = torch.arange(n_way).repeat_interleave(k_shot)
        labels = labels[torch.randperm(labels.numel(), generator=gen)]
        support = centres[labels] + torch.randn(labels.numel(), dim, generator=gen,
                                                dtype=torch.float64)  # fmt: skip
        qlab = torch.arange(n_way).repeat_interleave(N_QUERY)
        query = centres[qlab] + torch.randn(qlab.numel(), dim, generator=gen, dtype=torch.float64)

        model = pn.PrototypicalNetworks()
        model.process_support_set(support, labels)
        theirs_c = model.prototypes
        theirs_s = model(query)
        ours_c = class_prototypes(support, labels, n_way)
        ours_l = protonet_logits(query, ours_c)
        if theirs_c.shape != ours_c.shape or theirs_s.shape != ours_l.shape:
            raise RuntimeError(f"shapes differ: {tuple(theirs_c.shape)} {tuple(theirs_s.shape)}")

        xmax = support.abs().max().item()
        dc = (ours_c - theirs_c).abs().max().item()
        proto_worst = max(proto_worst, dc / (u * xmax))
        proto_ratio = max(proto_ratio, dc / (2 * (k_shot + 1) * u * xmax))

        mapped = -theirs_s.square()
        dist = (-ours_l).clamp_min(0).sqrt()
        qn = query.norm(dim=1, keepdim=True)
        cn = ours_c.norm(dim=1)[None, :]
        dc_bound = math.sqrt(dim) * 2 * (k_shot + 1) * u * xmax
        bound = 2 * dist * dc_bound + 2 * (dim + 5) * u * (qn + cn).square()
        diff = (ours_l - mapped).abs()
        logit_ratio = max(logit_ratio, (diff / bound).max().item())
        logit_abs = max(logit_abs, diff.max().item())
        logit_rel = max(logit_rel, (diff.max() / ours_l.abs().max()).item())
        mismatched += int((ours_l.argmax(1) != theirs_s.argmax(1)).sum())
        total_queries += qlab.numel()

        soft = pn.PrototypicalNetworks(use_softmax=True)
        soft.process_support_set(support, labels)
        prob_gap = max(prob_gap, (soft(query) - ours_l.softmax(1)).abs().max().item())

    proto_ok = proto_ratio <= 1.0
    return [
        row(COMPONENTS[0], peer,
            f"max |Δ| of class prototypes / (u·max|x|) ({n_eps} episodes: n_way 2/5/20, "
            "k_shot 1/5/10, dim 16/64, float64)",
            f"{proto_worst:.2f} ulp (bound 2(k+1) ≤ 22 ulp; worst {proto_ratio:.2f} of it)",
            "agree" if proto_ok else "disagree"),
        row(COMPONENTS[1], peer,
            "query logits, ours -‖q-c‖² vs easyfsl -‖q-c‖ mapped s ↦ -s² (float64); "
            "predicted classes",
            f"max |Δ| {logit_abs:.1e} (relative {logit_rel:.1e}; {logit_ratio:.3f} of the "
            f"per-entry bound); predictions differ in {mismatched}/{total_queries}",
            "agree" if proto_ok and logit_ratio <= 1.0 and mismatched == 0 else "disagree",
            "easyfsl scores -distance, ours (as Snell et al.) -squared distance: its softmax "
            f"probabilities are a different model (largest gap {prob_gap:.2f}, not judged)"),
    ]  # fmt: skip


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
