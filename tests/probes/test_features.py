from __future__ import annotations

import pytest
import torch
from torch import nn

from nnatlas.core.errors import UnknownNameError
from nnatlas.nn import MLP, LeNet
from nnatlas.probes import ProbeCallback, capture_features, extract_features, layer_names
from nnatlas.train import fit


def test_features_equal_a_manual_forward():
    model = MLP(6, [8, 5], 3)
    x = torch.randn(11, 6)
    feats = extract_features(model, x, ["layers.1", "layers.3"], batch_size=4)
    manual = model.layers[1](model.layers[0](x))
    torch.testing.assert_close(feats["layers.1"], manual)
    torch.testing.assert_close(feats["layers.3"], model.layers[3](model.layers[2](manual)))
    assert feats["layers.3"].shape == (11, 5)


def test_images_are_flattened_and_modes_restored():
    model = LeNet(1, 4, image_size=8, channels=(2, 3), hidden=(5,), batch_norm=True)
    model.train()
    name = next(
        n for n in layer_names(model) if isinstance(dict(model.named_modules())[n], nn.Conv2d)
    )
    feats = extract_features(model, torch.randn(7, 1, 8, 8), name)[name]
    assert feats.shape[0] == 7 and feats.dim() == 2
    assert model.training


def test_hooks_are_removed_and_names_checked():
    model = MLP(3, [4], 2)
    with capture_features(model, "layers.0") as store:
        model(torch.randn(2, 3))
    model(torch.randn(2, 3))
    assert len(store["layers.0"]) == 1
    assert not model.layers[0]._forward_hooks
    with pytest.raises(UnknownNameError, match=r"unknown layer 'nope'.*layers\.0"):
        extract_features(model, torch.randn(2, 3), "nope")


def test_probe_callback_records_every_epoch_in_fit():
    torch.manual_seed(0)
    model = MLP(4, [8], 3)
    x, y = torch.randn(40, 4), torch.randint(0, 3, (40,))
    seen = []

    def probe(feats, labels):
        seen.append((feats.shape, labels.shape))
        return {"mean": feats.mean(), "n": float(len(labels))}

    cb = ProbeCallback(probe, layer="layers.1", inputs=x, labels=y, name="p", every=2)
    history = fit(
        model, x, y, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=4, callbacks=[cb]
    )
    assert [h.get("p/n") for h in history] == [None, 40.0, None, 40.0]
    assert [h["epoch"] for h in cb.history] == [2, 4]
    assert seen == [((40, 8), (40,))] * 2
    with pytest.raises(TypeError, match="probe must be callable"):
        ProbeCallback(3, layer="layers.1", inputs=x)  # type: ignore[arg-type]


def test_probe_callback_reports_through_on_log_only_when_given():
    torch.manual_seed(0)
    model = MLP(4, [8], 3)
    x = torch.randn(10, 4)
    logged: list[dict] = []
    cb = ProbeCallback(
        lambda f: f.abs().mean(),
        layer="layers.1",
        inputs=x,
        name="m",
        on_log=lambda **kw: logged.append(kw),
    )
    values = cb.on_epoch_end(3, model)
    assert values is not None
    # The logged record is exactly the returned values plus the step and the layer.
    assert logged == [{"step": 3, "layer": "layers.1", "m": values["m"]}]
    quiet = ProbeCallback(lambda f: f.abs().mean(), layer="layers.1", inputs=x, name="m")
    assert quiet.on_epoch_end(3, model) == values  # same probe, same model: same number
    with pytest.raises(TypeError, match="on_log"):
        ProbeCallback(lambda f: 0.0, layer="layers.1", inputs=x, on_log=3)  # type: ignore[arg-type]
