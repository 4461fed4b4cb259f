"""The model against 2023-2025 history: yearly model values beside the reported figures.

``history_table(result)`` takes a run of the ``history-2023`` scenario (36 months or more,
``keep_model=True``) and returns one row per target and year: the model's value, the
reported value or range, and the model's value as a share of the reported one. The targets
are the rows of ``docs/calibration.md`` named in :data:`TARGETS`. The model covers the
compute clouds sell to AI labs, so the capex and NVIDIA rows are compared as shares of
reported totals, not matched.

>>> from experiments import run_scenario  # doctest: +SKIP
>>> history_table(run_scenario("history-2023", months=36, rng=7, keep_model=True))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.runner import RunResult

__all__ = ["TARGETS", "Target", "history_table", "yearly_values"]


@dataclass(frozen=True)
class Target:
    """A reported figure by year: (low, high) in the target's unit, and its source row."""

    metric: str
    unit: str
    row: str
    years: dict[int, tuple[float, float]]


TARGETS: tuple[Target, ...] = (
    Target("hyperscaler capex", "$B/yr", "hist-capex-big4", {2023: (150, 150), 2024: (251, 251), 2025: (416, 416)}),
    Target("NVIDIA data-centre revenue", "$B/yr", "hist-nvda-dc", {2023: (47.5, 47.5), 2024: (115.2, 115.2), 2025: (193.7, 193.7)}),
    Target("OpenAI compute (December)", "GW", "hist-openai-gw", {2023: (0.2, 0.2), 2024: (0.6, 0.6), 2025: (1.9, 1.9)}),
    Target("OpenAI revenue run-rate (December)", "$B/yr", "hist-openai-rev", {2023: (2, 2), 2024: (6, 6), 2025: (20, 25)}),
    Target("Anthropic revenue run-rate (December)", "$B/yr", "hist-anthropic-rev", {2023: (0.1, 0.1), 2024: (1, 1), 2025: (9, 9)}),
    Target("H100e rental price (year mean)", "$/h", "hist-h100-rent", {2023: (8, 12), 2024: (2.85, 2.99), 2025: (2.2, 2.4)}),
    Target("US data-centre share of electricity", "share", "hist-us-dc-twh", {2023: (0.044, 0.044)}),
)  # fmt: skip
"""The 2023-2025 figures the history run is compared with (``docs/calibration.md`` rows)."""


def yearly_values(result: RunResult) -> pd.DataFrame:
    """The model's value of each target metric by calendar year (rows: metric, year, model).

    Flows are summed over the year (capex, NVIDIA's chip receipts), run-rates and compute
    are December's (x 12 for monthly revenue), prices and shares are yearly means.
    """
    if result.model is None:
        raise ValueError("history_table needs the model: run with keep_model=True")
    frame = result.model_frame.copy()
    frame["year"] = frame["date"].astype(str).str[:4].astype(int)
    agents = result.tables["agents"]
    labs = agents[agents["kind"] == "lab"].copy()
    labs["year"] = labs["month"].map(dict(zip(frame["month"], frame["year"], strict=True)))
    world = result.model.world
    ledger = world.accounts.usd.entries()
    codes = {name: code for code, name in world.accounts.usd.reasons.items()}
    nvidia = [v.unique_id for v in world.vendors if v.name == "nvidia"]
    chip_codes = [codes[r] for r in ("chips_spot", "chips_contract") if r in codes]
    paid = np.isin(ledger["payee"], nvidia) & np.isin(ledger["reason"], chip_codes)
    month_year = dict(zip(frame["month"], frame["year"], strict=True))
    nv = (
        pd.Series(ledger["amount"][paid])
        .groupby(pd.Series(ledger["step"][paid]).map(month_year))
        .sum()
    )
    rows = []
    for year, f in frame.groupby("year"):
        dec = labs[labs["year"] == year]
        last = dec[dec["month"] == dec["month"].max()].set_index("name")

        rows += [
            ("hyperscaler capex", year, float(f["capex_usd"].sum()) / 1e9),
            ("NVIDIA data-centre revenue", year, float(nv.get(year, 0.0)) / 1e9),
            ("OpenAI compute (December)", year, _lab(last, "openai", "compute_gw")),
            ("OpenAI revenue run-rate (December)", year, _lab(last, "openai", "revenue", 12e-9)),
            (
                "Anthropic revenue run-rate (December)",
                year,
                _lab(last, "anthropic", "revenue", 12e-9),
            ),
            ("H100e rental price (year mean)", year, float(f["compute_spot_price"].mean())),
            ("US data-centre share of electricity", year, float(f["us_dc_power_share"].mean())),
        ]
    return pd.DataFrame(rows, columns=["metric", "year", "model"])


def _lab(last: pd.DataFrame, name: str, column: str, scale: float = 1.0) -> float:
    return float(last.loc[name, column]) * scale if name in last.index else float("nan")


def history_table(result: RunResult) -> pd.DataFrame:
    """Model vs reported, one row per target and year, with the model as a share of reported."""
    model = yearly_values(result).set_index(["metric", "year"])["model"]
    rows = []
    for t in TARGETS:
        for year, (low, high) in t.years.items():
            value = float(model.get((t.metric, year), float("nan")))
            mid = (low + high) / 2
            rows.append(
                {
                    "metric": t.metric,
                    "unit": t.unit,
                    "year": year,
                    "model": value,
                    "reported_low": low,
                    "reported_high": high,
                    "model_over_reported": value / mid if mid else float("nan"),
                    "within": low * 0.999 <= value <= high * 1.001,
                    "source": f"docs/calibration.md [{t.row}]",
                }
            )
    return pd.DataFrame(rows)
