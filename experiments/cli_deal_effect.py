"""``gigawatt compare SCENARIO --deal-effect``: the revenue a deal adds, from paired runs.

gigawatt compare amazon-anthropic-2026 --deal-effect --replicates 2 --months 120 --seed 7

Each scenario is run with its deal and without it on the same seed (replicate ``r`` uses
seed ``--seed + r``) by :func:`experiments.deal_effect.incremental_revenue`; the monthly
rows go to ``DIR/deal-effect.csv`` and the last month of each run is printed. The option
is added to the ``compare`` parser by :func:`add_deal_effect`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["add_deal_effect", "run_deal_effect"]


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


def _write_csv(frame: Any, path: Path) -> None:
    from experiments.sweeps.shards import atomic_write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, frame.to_csv(index=False).encode())


def run_deal_effect(args: argparse.Namespace) -> int:
    """Run the paired comparison for each scenario in ``args``; exit status 2 on bad input."""
    import pandas as pd

    from agents.scenario import ScenarioError
    from experiments.deal_effect import DealEffectError, incremental_revenue

    if args.replicates < 1 or not 1 <= args.months <= 600:
        print(
            f"gigawatt compare: --replicates {args.replicates} / --months {args.months}: "
            "give at least 1 replicate and 1-600 months",
            file=sys.stderr,
        )
        return 2
    frames = []
    try:
        for name in args.scenarios:
            for r in range(args.replicates):
                e = incremental_revenue(name, args.months, rng=args.seed + r)
                e.insert(0, "seed", args.seed + r)
                e.insert(0, "scenario", Path(name).stem)
                frames.append(e)
    except (ScenarioError, DealEffectError) as exc:
        print(f"gigawatt compare: {exc}", file=sys.stderr)
        return 2
    table = pd.concat(frames, ignore_index=True)
    out = Path(args.out) if args.out else Path("sweeps-out") / "deal-effect"
    _write_csv(table, out / "deal-effect.csv")
    last = table[table["month"] == table["month"].max()]
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
    ]
    with pd.option_context("display.width", 160, "display.float_format", "{:.4g}".format):
        print(last[cols].to_string(index=False))
    print(f"wrote {out / 'deal-effect.csv'}")
    return 0
