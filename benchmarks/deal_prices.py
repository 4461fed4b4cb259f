"""What Amazon's 2026 Anthropic deal does to the compute price, under each conduct of clouds.

Reproduces the README's figures of "Prices answer concentration only through conduct". For
each conduct of :data:`CONDUCTS` (``cloud_conduct``: 0 price-taking, as shipped; 1
Cournot) it runs ``no-deal`` and ``amazon-anthropic-2026`` for 120 months on each seed and
prints, as means over 2035 and over seeds:

- the AI-compute HHI without the deal and the deal's change of it;
- the spot compute price without the deal and the deal's change of it, in percent;
- the change in the clouds' mean offer the Cowling-Waterson relation implies for that HHI
  change: the share-weighted Lerner index is ``conduct x HHI / elasticity``, so the mean
  offer over a price-taker's moves by ``dL / (1 - L)``
  (:mod:`market.conduct`), 0 for price-taking clouds;
- the spot price's change across seeds (lowest, highest).

Usage::

    .venv/bin/python -m benchmarks.deal_prices [--seeds 8] [--workers 2] [--quick]

``--quick`` runs 2 seeds. Not a test: with the defaults it makes 48 runs, under a
minute on a 2-core machine.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import NamedTuple

import numpy as np

from benchmarks.options import parse_seeds_and_workers, parser
from experiments import load_scenario, run_scenario
from market.metrics import HHI_MAX

__all__ = ["CASES", "CONDUCTS", "Year", "main", "year_2035"]

CONDUCTS = (0.0, 0.5, 1.0)
"""The clouds' conducts compared: price-taking (as shipped), half-way, Cournot."""

CASES = ("no-deal", "amazon-anthropic-2026")
"""The shipped scenarios without and with the deal."""


class Year(NamedTuple):
    """Means over 2035 of a 120-month run."""

    hhi: float
    """AI-compute HHI."""
    price: float
    """Spot compute price, $/H100e-hour."""
    elasticity: float
    """The scenario's demand elasticity (``demand.price_elasticity``)."""


def year_2035(case: str, conduct: float, seed: int) -> Year:
    """:class:`Year` of ``case`` at ``conduct`` on ``seed``."""
    scenario = load_scenario(case).with_overrides({"cloud_conduct": conduct})
    frame = run_scenario(scenario, months=120, rng=seed).model_frame
    last = frame[frame["date"].dt.year == 2035]
    return Year(
        float(last["ai_compute_hhi"].mean()),
        float(last["compute_spot_price"].mean()),
        scenario.demand.price_elasticity,
    )


def _one(job: tuple[str, float, int]) -> tuple[str, float, int, Year]:
    return (*job, year_2035(*job))


def implied_offer_change(conduct: float, hhi: float, delta: float, elasticity: float) -> float:
    """Change of the mean offer, a fraction, when the HHI moves from ``hhi`` by ``delta``.

    With ``L = conduct x HHI / elasticity`` (HHI as a fraction) the mean offer is a
    price-taker's over ``1 - L``; to first order it moves by ``dL / (1 - L)``.

    >>> round(implied_offer_change(1.0, 1800.0, 180.0, 1.3), 4)
    0.0161
    """
    level = conduct * hhi / HHI_MAX / elasticity
    return conduct * delta / HHI_MAX / elasticity / (1.0 - level)


def main(argv: list[str] | None = None) -> int:
    """Run the cells and print the table."""
    args = parse_seeds_and_workers(
        parser("python -m benchmarks.deal_prices", __doc__), argv, seeds=8, quick_seeds=2
    )
    jobs = [(c, k, s) for k in CONDUCTS for c in CASES for s in range(args.seeds)]
    with ProcessPoolExecutor(args.workers) as pool:
        results = {(c, k, s): y for c, k, s, y in pool.map(_one, jobs)}
    print(f"Amazon's Anthropic deal, means over 2035 and seeds 0-{args.seeds - 1}")
    print(
        f"{'conduct':>7s} {'HHI':>6s} {'dHHI':>5s} {'price':>6s} {'dprice':>7s} "
        f"{'implied':>7s}  dprice by seed"
    )
    for k in CONDUCTS:
        without = [results[(CASES[0], k, s)] for s in range(args.seeds)]
        with_ = [results[(CASES[1], k, s)] for s in range(args.seeds)]
        hhi = float(np.mean([y.hhi for y in without]))
        delta = float(np.mean([b.hhi - a.hhi for a, b in zip(without, with_, strict=True)]))
        price = float(np.mean([y.price for y in without]))
        rel = [b.price / a.price - 1.0 for a, b in zip(without, with_, strict=True)]
        implied = implied_offer_change(k, hhi, delta, without[0].elasticity)
        print(
            f"{k:7.1f} {hhi:6,.0f} {delta:+5.0f} {price:6.3f} {np.mean(rel):+7.2%} "
            f"{implied:+7.2%}  {min(rel):+.2%} to {max(rel):+.2%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
