"""The editor protocol shared by every lifelong editor (WISE, FT-L, GRACE).

An edit request is a prompt and a target string, plus the paraphrases and locality prompts that
evaluate it and (for WISE) an irrelevant prompt used while writing it. An :class:`Editor` wraps
one causal LM (any ``nn.Module`` called as ``model(input_ids=..., attention_mask=...)`` that
returns logits or an object with ``.logits``: Hugging Face causal LMs and
:class:`nnatlas.data.facts.TinyLlama` alike) and a tokenizer with
``encode(text, add_special_tokens=...)`` and ``pad_token_id``:

* ``edit(request)`` / ``edit_stream(requests)`` apply edits in order (a lifelong stream);
* ``restore()`` returns the model to its original weights, bit for bit;
* ``save(path)`` / ``load(path)`` write and read the edit state (tensors + JSON-able counters).

Sequences are left-padded to the editor's ``max_length`` (EasyEdit's WISE uses 30); a prompt +
target longer than that is an error, never silently truncated.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, StorageError
from nnatlas.core.io import atomic_write_bytes
from nnatlas.core.validation import check_int
from nnatlas.editing.locate import Located, locate

__all__ = ["EditRequest", "Editor", "encode_batch", "logits_of"]


@dataclass(frozen=True)
class EditRequest:
    """One edit.

    Attributes:
        prompt: the edit prompt ``x_e``.
        target: the new answer ``y_e`` (one or more tokens).
        rephrases: paraphrases of ``prompt`` (Gen is measured on them).
        locality: (prompt, answer) pairs of unrelated facts (Loc is measured on them).
        irrelevant: an unrelated prompt (and its answer) used as WISE's ``x_i`` while editing.
    """

    prompt: str
    target: str
    rephrases: tuple[str, ...] = ()
    locality: tuple[tuple[str, str], ...] = ()
    irrelevant: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise ConfigError(f"prompt must be a non-empty string; got {self.prompt!r}")
        if not isinstance(self.target, str) or not self.target.strip():
            raise ConfigError(f"target must be a non-empty string; got {self.target!r}")
        object.__setattr__(self, "rephrases", tuple(self.rephrases))
        object.__setattr__(self, "locality", tuple(tuple(p) for p in self.locality))
        if any(not isinstance(r, str) or not r.strip() for r in self.rephrases):
            raise ConfigError(f"rephrases must be non-empty strings; got {self.rephrases!r}")
        if any(
            len(p) != 2 or not all(isinstance(s, str) and s.strip() for s in p)
            for p in self.locality
        ):
            raise ConfigError(
                f"locality must be (prompt, answer) pairs of non-empty strings; got {self.locality!r}"
            )
        if self.irrelevant is not None and (
            len(self.irrelevant) != 2
            or not all(isinstance(s, str) and s.strip() for s in self.irrelevant)
        ):
            raise ConfigError(
                f"irrelevant must be a (prompt, answer) pair of strings; got {self.irrelevant!r}"
            )


def logits_of(out: Any) -> Tensor:
    """The logits of a model output (a tensor, or an object / dict with ``logits``)."""
    if isinstance(out, Tensor):
        return out
    if isinstance(out, dict) and "logits" in out:
        return out["logits"]
    if hasattr(out, "logits"):
        return out.logits
    raise TypeError(
        f"the model must return logits or an object with .logits; got {type(out).__name__}"
    )


def _ids(tokenizer: Any, text: str, *, bos: bool) -> list[int]:
    ids = list(tokenizer.encode(text, add_special_tokens=False))
    bos_id = getattr(tokenizer, "bos_token_id", None)
    return [bos_id, *ids] if bos and bos_id is not None else ids


def encode_batch(
    tokenizer: Any,
    pairs: Sequence[tuple[str, str]],
    max_length: int,
    *,
    device: torch.device | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Left-padded ``prompt + target`` sequences and target-only labels.

    Args:
        tokenizer: has ``encode(text, add_special_tokens=False)`` and ``pad_token_id``
            (``bos_token_id``, when not ``None``, starts every prompt).
        pairs: (prompt, target) pairs; the target is encoded as ``" " + target``.
        max_length: the padded length.

    Returns:
        ``input_ids`` (n, max_length), ``attention_mask`` (n, max_length), ``labels`` (n,
        max_length) with the target token ids at their positions and -100 elsewhere.

    Raises:
        ConfigError: a prompt + target longer than ``max_length``, or an empty target.
    """
    pad = getattr(tokenizer, "pad_token_id", None)
    if pad is None:
        pad = getattr(tokenizer, "eos_token_id", None)
    if pad is None:
        raise ConfigError("tokenizer must define pad_token_id (or eos_token_id)")
    ids, masks, labels = [], [], []
    for prompt, target in pairs:
        p = _ids(tokenizer, prompt, bos=True)
        t = _ids(tokenizer, " " + target, bos=False) if target else []
        n = len(p) + len(t)
        if n > max_length:
            raise ConfigError(
                f"target: prompt + target is {n} tokens, longer than the context max_length={max_length} "
                f"({prompt!r} → {target!r})"
            )
        if target and not t:
            raise ConfigError(f"target {target!r} encodes to no tokens")
        k = max_length - n
        ids.append([pad] * k + p + t)
        masks.append([0] * k + [1] * n)
        labels.append([-100] * (k + len(p)) + t)
    return (
        torch.tensor(ids, dtype=torch.long, device=device),
        torch.tensor(masks, dtype=torch.long, device=device),
        torch.tensor(labels, dtype=torch.long, device=device),
    )


