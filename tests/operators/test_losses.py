"""Relative L² / H¹ losses: closed forms, resolution independence, errors, conformance."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.operators.losses import H1Loss, RelativeL2Loss, relative_h1_loss, relative_l2_loss
from nnatlas.testing import check_module


def _sines(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.arange(n, dtype=torch.float64) / n
    return torch.sin(2 * math.pi * x), torch.sin(6 * math.pi * x)


@pytest.mark.parametrize("n", [16, 64, 256])
def test_closed_forms_at_any_resolution(n):
    target, bump = _sines(n)
    eps = torch.tensor([0.1, 0.3], dtype=torch.float64)
    tgt = target.expand(2, n)[:, None]
    pred = tgt + eps[:, None, None] * bump
    torch.testing.assert_close(relative_l2_loss(pred, tgt, reduction="none"), eps)
    torch.testing.assert_close(relative_l2_loss(pred, tgt), eps.mean())
    h1 = eps * math.sqrt((1 + 36 * math.pi**2) / (1 + 4 * math.pi**2))
    torch.testing.assert_close(relative_h1_loss(pred, tgt, reduction="none"), h1)
    # Central differences converge to the spectral value at second order.
    fd = relative_h1_loss(pred, tgt, method="fd", reduction="none")
    assert float((fd - h1).abs().max() / h1.max()) < 40.0 / n**2 * 10


def test_h1_domain_length_and_2d():
    n = 32
    x = torch.arange(n, dtype=torch.float64) / n
    xx, yy = torch.meshgrid(x, x, indexing="ij")
    tgt = torch.sin(2 * math.pi * xx)[None, None]
    pred = tgt + 0.2 * torch.sin(2 * math.pi * (xx + yy))[None, None]
    # ‖v‖²_{H¹}/‖v‖²_{L²} = 1 + |k|² with k = 2π/L per unit of frequency.
    for length in (1.0, 2.0):
        w = (2 * math.pi / length) ** 2
        expected = 0.2 * math.sqrt((1 + 2 * w) / (1 + w))
        got = relative_h1_loss(pred, tgt, domain_length=length)
        assert abs(float(got) - expected) < 1e-10
    assert float(relative_h1_loss(tgt, tgt)) == 0.0
    assert float(H1Loss(reduction="sum")(pred, tgt)) == pytest.approx(
        float(relative_h1_loss(pred, tgt))
    )
    assert float(RelativeL2Loss()(pred, tgt)) == pytest.approx(0.2, rel=1e-10)


def test_gradients_flow():
    pred = torch.randn(3, 1, 8, 8, requires_grad=True)
    tgt = torch.randn(3, 1, 8, 8)
    (relative_l2_loss(pred, tgt) + relative_h1_loss(pred, tgt)).backward()
    assert pred.grad is not None and bool(torch.isfinite(pred.grad).all())


def test_errors():
    with pytest.raises(ConfigError, match="same shape"):
        relative_l2_loss(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ConfigError, match="spatial_dims"):
        relative_h1_loss(torch.zeros(2, 3), torch.ones(2, 3), spatial_dims=3)
    with pytest.raises(ConfigError, match="method"):
        relative_h1_loss(torch.zeros(2, 1, 3), torch.ones(2, 1, 3), method="cheb")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="reduction"):
        relative_l2_loss(torch.zeros(2, 3), torch.ones(2, 3), reduction="max")  # type: ignore[arg-type]


def test_conformance():
    pair = lambda dtype: (torch.randn(2, 1, 6, dtype=dtype), torch.randn(2, 1, 6, dtype=dtype))  # noqa: E731
    check_module(lambda dtype: H1Loss(), pair, name="H1Loss-test")
    check_module(lambda dtype: RelativeL2Loss(), pair, name="RelativeL2Loss-test")
