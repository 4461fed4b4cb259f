"""Figures of sweep analysis and scenario comparison (matplotlib, without ``pyplot``).

Fan charts show a monthly output across replicates: the median line and the band between
the 5th and 95th percentiles at each month (``numpy.nanpercentile``, linear
interpolation), the usual way to show the spread of stochastic simulation paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from experiments.paths import save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "FAN_QUANTILES",
    "fan",
    "fan_chart",
    "figure",
    "keep_in_bounds",
    "line_colors",
    "plot_means",
    "plot_series",
]

FAN_QUANTILES = (5.0, 50.0, 95.0)
"""Percentiles of a fan chart: lower band edge, median line, upper band edge."""


def figure(figsize: tuple[float, float], *, layout: str | None = None) -> Figure:
    """A new figure, not registered with ``pyplot``.

    Made as matplotlib advises for a library ("Embedding in a web application server"):
    drawing it neither switches the caller's backend nor touches the caller's ``pyplot``
    figures, and ``savefig`` renders it with Agg. matplotlib is imported here, with the
    first figure, not with the package.
    """
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout=layout)


def line_colors() -> tuple[Any, ...]:
    """Line colours of the panels (matplotlib's ``tab10``); line ``i`` gets ``[i % 10]``."""
    import matplotlib

    return tuple(matplotlib.colormaps["tab10"].colors)


def fan(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column (month) of a runs x months array: 5th percentile, median, 95th.

    Columns with no finite value give NaN (no warning).
    """
    v = np.asarray(values, float)
    out = np.full((3, v.shape[1]), np.nan)
    ok = np.isfinite(v).any(axis=0)
    if ok.any():
        out[:, ok] = np.nanpercentile(v[:, ok], FAN_QUANTILES, axis=0)
    return out[0], out[1], out[2]


def fan_chart(ax: Any, months: np.ndarray, values: np.ndarray, label: str, color: Any) -> None:
    """Draw the median of ``values`` (runs x months) and its 5-95% band on ``ax``."""
    lo, mid, hi = fan(values)
    n = values.shape[0]
    ax.fill_between(months, lo, hi, color=color, alpha=0.2, lw=0)
    ax.plot(months, mid, color=color, lw=1.6, label=f"{label} (n={n})")


def _title(text: str, width: int = 38) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _axis(name: str, column: str | None = None) -> str:
    from experiments.sweeps.units import label

    return _title(label(name, column), 34)


def keep_in_bounds(ax: Any, name: str, column: str | None = None) -> None:
    """Cut ``ax``'s y range to the interval output ``name`` (of ``column``) cannot leave
    (a share to [0, 1]), so that a share that is 0 in every run is drawn at the bottom, not
    mid-axis."""
    from experiments.sweeps.units import bounds_of

    bounds = bounds_of(name, column)
    if bounds is None:
        return
    low, high = ax.get_ylim()
    ax.set_ylim(max(low, bounds[0]), min(high, bounds[1]))


def plot_means(
    table: pd.DataFrame, params: list[str], path: Path, columns: dict[str, str] | None = None
) -> None:
    """Per-point means with their intervals: one row of panels per output (``columns``:
    the column of each output the spec names itself, for its unit and bounds).

    With parameters, one panel per parameter: x is the parameter's value (a numeric
    axis), y the output; with two parameters one line per level of the other (up to 8),
    otherwise the mean over the other parameters' points. Without parameters
    (``scenarios`` designs), one panel per output with a point per scenario.
    """
    outs = list(dict.fromkeys(table["output"]))
    ncol = max(1, len(params))
    fig = figure((4.8 * ncol, 3.3 * len(outs)), layout="constrained")
    axes = fig.subplots(len(outs), ncol, squeeze=False)
    colors = line_colors()
    for row, out in enumerate(outs):
        t = table[table["output"] == out]
        column = (columns or {}).get(out)
        if not np.isfinite(t["mean"].to_numpy(float)).any():
            for ax in axes[row]:
                ax.text(
                    0.5, 0.5, f"{out}: no value in any run", ha="center", transform=ax.transAxes
                )
        if not params:
            ax = axes[row, 0]
            x = np.arange(len(t))
            err = np.vstack([t["mean"] - t["ci_low"], t["ci_high"] - t["mean"]])
            ax.errorbar(x, t["mean"], yerr=np.nan_to_num(err), fmt="o", capsize=4)
            ax.set_xticks(x, t["scenario"], rotation=20, ha="right", fontsize=8)
            ax.set_ylabel(_axis(out, column), fontsize=9)
            ax.set_title(_title(f"{out}: mean and 95% CI"), fontsize=10)
            ax.grid(alpha=0.3)
            keep_in_bounds(ax, out, column)
            continue
        for j, par in enumerate(params):
            ax = axes[row, j]
            others = [p for p in params if p != par]
            other = others[0] if len(others) == 1 else None
            if other is not None and t[other].nunique() <= 8:
                groups = list(t.groupby(other, sort=True))
                span = float(np.ptp(t[par].to_numpy(float))) or 1.0
                for g, (level, part) in enumerate(groups):
                    part = part.sort_values(par)
                    shift = (g - (len(groups) - 1) / 2) * 0.012 * span  # keep bars apart
                    err = np.vstack([part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]])
                    ax.errorbar(
                        part[par].to_numpy(float) + shift, part["mean"], yerr=np.nan_to_num(err),
                        fmt="-o", ms=4, capsize=3, color=colors[g % 10], label=f"{level:g}",
                    )  # fmt: skip
                ax.legend(title=_title(other, 30), fontsize=7, title_fontsize=7, loc="best")
            else:
                m = t.groupby(par, sort=True)["mean"].mean()
                ax.plot(m.index.to_numpy(float), m.to_numpy(), "-o", ms=4)
                if others:
                    ax.text(
                        0.02, 0.95, "mean over the other parameters", transform=ax.transAxes,
                        fontsize=7, va="top",
                    )  # fmt: skip
                else:
                    err = np.vstack([t["mean"] - t["ci_low"], t["ci_high"] - t["mean"]])
                    ax.errorbar(t[par], t["mean"], yerr=np.nan_to_num(err), fmt="none", capsize=3)
            ax.set_xlabel(_axis(par), fontsize=9)
            ax.set_ylabel(_axis(out, column), fontsize=9)
            ax.set_title(_title(f"{out} by {par}"), fontsize=10)
            ax.grid(alpha=0.3)
            keep_in_bounds(ax, out, column)
    fig.suptitle("Mean over replicates with 95% intervals", fontsize=11)
    save_figure(fig, path, dpi=110)


def _short(path: str) -> str:
    return path.rpartition(".")[2]


def plot_series(
    long: pd.DataFrame,
    names: list[str],
    params: list[str],
    path: Path,
    *,
    columns: dict[str, str] | None = None,
    max_lines: int = 8,
) -> str:
    """Fan charts of monthly outputs: median over replicates and the 5-95% band.

    One row of panels per output. With two or more parameters whose first has at most 6
    levels, one panel per level of the first and one line per combination of the others;
    otherwise one line per design point (or scenario) if there are at most ``max_lines``,
    else per level of the first parameter with few enough levels (the other points
    pooled), else all runs pooled. ``columns`` maps output names to model-frame columns
    (for units). Returns what a line stands for.
    """
    columns = columns or {}
    panel: str | None = None
    lines: list[str]
    if (
        len(params) >= 2
        and long[params[0]].nunique() <= 6
        and len(long.drop_duplicates(params[1:])) <= max_lines
    ):
        panel, lines = params[0], params[1:]
        what = f"level of {lines[0]}" if len(lines) == 1 else "combination of " + ", ".join(lines)
    elif long["point_id"].nunique() <= max_lines:
        lines, what = (params, "design point") if params else (["scenario"], "scenario")
    else:
        pick = [p for p in params if long[p].nunique() <= max_lines]
        lines, what = (pick[:1], f"level of {pick[0]}") if pick else ([], "all runs")
    levels = sorted(long[panel].unique()) if panel else [None]
    fig = figure((4.4 * len(levels) + 1.5, 3.2 * len(names)), layout="constrained")
    axes = fig.subplots(len(names), len(levels), squeeze=False, sharey="row")
    colors = line_colors()
    for row, name in enumerate(names):
        for col, level in enumerate(levels):
            ax = axes[row, col]
            part = long if panel is None else long[long[panel] == level]
            groups = list(part.groupby(lines, sort=True)) if lines else [((), part)]
            for g, (key, grp) in enumerate(groups):
                key = key if isinstance(key, tuple) else (key,)
                text = (
                    ", ".join(
                        f"{_short(k)}={v:g}" if not isinstance(v, str) else str(v)
                        for k, v in zip(lines, key, strict=True)
                    )
                    or "all runs"
                )
                wide = grp.pivot_table(index="run_id", columns="month", values=name, dropna=False)
                fan_chart(ax, wide.columns.to_numpy(), wide.to_numpy(float), text, colors[g % 10])
            title = name if panel is None else f"{name}\n{_short(panel)} = {level:g}"
            ax.set_title(title, fontsize=9)
            ax.set_xlabel("month", fontsize=9)
            if col == 0:
                ax.set_ylabel(_axis(columns.get(name, name)), fontsize=9)
            ax.grid(alpha=0.3)
        # once the row's panels are drawn: they share the y axis, which a limit set on the
        # first would freeze before the others' lines are in it
        keep_in_bounds(axes[row, 0], columns.get(name, name))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(3, len(labels)), fontsize=8)
    over = "all runs, design points pooled" if what == "all runs" else f"replicates, per {what}"
    fig.suptitle(f"Median and 5-95% band over {over}", fontsize=11)
    save_figure(fig, path, dpi=110)
    return what
