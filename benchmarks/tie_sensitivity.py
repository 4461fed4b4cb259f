"""How much a run depends on which of several optimal allocations the solver returns.

A month's book can have more than one welfare-maximising allocation with the same
prices. When two clouds each sell to two labs at equilibrium, the links between them
form a cycle whose reduced costs are all zero. Uncapped links let compute move around
that cycle without changing welfare or any price. Only the trade pattern (who buys from
whom) changes. Spatial price equilibrium models are known for this: prices are unique,
trade flows need not be (Samuelson, "Spatial price equilibrium and linear programming",
*American Economic Review* 42(3), 1952; Takayama and Judge, *Spatial and Temporal Price
and Allocation Models*, 1971). Which optimum the simplex method stops at is set
by HiGHS's pivoting. HiGHS's ``random_seed`` option changes only that choice
(:class:`market.warm.Clearer` takes it as ``highs_options``).

Three measurements:

1. **Lockstep.** Each seed is run twice side by side, phase by phase: HiGHS's default
   seed and another. At the first month whose fills differ, the script checks that the
   two books are equal, then prints the welfare and price differences and the book
   segments whose fills differ. Up to that month the runs are equal bit for bit, so
   these are two optima of one book.
2. **Distribution.** ``--seeds`` runs of ``baseline``, 120 months, under each HiGHS seed.
   For headline outputs at three dates it prints the spread across model seeds
   (coefficient of variation), how far one run moves when only HiGHS's seed changes
   (median and largest relative difference), and the shift of the mean with its paired
   standard error.
3. **A deal's effect.** ``--deal-seeds`` runs of ``amazon-anthropic-2026`` and of its
   no-deal twin on the same seed (as the forecast pairs them): the investor's cumulative
   revenue from the lab that the deal adds, after 24, 60 and 120 months, summarised the
   same way.

``--history`` instead compares the two rules on ``history-2023`` (36 months, its default
parameters, ``--deal-seeds`` seeds): each calibration target's model value under
``"solver"`` and ``"proportional"``, the mean over seeds and the relative change, which
is what switching the rule would move before a new calibration.

Usage::

    .venv/bin/python benchmarks/tie_sensitivity.py [--pattern solver|proportional]
        [--seeds 32] [--deal-seeds 16] [--lockstep 8] [--highs-seeds 1 2 3]
    .venv/bin/python benchmarks/tie_sensitivity.py --history [--deal-seeds 16]

``--pattern`` sets every run's ``trade_pattern`` (the scenario field); the default here is
``"solver"``, the rule whose dependence on the solver this measures (the shipped scenarios
use ``"proportional"``, which removes it). Not a test: with
the defaults it takes about a minute and a half on a 2-core machine.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from market.trade_pattern import PATTERNS

__all__ = [
    "OUTPUTS",
    "deal_effect_by_seed",
    "first_difference",
    "history_by_rule",
    "outputs_by_seed",
    "summarise",
]

OUTPUTS = (
    "compute_spot_price",
    "power_price",
    "capacity_gw_built",
    "ai_revenue_usd",
    "cloud_hhi",
    "ai_compute_hhi",
    "lockin_index",
    "throttled_share",
)
"""Model-frame columns compared (prices, build-out, revenue, concentration, lock-in)."""

MONTHS = (11, 35, 119)
"""Model months compared: the ends of 2026, 2028 and 2035 in ``baseline``."""

SCENARIO = "baseline"
DEAL_SCENARIO = "amazon-anthropic-2026"
DEAL_MONTHS = (23, 59, 119)
"""Months after which the deal's cumulative incremental revenue is compared."""


def _model(  # type: ignore[no-untyped-def]
    seed: int,
    highs_seed: int,
    pattern: str,
    scenario: str = SCENARIO,
    overrides: dict[str, object] | None = None,
):
    """A model of ``scenario`` (with ``overrides``) whose ``trade_pattern`` is ``pattern``
    and whose Clearer runs HiGHS with ``random_seed`` = ``highs_seed`` (the Clearer is
    replaced before any month is cleared)."""
    from agents.model import GigawattModel
    from experiments.scenarios import load_scenario
    from market.warm import Clearer

    scn = load_scenario(scenario).with_overrides({"trade_pattern": pattern, **(overrides or {})})
    m = GigawattModel(scn, rng=seed, check=False)
    m.clearer = Clearer(highs_options={"random_seed": highs_seed}, pattern=m.clearer.pattern)
    return m


