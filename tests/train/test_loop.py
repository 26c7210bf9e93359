"""The shared supervised loop: exactness against a hand-written loop, determinism, errors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnatlas.train import accuracy, fit


def data(n: int = 90) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=gen, dtype=torch.float64)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    return x, y


def net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2)).double()


def test_fit_equals_a_hand_written_loop() -> None:
    x, y = data()
    model, ref = net(), net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    history = fit(
        model,
        x,
        y,
        optimizer=opt,
        epochs=3,
        batch_size=32,
        generator=torch.Generator().manual_seed(7),
    )
    gen = torch.Generator().manual_seed(7)
    for epoch in range(3):
        order = torch.randperm(90, generator=gen)
        total = 0.0
        for begin in range(0, 90, 32):
            idx = order[begin : begin + 32]
            ref_opt.zero_grad()
            loss = F.cross_entropy(ref(x[idx]), y[idx])
            loss.backward()
            ref_opt.step()
            total += float(loss.detach()) * len(idx)
        assert history[epoch]["loss"] == pytest.approx(total / 90, rel=1e-14)
        assert history[epoch]["epoch"] == epoch + 1
    for p, q in zip(model.parameters(), ref.parameters(), strict=True):
        assert torch.equal(p, q)
    assert set(history[0]) == {"epoch", "loss", "seconds"}


def test_fit_is_deterministic_given_the_generator_and_learns() -> None:
    x, y = data()
    runs = []
    for seed in (1, 1, 2):
        model = net()
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        hist = fit(
            model,
            x,
            y,
            optimizer=opt,
            epochs=30,
            batch_size=16,
            generator=torch.Generator().manual_seed(seed),
        )
        runs.append([h["loss"] for h in hist])
    assert runs[0] == runs[1] and runs[0] != runs[2]
    assert runs[0][-1] < 0.25 * runs[0][0]
    assert accuracy(model, x, y) > 0.95


def test_fit_callbacks_zero_epochs_and_restores_mode() -> None:
    x, y = data()
    model = net().eval()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen: list[int] = []
    hist = fit(
        model, x, y, optimizer=opt, epochs=10, on_epoch=lambda e, r: seen.append(e) or e == 2
    )
    assert seen == [1, 2] and len(hist) == 2
    assert not model.training
    assert fit(model, x, y, optimizer=opt, epochs=0) == []


def test_fit_stops_on_non_finite_loss() -> None:
    x, y = data()
    model = net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hist = fit(model, x, y, optimizer=opt, epochs=5, loss_fn=lambda out, t: out.sum() * math.inf)
    assert len(hist) == 1 and not math.isfinite(hist[0]["loss"])


def test_accuracy_counts_and_uses_eval_mode() -> None:
    class Probe(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.modes: list[bool] = []

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.modes.append(self.training)
            return torch.stack((x[:, 0], -x[:, 0]), dim=1)

    x = torch.tensor([[1.0], [-1.0], [2.0], [-3.0], [0.5]])
    y = torch.tensor([0, 1, 1, 1, 0])
    probe = Probe().train()
    assert accuracy(probe, x, y, batch_size=2) == pytest.approx(0.8)
    assert probe.modes == [False, False, False] and probe.training


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda m, o, x, y: fit(m, x, y[:-1], optimizer=o, epochs=1),
            ValueError,
            "same length; got 90",
        ),
        (
            lambda m, o, x, y: fit(m, x, y, optimizer=o, epochs=-1),
            ValueError,
            "epochs must be an int >= 0; got -1",
        ),
        (
            lambda m, o, x, y: fit(m, x, y, optimizer=o, epochs=1, batch_size=0),
            ValueError,
            "batch_size must be an int >= 1; got 0",
        ),
        (
            lambda m, o, x, y: fit(m, x, y, optimizer="adam", epochs=1),
            TypeError,
            "torch.optim.Optimizer; got str",
        ),
        (
            lambda m, o, x, y: fit(m, x.numpy(), y, optimizer=o, epochs=1),
            TypeError,
            "must be torch.Tensors; got ndarray",
        ),
        (
            lambda m, o, x, y: fit(m, x[:0], y[:0], optimizer=o, epochs=1),
            ValueError,
            "at least one example",
        ),
        (lambda m, o, x, y: accuracy(m, x, y.double()), ValueError, "1-D integer label tensor"),
        (lambda m, o, x, y: accuracy(m, x, y[:3]), ValueError, "same length"),
    ],
)
def test_argument_errors(call, error: type[Exception], match: str) -> None:
    x, y = data()
    model = net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(error, match=match):
        call(model, opt, x, y)
