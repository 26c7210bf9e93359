"""Neural operators: networks that map functions to functions, independent of the grid.

Components:

* :class:`FNO1d`, :class:`FNO2d` — Fourier neural operators (Li et al., arXiv 2010.08895),
  built from :class:`SpectralConv1d` / :class:`SpectralConv2d` (kernel integral operators in
  Fourier space); any grid with at least 2·modes points per axis.
* :class:`DeepONet` — branch/trunk operator network (Lu et al., arXiv 1910.03193), stacked or
  unstacked, pointwise-triple or Cartesian-product data layouts, multiple outputs.
* Losses: :func:`relative_l2_loss`, :func:`relative_h1_loss` and their module forms
  :class:`RelativeL2Loss`, :class:`H1Loss`.

Data for these models (random fields, antiderivative, Poisson, Darcy) lives in
:mod:`nnatlas.data.pde`. Importing this package registers the modules' conformance cases.
"""

from __future__ import annotations

from nnatlas.operators.deeponet import DeepONet
from nnatlas.operators.fno import FNO1d, FNO2d, SpectralConv1d, SpectralConv2d
from nnatlas.operators.losses import H1Loss, RelativeL2Loss, relative_h1_loss, relative_l2_loss

__all__ = [
    "DeepONet",
    "FNO1d",
    "FNO2d",
    "H1Loss",
    "RelativeL2Loss",
    "SpectralConv1d",
    "SpectralConv2d",
    "relative_h1_loss",
    "relative_l2_loss",
]
