"""The revenue a deal adds, and what it does to the market: the scenario against a paired
run without the deal.

The deals table's ratios count what the investor receives (``contract_payments_usd``,
the deal's own contract; ``cloud_revenue_usd``, all the lab's spend with it), much of
which the lab would have spent there anyway. The causal effect is a difference between
two runs that share everything but the deal: the same scenario and the same seed, once
with the deal and once with it disabled (the investment replaced by nothing), so the
random draws are common to both and the difference is the deal's (common random numbers,
Law & Kelton, *Simulation Modeling and Analysis*, ch. 11; the potential-outcomes
comparison of Rubin 1974, with both outcomes observed because the model can be re-run).

>>> from experiments.deal_effect import incremental_revenue
>>> effect = incremental_revenue("amazon-anthropic-2026", months=24, rng=7)  # doctest: +SKIP
>>> effect[["month", "incremental_revenue_usd", "share_with", "share_without"]]  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agents.scenario import DealCfg, Scenario, ScenarioError
from experiments.runner import run_scenario
from experiments.scenarios import load_scenario
from market.metrics import round_trip_ratio

__all__ = [
    "DEAL_EFFECT_COLUMNS",
    "MARKET_COLUMNS",
    "DealEffectError",
    "incremental_revenue",
    "pair_runs",
]

DEAL_EFFECT_COLUMNS = (
    "month",
    "investor",
    "lab",
    "revenue_with_usd",
    "revenue_without_usd",
    "incremental_revenue_usd",
    "incremental_revenue_cum_usd",
    "share_with",
    "share_without",
    "invested_usd",
    "incremental_to_investment",
    "ai_compute_hhi_with",
    "ai_compute_hhi_without",
    "compute_spot_price_with",
    "compute_spot_price_without",
)
"""Columns of :func:`incremental_revenue` (one row a month)."""

MARKET_COLUMNS = ("ai_compute_hhi", "compute_spot_price")
"""Model-frame columns set beside the revenue, with the deal and without: what the deal does
to the market's concentration and to its price (``agents/columns.py`` defines them)."""


class DealEffectError(ValueError):
    """A deal effect that cannot be measured; the message names the input and the fix."""


def pair_runs(
    with_deal: pd.DataFrame,
    without: pd.DataFrame,
    investor: str,
    lab: str,
    invested: pd.Series | None = None,
    frames: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Month-by-month difference of the investor's revenue from the lab in two runs.

    Parameters
    ----------
    with_deal, without : DataFrame
        The ``agents`` tables of the run with the deal and of the paired run without it
        (lab rows carry ``spend_<cloud>`` and ``share_<cloud>``).
    investor, lab : str
        Names of the investing cloud and of the lab.
    invested : Series, optional
        Investment paid so far by month (the deals table's ``invested_usd``); missing
        months count as nothing invested.
    frames : (DataFrame, DataFrame), optional
        The model frames of the run with the deal and of the paired run: their
        :data:`MARKET_COLUMNS` go beside the revenue (``<column>_with`` and
        ``<column>_without``; nan without them).

    Returns
    -------
    DataFrame
        :data:`DEAL_EFFECT_COLUMNS`: ``revenue_*_usd`` is the lab's compute spend at the
        investor that month in each run, ``incremental_revenue_usd`` their difference,
        ``share_*`` the investor's share of the compute the lab received, and
        ``incremental_to_investment`` the cumulative difference over the investment,
        and the AI-compute HHI and spot compute price of each run.
    """
    spend, share = f"spend_{investor}", f"share_{investor}"

    def rows(frame: pd.DataFrame, which: str) -> pd.DataFrame:
        got = frame[frame["name"] == lab]
        if got.empty or spend not in got:
            raise DealEffectError(
                f"the {which} run has no rows for lab {lab!r} with a {spend!r} column; "
                "pass the agents tables of two runs of the same scenario"
            )
        return got.set_index("month")[[spend, share]]

    w, wo = rows(with_deal, "deal"), rows(without, "paired")
    if not w.index.equals(wo.index):
        raise DealEffectError(
            f"the runs cover different months ({len(w)} and {len(wo)}); run both as long"
        )
    out = pd.DataFrame({"month": w.index.to_numpy()})
    out["investor"], out["lab"] = investor, lab
    out["revenue_with_usd"] = w[spend].to_numpy()
    out["revenue_without_usd"] = wo[spend].to_numpy()
    out["incremental_revenue_usd"] = out["revenue_with_usd"] - out["revenue_without_usd"]
    out["incremental_revenue_cum_usd"] = out["incremental_revenue_usd"].cumsum()
    out["share_with"] = w[share].to_numpy()
    out["share_without"] = wo[share].to_numpy()
    paid = (
        invested.reindex(out["month"]).ffill().fillna(0.0).to_numpy()
        if invested is not None
        else np.zeros(len(out))
    )
    out["invested_usd"] = paid
    # revenue over investment so far, nan before any (inf over next to no investment)
    out["incremental_to_investment"] = round_trip_ratio(
        out["incremental_revenue_cum_usd"].to_numpy(), paid
    )
    for col in MARKET_COLUMNS:
        for suffix, frame in zip(("with", "without"), frames or (None, None), strict=True):
            values = np.full(len(out), np.nan)
            if frame is not None:
                values = frame.set_index("month")[col].reindex(out["month"]).to_numpy()
            out[f"{col}_{suffix}"] = values
    return out[list(DEAL_EFFECT_COLUMNS)]


def incremental_revenue(
    scenario: Scenario | str | Path,
    months: int | None = None,
    rng: int = 7,
    deal: DealCfg | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` with its deal and without it (same seed); the deal's revenue effect.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A scenario whose ``deal`` is enabled (e.g. ``"amazon-anthropic-2026"``).
    months : int, optional
        Horizon of both runs (default: the scenario's).
    rng : int
        The seed both runs share (a seed, not a generator: a generator cannot be
        replayed for the paired run).
    deal : DealCfg, optional
        The deal to measure, replacing the scenario's ``deal`` (it is enabled).

    Returns
    -------
    DataFrame
        One row a month, :data:`DEAL_EFFECT_COLUMNS` (see :func:`pair_runs`).
    """
    # a file is loaded for the runs' length: its own months need not fit the calendar
    scn = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, months=months)
    if deal is not None:
        scn = scn.with_overrides({"deal": {**deal.model_dump(), "enabled": True}})
    if not scn.deal.enabled:
        raise DealEffectError(
            f"scenario {scn.name!r}: deal.enabled is false, so there is no deal to measure; "
            "use a scenario with a deal (e.g. amazon-anthropic-2026), a scenario file whose "
            "[deal] has enabled = true, or (from Python) pass deal="
        )
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise DealEffectError(f"rng = {rng!r}: give an integer seed (both runs replay it)")
    try:
        without_scn = scn.with_overrides({"deal.enabled": False})
    except ScenarioError as exc:  # pragma: no cover - disabling a valid deal stays valid
        raise DealEffectError(str(exc)) from None
    res = run_scenario(scn, months, rng=int(rng), tables=["agents", "deals"])
    base = run_scenario(without_scn, months, rng=int(rng), tables=["agents"])
    deals = res.tables["deals"]
    head = deals[deals["deal"] == 0].set_index("month")["invested_usd"]
    return pair_runs(
        res.tables["agents"],
        base.tables["agents"],
        scn.deal.investor,
        scn.deal.lab,
        head,
        frames=(res.model_frame, base.model_frame),
    )