class Editor:
    """Base class: holds the model, the tokenizer and the located layer; subclasses edit.

    Args:
        model: the causal LM (its parameters are frozen while an editor is attached).
        tokenizer: see :func:`encode_batch`.
        layer: what :func:`~nnatlas.editing.locate.locate` accepts (block index or dotted path).
        max_length: padded sequence length.
    """

    name = "editor"

    def __init__(
        self, model: nn.Module, tokenizer: Any, *, layer: int | str = -1, max_length: int = 30
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
        if not hasattr(tokenizer, "encode"):
            raise TypeError(
                f"tokenizer must have encode(text, add_special_tokens=False); got {type(tokenizer).__name__}"
            )
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = check_int("max_length", max_length, low=2)
        self.located: Located = locate(model, layer)
        self.num_edits = 0
        self._grad_flags = {n: p.requires_grad for n, p in model.named_parameters()}
        for p in model.parameters():
            p.requires_grad_(False)

    @property
    def device(self) -> torch.device:
        return self.located.weight.device

    def encode(self, pairs: Sequence[tuple[str, str]]) -> tuple[Tensor, Tensor, Tensor]:
        return encode_batch(self.tokenizer, pairs, self.max_length, device=self.device)

    def forward_logits(self, ids: Tensor, mask: Tensor) -> Tensor:
        return logits_of(self.model(input_ids=ids, attention_mask=mask))

    @staticmethod
    def target_loss(logits: Tensor, labels: Tensor) -> Tensor:
        """Mean next-token cross-entropy over the target tokens (``labels`` is −100 elsewhere).

        Shapes: logits ``(batch, length, vocab)``, labels ``(batch, length)`` as from
        :meth:`encode`; position t's logits predict token t + 1.
        """
        return nn.functional.cross_entropy(
            logits[:, :-1].flatten(0, 1), labels[:, 1:].flatten(), ignore_index=-100
        )

    @staticmethod
    def _config(config: Any, cls: type) -> Any:
        """``config``, or ``cls()`` when it is ``None``; a config of another type is refused."""
        config = cls() if config is None else config
        if not isinstance(config, cls):
            article = "an" if cls.__name__[0] in "AEFHILMNORSX" else "a"
            raise TypeError(f"config must be {article} {cls.__name__}; got {type(config).__name__}")
        return config

    def check_request(self, request: EditRequest) -> None:
        if not isinstance(request, EditRequest):
            raise TypeError(f"request must be an EditRequest; got {type(request).__name__}")
        self.encode([(request.prompt, request.target)])  # length check

    def edit(self, request: EditRequest) -> None:
        """Apply one edit (subclasses implement :meth:`_edit`)."""
        self.check_request(request)
        self._edit(request)
        self.num_edits += 1

    def edit_stream(self, requests: Iterable[EditRequest], *, on_edit: Any = None) -> None:
        """Apply ``requests`` in order; ``on_edit(k, request)`` after each (a progress hook)."""
        requests = list(requests)
        if not requests:
            raise ConfigError("requests must hold at least one EditRequest; got an empty stream")
        for r in requests:
            self.check_request(r)
        for k, r in enumerate(requests):
            self._edit(r)
            self.num_edits += 1
            if on_edit is not None:
                on_edit(k, r)

    def _edit(self, request: EditRequest) -> None:
        raise NotImplementedError

    def restore(self) -> nn.Module:
        """Put the original weights / modules back (bit-identical) and unfreeze as before."""
        self._restore()
        for n, p in self.model.named_parameters():
            p.requires_grad_(self._grad_flags.get(n, p.requires_grad))
        self.num_edits = 0
        return self.model

    def _restore(self) -> None:
        raise NotImplementedError

    # --- persistence ---------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The edit state: ``{"tensors": {name: Tensor}, "meta": {...}}``."""
        raise NotImplementedError

    def load_state(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def save(self, path: str | Path) -> None:
        """Write the edit state to ``path`` atomically (``torch.save`` of tensors + metadata)."""
        state = self.state()
        state["meta"] = {**state.get("meta", {}), "editor": self.name, "num_edits": self.num_edits,
                         "layer": self.located.path}  # fmt: skip
        buffer = io.BytesIO()
        torch.save(state, buffer)
        atomic_write_bytes(path, buffer.getvalue())

    def load(self, path: str | Path) -> None:
        """Read an edit state written by :meth:`save` of the same editor kind on the same model."""
        try:
            state = torch.load(Path(path), map_location=self.device, weights_only=True)
        except FileNotFoundError:
            raise StorageError(f"path: no edit state at {str(path)!r}") from None
        meta = state.get("meta", {}) if isinstance(state, dict) else {}
        if meta.get("editor") != self.name or meta.get("layer") != self.located.path:
            raise ConfigError(
                f"path: {str(path)!r} holds a {meta.get('editor')!r} state for layer {meta.get('layer')!r}; "
                f"this is a {self.name!r} editor on {self.located.path!r}"
            )
        self.load_state(state)
        self.num_edits = int(meta["num_edits"])
