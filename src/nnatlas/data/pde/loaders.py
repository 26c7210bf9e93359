"""Readers for the published operator-learning data formats, returning dicts of tensors.

Nothing is downloaded: point these at files you already have.

* :func:`load_fno_mat`: the FNO data files (``piececonst_r421_N1024_smooth1.mat``,
  ``burgers_data_R10.mat``, ``NavierStokes_V1e-3_N5000_T50.mat``, …). MATLAB v5 files are read
  with ``scipy.io.loadmat``; v7.3 files are HDF5 and need ``h5py`` (their arrays are stored in
  column-major order, so axes are reversed to match the v5 reading).
* :func:`load_neuraloperator_pt`: neuraloperator's ``darcy_train_16.pt``-style files, a
  ``torch.save``-d dict of tensors (``{"x": ..., "y": ...}``), loaded with ``weights_only=True``.
* :func:`load_pdebench_h5`: PDEBench HDF5 files (``tensor``, ``nu``, ``x-coordinate``,
  ``t-coordinate``, …; root-level datasets only), needs ``h5py``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.optional import require

__all__ = ["load_fno_mat", "load_neuraloperator_pt", "load_pdebench_h5"]

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _existing(path: str | os.PathLike[str]) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        raise FileNotFoundError(f"no such data file: {p}")
    return p


def _is_hdf5(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(1024)
    # MATLAB v7.3 puts a 512-byte text header before the HDF5 superblock.
    return head.startswith(_HDF5_MAGIC) or head[512:520] == _HDF5_MAGIC


def _select(available: Sequence[str], keys: Sequence[str] | None, path: Path) -> list[str]:
    if keys is None:
        return list(available)
    missing = [k for k in keys if k not in available]
    if missing:
        raise ConfigError(f"keys {missing} are not in {path.name}; it has {sorted(available)}")
    return list(keys)


def _tensor(array: Any, dtype: torch.dtype | None) -> Tensor:
    out = torch.from_numpy(np.ascontiguousarray(array))
    if dtype is not None and (out.is_floating_point() or out.is_complex()):
        out = out.to(dtype)
    return out


def _subsample(t: Tensor, step: int, skip_leading: int) -> Tensor:
    index = (slice(None),) * skip_leading + (slice(None, None, step),) * (t.dim() - skip_leading)
    return t[index]


def load_fno_mat(
    path: str | os.PathLike[str],
    keys: Sequence[str] | None = None,
    *,
    subsample: int = 1,
    dtype: torch.dtype | None = torch.float32,
) -> dict[str, Tensor]:
    """Read the arrays of an FNO ``.mat`` file.

    Args:
        path: the file.
        keys: variables to read (default: all numeric ones; MATLAB's ``__header__`` etc. skipped).
        subsample: keep every ``subsample``-th point along each axis after the first (sample)
            axis, e.g. 421 → 211 with 2 (FNO's ``r``).
        dtype: floating dtype of the tensors (``None`` keeps the file's).

    Returns:
        ``{name: tensor}`` with the sample axis first.
    """
    p = _existing(path)
    if isinstance(subsample, bool) or not isinstance(subsample, int) or subsample < 1:
        raise ConfigError(f"subsample must be an int >= 1; got {subsample!r}")
    out: dict[str, Tensor] = {}
    if _is_hdf5(p):
        h5py = require("h5py", "pde")
        with h5py.File(p, "r") as fh:
            names = [k for k in fh if isinstance(fh[k], h5py.Dataset) and not k.startswith("#")]
            for k in _select(names, keys, p):
                arr = np.asarray(fh[k])
                out[k] = _tensor(arr.transpose(tuple(range(arr.ndim - 1, -1, -1))), dtype)
    else:
        sio = require("scipy.io", "pde")
        data = sio.loadmat(p)
        names = [k for k, v in data.items() if not k.startswith("__") and isinstance(v, np.ndarray)]
        for k in _select(names, keys, p):
            out[k] = _tensor(data[k], dtype)
    return {k: _subsample(v, subsample, 1) for k, v in out.items()}


def load_neuraloperator_pt(
    path: str | os.PathLike[str], *, dtype: torch.dtype | None = torch.float32
) -> dict[str, Tensor]:
    """Read a neuraloperator ``.pt`` data file (a dict of tensors, e.g. ``{"x", "y"}``)."""
    p = _existing(path)
    data = torch.load(p, map_location="cpu", weights_only=True)
    if not isinstance(data, dict) or not all(isinstance(v, Tensor) for v in data.values()):
        raise ConfigError(f"{p.name} is not a dict of tensors (got {type(data).__name__})")
    return {
        str(k): v.to(dtype) if dtype is not None and v.is_floating_point() else v
        for k, v in data.items()
    }


def load_pdebench_h5(
    path: str | os.PathLike[str],
    keys: Sequence[str] | None = None,
    *,
    dtype: torch.dtype | None = torch.float32,
) -> dict[str, Tensor]:
    """Read the root-level datasets of a PDEBench ``.h5``/``.hdf5`` file (needs ``h5py``)."""
    p = _existing(path)
    h5py = require("h5py", "pde")
    with h5py.File(p, "r") as fh:
        names = [k for k in fh if isinstance(fh[k], h5py.Dataset)]
        return {k: _tensor(np.asarray(fh[k]), dtype) for k in _select(names, keys, p)}
