"""Checking NAP specifications of ReLU MLPs: interval bounds, exact MILP, PGD, certified radius.

Paper: "Towards Reliable Neural Specifications", Chuqin Geng, Nham Le, Xiaojie Xu, Zhaoyue Wang,
Arie Gurfinkel, Xujie Si (ICML 2023), arXiv 2210.16114.

Method. The specification "every input x in a region R whose activation pattern matches
NAP_ℓ is classified ℓ" holds when, for every competitor j ≠ ℓ, the *margin* y_ℓ(x) − y_j(x)
is positive on R ∩ NAP_ℓ. The NAP constraint is a set of half-spaces on pre-activations
(fixed-active neurons z ≥ 0, fixed-inactive z ≤ 0), which also tells how the ReLU behaves: a
fixed-inactive neuron outputs 0 (it drops out) and a fixed-active one is the identity (it
becomes linear). Four tools are offered here, from cheap and incomplete to exact:

* :func:`interval_bounds` / :func:`margin_lower_bounds`: interval bound propagation (IBP),
  with NAP-fixed neurons clamped (a fixed-inactive neuron's upper pre-activation bound becomes
  ≤ 0, a fixed-active one's lower bound ≥ 0). Sound; with a NAP never looser than plain IBP;
  a NAP that contradicts the bounds proves R ∩ NAP empty.
* :func:`crown_margin_lower_bounds`: CROWN-style linear relaxation (back-substitution of
  linear ReLU bounds to the input box); NAP-fixed neurons are exact there — fixed-inactive
  ones vanish, fixed-active ones are the identity — instead of relaxed by a triangle.
* :func:`milp_margins`: the exact minimum margin by a mixed-integer program (big-M ReLU
  encoding with the NAP-tightened interval bounds, NAP neurons fixed, no binary for them),
  solved by HiGHS through ``scipy.optimize.milp``; feasible for nets with up to a few hundred
  unfixed unstable neurons.
* :func:`pgd_in_nap`: projected-gradient falsification inside R ∩ NAP (NAP violations
  penalised, only points that satisfy the NAP exactly are kept) — an upper bound on the
  minimum margin, so it can refute but never prove.
* :func:`certified_radius`: the largest L∞ radius ε (by bisection) such that the ball
  around x, intersected with the input domain and optionally with NAP_ℓ, is verified.

Deviations from the paper: the paper verifies with Marabou (complete, SMT-based); here the
complete route is a MILP (same answer up to solver tolerances, slower on wide nets); the
incomplete routes are IBP and CROWN with fixed lower slopes (no α/β optimisation as in
α,β-CROWN), and the NAP half-spaces themselves (z ≥ 0 / z ≤ 0) only enter through the
per-neuron bounds, not as constraints on the input region. Regions are axis-aligned boxes (the full input domain or an L∞ ball clipped to it); NAP
half-spaces are closed (z ≥ 0 / z ≤ 0, as in the refactored official code) without margins.

Modules: :mod:`~nnatlas.probes.verify.network` (affine layers, boxes, NAP masks, exact margins),
:mod:`~nnatlas.probes.verify.ibp`, :mod:`~nnatlas.probes.verify.crown`,
:mod:`~nnatlas.probes.verify.milp` (needs scipy: extra ``pde``), :mod:`~nnatlas.probes.verify.pgd`
and :mod:`~nnatlas.probes.verify.radius` (:func:`verify_region`, :func:`certified_radius`).
Everything users import is re-exported here.
"""

from nnatlas.probes.verify.crown import crown_margin_lower_bounds
from nnatlas.probes.verify.ibp import IntervalBounds, interval_bounds, margin_lower_bounds
from nnatlas.probes.verify.milp import MarginResult, milp_margins
from nnatlas.probes.verify.network import affine_layers, forward_margins
from nnatlas.probes.verify.pgd import PGDResult, pgd_in_nap
from nnatlas.probes.verify.radius import certified_radius, verify_region

__all__ = [
    "IntervalBounds",
    "MarginResult",
    "PGDResult",
    "affine_layers",
    "certified_radius",
    "crown_margin_lower_bounds",
    "forward_margins",
    "interval_bounds",
    "margin_lower_bounds",
    "milp_margins",
    "pgd_in_nap",
    "verify_region",
]
