"""The shared operator training loop: learns, is seeded, and rejects bad input clearly."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.operators import fit_operator, relative_l2_loss


def _problem() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 8, 8, generator=g)
    return x, 3.0 * x  # a linear map a 1x1 convolution represents exactly


def test_fit_operator_learns_and_is_deterministic_under_its_seed():
    x, y = _problem()
    weights = []
    for _ in range(2):
        torch.manual_seed(0)
        model = nn.Conv2d(1, 1, 1)
        with torch.no_grad():
            before = float(relative_l2_loss(model(x), y))
        seconds = fit_operator(model, x, y, steps=200, batch_size=8, lr=5e-2, seed=3)
        with torch.no_grad():
            after = float(relative_l2_loss(model(x), y))
        assert seconds >= 0 and after < 0.05 * before
        weights.append(model.weight.detach().clone())
    assert torch.equal(weights[0], weights[1])


def test_fit_operator_rejects_bad_input():
    x, y = _problem()
    model = nn.Conv2d(1, 1, 1)
    with pytest.raises(ConfigError, match="same non-zero number of samples"):
        fit_operator(model, x, y[:10], steps=1, batch_size=2, lr=1e-3)
    with pytest.raises(ConfigError, match="same non-zero number of samples"):
        fit_operator(model, x[:0], y[:0], steps=1, batch_size=2, lr=1e-3)
    with pytest.raises(ConfigError, match="steps"):
        fit_operator(model, x, y, steps=0, batch_size=2, lr=1e-3)
    with pytest.raises(TypeError, match="batch_size"):
        fit_operator(model, x, y, steps=1, batch_size=2.0, lr=1e-3)  # type: ignore[arg-type]
