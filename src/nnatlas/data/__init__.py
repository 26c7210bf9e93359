"""Offline datasets and generators, returned as seeded, stratified train/test splits.

* :class:`DataSplit`: the container (train/test tensors, classes, name, per-sample shape).
* Bundled scikit-learn sets (extra ``data``): :func:`load_digits`, :func:`load_iris`,
  :func:`load_wine`, :func:`load_breast_cancer`, or :func:`load_dataset` by name.
* Synthetic tasks in pure torch: :func:`two_moons`, :func:`spirals`,
  :func:`gaussian_mixture`, or :func:`make_split` by name.
* :func:`split_dataset` / :func:`stratified_split`: the one split routine behind all of them,
  for any arrays.

* :func:`load_stdlib_text`, :class:`CharCorpus`: character-level text from the Python standard
  library's own sources (a fixed list of modules), for small language models.
* :func:`load_mnist`: MNIST from IDX files already on disk (``NNATLAS_MNIST_DIR``).
* :mod:`nnatlas.data.pde`: seeded, cached PDE data for operator learning: antiderivatives of
  random fields, Poisson, Darcy on nested grids, Burgers, Navier–Stokes (and readers of the
  published FNO / neuraloperator / PDEBench files).
* :mod:`nnatlas.data.maxsat`, :mod:`nnatlas.data.control`: random 3-SAT (MAX-SAT objective) and
  a vectorised cart-pole, the gradient-free optimisation tasks of PolyStep.
* :mod:`nnatlas.data.ode`, :mod:`nnatlas.data.symbolic`: seeded parametric ODE families solved by
  a batched RK4 (cached), and their equations as expression trees with a prefix tokenizer,
  skeletons and term corruptions (PROSE and the multimodal foundation model).
* :mod:`nnatlas.data.anomaly`: procedural textures and objects with defect masks, one-class
  digits and an MVTec AD folder reader (FastFlow).
* :mod:`nnatlas.data.facts`: a seeded synthetic fact world, its word-level tokenizer and a tiny
  LLaMA-style LM pretrained on it (model editing, WISE).
* :mod:`nnatlas.data.topics`: a synthetic topic world of headlines and encyclopedic passages
  (few-shot text classification with retrieval, RAML).
* :mod:`nnatlas.data.manifolds`: circles, curves and tori embedded in R^D by seeded rotations,
  and the digits cloud (singular distributions, instance noise).
* :mod:`nnatlas.data.random_objects`: regressions with distribution- and SPD-valued responses
  (sufficient dimension reduction, FCCov).

Nothing here downloads, ever: every set is bundled, generated, or read from the user's disk.
"""

from __future__ import annotations

from nnatlas.data._split import DataSplit, split_dataset, stratified_split
from nnatlas.data.anomaly import (
    DEFECTS,
    OBJECT_DEFECTS,
    OBJECTS,
    TEXTURES,
    AnomalyData,
    anomaly_objects,
    anomaly_textures,
    load_mvtec,
    one_class_digits,
)
from nnatlas.data.control import CartPole, CartPoleClosure, CartPolePolicy, episode_returns
from nnatlas.data.facts import (
    Fact,
    FactWorld,
    TinyLlama,
    WordTokenizer,
    pretrain_fact_lm,
    pretrained_fact_lm,
)
from nnatlas.data.manifolds import (
    CURVE_NAMES,
    ManifoldSample,
    circle,
    curve,
    digits_cloud,
    random_rotation,
    torus,
)
from nnatlas.data.maxsat import MaxSatClosure, SatInstance, probsat, random_ksat
from nnatlas.data.mnist import MNIST_DIR_ENV, MNIST_FILES, load_mnist, read_idx
from nnatlas.data.pde import (
    antiderivative_data,
    burgers_data,
    darcy_data,
    navier_stokes_data,
    poisson_data,
)
from nnatlas.data.random_objects import RandomObjectData, distribution_response, spd_response
from nnatlas.data.synthetic import (
    GENERATOR_NAMES,
    gaussian_mixture,
    make_split,
    mixture_means,
    spirals,
    two_moons,
)
from nnatlas.data.tabular import (
    DATASET_NAMES,
    load_breast_cancer,
    load_dataset,
    load_digits,
    load_iris,
    load_wine,
)
from nnatlas.data.text import STDLIB_MODULES, CharCorpus, load_stdlib_text
from nnatlas.data.topics import TOPICS, TopicCorpus, topic_corpus

__all__ = [
    "CURVE_NAMES",
    "DATASET_NAMES",
    "DEFECTS",
    "GENERATOR_NAMES",
    "MNIST_DIR_ENV",
    "MNIST_FILES",
    "OBJECTS",
    "OBJECT_DEFECTS",
    "STDLIB_MODULES",
    "TEXTURES",
    "TOPICS",
    "AnomalyData",
    "CartPole",
    "CartPoleClosure",
    "CartPolePolicy",
    "CharCorpus",
    "DataSplit",
    "Fact",
    "FactWorld",
    "ManifoldSample",
    "MaxSatClosure",
    "RandomObjectData",
    "SatInstance",
    "TinyLlama",
    "TopicCorpus",
    "WordTokenizer",
    "anomaly_objects",
    "anomaly_textures",
    "antiderivative_data",
    "burgers_data",
    "circle",
    "curve",
    "darcy_data",
    "digits_cloud",
    "distribution_response",
    "episode_returns",
    "gaussian_mixture",
    "load_breast_cancer",
    "load_dataset",
    "load_digits",
    "load_iris",
    "load_mnist",
    "load_mvtec",
    "load_stdlib_text",
    "load_wine",
    "make_split",
    "mixture_means",
    "navier_stokes_data",
    "one_class_digits",
    "poisson_data",
    "pretrain_fact_lm",
    "pretrained_fact_lm",
    "probsat",
    "random_ksat",
    "random_rotation",
    "read_idx",
    "spd_response",
    "spirals",
    "split_dataset",
    "stratified_split",
    "topic_corpus",
    "torus",
    "two_moons",
]
