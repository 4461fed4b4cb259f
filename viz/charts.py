"""ECharts options for the page's time-series charts (the network: :mod:`viz.network_chart`).

Every function here is pure: model data in, an ECharts ``option`` dict out, so the options
can be tested without a browser. ECharts draws in the browser (Solara ships it locally with
``solara-assets``), so a page update costs the server only the building of these dicts;
rendering PNGs with matplotlib took about 60 ms a chart on this machine, too slow for the
0.5 s step-to-update target with nine charts.

Column names follow the world model's ``model_frame`` and tables. A chart whose data is
missing shows "no data" rather than failing. Every line of a chart has its own colour (the
Okabe-Ito palette, readable with colour-blindness) and its own marker, so two lines never
look alike, in colour or in print.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from agents.columns import REGION_LOAD_COLUMNS
from agents.units import month_date
from viz.facts import capacity_price_cap, deals_possible

__all__ = [
    "CHARTS",
    "PALETTE",
    "SYMBOLS",
    "capacity_option",
    "capacity_price_option",
    "chip_price_option",
    "compute_price_option",
    "concentration_option",
    "date_labels",
    "deals_option",
    "lab_runway",
    "power_price_option",
    "runway_option",
    "throttled_option",
]

#: Line colours, in order: the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal
#: Design"), black first, then the eight hues; distinct for the common colour-blindnesses.
PALETTE = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
]
#: Line markers, in order (ECharts symbol names); a line takes colour i and marker i.
SYMBOLS = ["circle", "rect", "triangle", "diamond", "pin", "arrow", "roundRect", "emptyCircle"]


def _clean(values: Iterable[Any]) -> list[float | None]:
    """JSON-safe numbers: NaN and infinities become None (a gap in the line)."""
    out: list[float | None] = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(round(f, 6) if math.isfinite(f) else None)
    return out


def _col(df: pd.DataFrame | None, *names: str) -> str | None:
    if df is None:
        return None
    for name in names:
        if name in df.columns:
            return name
    return None


def date_labels(months: Iterable[int], start: str) -> list[str]:
    """Calendar labels ``YYYY-MM`` for month numbers counted from ``start`` (``YYYY-MM``).

    ``start`` is the scenario's month 0 (:func:`viz.facts.scenario_start`).
    """
    return [month_date(start, int(m)) for m in months]


def _line(
    title: str,
    x: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], dict[str, Any]]],
    y_name: str,
    *,
    y_percent: bool = False,
    from_zero: bool = False,
    mark: tuple[str, float] | None = None,
    empty: str = "no data yet",
    subtitle: str = "",
) -> dict[str, Any]:
    """A line chart option with one category x axis (months); ``subtitle`` is written
    small under the title.

    The y axis fits the data (prices), starts at 0 with ``from_zero`` (quantities whose size
    matters, such as GW or HHI) or spans 0-100 with ``y_percent``.

    Series ``i`` gets colour ``PALETTE[i]`` and marker ``SYMBOLS[i]`` unless its style says
    otherwise; ECharts shows the markers at the axis-label interval (``showAllSymbol``
    "auto"), so long runs stay readable.
    """
    out_series = []
    for i, (name, values, style) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        item: dict[str, Any] = {
            "name": name,
            "type": "line",
            "showSymbol": True,
            "symbol": SYMBOLS[i % len(SYMBOLS)],
            "symbolSize": 7,
            "color": color,
            "itemStyle": {"color": color},
            "lineStyle": {"color": color, "width": 2},
            "data": list(values),
            "connectNulls": False,
        }
        for key, value in style.items():
            if isinstance(value, dict) and isinstance(item.get(key), dict):
                item[key] = {**item[key], **value}
            else:
                item[key] = value
        out_series.append(item)
    if mark is not None and not out_series:
        out_series.append({"name": "", "type": "line", "data": []})
    if mark is not None:
        label, value = mark
        out_series[0]["markLine"] = {
            "symbol": "none",
            "silent": True,
            "lineStyle": {"color": "#999", "type": "dashed"},
            "label": {"formatter": label, "position": "insideEndTop"},
            "data": [{"yAxis": value}],
        }
    heading: dict[str, Any] = {"text": title, "left": 8, "top": 4, "textStyle": {"fontSize": 13}}
    if subtitle:
        heading.update(subtext=subtitle, itemGap=8, subtextStyle={"fontSize": 10})
    option: dict[str, Any] = {
        "animation": False,
        "title": heading,
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "type": "scroll", "textStyle": {"fontSize": 10}},
        "grid": {
            "left": 60,
            "right": 34,  # room for half the last date label
            "top": 64 if subtitle else 52,  # the y axis's unit under the title
            "bottom": 52,
        },
        "xAxis": {"type": "category", "data": list(x), "boundaryGap": False},
        "yAxis": {
            "type": "value",
            "name": y_name,
            "nameTextStyle": {"fontSize": 10},
            "scale": not (y_percent or from_zero),
        },
        "series": out_series,
    }
    if y_percent:
        option["yAxis"]["max"] = 100
    if y_percent or from_zero:
        option["yAxis"]["min"] = 0
    if not out_series or not len(x):
        option["graphic"] = {
            "type": "text",
            "left": "center",
            "top": "middle",
            "style": {"text": empty, "fill": "#999", "fontSize": 14},
        }
    return option


def _frame_x(frame: pd.DataFrame | None, start: str) -> tuple[pd.DataFrame, list[str]]:
    if frame is None or not len(frame):
        return pd.DataFrame(), []
    months = frame["month"] if "month" in frame.columns else pd.Series(range(len(frame)))
    return frame, date_labels(months, start)


def _frame_series(
    frame: pd.DataFrame, pairs: Sequence[tuple[str, Sequence[str], dict[str, Any]]], scale=1.0
) -> list[tuple[str, list[float | None], dict[str, Any]]]:
    out = []
    for label, names, style in pairs:
        col = _col(frame, *names)
        if col is not None:
            out.append((label, _clean(frame[col].to_numpy(dtype=float) * scale), style))
    return out


def _region_lines(
    frame: pd.DataFrame,
    x: Sequence[str],
    regions: pd.DataFrame | None,
    column: str,
    title: str,
) -> tuple[list[tuple[str, list[float | None], dict[str, Any]]], str]:
    """One line per region of the ``regions`` table's ``column``, then the model frame's
    load-weighted ``column`` (dashed); only the latter when the table lacks the column.

    Each line keeps a colour and marker of its own: with more regions than :data:`PALETTE`
    has colours beside the weighted mean's, the regions using the most power over the run
    are drawn (ties: by name), and the title says how many of how many.
    """
    series: list[tuple[str, list[float | None], dict[str, Any]]] = []
    value = _col(regions, column)
    region = _col(regions, "region")
    if regions is not None and len(regions) and value and region and "month" in regions.columns:
        months = frame["month"] if "month" in frame.columns else pd.Series(range(len(x)))
        wide = regions.pivot_table(index="month", columns=region, values=value, aggfunc="mean")
        wide = wide.reindex(months.to_numpy())
        room = len(PALETTE) - 1  # the weighted mean takes one style
        if wide.shape[1] > room:
            loads = [c for c in REGION_LOAD_COLUMNS if c in regions]
            used = regions[loads].sum(axis=1).groupby(regions[region]).sum().reindex(wide.columns)
            kept = used.fillna(0.0).sort_values(ascending=False, kind="stable").index[:room]
            title += f" (the {room} of {wide.shape[1]} using the most power)"
            wide = wide[[c for c in wide.columns if c in set(kept)]]
        for name in wide.columns:
            series.append((str(name), _clean(wide[name].to_numpy()), {}))
    if not series:
        series = _frame_series(frame, [("demand-weighted", [column], {})])
    elif _col(frame, column):
        series += _frame_series(
            frame, [("demand-weighted", [column], {"lineStyle": {"type": "dashed"}})]
        )
    return series, title


def power_price_option(
    frame: pd.DataFrame | None, regions: pd.DataFrame | None, *, start: str
) -> dict:
    """Power (energy) price per region ($/MWh), from the ``regions`` table's ``power_price``,
    and the model frame's load-weighted mean (:func:`_region_lines`).

    The model clears energy at the month's average load up each region's merit order, so a
    region's price is the marginal cost of the last unit that load needs
    (:func:`agents.utility.merit_price`): it moves only when that unit changes. Scarcity of
    generating capacity shows in the capacity price (:func:`capacity_price_option`).
    """
    frame, x = _frame_x(frame, start)
    series, title = _region_lines(frame, x, regions, "power_price", "Power price by region")
    return _line(
        title,
        x,
        series,
        "$/MWh",
        subtitle="energy: the running cost of the last unit the month's load needs",
    )


def capacity_price_option(
    frame: pd.DataFrame | None,
    regions: pd.DataFrame | None,
    cap: float | None = None,
    *,
    start: str,
) -> dict:
    """Capacity price per region ($/MW-day), from the ``regions`` table's ``capacity_price``,
    and the model frame's load-weighted mean (:func:`_region_lines`).

    Each region's reserve margin sets it on a sloped demand curve
    (:func:`agents.utility.capacity_price`), up to ``cap`` (``power.capacity_price_cap``,
    drawn as a line; None draws none); AI data centres pay it on their load. Drawn from 0:
    0 is the price of ample reserves.
    """
    frame, x = _frame_x(frame, start)
    series, title = _region_lines(frame, x, regions, "capacity_price", "Capacity price by region")
    mark = None if cap is None else (f"cap ${cap:,.2f}", cap)
    return _line(
        title,
        x,
        series,
        "$/MW-day",
        from_zero=True,
        mark=mark,
        subtitle="set by the reserve margin; AI data centres pay it on their load",
    )


def compute_price_option(frame: pd.DataFrame | None, *, start: str) -> dict:
    """Compute spot vs contract price ($ per H100-equivalent hour)."""
    frame, x = _frame_x(frame, start)
    series = _frame_series(
        frame,
        [
            ("spot", ["compute_spot_price"], {}),
            ("contract", ["compute_contract_price"], {"lineStyle": {"type": "dashed"}}),
        ],
    )
    return _line("Compute price: spot vs contract", x, series, "$/H100e-hour")


def chip_price_option(frame: pd.DataFrame | None, *, start: str) -> dict:
    """Chip price paid and the chips' value to their buyers ($ per H100-equivalent unit)."""
    frame, x = _frame_x(frame, start)
    series = _frame_series(
        frame,
        [
            ("price paid", ["chip_price"], {}),
            ("value to buyers", ["chip_value"], {"lineStyle": {"type": "dashed"}}),
        ],
    )
    return _line("Chip price", x, series, "$ per H100e")


