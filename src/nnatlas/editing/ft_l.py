"""FT-L: fine-tune one FFN projection on each edit (the parametric baseline of WISE's tables).

Zhu et al., "Modifying Memories in Transformer Models" (arXiv 2012.00363), as EasyEdit's ``FT``
editor configures it for WISE (arXiv 2405.14768): the same located matrix as WISE is trained
with Adam on the target tokens' cross-entropy (EasyEdit: lr 5e-4, 25 steps), optionally within
an L∞ ball around the original weight. Edits accumulate in the weight itself, which is why
locality collapses over a long stream. Deviation: the loss covers every target token (EasyEdit's
``prompt_last`` objective variant is not reproduced).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.editing.protocol import Editor, EditRequest

__all__ = ["FTL", "FTLConfig"]


@dataclass(frozen=True)
class FTLConfig:
    """FT-L hyperparameters.

    Attributes:
        lr: Adam learning rate.
        n_iter: steps per edit.
        norm_constraint: L∞ radius around the original weight (``None``: unconstrained).
    """

    lr: float = 5e-4
    n_iter: int = 25
    norm_constraint: float | None = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.lr, bool)
            or not isinstance(self.lr, (int, float))
            or not math.isfinite(self.lr)
            or self.lr <= 0
        ):
            raise ConfigError(f"lr must be a finite number > 0; got {self.lr!r}")
        if isinstance(self.n_iter, bool) or not isinstance(self.n_iter, int) or self.n_iter < 1:
            raise ConfigError(f"n_iter must be an int >= 1; got {self.n_iter!r}")
        if self.norm_constraint is not None and not self.norm_constraint > 0:
            raise ConfigError(f"norm_constraint must be > 0 or None; got {self.norm_constraint!r}")


class FTL(Editor):
    """Fine-tune the located layer's weight on each edit (see the module docstring)."""

    name = "ft-l"

    def __init__(
        self, model: nn.Module, tokenizer: Any, *, layer: int | str = -1, max_length: int = 30,
        config: FTLConfig | None = None,
    ) -> None:  # fmt: skip
        super().__init__(model, tokenizer, layer=layer, max_length=max_length)
        self.config = self._config(config, FTLConfig)
        self.weight = self.located.weight
        self.original = self.weight.detach().clone()

    def _edit(self, request: EditRequest) -> None:
        ids, mask, labels = self.encode([(request.prompt, request.target)])
        w, cfg = self.weight, self.config
        w.requires_grad_(True)
        opt = torch.optim.Adam([w], lr=cfg.lr)
        for _ in range(cfg.n_iter):
            logits = self.forward_logits(ids, mask)
            loss = self.target_loss(logits, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if cfg.norm_constraint is not None:
                with torch.no_grad():
                    c = cfg.norm_constraint
                    w.copy_(torch.clamp(w, self.original - c, self.original + c))
        w.requires_grad_(False)

    def _restore(self) -> None:
        with torch.no_grad():
            self.weight.copy_(self.original)

    def state(self) -> dict[str, Any]:
        return {
            "tensors": {"weight": self.weight.detach().clone()},
            "meta": {"config": asdict(self.config)},
        }

    def load_state(self, state: dict[str, Any]) -> None:
        with torch.no_grad():
            self.weight.copy_(state["tensors"]["weight"])
