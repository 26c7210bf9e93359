"""nnatlas.meta: episodes, retrieval, fusion, ProtoNet, probe, and the offline MiniLM encoder."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.meta import (
    EpisodeSampler,
    MultiViewFusion,
    PassageIndex,
    TextEncoder,
    class_prototypes,
    class_split,
    corpus_hash,
    cosine_top_k,
    faiss_top_k,
    fit_linear_probe,
    masked_mean,
    protonet_logits,
    view_texts,
)

# ----------------------------------------------------------------------------- episodes


def test_class_split_disjoint_and_exact_sizes():
    splits = class_split(30, (15, 5, 10), seed=3)
    assert [len(s) for s in splits] == [15, 5, 10]
    assert set().union(*map(set, splits)) == set(range(30))
    assert not set(splits[0]) & set(splits[1]) and not set(splits[0]) & set(splits[2])
    assert class_split(30, (15, 5, 10), seed=3) == splits
    assert class_split(30, (15, 5, 10), seed=4) != splits


def test_sampler_never_leaks_a_class_and_counts_are_exact():
    labels = torch.arange(12).repeat_interleave(9)[torch.randperm(108)]
    train, test = class_split(12, (7, 5), seed=0)
    s = EpisodeSampler(labels, train, n_way=5, k_shot=2, n_query=3, seed=1)
    for _ in range(50):
        ep = s.sample()
        assert set(ep.classes.tolist()) <= set(train)
        assert len(set(ep.classes.tolist())) == 5
        assert ep.support.numel() == 10 and ep.query.numel() == 15
        assert not set(ep.support.tolist()) & set(ep.query.tolist())
        # episode label j is class classes[j] for every support and query example
        assert torch.equal(labels[ep.support], ep.classes[ep.support_labels])
        assert torch.equal(labels[ep.query], ep.classes[ep.query_labels])
        assert torch.equal(torch.bincount(ep.support_labels), torch.full((5,), 2))
        assert torch.equal(torch.bincount(ep.query_labels), torch.full((5,), 3))
        assert not set(labels[torch.cat([ep.support, ep.query])].tolist()) & set(test)


def test_sampler_is_seeded():
    labels = torch.arange(6).repeat_interleave(4)
    a = EpisodeSampler(labels, range(6), 3, 1, 2, seed=5)
    b = EpisodeSampler(labels, list(range(6)), 3, 1, 2, seed=5)
    for _ in range(5):
        ea, eb = a.sample(), b.sample()
        assert torch.equal(ea.support, eb.support) and torch.equal(ea.query, eb.query)


# ----------------------------------------------------------------------------- retrieval


def test_top_k_equals_brute_force_sort():
    g = torch.Generator().manual_seed(0)
    q, keys = torch.randn(37, 8, generator=g), torch.randn(501, 8, generator=g) * 3
    s, idx = cosine_top_k(q, keys, 6, chunk=10)  # several chunks
    cos = (q / q.norm(dim=1, keepdim=True)) @ (keys / keys.norm(dim=1, keepdim=True)).T
    order = torch.argsort(cos, dim=1, descending=True)[:, :6]
    assert torch.equal(idx, order)  # continuous random data: no ties
    # float32 cosines of 8-d unit vectors: rounding ~1e-7
    assert torch.allclose(s, cos.gather(1, order), atol=1e-6)


def test_faiss_matches_torch():
    pytest.importorskip("faiss")
    g = torch.Generator().manual_seed(1)
    q, keys = torch.randn(20, 16, generator=g), torch.randn(300, 16, generator=g)
    s1, i1 = cosine_top_k(q, keys, 5)
    s2, i2 = faiss_top_k(q, keys, 5)
    assert torch.equal(i1, i2)
    assert torch.allclose(s1, s2, atol=1e-5)


class _BagEncoder:
    """A deterministic stand-in encoder: counts of letters a..z (normalised by embed)."""

    name, max_length = "bag", 0

    def __init__(self):
        self.calls = 0

    def embed(self, texts, batch_size=64):
        self.calls += 1
        out = torch.zeros(len(texts), 26)
        for i, t in enumerate(texts):
            for ch in t.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out


def test_passage_index_is_cached_by_corpus_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("NNATLAS_CACHE_DIR", str(tmp_path))
    passages = ["aaaa", "bbbb", "abab", "zzzz"]
    enc = _BagEncoder()
    a = PassageIndex.build(enc, passages)
    b = PassageIndex.build(enc, passages)
    assert enc.calls == 1 and torch.equal(a.embeddings, b.embeddings)
    PassageIndex.build(enc, [*passages, "cccc"])
    assert enc.calls == 2  # another corpus, another entry
    _, idx = a.search(torch.tensor([[1.0, 0.1] + [0.0] * 24]), 2)
    assert idx.tolist() == [[0, 2]]
    assert corpus_hash(passages) != corpus_hash(passages[::-1])


def test_view_texts():
    views = view_texts(["q0", "q1"], ["p0", "p1", "p2"], torch.tensor([[2, 0], [1, 1]]))
    assert views == [["q0 context: p2", "q0 context: p0"], ["q1 context: p1", "q1 context: p1"]]


# ----------------------------------------------------------------------------- fusion


def _fusion(dim=16, heads=4, seed=0, factored=True):
    torch.manual_seed(seed)
    f = MultiViewFusion(dim, heads, factored=factored, dtype=torch.float64)
    with torch.no_grad():
        for p in f.parameters():
            p.normal_(0, 0.5)  # well away from the near-zero default so every term matters
    return f


def _inputs(q=3, v=4, t=7, n=5, d=16, seed=1):
    g = torch.Generator().manual_seed(seed)
    mask = torch.ones(q, v, t, dtype=torch.bool)
    mask[0, 1, 3:] = False
    mask[-1, 0, 1:] = False
    return (torch.randn(n, d, generator=g, dtype=torch.float64),
            torch.randn(q, v, t, d, generator=g, dtype=torch.float64), mask)  # fmt: skip


def test_factored_attention_equals_textbook_attention():
    f, p = _fusion(), _inputs()
    a = f.view_scores(*p)
    f.factored = False
    b = f.view_scores(*p)
    # float64, sums of ~16 products: agreement to ~1e-14; 1e-10 leaves margin
    assert torch.allclose(a, b, atol=1e-10)


def test_against_torch_multihead_attention():
    f, (protos, views, mask) = _fusion(), _inputs()
    mha = torch.nn.MultiheadAttention(16, 4, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([f.query.weight, f.key.weight, f.value.weight]))
        mha.in_proj_bias.copy_(torch.cat([f.query.bias, f.key.bias, f.value.bias]))
        mha.out_proj.weight.copy_(f.output.weight)
        mha.out_proj.bias.copy_(f.output.bias)
    q, v, t, d = views.shape
    flat = views.reshape(q * v, t, d)
    att, _ = mha(protos.expand(q * v, -1, -1), flat, flat, key_padding_mask=~mask.reshape(q * v, t))
    ref = f.head(f.norm(protos + att)).squeeze(-1).reshape(q, v, -1)
    assert torch.allclose(f.view_scores(protos, views, mask), ref, atol=1e-10)


def test_permutation_equivariant_over_prototypes_and_invariant_to_view_order():
    f, (protos, views, mask) = _fusion(), _inputs()
    out = f(protos, views, mask)
    perm = torch.tensor([3, 0, 4, 1, 2])
    assert torch.allclose(f(protos[perm], views, mask), out[:, perm], atol=1e-12)
    vperm = torch.tensor([2, 0, 3, 1])
    assert torch.allclose(f(protos, views[:, vperm], mask[:, vperm]), out, atol=1e-12)
    # padded tokens are ignored: changing their states changes nothing
    noisy = views.clone()
    noisy[~mask] = 1e3
    assert torch.allclose(f(protos, noisy, mask), out, atol=1e-12)


def test_logits_are_the_mean_of_view_scores_and_gradients_match_finite_differences():
    f, (protos, views, mask) = _fusion(8, 2), _inputs(q=2, v=2, t=3, n=3, d=8)
    assert torch.allclose(f(protos, views, mask), f.view_scores(protos, views, mask).mean(1))
    protos.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: f(p, views, mask), (protos,))


def test_load_attention_from_minilm_layer():
    enc = _minilm()
    att = enc.model.encoder.layer[-1].attention
    f = MultiViewFusion(384, 12).load_attention(att)
    assert torch.equal(f.key.weight, att.self.key.weight)
    assert torch.equal(f.norm.weight, att.output.LayerNorm.weight)


# ----------------------------------------------------------------------------- baselines


def test_prototypes_and_protonet_logits():
    support = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0]])
    protos = class_prototypes(support, torch.tensor([0, 0, 1]), 2)
    assert torch.equal(protos, torch.tensor([[1.0, 0.0], [0.0, 4.0]]))
    logits = protonet_logits(torch.tensor([[1.0, 1.0]]), protos)
    assert torch.allclose(logits, torch.tensor([[-1.0, -10.0]]), atol=1e-5)


def test_linear_probe_separates_its_support_set():
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.randn(5, 4, generator=g) + 3, torch.randn(5, 4, generator=g) - 3])
    y = torch.tensor([0] * 5 + [1] * 5)
    layer = fit_linear_probe(x, y, 2, steps=50, lr=0.1)
    assert torch.equal(layer(x).argmax(-1), y)
    assert fit_linear_probe(x, y, 2, steps=0).weight.abs().sum() == 0  # zero-initialised


# ----------------------------------------------------------------------------- encoder

_ENC: list[TextEncoder] = []


def _minilm() -> TextEncoder:
    if not _ENC:
        _ENC.append(TextEncoder.minilm())
    return _ENC[0]


def test_masked_mean_ignores_padding():
    s = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    assert torch.equal(masked_mean(s, torch.tensor([[1, 1, 0]])), torch.tensor([[2.0, 3.0]]))


def test_minilm_loads_offline_and_equals_sentence_transformers():
    st = pytest.importorskip("sentence_transformers")
    from nnatlas.meta import minilm_path

    enc = _minilm()
    assert enc.dim == 384 and not any(p.requires_grad for p in enc.parameters())
    sentences = ["The violin is a string instrument.", "Stock markets fell sharply on Monday."]
    ours = enc.embed(sentences, normalize=True)
    ref = st.SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
    theirs = torch.as_tensor(ref.encode(sentences, convert_to_numpy=True))
    # the same weights and pooling in float32: differences are rounding (~1e-7 per entry)
    assert torch.allclose(ours, theirs, atol=1e-5)
    # padding a batch does not change a text's embedding (masked mean)
    alone = enc.embed(sentences[:1], normalize=True)
    assert torch.allclose(alone, ours[:1], atol=1e-5)
    assert math.isclose(float(ours[0] @ ours[1]), float(theirs[0] @ theirs[1]), abs_tol=1e-5)
