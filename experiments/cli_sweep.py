"""``gigawatt sweep``, ``gigawatt analyze`` and ``gigawatt compare``.

gigawatt sweep SPEC.toml [--out DIR] [--new] [--workers N | --dask ADDRESS|local]
gigawatt analyze DIR [--out DIR2]
gigawatt compare baseline amazon-anthropic-2026 no-deal --replicates 8 [--months 120]
    [--outputs compute_spot_price,labs_active] [--set PATH=VALUE ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from agents.scenario import DEFAULT_MONTHS
from experiments.cli_deal_effect import add_deal_effect
from experiments.cli_set import SetError, add_set, apply_sets, parse_sets
from experiments.paths import MAX_LEN, cannot_write, child_dir, slug

__all__ = ["compare_folder", "register"]

MAX_REPLICATES = 100_000
"""The most replicates a comparison runs (a sweep spec's bound)."""
MAX_SEED = 2**63 - 1
"""The largest root seed (a sweep spec's bound)."""

SWEEP_HELP = """\
Run many seeded runs of a scenario over a design of parameter values, described in a
TOML spec: a file, or the name of a spec shipped with the package (`gigawatt list specs`
shows them and where their files are, to copy and edit).

Before anything runs, the whole spec is checked: every design point against the
scenario's allowed ranges, every output name against a one-month trial run, and the
size of the design. A problem stops the command with exit status 2 and says what to
change.

Each finished run is saved at once, so an interrupted sweep loses nothing: run the same
command again to resume. If you change the spec, either add --new to move the earlier
results aside and start over in the same folder, or give a fresh --out folder.

examples:
  gigawatt sweep example --out sweeps-out/example
  gigawatt sweep my-spec.toml --out sweeps-out/mine --new --analyze
  gigawatt sweep my-spec.toml --dask local --workers 2     (prints the dashboard link)
"""

ANALYZE_HELP = """\
Summarise a finished sweep. For a grid or scenarios design: the mean of each output at
each design point with a 95% interval over the replicates (shares and other bounded
outputs keep their intervals inside their bounds). For sampled designs: which inputs
matter, as sensitivity indices (Sobol' for sobol, Morris for morris, RBD-FAST for lhs).
Monthly series outputs are drawn as fan charts. Writes CSV tables and PNG figures into
DIR/analysis (or --out).

example:
  gigawatt analyze sweeps-out/example --log round_trip_ratio
"""

COMPARE_HELP = """\
Run each scenario with the same seeds (replicate r uses the same random numbers in every
scenario) and compare them to the first one. Prints, per output and scenario, the mean
with its 95% interval, the difference to the first scenario and the relative difference,
both with 95% intervals computed on the seed-paired differences. Draws each output over
time (median and 5-95% band across replicates) and the final-month differences.

--set PATH=VALUE (repeatable) changes one scenario value in every scenario compared (and
in both runs of each --deal-effect pair), as a scenario file's [overrides] table would; the
value is read as TOML. The comparison's length is --months, so --set months=N is refused.
An override a scenario cannot take stops the command before anything runs, naming the
--set and the scenario. The results folder records the overrides: the same command
resumes it, and one with other --set values is refused as a changed comparison (add --new
to move the earlier one aside, or give another --out).

examples:
  gigawatt compare baseline power-crunch --replicates 8 --months 96 \\
      --outputs compute_spot_price,throttled_share,labs_active
  gigawatt compare no-deal amazon-anthropic-2026 --replicates 4 --set cloud_conduct=1
"""


def _add_exec_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: one per core; 1 runs everything in this process)",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="run on a Dask cluster: a scheduler ADDRESS such as tcp://host:8786, or 'local' "
        "for one on this machine; prints the dashboard link",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-check", action="store_true", help="skip the model's invariant checks")