def first_difference(seed: int, highs_seed: int, pattern: str, months: int = 120) -> str:
    """Run ``seed`` under HiGHS seeds 0 and ``highs_seed`` in lockstep; describe the
    first month whose fills differ (or say that none does)."""
    from agents.phases import PHASES

    a, b = _model(seed, 0, pattern), _model(seed, highs_seed, pattern)
    for month in range(months):
        for name in PHASES:
            getattr(a, name)()
            getattr(b, name)()
            if name != "clear":
                continue
            ca, cb = a.cleared, b.cleared
            ra, rb = ca.result, cb.result
            parts = ("offer_fill", "bid_fill", "link_flow")
            if all(np.array_equal(getattr(ra, p), getattr(rb, p)) for p in parts):
                continue
            book_a, book_b = ca.book, cb.book
            same_book = book_a.n_nodes == book_b.n_nodes and all(
                np.array_equal(x, y)
                for x, y in zip(
                    book_a.offers + book_a.bids + book_a.links,
                    book_b.offers + book_b.bids + book_b.links,
                    strict=True,
                )
            )
            both = np.isfinite(ra.node_price) & np.isfinite(rb.node_price)
            scale = np.maximum(np.abs(ra.node_price[both]), 1e-300)
            price_diff = float(np.max(np.abs(ra.node_price - rb.node_price)[both] / scale))
            welfare_diff = abs(ra.welfare - rb.welfare) / abs(ra.welfare)
            fa = np.concatenate([getattr(ra, p) for p in parts])
            fb = np.concatenate([getattr(rb, p) for p in parts])
            fill_diff = float(np.max(np.abs(fa - fb)) / max(np.max(np.abs(fa)), 1e-300))
            moved = []
            for kind, part in (("offers", "offer_fill"), ("bids", "bid_fill")):
                segs = getattr(ca.index, kind)
                for seg in segs:
                    sl = segs[seg]
                    n = int(np.count_nonzero(getattr(ra, part)[sl] != getattr(rb, part)[sl]))
                    if n:
                        moved.append(f"{n} {seg} {kind[:-1]}s")
            for seg in ca.index.links:
                sl = ca.index.links[seg]
                n = int(np.count_nonzero(ra.link_flow[sl] != rb.link_flow[sl]))
                if n:
                    moved.append(f"{n} {seg} links")
            return (
                f"month {month}: books equal {same_book}, welfare differs by {welfare_diff:.1e}"
                f" (relative), prices by at most {price_diff:.1e}; fills differ (by at most "
                f"{fill_diff:.1e} of the largest fill) on " + ", ".join(moved)
            )
    return f"no difference in {months} months"


def outputs_by_seed(seeds: range, highs_seed: int, pattern: str) -> dict[str, np.ndarray]:
    """``OUTPUTS`` at ``MONTHS`` for each model seed: arrays (seeds, months) by name."""
    rows = []
    for seed in seeds:
        m = _model(seed, highs_seed, pattern)
        for _ in range(max(MONTHS) + 1):
            m.step()
        frame = m.model_frame()
        rows.append(frame[list(OUTPUTS)].iloc[list(MONTHS)].to_numpy(dtype=float))
    stacked = np.stack(rows)  # (seeds, months, outputs)
    return {name: stacked[:, :, k] for k, name in enumerate(OUTPUTS)}


def deal_effect_by_seed(seeds: range, highs_seed: int, pattern: str) -> dict[str, np.ndarray]:
    """The deal's cumulative incremental revenue after :data:`DEAL_MONTHS` months, per
    seed: ``{"deal_incremental_revenue_cum_usd": (seeds, months)}``."""
    from experiments.deal_effect import pair_runs
    from experiments.scenarios import load_scenario

    deal = load_scenario(DEAL_SCENARIO).deal
    rows = []
    for seed in seeds:
        agents = []
        for overrides in ({}, {"deal.enabled": False}):  # the deal and its no-deal twin
            m = _model(seed, highs_seed, pattern, DEAL_SCENARIO, overrides)
            for _ in range(max(DEAL_MONTHS) + 1):
                m.step()
            agents.append(m.tables()["agents"])
        effect = pair_runs(agents[0], agents[1], deal.investor, deal.lab)
        rows.append(effect["incremental_revenue_cum_usd"].to_numpy(float)[list(DEAL_MONTHS)])
    return {"deal_incremental_revenue_cum_usd": np.stack(rows)}


