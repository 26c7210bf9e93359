"""Procedural anomaly textures: seeded, masked, both classes present, fast."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.data.anomaly import DEFECTS, TEXTURES, anomaly_textures
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