def register(subparsers: Any) -> None:
    """Add the ``sweep``, ``analyze`` and ``compare`` subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    p = subparsers.add_parser(
        "sweep",
        help="run (or resume) many runs over a design of parameter values",
        description=SWEEP_HELP,
        formatter_class=raw,
    )
    p.add_argument(
        "spec", help="the sweep's TOML file, or a shipped spec's name (gigawatt list specs)"
    )
    p.add_argument(
        "--out", default=None, metavar="DIR", help="results folder (default: sweeps-out/<name>)"
    )
    p.add_argument(
        "--no-retry-failed", action="store_true", help="on resume, skip runs that failed before"
    )
    p.add_argument(
        "--new",
        action="store_true",
        help="start over: move an earlier sweep in the --out folder aside to "
        "<folder>.old-<time> (nothing is deleted), then run this spec there",
    )
    p.add_argument("--analyze", action="store_true", help="analyse when the sweep is done")
    _add_exec_args(p)
    p.set_defaults(func=_sweep)

    a = subparsers.add_parser(
        "analyze",
        help="summarise a finished sweep: means with intervals, or which inputs matter",
        description=ANALYZE_HELP,
        formatter_class=raw,
    )
    a.add_argument("dir", metavar="DIR", help="a sweep's results folder")
    a.add_argument(
        "--out", default=None, metavar="DIR2", help="where to write (default: DIR/analysis)"
    )
    a.add_argument(
        "--log",
        action="append",
        default=[],
        metavar="OUTPUT",
        help="also analyse log10 of this output (repeatable; for ratios spanning decades)",
    )
    a.set_defaults(func=_analyze)

    c = subparsers.add_parser(
        "compare",
        help="compare scenarios run with the same seeds, over time and at the end",
        description=COMPARE_HELP,
        formatter_class=raw,
    )
    c.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help="scenario names (see gigawatt list scenarios) or TOML files; the first is "
        "the reference",
    )
    c.add_argument(
        "--replicates", type=int, default=8, metavar="N", help="seeds per scenario (default 8)"
    )
    c.add_argument(
        "--months",
        type=int,
        default=DEFAULT_MONTHS,
        metavar="N",
        help=f"months (default {DEFAULT_MONTHS})",
    )
    c.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    c.add_argument(
        "--outputs",
        default=None,
        metavar="A,B",
        help="outputs to compare, comma-separated: model-frame columns (e.g. "
        "compute_spot_price,labs_active) or table.column (gigawatt list metrics names them); "
        "default: eight headline metrics",
    )
    c.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="results folder (default: sweeps-out/compare-...)",
    )
    c.add_argument(
        "--new",
        action="store_true",
        help="start over: move an earlier comparison in the --out folder aside "
        "to <folder>.old-<time>",
    )
    add_set(c, "every scenario compared (and both runs of each --deal-effect pair)")
    _add_exec_args(c)
    c.set_defaults(func=_compare)
    add_deal_effect(c)


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
    from experiments.sweeps.design import SobolBalanceWarning
    from experiments.sweeps.folder import prepare_folder
    from experiments.sweeps.sweep import run_sweep
    from experiments.sweeps.validate import validate_sweep

    if err := _exec_error(args):
        print(f"gigawatt sweep: {err}", file=sys.stderr)
        return 2
    try:
        spec = load_spec(args.spec)
        out = Path(args.out) if args.out else child_dir("sweeps-out", spec.name, "sweep")
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always", SobolBalanceWarning)
            validate_sweep(spec)  # everything checked before a folder or a run exists
        for w in said:  # the design's note in one line of the command's words
            if issubclass(w.category, SobolBalanceWarning):
                print(f"gigawatt sweep: note: {w.message}", file=sys.stderr)
            else:  # anything else as Python would have shown it
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        note = prepare_folder(out, spec, new=args.new, spec_file=args.spec)
        if note:
            print(note)
        summary = run_sweep(
            spec,
            out,
            workers=args.workers,
            dask=args.dask,
            progress=not args.no_progress,
            retry_failed=not args.no_retry_failed,
            validate=False,
            check=not args.no_check,
        )
    except (SweepSpecError, SweepStoreError) as exc:
        print(f"gigawatt sweep: {exc}", file=sys.stderr)
        return 2
    status = SweepStore.open(out).status()
    # done before this call: what is done now less what finished in it (the runs skipped
    # include those that failed before, when --no-retry-failed leaves them failed)
    resumed = status["completed"] - (summary.ran - summary.failed)
    print(
        f"{out}: {status['completed']}/{status['planned']} runs done "
        f"({resumed} resumed, {summary.ran} run now, {status['failed']} failed) "
        f"in {summary.seconds:.1f} s"
    )
    if status["failed"]:
        _print_failures(SweepStore.open(out))
        retry = (
            "drop --no-retry-failed to retry them"
            if args.no_retry_failed
            else "re-run the same command to retry them"
        )
        print(f"failures: {out}/failures/ ({retry})")
    analysed = _analyze(argparse.Namespace(dir=str(out), out=None)) if args.analyze else 0
    return analysed or (1 if status["failed"] else 0)


def _print_failures(store: Any, top: int = 3) -> None:
    """The commonest errors of failed runs, with how many runs hit each."""
    fails = store.failures()
    if fails.empty:
        return
    first_line = fails["message"].astype(str).str.split("\n").str[0].str.slice(0, 200)
    counts = (fails["error_type"].astype(str) + ": " + first_line).value_counts()
    for text, n in counts.head(top).items():
        print(f"  {n} run{'s' if n != 1 else ''} failed with {text}")
    if len(counts) > top:
        print(f"  ... and {len(counts) - top} other errors")


def _analyze(args: argparse.Namespace) -> int:
    from experiments.sweeps import SweepStore, SweepStoreError
    from experiments.sweeps.analysis import analyze_sweep

    try:
        result = analyze_sweep(args.dir, args.out, log_outputs=getattr(args, "log", []))
    except SweepStoreError as exc:
        print(f"gigawatt analyze: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the output folder cannot be written
        said = cannot_write(
            args.out or SweepStore(args.dir).analysis_dir, exc, default=not args.out
        )
        print(f"gigawatt analyze: {said}", file=sys.stderr)
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
    from experiments.sweeps.compare import compare_scenarios, compare_spec
    from experiments.sweeps.folder import prepare_folder
    from experiments.sweeps.validate import validate_sweep

    if err := _exec_error(args):
        print(f"gigawatt compare: {err}", file=sys.stderr)
        return 2
    outputs = None
    if args.outputs is not None:
        outputs = [o.strip() for o in args.outputs.split(",") if o.strip()]
        if not outputs:
            print(
                "gigawatt compare: --outputs: give output names, e.g. labs_active", file=sys.stderr
            )
            return 2
    if err := _compare_input_error(args):
        print(f"gigawatt compare: {err}", file=sys.stderr)
        return 2
    changes = parse_sets(args.overrides, args.months, "comparison")  # checked above
    out = args.out or str(
        compare_folder(args.scenarios, args.replicates, args.months, args.seed, outputs, changes)
    )
    try:
        spec = compare_spec(
            list(args.scenarios),
            replicates=args.replicates,
            months=args.months,
            root_seed=args.seed,
            outputs=list(outputs) if outputs else None,
            overrides=changes,
        )
        validate_sweep(spec)
        note = prepare_folder(out, spec, new=args.new, spec_file=None)
        if note:
            print(note)
        result = compare_scenarios(
            list(args.scenarios),
            out,
            replicates=args.replicates,
            months=args.months,
            root_seed=args.seed,
            outputs=list(outputs) if outputs else None,
            workers=args.workers,
            dask=args.dask,
            progress=not args.no_progress,
            check=not args.no_check,
            overrides=changes,
        )
    except (SweepSpecError, SweepStoreError) as exc:
        print(f"gigawatt compare: {_in_compare_terms(str(exc))}", file=sys.stderr)
        return 2
    t = result.table.copy()
    ref = args.scenarios[0]
    t["mean (95% CI)"] = [
        _ci(m, lo, hi) for m, lo, hi in zip(t["mean"], t["ci_low"], t["ci_high"], strict=True)
    ]
    t[f"diff to {ref}"] = [
        _ci(m, lo, hi) if s != ref else "reference"
        for s, m, lo, hi in zip(
            t["scenario"], t["diff"], t["diff_ci_low"], t["diff_ci_high"], strict=True
        )
    ]
    t["relative"] = [
        _ci(100 * m, 100 * lo, 100 * hi, "%") if s != ref else ""
        for s, m, lo, hi in zip(
            t["scenario"], t["rel_diff"], t["rel_ci_low"], t["rel_ci_high"], strict=True
        )
    ]
    _print_table(
        t[["output", "unit", "scenario", "mean (95% CI)", f"diff to {ref}", "relative", "n"]]
    )
    status = SweepStore.open(out).status()
    if status["failed"]:
        print(f"note: {status['failed']} runs failed, see {out}/failures/")
    for f in result.files:
        print(f"wrote {f}")
    return 0


def _in_compare_terms(msg: str) -> str:
    """A message of the sweep a comparison runs, in the terms of ``gigawatt compare``: its
    ``--outputs`` (each is kept as a final value and a series, so the series' line, which
    repeats the final's, is left out) rather than the spec's keys."""
    lines = []
    for line in msg.replace("gigawatt sweep SPEC.toml", "gigawatt compare ...").splitlines():
        line = line.removeprefix("compare: ")
        if line.startswith("outputs.series["):
            continue
        line = re.sub(r"^outputs\.final\[\d+\] = ", "--outputs ", line)
        lines.append(line.replace("in the sweep spec's outputs", "in --outputs"))
    return "\n".join(lines)


def _compare_input_error(args: argparse.Namespace) -> str | None:
    """What is wrong with ``compare``'s numbers, a scenario its ``--months`` does not fit
    from its start (a run past the calendar's last month), or a ``--set`` (not PATH=VALUE,
    ``months``, or one a scenario cannot take), naming the flag; None if nothing is."""
    from agents.scenario import ScenarioError
    from experiments.runner import MAX_MONTHS
    from experiments.scenarios import HorizonError, load_scenario

    if not 1 <= args.replicates <= MAX_REPLICATES:
        return (
            f"--replicates {args.replicates}: give a whole number in 1..{MAX_REPLICATES} "
            "(e.g. --replicates 8)"
        )
    if not 1 <= args.months <= MAX_MONTHS:
        return (
            f"--months {args.months}: must be a whole number in 1..{MAX_MONTHS} (e.g. --months 120)"
        )
    if not 0 <= args.seed <= MAX_SEED:
        return f"--seed {args.seed}: a seed must be a whole number in 0..{MAX_SEED} (e.g. --seed 0)"
    try:
        parse_sets(args.overrides, args.months, "comparison")
    except SetError as exc:
        return str(exc)
    for name in args.scenarios:
        try:  # loaded for --months: the file's own months need not fit the calendar
            scn = load_scenario(name, months=args.months)
        except HorizonError as exc:
            return f"--months {args.months}: scenario {name!r}: {exc.why}"
        except ScenarioError as exc:  # named as given on the command line
            return str(exc)
        except OSError as exc:
            return f"scenario {name!r}: cannot read it ({exc.strerror or exc})"
        try:
            apply_sets(scn, args.overrides, name)
        except SetError as exc:
            return str(exc)
    return None


def compare_folder(
    scenarios: list[str],
    replicates: int,
    months: int,
    seed: int,
    outputs: list[str] | None,
    overrides: dict[str, Any] | None = None,
) -> Path:
    """The default folder of a comparison: one per spec, so that another comparison is never
    refused as "a sweep of a different spec" and the same one resumes.

    ``sweeps-out/compare-<scenarios>-r<replicates>-m<months>-s<seed>[-<outputs>][-set]``,
    the scenarios by name (a file by its stem), the outputs by column and ``-set`` if
    ``overrides`` (``--set``) change the scenarios. When that name leaves something out (a
    file's folder, an output's table, the overrides) or is too long and cut, a short stable
    hash of the full settings ends it, e.g. ``compare-baseline-late-r2-m6-s0-3f1c9a2e``.
    """
    names = "-".join(Path(s).stem for s in scenarios)
    runs = f"-r{replicates}-m{months}-s{seed}"
    tag = "" if outputs is None else "-" + "-".join(o.rpartition(".")[2] for o in outputs)
    tag += "-set" if overrides else ""
    name = f"compare-{names}{runs}{tag}"
    plain = all(Path(s).stem == s for s in scenarios) and all("." not in o for o in outputs or [])
    if plain and not overrides and len(name) <= MAX_LEN and slug(name) == name:
        return Path("sweeps-out") / name
    settings = json.dumps([list(scenarios), replicates, months, seed, outputs])
    if overrides:  # (a comparison without them keeps the hash it had before they existed)
        settings = json.dumps(
            [list(scenarios), replicates, months, seed, outputs, overrides],
            sort_keys=True,
            default=str,
        )
    digest = hashlib.sha256(settings.encode()).hexdigest()[:8]
    room = MAX_LEN - len(digest) - 1  # the names are cut first, then the outputs
    short = f"compare-{names[: max(16, room - len('compare-') - len(runs))]}{runs}{tag}"
    return Path("sweeps-out") / f"{slug(short)[:room].rstrip('-.')}-{digest}"


def _ci(m: float, lo: float, hi: float, unit: str = "") -> str:
    """``"1.23 [1.1, 1.4]"``; NaN parts shown as ``n/a``."""
    import math

    def f(x: float) -> str:
        if not math.isfinite(x):
            return "n/a"
        return f"{x:,.0f}{unit}" if 1e3 <= abs(x) < 1e15 else f"{x:.3g}{unit}"

    if not math.isfinite(m):
        return "n/a"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f(m)
    return f"{f(m)} [{f(lo)}, {f(hi)}]"
