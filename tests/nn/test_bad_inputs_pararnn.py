"""Bad arguments to what ``nnatlas.nn.pararnn`` exports beside ``nnatlas.nn``: the two language
models and the autograd Jacobian, each failing in one clear error naming the argument."""

from __future__ import annotations

import pytest
import torch

from nnatlas.nn.pararnn import ParaRNNLM, TransformerLM, autograd_jacobian
from nnatlas.testing.bad_inputs import assert_clear_error

COVERED = {"ParaRNNLM", "TransformerLM", "autograd_jacobian"}
EXEMPT: dict[str, str] = {}


@pytest.mark.parametrize("model", [ParaRNNLM, TransformerLM])
@pytest.mark.parametrize("argument", ["vocab_size", "d_model", "num_layers", "mlp_ratio"])
@pytest.mark.parametrize("value", [0, -1, 1.5, "4"])
def test_language_model_sizes(model, argument, value):
    kwargs = {"vocab_size": 8, "d_model": 8, argument: value}
    assert_clear_error(model, argument=argument, **kwargs)


def test_transformer_lm_heads_and_length():
    assert_clear_error(TransformerLM, 8, 8, nhead=3, argument="nhead")
    assert_clear_error(TransformerLM, 8, 8, nhead=2, max_len=0, argument="max_len")
    lm = TransformerLM(8, 8, nhead=2, max_len=4)
    assert_clear_error(lm, torch.zeros(1, 5, dtype=torch.long), argument="max_len")


@pytest.mark.parametrize("model", [ParaRNNLM(8, 8), TransformerLM(8, 8, nhead=2)])
def test_language_model_ids(model):
    assert_clear_error(model, torch.zeros(2, 3), argument="ids")  # float ids
    assert_clear_error(model, torch.zeros(3, dtype=torch.long), argument="ids")  # 1-D
    assert_clear_error(model, torch.full((2, 3), 8), argument="ids")  # out of the vocabulary
    assert_clear_error(model, torch.full((2, 3), -1), argument="ids")
    assert model(torch.zeros(2, 3, dtype=torch.long)).shape == (2, 3, 8)


def test_autograd_jacobian_arguments():
    def step(h, u):
        return torch.tanh(h + u)

    h, u = torch.zeros(2, 4), torch.zeros(2, 4)
    assert_clear_error(autograd_jacobian, None, h, u, "diag", argument="step")
    assert_clear_error(autograd_jacobian, step, "h", u, "diag", argument="h")
    assert_clear_error(autograd_jacobian, step, h, "u", "diag", argument="u")
    assert_clear_error(autograd_jacobian, step, h, u, "sparse", argument="structure")
    assert_clear_error(autograd_jacobian, step, h, u, "block", 3, argument="block_size")
    torch.testing.assert_close(autograd_jacobian(step, h, u, "diag"), torch.ones(2, 4))