def capacity_option(frame: pd.DataFrame | None, *, start: str) -> dict:
    """Data-centre capacity built, powered and used (GW); used = powered × utilisation."""
    frame, x = _frame_x(frame, start)
    series = _frame_series(
        frame,
        [
            ("built", ["capacity_gw_built"], {}),
            ("powered", ["capacity_gw_powered"], {}),
            ("used", ["capacity_gw_used"], {}),
        ],
    )
    if not _col(frame, "capacity_gw_used") and _col(frame, "capacity_gw_powered", "utilisation"):
        if "capacity_gw_powered" in frame.columns and "utilisation" in frame.columns:
            used = frame["capacity_gw_powered"].to_numpy(float) * frame["utilisation"].to_numpy(
                float
            )
            series.append(("used", _clean(used), {}))
    return _line("Capacity", x, series, "GW", from_zero=True)


def throttled_option(frame: pd.DataFrame | None, *, start: str) -> dict:
    """Share of inference demand throttled (%)."""
    frame, x = _frame_x(frame, start)
    series = _frame_series(
        frame, [("throttled", ["throttled_share"], {"areaStyle": {"opacity": 0.25}})], scale=100.0
    )
    return _line("Throttled share of inference demand", x, series, "%", y_percent=True)


def concentration_option(
    frame: pd.DataFrame | None, threshold: float | None, *, start: str
) -> dict:
    """Cloud and chip HHI (0-10,000), with the scenario's review threshold as a line.

    ``threshold`` is the regulator's HHI review threshold of the run's scenario
    (:func:`viz.facts.hhi_review_threshold`); None draws no line.
    """
    frame, x = _frame_x(frame, start)
    series = _frame_series(
        frame, [("cloud HHI", ["cloud_hhi"], {}), ("chip HHI", ["chip_hhi"], {})]
    )
    mark = None if threshold is None else (f"review threshold {threshold:,.0f}", threshold)
    return _line("Concentration (HHI, 0-10,000)", x, series, "HHI", from_zero=True, mark=mark)


