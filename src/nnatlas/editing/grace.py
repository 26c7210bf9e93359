"""GRACE: a discrete key–value codebook at one layer, with ε-balls (the retrieval baseline).

Hartvigsen et al., "Aging with GRACE: Lifelong Model Editing with Discrete Key-Value Adaptors"
(NeurIPS 2023, arXiv 2211.11031), configured as EasyEdit's ``hparams/GRACE`` for WISE's tables
(the layer input is the key; initial radius ``eps``, values trained with lr 1.0 for 50 steps,
``eps_expand: coverage``). At inference every position whose layer input lies within some
entry's ε-ball of its key has the layer output replaced by that entry's value.

Codebook update per new key ``k`` with label ``y`` (the target token it must produce): with the
nearest entry ``(k_j, ε_j, y_j)`` at distance ``d``: if ``d > ε_j + eps`` a new entry with
radius ``eps`` is added; if ``d ≤ ε_j + eps`` and ``y = y_j`` the entry's ball grows to cover
``k`` (coverage); otherwise both balls shrink to ``d / 2`` and the new entry is added.

Deviation: one entry per target token (the key at the position predicting it), so that
multi-token targets are editable under teacher forcing and greedy generation alike; GRACE's
``replace_last`` keys one position per edit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.editing.protocol import Editor, EditRequest

__all__ = ["GRACE", "GRACEConfig", "GRACELayer"]


@dataclass(frozen=True)
class GRACEConfig:
    """GRACE hyperparameters.

    Attributes:
        eps: initial ball radius in the key space (absolute; EasyEdit 7B: 1.0).
        edit_lr: value learning rate (Adam).
        n_iter: value-training steps per edit.
    """

    eps: float = 1.0
    edit_lr: float = 1.0
    n_iter: int = 50

    def __post_init__(self) -> None:
        for name in ("eps", "edit_lr"):
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, (int, float))
                or not math.isfinite(v)
                or v <= 0
            ):
                raise ConfigError(f"{name} must be a finite number > 0; got {v!r}")
        if isinstance(self.n_iter, bool) or not isinstance(self.n_iter, int) or self.n_iter < 1:
            raise ConfigError(f"n_iter must be an int >= 1; got {self.n_iter!r}")


class GRACELayer(nn.Module):
    """The adapter: original layer + codebook (keys, radii, values, labels)."""

    def __init__(self, original: nn.Module) -> None:
        super().__init__()
        self.original = original
        self.keys: Tensor | None = None  # (n, in)
        self.radii: Tensor | None = None  # (n,)
        self.values: Tensor | None = None  # (n, out)
        self.labels: Tensor | None = None  # (n,)
        self.override: dict[tuple[int, int], Tensor] = {}  # (row, position) -> value while training
        self.last_hits: Tensor | None = None

    def forward(self, x: Tensor) -> Tensor:
        out = self.original(x)
        if self.override:
            out = out.clone()
            for (b, t), v in self.override.items():
                out[b, t] = v
            return out
        if self.keys is None or self.radii is None or x.dim() < 2:
            return out
        d = torch.cdist(x.reshape(-1, x.shape[-1]), self.keys)  # (b*s, n)
        inside = d <= self.radii
        dm = torch.where(inside, d, torch.full_like(d, math.inf))
        best = dm.argmin(-1)
        hit = inside.any(-1)
        self.last_hits = hit.view(x.shape[:-1])
        assert self.values is not None
        repl = self.values[best].view(*x.shape[:-1], -1)
        return torch.where(hit.view(*x.shape[:-1], 1), repl.to(out.dtype), out)


class GRACE(Editor):
    """The GRACE editor (see the module docstring)."""

    name = "grace"

    def __init__(
        self, model: nn.Module, tokenizer: Any, *, layer: int | str = -1, max_length: int = 30,
        config: GRACEConfig | None = None,
    ) -> None:  # fmt: skip
        super().__init__(model, tokenizer, layer=layer, max_length=max_length)
        self.config = self._config(config, GRACEConfig)
        self.adapter = GRACELayer(self.located.module)
        self.located.put(self.adapter)

    def _edit(self, request: EditRequest) -> None:
        ad, cfg = self.adapter, self.config
        ids, mask, labels = self.encode([(request.prompt, request.target)])
        positions = (
            (labels[0, 1:] != -100).nonzero().flatten().tolist()
        )  # positions predicting targets
        seen: list[tuple[Tensor, Tensor]] = []
        hook = self.located.module.register_forward_hook(
            lambda m, i, o: seen.append((i[0].detach(), o.detach()))
        )
        ad.override = {}
        saved = (ad.keys, ad.radii, ad.values, ad.labels)
        ad.keys = None  # keys/values of the unedited layer
        with torch.no_grad():
            self.forward_logits(ids, mask)
        hook.remove()
        ad.keys, ad.radii, ad.values, ad.labels = saved
        inp, out = seen[0]
        keys = inp[0, positions]
        init = out[0, positions]
        vals = nn.Parameter(init.clone())
        opt = torch.optim.Adam([vals], lr=cfg.edit_lr)
        for _ in range(cfg.n_iter):
            ad.override = {(0, p): vals[j] for j, p in enumerate(positions)}
            logits = self.forward_logits(ids, mask)
            loss = self.target_loss(logits, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        ad.override = {}
        targets = labels[0, 1:][positions]
        for j in range(len(positions)):
            self._insert(keys[j], vals.detach()[j], int(targets[j]))

    def _insert(self, key: Tensor, value: Tensor, label: int) -> None:
        ad, eps = self.adapter, self.config.eps
        if ad.keys is None:
            ad.keys, ad.values = key[None].clone(), value[None].clone()
            ad.radii = torch.tensor([eps], dtype=key.dtype, device=key.device)
            ad.labels = torch.tensor([label], device=key.device)
            return
        assert ad.radii is not None and ad.values is not None and ad.labels is not None
        d = (ad.keys - key).norm(dim=-1)
        j = int(d.argmin())
        dj = float(d[j])
        if dj > float(ad.radii[j]) + eps:
            new_r = eps
        elif int(ad.labels[j]) == label:
            ad.radii[j] = max(float(ad.radii[j]), dj)  # coverage: grow the ball to cover the key
            return
        else:
            ad.radii[j] = dj / 2
            new_r = dj / 2
        ad.keys = torch.cat([ad.keys, key[None]])
        ad.values = torch.cat([ad.values, value[None]])
        ad.radii = torch.cat([ad.radii, torch.tensor([new_r], dtype=key.dtype, device=key.device)])
        ad.labels = torch.cat([ad.labels, torch.tensor([label], device=key.device)])

    @property
    def codebook_size(self) -> int:
        return 0 if self.adapter.keys is None else len(self.adapter.keys)

    def _restore(self) -> None:
        self.located.put(self.located.module)

    def state(self) -> dict[str, Any]:
        ad = self.adapter
        tensors = (
            {}
            if ad.keys is None
            else {"keys": ad.keys, "radii": ad.radii, "values": ad.values, "labels": ad.labels}
        )
        return {"tensors": tensors, "meta": {"config": asdict(self.config)}}

    def load_state(self, state: dict[str, Any]) -> None:
        t = state["tensors"]
        ad = self.adapter
        if t:
            ad.keys, ad.radii, ad.values, ad.labels = (
                t["keys"],
                t["radii"],
                t["values"],
                t["labels"],
            )
        else:
            ad.keys = ad.radii = ad.values = ad.labels = None
