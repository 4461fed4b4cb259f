"""``gigawatt sweep``, ``gigawatt analyze`` and ``gigawatt compare``.

gigawatt sweep SPEC.toml [--out DIR] [--workers N | --dask ADDRESS|local]
gigawatt analyze DIR [--out DIR2]
gigawatt compare baseline amazon-anthropic-2026 no-deal --replicates 8 [--months 120]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from experiments.paths import child_dir, slug

__all__ = ["register"]


def _add_exec_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes, local or of --dask local (default: one per core; "
        "1 runs in-process)",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="run on a Dask scheduler at ADDRESS, or 'local' to start a LocalCluster",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-check", action="store_true", help="skip the model's invariant checks")


def register(subparsers: Any) -> None:
    """Add the ``sweep``, ``analyze`` and ``compare`` subcommands."""
    p = subparsers.add_parser(
        "sweep",
        help="run (or resume) a parameter sweep from a TOML spec",
        description="Run a sweep; re-running the same command resumes where it stopped.",
    )
    p.add_argument("spec", help="sweep spec TOML (see experiments/sweep_specs/)")
    p.add_argument("--out", default=None, help="sweep directory (default: sweeps-out/<name>)")
    p.add_argument(
        "--no-retry-failed", action="store_true", help="on resume, skip runs that failed before"
    )
    p.add_argument("--analyze", action="store_true", help="analyse when the sweep is done")
    _add_exec_args(p)
    p.set_defaults(func=_sweep)

    a = subparsers.add_parser(
        "analyze",
        help="sensitivity indices or means with CIs of a finished sweep",
        description="Writes CSV tables and PNG figures (default into DIR/analysis).",
    )
    a.add_argument("dir", help="a sweep directory")
    a.add_argument("--out", default=None, help="where to write (default: DIR/analysis)")
    a.add_argument(
        "--log",
        action="append",
        default=[],
        metavar="OUTPUT",
        help="also analyse log10 of this output (repeatable; for heavy-tailed ratios)",
    )
    a.set_defaults(func=_analyze)

    c = subparsers.add_parser(
        "compare",
        help="compare scenarios with common random numbers",
        description="Runs each scenario with the same seeds; differences to the first one.",
    )
    c.add_argument("scenarios", nargs="+", help="scenario names or TOML files; first = reference")
    c.add_argument("--replicates", type=int, default=8, help="seeds per scenario (default 8)")
    c.add_argument("--months", type=int, default=120, help="horizon (default 120)")
    c.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    c.add_argument("--out", default=None, help="directory (default: sweeps-out/compare-...)")
    _add_exec_args(c)
    c.set_defaults(func=_compare)


def _print_table(frame: Any, max_rows: int = 60) -> None:
    import pandas as pd

    with pd.option_context(
        "display.max_rows", max_rows, "display.width", 160, "display.float_format", "{:.4g}".format
    ):
        print(frame.to_string(index=False))


def _exec_error(args: argparse.Namespace) -> str | None:
    if args.workers is not None and args.workers < 1:
        return f"--workers {args.workers}: give at least 1 (1 runs in-process)"
    if args.dask not in (None, "local") and args.workers is not None:
        return "--workers goes with local runs or --dask local; a scheduler has its own workers"
    return None


def _sweep(args: argparse.Namespace) -> int:
    from experiments.sweeps import SweepSpecError, SweepStore, SweepStoreError, load_spec
    from experiments.sweeps.sweep import run_sweep

    if err := _exec_error(args):
        print(f"gigawatt sweep: {err}", file=sys.stderr)
        return 2
    try:
        spec = load_spec(args.spec)
        out = Path(args.out) if args.out else child_dir("sweeps-out", spec.name, "sweep")
        summary = run_sweep(
            spec,
            out,
            workers=args.workers,
            dask=args.dask,
            progress=not args.no_progress,
            retry_failed=not args.no_retry_failed,
            check=not args.no_check,
        )
    except (SweepSpecError, SweepStoreError) as exc:
        print(f"gigawatt sweep: {exc}", file=sys.stderr)
        return 2
    status = SweepStore.open(out).status()
    print(
        f"{out}: {status['completed']}/{status['planned']} runs done "
        f"({summary.skipped} resumed, {summary.ran} run now, {status['failed']} failed) "
        f"in {summary.seconds:.1f} s"
    )
    if status["failed"]:
        print(f"failures: {out}/failures/ (re-run the same command to retry them)")
    if args.analyze:
        return _analyze(argparse.Namespace(dir=str(out), out=None))
    return 1 if status["failed"] else 0


def _analyze(args: argparse.Namespace) -> int:
    from experiments.sweeps import SweepStoreError
    from experiments.sweeps.analysis import analyze_sweep

    try:
        result = analyze_sweep(args.dir, args.out, log_outputs=getattr(args, "log", []))
    except SweepStoreError as exc:
        print(f"gigawatt analyze: {exc}", file=sys.stderr)
        return 2
    for name in ("indices", "means"):
        if name in result.tables:
            _print_table(result.tables[name])
    for note in result.notes:
        print(f"note: {note}")
    for f in result.files:
        print(f"wrote {f}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from experiments.sweeps import SweepSpecError, SweepStore, SweepStoreError
    from experiments.sweeps.compare import compare_scenarios

    if err := _exec_error(args):
        print(f"gigawatt compare: {err}", file=sys.stderr)
        return 2
    out = args.out or str(
        Path("sweeps-out")
        / slug(
            "compare-"
            + "-".join(Path(s).stem for s in args.scenarios)[:80]
            + f"-r{args.replicates}-m{args.months}"
        )
    )
    try:
        result = compare_scenarios(
            list(args.scenarios),
            out,
            replicates=args.replicates,
            months=args.months,
            root_seed=args.seed,
            workers=args.workers,
            dask=args.dask,
            progress=not args.no_progress,
            check=not args.no_check,
        )
    except (SweepSpecError, SweepStoreError) as exc:
        print(f"gigawatt compare: {exc}", file=sys.stderr)
        return 2
    cols = [
        "scenario",
        "output",
        "mean",
        "ci_low",
        "ci_high",
        "diff",
        "diff_ci_low",
        "diff_ci_high",
        "n",
    ]
    _print_table(result.table[cols])
    status = SweepStore.open(out).status()
    if status["failed"]:
        print(f"note: {status['failed']} runs failed, see {out}/failures/")
    for f in result.files:
        print(f"wrote {f}")
    return 0
