"""RAML's multi-view passages fusion: prototypes cross-attend to each retrieved view.

Retrieval-Augmented Meta Learning for Low-Resource Text Classification (Li, Li, Li, Luoyiching,
Zheng, Zhou, Su; arXiv 2309.04979). Support texts give class prototypes ``P (N, d)`` (masked
mean of their token states, averaged over the K shots). A query comes with ``V`` *views*, each
the query text joined with one retrieved passage and encoded alone into token states ``H_j``.
One multi-head cross-attention layer with the prototypes as queries and the tokens of view ``j``
as keys/values, an output projection, a residual and a LayerNorm give
``P~_j = LN(P + Attn(P, H_j, H_j))``; a linear head scores every updated prototype,
``s_{j,n} = w . P~_{j,n} + b``, and the class logits are the mean over views.

Computation. Only the ``N`` prototypes are attention queries, so the layer never needs the
projected keys and values of the ``T`` tokens: with ``q_h = W_q^h p + b_q^h``, the score of token
``t`` is ``(q_h W_k^h) . H_t / sqrt(d_h)`` (the key bias adds the same constant to every token
of a row and cancels in the softmax), and the head output is ``W_v^h (sum_t a_t H_t) + b_v^h``
(the weights sum to one). This costs ``O(N d)`` per token instead of ``O(d^2)``, and is exact
(``factored=False`` computes the textbook form; the tests check they agree). The key bias is
kept, so that an encoder's attention weights load unchanged, but it has no effect on the output
in either form (zero gradient).

Deviations: the paper initialises the layer from the encoder's own attention weights (here
:meth:`MultiViewFusion.load_attention` does that from a BERT- or ALBERT-style attention module,
optional) and trains it at twice the encoder's learning rate; dropout is 0 by default.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_real, check_tensor

__all__ = ["MultiViewFusion"]


class MultiViewFusion(nn.Module):
    """Prototype-to-view cross-attention, residual, LayerNorm and a linear scoring head.

    Args:
        dim: width ``d`` of prototypes and token states.
        num_heads: attention heads (``d`` divisible by it).
        dropout: dropout on the attention output (before the residual).
        layer_norm_eps: LayerNorm epsilon.
        factored: the cheap exact computation (see the module docstring); ``False`` projects
            every token (the textbook form, for checks).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int = 12,
        *,
        dropout: float = 0.0,
        layer_norm_eps: float = 1e-12,
        factored: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("dim", dim, low=1)
        check_int("num_heads", num_heads, low=1)
        if dim % num_heads:
            raise ConfigError(f"num_heads must divide dim={dim}; got {num_heads}")
        check_real("dropout", dropout, low=0, high=1, high_open=True)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.dim, self.num_heads, self.factored = dim, num_heads, bool(factored)
        self.query = nn.Linear(dim, dim, **kw)
        self.key = nn.Linear(dim, dim, **kw)
        self.value = nn.Linear(dim, dim, **kw)
        self.output = nn.Linear(dim, dim, **kw)
        self.norm = nn.LayerNorm(dim, eps=layer_norm_eps, **kw)
        self.head = nn.Linear(dim, 1, **kw)
        self.dropout = nn.Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lin in (self.query, self.key, self.value, self.output, self.head):
            nn.init.normal_(lin.weight, std=0.02)
            nn.init.zeros_(lin.bias)
        self.norm.reset_parameters()

    def extra_repr(self) -> str:
        return f"dim={self.dim}, num_heads={self.num_heads}, factored={self.factored}"

    @torch.no_grad()
    def load_attention(self, attention: nn.Module) -> MultiViewFusion:
        """Copy the weights of a BERT-style (``.self.query``, ``.output.dense``,
        ``.output.LayerNorm``) or ALBERT-style (``.query``, ``.dense``, ``.LayerNorm``)
        attention block into the layer (the paper's initialisation)."""
        inner: Any = getattr(attention, "self", attention)
        out: Any = getattr(attention, "output", attention)
        try:
            pairs = [
                (self.query, inner.query), (self.key, inner.key), (self.value, inner.value),
                (self.output, out.dense), (self.norm, out.LayerNorm),
            ]  # fmt: skip
        except AttributeError as err:
            raise TypeError(
                f"attention must be a BERT- or ALBERT-style attention module; {err}"
            ) from None
        mine: Any
        theirs: Any
        for mine, theirs in pairs:
            if mine.weight.shape != theirs.weight.shape:
                raise ConfigError(
                    f"attention must have width {self.dim}; got weights {tuple(theirs.weight.shape)}"
                )
            mine.weight.copy_(theirs.weight)
            mine.bias.copy_(theirs.bias)
        return self

    def _check(self, prototypes: Tensor, views: Tensor, mask: Tensor | None) -> Tensor:
        check_tensor("prototypes", prototypes, ndim=2, nonempty=True, owner="MultiViewFusion")
        check_tensor("views", views, ndim=4, nonempty=True, owner="MultiViewFusion")
        if prototypes.shape[1] != self.dim or views.shape[-1] != self.dim:
            raise ConfigError(
                f"MultiViewFusion: prototypes and views must have width dim={self.dim}; got "
                f"{prototypes.shape[1]} and {views.shape[-1]}"
            )
        if mask is None:
            return torch.ones(views.shape[:-1], dtype=torch.bool, device=views.device)
        if not isinstance(mask, Tensor) or mask.shape != views.shape[:-1]:
            got = tuple(mask.shape) if isinstance(mask, Tensor) else type(mask).__name__
            raise ConfigError(
                f"MultiViewFusion: mask must have shape {tuple(views.shape[:-1])}; got {got}"
            )
        m = mask.bool()
        if not bool(m.any(-1).all()):
            raise ConfigError("MultiViewFusion: mask must keep at least one token of every view")
        return m

    def view_scores(self, prototypes: Tensor, views: Tensor, mask: Tensor | None = None) -> Tensor:
        """Scores of every prototype under every view.

        Args:
            prototypes: ``(N, d)`` class prototypes (shared by the queries of an episode).
            views: ``(Q, V, T, d)`` token states of ``V`` views of each of ``Q`` queries.
            mask: ``(Q, V, T)`` 1 for real tokens (``None``: all real).

        Returns:
            ``(Q, V, N)`` scores ``s_{j,n}``.
        """
        m = self._check(prototypes, views, mask)
        h, dh = self.num_heads, self.dim // self.num_heads
        n = prototypes.shape[0]
        views = views.to(prototypes.dtype)
        q = self.query(prototypes).view(n, h, dh).transpose(0, 1)  # (h, N, dh)
        bias = torch.zeros(m.shape, dtype=views.dtype, device=views.device)
        bias = bias.masked_fill(~m, float("-inf"))[:, :, None, None, :]  # (Q, V, 1, 1, T)
        if self.factored:
            wk = self.key.weight.view(h, dh, self.dim)
            u = torch.einsum("hnc,hcd->hnd", q, wk) / math.sqrt(dh)  # (h, N, d)
            scores = torch.einsum("hnd,qvtd->qvhnt", u, views)
            att = torch.softmax(scores + bias, dim=-1)
            pooled = torch.einsum("qvhnt,qvtd->qvhnd", att, views)  # (Q, V, h, N, d)
            wv = self.value.weight.view(h, dh, self.dim)
            ctx = torch.einsum("qvhnd,hcd->qvhnc", pooled, wv) + self.value.bias.view(h, 1, dh)
        else:
            qq, vv, t = views.shape[:3]
            k = self.key(views).view(qq, vv, t, h, dh)
            v = self.value(views).view(qq, vv, t, h, dh)
            scores = torch.einsum("hnc,qvthc->qvhnt", q, k) / math.sqrt(dh)
            att = torch.softmax(scores + bias, dim=-1)
            ctx = torch.einsum("qvhnt,qvthc->qvhnc", att, v)
        ctx = ctx.transpose(2, 3).reshape(*ctx.shape[:2], n, self.dim)  # (Q, V, N, d)
        fused = self.norm(prototypes + self.dropout(self.output(ctx)))
        return self.head(fused).squeeze(-1)

    def forward(self, prototypes: Tensor, views: Tensor, mask: Tensor | None = None) -> Tensor:
        """Class logits ``(Q, N)``: :meth:`view_scores` averaged over the views."""
        return self.view_scores(prototypes, views, mask).mean(1)
