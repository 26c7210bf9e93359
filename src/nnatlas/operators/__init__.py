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
* Losses: :func:`relative_l2_loss`, :func:`relative_h1_loss` and their module forms
  :class:`RelativeL2Loss`, :class:`H1Loss`.

Data for these models (random fields, antiderivative, Poisson, Darcy) lives in
:mod:`nnatlas.data.pde`. Importing this package registers the modules' conformance cases.
"""

from __future__ import annotations

from nnatlas.operators.deeponet import DeepONet
from nnatlas.operators.fno import FNO1d, FNO2d, SpectralConv1d, SpectralConv2d
from nnatlas.operators.lordnet import LordMixing, LordNet, mean_squared_residual, poisson_residual
from nnatlas.operators.losses import H1Loss, RelativeL2Loss, relative_h1_loss, relative_l2_loss
from nnatlas.operators.mgno import MgConv2d, MgNO
from nnatlas.operators.recipe import UNet2d, interpolate_kernel, kernel_interpolated

__all__ = [
    "DeepONet",
    "FNO1d",
    "FNO2d",
    "H1Loss",
    "LordMixing",
    "LordNet",
    "MgConv2d",
    "MgNO",
    "RelativeL2Loss",
    "SpectralConv1d",
    "SpectralConv2d",
    "UNet2d",
    "interpolate_kernel",
    "kernel_interpolated",
    "mean_squared_residual",
    "poisson_residual",
    "relative_h1_loss",
    "relative_l2_loss",
]
