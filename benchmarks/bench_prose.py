"""PROSE vs DeepONet vs FNO on the same trajectory-extrapolation task; error per parameter.

Task: the ``prose2d`` ODE families of ``nnatlas.data.ode``; the first ``--n-input`` of 96 points
(2 % multiplicative noise) are the input, the remaining points the output. Models:

* ``prose`` (2-to-1: data + the family's skeleton) and ``prose-data-only``
  (:class:`nnatlas.operators.PROSE`);
* ``deeponet``: branch = the flattened noisy observations, trunk = the query time, two outputs
  (:class:`nnatlas.operators.DeepONet`, pointwise layout);
* ``fno``: the whole 96-point grid with the future zeroed and a mask channel as input, the full
  trajectory as output, loss on the output window (:class:`nnatlas.operators.FNO1d`).

Each is trained ``--steps`` Adam steps (lr 1e-3, one-cycle) at ``--batch``; we print the best
training-step time, samples/s, parameters, the test relative L² on the output window, and
ratios against PROSE (step time, error, error × parameters).

    python benchmarks/bench_prose.py                    # 2000 trajectories, 400 steps
    python benchmarks/bench_prose.py --steps 50 --train 500   # a quick look
"""

from __future__ import annotations

import argparse
import json
import math
import time


def _data(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    import torch

    from nnatlas.data.ode import add_observation_noise, sample_ode_data

    kw = {"num_points": 96, "t_end": 6.0, "cache": False}
    tr = sample_ode_data("prose2d", args.train, seed=0, **kw)
    te = sample_ode_data("prose2d", args.test, seed=1, **kw)
    gen = torch.Generator().manual_seed(0)
    k = args.n_input
    out = {}
    for name, d in (("train", tr), ("test", te)):
        noisy = add_observation_noise(d.u[:, :k], 0.02, generator=gen)
        out[name] = (d, noisy)
    return out


def _models(args: argparse.Namespace, vocab: int):  # type: ignore[no-untyped-def]
    from nnatlas.operators import PROSE, DeepONet, FNO1d

    k = args.n_input
    return {
        "prose": PROSE(2, vocab, "2-to-1", dim=args.dim, num_heads=4, data_layers=1,
                       symbol_layers=1, fusion_layers=2, operator_layers=1),
        "prose-data-only": PROSE(2, None, "data-only", dim=args.dim, num_heads=4, data_layers=1,
                                 fusion_layers=2, operator_layers=1),
        "deeponet": DeepONet([2 * k, 128, 128, 64], [1, 128, 128, 64], num_outputs=2,
                             activation="gelu"),
        "fno": FNO1d(3, 2, modes=16, width=32, n_layers=4, projection_width=64),
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", type=int, default=2000)
    p.add_argument("--test", type=int, default=300)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--dim", type=int, default=32)
    p.add_argument("--n-input", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()

    import torch

    from nnatlas.core.timing import best_time
    from nnatlas.data.symbolic import SymbolVocabulary, skeleton, to_prefix
    from nnatlas.nn import num_parameters
    from nnatlas.operators import relative_squared_l2

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = _data(args)
    fams = data["train"][0].families
    vocab = SymbolVocabulary(2)
    skel = vocab.encode_batch([to_prefix(skeleton(f.expression())) for f in fams], 24)
    k = args.n_input
    t = data["train"][0].t

    def batch(split: str, idx: torch.Tensor):  # type: ignore[no-untyped-def]
        d, noisy = data[split]
        n = idx.numel()
        return {
            "obs_t": t[:k].expand(n, k), "obs": noisy[idx], "query_t": t[k:].expand(n, -1),
            "target": d.u[idx, k:], "symbols": skel[d.family[idx]],
        }  # fmt: skip

    def predict(name: str, model: torch.nn.Module, b: dict) -> torch.Tensor:
        if name.startswith("prose"):
            sym = b["symbols"] if name == "prose" else None
            return model(b["obs_t"], b["obs"], b["query_t"], sym).data
        if name == "deeponet":
            return model(b["obs"].flatten(1), b["query_t"].unsqueeze(-1))
        n = b["obs"].shape[0]
        grid = torch.zeros(n, 3, t.numel())
        grid[:, :2, :k] = b["obs"].transpose(1, 2)
        grid[:, 2, :k] = 1.0
        return model(grid).transpose(1, 2)[:, k:]

    rows = []
    gen = torch.Generator().manual_seed(1)
    for name, model in _models(args, len(vocab)).items():
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, 1e-3, total_steps=args.steps + args.repeats + 1
        )

        def step(model=model, opt=opt, sched=sched, name=name) -> None:
            idx = torch.randint(args.train, (args.batch,), generator=gen)
            b = batch("train", idx)
            loss = relative_squared_l2(predict(name, model, b), b["target"]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()

        step_s = best_time(step, args.repeats)
        t0 = time.process_time()
        for _ in range(args.steps):
            step()
        cpu = time.process_time() - t0
        model.eval()
        with torch.no_grad():
            b = batch("test", torch.arange(args.test))
            err = float(relative_squared_l2(predict(name, model, b), b["target"]).sqrt().mean())
        rows.append({"model": name, "params": num_parameters(model), "step_ms": 1e3 * step_s,
                     "samples_per_s": args.batch / step_s, "train_cpu_s": cpu,
                     "test_rel_l2": err})  # fmt: skip
    ref = rows[0]
    print(f"{'model':16s} {'params':>8s} {'step ms':>8s} {'samples/s':>10s} {'rel L2':>8s} "
          f"{'step/PROSE':>10s} {'err/PROSE':>9s} {'err*params/PROSE':>16s}")  # fmt: skip
    for r in rows:
        ratio_ep = (r["test_rel_l2"] * r["params"]) / (ref["test_rel_l2"] * ref["params"])
        r |= {"step_ratio": r["step_ms"] / ref["step_ms"],
              "error_ratio": r["test_rel_l2"] / ref["test_rel_l2"], "error_params_ratio": ratio_ep}  # fmt: skip
        print(f"{r['model']:16s} {r['params']:8d} {r['step_ms']:8.1f} {r['samples_per_s']:10.0f} "
              f"{r['test_rel_l2']:8.4f} {r['step_ratio']:10.2f} {r['error_ratio']:9.2f} "
              f"{ratio_ep:16.2f}")  # fmt: skip
    print(
        json.dumps(
            {"args": vars(args), "rows": rows}, default=lambda x: None if math.isnan(x) else x
        )
    )


if __name__ == "__main__":
    main()
