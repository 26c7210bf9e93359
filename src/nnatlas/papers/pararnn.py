"""ParaRNN: Unlocking Parallel Training of Nonlinear RNNs for Large Language Models.

Danieli, Rodríguez, Sarabia, Suau, Zappella (Apple), arXiv 2510.21450, ICLR 2026. The method
(``nnatlas.nn.pararnn``) writes a nonlinear recurrence h_t = f(h_{t-1}, x_t) over the whole
sequence as one system and solves it by Newton's method; each Newton step is a linear recurrence
solved by a log-depth parallel scan, and the backward pass solves the adjoint recurrence by the
same scan. Cells are adapted (ParaGRU, ParaLSTM) so that the Jacobians are diagonal or 2×2
block-diagonal.

Claims tested here, at CPU scale:

* ``exactness``: in float64, the parallel (Newton + scan) output equals the sequential loop to
  1e-10 and the scan-adjoint gradient equals autograd through the loop to 1e-8 (our notes:
  1.5e-14 and 3.6e-15).
* ``newton-quadratic``: the Newton error squares per iteration on the paper's cells (our notes'
  table: 4.4e-1, 6.0e-2, 7.1e-4, 1.9e-7, 1.5e-14 for a diagonal GRU with random init).
* ``char-lm``: small ParaGRU / ParaLSTM character-level LMs reach a loss comparable to a
  same-size Transformer, and the parallel and sequential modes give the same training curve.
* ``cpu-speed``: on a CPU, the parallel path against the sequential loop at L = 4,096 (paper:
  up to 665× on a GPU with fused CUDA kernels; our notes: a pure-PyTorch parallel path is about
  4× *slower* than the loop on 2 CPU cores).

Deviations from the paper: no CUDA kernels (pure PyTorch); tiny models and a character-level
corpus of Python standard-library sources instead of 400M-7B-parameter LMs on web text; our own
reading of the initialisers (see :mod:`nnatlas.nn.pararnn.cells`).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F

from nnatlas.core.claims import Claim, Metrics, Paper, Verdict, presets
from nnatlas.core.config import ClaimConfig, ensure, param
from nnatlas.core.timing import best_time
from nnatlas.core.verdicts import Check, guard, judge, stat, threshold, values
from nnatlas.data.text import CharCorpus, load_stdlib_text
from nnatlas.nn import num_parameters
from nnatlas.nn.pararnn import (
    NewtonConfig,
    ParaGRU,
    ParaLSTM,
    ParaRNNLM,
    TransformerLM,
    apply_recurrence,
    newton_solve,
)  # fmt: skip
from nnatlas.runs.context import log_metrics

BIBTEX = """@inproceedings{danieli2026pararnn,
  title     = {{ParaRNN}: Unlocking Parallel Training of Nonlinear {RNN}s for Large Language Models},
  author    = {Danieli, Federico and Rodr{\\'i}guez, Pau and Sarabia, Miguel and Suau, Xavier and Zappella, Luca},
  booktitle = {International Conference on Learning Representations},
  year      = {2026},
  url       = {https://arxiv.org/abs/2510.21450}
}"""

# Our notes' CPU measurements (diagonal GRU, random init, B=8, L=2048, N=128, float64).
NOTES_FORWARD_ERROR = 1.5e-14
NOTES_ADJOINT_ERROR = 3.6e-15
NOTES_ERRORS = (4.4e-1, 6.0e-2, 7.1e-4, 1.9e-7, 1.5e-14)
PAPER_SPEEDUP = 665.0  # abstract: "up to 665x" over sequential application, GPU, fused kernels
NOTES_CPU_SPEEDUP = 0.25  # notes: pure PyTorch on 2 CPU cores, 4× slower than the loop
LEARNED_FRACTION = 0.8  # LMs whose val losses all exceed this × ln(vocab) barely learned

Cell = Literal["gru", "lstm"]


@contextlib.contextmanager
def _threads(n: int) -> Iterator[None]:
    """Run with ``n`` torch threads, then restore: these small tensors gain nothing from more
    threads, and on a shared 2-core machine oversubscription made the LM ~10× slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _cell(name: str, hidden: int, *, a_scale: float, dtype: torch.dtype = torch.float64) -> Any:
    """A 2-layer ParaGRU / ParaLSTM with input size = ``hidden``, in sequential mode."""
    cls = ParaGRU if name == "gru" else ParaLSTM
    return cls(hidden, hidden, 2, a_scale=a_scale, dtype=dtype, mode="sequential")


def _inputs(config: Any, gen: torch.Generator) -> torch.Tensor:
    """A float64 standard-normal ``(batch, length, hidden)`` input drawn from ``gen``."""
    shape = (config.batch, config.length, config.hidden)
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


# -- claim: exactness -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ExactnessConfig(ClaimConfig):
    """Claim ``exactness``: parallel vs sequential, float64, both cells.

    Attributes:
        cells: which cells to test.
        batch, length, hidden: problem size (input size = hidden).
        a_scale: diagonal recurrent weights uniform in [-a_scale, a_scale] (1 = the notes'
            harder random init).
        max_iters: Newton iteration cap (the residual check stops earlier).
        forward_tol, grad_tol: the claim's thresholds (max abs error; gradients relative to
            the largest gradient entry when that exceeds 1).
    """

    cells: tuple[Cell, ...] = param(("gru", "lstm"), min_len=1, distinct=True)
    batch: int = param(4, ge=1)
    length: int = param(2048, ge=2)
    hidden: int = param(64, ge=1)
    a_scale: float = param(1.0, gt=0)
    max_iters: int = param(20, ge=1)
    forward_tol: float = param(1e-10, gt=0)
    grad_tol: float = param(1e-8, gt=0)


def run_exactness(config: ExactnessConfig, seed: int) -> Metrics:
    out: Metrics = {"cells": list(config.cells)}
    for name in config.cells:
        torch.manual_seed(seed)
        cell = _cell(name, config.hidden, a_scale=config.a_scale)
        cell.newton = NewtonConfig(max_iters=config.max_iters)
        gen = torch.Generator().manual_seed(seed)
        x, w = _inputs(config, gen), _inputs(config, gen)
        x.requires_grad_(True)
        results = {}
        for mode in ("sequential", "parallel", "chunked"):
            cell.mode = mode
            y, _ = cell(x)
            grads = torch.autograd.grad((y * w).sum() / y.numel() ** 0.5, [x, *cell.parameters()])
            results[mode] = (y.detach(), grads)
        y_seq, g_seq = results["sequential"]
        for mode in ("parallel", "chunked"):
            y_par, g_par = results[mode]
            fwd = (y_par - y_seq).abs().max().item()
            grad = max(
                ((a - b).abs().max() / max(1.0, a.abs().max().item())).item()
                for a, b in zip(g_seq, g_par, strict=True)
            )
            out[f"{name}_{mode}_forward_error"] = fwd
            out[f"{name}_{mode}_grad_error"] = grad
            log_metrics(cell=name, mode=mode, forward_error=fwd, grad_error=grad)
    out["max_forward_error"] = max(v for k, v in out.items() if k.endswith("forward_error"))
    out["max_grad_error"] = max(v for k, v in out.items() if k.endswith("grad_error"))
    out["num_parameters"] = num_parameters(cell)
    return out


def verdict_exactness(per_seed: list[Metrics], config: ExactnessConfig) -> Verdict:
    fwd = max(values(per_seed, "max_forward_error"))
    grad = max(values(per_seed, "max_grad_error"))
    checks = [
        Check("max forward error (parallel & chunked vs loop)", fwd, "<=", config.forward_tol, ".1e"),
        Check("max gradient error (scan adjoint vs autograd through loop)", grad, "<=",
              config.grad_tol, ".1e"),
    ]  # fmt: skip
    notes = f"{NOTES_FORWARD_ERROR:.1e} / {NOTES_ADJOINT_ERROR:.1e}"
    return judge(
        checks,
        values={"notes: forward / adjoint error": notes},
        prefix=f"float64, L = {config.length}, cells {', '.join(config.cells)} (notes: {notes})",
    )


def plot_exactness(ax: Any, per_seed: list[Metrics], config: ExactnessConfig) -> None:
    labels, fwd, grad = [], [], []
    for name in config.cells:
        for mode in ("parallel", "chunked"):
            labels.append(f"{name}/{mode}")
            fwd.append(max(m[f"{name}_{mode}_forward_error"] for m in per_seed) + 1e-18)
            grad.append(max(m[f"{name}_{mode}_grad_error"] for m in per_seed) + 1e-18)
    pos = range(len(labels))
    ax.bar([p - 0.2 for p in pos], fwd, 0.4, label="forward")
    ax.bar([p + 0.2 for p in pos], grad, 0.4, label="gradient")
    ax.axhline(config.forward_tol, color="C0", ls=":")
    ax.axhline(config.grad_tol, color="C1", ls=":")
    ax.set_yscale("log")
    ax.set_xticks(list(pos), labels, fontsize=8)
    ax.set_ylabel("max abs error vs sequential (float64)")
    ax.legend(fontsize=8)


# -- claim: quadratic convergence -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ConvergenceConfig(ClaimConfig):
    """Claim ``newton-quadratic``: error of each Newton iterate against the exact trajectory.

    Attributes:
        cells: which cells.
        inits: ``"paper"`` (our reading of the paper's init, a_scale 0.5 and spread gate
            biases) and/or ``"random"`` (the notes' setting: diagonal weights U(-1, 1), update
            gate bias -1).
        batch, length, hidden: the notes' B = 8, L = 2048, N = 128.
        iterations: Newton steps recorded (no early stop).
        floor: errors below this count as converged (float64 rounding).
        min_order: the verdict's threshold on the estimated order (2 = quadratic).
    """

    cells: tuple[Cell, ...] = param(("gru", "lstm"), min_len=1, distinct=True)
    inits: tuple[Literal["paper", "random"], ...] = param(
        ("paper", "random"), min_len=1, distinct=True
    )
    batch: int = param(8, ge=1)
    length: int = param(2048, ge=2)
    hidden: int = param(128, ge=1)
    iterations: int = param(7, ge=3)  # an order needs three consecutive errors
    floor: float = param(1e-13, gt=0)
    min_order: float = param(1.7, gt=0)


def _order(errors: list[float], floor: float) -> float | None:
    """The asymptotic order from the last triple e_{k-1}, e_k, e_{k+1} with e_{k+1} > floor."""
    best = None
    for e0, e1, e2 in zip(errors, errors[1:], errors[2:], strict=False):
        if e2 > floor and e1 < e0 < 0.5 and e2 < e1:
            best = math.log(e2 / e1) / math.log(e1 / e0)
    return best


def run_convergence(config: ConvergenceConfig, seed: int) -> Metrics:
    out: Metrics = {"cases": []}
    for name in config.cells:
        for init in config.inits:
            torch.manual_seed(seed)
            a_scale = 1.0 if init == "random" else 0.5
            cell = _cell(name, config.hidden, a_scale=a_scale)
            if init == "random":
                with torch.no_grad():
                    cell.bias[0].fill_(-1.0 if name == "gru" else 1.0)
            x = _inputs(config, torch.Generator().manual_seed(seed))
            with torch.no_grad():
                u = cell.project(x)
                h0 = u.new_zeros(config.batch, cell.state_size)
                exact = apply_recurrence(cell, u, h0, mode="sequential")
                history: list[torch.Tensor] = []
                newton_solve(
                    cell, u, h0, NewtonConfig(max_iters=config.iterations, tol=0.0), history=history
                )
            errors = [(h - exact).abs().max().item() for h in history[1:]]
            order = _order(errors, config.floor)
            to_floor = next((i + 1 for i, e in enumerate(errors) if e <= 1e-10), None)
            key = f"{name}/{init}"
            out["cases"].append(key)
            out[key] = {"errors": errors, "order": order, "iters_to_1e-10": to_floor}
            for i, e in enumerate(errors):
                log_metrics(step=i + 1, case=key, error=e)
    orders = [out[k]["order"] for k in out["cases"]]
    out["min_order"] = min(orders) if all(o is not None for o in orders) else None
    out["num_parameters"] = num_parameters(cell)
    return out


def verdict_convergence(per_seed: list[Metrics], config: ConvergenceConfig) -> Verdict:
    cases = per_seed[0].get("cases", []) if per_seed else []
    guard(bool(cases), "no Newton cases were recorded")
    missing = [k for k in cases if any(m.get(k, {}).get("order") is None for m in per_seed)]
    guard(
        not missing,
        f"no three consecutive errors above the float floor for {missing}: convergence too "
        "fast (or none) to estimate an order; raise length or a_scale",
    )
    means = {k: stat(values(per_seed, k, "order")).mean for k in cases}
    table: dict[str, Any] = {f"{k} order": v for k, v in means.items()}
    for k in cases:
        errs = per_seed[0][k]["errors"]
        table[f"{k} errors (seed 0)"] = ", ".join(f"{e:.1e}" for e in errs)
        table[f"{k} iterations to 1e-10"] = per_seed[0][k]["iters_to_1e-10"]
        if len(errs) >= 3:
            table[f"{k} error after 3 iterations (paper's default count)"] = errs[2]
    table["notes errors (gru/random)"] = ", ".join(f"{e:.1e}" for e in NOTES_ERRORS)
    return threshold(
        "lowest estimated order (2 = quadratic)", min(means.values()), ">=", config.min_order,
        fmt=".2f", values=table,
        prefix="estimated asymptotic order of Newton per case: "
        + ", ".join(f"{k} {v:.2f}" for k, v in means.items()),
    )  # fmt: skip


def plot_convergence(ax: Any, per_seed: list[Metrics], config: ConvergenceConfig) -> None:
    for i, k in enumerate(per_seed[0]["cases"]):
        errs = per_seed[0][k]["errors"]
        ax.semilogy(
            range(1, len(errs) + 1), [max(e, 1e-17) for e in errs], "o-", color=f"C{i}", label=k
        )
    ax.semilogy(
        range(1, len(NOTES_ERRORS) + 1), NOTES_ERRORS, "k--", lw=1, label="notes (gru/random)"
    )
    ax.set_xlabel("Newton iteration")
    ax.set_ylabel("max |h - h_seq| (float64)")
    ax.legend(fontsize=8)


# -- claim: CPU speed -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SpeedConfig(ClaimConfig):
    """Claim ``cpu-speed``: wall time of sequential vs parallel vs chunked on this CPU.

    Attributes:
        cell: which cell.
        batch, length, hidden: problem size (float32).
        newton_iters: fixed Newton steps (3 = the paper's default, no residual check).
        repeats: timed repetitions (the minimum is kept) after one warm-up.
        target: the speed-up over the sequential loop the claim asks for.
        threads: torch threads while timing (restored afterwards; 1 = the notes' setting).
    """

    cell: Cell = "gru"
    batch: int = param(8, ge=1)
    length: int = param(4096, ge=2)
    hidden: int = param(128, ge=1)
    newton_iters: int = param(3, ge=1)
    repeats: int = param(2, ge=1)
    target: float = param(1.0, gt=0)
    threads: int = param(1, ge=1)


def run_speed(config: SpeedConfig, seed: int) -> Metrics:
    with _threads(config.threads):
        return _run_speed(config, seed)


def _run_speed(config: SpeedConfig, seed: int) -> Metrics:
    torch.manual_seed(seed)
    cell = _cell(config.cell, config.hidden, a_scale=0.5, dtype=torch.float32)
    cell.newton = NewtonConfig(max_iters=config.newton_iters, tol=0.0)
    x = torch.randn(config.batch, config.length, config.hidden)
    out: Metrics = {"threads": torch.get_num_threads()}
    ref = None
    for mode in ("sequential", "parallel", "chunked"):
        cell.mode = mode

        def fwd() -> None:
            with torch.no_grad():
                cell(x)

        def fwd_bwd() -> None:
            y, _ = cell(x)
            y.sum().backward()

        out[f"{mode}_forward_s"] = best_time(fwd, config.repeats)
        out[f"{mode}_forward_backward_s"] = best_time(fwd_bwd, config.repeats)
        with torch.no_grad():
            y = cell(x)[0]
        if ref is None:
            ref = y
        out[f"{mode}_max_error"] = (y - ref).abs().max().item()
        log_metrics(
            mode=mode, **{k: out[f"{mode}_{k}"] for k in ("forward_s", "forward_backward_s")}
        )
    for kind in ("forward", "forward_backward"):
        seq = out[f"sequential_{kind}_s"]
        out[f"{kind}_speedup"] = seq / min(out[f"parallel_{kind}_s"], out[f"chunked_{kind}_s"])
    out["speedup"] = out["forward_backward_speedup"]
    out["load_average"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    out["cpu_count"] = os.cpu_count()
    out["num_parameters"] = num_parameters(cell)
    return out


def verdict_speed(per_seed: list[Metrics], config: SpeedConfig) -> Verdict:
    fb = stat(values(per_seed, "forward_backward_speedup")).mean
    fw = stat(values(per_seed, "forward_speedup")).mean
    m0 = per_seed[0]
    load, cores = m0.get("load_average"), m0.get("cpu_count")
    table: dict[str, Any] = {
        "speed-up fwd": fw,
        **{f"{k} (seed 0)": v for k, v in m0.items() if k.endswith("_s")},
        "paper (GPU, fused CUDA)": PAPER_SPEEDUP,
        "notes (CPU, pure PyTorch)": NOTES_CPU_SPEEDUP,
        "load average / cores": f"{load} / {cores}",
    }
    loaded = load is not None and cores and load > 0.75 * cores
    verdict = threshold(
        "sequential / best parallel time, fwd+bwd", fb, ">=", config.target, fmt=".2f",
        values=table,
        prefix=f"L = {config.length}, B = {config.batch}, N = {config.hidden}, "
        f"{config.newton_iters} Newton steps, {m0.get('threads')} thread(s), {fw:.2f}× fwd "
        f"(paper {PAPER_SPEEDUP:g}× on GPU with fused kernels)",
    )  # fmt: skip
    note = f"; measured on a loaded machine (load average {load:.1f})" if loaded else ""
    return Verdict(verdict.outcome, verdict.reason + note, verdict.values)


def plot_speed(ax: Any, per_seed: list[Metrics], config: SpeedConfig) -> None:
    m = per_seed[0]
    modes = ("sequential", "parallel", "chunked")
    pos = range(len(modes))
    ax.bar([p - 0.2 for p in pos], [m[f"{k}_forward_s"] for k in modes], 0.4, label="forward")
    ax.bar(
        [p + 0.2 for p in pos], [m[f"{k}_forward_backward_s"] for k in modes], 0.4, label="fwd+bwd"
    )
    ax.set_xticks(list(pos), modes)
    ax.set_ylabel(f"seconds (L = {config.length})")
    ax.legend(fontsize=8)


# -- claim: character-level LM ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LMConfig(ClaimConfig):
    """Claim ``char-lm``: ParaGRU / ParaLSTM LMs vs a same-size Transformer vs the sequential cell.

    Attributes:
        d_model, num_layers: the RNN LMs' size (the Transformer's width is chosen to match
            the parameter count as closely as a multiple of ``nhead`` allows).
        steps, batch, length, lr: Adam training on random windows of the corpus.
        eval_batches: validation batches (fixed windows) for the final loss.
        max_chars: corpus size (characters of standard-library sources).
        max_gap: the verdict's allowed relative excess of an RNN's val loss over the
            Transformer's.
        max_curve_gap: allowed max |loss difference| between parallel and sequential ParaGRU.
        threads: torch threads while training (restored afterwards).
    """

    d_model: int = param(64, ge=1)
    num_layers: int = param(2, ge=1)
    nhead: int = param(4, ge=1)
    steps: int = param(250, ge=1)
    batch: int = param(16, ge=1)
    length: int = param(64, ge=2)
    lr: float = param(3e-3, gt=0)
    eval_batches: int = param(8, ge=1)
    max_chars: int = param(400_000, ge=1)
    max_gap: float = param(0.10, ge=0)
    max_curve_gap: float = param(0.02, ge=0)
    threads: int = param(1, ge=1)

    def validate(self) -> None:
        ensure(
            self,
            self.nhead <= 4 * self.d_model,
            f"nhead ({self.nhead}) must be at most 4 × d_model ({4 * self.d_model}): the "
            "Transformer's width is searched among multiples of nhead up to 4 × d_model",
        )


def _train_lm(
    model: torch.nn.Module, corpus: Any, config: LMConfig, seed: int, name: str
) -> Metrics:
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    gen = torch.Generator().manual_seed(seed)
    losses = []
    t0 = time.perf_counter()
    for step in range(config.steps):
        x, y = corpus.batch("train", config.batch, config.length, gen)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % 25 == 0 or step == config.steps - 1:
            log_metrics(step=step, model=name, loss=losses[-1])
    train_s = time.perf_counter() - t0
    eval_gen = torch.Generator().manual_seed(12345)
    val = []
    with torch.no_grad():
        for _ in range(config.eval_batches):
            x, y = corpus.batch("val", config.batch, config.length, eval_gen)
            val.append(F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item())
    return {
        "losses": losses,
        "val_loss": sum(val) / len(val),
        "train_s": train_s,
        "params": num_parameters(model),
    }


def run_lm(config: LMConfig, seed: int) -> Metrics:
    corpus = CharCorpus.from_text(load_stdlib_text(max_chars=config.max_chars))
    vocab = corpus.vocab_size

    def rnn(cell: Cell, mode: str) -> torch.nn.Module:
        torch.manual_seed(seed)
        return ParaRNNLM(vocab, config.d_model, config.num_layers, cell=cell, mode=mode)  # type: ignore[arg-type]

    def transformer(width: int) -> torch.nn.Module:
        torch.manual_seed(seed)
        return TransformerLM(
            vocab, width, config.num_layers, nhead=config.nhead, max_len=config.length
        )

    target = num_parameters(rnn("gru", "parallel"))
    widths = range(config.nhead, 4 * config.d_model + 1, config.nhead)
    width = min(widths, key=lambda w: abs(num_parameters(transformer(w)) - target))
    out: Metrics = {"corpus_digest": corpus.digest, "vocab_size": vocab, "transformer_width": width}
    out["threads"] = config.threads
    for name, build in (
        ("paragru", lambda: rnn("gru", "parallel")),
        ("paragru_sequential", lambda: rnn("gru", "sequential")),
        ("paralstm", lambda: rnn("lstm", "parallel")),
        ("transformer", lambda: transformer(width)),
    ):
        with _threads(config.threads):
            out[name] = _train_lm(build(), corpus, config, seed, name)
    a, b = out["paragru"]["losses"], out["paragru_sequential"]["losses"]
    out["curve_gap"] = max(abs(x - y) for x, y in zip(a, b, strict=True))
    out["gru_to_transformer"] = out["paragru"]["val_loss"] / out["transformer"]["val_loss"]
    out["lstm_to_transformer"] = out["paralstm"]["val_loss"] / out["transformer"]["val_loss"]
    out["uniform_loss"] = math.log(vocab)
    out["num_parameters"] = out["paragru"]["params"]
    return out


def verdict_lm(per_seed: list[Metrics], config: LMConfig) -> Verdict:
    tf, gru, lstm = (
        stat(values(per_seed, k, "val_loss")).mean for k in ("transformer", "paragru", "paralstm")
    )
    gap = max(values(per_seed, "curve_gap"))
    uniform = values(per_seed, "uniform_loss")[0]
    table: dict[str, Any] = {
        "ParaGRU val loss": gru,
        "ParaLSTM val loss": lstm,
        "Transformer val loss": tf,
        "params GRU / LSTM / Transformer": " / ".join(
            str(per_seed[0][k].get("params")) for k in ("paragru", "paralstm", "transformer")
        ),
        "uniform loss ln(vocab)": uniform,
    }
    guard(
        min(tf, gru, lstm) <= LEARNED_FRACTION * uniform,
        f"the models barely learned (val losses ≥ {LEARNED_FRACTION * uniform:.2f}); train longer",
        table,
    )
    # The claim is "comparable"; both RNNs beating a briefly trained Transformer is not a benefit
    # over the paper (the short budget favours the RNNs), so it counts as plain reproduction.
    checks = [
        Check("worst RNN / Transformer val loss", max(gru, lstm) / tf, "<=", 1 + config.max_gap, ".3f"),
        Check("max |loss parallel − sequential| over training", gap, "<=", config.max_curve_gap, ".1e"),
    ]  # fmt: skip
    ahead = (
        "; both RNNs are ahead of the Transformer at this short budget"
        if max(gru, lstm) < tf
        else ""
    )
    verdict = judge(
        checks, values=table,
        prefix=f"val loss ParaGRU {gru:.3f}, ParaLSTM {lstm:.3f}, Transformer {tf:.3f}",
    )  # fmt: skip
    return Verdict(verdict.outcome, verdict.reason + ahead, verdict.values)


def plot_lm(ax: Any, per_seed: list[Metrics], config: LMConfig) -> None:
    m = per_seed[0]
    for i, k in enumerate(("paragru", "paragru_sequential", "paralstm", "transformer")):
        ax.plot(m[k]["losses"], color=f"C{i}", lw=1, ls="--" if "sequential" in k else "-", label=k)
    ax.set_xlabel("step")
    ax.set_ylabel("train loss (nats/char)")
    ax.legend(fontsize=8)


# -- record -----------------------------------------------------------------------------------


_EXACTNESS_PRESETS = presets(
    ExactnessConfig(),
    smoke={"batch": 2, "length": 128, "hidden": 16},
    paper={"batch": 8, "length": 16_384, "hidden": 256},
)  # fmt: skip

_NEWTON_QUADRATIC_PRESETS = presets(
    ConvergenceConfig(),
    smoke={"batch": 2, "length": 256, "hidden": 16, "inits": ("random",)},
    paper={"batch": 16, "length": 16_384, "hidden": 256},
)  # fmt: skip

_CHAR_LM_PRESETS = presets(
    LMConfig(),
    smoke={"d_model": 16, "num_layers": 1, "steps": 4, "batch": 4, "length": 16,
           "eval_batches": 1, "max_chars": 20_000},
    paper={"d_model": 256, "num_layers": 4, "steps": 5000, "batch": 32, "length": 512,
           "max_chars": 2_000_000},
)  # fmt: skip

_CPU_SPEED_PRESETS = presets(
    SpeedConfig(),
    smoke={"batch": 2, "length": 256, "hidden": 32, "repeats": 1},
    paper={"batch": 16, "length": 16_384, "hidden": 256, "repeats": 3},
)  # fmt: skip

COMPONENTS = (
    "nnatlas.nn.ParaGRU", "nnatlas.nn.ParaLSTM", "nnatlas.nn.NewtonConfig",
    "nnatlas.nn.apply_recurrence", "nnatlas.nn.linear_scan", "nnatlas.nn.pararnn.ParaRNNLM",
)  # fmt: skip

PAPER = Paper(
    key="pararnn",
    title="ParaRNN: Unlocking Parallel Training of Nonlinear RNNs for Large Language Models",
    authors="Federico Danieli, Pau Rodríguez, Miguel Sarabia, Xavier Suau, Luca Zappella",
    year=2026,
    venue="ICLR",
    arxiv="2510.21450",
    bibtex=BIBTEX,
    family="nn",
    summary=(
        "Solve a nonlinear RNN's whole trajectory at once: Newton's method on the system "
        "h_t - f(h_{t-1}, x_t) = 0, each step a linear recurrence solved by a log-depth parallel scan, "
        "and the adjoint recurrence solved by the same scan for the backward pass. Cells with diagonal "
        "(ParaGRU) or 2×2 block-diagonal (ParaLSTM) Jacobians keep each step cheap. We test exactness, "
        "quadratic convergence, small char-level LMs and CPU speed."
    ),
    components=COMPONENTS,
    claims=(
        Claim(
            key="exactness",
            statement=(
                "The parallel (Newton + scan) application equals the sequential loop: in float64 the "
                "outputs agree to 1e-10 and the scan-adjoint gradients agree with autograd through the "
                "loop to 1e-8."
            ),
            source="Sec. 3 (method); our notes' CPU measurement (5d)",
            metric="max_forward_error",
            paper_value=NOTES_FORWARD_ERROR,
            paper_value_text="notes: 1.5e-14 (forward, 5-6 Newton steps) and 3.6e-15 (adjoint vs reverse loop)",
            tolerance=(
                f"max forward error ≤ {ExactnessConfig().forward_tol:g} and max relative gradient "
                f"error ≤ {ExactnessConfig().grad_tol:g}, both cells, parallel and chunked"
            ),
            config_cls=ExactnessConfig,
            presets=_EXACTNESS_PRESETS,
            run=run_exactness,
            verdict=verdict_exactness,
            scaled_down="B = 4, L = 2,048, N = 64 in float64 (ParaGRU and ParaLSTM, random init a_scale = 1).",
            seeds={"smoke": 1, "quick": 1, "paper": 3},
            plot=plot_exactness,
        ),
        Claim(
            key="newton-quadratic",
            statement="Newton's method on the trajectory converges quadratically: the error roughly squares per iteration.",
            source="Sec. 3; the paper's claim that 3 iterations suffice; our notes' table (5d)",
            metric="min_order",
            paper_value=2.0,
            paper_value_text="quadratic (order 2); notes: 4.4e-1, 6.0e-2, 7.1e-4, 1.9e-7, 1.5e-14 (GRU, random init)",
            tolerance=f"estimated asymptotic order ≥ {ConvergenceConfig().min_order:g} for every (cell, init) case",
            config_cls=ConvergenceConfig,
            presets=_NEWTON_QUADRATIC_PRESETS,
            run=run_convergence,
            verdict=verdict_convergence,
            scaled_down="The notes' size (B = 8, L = 2,048, N = 128, float64); the paper's cells at 1-layer scale.",
            seeds={"smoke": 1, "quick": 1, "paper": 3},
            plot=plot_convergence,
        ),
        Claim(
            key="char-lm",
            statement=(
                "ParaGRU and ParaLSTM language models reach a loss comparable to a same-size Transformer, "
                "and training in parallel mode follows the sequential cell's curve up to float error."
            ),
            source="Sec. 5 (LMs up to 7B, perplexity comparable to Transformers and Mamba2)",
            metric="gru_to_transformer",
            paper_value=None,
            paper_value_text="perplexity comparable to similarly sized Transformers (400M-7B); per-size tables not re-read",
            tolerance=(
                f"both RNNs' val loss ≤ {1 + LMConfig().max_gap:.2f} × the Transformer's; max |Δloss| "
                f"parallel vs sequential ≤ {LMConfig().max_curve_gap:g}; inconclusive if every val "
                f"loss exceeds {LEARNED_FRACTION:g} × ln(vocab)"
            ),
            config_cls=LMConfig,
            presets=_CHAR_LM_PRESETS,
            run=run_lm,
            verdict=verdict_lm,
            scaled_down=(
                "2-layer d = 64 models (~75k parameters) trained 250 Adam steps on 64-character windows of "
                "Python standard-library sources (one seed), instead of 400M-7B LMs on web text."
            ),
            seeds={"smoke": 1, "quick": 1, "paper": 3},
            plot=plot_lm,
        ),
        Claim(
            key="cpu-speed",
            statement=(
                "The parallel application is faster than the sequential loop (paper: up to 665× on GPU); "
                "on CPU we ask for ≥ 1× at L = 4,096."
            ),
            source="Abstract and Sec. 4 (speed-ups up to 665× with fused CUDA kernels)",
            metric="speedup",
            paper_value=PAPER_SPEEDUP,
            paper_value_text="up to 665× on GPU (fused kernels); notes: pure PyTorch on 2 CPU cores ≈ 0.25× (4× slower)",
            tolerance=(
                f"sequential / best(parallel, chunked) fwd+bwd time ≥ {SpeedConfig().target:g} at "
                f"L = {SpeedConfig().length:,}"
            ),
            config_cls=SpeedConfig,
            presets=_CPU_SPEED_PRESETS,
            run=run_speed,
            verdict=verdict_speed,
            scaled_down="CPU, pure PyTorch, float32, B = 8, N = 128, L = 4,096; no CUDA kernels.",
            seeds={"smoke": 1, "quick": 1, "paper": 1},
            plot=plot_speed,
        ),
    ),
)
