"""The model function a forecast sweep runs: one draw of one scenario, plus its no-deal twin.

A forecast runs posterior draws through the sweep machinery
(:mod:`experiments.sweeps`), which calls a module-level *model function* with
``scenario``, ``params`` (override paths), ``months`` and ``seed``.
:func:`forecast_model` runs the scenario with the draw's parameters and, when the scenario
has a deal, a paired run with the deal disabled on the same parameters and seed; the
investor's revenue from the lab that the deal adds (common random numbers, as in
:func:`experiments.deal_effect.incremental_revenue`) joins the model frame as two columns,
:data:`DEAL_COLUMNS`, so the sweep store keeps it like any other monthly series.
:func:`forecast_model_with_twin` also keeps the twin's own model frame, each column under
:data:`TWIN_PREFIX`: when a forecast holds a scenario that is the twin (the deal scenario
with its deal disabled, say ``history-2023`` beside ``history-2023-deal``), that scenario's
bands are read from the twins and it is not run again
(:func:`experiments.forecasting.plan.served_by_twins`).

>>> res = forecast_model(scenario="amazon-anthropic-2026", params={}, months=12, seed=1)  # doctest: +SKIP
>>> res.model_frame["deal_incremental_revenue_cum_usd"].iloc[-1]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from experiments.sweeps.model import scenario_with

__all__ = [
    "DEAL_COLUMNS",
    "DEAL_CUM",
    "DEAL_MONTHLY",
    "TWIN_PREFIX",
    "ForecastRun",
    "forecast_model",
    "forecast_model_with_twin",
    "metric_unit",
]

DEAL_MONTHLY = "deal_incremental_revenue_usd"
"""$/month: the investor's revenue from the lab with the deal minus without it (same seed)."""
DEAL_CUM = "deal_incremental_revenue_cum_usd"
"""$: :data:`DEAL_MONTHLY` summed from the start to the month."""
DEAL_COLUMNS = (DEAL_MONTHLY, DEAL_CUM)
"""Columns :func:`forecast_model` adds to the model frame of a scenario with a deal."""
_DEAL_UNITS = {DEAL_MONTHLY: "$/month", DEAL_CUM: "$"}
TWIN_PREFIX = "twin:"
"""Prefix of the twin's model-frame columns in :func:`forecast_model_with_twin`'s frame."""


def metric_unit(metric: str) -> str:
    """The unit of a forecast metric: :mod:`agents.columns`' or a deal column's."""
    from experiments.sweeps.units import unit_of

    return _DEAL_UNITS.get(metric) or unit_of(metric)


@dataclass(frozen=True)
class ForecastRun:
    """What :func:`forecast_model` returns: the model frame (deal columns added) and tables."""

    model_frame: pd.DataFrame
    tables: Mapping[str, pd.DataFrame]


def forecast_model(
    *,
    scenario: str,
    params: Mapping[str, Any],
    months: int,
    seed: int,
    check: bool = True,
    keep_twin: bool = False,
) -> ForecastRun:
    """Run one posterior draw of ``scenario`` (and its no-deal twin if it has a deal).

    Parameters
    ----------
    scenario : str
        A shipped scenario name or a TOML path.
    params : mapping
        Override paths and values (``Scenario.with_overrides``).
    months, seed : int
        Horizon and seed, shared by both runs.
    check : bool
        Check the model's invariants every month of both runs.
    keep_twin : bool
        Add the twin's model-frame columns, each named :data:`TWIN_PREFIX` + its name.

    Returns
    -------
    ForecastRun
        The run's model frame with :data:`DEAL_COLUMNS` added when ``deal.enabled``
        (computed by :func:`experiments.deal_effect.pair_runs`), and its tables.
    """
    from experiments.deal_effect import pair_runs
    from experiments.runner import run_scenario

    scn = scenario_with(scenario, params)
    res = run_scenario(scn, months=months, rng=seed, check=check)
    frame = res.model_frame.copy()
    if scn.deal.enabled:
        twin = run_scenario(
            scn.with_overrides({"deal.enabled": False}),
            months=months,
            rng=seed,
            check=check,
            tables=["agents"],  # all pair_runs reads
        )
        effect = pair_runs(
            res.tables["agents"], twin.tables["agents"], scn.deal.investor, scn.deal.lab
        )
        frame[DEAL_MONTHLY] = effect["incremental_revenue_usd"].to_numpy(float)
        frame[DEAL_CUM] = effect["incremental_revenue_cum_usd"].to_numpy(float)
        if keep_twin:
            twins = twin.model_frame.add_prefix(TWIN_PREFIX)
            frame = pd.concat([frame, twins.set_index(frame.index)], axis=1)
    return ForecastRun(frame, res.tables)


def forecast_model_with_twin(
    *, scenario: str, params: Mapping[str, Any], months: int, seed: int, check: bool = True
) -> ForecastRun:
    """:func:`forecast_model` keeping the no-deal twin's model frame (``keep_twin=True``)."""
    return forecast_model(
        scenario=scenario, params=params, months=months, seed=seed, check=check, keep_twin=True
    )
