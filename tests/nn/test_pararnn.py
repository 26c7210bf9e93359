"""ParaRNN: scan, Newton solver, adjoint backward and the ParaGRU / ParaLSTM cells."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, NnatlasError
from nnatlas.nn.pararnn import (
    NewtonConfig,
    ParaGRU,
    ParaLSTM,
    RecurrentCell,
    apply_recurrence,
    autograd_jacobian,
    linear_scan,
    newton_solve,
)

F64 = torch.float64


def _transitions(structure: str, shape: tuple[int, ...], dim: int, gen: torch.Generator) -> Tensor:
    if structure == "diag":
        return torch.rand(*shape, dim, generator=gen, dtype=F64) * 1.8 - 0.9
    if structure == "block":
        return 0.5 * torch.randn(*shape, dim // 2, 2, 2, generator=gen, dtype=F64)
    if structure == "block3":
        return 0.4 * torch.randn(*shape, dim // 3, 3, 3, generator=gen, dtype=F64)
    return 0.3 * torch.randn(*shape, dim, dim, generator=gen, dtype=F64)


@pytest.mark.parametrize("structure", ["diag", "block", "block3", "dense"])
@pytest.mark.parametrize("length", [1, 2, 7, 64, 101])
def test_scan_methods_agree_with_the_loop(structure: str, length: int) -> None:
    gen = torch.Generator().manual_seed(length)
    a = _transitions(structure, (3, length), 6, gen)
    b = torch.randn(3, length, 6, generator=gen, dtype=F64)
    kind = "block" if structure.startswith("block") else structure
    ref = linear_scan(a, b, structure=kind, method="sequential")  # type: ignore[arg-type]
    # the loop itself against an explicit dense recurrence
    h = torch.zeros(3, 6, dtype=F64)
    for t in range(length):
        if kind == "diag":
            mat = torch.diag_embed(a[:, t])
        elif kind == "block":
            mat = torch.stack([torch.block_diag(*blocks) for blocks in a[:, t]])
        else:
            mat = a[:, t]
        h = (mat @ h.unsqueeze(-1))[..., 0] + b[:, t]
        assert torch.allclose(ref[:, t], h, atol=1e-12)
    for method in ("parallel", "chunked"):
        for chunk in (None, 3):
            out = linear_scan(a, b, structure=kind, method=method, chunk_size=chunk)  # type: ignore[arg-type]
            assert (out - ref).abs().max() < 1e-12


def test_scan_rejects_mismatched_shapes() -> None:
    with pytest.raises(ConfigError, match="a must"):
        linear_scan(torch.zeros(2, 5, 3), torch.zeros(2, 5, 4))
    with pytest.raises(NnatlasError, match="structure"):
        linear_scan(torch.zeros(2, 5, 3), torch.zeros(2, 5, 3), structure="banded")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="chunk_size"):
        linear_scan(torch.zeros(5, 3), torch.zeros(5, 3), method="chunked", chunk_size=0)


def _grads(cell: nn.Module, x: Tensor, weights: Tensor) -> tuple[Tensor, list[Tensor]]:
    y, last = cell(x)
    loss = (y * weights).sum() + last.sum()
    grads = torch.autograd.grad(loss, [x, *cell.parameters()])
    return y.detach(), list(grads)


@pytest.mark.parametrize("cls", [ParaGRU, ParaLSTM])
def test_parallel_equals_sequential_in_float64(cls: type) -> None:
    torch.manual_seed(0)
    cell = cls(8, 16, 2, dtype=F64, mode="sequential", a_scale=1.0)
    x = torch.randn(3, 257, 8, dtype=F64, requires_grad=True)
    w = torch.randn(3, 257, 16, dtype=F64)
    y_seq, g_seq = _grads(cell, x, w)
    for mode in ("parallel", "chunked"):
        cell.mode = mode
        y_par, g_par = _grads(cell, x, w)
        assert (y_par - y_seq).abs().max() < 1e-10, mode
        for gs, gp in zip(g_seq, g_par, strict=True):
            assert (gs - gp).abs().max() < 1e-8 * max(1.0, gs.abs().max().item()), mode


@pytest.mark.parametrize("cls", [ParaGRU, ParaLSTM])
def test_analytic_jacobian_matches_autograd(cls: type) -> None:
    torch.manual_seed(1)
    cell = cls(4, 6, 2, dtype=F64, a_scale=1.0)
    h = torch.randn(5, cell.state_size, dtype=F64)
    u = torch.randn(5, 18, dtype=F64)
    auto = autograd_jacobian(cell.step, h, u, cell.structure, cell.block_size)
    assert (cell.jacobian(h, u) - auto).abs().max() < 1e-13


class DenseTanhCell(RecurrentCell):
    """h' = tanh(W h + u): a generic cell whose Jacobian comes from autograd."""

    structure = "dense"

    def __init__(self, size: int) -> None:
        super().__init__()
        self.state_size = size
        self.weight = nn.Parameter(0.6 * torch.randn(size, size, dtype=F64) / math.sqrt(size))

    def step(self, h: Tensor, u: Tensor) -> Tensor:
        return torch.tanh(h @ self.weight.T + u)


