"""Solara components of the page: status and download, the trade network, the charts.

Each component takes the :class:`viz.session.VizRun` on screen and reads Mesa's
``update_counter``, so a Step (or Play) re-renders it with the new month. Charts are ECharts
figures (drawn by the browser from an option dict, see :mod:`viz.charts`).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from html import escape
from typing import Any

import solara
from mesa.visualization.utils import update_counter

from viz.charts import CHARTS
from viz.controls import APPLIES_ON_RESET, PARAMS, pending_changes, scenario_label
from viz.facts import lever_applies, listed_deals
from viz.layout import compute_layout
from viz.network_chart import network_option
from viz.session import VizRun

__all__ = [
    "CHART_COMPONENTS",
    "CapacityChart",
    "CapacityPriceChart",
    "ChipPriceChart",
    "ComputePriceChart",
    "ConcentrationChart",
    "DealsChart",
    "NetworkView",
    "PowerPriceChart",
    "RunwayChart",
    "StatusPanel",
    "ThrottledChart",
    "data_zip",
    "frame_csv",
    "status_html",
]

#: Heights that fit a grid cell (10 rows for a chart, 13 for the network).
_CHART_STYLE = {"style": "height: 360px; width: 100%;"}
_NETWORK_STYLE = {"style": "height: 470px; width: 100%;"}
_TALL_STYLE = {"style": "height: 500px; width: 100%;"}
#: The status card fills its grid cell (scrolling only if the cell is made smaller than
#: the downloads); its rows scroll inside it and the downloads stay at its foot.
_STATUS_STYLE = {
    "padding": "8px",
    "height": "100%",
    "overflow-y": "auto",
    "box-sizing": "border-box",
}
_STATUS_ROWS_STYLE = {"flex": "1 1 auto", "min-height": "0", "overflow-y": "auto"}


def frame_csv(run: VizRun) -> bytes:
    """The model frame so far as CSV bytes (one row per month)."""
    return run.frame.to_csv(index=False).encode()


def data_zip(run: VizRun) -> bytes:
    """Every table so far as CSV files in one zip: ``model_frame.csv`` plus ``<table>.csv``.

    Also writes ``run.txt`` with the scenario, seed, lever overrides and switched deals, so
    the download says which run it came from.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model_frame.csv", run.frame.to_csv(index=False))
        for name, table in run.tables.items():
            zf.writestr(f"{name}.csv", table.to_csv(index=False))
        lines = [
            f"scenario: {run.scenario_name}",
            f"seed: {run.seed}",
            f"months simulated: {run.month}",
            *(f"override {path} = {value:g}" for path, value in sorted(run.overrides.items())),
            *(f"override {key} = {str(on).lower()}" for key, on in sorted(run.switches.items())),
        ]
        zf.writestr("run.txt", "\n".join(lines) + "\n")
    return buf.getvalue()


def status_html(run: VizRun, pending: dict[str, str] | None = None) -> str:
    """The status card as HTML: month counter, scenario, seed, the levers in effect and the
    listed deals (``other_deals``), each on or off.

    ``pending`` (:func:`viz.controls.pending_changes`) lists what the sidebar would change
    on Reset; each such row shows its new value, marked "applies on Reset" (a listed deal of
    a scenario not on screen gets a row of its own). Levers the scenario does not use (the
    deal's, without a deal) are listed as "not in this scenario". Plain HTML (not
    ``solara.Markdown``, which fetches KaTeX from a CDN at run time).
    """
    pending = dict(pending or {})
    levers = run.backend.levers()
    values = run.lever_values()

    def after(label: str) -> str:
        if label not in pending:
            return ""
        return (
            f"<span class='gigawatt-pending' style='color:#b35900'>→ {escape(pending.pop(label))}"
            f", {APPLIES_ON_RESET}</span>"
        )

    def row(label: str, value: str, mark: str) -> str:
        return (
            f"<tr><td>{escape(label)}</td><td style='text-align:right'>{value}</td>"
            f"<td>{mark}</td><td>{after(label)}</td></tr>"
        )

    rows = []
    for path, spec in levers.items():
        if lever_applies(run.config, path):
            value = escape(spec.format(values[path]))
            mark = "moved" if path in run.overrides else ""
        else:
            value, mark = "<i style='color:#888'>not in this scenario</i>", ""
        rows.append(row(spec.label, value, mark))
    deals = [
        row(d.label, "on" if d.enabled else "off", "switched" if d.key in run.switches else "")
        for d in listed_deals(run.config)
    ]
    scenario = escape(scenario_label(run.scenario_name))
    head = (
        f"<p>Scenario <b class='gigawatt-scenario'>{scenario}</b> {after('Scenario')}, "
        f"seed <b>{run.seed}</b> {after('Seed')}, horizon {run.horizon} months"
        + (f", scale mode: +{run.scale_agents:,} small agents" if run.scale_agents else "")
        + f" {after('Scale mode')}</p>"
    )
    # left in ``pending``: deals of the scenario chosen for Reset that this run does not list
    not_in_run = "<i style='color:#888'>not in this run</i>"
    deals += [row(label, not_in_run, "") for label in list(pending)]
    if deals:
        rows.append("<tr><th style='text-align:left'>listed deal</th></tr>")
        rows += deals
    return (
        f"<h3 class='gigawatt-month'>Month {run.month} · {run.date_label}</h3>"
        f"{head}"
        "<table class='gigawatt-levers' style='font-size:13px'>"
        "<tr><th style='text-align:left'>lever in effect</th><th>value</th><th></th>"
        "<th></th></tr>"
        f"{''.join(rows)}</table>"
    )


