"""Neural operators: networks that map functions to functions, independent of the grid.

Components:

* :class:`FNO1d`, :class:`FNO2d` — Fourier neural operators (Li et al., arXiv 2010.08895),
  built from :class:`SpectralConv1d` / :class:`SpectralConv2d` (kernel integral operators in
  Fourier space); any grid with at least 2·modes points per axis.
* :class:`DeepONet` — branch/trunk operator network (Lu et al., arXiv 1910.03193), stacked or
  unstacked, pointwise-triple or Cartesian-product data layouts, multiple outputs.
* :class:`MgNO` — multigrid neural operator (He, Liu, Xu, arXiv 2310.19809): linear operators
  between neurons parameterised by V-cycles (:class:`MgConv2d`), Dirichlet or periodic padding.
* :class:`LordNet` — low-rank long-range mixing (:class:`LordMixing`; Huang et al., arXiv
  2206.09418), trained data-free on the discretised PDE residual (:func:`poisson_residual`,
  :func:`mean_squared_residual`).
* The "neural networks to neural operators" recipe (Berner et al., arXiv 2506.10973):
  :class:`UNet2d` and :func:`kernel_interpolated`, which resamples a trained CNN's filters to a
  new grid with a fixed physical receptive field (:func:`interpolate_kernel`).
* Function-space layers of the recipe (:mod:`nnatlas.operators.function_space`):
  :class:`IntegralOperator2d` (quadrature-weighted kernel integral), :class:`AttentionOperator2d`
  (attention normalised by an integral), :class:`DifferentialKernelConv2d` (a local stencil
  scaled by 1/h), :class:`ResolutionWrapper` (input-output interpolation) and
  :func:`multiresolution_batches` (multi-resolution training).
* PDE residuals for data-free training: :func:`poisson_residual` (with LordNet) and the implicit
  Navier–Stokes step residual :func:`navier_stokes_step_residual` (:mod:`~nnatlas.operators.residuals`).
* The multimodal foundation model with text descriptions (Negrini et al., arXiv 2502.06026;
  :mod:`~nnatlas.operators.multimodal`): :class:`MultimodalTokenizer` (word-level text with its
  numbers kept as values, :class:`MultimodalTokens`), :class:`NumberTextEmbedding` (numbers
  embedded by an MLP where they stand), :class:`MultimodalPDEModel` (causal backbone, in-house or
  GPT-2 from a config; cross-attention solution decoder over query times with an extrapolation
  guard; autoregressive description head) and :func:`multimodal_loss`.
* :class:`PROSE` — multimodal operator learning from data and symbolic equations (Liu, Zhang,
  Schaeffer; arXiv 2309.16816): data, symbol and fusion encoders, a cross-attention operator
  decoder over query times and an autoregressive symbol decoder; variants data-only, 2-to-1,
  2-to-2; :func:`prose_loss` (:class:`ProseOutput`, :func:`relative_squared_l2`). Its ODE data
  and equation tokens are :mod:`nnatlas.data.ode` and :mod:`nnatlas.data.symbolic`.
* :func:`fit_operator`: a supervised training loop (Adam, one-cycle schedule) for paired fields,
  reporting progress through an ``on_step(step, record)`` callback.
* :class:`OperatorNormalizer` (fit on the training inputs/outputs; ``encode_x`` / ``encode_y`` /
  ``decode_y``; global or per channel) and :func:`evaluate_operator` (batched relative L² and
  MSE in physical units) (:mod:`~nnatlas.operators.normalize`).
* Losses: :func:`relative_l2_loss`, :func:`relative_h1_loss` and their module forms
  :class:`RelativeL2Loss`, :class:`H1Loss`.

Data for these models (random fields, antiderivative, Poisson, Darcy) lives in
:mod:`nnatlas.data.pde`. The conformance cases of these modules live in
:mod:`nnatlas.testing.cases.operators`; importing this package registers nothing.

Inputs are checked for type, dtype (real floating) and shape, with errors naming the argument;
values are not scanned for NaN/inf (that would cost a device sync per call): a NaN in an input
gives NaN in the output of every layer, loss and residual here, as in ``torch.nn``.
:class:`OperatorNormalizer` is the exception: fitting statistics on non-finite data raises.
"""

from __future__ import annotations

from nnatlas.operators.deeponet import DeepONet
from nnatlas.operators.fno import FNO1d, FNO2d, SpectralConv1d, SpectralConv2d
from nnatlas.operators.function_space import (
    AttentionOperator2d,
    DifferentialKernelConv2d,
    IntegralOperator2d,
    ResolutionWrapper,
    cell_centers,
    multiresolution_batches,
)
from nnatlas.operators.lordnet import LordMixing, LordNet, mean_squared_residual, poisson_residual
from nnatlas.operators.losses import H1Loss, RelativeL2Loss, relative_h1_loss, relative_l2_loss
from nnatlas.operators.mgno import MgConv2d, MgNO
from nnatlas.operators.multimodal import (
    MultimodalOutput,
    MultimodalPDEModel,
    MultimodalTokenizer,
    MultimodalTokens,
    NumberTextEmbedding,
    multimodal_loss,
)
from nnatlas.operators.normalize import OperatorNormalizer, evaluate_operator
from nnatlas.operators.prose import PROSE, ProseOutput, prose_loss, relative_squared_l2
from nnatlas.operators.recipe import UNet2d, interpolate_kernel, kernel_interpolated
from nnatlas.operators.residuals import mean_squared_ns_residual, navier_stokes_step_residual
from nnatlas.operators.training import fit_operator

__all__ = [
    "PROSE",
    "AttentionOperator2d",
    "DeepONet",
    "DifferentialKernelConv2d",
    "FNO1d",
    "FNO2d",
    "H1Loss",
    "IntegralOperator2d",
    "LordMixing",
    "LordNet",
    "MgConv2d",
    "MgNO",
    "MultimodalOutput",
    "MultimodalPDEModel",
    "MultimodalTokenizer",
    "MultimodalTokens",
    "NumberTextEmbedding",
    "OperatorNormalizer",
    "ProseOutput",
    "RelativeL2Loss",
    "ResolutionWrapper",
    "SpectralConv1d",
    "SpectralConv2d",
    "UNet2d",
    "cell_centers",
    "evaluate_operator",
    "fit_operator",
    "interpolate_kernel",
    "kernel_interpolated",
    "mean_squared_ns_residual",
    "mean_squared_residual",
    "multimodal_loss",
    "multiresolution_batches",
    "navier_stokes_step_residual",
    "poisson_residual",
    "prose_loss",
    "relative_h1_loss",
    "relative_l2_loss",
    "relative_squared_l2",
]
