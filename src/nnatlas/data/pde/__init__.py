"""Offline PDE data: seeded generators with exact or documented solvers, cached on disk.

Every generator takes an explicit ``seed`` (a private ``torch.Generator``; the global RNG is
never touched), computes in float64, returns plain tensors / frozen dataclasses, and caches its
output in ``$NNATLAS_CACHE_DIR/pde`` (default ``~/.cache/nnatlas/pde``) under a hash of its
parameters; pass ``cache=False`` to skip the disk.

* Random fields (:mod:`~nnatlas.data.pde.grf`): :func:`grf_1d` (RBF kernel),
  :func:`grf_2d_periodic`, :func:`sine_series_2d`, :func:`cosine_series_2d`.
* Antiderivative operator (DeepONet): :func:`antiderivative_data` → :class:`AntiderivativeData`,
  :func:`antiderivative`, :func:`interpolate_1d`.
* Poisson (:mod:`~nnatlas.data.pde.poisson`): :func:`solve_poisson_periodic` (FFT),
  :func:`solve_poisson_dirichlet` (DST-I, exact for the 5-point stencil), :func:`poisson_data`,
  :func:`laplacian_5point`, :func:`dst1`.
* Darcy (:mod:`~nnatlas.data.pde.darcy`, needs SciPy): :func:`solve_darcy`, :func:`darcy_operator`,
  :func:`darcy_coefficients`, :func:`darcy_data` → :class:`DarcyData` on nested grids.
* Burgers (:mod:`~nnatlas.data.pde.burgers`): :func:`solve_burgers` (pseudo-spectral IF-RK4),
  :func:`burgers_initial_conditions`, :func:`burgers_data` → :class:`BurgersData`.
* Navier–Stokes vorticity (:mod:`~nnatlas.data.pde.navier_stokes`): :func:`solve_navier_stokes`
  (pseudo-spectral CN/AB2), :func:`fno_forcing`, :func:`navier_stokes_data` →
  :class:`NavierStokesData`.
* Readers of published files (:mod:`~nnatlas.data.pde.loaders`): :func:`load_fno_mat`,
  :func:`load_neuraloperator_pt`, :func:`load_pdebench_h5` (v7.3 ``.mat`` and ``.h5`` need h5py).
* Cache (:mod:`~nnatlas.data.pde._cache`): :data:`CACHE_ENV`, :func:`cache_dir`.

Example (Darcy on nested grids, for a train-at-33 / test-at-65 resolution study)::

    from nnatlas.data.pde import darcy_data
    from nnatlas.operators import FNO2d, relative_l2_loss

    data = darcy_data(100, (33, 65), seed=0)          # a[33] == a[65][:, ::2, ::2] exactly
    a, u = data.at(33)                                  # (100, 33, 33) each
    model = FNO2d(1, 1, modes=8, width=16)
    loss = relative_l2_loss(model(a[:, None]), u[:, None])
    a65, u65 = data.at(65)                              # same coefficient fields, finer grid
    zero_shot = relative_l2_loss(model(a65[:, None]), u65[:, None])
"""

from __future__ import annotations

from nnatlas.data.pde._cache import CACHE_ENV, cache_dir
from nnatlas.data.pde.burgers import (
    BurgersData,
    burgers_data,
    burgers_initial_conditions,
    solve_burgers,
)
from nnatlas.data.pde.darcy import (
    DarcyData,
    darcy_coefficients,
    darcy_data,
    darcy_operator,
    solve_darcy,
)
from nnatlas.data.pde.grf import (
    AntiderivativeData,
    antiderivative,
    antiderivative_data,
    cosine_series_2d,
    grf_1d,
    grf_2d_periodic,
    interpolate_1d,
    sine_series_2d,
)
from nnatlas.data.pde.loaders import load_fno_mat, load_neuraloperator_pt, load_pdebench_h5
from nnatlas.data.pde.navier_stokes import (
    NavierStokesData,
    fno_forcing,
    navier_stokes_data,
    solve_navier_stokes,
)
from nnatlas.data.pde.poisson import (
    PoissonData,
    dst1,
    laplacian_5point,
    poisson_data,
    solve_poisson_dirichlet,
    solve_poisson_periodic,
)

__all__ = [
    "CACHE_ENV",
    "AntiderivativeData",
    "BurgersData",
    "DarcyData",
    "NavierStokesData",
    "PoissonData",
    "antiderivative",
    "antiderivative_data",
    "burgers_data",
    "burgers_initial_conditions",
    "cache_dir",
    "cosine_series_2d",
    "darcy_coefficients",
    "darcy_data",
    "darcy_operator",
    "dst1",
    "fno_forcing",
    "grf_1d",
    "grf_2d_periodic",
    "interpolate_1d",
    "laplacian_5point",
    "load_fno_mat",
    "load_neuraloperator_pt",
    "load_pdebench_h5",
    "navier_stokes_data",
    "poisson_data",
    "sine_series_2d",
    "solve_burgers",
    "solve_darcy",
    "solve_navier_stokes",
    "solve_poisson_dirichlet",
    "solve_poisson_periodic",
]