def history_by_rule(seeds: range) -> pd.DataFrame:
    """Calibration targets' model values on ``history-2023`` under each rule (means over
    ``seeds``) and the relative change from ``"solver"`` to ``"proportional"``."""
    from experiments import load_scenario, run_scenario
    from experiments.history import history_table

    means = {}
    for rule in PATTERNS:
        scn = load_scenario("history-2023").with_overrides({"trade_pattern": rule})
        runs = [
            history_table(
                run_scenario(scn, months=36, rng=seed, check=False, keep_model=True)
            ).set_index(["series", "year"])["model"]
            for seed in seeds
        ]
        means[rule] = pd.concat(runs, axis=1).mean(axis=1)
    out = pd.DataFrame(means)
    out["change"] = (out["proportional"] - out["solver"]) / out["solver"].abs()
    return out


def summarise(
    ref: dict[str, np.ndarray], other: dict[str, np.ndarray], months: tuple[int, ...] = MONTHS
) -> pd.DataFrame:
    """Per output and month: mean, seed CV, per-run relative change (median, largest)
    and the mean's relative shift with its paired standard error."""
    out = []
    for name in ref:
        a, b = ref[name], other[name]
        for k, month in enumerate(months):
            x, y = a[:, k], b[:, k]
            mean = float(np.mean(x))
            scale = abs(mean) if mean else 1.0
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.where(x == y, 0.0, np.abs(y - x) / np.maximum(np.abs(x), np.abs(y)))
            out.append(
                {
                    "output": name,
                    "month": month,
                    "mean": mean,
                    "seed_cv": float(np.std(x, ddof=1)) / scale,
                    "run_change_median": float(np.median(rel)),
                    "run_change_max": float(np.max(rel)),
                    "runs_changed": int(np.count_nonzero(rel > 1e-9)),
                    "mean_shift": float(np.mean(y - x)) / scale,
                    "shift_se": float(np.std(y - x, ddof=1) / np.sqrt(x.size)) / scale,
                }
            )
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    """Print the lockstep check and the distribution table (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=32, help="model seeds (from 100)")
    parser.add_argument("--lockstep", type=int, default=8, help="seeds run in lockstep")
    parser.add_argument("--deal-seeds", type=int, default=16, help="seeds of the deal pairs")
    parser.add_argument("--highs-seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument(
        "--pattern", choices=PATTERNS, default="solver", help="the scenarios' trade_pattern"
    )
    parser.add_argument("--history", action="store_true", help="compare the rules on history")
    args = parser.parse_args(argv)
    if min(args.seeds, args.deal_seeds) < 2 or any(s <= 0 for s in args.highs_seeds):
        parser.error(
            "--seeds and --deal-seeds must be at least 2 and every --highs-seeds value positive"
        )
    if args.history:
        table = history_by_rule(range(1, 1 + args.deal_seeds))
        print(f"history-2023 targets, means over {args.deal_seeds} seeds, by rule:")
        print(table.to_string(float_format=lambda v: f"{v:.4g}"))
        return 0
    seeds = range(100, 100 + args.seeds)
    print(f"Trade pattern rule: {args.pattern}")
    print(f"Lockstep, HiGHS random_seed 0 against {args.highs_seeds[0]}:")
    for seed in seeds[: args.lockstep]:
        print(
            f"  seed {seed}: {first_difference(seed, args.highs_seeds[0], args.pattern)}",
            flush=True,
        )
    ref = outputs_by_seed(seeds, 0, args.pattern)
    pd.set_option("display.width", 200)
    for hs in args.highs_seeds:
        table = summarise(ref, outputs_by_seed(seeds, hs, args.pattern))
        print(f"\n{args.seeds} runs of {SCENARIO}, HiGHS random_seed 0 against {hs}:")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"), flush=True)
    deal_seeds = range(100, 100 + args.deal_seeds)
    deal_ref = deal_effect_by_seed(deal_seeds, 0, args.pattern)
    for hs in args.highs_seeds:
        table = summarise(deal_ref, deal_effect_by_seed(deal_seeds, hs, args.pattern), DEAL_MONTHS)
        print(
            f"\n{args.deal_seeds} pairs of {DEAL_SCENARIO} with and without the deal, "
            f"HiGHS random_seed 0 against {hs}:"
        )
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
