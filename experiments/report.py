"""Report figures of one run (matplotlib): the PNG files ``gigawatt run`` writes.

Figures: prices, capacity, concentration, throttling, deal cash flows, each built from a run's
``model_frame`` and ``tables`` (see :func:`experiments.runner.run_scenario`). Every figure is
meant to be trusted at a glance:

- its title names the scenario, the seed and the months covered (also written into the PNG's
  ``Title`` and ``Source`` text fields);
- every axis is labelled with its unit; counts get integer axes that start at 0;
- values within floating-point noise of zero are drawn as zero (:func:`denoise`), so a
  rounding residue of 1e-16 is not drawn as an event;
- a short run (even one month) gets a time axis of a few months around it, not years;
- what does not exist is not drawn: without a deal the deals figure is one note saying so;
- a panel draws at most :data:`MAX_SERIES` labs or regions (the largest, its legend says
  so), so that every line keeps a style of its own and the legend stays inside the figure.

Figures are :class:`matplotlib.figure.Figure` objects made without ``pyplot`` (matplotlib's
way for a library, "Embedding in a web application server"): drawing them neither switches
the caller's backend nor adds to, closes or makes current any of the caller's ``pyplot``
figures, so a notebook keeps showing its own plots. In a notebook a returned figure shows
as the cell's value.

Files are written atomically (:func:`experiments.paths.save_figure`: a temporary file in
the same folder, fsync, then ``os.replace``) and get the mode of a normally created file
(``0o644`` under the usual umask 022; :func:`experiments.paths.new_file_mode`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from agents.columns import REGION_LOAD_COLUMNS
from experiments.paths import save_figure

__all__ = [
    "FIGURES",
    "MAX_SERIES",
    "NOISE_RTOL",
    "ReportInfo",
    "capacity_figure",
    "concentration_figure",
    "deals_figure",
    "deals_possible",
    "denoise",
    "hhi_threshold",
    "prices_figure",
    "report_info",
    "throttling_figure",
    "write_report",
]

#: Relative tolerance under which a value is floating-point noise and drawn as 0: a value
#: whose magnitude is at most ``NOISE_RTOL`` times the quantity's scale (its largest
#: magnitude, and at least its natural unit, e.g. 1 for a share). Double precision carries
#: about 16 digits (machine epsilon 2.2e-16); sums and the market clearing's linear algebra
#: lose a few of them, so residues stay far below 1e-9 of the scale while any real effect in
#: these series is far above it.
NOISE_RTOL = 1e-9
#: Line markers, in drawing order; with distinct colours, two lines never look alike.
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]
MAX_SERIES = 8
"""Most labs (or regions) one panel draws. With the panel's total line they take 9 of the
10 colours and markers, so no two look alike, and their legend fits. A run with more draws
the largest (labs by inference need, regions by electricity used, over the run) and says so
in the legend's title; the tables hold every row."""


@dataclass(frozen=True)
class ReportInfo:
    """What every figure's title says: scenario, seed, months covered, review threshold."""

    scenario: str
    seed: int | None
    first: str
    last: str
    months: int
    hhi_threshold: float | None
    #: Whether the scenario can make a deal (the headline deal, other_deals, strategic deals).
    deals_possible: bool = True

    @property
    def caption(self) -> str:
        """``scenario baseline · seed 7 · 2026-01 to 2035-12 (120 months)``."""
        seed = "no seed" if self.seed is None else f"seed {self.seed}"
        span = self.first if self.months == 1 else f"{self.first} to {self.last}"
        unit = "month" if self.months == 1 else "months"
        return f"scenario {self.scenario} · {seed} · {span} ({self.months} {unit})"


def _scenario_name(scenario: Any) -> str:
    """The scenario's name (its ``name`` field), or "unnamed" when no scenario is given."""
    return str(getattr(scenario, "name", None) or "unnamed")


