"""FastFlow vs PaDiM vs PatchCore on the same backbone features; our coupling step vs FrEIA's.

For each detector: the training (fit) time, a FastFlow training step's time, inference images/s
of the detector head on precomputed features (and end to end with the backbone), and the peak
memory growth of the first inference pass. Each case runs in a fresh subprocess (peak RSS reset
through ``/proc/self/clear_refs``, Linux). Times are the minimum over ``--repeats`` after a
warm-up. Ratios are FastFlow's images/s over each baseline's. The coupling-step rows time one
forward+backward of :class:`nnatlas.generative.AffineCoupling2d` and of FrEIA's
``AllInOneBlock`` (when FrEIA is importable: ``pip install FrEIA --no-deps`` in a separate
target, then ``PYTHONPATH=...``) on the same input.

    python benchmarks/bench_fastflow.py                        # 64², ResNet-18 layout at 1/4 width
    python benchmarks/bench_fastflow.py --size 128 --widths 64,128,256 --blocks 2,2,2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _memory import reset_peak, status_mib

DETECTORS = ("fastflow", "padim", "patchcore")
COUPLINGS = ("coupling-nnatlas", "coupling-nnatlas-transform", "coupling-freia")


def _setup(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    import torch

    from nnatlas.data.anomaly import anomaly_textures
    from nnatlas.generative import FeatureTaps, ResNetStages

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = anomaly_textures("stripes", num_train=args.train, num_test=args.test, size=args.size)
    net = ResNetStages(args.widths, args.blocks)
    taps = FeatureTaps(net, net.stage_names())
    return data, taps, taps(data.train), taps(data.test)


def worker(args: argparse.Namespace) -> dict[str, object]:
    import torch

    from nnatlas.core.timing import best_time

    torch.set_num_threads(args.threads)
    if args.case in COUPLINGS:
        return coupling_worker(args)
    from nnatlas.generative import FastFlow, PaDiM, PatchCore

    data, taps, tr, te = _setup(args)
    row: dict[str, object] = {"case": args.case}
    if args.case == "fastflow":
        shapes = [tuple(f.shape[1:]) for f in tr]
        det = FastFlow(shapes, num_steps=args.steps, conv3x3_only=True)
        opt = torch.optim.Adam(det.parameters(), lr=1e-3)
        batch = [f[:32] for f in tr]

        def step() -> None:
            loss = det.loss(batch)
            opt.zero_grad()
            loss.backward()
            opt.step()

        row["train_step_s"] = best_time(step, args.repeats)
        det.eval()
        row["parameters"] = sum(p.numel() for p in det.parameters())
    elif args.case == "padim":
        det = PaDiM()
        row["fit_s"] = best_time(lambda: det.fit(tr), 1)
    else:
        det = PatchCore(coreset_ratio=args.coreset)
        row["fit_s"] = best_time(lambda: det.fit(tr), 1)
    head = lambda: det.anomaly_map(te, args.size)  # noqa: E731
    before = status_mib("VmRSS")  # the first inference pass: its temporaries are new memory
    reset_peak()
    head()
    row["peak_mib"] = status_mib("VmHWM") - before
    row["head_images_per_s"] = args.test / best_time(head, args.repeats)
    full = lambda: det.anomaly_map(taps(data.test), args.size)  # noqa: E731
    row["end_to_end_images_per_s"] = args.test / best_time(full, args.repeats)
    return row


def coupling_worker(args: argparse.Namespace) -> dict[str, object]:
    import torch

    from nnatlas.core.timing import best_time
    from nnatlas.generative import AffineCoupling2d

    c, s = args.coupling_channels, args.coupling_size
    x = torch.randn(32, c, s, s, requires_grad=True)
    if args.case.startswith("coupling-nnatlas"):
        block = AffineCoupling2d(c, 3)
        # forward checks its input (rank, channels, finite); transform is the unchecked step
        run = block.transform if args.case.endswith("transform") else block
        run = (lambda f: lambda: f(x))(run)
    else:
        import FrEIA.modules as fm

        def subnet(c_in: int, c_out: int) -> torch.nn.Module:
            return torch.nn.Sequential(torch.nn.Conv2d(c_in, c_in, 3, padding=1), torch.nn.ReLU(),
                                       torch.nn.Conv2d(c_in, c_out, 3, padding=1))  # fmt: skip

        ref = fm.AllInOneBlock([(c, s, s)], subnet_constructor=subnet, affine_clamping=2.0,
                               permute_soft=False)  # fmt: skip
        run = lambda: (lambda out: (out[0][0], out[1]))(ref([x]))  # noqa: E731

    def fwd_bwd() -> None:
        y, lj = run()
        (y.square().mean() + lj.mean()).backward()

    return {"case": args.case, "forward_backward_s": best_time(fwd_bwd, args.repeats)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--size", type=int, default=64)
    p.add_argument(
        "--widths", type=lambda s: tuple(int(v) for v in s.split(",")), default=(16, 32, 64)
    )
    p.add_argument(
        "--blocks", type=lambda s: tuple(int(v) for v in s.split(",")), default=(1, 1, 1)
    )
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--train", type=int, default=96)
    p.add_argument("--test", type=int, default=48)
    p.add_argument("--coreset", type=float, default=0.1)
    p.add_argument("--coupling-channels", type=int, default=64)
    p.add_argument("--coupling-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--case", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.case:
        print(json.dumps(worker(args)))
        return
    rows = {}
    for case in DETECTORS + COUPLINGS:
        cmd = [sys.executable, __file__, "--case", case] + [
            a for a in sys.argv[1:] if not a.startswith("--case")
        ]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            last = (out.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{case:18s} failed: {last}")
            continue
        rows[case] = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(rows[case]))
    ff = rows.get("fastflow")
    if ff:
        for base in ("padim", "patchcore"):
            if base in rows:
                for key in ("head_images_per_s", "end_to_end_images_per_s"):
                    ratio = ff[key] / rows[base][key]  # type: ignore[operator]
                    print(f"FastFlow / {base} {key}: {ratio:.2f}x")
    if all(c in rows for c in COUPLINGS):
        freia = float(rows["coupling-freia"]["forward_backward_s"])  # type: ignore[arg-type]
        for ours in ("coupling-nnatlas", "coupling-nnatlas-transform"):
            r = freia / float(rows[ours]["forward_backward_s"])  # type: ignore[arg-type]
            print(f"coupling step forward+backward, FrEIA time / {ours}: {r:.2f}x")


if __name__ == "__main__":
    main()
