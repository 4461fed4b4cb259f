"""``gigawatt run``: run one scenario (a shipped name or a .toml file) and keep its results.

Runs the scenario with a progress bar, writes the monthly frame and every table as Parquet,
the report figures as PNG, the scenario as run as JSON (``scenario.json``, its ``months``
the months run) and the scenario's name, seed and months in ``run.json`` into a fresh
folder (built in a temporary folder, then renamed: a run folder is complete or absent), and
prints a summary table. ``--months`` is the run's length: a scenario file's own ``months``
need not fit the calendar from its ``start`` when ``--months`` does. With no arguments it
runs ``baseline`` into ``runs/<scenario>-<time>`` (the scenario name made file-name safe).
The model's invariants are checked every month unless ``--no-check``. ``--set PATH=VALUE``
(repeatable) changes one value of the scenario as a scenario file's ``[overrides]`` table
would, the value read as a TOML value (``0.5``, ``true``, ``"2026-06"``, ``[1, 2]``) and
anything TOML does not read (a bare word, ``2026-06``) as text (:mod:`experiments.cli_set`);
``--set months=N`` is the run's length, refused beside ``--months``. Bad input (a negative seed,
an ``--out`` that is a file, not empty or not writable, a ``--set`` without ``=`` or naming
no scenario value) exits 2 with one line naming the flag, before anything runs. ``gigawatt
list metrics`` explains every column of the frame and the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from agents.scenario import Scenario, ScenarioError
from experiments.cli_set import SetError, add_set, apply_sets, parse_sets
from experiments.paths import cannot_write, new_file_mode, probe_writable, rename_to_free, slug
from experiments.report import write_report
from experiments.runner import MAX_MONTHS, RunResult, run_scenario
from experiments.scenarios import DEFAULT_SCENARIO, DEFAULT_SEED, HorizonError, load_scenario

__all__ = [
    "RUN_FILE",
    "RunInputError",
    "check_out",
    "handler",
    "register",
    "summary_table",
    "write_run",
]

SUMMARY = (
    ("compute_spot_price", "compute spot price ($/H100e-h)", "{:.2f}"),
    ("power_price", "power price ($/MWh)", "{:.1f}"),
    ("chip_price", "chip price ($ per H100e)", "{:,.0f}"),
    ("capacity_gw_built", "capacity built (GW IT)", "{:.1f}"),
    ("capacity_gw_powered", "capacity powered (GW IT)", "{:.1f}"),
    ("utilisation", "utilisation", "{:.0%}"),
    ("throttled_share", "throttled share of inference", "{:.1%}"),
    ("cloud_hhi", "cloud HHI", "{:,.0f}"),
    ("ai_compute_hhi", "AI compute HHI", "{:,.0f}"),
    ("chip_hhi", "chip HHI", "{:,.0f}"),
    ("lockin_index", "lock-in index (years of spend)", "{:.3f}"),
    ("flop_per_joule", "fleet FLOP per joule", "{:.3g}"),
    ("labs_active", "labs active", "{:.0f}"),
)


RUN_FILE = "run.json"
"""A run folder's record of the run beside its ``scenario.json`` (the scenario as run): the
scenario's name and how the user gave it, the seed, the months run and the start. The run
is reproduced by running the scenario that ``scenario.json`` holds (``Scenario.from_dict``
of it) with that seed."""


def register(subparsers: Any) -> None:
    """Add the ``run`` subcommand."""
    p = subparsers.add_parser(
        "run",
        help="run one scenario and write tables, figures and a summary",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"shipped scenario name or path to a .toml file (default: {DEFAULT_SCENARIO})",
    )
    p.add_argument(
        "--months", type=int, default=None, help="months to simulate (default: the scenario's)"
    )
    p.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})"
    )
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: a fresh one under runs/)"
    )
    add_set(p, "the scenario run")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--no-check",
        action="store_true",
        help="skip the monthly invariant checks (faster; on by default)",
    )
    p.set_defaults(func=handler)


def summary_table(res: RunResult, source: str | None = None) -> str:
    """Which run it is, the first and last month of the key metrics, and each deal's final
    state. ``source`` is the scenario as the user gave it (a file's path), shown when it
    is not the scenario's name."""
    f = res.model_frame
    first, last = f.iloc[0], f.iloc[-1]
    when = [pd.Timestamp(r["date"]).strftime("%Y-%m") for r in (first, last)]
    seed = f"seed {res.seed}" if res.seed is not None else "a generator's numbers (no seed)"
    name = res.scenario.name
    given = f" ({source})" if source is not None and source != name else ""
    lines = [
        f"scenario {name}{given}, {seed}, {res.months} month{'s' if res.months != 1 else ''} "
        f"({when[0]} to {when[1]})",
        "",
        f"{'metric':34s} {when[0]:>12s} {when[1]:>12s}",
    ]
    for col, label, fmt in SUMMARY:
        a, b = first[col], last[col]
        sa = fmt.format(a) if pd.notna(a) else "-"
        sb = fmt.format(b) if pd.notna(b) else "-"
        lines.append(f"{label:34s} {sa:>12s} {sb:>12s}")
    deals = res.tables.get("deals")
    if deals is not None and len(deals):
        for _, d in deals.groupby("deal").tail(1).iterrows():
            rt, pt = d["round_trip_ratio"], d["payments_to_investment"]
            lines.append(
                f"deal {d['deal']} {d['investor']}->{d['lab']}: {d['status']}; "
                f"invested ${d['invested_usd'] / 1e9:.1f}B, "
                f"paid under its contract ${d['contract_payments_usd'] / 1e9:.1f}B ("
                + (f"{pt:.2f}" if pd.notna(pt) else "-")
                + f"x), all spend at the investor ${d['cloud_revenue_usd'] / 1e9:.1f}B ("
                + (f"{rt:.2f}" if pd.notna(rt) else "-")
                + "x)"
            )
    return "\n".join(lines)


def write_run(res: RunResult, out: Path, *, source: str | None = None) -> Path:
    """Write ``res`` into the new folder ``out`` atomically (temp folder, then rename); the
    folder gets the mode ``mkdir`` would have given it. Returns the folder written.

    If another process fills ``out`` while this run is written (two runs of one scenario
    and seed started in the same second share a default name), the run goes to the first
    free ``out-2``, ``out-3``... instead, the names :func:`_fresh` gives: one run never
    replaces another, and none is lost. So does a run whose empty ``out`` cannot be
    replaced (made immutable, or mounted on, while the run ran). ``source`` is the scenario
    as the user gave it (a shipped name or a file's path), recorded in ``run.json`` and the
    summary.
    """
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"--out {out}: folder exists and is not empty; choose a new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        res.model_frame.to_parquet(tmp / "model_frame.parquet", index=False)
        for name, table in res.tables.items():
            table.to_parquet(tmp / f"{name}.parquet", index=False)
        write_report(
            res.model_frame, res.tables, tmp / "report", scenario=res.scenario, seed=res.seed
        )
        (tmp / "scenario.json").write_text(_as_run(res).model_dump_json(indent=2))
        run = {
            "scenario": res.scenario.name,
            "given_as": source if source is not None else res.scenario.name,
            "seed": res.seed,
            "months": res.months,
            "start": res.scenario.start,
        }
        (tmp / RUN_FILE).write_text(json.dumps(run, indent=2) + "\n")
        (tmp / "summary.txt").write_text(summary_table(res, source) + "\n")
        tmp.chmod(new_file_mode(folder=True))  # mkdtemp made it 0700
        return rename_to_free(tmp, out, replace_empty=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _as_run(res: RunResult) -> Scenario:
    """The scenario as run: its ``months`` the months the run lasted."""
    if res.scenario.months == res.months:
        return res.scenario
    return res.scenario.with_overrides({"months": res.months})


class RunInputError(ValueError):
    """Bad input to ``gigawatt run``: a negative seed, or an ``--out`` that cannot take a run."""


def _fresh(name: str, seed: int) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{slug(name)}-{stamp}-s{seed}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def check_out(out: Path, *, default: bool = False) -> None:
    """Refuse an ``--out`` that cannot take a run, before the run starts.

    ``default`` marks the folder the command chose itself (no ``--out`` given): a message
    then names it as such (:func:`experiments.paths.cannot_write`).

    Raises
    ------
    RunInputError
        If ``out`` has a NUL byte, is a file, a symbolic link to nothing, a folder that is
        not empty, a mount point, or its parent cannot be created or written.
    """
    if "\x00" in str(out):
        raise RunInputError(f"--out {str(out)!r}: a path cannot contain a NUL byte")
    if out.is_symlink() and not out.exists():
        raise RunInputError(
            f"--out {out}: a symbolic link to {os.readlink(out)}, which does not exist; give "
            "the path of a folder"
        )
    if out.exists() and not out.is_dir():
        raise RunInputError(f"--out {out}: is a file; give a new folder path")
    if out.is_dir() and any(out.iterdir()):
        raise RunInputError(f"--out {out}: folder exists and is not empty; choose a new folder")
    if out.is_dir() and os.path.ismount(out):
        raise RunInputError(
            f"--out {out}: a mount point, which the run's folder cannot replace (it is "
            f"written beside it and renamed into place); give a folder inside it, e.g. "
            f"--out {out / 'run'}"
        )
    try:
        probe_writable(out.parent)
    except OSError as exc:
        raise RunInputError(cannot_write(out, exc, default=default)) from None


def handler(args: argparse.Namespace) -> int:
    """Run the scenario; exit code 0 on success, 2 on a bad scenario, seed or output folder."""
    out: Path | None = None
    try:
        if args.seed < 0:
            raise RunInputError(
                f"--seed {args.seed}: a seed must be a whole number >= 0 (e.g. --seed 7)"
            )
        if args.months is not None and not 1 <= args.months <= MAX_MONTHS:
            raise RunInputError(
                f"--months {args.months}: must be a whole number in 1..{MAX_MONTHS} "
                "(e.g. --months 120)"
            )
        changes = parse_sets(args.overrides, args.months)
        try:  # --months is the run's length: the file's own need not fit the calendar
            scn = load_scenario(args.scenario, months=args.months)
        except HorizonError as exc:
            raise RunInputError(f"--months {args.months}: {exc.why}") from None
        if changes:
            scn = apply_sets(scn, args.overrides, str(args.scenario))
        months = scn.months
        out = args.out if args.out is not None else _fresh(scn.name, args.seed)
        check_out(out, default=args.out is None)
        with tqdm(
            total=months,
            desc=f"{scn.name} (seed {args.seed})",
            unit="month",
            disable=args.quiet,
            file=sys.stderr,
        ) as bar:
            res = run_scenario(
                scn,
                months=months,
                rng=args.seed,
                check=not args.no_check,
                progress=lambda _t: bar.update(1),
            )
        path = write_run(res, out, source=str(args.scenario))
    except (ScenarioError, RunInputError, SetError, FileExistsError) as exc:
        print(f"gigawatt run: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"--out {out}: cannot write the run" if out is not None else "cannot read input"
        print(
            f"gigawatt run: error: {where} ({exc.strerror or exc}); "
            "choose a writable folder with free space",
            file=sys.stderr,
        )
        return 2
    print(summary_table(res, str(args.scenario)))
    if path != out:
        why = (
            "could not be replaced by the run's folder (a mount point or an immutable folder)"
            if out.is_dir() and not any(out.iterdir())
            else "was filled by another process while this run ran"
        )
        print(f"\n{out} {why}; the run is in {path}/ instead", file=sys.stderr)
    print(f"\nwrote {path}/ (model_frame.parquet, {len(res.tables)} tables, report/*.png)")
    return 0
