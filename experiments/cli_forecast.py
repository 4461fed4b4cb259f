"""``gigawatt forecast``: a calibration's posterior draws run forward, with bands.

gigawatt forecast [SCENARIO ...] --posterior DIR [DIR ...] --out DIR [--draws N] [--until YYYY-MM]
    [--workers W | --dask ADDRESS] [--seed S]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from experiments.paths import cannot_write

__all__ = ["register"]

FORECAST_HELP = """\
Draw parameter vectors from a calibration's posterior (in proportion to their weights),
run each scenario once per draw and summarise every model-frame metric month by month as
quantiles over the draws (5, 25, 50, 75 and 95%). Several scenarios are paired: draw i
uses the same parameters and the same seed in every scenario, and the differences from
the first scenario are summarised per draw. A scenario with a deal is also run without it
(same draw and seed): the investor's revenue the deal adds gets its own band. A posterior
applies to the scenario it was fitted on (posterior.json names it) and to scenarios built
on it through `extends`; any other scenario is refused.

Several --posterior folders (fits of one scenario with different calibration seeds) are
pooled: each fit's particles count for an equal share, which averages out part of the
sampling error a single fit carries (the first fit's seed is the default --seed).

Writes into --out: quantiles.csv/.parquet (every metric's bands), draws.csv (each
draw's seed and parameters), summary.txt (each scenario's key metrics at its last month:
median, the median's 95% interval over draws and the 90% band, with units; the revenue a
deal adds; the differences) and fan.png; with two or more scenarios also
differences.csv/.parquet and differences.png (each scenario less the first, per draw).
The runs are saved as they finish, so an interrupted forecast resumes when the same
command is run again.

examples:
  gigawatt forecast --posterior calib-out --out fc --draws 100
  gigawatt forecast --posterior c0 c1 c2 --out fc-pooled --draws 300   # three fits pooled
  gigawatt forecast history-2023 history-2023-deal --posterior calib-out --out fc-deal \\
      --draws 50 --until 2035-12 --workers 2
"""


def register(subparsers: Any) -> None:
    """Add the ``forecast`` subcommand."""
    p = subparsers.add_parser(
        "forecast",
        help="run a posterior's draws forward: bands per month, paired scenario differences",
        description=FORECAST_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="scenario names or TOML files, each the posterior's scenario or one that extends "
        "it (default: the posterior's scenario); the first is the reference of the differences",
    )
    p.add_argument(
        "--posterior",
        required=True,
        nargs="+",
        metavar="DIR",
        help="a posterior folder, or several fits of one scenario to pool",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="the forecast folder")
    p.add_argument(
        "--draws", type=int, default=100, metavar="N", help="posterior draws (default 100)"
    )
    p.add_argument(
        "--until",
        default=None,
        metavar="YYYY-MM",
        help="last month, e.g. 2035-12 (default: each scenario's own horizon)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="S",
        help="root seed of the draws and of the model seeds (default: the posterior's)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="W",
        help="worker processes (default: one per core; 1 runs everything in this process)",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="run on a Dask cluster: a scheduler address such as tcp://host:8786, or 'local'",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-check", action="store_true", help="skip the model's invariant checks")
    p.set_defaults(func=_forecast)


def _fail(message: object) -> int:
    text = "; ".join(line.strip() for line in str(message).splitlines() if line.strip())
    print(f"gigawatt forecast: {text}", file=sys.stderr)
    return 2


def _forecast(args: argparse.Namespace) -> int:
    from experiments.forecasting import ForecastError, forecast
    from experiments.sweeps import SweepSpecError, SweepStoreError

    if args.workers is not None and args.workers < 1:
        return _fail(f"--workers {args.workers}: give at least 1 (1 runs in-process)")
    if args.dask not in (None, "local") and args.workers is not None:
        return _fail("--workers goes with local runs or --dask local; a scheduler has its own")
    from experiments.scenarios import list_scenarios

    for folder in args.posterior[1:]:  # --posterior takes several folders: a scenario after
        if not Path(folder).is_dir() and (folder in list_scenarios() or folder.endswith(".toml")):
            return _fail(
                f"--posterior {folder}: a scenario, not a posterior folder; name the "
                "scenarios before --posterior (gigawatt forecast SCENARIO ... --posterior DIR)"
            )
    try:
        result = forecast(
            args.posterior,
            list(args.scenarios) or None,
            out=args.out,
            draws=args.draws,
            until=args.until,
            seed=args.seed,
            workers=args.workers,
            dask=args.dask,
            check=not args.no_check,
            progress=not args.no_progress,
        )
    except (ForecastError, SweepSpecError, SweepStoreError) as exc:
        return _fail(exc)
    except OSError as exc:
        return _fail(cannot_write(args.out, exc))
    for line in result.summary:
        print(line)
    for name, n in result.failed.items():
        if n:
            print(f"note: {n} runs of {name} failed and are left out; see {args.out}/runs/")
    if result.ran:
        rate = result.ran / result.seconds if result.seconds > 0 else float("nan")
        print(
            f"{result.ran} jobs ({result.model_runs} model runs) in {result.seconds:.1f} s "
            f"({rate:.2f} jobs/s)"
        )
    for f in result.files:
        print(f"wrote {f}")
    return 1 if any(result.failed.values()) else 0
