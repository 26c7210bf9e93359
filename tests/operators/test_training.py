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


def test_fit_operator_reports_progress_through_on_step_and_can_stop():
    x, y = _problem()
    seen: list[tuple[int, dict[str, float]]] = []
    fit_operator(
        nn.Conv2d(1, 1, 1), x, y, steps=10, batch_size=4, lr=1e-2,
        on_step=lambda step, record: seen.append((step, record)), log_key="train_rel_l2",
    )  # fmt: skip
    assert [s for s, _ in seen] == [2, 4, 6, 8, 10]
    assert all(set(r) == {"step", "train_rel_l2"} and r["step"] == s for s, r in seen)
    stops: list[int] = []

    def stop_at_four(step: int, record: dict[str, float]) -> bool:
        stops.append(step)
        return step >= 4

    fit_operator(nn.Conv2d(1, 1, 1), x, y, steps=10, batch_size=4, lr=1e-2, on_step=stop_at_four)
    assert stops == [2, 4]


def test_fit_operator_logs_nothing_by_default_and_accepts_the_old_log_name():
    import inspect

    import nnatlas.operators.training as training

    assert "nnatlas.runs" not in inspect.getsource(training)  # families never import runs
    x, y = _problem()
    fit_operator(nn.Conv2d(1, 1, 1), x, y, steps=2, batch_size=2, lr=1e-3, log_name="fno")
