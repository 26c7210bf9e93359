"""abc-parametrizations and the Maximal Update Parametrization (muP).

Papers: *Feature Learning in Infinite-Width Neural Networks* (Tensor Programs IV; Greg Yang and
Edward J. Hu, ICML 2021; arXiv 2011.14522) for the abc-parametrizations and muP, and *Tuning
Large Neural Networks via Zero-Shot Hyperparameter Transfer* (Tensor Programs V; arXiv
2203.03466) for the practical recipe with base shapes that the ``mup`` package implements.

An abc-parametrization of an L-hidden-layer network of width n writes every weight as
W = n^{-a} w with trainable w_ij ~ N(0, n^{-2b}) and trains it with learning rate eta n^{-c}.
:func:`abc_parametrization` gives (a, b, c) of the named points (SP, NTP, muP) per layer type and
applies the symmetry (a, b, c) -> (a + theta, b - theta, c - 2 theta) that leaves the training
dynamics of SGD unchanged.

The practical recipe (the one users run) keeps PyTorch's default fan-in initialisation and
expresses width through *base shapes*:

* :func:`set_base_shapes` compares the model with a small *base* model (and a *delta* model
  that differs from the base in every width dimension) and records, per parameter, which
  dimensions are "infinite" (width) and their base size. Width multipliers are
  ``dim / base_dim``. The record lives in persistent buffers ``_mup_base_<param>`` of the module
  that owns the parameter, so it survives ``state_dict``/``torch.save``/``torch.load``,
  ``copy.deepcopy`` and wrappers that prefix parameter names (tested with ``DataParallel`` and
  a ``module.`` wrapper; the prefixes of ``DistributedDataParallel``, FSDP with
  ``use_orig_params=True`` and ``torch.compile`` are stripped the same way but not tested here).
* :class:`MuReadout`: the output layer, ``Linear(output_mult * x / width_mult)``, whose weight and
  bias :func:`set_base_shapes` rescales by ``sqrt(width_mult)`` (effective weight variance
  proportional to 1/fan_in^2); optionally zero-initialised.
* :func:`mup_param_groups`: parameter groups for stock ``torch.optim`` optimizers. Adam-like:
  weights with two width dimensions get ``lr / fan_in_mult`` (weight decay ``x fan_in_mult``),
  everything else keeps ``lr``. SGD-like: tensors with one width dimension get
  ``lr x width_mult`` (weight decay ``/ width_mult``), those with two get
  ``lr / (fan_in_mult / fan_out_mult)``.
* :func:`mup_normal_` / :func:`mup_init_std`: a constant-std custom init made muP (hidden weights
  ``std / sqrt(fan_in_mult)``, as ``mup.init.normal_``).
* :func:`mup_attention_scale`: attention logits scaled by 1/d instead of 1/sqrt(d) (equal at the
  base head size, so ``8/d`` at base 64).
* :func:`coord_check` and :func:`plot_coord_check`: mean absolute activation of every module over
  widths and training steps (flat in width under a correct muP); :func:`lr_sweep`: final training
  loss over a grid of widths and learning rates, for learning-rate transfer.

Deviations from the ``mup`` package (same numbers, different plumbing): base shapes live in
buffers instead of a ``p.infshape`` attribute (which ``torch.save`` and ``DataParallel`` drop,
microsoft/mup README and issue #59); re-running :func:`set_base_shapes` rescales the readout by the
*change* in width multiplier, so it is idempotent instead of raising; parameter names are
matched after stripping wrapper prefixes (``module.``, ``_orig_mod.``, ``_fsdp_wrapped_module.``,
``_checkpoint_wrapped_module.``); there are parameter groups instead of optimizer subclasses.
FSDP without ``use_orig_params=True`` flattens parameters and cannot be supported.
``nn.MultiheadAttention`` hard-codes 1/sqrt(d); use :func:`mup_attention` in your own attention.

Modules (one concern each): :mod:`~nnatlas.param.mup.exponents` (abc-parametrizations),
:mod:`~nnatlas.param.mup.shapes` (the base-shape record and its readers),
:mod:`~nnatlas.param.mup.base_shapes` (:func:`set_base_shapes`),
:mod:`~nnatlas.param.mup.readout` (:class:`MuReadout`),
:mod:`~nnatlas.param.mup.param_groups` (optimizer parameter groups),
:mod:`~nnatlas.param.mup.init` (custom initialisation), :mod:`~nnatlas.param.mup.attention`,
:mod:`~nnatlas.param.mup.coordinates` (:func:`coord_check`),
:mod:`~nnatlas.param.mup.plotting` (:func:`plot_coord_check`; matplotlib imported lazily),
:mod:`~nnatlas.param.mup.sweep` (:func:`lr_sweep`) and :mod:`~nnatlas.param.mup.harness` (what the
last two share). Everything users import is re-exported here.
"""

from nnatlas.param.mup.attention import mup_attention, mup_attention_scale
from nnatlas.param.mup.base_shapes import set_base_shapes
from nnatlas.param.mup.coordinates import CoordCheck, CoordRecord, coord_check
from nnatlas.param.mup.exponents import ABC, PARAMETRIZATIONS, abc_parametrization
from nnatlas.param.mup.init import mup_init_std, mup_normal_
from nnatlas.param.mup.param_groups import ParamScaling, mup_param_groups, param_scaling
from nnatlas.param.mup.plotting import plot_coord_check
from nnatlas.param.mup.readout import MuReadout
from nnatlas.param.mup.shapes import (
    BaseShape,
    base_shapes_from_state_dict,
    get_base_shapes,
    get_shapes,
)
from nnatlas.param.mup.sweep import LRSweep, lr_sweep

__all__ = [
    "ABC",
    "PARAMETRIZATIONS",
    "BaseShape",
    "CoordCheck",
    "CoordRecord",
    "LRSweep",
    "MuReadout",
    "ParamScaling",
    "abc_parametrization",
    "base_shapes_from_state_dict",
    "coord_check",
    "get_base_shapes",
    "get_shapes",
    "lr_sweep",
    "mup_attention",
    "mup_attention_scale",
    "mup_init_std",
    "mup_normal_",
    "mup_param_groups",
    "param_scaling",
    "plot_coord_check",
    "set_base_shapes",
]
