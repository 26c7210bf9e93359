"""Lifelong model editing: one editor protocol, WISE and its FT-L / GRACE baselines, metrics.

Editors work on any causal LM ``nn.Module`` (Hugging Face ``*ForCausalLM`` or plain PyTorch)
with a tokenizer; see :mod:`nnatlas.editing.protocol`.
"""

from nnatlas.editing.ft_l import FTL, FTLConfig
from nnatlas.editing.grace import GRACE, GRACEConfig, GRACELayer
from nnatlas.editing.locate import Located, linear_apply, locate
from nnatlas.editing.metrics import (
    LocalityReference,
    edit_metrics,
    greedy_generate,
    locality_reference,
    token_predictions,
)
from nnatlas.editing.protocol import Editor, EditRequest, encode_batch, logits_of
from nnatlas.editing.ties import ties_merge, trim_top
from nnatlas.editing.wise import WISE, WISEConfig, WISELayer, activation_loss, random_mask

__all__ = [
    "FTL",
    "GRACE",
    "WISE",
    "EditRequest",
    "Editor",
    "FTLConfig",
    "GRACEConfig",
    "GRACELayer",
    "LocalityReference",
    "Located",
    "WISEConfig",
    "WISELayer",
    "activation_loss",
    "edit_metrics",
    "encode_batch",
    "greedy_generate",
    "linear_apply",
    "locality_reference",
    "locate",
    "logits_of",
    "random_mask",
    "ties_merge",
    "token_predictions",
    "trim_top",
]
