"""The train family's layout: old import paths still work, and the library registers no cases."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import nnatlas.train
from nnatlas.testing import catalog

TRAIN = Path(nnatlas.train.__file__).parent

OLD_NAMES = {
    "nnatlas.train.noprop": [
        "ConvBlock",
        "MLPBlock",
        "MonotoneSchedule",
        "NoPropCT",
        "NoPropDT",
        "NoPropFM",
        "class_prototypes",
        "cosine_alpha_bar",
        "saved_activation_bytes",
        "time_features",
        "EmbeddingKind",
    ],
    "nnatlas.train.subspace": [
        "PROJECTION_KINDS",
        "DenseProjection",
        "FastfoodProjection",
        "IdentityProjection",
        "Projection",
        "SparseProjection",
        "SubspaceModel",
        "fwht",
        "make_projection",
    ],
}


@pytest.mark.parametrize("module", sorted(OLD_NAMES))
def test_old_dotted_paths_export_the_same_objects(module: str) -> None:
    mod = importlib.import_module(module)
    for name in OLD_NAMES[module]:
        obj = getattr(mod, name)
        if name in nnatlas.train.__all__:
            assert obj is getattr(nnatlas.train, name), name


def test_library_modules_register_no_conformance_cases() -> None:
    """Cases live in nnatlas.testing.cases.train; the library code only defines components."""
    offenders = [
        str(path.relative_to(TRAIN))
        for path in TRAIN.rglob("*.py")
        if "register_module_case" in path.read_text()
        or "register_optimizer_case" in path.read_text()
    ]
    assert offenders == []
    subspace = "".join(p.read_text() for p in (TRAIN / "subspace").glob("*.py"))
    assert "nnatlas.nn" not in subspace  # the models were imported only for the cases


def test_the_train_cases_are_in_the_catalogue() -> None:
    catalog.load_all()
    names = {case.name for case in catalog.module_cases()}
    expected = {
        "NoPropDT-MLPBlock-onehot",
        "NoPropDT-MLPBlock-learned",
        "NoPropDT-ConvBlock-prototype",
        "NoPropFM-MLPBlock-learned",
        "NoPropCT-MLPBlock-learned",
        "SubspaceModel-MLP-dense",
        "SubspaceModel-MLP-sparse",
        "SubspaceModel-MLP-fastfood",
        "SubspaceModel-LeNet-batchnorm",
        "GatedReLU",
    }
    assert expected <= names
