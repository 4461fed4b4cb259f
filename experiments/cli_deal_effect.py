"""``gigawatt compare SCENARIO --deal-effect``: the revenue a deal adds, from paired runs.

gigawatt compare amazon-anthropic-2026 --deal-effect --replicates 2 --months 120 --seed 7

Each scenario is run with its deal and without it on the same seed (replicate ``r`` uses
seed ``--seed + r``) by :func:`experiments.deal_effect.incremental_revenue`; the monthly
rows go to ``DIR/deal-effect.csv`` and the last month of each run is printed, with what the
deal does to the market that month (``hhi_change``: AI-compute HHI with the deal less
without; ``spot_price_change``: the spot compute price with it over without, less 1). The option
is added to the ``compare`` parser by :func:`add_deal_effect`.

``--set PATH=VALUE`` (:mod:`experiments.cli_set`) changes each scenario in both runs of
every pair; one a scenario cannot take, or ``--set months=``, is refused before any run.

``DIR/deal-effect.json`` records what was compared (scenarios with a digest of each,
replicates, months, seed, and the ``--set`` changes if any). The rows are written once
every pair has run; the same comparison run again runs them again and writes the same
rows. A different one into a folder that holds one, or into a folder that holds other
files, is refused before it runs, unless ``--new`` moves the earlier folder aside
(:func:`experiments.paths.set_aside`), as a sweep's folder is kept: nothing a user ran is
overwritten. ``--outputs``, ``--workers``, ``--dask`` and ``--no-check`` belong to a
comparison of scenarios and are refused here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from experiments.cli_set import SetError, apply_sets, parse_sets
from experiments.paths import cannot_write, probe_writable, set_aside

__all__ = ["CSV_FILE", "SETTINGS_FILE", "OutFolderError", "add_deal_effect", "run_deal_effect"]


class OutFolderError(ValueError):
    """An ``--out`` folder that holds another comparison or cannot be written."""


CSV_FILE = "deal-effect.csv"
"""The monthly rows of every paired run."""
SETTINGS_FILE = "deal-effect.json"
"""What the rows compare: scenarios (with digests), replicates, months, seed, overrides."""


def add_deal_effect(parser: argparse.ArgumentParser) -> None:
    """Add ``--deal-effect`` to the ``compare`` parser, keeping its own command otherwise."""
    parser.add_argument(
        "--deal-effect",
        action="store_true",
        help="for each scenario, pair a run with its deal and one without it (same seed) "
        "and report the investor's revenue from the lab the deal adds",
    )
    plain: Callable[[argparse.Namespace], int] = parser.get_default("func")

    def dispatch(args: argparse.Namespace) -> int:
        return run_deal_effect(args) if args.deal_effect else plain(args)

    parser.set_defaults(func=dispatch)


def _write(out: Path, table: Any, settings: dict[str, Any]) -> None:
    """The rows, then what they compare (rows without settings are never taken as ours)."""
    from experiments.paths import atomic_write_bytes

    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / CSV_FILE, table.to_csv(index=False).encode())
    atomic_write_bytes(out / SETTINGS_FILE, (json.dumps(settings, indent=2) + "\n").encode())


def _settings(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a comparison is, and each scenario as it is run (loaded for ``--months``, with
    the ``--set`` changes), by name as given.

    What it is: each scenario as given and a digest of it as loaded (a file edited since is
    another scenario), replicates, months, the root seed and, if any, the ``--set`` changes
    (``overrides``, absent without them, as before they existed). A file whose own
    ``months`` does not fit the calendar from its start is digested as loaded for
    ``--months``, the length it is run for.

    Raises
    ------
    ScenarioError
        If a scenario cannot be loaded, or ``--months`` passes the calendar from its start
        (naming ``--months``).
    SetError
        If a ``--set`` is not PATH=VALUE, sets ``months``, or a scenario cannot take it.
    """
    from agents.scenario import ScenarioError
    from experiments.scenarios import HorizonError, load_scenario, scenario_digest

    changes = parse_sets(args.overrides, args.months, "comparison")
    digests, runs = [], {}
    for name in args.scenarios:
        try:  # as it is run: its own months need not fit the calendar, --months must
            run = load_scenario(name, months=args.months)
        except HorizonError as exc:
            raise ScenarioError(f"--months {args.months}: scenario {name!r}: {exc.why}") from None
        runs[name] = apply_sets(run, args.overrides, name) if changes else run
        try:  # as loaded: the digest an earlier comparison of it recorded
            scn = load_scenario(name)
        except ScenarioError:  # its own months do not fit the calendar
            scn = run
        digests.append([name, scenario_digest(scn)])
    settings = {
        "scenarios": digests,
        "replicates": args.replicates,
        "months": args.months,
        "seed": args.seed,
    }
    if changes:  # as JSON holds them, so that a re-read file compares equal
        settings["overrides"] = json.loads(json.dumps(changes, default=str))
    return settings, runs


