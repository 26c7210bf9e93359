"""Edit time per edit and peak memory vs stream length T for WISE / GRACE / FT-L (nnatlas.editing).

Each (editor, T) case runs in its own process on the tiny LLaMA-style LM of
``nnatlas.data.facts`` (random init: the cost of an edit does not depend on what the model knows),
with the same editor settings as ``nnatlas reproduce wise`` at the quick preset. Peak memory is the
process's ``VmHWM`` after a reset (Linux), and the size of the editor's state (side memories /
codebook / weight copy) is printed beside it.

A comparison of :func:`nnatlas.editing.ties_merge` with ``mergekit``'s TIES is not included:
mergekit pulls in a large dependency tree (transformers pins, accelerate, ...) that we did not
install in a separate venv within this task's time; the TIES implementation is instead checked
against a direct loop re-computation in ``tests/editing/test_editors.py``.

Run: ``python benchmarks/bench_editing.py [--lengths 1 10 50] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import time

import torch

from _memory import reset_peak, status_mib


def _case(method: str, length: int, threads: int, queue: mp.Queue) -> None:
    torch.set_num_threads(threads)
    from nnatlas.data.facts import FactWorld, TinyLlama
    from nnatlas.editing import FTL, GRACE, WISE, EditRequest, FTLConfig, GRACEConfig, WISEConfig

    world = FactWorld()
    model = TinyLlama(len(world.tokenizer)).eval()
    rng = random.Random(0)
    reqs = [
        EditRequest(world.prompt_a(i % 200, 0), world.new_object(i % 200, 0, rng),
                    irrelevant=(world.prompt_locality(i % 200, 2), world.answer(i % 200, 2)))
        for i in range(length)
    ]  # fmt: skip
    tok = world.tokenizer
    if method == "wise":
        prefixes = ["f1", "f2 f3"]
        ed = WISE(model, tok, max_length=16, context_prefixes=prefixes,
                  config=WISEConfig(n_iter=20, edit_lr=0.3, save_freq=25, merge_freq=50))  # fmt: skip
    elif method == "grace":
        ed = GRACE(model, tok, max_length=16, config=GRACEConfig(eps=1.0, n_iter=30))
    else:
        ed = FTL(model, tok, max_length=16, config=FTLConfig(lr=2e-3, n_iter=25))
    reset_peak()
    base = status_mib("VmHWM")
    t0 = time.perf_counter()
    ed.edit_stream(reqs)
    dt = time.perf_counter() - t0
    state = ed.state()["tensors"]
    nbytes = sum(t.numel() * t.element_size() for t in state.values())
    queue.put((dt / length, status_mib("VmHWM") - base, nbytes / 2**20))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lengths", type=int, nargs="+", default=[1, 10, 50])
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    print(f"{'editor':8} {'T':>5} {'s/edit':>8} {'peak ΔRSS MiB':>14} {'state MiB':>10}")
    for method in ("ft-l", "grace", "wise"):
        for length in args.lengths:
            q = ctx.Queue()
            p = ctx.Process(target=_case, args=(method, length, args.threads, q))
            p.start()
            per_edit, peak, state = q.get()
            p.join()
            print(f"{method:8} {length:5d} {per_edit:8.3f} {peak:14.1f} {state:10.2f}")


if __name__ == "__main__":
    main()
