"""``gigawatt calibrate``: Bayesian calibration of a scenario to 2023-2025 history.

gigawatt calibrate [SCENARIO] --out DIR [--targets FILE] [--priors FILE] [--particles N]
    [--generations G] [--workers N | --dask ADDRESS] [--seed S] [--new] [--no-progress]
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register"]

HELP = """\
Calibrate the estimated parameters of a scenario (default history-2023) to the 2023-2025
history by approximate Bayesian computation (ABC-SMC, pyabc): parameters are drawn from
the priors (experiments/calibration/priors.toml), the scenario is run through 2025, and
draws whose summary statistics (log levels and log growth of the targets in
experiments/calibration/targets.toml, each over its measurement uncertainty) come closest
to the reported ones survive, generation after generation.

Writes into DIR: posterior.csv and posterior.json (weighted draws by override path, for
`gigawatt forecast --posterior DIR`), summary.csv (median and 90% interval per parameter
beside its prior range), ppc.csv and ppc.png (each target against the model's 90%
predictive band), corner.png (the posterior's pairwise densities), generations.csv, and
pyabc's database abc.db.

An interrupted calibration loses at most the generation in progress: run the same command
again to resume from abc.db, or pass more --generations to refine a finished one. --new
moves an earlier calibration in DIR aside and starts over.

Reproducible: the same --seed gives the same posterior with any --workers, resumed or
not (each evaluation is seeded by its index). --dask uses pyabc's Dask sampler, whose
workers reseed from the operating system: its posteriors vary from run to run.

examples:
  gigawatt calibrate --out calib-out                        # history-2023, a process per core
  gigawatt calibrate --out calib-out --particles 40 --generations 2 --seed 1   # quick look
  gigawatt calibrate --out calib-out --generations 8        # refine: resumes, adds two
  gigawatt calibrate --out calib-out --dask tcp://scheduler:8786  # a cluster's scheduler
"""


def register(sub: Any) -> None:
    """Add ``calibrate`` to the ``gigawatt`` subcommands."""
    from experiments.calibration.smc import DEFAULT_GENERATIONS, DEFAULT_PARTICLES
    from experiments.sweeps.executors import default_workers

    p = sub.add_parser(
        "calibrate",
        help="calibrate a scenario to 2023-2025 history (ABC-SMC)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default="history-2023",
        help="scenario name or .toml (default: history-2023)",
    )
    p.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (resumed if it holds one)"
    )
    p.add_argument(
        "--targets", metavar="FILE", help="targets TOML (default: the shipped 2023-2025 targets)"
    )
    p.add_argument("--priors", metavar="FILE", help="priors TOML (default: the shipped priors)")
    p.add_argument("--particles", type=int, default=DEFAULT_PARTICLES, metavar="N",
                   help=f"particles per generation (default {DEFAULT_PARTICLES})")  # fmt: skip
    p.add_argument("--generations", type=int, default=DEFAULT_GENERATIONS, metavar="G",
                   help=f"generations (default {DEFAULT_GENERATIONS})")  # fmt: skip
    p.add_argument("--workers", type=int, default=default_workers(), metavar="N",
                   help="worker processes (default: one per core; the posterior does not "
                   "depend on it), or with --dask local that many Dask workers")  # fmt: skip
    p.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run on a Dask cluster: a scheduler address (tcp://host:8786) or 'local'")  # fmt: skip
    p.add_argument("--seed", type=int, default=0, metavar="S", help="root seed (default 0)")
    p.add_argument("--new", action="store_true", help="move an earlier calibration in DIR aside")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from agents.scenario import ScenarioError
    from experiments.calibration import CalibrationError, calibrate
    from experiments.sweeps.errors import SweepStoreError

    try:
        res = calibrate(
            args.scenario, args.out, targets=args.targets, priors=args.priors,
            particles=args.particles, generations=args.generations, workers=args.workers,
            dask=args.dask, seed=args.seed, new=args.new, progress=not args.no_progress,
        )  # fmt: skip
    except (CalibrationError, SweepStoreError, ScenarioError) as exc:
        print(f"gigawatt calibrate: {exc}", file=sys.stderr)
        return 2
    s = res.summary
    table = s[["parameter", "median", "q05", "q95", "prior_min", "prior_max"]].copy()
    table.columns = ["parameter", "median", "5%", "95%", "prior min", "prior max"]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    g = res.generations.iloc[-1]
    print(
        f"\n{int((res.generations['t'] >= 0).sum())} generations, "
        f"{int(res.generations['model_runs'].sum())} model "
        f"runs; last: epsilon {g['epsilon']:.3g}, acceptance {g['acceptance_rate']:.2f}"
    )
    inside = int(res.ppc["inside"].sum())
    print(
        f"posterior-predictive check: {inside} of {len(res.ppc)} targets "
        f"({res.ppc_share:.0%}) inside the model's 90% band; outside: "
        + (", ".join(res.ppc.loc[~res.ppc["inside"], "key"]) or "none")
    )
    print(f"written to {res.folder}/ (posterior.csv, summary.csv, ppc.png, corner.png, abc.db)")
    if not res.reproducible:
        print("note: the Dask sampler is not reproducible; without --dask it is", file=sys.stderr)
    return 0
