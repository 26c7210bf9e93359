"""The ``nnatlas`` command: list, info, cite, reproduce and report.

Errors a user can cause (an unknown paper, preset or field, a value of the wrong type, a
missing extra) print one line naming the valid choices and exit with status 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
import time
from collections.abc import Sequence
from typing import Any

from nnatlas import __version__
from nnatlas.core.errors import ConfigError, NnatlasError, StorageError

log = logging.getLogger("nnatlas")


def _latest_outcomes(out: str) -> dict[tuple[str, str], str]:
    from nnatlas.runs.store import RunStore

    store = RunStore(out)
    if not store.root.exists():
        return {}
    if not store.root.is_dir():
        raise StorageError(f"--out {out!r} is a file, not a run store folder")
    return {(s["paper"], s["claim"]): s["verdict"]["outcome"] for s in store.latest_summaries()}


def cmd_list(args: argparse.Namespace) -> int:
    from nnatlas.papers import all_papers, select_claims

    outcomes = _latest_outcomes(args.out)
    selected = select_claims(args.pattern) if args.pattern else None
    for paper in all_papers():
        claims = [c for c in paper.claims if selected is None or (paper, c) in selected]
        if not claims:
            continue
        print(f"{paper.key:<24} {paper.title} (arXiv {paper.arxiv}) [{paper.family}]")
        for c in claims:
            verdict = outcomes.get((paper.key, c.key), "not run")
            print(f"  {paper.key + '/' + c.key:<48} last verdict: {verdict}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from nnatlas.core.config import config_to_dict
    from nnatlas.papers import get_paper

    paper = get_paper(args.key)
    print(f"{paper.title}\n{paper.authors} · {paper.venue} {paper.year} · {paper.url}")
    print(f"family: nnatlas.{paper.family}; components: {', '.join(paper.components) or '–'}\n")
    print(textwrap.fill(paper.summary, 96) + "\n")
    for c in paper.claims:
        print(f"claim {paper.key}/{c.key} ({c.source})")
        print(textwrap.indent(textwrap.fill(c.statement, 92), "    "))
        print(f"    paper: {c.paper_value_text}\n    tolerance: {c.tolerance}")
        for preset, cfg in c.presets.items():
            fields = ", ".join(f"{k}={v}" for k, v in config_to_dict(cfg).items())
            print(f"    preset {preset} (seeds {c.seeds.get(preset, 1)}): {fields}")
        print()
    return 0


def cmd_cite(args: argparse.Namespace) -> int:
    from nnatlas.papers import get_paper

    print(get_paper(args.key).bibtex.strip())
    return 0


def _print_table(summaries: Sequence[dict[str, Any]]) -> None:
    from nnatlas.report import format_ours, preset_note

    rows = [("claim", "paper", "ours (mean ± std)", "verdict")]
    rows += [
        (
            f"{s['paper']}/{s['claim']}",
            s["paper_value_text"],
            format_ours(s),
            s["verdict"]["outcome"] + (" (smoke)" if preset_note(s) else ""),
        )
        for s in summaries
    ]
    widths = [min(48, max(len(r[i]) for r in rows)) for i in range(4)]
    for i, row in enumerate(rows):
        print(
            "  ".join(
                textwrap.shorten(cell, w, placeholder="…").ljust(w)
                for cell, w in zip(row, widths, strict=True)
            )
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for s in summaries:
        print(f"\n{s['paper']}/{s['claim']}: {s['verdict']['outcome']}")
        print(textwrap.indent(textwrap.fill(s["verdict"]["reason"], 92), "    "))
    if any(preset_note(s) for s in summaries):
        print(f"\n(smoke) verdicts: {preset_note({'preset': 'smoke'})}.")


def cmd_reproduce(args: argparse.Namespace) -> int:
    from nnatlas.core.config import parse_assignments
    from nnatlas.core.io import check_writable_dir
    from nnatlas.core.progress import progress_enabled
    from nnatlas.report import write_report
    from nnatlas.runs.executors import make_executor
    from nnatlas.runs.runner import cpu_fallbacks, default_threads, plan, reproduce
    from nnatlas.runs.store import RunStore

    if args.all == (args.selection is not None):
        raise ConfigError("give a paper key or pattern to reproduce, or --all (not both)")
    if args.jobs < 1:
        raise ConfigError(f"--jobs expects a positive integer, got {args.jobs}")
    executor_name = args.executor or ("process" if args.jobs > 1 else "serial")
    threads = (
        args.threads
        if args.threads is not None
        else (default_threads(args.jobs) if executor_name != "serial" else None)
    )
    plans = plan(
        None if args.all else args.selection,
        preset=args.preset, seeds=args.seeds, overrides=parse_assignments(args.set or []),
        device=args.device, root=args.out, force=args.force, threads=threads,
    )  # fmt: skip
    # Every config is validated by now (plan builds them); check the store before any run.
    check_writable_dir(args.out, "--out")
    executor = make_executor(executor_name, jobs=args.jobs, address=args.address, root=args.out)
    n_runs = sum(len(cs.specs) for cs in plans)
    print(
        f"nnatlas {__version__}: {len(plans)} claim(s), {n_runs} run(s), preset {args.preset}, "
        f"executor {executor_name}, device {args.device}, store {args.out}/",
        flush=True,
    )
    on_cpu = cpu_fallbacks(plans, args.device)
    if on_cpu:
        print(
            f"  {len(on_cpu)} claim(s) run on the CPU, their run functions do not place work on "
            f"{args.device} (recorded as CPU runs): {', '.join(on_cpu)}",
            flush=True,
        )
    from tqdm.auto import tqdm

    disable = None if progress_enabled() is None else not progress_enabled()
    bar = tqdm(total=n_runs, desc="runs", disable=disable, dynamic_ncols=True)
    t0 = time.perf_counter()
    failures = 0

    def on_run(spec: Any, record: dict[str, Any]) -> None:
        nonlocal failures
        status = record["status"]
        failures += status == "failed"
        msg = f"  {status:<7} {spec.paper}/{spec.claim} seed {spec.seed}"
        if status == "failed":
            msg += f": {record['error']}"
        bar.write(msg)
        bar.update(1)

    done_before = 0
    try:
        results = reproduce(plans, executor=executor, on_run=on_run)
    except StorageError as exc:  # e.g. the disk filled up mid-way: keep what finished
        done_before = sum(RunStore.is_complete(spec.run_dir) for cs in plans for spec in cs.specs)
        print(
            f"nnatlas: error: {exc}; {done_before} finished run(s) are kept in {args.out}/ "
            "and a rerun resumes from them",
            file=sys.stderr,
        )
        return 1
    finally:
        bar.close()
    summaries = [cs.summary for cs in results]
    print(f"\ndone in {time.perf_counter() - t0:.0f} s\n")
    _print_table(summaries)
    store = RunStore(args.out)
    try:
        paths = write_report(store.latest_summaries(), args.out)
    except StorageError as exc:
        print(f"nnatlas: error: {exc}; the runs and summaries are kept", file=sys.stderr)
        return 1
    print(f"\nreport: {paths['html']} (also {paths['markdown'].name}, {paths['json'].name})")
    if failures:
        print(f"{failures} run(s) failed; see error.json in their folders", file=sys.stderr)
        return 1
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from nnatlas.report import write_report
    from nnatlas.runs.store import RunStore

    store = RunStore(args.dir)
    if store.root.exists() and not store.root.is_dir():
        raise StorageError(f"{args.dir!r} is a file, not a run store folder")
    if not store.root.is_dir():
        raise ConfigError(f"no run store at {str(store.root)!r}; run `nnatlas reproduce` first")
    store.rebuild_index()
    summaries = store.latest_summaries()
    if not summaries:
        raise ConfigError(
            f"no claim summaries under {str(store.root)!r}; run `nnatlas reproduce` first"
        )
    paths = write_report(summaries, args.dir)
    print(
        f"report: {paths['html']} ({len(summaries)} claims; also {paths['markdown'].name}, {paths['json'].name})"
    )
    if args.readme:
        from nnatlas.report.readme import update_readme

        try:
            changed = update_readme(args.readme, summaries, keep_unrun=args.keep_unrun)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"--readme: {exc}") from None
        print(
            f"{args.readme}: claims table and citations {'updated' if changed else 'already up to date'}"
        )
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2, like every other usage error
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from nnatlas.core.claims import PRESETS
    from nnatlas.runs.executors import EXECUTORS

    p = _Parser(
        prog="nnatlas", description="Neural-network papers as components, with runnable claims."
    )
    p.add_argument("--version", action="version", version=f"nnatlas {__version__}")
    p.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)"
    )
    p.add_argument("--no-progress", action="store_true", help="never show progress bars")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("list", help="papers, their claims and last verdicts")
    s.add_argument("pattern", nargs="?", help="paper key, paper/claim, or a wildcard pattern")
    s.add_argument("--out", default="runs", help="run store to read verdicts from (default: runs)")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("info", help="a paper's record, claims and presets")
    s.add_argument("key")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("cite", help="a paper's BibTeX entry")
    s.add_argument("key")
    s.set_defaults(func=cmd_cite)

    s = sub.add_parser("reproduce", help="run claims and write the report")
    s.add_argument("selection", nargs="?", help="paper key, paper/claim, or a wildcard pattern")
    s.add_argument("--all", action="store_true", help="every claim of every paper")
    s.add_argument("--preset", default="quick", choices=PRESETS, help="default: quick")
    s.add_argument("--seeds", type=int, help="number of seeds (default: the claim's, per preset)")
    s.add_argument("--jobs", type=int, default=1, help="parallel runs (process pool when > 1)")
    s.add_argument(
        "--executor", choices=EXECUTORS, help="default: serial, or process with --jobs > 1"
    )
    s.add_argument("--address", help="Ray cluster address for --executor ray")
    s.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override a config field (repeatable)"
    )
    s.add_argument("--out", default="runs", help="run store and report folder (default: runs)")
    s.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default: cpu)")
    s.add_argument("--threads", type=int, help="torch threads per run (default: torch's own)")
    s.add_argument("--force", action="store_true", help="rerun runs that are already complete")
    s.set_defaults(func=cmd_reproduce)

    s = sub.add_parser("report", help="rewrite the report from a run store")
    s.add_argument("dir", nargs="?", default="runs", help="run store (default: runs)")
    s.add_argument(
        "--readme", metavar="FILE", help="also rewrite FILE's claims table from these results"
    )
    s.add_argument(
        "--keep-unrun",
        action="store_true",
        help="with --readme: claims this store has no run of keep their row in FILE",
    )
    s.set_defaults(func=cmd_report)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nnatlas`` console script."""
    args = build_parser().parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    from nnatlas.core.progress import set_progress

    set_progress(False if args.no_progress else None)
    if args.no_progress or not sys.stderr.isatty():
        # Hugging Face libraries draw their own bars (weight loading); they read this variable
        # when first imported, here and in worker processes, which inherit the environment.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        return int(args.func(args))
    except NnatlasError as exc:
        print(f"nnatlas: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file-system fault not met by a check above: still one line
        if isinstance(exc, BrokenPipeError):  # `nnatlas info ... | head`
            sys.stderr.close()
            return 0
        from nnatlas.core.io import storage_error

        where = exc.filename if exc.filename is not None else "a file"
        print(f"nnatlas: error: {storage_error(exc, where, 'use')}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nnatlas: interrupted; completed runs are kept, rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