#: Display cap of the runway chart, months: a lab not burning cash (runway missing in the
#: model) or with a longer runway is drawn at this height; the data keep the true values.
RUNWAY_CAP = 120.0


def lab_runway(agents: pd.DataFrame) -> pd.DataFrame:
    """Labs' runway per month, as the model defines it: the agents table's ``runway_months``.

    That is cash over the trailing burn (:func:`agents.lab.runway_months`), missing (NaN)
    for a lab not burning cash; nothing is capped here. Returns columns ``month``, ``lab``,
    ``runway``; empty when the table has no lab rows or no ``runway_months`` column.
    """
    kind = _col(agents, "kind", "type", "agent_type")
    labs = agents
    if kind:
        labs = agents[agents[kind].astype(str).str.lower().str.contains("lab")]
    who = _col(labs, "name", "agent", "agent_id", "unique_id")
    if who is None or not len(labs) or "runway_months" not in labs.columns:
        return pd.DataFrame(columns=["month", "lab", "runway"])
    labs = labs.sort_values([who, "month"])
    return pd.DataFrame(
        {
            "month": labs["month"].to_numpy(),
            "lab": labs[who].astype(str).to_numpy(),
            "runway": labs["runway_months"].to_numpy(float),
        }
    )


def runway_option(
    frame: pd.DataFrame | None,
    agents: pd.DataFrame | None,
    max_lines: int = 8,
    *,
    start: str,
) -> dict:
    """Labs' cash runway (months): one line per lab, or median and quartiles when many.

    The model's runway (:func:`lab_runway`); for display only, a lab not burning cash or
    with more than :data:`RUNWAY_CAP` months is drawn at the cap, as the title says.
    """
    frame, x = _frame_x(frame, start)
    series: list[tuple[str, list[float | None], dict[str, Any]]] = []
    if agents is not None and len(agents) and "month" in agents.columns:
        runway = lab_runway(agents)
        # display only: not burning (missing) or beyond the cap is drawn at the cap
        runway["runway"] = runway["runway"].fillna(RUNWAY_CAP).clip(upper=RUNWAY_CAP)
        months = frame["month"].to_numpy() if "month" in frame.columns else np.arange(len(x))
        wide = runway.pivot_table(index="month", columns="lab", values="runway", aggfunc="mean")
        wide = wide.reindex(months)
        if wide.shape[1] <= max_lines:
            for name in wide.columns:
                series.append((str(name), _clean(wide[name].to_numpy()), {}))
        elif wide.shape[1]:
            q = wide.quantile([0.25, 0.5, 0.75], axis=1).T
            series.append(("median lab", _clean(q[0.5].to_numpy()), {}))
            for p, label in ((0.25, "25th pct"), (0.75, "75th pct")):
                series.append((label, _clean(q[p].to_numpy()), {"lineStyle": {"type": "dotted"}}))
    title = f"Labs' cash runway (drawn at {RUNWAY_CAP:.0f}: not burning cash or longer)"
    return _line(title, x, series, "months")