def _attribute(obj: Any, path: str, default: Any) -> Any:
    """The value at a dotted ``path`` of ``obj``, attribute by attribute; ``default`` if absent."""
    for part in path.split("."):
        if not hasattr(obj, part):
            return default
        obj = getattr(obj, part)
    return obj


def hhi_threshold(scenario: Any, read: Callable[[Any, str, Any], Any] = _attribute) -> float | None:
    """The regulator's HHI review threshold of the scenario (``regulation.hhi_threshold``),
    None if unset; ``read`` as :func:`deals_possible`'s."""
    value = read(scenario, "regulation.hhi_threshold", None)
    return None if value is None else float(value)


def deals_possible(scenario: Any, read: Callable[[Any, str, Any], Any] = _attribute) -> bool:
    """Whether the scenario can make a deal: ``deal.enabled``, an enabled one of
    ``other_deals``, or ``capital.strategic_deals``.

    Parameters
    ----------
    scenario
        An ``agents.scenario.Scenario``, or any object with those settings.
    read
        ``read(obj, dotted_path, default)``, how a setting is read; attribute by attribute
        unless given (the browser app passes ``viz.facts.read_path``, which also reads
        mappings).
    """
    deal = bool(read(scenario, "deal.enabled", False))
    others = read(scenario, "other_deals", ()) or ()
    listed = any(read(d, "enabled", True) for d in others)
    strategic = bool(read(scenario, "capital.strategic_deals", False))
    return deal or listed or strategic


def report_info(frame: pd.DataFrame, scenario: Any = None, seed: int | None = None) -> ReportInfo:
    """The caption facts of a run: from the scenario object and the frame's ``date`` column.

    Without a scenario a deal counts as possible (:func:`deals_possible`).
    """
    dates = _x(frame).dt.strftime("%Y-%m").tolist() if "date" in frame and len(frame) else ["?"]
    return ReportInfo(
        scenario=_scenario_name(scenario),
        seed=seed,
        first=dates[0],
        last=dates[-1],
        months=len(frame),
        hhi_threshold=hhi_threshold(scenario),
        deals_possible=scenario is None or deals_possible(scenario),
    )


def denoise(values: Any, unit: float = 0.0) -> np.ndarray:
    """Values with floating-point noise around zero set to exactly 0.

    A value is noise when ``|v| <= NOISE_RTOL * max(max|values|, unit)``; ``unit`` is the
    quantity's natural scale (1 for a share), so a series that is all noise becomes all
    zeros. NaN stays NaN.
    """
    arr = np.asarray(values, dtype=float).copy()
    finite = np.isfinite(arr)
    top = float(np.max(np.abs(arr[finite]))) if finite.any() else 0.0
    arr[finite & (np.abs(arr) <= NOISE_RTOL * max(top, unit))] = 0.0
    return arr


def _x(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["date"])


def _time_axis(ax: Axes, x: pd.Series) -> None:
    """Calendar x axis over the run, padded half a month; a short run spans three months.

    Matplotlib's default for a single date is two years either side, which drew a one-month
    run as blank charts over 2024-2028; the axis never starts before the run.
    """
    lo, hi = x.min(), x.max()
    hi = max(hi, lo + pd.Timedelta(days=90))
    ax.set_xlim(lo - pd.Timedelta(days=15), hi + pd.Timedelta(days=15))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.set_xlabel("month")
    ax.xaxis.set_tick_params(labelbottom=True)


