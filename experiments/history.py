"""The model against 2023-2025 history: yearly model values beside the reported figures.

``history_table(result)`` takes a run of the ``history-2023`` scenario (36 months or more,
``keep_model=True``) and returns one row per target and year: the model's value, the
reported value or range, and the model's value as a share of the reported one. The targets
are read from a targets file (default ``experiments/calibration/targets.toml``, rows of
``docs/calibration.md``; see :mod:`experiments.calibration.targets`), the one definition of
each figure, which the calibration uses too. The model covers the compute clouds sell to AI
labs, so the capex and NVIDIA rows are not matched in level: their targets compare growth.

>>> from experiments import run_scenario  # doctest: +SKIP
>>> history_table(run_scenario("history-2023", months=36, rng=7, keep_model=True))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.runner import RunResult

__all__ = [
    "CLOUDS",
    "DECEMBER_METRICS",
    "METRICS",
    "HistoryError",
    "history_table",
    "yearly_values",
]


class HistoryError(ValueError):
    """A run cannot be compared with history as given; the message says what to change."""


CLOUDS = ("amazon", "microsoft", "google")
"""Clouds whose share of cloud revenue is reported ([hs-cloud-shares])."""

METRICS: frozenset[str] = frozenset(
    {
        "hyperscaler capex",
        "NVIDIA data-centre revenue",
        "OpenAI compute (December)",
        "OpenAI revenue run-rate (December)",
        "Anthropic revenue run-rate (December)",
        "H100e rental price (year mean)",
        "US data-centre share of electricity",
        *(f"{c} share of cloud revenue" for c in CLOUDS),
    }
)
"""The yearly model values :func:`yearly_values` reports (targets name them)."""

DECEMBER_METRICS: frozenset[str] = frozenset(m for m in METRICS if m.endswith("(December)"))
"""The metrics read at a year's last month; every other one is summed or averaged over the
year's months, so a run that starts after January has a part-year value for its first year
(:meth:`experiments.calibration.targets.Targets.check_years` refuses to compare it)."""


def yearly_values(result: RunResult) -> pd.DataFrame:
    """The model's value of each target metric by calendar year (rows: metric, year, model).

    Flows are summed over the year (capex, NVIDIA's chip receipts), run-rates and compute
    are December's (x 12 for monthly revenue), prices and the electricity share are yearly
    means, a cloud's share of cloud revenue is its share of the year's sum.

    Raises
    ------
    HistoryError
        If ``result.model`` is None (the run was made without ``keep_model=True``).
    """
    if result.model is None:
        raise HistoryError(
            "yearly_values: result.model is None; it reads the model's ledger and agents, "
            "so run with keep_model=True"
        )
    frame = result.model_frame
    year = frame["date"].dt.year.to_numpy()
    year_of = dict(zip(frame["month"].tolist(), year.tolist(), strict=True))
    agents = result.tables["agents"]
    world = result.model.world
    ledger = world.accounts.usd.entries()
    codes = {name: code for code, name in world.accounts.usd.reasons.items()}
    nvidia = [v.unique_id for v in world.vendors if v.name == "nvidia"]
    chip_codes = [codes[r] for r in ("chips_spot", "chips_contract") if r in codes]
    paid = np.isin(ledger["payee"], nvidia) & np.isin(ledger["reason"], chip_codes)
    nv = (
        pd.Series(ledger["amount"][paid])
        .groupby(pd.Series(ledger["step"][paid]).map(year_of))
        .sum()
    )
    shares = _cloud_shares(result, agents, year_of)
    # the labs' rows of the agents table, each with its calendar year
    lab = (agents["kind"] == "lab").to_numpy()
    l_month = agents["month"].to_numpy()[lab]
    l_year = np.array([year_of[m] for m in l_month.tolist()], dtype=np.int64)
    l_name = agents["name"].to_numpy()[lab]
    l_gw, l_revenue = (agents[c].to_numpy()[lab] for c in ("compute_gw", "revenue"))
    capex = frame["capex_usd"].to_numpy()
    price = frame["compute_spot_price"].to_numpy()
    dc_share = frame["us_dc_power_share"].to_numpy()
    rows = []
    for y in np.unique(year).tolist():
        in_year = year == y
        of_year = l_year == y
        december = of_year & (l_month == l_month[of_year].max()) if of_year.any() else of_year
        rows += [
            ("hyperscaler capex", y, _sum(capex[in_year]) / 1e9),
            ("NVIDIA data-centre revenue", y, float(nv.get(y, 0.0)) / 1e9),
            ("OpenAI compute (December)", y, _at(december, l_name, l_gw, "openai")),
            (
                "OpenAI revenue run-rate (December)",
                y,
                _at(december, l_name, l_revenue, "openai", 12e-9),
            ),
            (
                "Anthropic revenue run-rate (December)",
                y,
                _at(december, l_name, l_revenue, "anthropic", 12e-9),
            ),
            ("H100e rental price (year mean)", y, _mean(price[in_year])),
            ("US data-centre share of electricity", y, _mean(dc_share[in_year])),
            *((f"{c} share of cloud revenue", y, shares.get((c, y), np.nan)) for c in CLOUDS),
        ]
    return pd.DataFrame(rows, columns=["metric", "year", "model"])


def _at(
    rows: np.ndarray, names: np.ndarray, values: np.ndarray, name: str, scale: float = 1.0
) -> float:
    """The value on ``name``'s row among ``rows``, times ``scale`` (nan if it has none)."""
    at = np.flatnonzero(rows & (names == name))
    return float(values[at[0]]) * scale if at.size else float("nan")


def _sum(values: np.ndarray) -> float:
    """A sum as pandas' ``Series.sum`` takes it: nan as 0, then numpy's (pairwise) sum."""
    return float(np.where(np.isnan(values), 0.0, values).sum())


def _mean(values: np.ndarray) -> float:
    """A mean as pandas' ``Series.mean`` takes it: :func:`_sum` over the count of numbers."""
    count = int(np.count_nonzero(~np.isnan(values)))
    return _sum(values) / count if count else float("nan")


def _cloud_shares(
    result: RunResult, agents: pd.DataFrame, year_of: dict[int, int]
) -> dict[tuple[str, int], float]:
    """Each cloud's share of the year's cloud revenue: AI compute sales (the agents table's
    ``revenue``) plus other cloud revenue, which grows from the scenario's
    ``non_ai_cloud_revenue_per_year`` at ``demand.non_ai_cloud_growth_per_year`` (as the
    model's ``cloud_hhi`` counts it)."""
    scn = result.scenario
    growth = scn.demand.non_ai_cloud_growth_per_year
    hs = agents[agents["kind"] == "hyperscaler"][["name", "month", "revenue"]].copy()
    other = {h.name: h.non_ai_cloud_revenue_per_year for h in scn.hyperscalers}
    hs["total"] = hs["revenue"] + [
        other.get(n, 0.0) / 12 * (1 + growth) ** (m / 12)
        for n, m in zip(hs["name"], hs["month"], strict=True)
    ]
    hs["year"] = hs["month"].map(year_of)
    by = hs.groupby(["year", "name"])["total"].sum()
    share = by / by.groupby(level="year").transform("sum")
    return {(str(n), int(y)): float(v) for (y, n), v in share.items()}


def history_table(result: RunResult, targets: str | Path | None = None) -> pd.DataFrame:
    """Model vs reported, one row per target and year, with the model as a share of reported.

    ``targets`` is a targets TOML file (default: the shipped 2023-2025 targets). Every year a
    series reports is listed, a growth series' base year included; ``statistic`` says how a
    calibration compares the row (``level`` or ``growth``).

    Raises
    ------
    HistoryError
        If ``result.model`` is None (see :func:`yearly_values`).
    """
    from experiments.calibration.targets import load_targets

    model = yearly_values(result).set_index(["metric", "year"])["model"]
    rows = []
    for sid, s in load_targets(targets).series.items():
        for year in s.years():
            low, high = s.bounds(year)
            value = float(model.get((s.metric, int(year)), float("nan")))
            rows.append(
                {
                    "series": sid,
                    "metric": s.metric,
                    "unit": s.unit,
                    "year": int(year),
                    "model": value,
                    "reported_low": low,
                    "reported_high": high,
                    # over the figure a calibration compares with: a range's geometric mean
                    "model_over_reported": value / s.centre(year),
                    "within": low * 0.999 <= value <= high * 1.001,
                    "statistic": s.statistic,
                    "source": f"docs/calibration.md [{s.source}]",
                }
            )
    return pd.DataFrame(rows)
