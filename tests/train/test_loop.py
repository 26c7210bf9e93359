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


# ------------------------------------------------------------ extensions of the loop


def hand_loop(model, opt, x, y, *, epochs, batch_size, seed, loss_of, min_batch=1):
    """The reference: what every hand-rolled loop in the reproductions did."""
    gen = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(x.shape[0], generator=gen)
        total, count = 0.0, 0
        for begin in range(0, x.shape[0], batch_size):
            idx = order[begin : begin + batch_size]
            if len(idx) < min_batch:
                continue
            opt.zero_grad(set_to_none=True)
            total += loss_of(idx) * len(idx)
            count += len(idx)
            opt.step()
        losses.append(total / count)
    return losses


def test_batch_loss_reproduces_a_hand_loop_with_an_auxiliary_term() -> None:
    x, y = data()
    model, ref = net(), net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=1e-2)

    def aux(m: nn.Module, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        out = m(xb)
        return F.cross_entropy(out, yb) + 1e-3 * out.pow(2).mean()

    def ref_step(idx: torch.Tensor) -> float:
        loss = aux(ref, x[idx], y[idx])
        loss.backward()
        return float(loss.detach())

    hist = fit(
        model,
        x,
        y,
        optimizer=opt,
        epochs=4,
        batch_size=20,
        batch_loss=aux,
        generator=torch.Generator().manual_seed(3),
    )
    ref_losses = hand_loop(ref, ref_opt, x, y, epochs=4, batch_size=20, seed=3, loss_of=ref_step)
    assert [h["loss"] for h in hist] == ref_losses  # same operations in the same order
    for p, q in zip(model.parameters(), ref.parameters(), strict=True):
        assert torch.equal(p, q)


@pytest.mark.parametrize("returns", ["mapping", "float", "tensor"])
def test_backward_fn_drives_block_local_noprop_like_the_hand_loop(returns: str) -> None:
    from nnatlas.train import MLPBlock, NoPropDT

    x, y = data(40)
    y = y + (x[:, 2] > 1).long()  # three classes

    def build() -> NoPropDT:
        torch.manual_seed(0)
        return NoPropDT([MLPBlock(4, 3, 3, 8) for _ in range(2)], 3).double()

    model, ref = build(), build()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ref_opt = torch.optim.AdamW(ref.parameters(), lr=1e-3)

    def local(m: nn.Module, xb: torch.Tensor, yb: torch.Tensor) -> object:
        out = m.backward_local(xb, yb)  # type: ignore[operator]
        if returns == "float":
            return out["loss"]
        if returns == "tensor":
            return torch.tensor(out["loss"], dtype=torch.float64)
        return out

    torch.manual_seed(5)  # backward_local samples z from the global RNG
    hist = fit(
        model,
        x,
        y,
        optimizer=opt,
        epochs=2,
        batch_size=16,
        backward_fn=local,
        generator=torch.Generator().manual_seed(1),
    )
    torch.manual_seed(5)
    ref_losses = hand_loop(
        ref,
        ref_opt,
        x,
        y,
        epochs=2,
        batch_size=16,
        seed=1,
        loss_of=lambda idx: ref.backward_local(x[idx], y[idx])["loss"],
    )
    assert [h["loss"] for h in hist] == pytest.approx(ref_losses, rel=1e-15)
    for p, q in zip(model.parameters(), ref.parameters(), strict=True):
        assert torch.equal(p, q)


def test_full_batch_is_gradient_descent_and_ignores_the_generator() -> None:
    x, y = data()
    model, ref = net(), net()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    gen = torch.Generator().manual_seed(0)
    state = gen.get_state()
    hist = fit(model, x, y, optimizer=opt, epochs=5, batch_size=None, generator=gen)
    assert torch.equal(gen.get_state(), state)
    with torch.no_grad():
        for _ in range(5):
            ref.zero_grad()
            with torch.enable_grad():
                loss = F.cross_entropy(ref(x), y)
                loss.backward()
            for p in ref.parameters():
                p -= 0.5 * p.grad
    for p, q in zip(model.parameters(), ref.parameters(), strict=True):
        assert torch.equal(p, q)
    assert hist[-1]["loss"] < hist[0]["loss"]


def test_min_batch_skips_the_small_leftover_and_on_step_sees_every_step() -> None:
    x, y = data(33)  # batches of 16, 16 and a leftover of 1
    model, ref = net(), net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    steps: list[tuple[int, float]] = []

    def ref_step(idx: torch.Tensor) -> float:
        loss = F.cross_entropy(ref(x[idx]), y[idx])
        loss.backward()
        return float(loss.detach())

    hist = fit(
        model,
        x,
        y,
        optimizer=opt,
        epochs=3,
        batch_size=16,
        min_batch=2,
        generator=torch.Generator().manual_seed(4),
        on_step=lambda s, loss: steps.append((s, loss)),
    )
    ref_losses = hand_loop(
        ref, ref_opt, x, y, epochs=3, batch_size=16, seed=4, loss_of=ref_step, min_batch=2
    )
    assert [h["loss"] for h in hist] == ref_losses
    assert [s for s, _ in steps] == list(range(1, 7))  # two steps per epoch
    # Each epoch's loss is the mean of its two equal-sized batch losses.
    assert hist[0]["loss"] == pytest.approx((steps[0][1] + steps[1][1]) / 2, rel=1e-15)


def test_target_loss_stops_after_the_first_epoch_below_it() -> None:
    x, y = data()
    model = net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    full = fit(net(), x, y, optimizer=torch.optim.Adam(net().parameters(), lr=0), epochs=1)
    target = 0.3
    hist = fit(
        model,
        x,
        y,
        optimizer=opt,
        epochs=200,
        batch_size=16,
        target_loss=target,
        generator=torch.Generator().manual_seed(1),
    )
    assert full[0]["loss"] > target  # the untrained net is above the target
    assert hist[-1]["loss"] <= target < min(h["loss"] for h in hist[:-1])
    assert len(hist) < 200


def test_evaluate_loss_is_the_loss_over_the_whole_set_in_eval_mode() -> None:
    from nnatlas.train import evaluate_loss

    x, y = data()
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2)).double().train()
    with torch.no_grad():
        model.eval()
        expected = float(F.cross_entropy(model(x), y))
        model.train()
    got = evaluate_loss(model, x, y, batch_size=32)
    # Three batch means recombined by their sizes: a few float64 roundings of ~1e-16 each.
    assert got == pytest.approx(expected, rel=1e-13)
    assert model.training
    mse = evaluate_loss(model, x, x[:, :2], loss_fn=F.mse_loss)
    with torch.no_grad():
        model.eval()
        assert mse == pytest.approx(float(F.mse_loss(model(x), x[:, :2])), rel=1e-13)


