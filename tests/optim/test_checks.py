"""The shared argument checks the optimizers use (and ``core.validation.check_real``)."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_real
from nnatlas.optim._checks import check_loss, check_losses, check_params


def test_check_real_interval_ends() -> None:
    assert check_real("m", 0, low=0.0, high=1.0, high_open=True) == 0.0
    assert check_real("m", 0.5, low=0.0, high=1.0) == 0.5
    with pytest.raises(ConfigError, match=r"m must be a finite number in \[0, 1\); got 1"):
        check_real("m", 1, low=0.0, high=1.0, high_open=True)
    with pytest.raises(ConfigError, match=r"\(0, inf\)"):
        check_real("lr", 0.0, low=0.0, low_open=True)
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ConfigError, match="lr"):
            check_real("lr", bad)
    for bad in ("1", True, None, torch.tensor(1.0)):
        with pytest.raises(TypeError, match="lr must be a real number"):
            check_real("lr", bad)


def test_check_loss_accepts_finite_scalars_only() -> None:
    assert check_loss(torch.tensor([2.5])) == 2.5
    assert check_loss(3) == 3.0
    with pytest.raises(ValueError, match="scalar"):
        check_loss(torch.zeros(2))
    with pytest.raises(ValueError, match="non-finite"):
        check_loss(torch.tensor(math.nan))
    with pytest.raises(TypeError, match="real"):
        check_loss(torch.tensor(1 + 1j))
    with pytest.raises(ValueError, match=r"2 non-finite loss\(es\) out of 3"):
        check_losses(torch.tensor([0.0, math.inf, math.nan]))


def test_check_params_materialises_generators() -> None:
    p = torch.zeros(2)
    assert check_params((t for t in [p]), "X") == [p]
    assert check_params([{"params": p}], "X") == [{"params": p}]