def deals_option(
    frame: pd.DataFrame | None,
    deals: pd.DataFrame | None,
    *,
    start: str,
    possible: bool = True,
) -> dict:
    """Each deal's cumulative investment (solid) vs cloud revenue from the lab (dashed), $B.

    ``possible`` is False when the scenario can make no deal
    (:func:`viz.facts.deals_possible`): the empty chart then says so.
    """
    frame, x = _frame_x(frame, start)
    series: list[tuple[str, list[float | None], dict[str, Any]]] = []
    inv = _col(deals, "invested_usd", "investment_cum", "investment", "invested")
    rev = _col(deals, "cloud_revenue_usd", "cloud_revenue_cum", "cloud_revenue", "revenue")
    who = _col(deals, "deal", "deal_id", "name")
    if deals is not None and len(deals) and {"investor", "lab"} <= set(deals.columns):
        pair = deals["investor"].astype(str) + " → " + deals["lab"].astype(str)
        if who is not None:  # one series per deal: two deals of one pair are told apart
            shared = deals[who].groupby(pair).transform("nunique") > 1
            pair = pair.where(~shared, pair + " (deal " + deals[who].astype(str) + ")")
        deals = deals.assign(_name=pair)
        who = "_name"
    if deals is not None and len(deals) and inv and rev and who and "month" in deals.columns:
        months = frame["month"].to_numpy() if "month" in frame.columns else np.arange(len(x))
        for name, rows in deals.groupby(who, sort=True):
            rows = rows.groupby("month")[[inv, rev]].last().reindex(months)
            series.append((f"{name}: invested", _clean(rows[inv].to_numpy() / 1e9), {}))
            series.append(
                (
                    f"{name}: cloud revenue",
                    _clean(rows[rev].to_numpy() / 1e9),
                    {"lineStyle": {"type": "dashed"}},
                )
            )
    empty = "no deal so far" if len(x) else "no data yet"
    if not possible:
        empty = "no deal in this scenario"
    return _line(
        "Deals: cumulative investment vs cloud revenue", x, series, "$B, cumulative", empty=empty
    )


#: Chart name -> builder of its ECharts option from a run (see viz.components for the page).
CHARTS = {
    "power_price": lambda run: power_price_option(run.frame, run.table("regions"), start=run.start),
    "capacity_price": lambda run: capacity_price_option(
        run.frame, run.table("regions"), capacity_price_cap(run.config), start=run.start
    ),
    "compute_price": lambda run: compute_price_option(run.frame, start=run.start),
    "chip_price": lambda run: chip_price_option(run.frame, start=run.start),
    "capacity": lambda run: capacity_option(run.frame, start=run.start),
    "throttled": lambda run: throttled_option(run.frame, start=run.start),
    "concentration": lambda run: concentration_option(
        run.frame, run.hhi_threshold, start=run.start
    ),
    "runway": lambda run: runway_option(run.frame, run.table("agents"), start=run.start),
    "deals": lambda run: deals_option(
        run.frame, run.table("deals"), start=run.start, possible=deals_possible(run.config)
    ),
}
