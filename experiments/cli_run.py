"""``gigawatt run [SCENARIO or file.toml] [--months N] [--seed S] [--out DIR]``.

Runs one scenario with a progress bar, writes the monthly frame and every table as
Parquet, the report figures as PNG and the scenario as JSON into a fresh folder (built
in a temporary folder, then renamed: a run folder is complete or absent), and prints a
summary table. With no arguments it runs ``baseline`` into ``runs/<scenario>-<time>``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from agents.scenario import ScenarioError
from experiments.report import write_report
from experiments.runner import RunResult, run_scenario
from experiments.scenarios import load_scenario

__all__ = ["handler", "register", "summary_table", "write_run"]

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
    ("lockin_index", "lock-in index", "{:.3f}"),
    ("flop_per_joule", "fleet FLOP per joule", "{:.3g}"),
    ("labs_active", "labs active", "{:.0f}"),
)


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
        default="baseline",
        help="shipped scenario name or path to a .toml file (default: baseline)",
    )
    p.add_argument(
        "--months", type=int, default=None, help="months to simulate (default: the scenario's)"
    )
    p.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: a fresh one under runs/)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=handler)


def summary_table(res: RunResult) -> str:
    """First and last month of the key metrics, plus each deal's final state."""
    f = res.model_frame
    first, last = f.iloc[0], f.iloc[-1]
    lines = [f"{'metric':34s} {first['date']:>12s} {last['date']:>12s}"]
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
                f"deal {d['investor']}->{d['lab']}: {d['status']}; invested ${d['invested_usd'] / 1e9:.1f}B, "
                f"paid under its contract ${d['contract_payments_usd'] / 1e9:.1f}B ("
                + (f"{pt:.2f}" if pd.notna(pt) else "-")
                + f"x), all spend at the investor ${d['cloud_revenue_usd'] / 1e9:.1f}B ("
                + (f"{rt:.2f}" if pd.notna(rt) else "-")
                + "x)"
            )
    return "\n".join(lines)


def write_run(res: RunResult, out: Path) -> Path:
    """Write ``res`` into the new folder ``out`` atomically (temp folder, then rename)."""
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
        (tmp / "scenario.json").write_text(res.scenario.model_dump_json(indent=2))
        (tmp / "summary.txt").write_text(summary_table(res) + "\n")
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _fresh(name: str, seed: int) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{name}-{stamp}-s{seed}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def handler(args: argparse.Namespace) -> int:
    """Run the scenario; exit code 0 on success, 2 on a bad scenario or output folder."""
    try:
        scn = load_scenario(args.scenario)
        months = scn.months if args.months is None else args.months
        out = args.out if args.out is not None else _fresh(scn.name, args.seed)
        if out.exists() and any(out.iterdir()):
            raise FileExistsError(
                f"--out {out}: folder exists and is not empty; choose a new folder"
            )
        with tqdm(
            total=months,
            desc=f"{scn.name} (seed {args.seed})",
            unit="month",
            disable=args.quiet,
            file=sys.stderr,
        ) as bar:
            res = run_scenario(scn, months=months, rng=args.seed, progress=lambda _t: bar.update(1))
        path = write_run(res, out)
    except (ScenarioError, FileExistsError) as exc:
        print(f"gigawatt run: error: {exc}", file=sys.stderr)
        return 2
    print(summary_table(res))
    print(f"\nwrote {path}/ (model_frame.parquet, {len(res.tables)} tables, report/*.png)")
    return 0