def _check_writable(out: Path) -> None:
    """:func:`experiments.paths.probe_writable` on ``out``, so that a folder that cannot take
    the rows is refused before the runs, not after them.

    Raises
    ------
    OutFolderError
        If it cannot (read-only, a file in the way, no space), naming why and the fix.
    """
    try:
        probe_writable(out)
    except OSError as exc:
        raise OutFolderError(cannot_write(out, exc)) from None


def _prepare(out: Path, settings: dict[str, Any], new: bool) -> str | None:
    """Make ``out`` ready for this comparison; a line to print, if any.

    Raises
    ------
    OutFolderError
        If ``out`` holds another comparison (or rows of unknown settings) and not ``new``, or
        cannot be written.
    """
    ours = (out / CSV_FILE).exists() or (out / SETTINGS_FILE).exists()
    if not ours and not new and out.is_dir() and any(out.iterdir()):
        raise OutFolderError(
            f"--out {out} holds other files, not a deal-effect comparison (a sweep's or a "
            "comparison's folder?); give another --out, or add --new to move it to "
            f"{out.name}.old-<time> (nothing is deleted)"
        )
    if not ours and not new:
        _check_writable(out)
        return None
    if new and not (out.is_dir() and any(out.iterdir())):
        _check_writable(out)  # nothing there to move aside
        return None
    if new:
        moved = f"moved the earlier comparison in {out} to {set_aside(out)} (nothing is deleted)"
        _check_writable(out)
        return moved
    try:
        old = json.loads((out / SETTINGS_FILE).read_text())
    except (OSError, ValueError):
        old = None
    if old == settings:
        return None  # the same comparison: the same rows, written again
    changed = (
        "; ".join(k for k in dict.fromkeys([*settings, *old]) if old.get(k) != settings.get(k))
        if isinstance(old, dict)
        else f"no readable {SETTINGS_FILE}"
    )
    raise OutFolderError(
        f"--out {out} holds an earlier deal-effect comparison (different: {changed}). Add "
        f"--new to move it to {out.name}.old-<time> (nothing is deleted), or give another --out"
    )


def run_deal_effect(args: argparse.Namespace) -> int:
    """Run the paired comparison for each scenario in ``args``; exit status 2 on bad input."""
    import pandas as pd

    from agents.scenario import MAX_MONTHS, ScenarioError
    from experiments.deal_effect import DealEffectError, incremental_revenue

    unused = [
        flag
        for flag, given in (
            ("--outputs", args.outputs is not None),
            ("--workers", args.workers is not None),
            ("--dask", args.dask is not None),
            ("--no-check", args.no_check),
        )
        if given
    ]
    if unused:
        print(
            f"gigawatt compare: {', '.join(unused)} {'goes' if len(unused) == 1 else 'go'} "
            "with a comparison of scenarios, not with --deal-effect, which runs its pairs in "
            "this process, checks every month, and reports the deal's revenue, HHI and price; "
            f"drop {'it' if len(unused) == 1 else 'them'}",
            file=sys.stderr,
        )
        return 2
    if args.replicates < 1 or not 1 <= args.months <= MAX_MONTHS:
        print(
            f"gigawatt compare: --replicates {args.replicates} / --months {args.months}: "
            f"give at least 1 replicate and 1-{MAX_MONTHS} months",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out) if args.out else Path("sweeps-out") / "deal-effect"
    frames = []
    try:
        settings, runs = _settings(args)
        note = _prepare(out, settings, args.new)
        if note:
            print(note, file=sys.stderr)
        for name in args.scenarios:
            for r in range(args.replicates):
                e = incremental_revenue(runs[name], args.months, rng=args.seed + r)
                e.insert(0, "seed", args.seed + r)
                e.insert(0, "scenario", name)  # as given: two files may share a stem
                frames.append(e)
    except (ScenarioError, SetError, DealEffectError, OutFolderError) as exc:
        print(f"gigawatt compare: {exc}", file=sys.stderr)
        return 2
    table = pd.concat(frames, ignore_index=True)
    try:
        _write(out, table, settings)
    except OSError as exc:  # the folder took a probe file; now full, or taken away
        print(
            f"gigawatt compare: --out {out}: cannot write the rows ({exc.strerror or exc}); "
            "free space or choose another --out, and run the same command again",
            file=sys.stderr,
        )
        return 2
    last = table[table["month"] == table["month"].max()].copy()
    # what the deal does to the market, beside what it adds to the investor
    last["hhi_change"] = last["ai_compute_hhi_with"] - last["ai_compute_hhi_without"]
    last["spot_price_change"] = (
        last["compute_spot_price_with"] / last["compute_spot_price_without"] - 1.0
    )
    cols = [
        "scenario",
        "seed",
        "month",
        "incremental_revenue_usd",
        "incremental_revenue_cum_usd",
        "share_with",
        "share_without",
        "invested_usd",
        "incremental_to_investment",
        "hhi_change",
        "spot_price_change",
    ]
    with pd.option_context("display.width", 200, "display.float_format", "{:.4g}".format):
        print(last[cols].to_string(index=False))
    print(f"wrote {out / CSV_FILE}")
    return 0
