"""Training Neural Networks without Back-propagation or Forward-propagation (Li, Teh, Pascanu).

arXiv: 2503.24322 (v2 retitled "... without Full Back-propagation or Full Forward-propagation").

NoProp-DT trains T blocks, each *alone*, to denoise a noisy class embedding. With a fixed class
embedding matrix ``W`` (C × E) and a noise schedule ᾱ_0 < ᾱ_1 < ... < ᾱ_T (z_0 is pure noise,
z_T the cleanest state), block t sees the input x and a sample z_{t-1} ~ q(z_{t-1} | y) =
N(√ᾱ_{t-1} u_y, (1 - ᾱ_{t-1}) I), u_y = W[y], and predicts u_y as a convex combination
softmax(logits) @ W. Its loss is the paper's SNR-weighted squared error
(η / 2) · (SNR(t) - SNR(t-1)) · ‖û_t - u_y‖², SNR(t) = ᾱ_t / (1 - ᾱ_t). Because z_{t-1} is
drawn from q and never from block t-1, no gradient and no forward activation passes between
blocks during training. A linear head p̂(y | z_T) is trained by cross-entropy on z_T ~ q(z_T | y),
and a KL term keeps q(z_0 | y) close to N(0, I) (it only matters for learned embeddings).
Inference runs the blocks in order: z_t = a_t û_t(z_{t-1}, x) + b_t z_{t-1} + √c_t ε with the
DDPM posterior coefficients written for this time direction, and classifies z_T with the head.

Deviations from the paper:

* Deterministic inference (the default) starts from z_0 = 0, the prior mean, and drops the noise
  term (c_t = 0), so prediction is a deterministic function of x; the paper samples z_0.
  ``stochastic=True`` gives the paper's sampler.
* Training sums the local losses of all T blocks for each minibatch (the exact expectation over
  t instead of one sampled t), but runs each block's backward pass before the next block's
  forward pass, so only one block's activations are alive at a time; one stock optimizer over
  all parameters then steps (the gradients are disjoint, so this equals T optimizers).
* Blocks are any ``nn.Module`` mapping ``(x, z)`` to class logits: :class:`MLPBlock` is the
  tabular block of our notes, :class:`ConvBlock` the paper's image block (Fig. 6) with its
  widths as arguments.
* The cosine schedule is clamped to ᾱ ∈ [1e-4, 0.9999] so SNR stays finite.
* NoProp-FM (:class:`NoPropFM`) classifies z_1 by its distance to the class embeddings (no
  head), uses 20 Euler steps by default instead of 1000, and starts deterministic inference
  from z_0 = 0.
* NoProp-CT (:class:`NoPropCT`): the learnable schedule is a normalised monotone sum of
  sigmoids with fixed endpoints γ(0) = 10, γ(1) = -10 (VDM-style, endpoints not learned);
  inference takes 20 DT-style posterior steps by default instead of 1000 ODE/SDE steps.
* Prototype embeddings (``embedding="prototype"``) are learned embeddings initialised from one
  representative input per class, E = input dimension; the representative is the class medoid
  (:func:`class_prototypes`: the example with the smallest mean distance to its class), our
  reading of the paper's "class-representative images".

Layout: :mod:`~nnatlas.train.noprop.blocks` (the blocks), :mod:`~nnatlas.train.noprop.dt`,
:mod:`~nnatlas.train.noprop.ct` and :mod:`~nnatlas.train.noprop.fm` (one variant each),
:mod:`~nnatlas.train.noprop.common` (class embeddings, time features, posterior step
coefficients, the prior KL: written once, used by the variants) and
:mod:`~nnatlas.train.noprop.memory` (:func:`saved_activation_bytes`).
"""

from __future__ import annotations

from nnatlas.train.noprop.blocks import ConvBlock, MLPBlock
from nnatlas.train.noprop.common import EmbeddingKind, class_prototypes, time_features
from nnatlas.train.noprop.ct import MonotoneSchedule, NoPropCT
from nnatlas.train.noprop.dt import NoPropDT, cosine_alpha_bar
from nnatlas.train.noprop.fm import NoPropFM
from nnatlas.train.noprop.memory import saved_activation_bytes

__all__ = [
    "ConvBlock",
    "EmbeddingKind",
    "MLPBlock",
    "MonotoneSchedule",
    "NoPropCT",
    "NoPropDT",
    "NoPropFM",
    "class_prototypes",
    "cosine_alpha_bar",
    "saved_activation_bytes",
    "time_features",
]
