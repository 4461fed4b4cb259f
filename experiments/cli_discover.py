"""``gigawatt discover``: which inputs of a finished sweep produce an outcome (PRIM).

gigawatt discover SWEEP_DIR --where "labs_active < 5" [--boxes 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from experiments.paths import cannot_write

__all__ = ["format_result", "register"]


def register(subparsers: Any) -> None:
    """Add the ``discover`` subcommand."""
    d = subparsers.add_parser(
        "discover",
        help="find the input ranges of a finished sweep where a condition holds (PRIM)",
        description=(
            "Scenario discovery on a finished sweep: every run is a case, labelled by "
            "whether the condition holds; PRIM finds boxes of input values where it mostly "
            "does. Prints each box with its coverage (share of the matching runs inside it) "
            "and density (share of the runs inside it that match), writes CSV tables and "
            "the peeling trajectory as a PNG (default into SWEEP_DIR/analysis)."
        ),
    )
    d.add_argument("dir", metavar="SWEEP_DIR", help="a sweep folder (the --out of gigawatt sweep)")
    d.add_argument(
        "--where",
        required=True,
        metavar="CONDITION",
        help='one comparison of a final output with a number, e.g. "labs_active < 5" '
        "(operators < <= > >= == !=)",
    )
    d.add_argument("--boxes", type=int, default=3, help="at most this many boxes (default 3)")
    d.add_argument(
        "--min-coverage",
        type=float,
        default=0.6,
        help="report the densest box that still holds this share of the matching runs, "
        "greater than 0 and at most 1 (default 0.6)",
    )
    d.add_argument("--out", default=None, help="where to write (default: SWEEP_DIR/analysis)")
    d.set_defaults(func=_discover)


def format_result(result: Any) -> str:
    """The boxes as plain text: statistics, then each restricted input's range."""
    lines = [
        f"where {result.condition}: {result.of_interest} of {result.cases} runs "
        f"({result.of_interest / result.cases:.0%})"
    ]
    lines += [f"note: {n}" for n in result.notes]
    if result.stats.empty:
        lines.append("no box found: the condition does not concentrate in any input range")
    for stat in result.stats.itertuples():
        lines.append(
            f"box {stat.box}: coverage {stat.coverage:.2f}, density {stat.density:.2f}, "
            f"{stat.n} runs ({stat.mass:.0%} of all)"
        )
        for r in result.boxes[result.boxes["box"] == stat.box].itertuples():
            values = getattr(r, "values", None)
            if isinstance(values, str):
                lines.append(f"    {r.input} in {{{values}}}")
            else:
                lines.append(
                    f"    {r.min:g} <= {r.input} <= {r.max:g}"
                    f"   (swept {r.range_min:g} to {r.range_max:g})"
                )
    return "\n".join(lines)


def _discover(args: argparse.Namespace) -> int:
    from experiments.sweeps import SweepStore, SweepStoreError
    from experiments.sweeps.discover import DiscoveryError, discover

    if args.boxes < 1:
        print(f"gigawatt discover: --boxes {args.boxes}: give at least 1", file=sys.stderr)
        return 2
    if not 0 < args.min_coverage <= 1:  # (NaN fails too) a share of the matching runs
        print(
            f"gigawatt discover: --min-coverage {args.min_coverage:g}: a share of the matching "
            "runs, greater than 0 and at most 1 (e.g. --min-coverage 0.6)",
            file=sys.stderr,
        )
        return 2
    try:
        result = discover(
            args.dir, args.where, out_dir=args.out, max_boxes=args.boxes,
            min_coverage=args.min_coverage,
        )  # fmt: skip
    except (DiscoveryError, SweepStoreError) as exc:
        print(f"gigawatt discover: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the output folder cannot be written (a read-only sweep)
        said = cannot_write(
            args.out or SweepStore(args.dir).analysis_dir, exc, default=not args.out
        )
        print(f"gigawatt discover: {said}", file=sys.stderr)
        return 2
    print(format_result(result))
    for f in result.files:
        print(f"wrote {f}")
    return 0
