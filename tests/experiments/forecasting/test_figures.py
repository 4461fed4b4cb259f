"""Fan charts: each scenario keeps its colour in every panel."""

from __future__ import annotations

import pandas as pd

from experiments.forecasting.bands import QUANTILES
from experiments.forecasting.figures import fan_figure
from experiments.forecasting.model import DEAL_CUM


def _table(rows: list[tuple[str, str]]) -> pd.DataFrame:
    """A quantile table of (scenario, metric) pairs over three months."""
    parts = []
    for scenario, metric in rows:
        for month in range(3):
            for q in QUANTILES:
                parts.append(
                    {
                        "scenario": scenario,
                        "metric": metric,
                        "unit": "",
                        "month": month,
                        "date": pd.Timestamp("2026-01-01") + pd.DateOffset(months=month),
                        "quantile": q,
                        "value": float(month + q),
                        "n": 8,
                    }
                )
    return pd.DataFrame(parts)


def test_a_scenario_has_one_colour_in_every_panel() -> None:
    # only the deal scenario has the deal's revenue: in that panel it is the first line drawn
    table = _table(
        [
            ("history-2023", "compute_spot_price"),
            ("history-2023-deal", "compute_spot_price"),
            ("history-2023", "labs_active"),
            ("history-2023-deal", "labs_active"),
            ("history-2023-deal", DEAL_CUM),
        ]
    )
    fig = fan_figure(table)
    colours: dict[str, set[str]] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            name = line.get_label().split(" (n=")[0]
            if not name.startswith("_"):  # the median lines (not the zero line)
                colours.setdefault(name, set()).add(str(line.get_color()))
    assert set(colours) == {"history-2023", "history-2023-deal"}
    assert all(len(c) == 1 for c in colours.values()), colours
    assert colours["history-2023"] != colours["history-2023-deal"]