def test_generic_dense_cell_and_h0_gradient() -> None:
    torch.manual_seed(2)
    cell = DenseTanhCell(5)
    u = torch.randn(2, 40, 5, dtype=F64, requires_grad=True)
    h0 = torch.randn(2, 5, dtype=F64, requires_grad=True)
    outs = {}
    for mode in ("sequential", "parallel", "chunked"):
        h = apply_recurrence(cell, u, h0, mode=mode)  # type: ignore[arg-type]
        grads = torch.autograd.grad(h.sin().sum(), [u, h0, cell.weight])
        outs[mode] = (h.detach(), grads)
    for mode in ("parallel", "chunked"):
        assert (outs[mode][0] - outs["sequential"][0]).abs().max() < 1e-10
        for gs, gp in zip(outs["sequential"][1], outs[mode][1], strict=True):
            assert (gs - gp).abs().max() < 1e-8


def test_gradcheck_of_the_adjoint_function() -> None:
    torch.manual_seed(3)
    cell = ParaLSTM(2, 4, 2, dtype=F64, mode="parallel")
    x = torch.randn(2, 9, 2, dtype=F64, requires_grad=True)
    h0 = torch.randn(2, 8, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, h0: cell(x, h0)[0], (x, h0))


def test_newton_converges_quadratically() -> None:
    torch.manual_seed(4)
    cell = ParaGRU(16, 32, 2, dtype=F64, a_scale=1.0)
    with torch.no_grad():
        cell.bias[0].fill_(-1.0)
        u = cell.project(torch.randn(4, 512, 16, dtype=F64))
        h0 = u.new_zeros(4, 32)
        exact = apply_recurrence(cell, u, h0, mode="sequential")
        history: list[Tensor] = []
        newton_solve(cell, u, h0, NewtonConfig(max_iters=7, tol=0.0), history=history)
    errors = [(h - exact).abs().max().item() for h in history]
    assert errors[-1] < 1e-13
    # once in the basin (error < 1e-2) each step at least squares the error (up to a constant)
    pairs = [(e0, e1) for e0, e1 in itertools.pairwise(errors) if e1 > 1e-12 and e0 < 1e-2]
    assert pairs
    for e0, e1 in pairs:
        assert math.log(e1) / math.log(e0) > 1.7, errors


def test_residual_check_stops_early_and_paper_config_runs_three_steps() -> None:
    torch.manual_seed(5)
    cell = ParaGRU(4, 8, 2, dtype=F64)
    u = cell.project(torch.randn(2, 64, 4, dtype=F64)).detach()
    h0 = u.new_zeros(2, 8)
    res: list[float] = []
    newton_solve(cell, u, h0, NewtonConfig(max_iters=30), residuals=res)
    assert res[-1] <= 50 * torch.finfo(F64).eps and len(res) < 30
    hist: list[Tensor] = []
    newton_solve(cell, u, h0, NewtonConfig.paper(), history=hist)
    assert len(hist) == 4


def test_errors_name_the_argument() -> None:
    cell = ParaGRU(4, 8, 2)
    with pytest.raises(ConfigError, match="input_size"):
        ParaGRU(5, 8, 2)
    with pytest.raises(ConfigError, match=r"x of shape \(batch, L, 4\)"):
        cell(torch.randn(2, 3, 5))
    with pytest.raises(ConfigError, match="h0"):
        cell(torch.randn(2, 3, 4), torch.zeros(2, 9))
    with pytest.raises(NnatlasError, match="mode"):
        apply_recurrence(cell, torch.randn(2, 3, 24), mode="fast")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_iters"):
        NewtonConfig(max_iters=0)


def test_empty_sequence_and_repr() -> None:
    cell = ParaLSTM(4, 8, 2)
    y, last = cell(torch.randn(2, 0, 4))
    assert y.shape == (2, 0, 8) and last.shape == (2, 16)
    assert "num_heads=2" in repr(cell)


def test_language_models_are_causal_and_modes_agree() -> None:
    from nnatlas.nn.pararnn import ParaRNNLM, TransformerLM

    torch.manual_seed(6)
    ids = torch.randint(0, 11, (2, 9))
    later = ids.clone()
    later[:, 5] = (later[:, 5] + 1) % 11
    for cell in ("gru", "lstm"):
        lm = ParaRNNLM(11, 8, 1, cell=cell, dtype=F64)  # type: ignore[arg-type]
        out = lm(ids)
        assert out.shape == (2, 9, 11)
        assert torch.allclose(lm(later)[:, :5], out[:, :5], atol=1e-12)
        lm.set_mode("sequential")
        assert (lm(ids) - out).abs().max() < 1e-10
    tf = TransformerLM(11, 8, 1, nhead=2, max_len=9)
    assert torch.allclose(tf(later)[:, :5], tf(ids)[:, :5], atol=1e-6)


def test_backward_does_not_go_through_the_newton_loop() -> None:
    cell = ParaGRU(4, 8, 2, mode="parallel")
    y, _ = cell(torch.randn(2, 33, 4, requires_grad=True))
    # one node for the whole solve (its backward is the adjoint scan), whatever the iterations
    node = y.grad_fn
    while node is not None and "NewtonRecurrence" not in node.name():
        node = node.next_functions[0][0]
    assert node is not None
    # saved: trajectory (B, L, N), inputs (B, L, 3N), h0, the recurrent weights: O(L N) in all
    shapes = [tuple(t.shape) for t in node.saved_tensors]
    assert shapes == [(2, 33, 8), (2, 33, 24), (2, 8), (3, 8)]


def test_unknown_mode_fails_at_construction():
    from nnatlas.core.errors import UnknownNameError

    with pytest.raises(
        UnknownNameError, match=r"unknown mode 'fast'.*sequential, parallel, chunked"
    ):
        ParaGRU(4, 8, mode="fast")  # type: ignore[arg-type]
