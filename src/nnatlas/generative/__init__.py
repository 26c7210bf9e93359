"""Generative models and density-based detectors.

FastFlow (Yu et al., "FastFlow: Unsupervised Anomaly Detection and Localization via 2D
Normalizing Flows", arXiv 2111.07677) and the detectors it is compared with, on the features of
any frozen backbone:

* :class:`AffineCoupling2d`: the 2-D affine coupling step (FrEIA's ``AllInOneBlock`` as
  FastFlow uses it), with exact inverse and per-pixel log-determinant.
* :class:`FastFlow`: one flow per feature scale, 3×3/1×1 kernel alternation or 3×3 only, the
  per-scale LayerNorm, the reference anomaly map (and the variant keeping the Jacobian term).
* :class:`FeatureTaps` (any module's layers by name, frozen) and :class:`ResNetStages` (a
  ResNet with the stage layout FastFlow taps: ResNet-18 at its defaults, Wide-ResNet-50-2 with
  bottleneck blocks), and
  :func:`pretrain_rotation` (in-process self-supervised pretraining of such a backbone);
  transformer taps become maps with ``drop_tokens`` / :func:`tokens_to_map` (DeiT-style).
* Baselines on the same features: :class:`PaDiM` (per-location Gaussian, shrunk full
  covariance) and :class:`PatchCore` (greedy coreset, nearest-neighbour distance).
* Metrics: :func:`image_auroc` (from each map's maximum), :func:`pixel_auroc` (pooled),
  :func:`au_pro` (up to 30 % FPR), :func:`auroc`, :func:`connected_regions`.

Score estimation (:mod:`nnatlas.generative.score`; Han, Razaviyayn, Xu, arXiv 2401.15604): the
OU forward process, the parametric score that turns denoising score matching into regression
with noisy labels (:class:`ParametricScore`), :func:`train_denoiser` with early stopping, the
infinite-width :class:`KernelDenoiser`, :func:`probability_flow_ode` / :func:`reverse_sde`,
Gaussian-mixture closed forms and :func:`wasserstein2_1d`.

Instance-noise likelihood (:mod:`nnatlas.generative.instance_noise`; Chae, Kim, Kim, Lin, arXiv
2105.04046): :class:`InstanceNoiseModel` ``p(y) = ∫ N(y; g(z), σ² I) dN(z; 0, I)`` with its
importance-sampled log-likelihood, ELBO and sampler, :func:`perturb`, :func:`fit_generative`
(perturbed or unperturbed MLE) and :func:`sigma_rule`; sample Wasserstein distances
(:mod:`nnatlas.generative.transport`): :func:`wasserstein_distance` (exact: sorted in 1-D, POT
otherwise), :func:`sliced_wasserstein`, :func:`gaussian_wasserstein2`.
"""

from __future__ import annotations

from nnatlas.generative.coupling import AffineCoupling2d, check_feature_map
from nnatlas.generative.fastflow import FastFlow, check_features, check_image_size
from nnatlas.generative.features import (
    FeatureTaps,
    ResNetStages,
    pretrain_rotation,
    tokens_to_map,
)
from nnatlas.generative.instance_noise import (
    InstanceNoiseFit,
    InstanceNoiseModel,
    fit_generative,
    perturb,
    sigma_rule,
)
from nnatlas.generative.metrics import (
    au_pro,
    auroc,
    connected_regions,
    image_auroc,
    pixel_auroc,
)
from nnatlas.generative.padim import PaDiM, concat_features
from nnatlas.generative.patchcore import PatchCore, greedy_coreset
from nnatlas.generative.score import (
    DenoiserTraining,
    DenoisingData,
    GaussianMixture,
    KernelDenoiser,
    OUProcess,
    ParametricScore,
    denoising_pairs,
    early_stopping_step,
    parametric_score,
    probability_flow_ode,
    reverse_sde,
    score_features,
    train_denoiser,
    wasserstein2_1d,
)
from nnatlas.generative.transport import (
    gaussian_wasserstein2,
    sliced_wasserstein,
    wasserstein_distance,
)

__all__ = [
    "AffineCoupling2d",
    "DenoiserTraining",
    "DenoisingData",
    "FastFlow",
    "FeatureTaps",
    "GaussianMixture",
    "InstanceNoiseFit",
    "InstanceNoiseModel",
    "KernelDenoiser",
    "OUProcess",
    "PaDiM",
    "ParametricScore",
    "PatchCore",
    "ResNetStages",
    "au_pro",
    "auroc",
    "check_feature_map",
    "check_features",
    "check_image_size",
    "concat_features",
    "connected_regions",
    "denoising_pairs",
    "early_stopping_step",
    "fit_generative",
    "gaussian_wasserstein2",
    "greedy_coreset",
    "image_auroc",
    "parametric_score",
    "perturb",
    "pixel_auroc",
    "pretrain_rotation",
    "probability_flow_ode",
    "reverse_sde",
    "score_features",
    "sigma_rule",
    "sliced_wasserstein",
    "tokens_to_map",
    "train_denoiser",
    "wasserstein2_1d",
    "wasserstein_distance",
]