def test_accuracy_reads_a_single_logit_as_binary() -> None:
    x = torch.tensor([[1.0], [-1.0], [2.0], [-3.0]])
    y = torch.tensor([1, 0, 0, 0])
    assert accuracy(nn.Identity(), x, y) == 0.75  # (B, 1): logit > 0 means class 1
    assert accuracy(nn.Flatten(0), x, y) == 0.75  # (B,)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"batch_loss": lambda m, xb, yb: m(xb).sum(), "loss_fn": F.mse_loss},
            ValueError,
            "one of",
        ),
        (
            {"batch_loss": lambda m, xb, yb: 0, "backward_fn": lambda m, xb, yb: 0},
            ValueError,
            "one of",
        ),
        ({"batch_loss": "mse"}, TypeError, "batch_loss must be callable"),
        ({"on_step": 3}, TypeError, "on_step must be callable"),
        ({"min_batch": 100, "batch_size": 32}, ValueError, "min_batch=100 skips every minibatch"),
        ({"target_loss": "low"}, ValueError, "target_loss must be a number"),
        ({"backward_fn": lambda m, xb, yb: {"total": 1.0}}, ValueError, "without a 'loss' entry"),
        ({"backward_fn": lambda m, xb, yb: "1.0"}, TypeError, "backward_fn must return"),
    ],
)
def test_extension_argument_errors(kwargs: dict, error: type[Exception], match: str) -> None:
    x, y = data()
    model = net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(error, match=match):
        fit(model, x, y, optimizer=opt, epochs=1, **kwargs)


def test_non_finite_data_is_refused_naming_it() -> None:
    x, y = data()
    x[3, 1] = float("nan")
    model = net()
    with pytest.raises(ValueError, match="x must be finite"):
        fit(model, x, y, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1)