def _plot(ax: Axes, x: pd.Series, y: Any, i: int, **kw: Any) -> None:
    """Line ``i`` of a panel: colour ``C<i>`` and marker ``i``, markers about 12 per line."""
    n = len(x)
    kw.setdefault("color", f"C{i % 10}")
    ax.plot(x, y, marker=MARKERS[i % len(MARKERS)], markevery=max(1, n // 12), ms=4, **kw)


def _largest(
    table: pd.DataFrame, key: str, weight: pd.Series, what: str
) -> tuple[pd.DataFrame, str | None]:
    """The rows of the :data:`MAX_SERIES` ``key`` values of largest total ``weight`` (ties:
    the first by name), and a legend title naming what was left out (None if nothing)."""
    names = table[key].nunique()
    if names <= MAX_SERIES:
        return table, None
    total = weight.groupby(table[key]).sum().sort_values(ascending=False, kind="stable")
    kept = table[table[key].isin(total.index[:MAX_SERIES])]
    return kept, f"the {MAX_SERIES} of {names} {what}"


def _count_axis(ax: Axes, values: Any, label: str) -> None:
    """An integer y axis from 0 to just above the largest count."""
    top = float(np.nanmax(values)) if len(values) else 0.0
    ax.set_ylim(0, max(top, 1.0) * 1.15 + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(label)


def _figure(n_panels: int) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(8, 3.0 * n_panels + 0.6))
    axes = fig.subplots(n_panels, 1, sharex=True)
    return fig, list(np.atleast_1d(axes))


def _finish(fig: Figure, title: str, info: ReportInfo) -> Figure:
    fig.suptitle(f"{title}\n{info.caption}", fontsize=11)
    fig.tight_layout()
    return fig


def prices_figure(frame: pd.DataFrame, tables: dict[str, pd.DataFrame], info: ReportInfo) -> Figure:
    """Compute (spot, contract), power per region and chip prices over time."""
    fig, axes = _figure(3)
    x = _x(frame)
    _plot(axes[0], x, frame["compute_spot_price"], 0, label="spot")
    _plot(axes[0], x, frame["compute_contract_price"], 1, label="contracts", ls="--")
    axes[0].set_ylabel("$ per H100e-hour")
    axes[0].legend(fontsize=8)
    axes[0].set_title("Compute")
    _plot(axes[1], x, frame["power_price"], 0, label="load-weighted mean", lw=2)
    reg = tables.get("regions")
    if reg is not None and len(reg):
        dates = dict(zip(frame["month"], x, strict=True))
        load = reg[[c for c in REGION_LOAD_COLUMNS if c in reg]].sum(axis=1)
        reg, left_out = _largest(reg, "region", load, "regions using the most power")
        for i, (name, g) in enumerate(reg.groupby("region"), start=1):
            g = g[g["month"].isin(dates)]
            _plot(axes[1], g["month"].map(dates), g["power_price"], i, lw=0.9, label=str(name))
    else:
        left_out = None
    axes[1].set_ylabel("$ per MWh")
    axes[1].legend(fontsize=7, ncol=3, title=left_out, title_fontsize=7)
    axes[1].set_title("Power (wholesale)")
    _plot(axes[2], x, frame["chip_price"] / 1e3, 0)
    axes[2].set_ylabel("$ thousand per H100e")
    axes[2].set_title("Chips")
    _time_axis(axes[2], x)
    return _finish(fig, "Prices", info)


def capacity_figure(
    frame: pd.DataFrame, tables: dict[str, pd.DataFrame], info: ReportInfo
) -> Figure:
    """Data-centre GW built and powered; utilisation and data centres' share of power, %."""
    fig, axes = _figure(2)
    x = _x(frame)
    _plot(axes[0], x, frame["capacity_gw_built"], 0, label="built")
    _plot(axes[0], x, frame["capacity_gw_powered"], 1, label="powered", ls="--")
    axes[0].set_ylabel("GW of IT load")
    axes[0].set_ylim(bottom=0)
    axes[0].legend(fontsize=8)
    axes[0].set_title("Data-centre capacity")
    _plot(axes[1], x, 100 * denoise(frame["utilisation"], 1.0), 0, label="utilisation")
    axes[1].set_ylim(0, 105)
    axes[1].set_ylabel("% utilisation")
    # the power share on its own scale (right): a few percent would lie flat on 0-105%
    right = axes[1].twinx()
    share = 100 * denoise(frame["dc_power_share"], 1.0)
    _plot(right, x, share, 1, label="AI data centres' share of power demand (right)")
    right.set_ylim(0, max(1.0, 1.15 * float(np.nanmax(share, initial=0.0))))
    right.set_ylabel("% of power demand")
    lines = axes[1].get_lines() + right.get_lines()
    axes[1].legend(lines, [ln.get_label() for ln in lines], fontsize=8, loc="lower right")
    axes[1].set_title("Utilisation and power share")
    _time_axis(axes[1], x)
    return _finish(fig, "Capacity", info)


def concentration_figure(
    frame: pd.DataFrame, tables: dict[str, pd.DataFrame], info: ReportInfo
) -> Figure:
    """Cloud and chip HHI with the scenario's review threshold, and the lock-in index."""
    fig, axes = _figure(2)
    x = _x(frame)
    _plot(axes[0], x, frame["cloud_hhi"], 0, label="cloud HHI")
    _plot(axes[0], x, frame["ai_compute_hhi"], 1, label="AI compute HHI")
    _plot(axes[0], x, frame["chip_hhi"], 2, label="chip HHI")
    if info.hhi_threshold is not None:
        axes[0].axhline(
            info.hhi_threshold,
            color="grey",
            ls=":",
            label=f"review threshold {info.hhi_threshold:,.0f} (this scenario)",
        )
    axes[0].set_ylim(0, 10_000)
    axes[0].set_ylabel("HHI (0-10,000)")
    axes[0].legend(fontsize=8)
    axes[0].set_title("Concentration")
    _plot(axes[1], x, denoise(frame["lockin_index"]), 0, color="tab:purple")
    axes[1].set_ylim(bottom=0)
    axes[1].set_ylabel("switching cost / annual spend")
    axes[1].set_title("Lock-in index")
    _time_axis(axes[1], x)
    return _finish(fig, "Concentration", info)


def throttling_figure(
    frame: pd.DataFrame, tables: dict[str, pd.DataFrame], info: ReportInfo
) -> Figure:
    """Throttled share of inference demand (%), in all and per lab, and labs active."""
    fig, axes = _figure(2)
    x = _x(frame)
    total = 100 * denoise(frame["throttled_share"], 1.0)
    _plot(axes[0], x, total, 0, lw=2, label="all buyers (labs and enterprise)")
    top = float(np.nanmax(total)) if len(total) else 0.0
    left_out = None
    ag = tables.get("agents")
    if ag is not None and len(ag) and "throttled_share" in ag:
        dates = dict(zip(frame["month"], x, strict=True))
        labs = ag[(ag["kind"] == "lab") & ag["month"].isin(dates)]
        labs, left_out = _largest(
            labs, "name", labs["inference_need"], "labs needing the most inference"
        )
        for i, (name, g) in enumerate(labs.groupby("name"), start=1):
            share = 100 * denoise(g["throttled_share"], 1.0)
            top = max(top, float(np.nanmax(share)) if len(share) else 0.0)
            _plot(axes[0], g["month"].map(dates), share, i, lw=0.8, label=str(name))
    axes[0].set_ylim(0, max(top * 1.1, 1.0))
    if top == 0.0:
        axes[0].text(
            0.5, 0.6, "no throttling in this run", ha="center", transform=axes[0].transAxes
        )
    axes[0].set_ylabel("unserved inference demand, %")
    axes[0].legend(fontsize=7, ncol=3, title=left_out, title_fontsize=7)
    axes[0].set_title("Inference demand that could not be served")
    axes[1].step(x, frame["labs_active"], where="post", color="C0")
    axes[1].plot(x, frame["labs_active"], "o", color="C0", ms=3)
    _count_axis(axes[1], frame["labs_active"].to_numpy(float), "labs active (count)")
    axes[1].set_title("Labs still operating")
    _time_axis(axes[1], x)
    return _finish(fig, "Throttling", info)


def deals_figure(frame: pd.DataFrame, tables: dict[str, pd.DataFrame], info: ReportInfo) -> Figure:
    """Each deal's cumulative investment and cloud revenue from the lab, and their ratio.

    Without a deal the figure is one note saying so (no empty axes).
    """
    deals = tables.get("deals")
    if deals is None or deals.empty:
        fig = Figure(figsize=(8, 2.4))
        ax = fig.subplots()
        ax.axis("off")
        note = (
            "No deal was made in this run." if info.deals_possible else "No deal in this scenario."
        )
        ax.text(0.5, 0.5, note, ha="center", va="center", fontsize=14)
        return _finish(fig, "Deals", info)
    fig, axes = _figure(2)
    x = _x(frame)
    dates = dict(zip(frame["month"], x, strict=True))
    # one set of lines per deal: two deals of one investor and lab are told apart by id
    pairs = deals.groupby(["investor", "lab"])["deal"].nunique()
    for k, ((deal, inv, lab), g) in enumerate(deals.groupby(["deal", "investor", "lab"])):
        g = g[g["month"].isin(dates)]
        gx = g["month"].map(dates)
        of = f" (deal {deal})" if pairs[(inv, lab)] > 1 else ""
        _plot(axes[0], gx, g["invested_usd"] / 1e9, 2 * k, label=f"{inv} invests in {lab}{of}")
        revenue = g["cloud_revenue_usd"] / 1e9
        _plot(axes[0], gx, revenue, 2 * k + 1, ls="--", label=f"{lab} spends on {inv}{of}")
        payments = g["contract_payments_usd"] / 1e9
        _plot(axes[0], gx, payments, 2 * k + 2, ls=":", label="paid under the deal's contract")
        status = g["status"].iloc[-1] if len(g) else "?"
        _plot(axes[1], gx, g["round_trip_ratio"], 2 * k, label=f"{inv}-{lab}{of}: {status}")
        _plot(
            axes[1], gx, g["payments_to_investment"], 2 * k + 1, ls=":", label="deal contract only"
        )
    axes[1].axhline(1.0, color="grey", ls=":", label="revenue = investment")
    axes[0].set_ylim(bottom=0)
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    axes[0].set_ylabel("$B, cumulative")
    axes[0].set_title("Deal cash flows (the round trip)")
    axes[1].set_ylabel("spend at investor / investment (ratio)")
    axes[1].set_ylim(bottom=0)
    _time_axis(axes[1], x)
    return _finish(fig, "Deals", info)


FIGURES: dict[str, Callable[[pd.DataFrame, dict[str, pd.DataFrame], ReportInfo], Figure]] = {
    "prices": prices_figure,
    "capacity": capacity_figure,
    "concentration": concentration_figure,
    "throttling": throttling_figure,
    "deals": deals_figure,
}
"""Report figures by file stem."""


def _save(fig: Figure, path: Path, info: ReportInfo) -> None:
    """Write ``fig`` as PNG to ``path`` atomically, with a normal file's mode."""
    title = fig.get_suptitle().replace("\n", " · ")
    save_figure(
        fig,
        path,
        dpi=110,
        format="png",
        metadata={"Title": title, "Source": f"gigawatt run: {info.caption}"},
    )


def write_report(
    frame: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    out_dir: str | Path,
    *,
    scenario: Any = None,
    seed: int | None = None,
) -> list[Path]:
    """Write every figure as ``<out_dir>/<name>.png`` (each atomically); return the paths.

    ``scenario`` (the run's :class:`agents.scenario.Scenario`) and ``seed`` go into every
    title; the scenario also gives the HHI review threshold drawn.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    info = report_info(frame, scenario, seed)
    paths = []
    for name, make in FIGURES.items():
        _save(make(frame, tables, info), out / f"{name}.png", info)
        paths.append(out / f"{name}.png")
    return paths
