"""Retrieval-augmented meta-learning for few-shot text classification (RAML, arXiv 2309.04979).

* :mod:`~nnatlas.meta.episodes`: seeded N-way K-shot episodes over disjoint class splits;
* :mod:`~nnatlas.meta.encoders`: any ``transformers`` encoder with masked-mean pooling (offline
  default all-MiniLM-L6-v2), frozen or fine-tuned;
* :mod:`~nnatlas.meta.retrieval`: exact cosine top-k (torch) and FAISS, cached passage index;
* :mod:`~nnatlas.meta.raml`: the multi-view passages fusion layer and scoring head;
* :mod:`~nnatlas.meta.protonet`: prototypical networks;
* :mod:`~nnatlas.meta.probe`: the per-episode fine-tuned linear probe.
"""

from nnatlas.meta.encoders import TextEncoder, albert_base_config, masked_mean, minilm_path
from nnatlas.meta.episodes import Episode, EpisodeSampler, class_split
from nnatlas.meta.probe import fit_linear_probe
from nnatlas.meta.protonet import class_prototypes, protonet_logits
from nnatlas.meta.raml import MultiViewFusion
from nnatlas.meta.retrieval import (
    PassageIndex,
    corpus_hash,
    cosine_top_k,
    faiss_top_k,
    view_texts,
)

__all__ = [
    "Episode",
    "EpisodeSampler",
    "MultiViewFusion",
    "PassageIndex",
    "TextEncoder",
    "albert_base_config",
    "class_prototypes",
    "class_split",
    "corpus_hash",
    "cosine_top_k",
    "faiss_top_k",
    "fit_linear_probe",
    "masked_mean",
    "minilm_path",
    "protonet_logits",
    "view_texts",
]
