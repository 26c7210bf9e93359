"""Dense passage retrieval: exact cosine top-k in torch, FAISS behind the ``faiss`` extra.

RAML (arXiv 2309.04979) retrieves, offline, the top passages of every text from Wikipedia with a
Sentence-BERT retriever and a FAISS index, and feeds the top ``n_context = 5`` to the model.
Here :func:`cosine_top_k` is the exact search in torch (chunked over the queries, so a large
corpus needs no ``queries x corpus`` matrix at once), :func:`faiss_top_k` the same search with a
FAISS flat inner-product index, and :class:`PassageIndex` holds L2-normalised passage
embeddings, computed once per (corpus, encoder) and cached on disk with
:func:`nnatlas.core.cache.cached_tensors` under a key made of the corpus hash
(:func:`corpus_hash`) and the encoder's name and truncation length.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.cache import cached_tensors
from nnatlas.core.errors import ConfigError
from nnatlas.core.optional import require
from nnatlas.core.validation import check_int, check_tensor

__all__ = ["PassageIndex", "corpus_hash", "cosine_top_k", "faiss_top_k", "view_texts"]


def _pair(queries: Tensor, keys: Tensor, k: int) -> None:
    check_tensor("queries", queries, ndim=2, nonempty=True)
    check_tensor("keys", keys, ndim=2, nonempty=True)
    if queries.shape[1] != keys.shape[1]:
        raise ConfigError(
            f"queries and keys must have the same width; got {queries.shape[1]} and {keys.shape[1]}"
        )
    check_int("k", k, low=1, high=keys.shape[0], high_name="len(keys)")


def cosine_top_k(
    queries: Tensor, keys: Tensor, k: int, *, chunk: int = 1024
) -> tuple[Tensor, Tensor]:
    """The ``k`` keys of highest cosine similarity to each query, best first.

    Args:
        queries: ``(n, dim)``.
        keys: ``(m, dim)``.
        k: neighbours per query, ``1 <= k <= m``.
        chunk: queries scored at a time.

    Returns:
        ``scores (n, k)`` cosine similarities (descending) and ``indices (n, k)`` int64.
    """
    _pair(queries, keys, k)
    check_int("chunk", chunk, low=1)
    kn = nn.functional.normalize(keys, dim=-1)
    qn = nn.functional.normalize(queries, dim=-1)
    scores, idx = [], []
    for i in range(0, qn.shape[0], chunk):
        s, j = torch.topk(qn[i : i + chunk] @ kn.T, k, dim=-1)
        scores.append(s)
        idx.append(j)
    return torch.cat(scores), torch.cat(idx)


def faiss_top_k(queries: Tensor, keys: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """:func:`cosine_top_k` with a FAISS ``IndexFlatIP`` over the normalised keys (CPU, float32).

    Raises:
        MissingExtraError: faiss is not installed (``pip install 'nnatlas[faiss]'``).
    """
    _pair(queries, keys, k)
    faiss = require("faiss", "faiss")
    kn = nn.functional.normalize(keys.detach().float().cpu(), dim=-1).contiguous().numpy()
    qn = nn.functional.normalize(queries.detach().float().cpu(), dim=-1).contiguous().numpy()
    index = faiss.IndexFlatIP(kn.shape[1])
    index.add(kn)
    s, j = index.search(qn, k)
    return torch.from_numpy(s), torch.from_numpy(j).long()


def corpus_hash(passages: Sequence[str]) -> str:
    """A 16-hex-digit SHA-256 of the passages (order-sensitive)."""
    if isinstance(passages, str) or not isinstance(passages, Sequence) or not passages:
        raise TypeError("passages must be a non-empty sequence of strings")
    h = hashlib.sha256()
    for p in passages:
        if not isinstance(p, str):
            raise TypeError(f"passages must be strings; got {type(p).__name__}")
        h.update(p.encode())
        h.update(b"\x00")
    return h.hexdigest()[:16]


class PassageIndex:
    """L2-normalised passage embeddings and exact (or FAISS) cosine search over them.

    Args:
        passages: the corpus.
        embeddings: ``(len(passages), dim)`` their embeddings (normalised here).
    """

    def __init__(self, passages: Sequence[str], embeddings: Tensor) -> None:
        self.hash = corpus_hash(passages)
        check_tensor("embeddings", embeddings, ndim=2, nonempty=True)
        if embeddings.shape[0] != len(passages):
            raise ConfigError(
                f"embeddings must have one row per passage ({len(passages)}); got "
                f"{embeddings.shape[0]}"
            )
        self.passages = tuple(passages)
        self.embeddings = nn.functional.normalize(embeddings.float(), dim=-1)

    @classmethod
    def build(
        cls,
        encoder: Any,
        passages: Sequence[str],
        *,
        cache: bool = True,
        batch_size: int = 64,
    ) -> PassageIndex:
        """Embed ``passages`` with ``encoder.embed`` (a :class:`~nnatlas.meta.TextEncoder`),
        through the on-disk cache (namespace ``meta``) keyed by corpus hash and encoder."""
        if not hasattr(encoder, "embed"):
            raise TypeError(
                f"encoder must have an embed(texts) method; got {type(encoder).__name__}"
            )
        params = {
            "corpus": corpus_hash(passages), "n": len(passages),
            "encoder": getattr(encoder, "name", type(encoder).__name__),
            "max_length": getattr(encoder, "max_length", None),
        }  # fmt: skip

        def build() -> dict[str, Tensor]:
            with torch.no_grad():
                return {"embeddings": encoder.embed(list(passages), batch_size=batch_size).float()}

        out = cached_tensors("meta", "passages", params, build, cache=cache)
        return cls(passages, out["embeddings"])

    def __len__(self) -> int:
        return len(self.passages)

    def search(self, queries: Tensor, k: int, *, backend: str = "torch") -> tuple[Tensor, Tensor]:
        """Top-``k`` passages of each query embedding ``(n, dim)``: ``(scores, indices)``."""
        if backend == "torch":
            return cosine_top_k(queries.float(), self.embeddings, k)
        if backend == "faiss":
            return faiss_top_k(queries, self.embeddings, k)
        raise ConfigError(f"backend must be 'torch' or 'faiss'; got {backend!r}")


def view_texts(
    texts: Sequence[str],
    passages: Sequence[str],
    indices: Tensor,
    *,
    template: str = "{text} context: {passage}",
) -> list[list[str]]:
    """RAML's query views: each text joined with each of its retrieved passages.

    The paper's string is ``"{text} title: {title} context: {passage}"``; our corpus has no
    titles, hence the default template.

    Args:
        texts: ``n`` query texts.
        passages: the corpus.
        indices: ``(n, k)`` int passage indices per text (e.g. from :func:`cosine_top_k`).
        template: a format string with ``{text}`` and ``{passage}``.

    Returns:
        ``n`` lists of ``k`` strings.
    """
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a sequence of strings; got {type(texts).__name__}")
    if not isinstance(indices, Tensor) or indices.is_floating_point() or indices.dim() != 2:
        raise TypeError("indices must be a 2-D integer tensor (texts, k)")
    if indices.shape[0] != len(texts):
        raise ConfigError(
            f"indices must have one row per text ({len(texts)}); got {indices.shape[0]}"
        )
    if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= len(passages)):
        raise ConfigError(f"indices must lie in 0..len(passages)-1 = 0..{len(passages) - 1}")
    if "{text}" not in template or "{passage}" not in template:
        raise ConfigError(f"template must contain {{text}} and {{passage}}; got {template!r}")
    return [
        [template.format(text=t, passage=passages[j]) for j in row]
        for t, row in zip(texts, indices.tolist(), strict=True)
    ]