@solara.component
def StatusPanel(run: VizRun):
    """Month counter, the run's scenario and seed, levers and listed deals in effect, and the
    downloads; the card keeps to its grid cell, its rows scrolling when they need more room."""
    update_counter.get()
    params = solara.use_context(PARAMS)
    pending = pending_changes(run, params.value) if params is not None else {}
    # the rows (levers, pending changes, listed deals) vary with the scenario and the
    # sidebar: they scroll inside the card, which never draws over the cell below it
    with solara.Column(gap="4px", style=_STATUS_STYLE, classes=["gigawatt-status"]) as main:
        solara.Title(f"Gigawatt · {scenario_label(run.scenario_name)} · month {run.month}")
        solara.HTML(
            tag="div",
            unsafe_innerHTML=status_html(run, pending),
            classes=["gigawatt-status-rows"],
            style=_STATUS_ROWS_STYLE,
        )
        name = scenario_label(run.scenario_name).removeprefix("file: ").removesuffix(".toml")
        stem = f"gigawatt-{name}-seed{run.seed}-m{run.month}"
        solara.FileDownload(
            lambda: frame_csv(run),
            filename=f"{stem}.csv",
            label="Download model frame (CSV)",
            mime_type="text/csv",
        )
        solara.FileDownload(
            lambda: data_zip(run),
            filename=f"{stem}.zip",
            label="Download all tables (zip of CSV)",
            mime_type="application/zip",
        )
    return main


@solara.component
def NetworkView(run: VizRun):
    """The trade network, laid out once per run (seeded); size by cash or capacity."""
    update_counter.get()
    measure, set_measure = solara.use_state("cash")
    layout = solara.use_memo(
        lambda: compute_layout(run.graph, seed=run.seed, sizes=run.node_values("cash")), [run]
    )
    option = network_option(
        run.graph, layout, measure, month_label=run.date_label, values=run.node_values(measure)
    )
    with solara.Column(gap="0px") as main:
        with solara.Row(gap="8px", style={"align-items": "center"}):
            solara.Text("Node size:", style={"font-size": "13px"})
            solara.ToggleButtonsSingle(
                value=measure, values=["cash", "capacity"], on_value=set_measure, dense=True
            )
        solara.FigureEcharts(option=option, attributes=_NETWORK_STYLE, responsive=True)
    return main


def _chart(name: str, run: VizRun, style: dict[str, str] = _CHART_STYLE):
    update_counter.get()
    return solara.FigureEcharts(option=CHARTS[name](run), attributes=style, responsive=True)


@solara.component
def PowerPriceChart(run: VizRun):
    """Power (energy) price per region ($/MWh)."""
    return _chart("power_price", run)


@solara.component
def CapacityPriceChart(run: VizRun):
    """Capacity price per region ($/MW-day), with the scenario's cap."""
    return _chart("capacity_price", run)


@solara.component
def ComputePriceChart(run: VizRun):
    """Compute spot vs contract price ($/H100e-hour)."""
    return _chart("compute_price", run)


@solara.component
def ChipPriceChart(run: VizRun):
    """Chip price ($ per H100-equivalent)."""
    return _chart("chip_price", run)


@solara.component
def CapacityChart(run: VizRun):
    """Capacity built, powered and used (GW); drawn tall, as the first chart of its tab."""
    return _chart("capacity", run, _TALL_STYLE)


@solara.component
def ThrottledChart(run: VizRun):
    """Throttled share of inference demand (%)."""
    return _chart("throttled", run)


@solara.component
def ConcentrationChart(run: VizRun):
    """Cloud and chip HHI with the review threshold."""
    return _chart("concentration", run)


@solara.component
def RunwayChart(run: VizRun):
    """Labs' cash runway (months)."""
    return _chart("runway", run)


@solara.component
def DealsChart(run: VizRun):
    """Each deal's cumulative investment vs cloud revenue ($B); tall, first of its tab."""
    return _chart("deals", run, _TALL_STYLE)


#: Chart name -> component, in the order of :data:`viz.charts.CHARTS`.
CHART_COMPONENTS: dict[str, Callable[..., Any]] = {
    "power_price": PowerPriceChart,
    "capacity_price": CapacityPriceChart,
    "compute_price": ComputePriceChart,
    "chip_price": ChipPriceChart,
    "capacity": CapacityChart,
    "throttled": ThrottledChart,
    "concentration": ConcentrationChart,
    "runway": RunwayChart,
    "deals": DealsChart,
}
