"""Fan charts of a forecast, drawn from its quantile tables (matplotlib, without ``pyplot``).

One panel per key metric (:data:`experiments.forecasting.run.KEY_METRICS` that the table
has), one colour per scenario in every panel, also in a panel that lacks some scenarios
(the deal's revenue: only the deal scenarios have it) (Okabe & Ito's colour-blind-safe
palette, in the table's order of scenarios): the median line,
the 50% band (25-75%) shaded darker and the 90% band (5-95%) lighter, against the
calendar month, the usual fan chart of a probabilistic forecast (as in the Bank of
England's Inflation Report). The PNG is rendered in memory and written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from experiments.paths import atomic_write_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["OKABE_ITO", "fan_figure", "plot_fans"]

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
"""Okabe & Ito (2008), "Color Universal Design": distinguishable by colour-blind readers."""


def plot_fans(table: pd.DataFrame, path: Path, *, zero_line: bool = False) -> Path:
    """Draw the key metrics of a quantile table into ``path`` (PNG); return ``path``.

    ``table`` is :func:`experiments.forecasting.bands.quantile_table`'s output, of scenarios
    or of paired differences (then each line is "scenario - reference" and ``zero_line``
    marks no difference).
    """
    fig = fan_figure(table, zero_line=zero_line)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    atomic_write_bytes(Path(path), buf.getvalue())
    return Path(path)


def fan_figure(table: pd.DataFrame, *, zero_line: bool = False) -> Figure:
    """The figure :func:`plot_fans` writes: each scenario (or difference) keeps its colour
    in every panel."""
    from experiments.forecasting.model import DEAL_COLUMNS, metric_unit
    from experiments.forecasting.run import KEY_METRICS
    from experiments.sweeps.figures import figure

    present = set(table["metric"].unique())
    metrics = [m for m in KEY_METRICS if m in present]
    ncol = 3
    nrow = max(1, -(-len(metrics) // ncol))
    fig = figure((5.2 * ncol, 3.2 * nrow), layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False)
    keys = ["scenario", "reference"] if "reference" in table.columns else ["scenario"]
    lines = dict.fromkeys(zip(*(table[k] for k in keys), strict=True))  # in the table's order
    colour = {key: OKABE_ITO[i % len(OKABE_ITO)] for i, key in enumerate(lines)}
    for ax, metric in zip(axes.flat, metrics, strict=False):
        sub = table[table["metric"] == metric]
        for key, grp in sub.groupby(keys, sort=False):
            wide = grp.pivot(index="date", columns="quantile", values="value").sort_index()
            x = pd.to_datetime(wide.index)
            scale = 1e-9 if metric in DEAL_COLUMNS else 1.0  # dollars drawn in billions
            q = {float(c): wide[c].to_numpy(float) * scale for c in wide.columns}
            color = colour[tuple(key)]
            name = " - ".join(str(k) for k in key)
            ax.fill_between(x, q[0.05], q[0.95], color=color, alpha=0.15, lw=0)
            ax.fill_between(x, q[0.25], q[0.75], color=color, alpha=0.3, lw=0)
            ax.plot(x, q[0.5], color=color, lw=1.6, label=f"{name} (n={int(grp['n'].max())})")
        if zero_line:
            ax.axhline(0.0, color="0.4", lw=0.8, ls=":")
        unit = (
            metric_unit(metric).replace("$", "$B")
            if metric in DEAL_COLUMNS
            else metric_unit(metric)
        )
        title = f"{metric} ({unit})" if unit else metric
        ax.set_title(title if not zero_line else f"difference in {title}", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    what = "paired differences, per draw" if zero_line else "forecast"
    fig.suptitle(f"{what}: median, 50% and 90% bands over posterior draws", fontsize=11)
    return fig
