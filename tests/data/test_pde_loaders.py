"""Loaders for FNO .mat, neuraloperator .pt and PDEBench .h5 files, on tiny files written here."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.data.pde.loaders import load_fno_mat, load_neuraloperator_pt, load_pdebench_h5


def test_fno_mat_v5_round_trip_and_subsample(tmp_path):
    sio = pytest.importorskip("scipy.io")
    coeff = np.arange(2 * 5 * 5, dtype=np.float64).reshape(2, 5, 5)
    sio.savemat(tmp_path / "darcy.mat", {"coeff": coeff, "sol": -coeff})
    data = load_fno_mat(tmp_path / "darcy.mat")
    assert set(data) == {"coeff", "sol"} and data["coeff"].dtype == torch.float32
    torch.testing.assert_close(data["sol"], torch.from_numpy(-coeff).float())
    sub = load_fno_mat(tmp_path / "darcy.mat", ["coeff"], subsample=2, dtype=None)
    assert (
        list(sub) == ["coeff"]
        and sub["coeff"].shape == (2, 3, 3)
        and sub["coeff"].dtype == torch.float64
    )
    torch.testing.assert_close(sub["coeff"], torch.from_numpy(coeff[:, ::2, ::2]))
    with pytest.raises(ConfigError, match=r"not in darcy\.mat"):
        load_fno_mat(tmp_path / "darcy.mat", ["a"])
    with pytest.raises(ConfigError, match="subsample"):
        load_fno_mat(tmp_path / "darcy.mat", subsample=0)
    with pytest.raises(FileNotFoundError):
        load_fno_mat(tmp_path / "missing.mat")


def test_fno_mat_v73_hdf5_is_transposed(tmp_path):
    h5py = pytest.importorskip("h5py")
    u = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    with h5py.File(tmp_path / "ns.mat", "w") as fh:
        fh["u"] = u.transpose(2, 1, 0)  # MATLAB writes column-major
    torch.testing.assert_close(load_fno_mat(tmp_path / "ns.mat")["u"], torch.from_numpy(u))


def test_neuraloperator_pt(tmp_path):
    torch.save(
        {"x": torch.ones(3, 4, 4, dtype=torch.float64), "y": torch.zeros(3, 4, 4)},
        tmp_path / "d.pt",
    )
    data = load_neuraloperator_pt(tmp_path / "d.pt")
    assert data["x"].dtype == torch.float32 and data["y"].shape == (3, 4, 4)
    torch.save([1, 2], tmp_path / "bad.pt")
    with pytest.raises(ConfigError, match="not a dict of tensors"):
        load_neuraloperator_pt(tmp_path / "bad.pt")


def test_pdebench_h5(tmp_path):
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "b.h5", "w") as fh:
        fh["tensor"] = np.ones((2, 3, 8))
        fh["x-coordinate"] = np.linspace(0, 1, 8)
    data = load_pdebench_h5(tmp_path / "b.h5")
    assert data["tensor"].shape == (2, 3, 8) and data["x-coordinate"].shape == (8,)
