"""NNGP / NTK kernels: nnatlas vs neural-tangents (JAX), analytic and empirical.

Two cases, same inputs and (for the empirical case) the same weights, float64, one thread:

* ``analytic``: infinite-width NNGP + NTK of a depth-10 ReLU MLP (``Dense(sqrt 2, 0.1)`` then
  ten ``ReLU, Dense`` pairs) on N = 2,000 inputs of dimension 64:
  ``nnatlas.kernels.serial(...)(x)`` vs ``jax.jit(neural_tangents.stax.serial(...)[2])(x, x,
  ("nngp", "ntk"))``.
* ``empirical``: finite-width NTK of a 3-layer width-512 MLP (64-512-512-1, NTK
  parametrization, ReLU) on 256 inputs: ``nnatlas.kernels.empirical_ntk`` with Jacobian
  contraction and with NTK-vector products vs ``neural_tangents.empirical_ntk_fn`` with the same
  two implementations (``implementation=1`` / ``2``).

Each (case, implementation) runs in a fresh subprocess: time is the best of ``--reps`` calls
after a warm-up call, memory is the peak resident set size of that process minus its size just
before the first call (so the import footprints of torch and JAX are left out). Values are
compared with the first nnatlas implementation: max abs difference / max abs value, which must be
below 1e-6. Ratios are peer / nnatlas (time and memory), so > 1 means nnatlas is cheaper.

neural-tangents is never a dependency of nnatlas. Install it in a separate environment; with a
current JAX it does not import, so pin JAX 0.4.30. Its ``experimental`` subpackage imports
TensorFlow (through ``jax2tf``); it is not used here, so when TensorFlow is absent the script
puts an empty placeholder module in its place before importing neural-tangents::

    python3.11 -m venv /tmp/venv-nt && . /tmp/venv-nt/bin/activate
    pip install torch==2.13.0 && pip install -e .
    pip install "jax[cpu]==0.4.30" jaxlib==0.4.30 frozendict absl-py
    pip install --no-deps neural-tangents==0.6.5
    python benchmarks/bench_kernels.py

Without it the script says so and prints the nnatlas implementations only. Alternatively keep
neural-tangents in its own environment without torch and point the peer rows at it (the nnatlas
rows keep the current interpreter)::

    python3.11 -m venv /tmp/nt-venv
    /tmp/nt-venv/bin/pip install "jax[cpu]==0.4.30" jaxlib==0.4.30 frozendict absl-py
    /tmp/nt-venv/bin/pip install --no-deps neural-tangents==0.6.5
    python benchmarks/bench_kernels.py --peer-python /tmp/nt-venv/bin/python

Besides the whole-matrix difference the table gives the largest difference on the diagonal
relative to the diagonal's largest value (where arc-cosine kernels are ill-conditioned: an
``arccos`` of a cosine that rounds to ``1 - 1e-16`` is off by 1.5e-8).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from typing import Any

# One thread for BLAS and for XLA's CPU backend; must be set before numpy / JAX are imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

import numpy as np  # noqa: E402

from _memory import peak_rss_mib  # noqa: E402

DEPTH = 10
SIGMA_W, SIGMA_B = 2.0**0.5, 0.1


def _import_neural_tangents() -> object:
    """Import neural-tangents, skipping its TensorFlow-only ``experimental`` subpackage if needed."""
    import importlib.util
    import types

    if importlib.util.find_spec("tensorflow") is None:
        sys.modules.setdefault(
            "neural_tangents.experimental", types.ModuleType("neural_tangents.experimental")
        )
    import neural_tangents

    return neural_tangents


def _inputs(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d))


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _weights(width: int, d: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """N(0, 1) weights ``(in, out)`` and biases for the NTK-parametrized 3-layer MLP."""
    rng = np.random.default_rng(seed)
    sizes = [d, width, width, 1]
    return [
        (rng.standard_normal((a, b)), rng.standard_normal(b)) for a, b in itertools.pairwise(sizes)
    ]


# -- one measurement per subprocess --------------------------------------------------------


def _child(case: str, impl: str, args: argparse.Namespace, out: str) -> None:
    import time

    if impl.startswith("nt"):
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        nt: Any = _import_neural_tangents()
        stax = nt.stax

        if case == "analytic":
            x = jnp.asarray(_inputs(args.n, args.dim, 0))
            layers = [stax.Dense(512, W_std=SIGMA_W, b_std=SIGMA_B)]
            for _ in range(DEPTH):
                layers += [stax.Relu(), stax.Dense(512, W_std=SIGMA_W, b_std=SIGMA_B)]
            kernel_fn = jax.jit(stax.serial(*layers)[2], static_argnames="get")

            def compute() -> np.ndarray:
                k = kernel_fn(x, x, ("nngp", "ntk"))
                return np.stack([np.asarray(k.nngp), np.asarray(k.ntk)])
        else:
            x = jnp.asarray(_inputs(args.n_emp, args.dim, 1))
            width = args.width
            _, apply_fn, _ = stax.serial(
                stax.Dense(width, W_std=SIGMA_W, b_std=SIGMA_B), stax.Relu(),
                stax.Dense(width, W_std=SIGMA_W, b_std=SIGMA_B), stax.Relu(),
                stax.Dense(1, W_std=SIGMA_W, b_std=SIGMA_B),
            )  # fmt: skip
            w = _weights(width, args.dim, 2)
            params = [(jnp.asarray(a), jnp.asarray(b)) for a, b in w]
            params = [params[0], (), params[1], (), params[2]]
            fn = nt.empirical_ntk_fn(
                apply_fn, trace_axes=(), vmap_axes=0, implementation=1 if impl == "nt-jac" else 2
            )
            fn = jax.jit(fn)

            def compute() -> np.ndarray:
                return np.asarray(fn(x, None, params))[..., 0, 0][None]
    else:
        import torch

        torch.set_num_threads(1)
        from nnatlas.kernels import Dense, ReLU, empirical_ntk, serial

        if case == "analytic":
            x = torch.from_numpy(_inputs(args.n, args.dim, 0))
            layers = [Dense(SIGMA_W, SIGMA_B)]
            for _ in range(DEPTH):
                layers += [ReLU(), Dense(SIGMA_W, SIGMA_B)]
            net = serial(*layers)

            def compute() -> np.ndarray:
                k = net(x)
                assert k.ntk is not None
                return torch.stack([k.nngp, k.ntk]).numpy()
        else:
            x = torch.from_numpy(_inputs(args.n_emp, args.dim, 1))
            width = args.width
            net = serial(
                Dense(SIGMA_W, SIGMA_B), ReLU(), Dense(SIGMA_W, SIGMA_B), ReLU(),
                Dense(SIGMA_W, SIGMA_B),
            )  # fmt: skip
            model = net.module(width, args.dim, dtype=torch.float64)
            with torch.no_grad():
                for layer, (a, b) in zip(
                    [model[0], model[2], model[4]], _weights(width, args.dim, 2), strict=True
                ):
                    layer.weight.copy_(torch.from_numpy(a.T))
                    layer.bias.copy_(torch.from_numpy(b))
            implementation = "jacobian" if impl == "ours-jac" else "ntk_vector_products"

            def compute() -> np.ndarray:
                k = empirical_ntk(model, x, mode="trace", implementation=implementation)
                return k.numpy()[None]

    base = _current_rss_mb()
    value = compute()  # warm-up (and JIT compilation for JAX)
    peak_first = peak_rss_mib()
    times = []
    for _ in range(args.reps):
        start = time.perf_counter()
        value = compute()
        times.append(time.perf_counter() - start)
    np.save(out + ".npy", value)
    with open(out + ".json", "w") as fh:
        json.dump({"seconds": min(times), "memory_mb": max(peak_first, peak_rss_mib()) - base}, fh)


# -- parent --------------------------------------------------------------------------------


def _diagonal_difference(value: np.ndarray, ref: np.ndarray) -> float:
    """Max |difference| on the diagonals of the stacked square kernels over their max |value|."""
    if value.ndim != 3 or value.shape[1] != value.shape[2]:
        return float("nan")
    a = np.diagonal(value, axis1=1, axis2=2)
    b = np.diagonal(ref, axis1=1, axis2=2)
    return float(np.abs(a - b).max() / np.abs(b).max())


def _run(case: str, impl: str, args: argparse.Namespace, tmp: str) -> dict | None:
    out = os.path.join(tmp, f"{case}-{impl}")
    python = args.peer_python if impl.startswith("nt") and args.peer_python else sys.executable
    cmd = [python, __file__, "--child", case, impl, "--out", out]
    cmd += ["--n", str(args.n), "--dim", str(args.dim), "--n-emp", str(args.n_emp)]
    cmd += ["--width", str(args.width), "--reps", str(args.reps)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"  ({case}/{impl} failed: {proc.stderr.strip().splitlines()[-1:]})")
        return None
    with open(out + ".json") as fh:
        result = json.load(fh)
    result["value"] = np.load(out + ".npy")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="inputs for the analytic case")
    parser.add_argument("--dim", type=int, default=64, help="input dimension")
    parser.add_argument("--n-emp", type=int, default=256, help="inputs for the empirical case")
    parser.add_argument("--width", type=int, default=512, help="width of the empirical MLP")
    parser.add_argument("--reps", type=int, default=3, help="timed repetitions (best is kept)")
    parser.add_argument(
        "--cases", nargs="+", choices=["analytic", "empirical"], default=["analytic", "empirical"]
    )
    parser.add_argument(
        "--peer-python", help="interpreter with JAX and neural-tangents for the peer rows"
    )
    parser.add_argument("--child", nargs=2, metavar=("CASE", "IMPL"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args, args.out)
        return

    if args.peer_python:
        here = os.path.dirname(os.path.abspath(__file__))
        code = f"import sys; sys.path.insert(0, {here!r}); import bench_kernels as b; "
        code += "b._import_neural_tangents()"
        probe = subprocess.run([args.peer_python, "-c", code], capture_output=True, text=True)
        peers = probe.returncode == 0
        if not peers:
            print(f"neural-tangents not importable by {args.peer_python}: "
                  f"{probe.stderr.strip().splitlines()[-1:]}. Printing nnatlas only.\n")  # fmt: skip
    else:
        try:
            import jax  # noqa: F401

            _import_neural_tangents()
            peers = True
        except Exception as exc:  # ImportError, or neural-tangents failing on a newer JAX
            peers = False
            print(f"neural-tangents not importable ({type(exc).__name__}: {exc}); see --help "
                  "to install it in a separate venv. Printing nnatlas only.\n")  # fmt: skip

    cases = {
        "analytic": ["ours"] + (["nt"] if peers else []),
        "empirical": ["ours-jac", "ours-nvp"] + (["nt-jac", "nt-nvp"] if peers else []),
    }
    titles = {
        "analytic": f"analytic NNGP+NTK, depth-{DEPTH} ReLU, N = {args.n}, d = {args.dim}",
        "empirical": f"empirical NTK, MLP {args.dim}-{args.width}-{args.width}-1, N = {args.n_emp}",
    }
    names = {
        "ours": "nnatlas serial",
        "nt": "neural-tangents stax (jit)",
        "ours-jac": "nnatlas jacobian",
        "ours-nvp": "nnatlas ntk_vector_products",
        "nt-jac": "neural-tangents JACOBIAN_CONTRACTION (jit)",
        "nt-nvp": "neural-tangents NTK_VECTOR_PRODUCTS (jit)",
    }
    print(f"float64, one thread, best of {args.reps} after a warm-up, one subprocess per row\n")
    with tempfile.TemporaryDirectory() as tmp:
        for case, impls in cases.items():
            if case not in args.cases:
                continue
            print(f"### {titles[case]}\n")
            print("| implementation | seconds | peak MB | time ratio vs nnatlas | memory ratio | "
                  "max rel. diff | max rel. diff on the diagonal |")  # fmt: skip
            print("|---|---|---|---|---|---|---|")
            ref = None
            for impl in impls:
                r = _run(case, impl, args, tmp)
                if r is None:
                    continue
                if ref is None:
                    ref = r
                diff = float(np.abs(r["value"] - ref["value"]).max() / np.abs(ref["value"]).max())
                flag = "" if diff < 1e-6 else " MISMATCH"
                print(
                    f"| {names[impl]} | {r['seconds']:.3f} | {r['memory_mb']:.0f} | "
                    f"{r['seconds'] / ref['seconds']:.2f}× | "
                    f"{r['memory_mb'] / max(ref['memory_mb'], 1e-9):.2f}× | {diff:.1e}{flag} | "
                    f"{_diagonal_difference(r['value'], ref['value']):.1e} |",
                    flush=True,
                )
            print()


if __name__ == "__main__":
    main()
