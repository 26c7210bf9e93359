"""Procedural anomaly textures: seeded, masked, both classes present, fast."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnatlas.core.errors import ConfigError, StorageError, UnknownNameError
from nnatlas.data.anomaly import (
    DEFECTS,
    OBJECT_DEFECTS,
    OBJECTS,
    TEXTURES,
    anomaly_objects,
    anomaly_textures,
    load_mvtec,
    one_class_digits,
)
from nnatlas.testing.bad_inputs import assert_clear_error, unknown_names


@pytest.mark.parametrize("texture", TEXTURES)
def test_shapes_masks_and_labels(texture):
    d = anomaly_textures(texture, num_train=6, num_test=10, size=32, seed=1)
    assert d.train.shape == (6, 3, 32, 32) and d.test.shape == (10, 3, 32, 32)
    assert d.masks.shape == (10, 32, 32) and d.image_size == (32, 32)
    assert set(d.labels.tolist()) == {0, 1}
    has_defect = d.masks.flatten(1).amax(1) > 0
    assert torch.equal(has_defect.long(), d.labels)  # a mask exactly on the anomalous images
    assert torch.isfinite(d.train).all() and d.train.dtype == torch.float32


def test_seeded():
    a, b = (
        anomaly_textures(seed=3, num_train=4, num_test=4),
        anomaly_textures(seed=3, num_train=4, num_test=4),
    )
    assert torch.equal(a.test, b.test) and torch.equal(a.masks, b.masks)
    c = anomaly_textures(seed=4, num_train=4, num_test=4)
    assert not torch.equal(a.train, c.train)


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_changes_the_masked_pixels(defect):
    d = anomaly_textures("stripes", num_train=1, num_test=8, size=32, defects=[defect],
                         noise=0.0, anomaly_fraction=0.9, seed=2)  # fmt: skip
    i = int(torch.nonzero(d.labels)[0])
    ref = anomaly_textures("stripes", num_train=1, num_test=8, size=32, defects=[defect],
                           noise=0.0, anomaly_fraction=0.9, seed=2)  # fmt: skip
    assert torch.equal(d.test, ref.test)
    assert d.masks[i].sum() >= 4


def test_bad_arguments_name_themselves():
    with pytest.raises(UnknownNameError, match="texture"):
        anomaly_textures("wood")
    with pytest.raises(UnknownNameError, match="defect"):
        anomaly_textures(defects=["crack"])
    for kwargs, name in [({"num_test": 1}, "num_test"), ({"size": 8}, "size"),
                         ({"anomaly_fraction": 1.0}, "anomaly_fraction"),
                         ({"noise": float("nan")}, "noise"), ({"defects": []}, "defects")]:  # fmt: skip
        with pytest.raises((ConfigError, TypeError), match=name):
            anomaly_textures(**kwargs)


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["num_train", "num_test", "size", "seed"]),
       st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(max_size=3)))  # fmt: skip
def test_bad_counts_property(name, value):
    assert_clear_error(anomaly_textures, argument=name, **{name: value})


@settings(max_examples=10, deadline=None)
@given(unknown_names(TEXTURES))
def test_unknown_texture_property(name):
    assert_clear_error(anomaly_textures, name, argument="texture")


def _write_png(path, array):
    image = pytest.importorskip("PIL.Image")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.fromarray(array).save(path)


def test_mvtec_reader_on_a_fake_folder(tmp_path):
    np = pytest.importorskip("numpy")
    cat = tmp_path / "carpet"
    for i in range(3):
        _write_png(cat / "train" / "good" / f"{i:03d}.png", np.full((8, 8, 3), 40 * i, np.uint8))
    _write_png(cat / "test" / "good" / "000.png", np.zeros((8, 8, 3), np.uint8))
    _write_png(cat / "test" / "hole" / "000.png", np.full((8, 8, 3), 255, np.uint8))
    mask = np.zeros((8, 8), np.uint8)
    mask[2:4, 3:6] = 255
    _write_png(cat / "ground_truth" / "hole" / "000_mask.png", mask)
    d = load_mvtec(tmp_path, "carpet", size=8, max_train=2)
    assert d.train.shape == (2, 3, 8, 8) and d.test.shape == (2, 3, 8, 8)
    assert d.labels.tolist() == [0, 1]  # "good" sorts before "hole"
    assert d.masks[1].sum() == 6 and d.masks[0].sum() == 0
    assert d.train[1].max() == pytest.approx(40 / 255) and d.test[1].min() == 1.0
    (cat / "ground_truth" / "hole" / "000_mask.png").unlink()
    with pytest.raises(StorageError, match=r"000_mask\.png"):
        load_mvtec(tmp_path, "carpet", size=8)
    with pytest.raises(StorageError, match="train"):
        load_mvtec(tmp_path, "wood")
    assert_clear_error(load_mvtec, tmp_path, "carpet", size=2, argument="size")
    assert_clear_error(load_mvtec, tmp_path, "", argument="category")


def test_one_class_digits():
    pytest.importorskip("sklearn")
    d = one_class_digits(3, test_size=0.25, seed=0)
    assert d.train.shape[1:] == (1, 8, 8) and d.masks is None
    assert float(d.train.min()) >= 0 and float(d.train.max()) <= 1
    frac = float(d.labels.float().mean())
    assert 0.85 < frac < 0.95  # nine digits of ten are anomalous
    assert_clear_error(one_class_digits, 10, argument="normal")


@pytest.mark.parametrize("defect", OBJECT_DEFECTS)
def test_object_defects_change_exactly_the_masked_pixels(defect):
    # With no pixel noise, an anomalous test image differs from the defect-free rendering of the
    # same gear only where its mask is set (and the mask is non-empty).
    kw = {"num_train": 1, "num_test": 6, "size": 48, "noise": 0.0, "anomaly_fraction": 0.9}
    d = anomaly_objects(defects=[defect], seed=5, **kw)
    assert d.test.shape == (6, 3, 48, 48) and set(d.labels.tolist()) == {0, 1}
    assert torch.equal((d.masks.flatten(1).amax(1) > 0).long(), d.labels)
    normal = d.test[d.labels == 0]
    # normal images hold the object's grey and the background's, nothing else
    assert normal.min() >= 0.0 and normal.max() <= 0.7
    if defect == "missing":
        for i in torch.nonzero(d.labels).flatten().tolist():
            m = d.masks[i].bool()
            # a missing part is background where the object was
            assert torch.allclose(d.test[i][:, m], torch.tensor([0.12, 0.1164, 0.108])[:, None])


def test_objects_are_seeded_and_rotated():
    a = anomaly_objects(num_train=8, num_test=2, size=32, seed=1)
    b = anomaly_objects(num_train=8, num_test=2, size=32, seed=1)
    assert torch.equal(a.train, b.train) and torch.equal(a.masks, b.masks)
    # random rotations: no two normal training images are equal
    flat = a.train.flatten(1)
    assert torch.cdist(flat, flat).add(torch.eye(8) * 1e9).min() > 0.1


def test_object_bad_arguments_name_themselves():
    assert_clear_error(anomaly_objects, "bolt", argument="category")
    assert_clear_error(anomaly_objects, defects=["patch"], argument="defect")
    assert_clear_error(anomaly_objects, size=8, argument="size")
    assert_clear_error(anomaly_objects, anomaly_fraction=0.0, argument="anomaly_fraction")
    assert OBJECTS == ("gear",)
