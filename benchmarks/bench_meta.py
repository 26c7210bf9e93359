"""RAML vs ProtoNet episode throughput; exact torch top-k vs FAISS retrieval as the corpus grows.

Episodes: 5-way K-shot episodes with 5 queries per class and ``--views`` views of ``--tokens``
tokens (width 384, MiniLM's) on random frozen token states: ProtoNet (distances to prototypes),
RAML inference (:class:`nnatlas.meta.MultiViewFusion`, factored attention), RAML inference with
the textbook attention (every token projected), and one RAML meta-training step (forward,
backward, AdamW). Retrieval: ``--queries`` queries against corpora of ``--sizes`` random unit
vectors (384-d float32; 1e6 is 1.5 GB), top-5, :func:`nnatlas.meta.cosine_top_k` vs
:func:`nnatlas.meta.faiss_top_k` (flat inner-product index, build time reported apart) when faiss
is installed. Times are the best of ``--repeats`` after a warm-up, one thread. Ratios: episodes/s
of ProtoNet over each RAML variant; torch search time over FAISS search time.

    python benchmarks/bench_meta.py
    python benchmarks/bench_meta.py --sizes 1000,10000,100000,1000000
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import torch

from nnatlas.core.timing import best_time
from nnatlas.meta import (
    MultiViewFusion,
    class_prototypes,
    cosine_top_k,
    faiss_top_k,
    protonet_logits,
)


def episodes(args: argparse.Namespace) -> None:
    g = torch.Generator().manual_seed(0)
    n, k, q, d = 5, args.shots, 5, 384
    support = torch.randn(n * k, d, generator=g)
    labels = torch.arange(n).repeat_interleave(k)
    views = torch.randn(n * q, args.views, args.tokens, d, generator=g)
    pooled = views.mean((1, 2))
    fusion = MultiViewFusion(d, 12)
    textbook = MultiViewFusion(d, 12, factored=False)
    textbook.load_state_dict(fusion.state_dict())
    opt = torch.optim.AdamW(fusion.parameters(), lr=1e-3)

    def proto() -> None:
        protonet_logits(pooled, class_prototypes(support, labels, n))

    def raml(model: MultiViewFusion) -> None:
        with torch.no_grad():
            model(class_prototypes(support, labels, n), views)

    def step() -> None:
        opt.zero_grad()
        logits = fusion(class_prototypes(support, labels, n), views)
        torch.nn.functional.cross_entropy(logits, torch.arange(n).repeat_interleave(q)).backward()
        opt.step()

    rows = [
        ("ProtoNet", best_time(proto, args.repeats)),
        ("RAML inference (factored)", best_time(lambda: raml(fusion), args.repeats)),
        ("RAML inference (textbook)", best_time(lambda: raml(textbook), args.repeats)),
        ("RAML training step", best_time(step, args.repeats)),
    ]
    base = rows[0][1]
    print(f"\n5-way {k}-shot, 25 queries x {args.views} views x {args.tokens} tokens, d = 384\n")
    print("| method | episodes/s | ProtoNet / this |")
    print("|---|---:|---:|")
    for name, t in rows:
        print(f"| {name} | {1 / t:,.1f} | {t / base:,.0f}x |")


def retrieval(args: argparse.Namespace) -> None:
    has_faiss = importlib.util.find_spec("faiss") is not None
    g = torch.Generator().manual_seed(1)
    queries = torch.nn.functional.normalize(torch.randn(args.queries, 384, generator=g), dim=-1)
    print(
        f"\n{args.queries} queries, top-5, 384-d float32"
        + ("" if has_faiss else " (faiss not installed: skipped)")
    )
    print(
        "\n| corpus | torch (s) | faiss search (s) | faiss build (s) | torch / faiss | same top-5 |"
    )
    print("|---:|---:|---:|---:|---:|:---:|")
    for size in args.sizes:
        keys = torch.nn.functional.normalize(torch.randn(size, 384, generator=g), dim=-1)
        t_torch = best_time(lambda keys=keys: cosine_top_k(queries, keys, 5), args.repeats)
        if has_faiss:
            import faiss

            t0 = time.perf_counter()
            index = faiss.IndexFlatIP(384)
            index.add(keys.numpy())
            build = time.perf_counter() - t0
            t_faiss = best_time(lambda index=index: index.search(queries.numpy(), 5), args.repeats)
            same = torch.equal(cosine_top_k(queries, keys, 5)[1], faiss_top_k(queries, keys, 5)[1])
            print(
                f"| {size:,} | {t_torch:.4f} | {t_faiss:.4f} | {build:.3f} | {t_torch / t_faiss:.2f}x | {same} |"
            )
        else:
            print(f"| {size:,} | {t_torch:.4f} | - | - | - | - |")
        del keys


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shots", type=int, default=1)
    p.add_argument("--views", type=int, default=5)
    p.add_argument("--tokens", type=int, default=53)
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--sizes", type=lambda s: [int(float(x)) for x in s.split(",")],
                   default=[1000, 10000, 100000, 1000000])  # fmt: skip
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    episodes(args)
    retrieval(args)


if __name__ == "__main__":
    main()
