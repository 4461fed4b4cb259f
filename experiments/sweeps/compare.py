"""Scenario comparison with common random numbers.

Each scenario is run with the same ``replicates`` seeds (replicate ``r`` gets child ``r``
of ``SeedSequence(root_seed)`` in every scenario), so differences between scenarios are
paired: the difference for replicate ``r`` removes the noise the scenarios share, and its
Student-t interval over replicates is far tighter than comparing two independent means
(common random numbers, Law & Kelton, *Simulation Modeling and Analysis*, ch. 11).
The runs go through the sweep store, so an interrupted comparison resumes.

The table gives, per scenario and output, the unit, the mean with its t interval, the
paired difference to the reference ``diff`` with its t interval, and the relative
difference ``rel_diff = mean(d) / mean(ref)`` (d the paired differences, ref the
reference's values) with a 95% interval from the ratio estimator's linearised variance
``var(d - R ref) / (n mean(ref)^2)`` (Cochran, *Sampling Techniques*, 3rd ed., §6.3), on
the same pairs. ``compare_series.png`` draws each chosen model-frame output over time per
scenario: the median over replicates and the 5-95% band; ``compare.png`` the final-month
paired differences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from agents.scenario import DEFAULT_MONTHS
from experiments.paths import atomic_write_text, save_figure
from experiments.sweeps.analysis import mean_ci
from experiments.sweeps.figures import fan_chart, figure, keep_in_bounds, line_colors
from experiments.sweeps.spec import DEFAULT_MODEL, OutputSpec, SweepSpec, SweepSpecError
from experiments.sweeps.store import SweepStore
from experiments.sweeps.sweep import run_sweep
from experiments.sweeps.units import bounds_of, unit_of

__all__ = [
    "DEFAULT_COMPARE_OUTPUTS",
    "CompareResult",
    "compare_scenarios",
    "compare_table",
    "paired_relative_ci",
]

DEFAULT_COMPARE_OUTPUTS: list[str | dict[str, Any]] = [
    "compute_spot_price",
    "power_price",
    "capacity_gw_powered",
    "throttled_share",
    "cloud_hhi",
    "lockin_index",
    "labs_active",
    {"name": "round_trip_ratio", "table": "deals", "column": "round_trip_ratio", "agg": "max"},
]
"""Final-month model-frame metrics and the largest deal round-trip ratio."""

SERIES_SUFFIX = "@month"
"""Suffix of the monthly series kept for each chosen model-frame output."""


@dataclass
class CompareResult:
    """The comparison table, its figures and the sweep directory behind them."""

    table: pd.DataFrame
    store: Path
    files: list[Path] = field(default_factory=list)


def compare_spec(
    scenarios: list[str],
    *,
    replicates: int,
    months: int,
    root_seed: int = 0,
    outputs: list[str | dict[str, Any]] | None = None,
    model: str = DEFAULT_MODEL,
    overrides: dict[str, Any] | None = None,
) -> SweepSpec:
    """The sweep spec of a comparison: a ``scenarios`` design, common random numbers.

    Every chosen output is kept at the final month; model-frame outputs also as monthly
    series (named ``<output>@month``) for the over-time figure. ``overrides`` (dotted
    scenario paths) change every scenario compared, in every run (the spec's
    ``overrides``).

    Raises
    ------
    SweepSpecError
        If a scenario is given more than once (its runs would be pooled as one scenario's,
        doubling its n and narrowing its intervals), or the settings do not make a spec.
    """
    repeated = [s for s in dict.fromkeys(scenarios) if scenarios.count(s) > 1]
    if repeated:
        said = (
            f"scenario {repeated[0]!r} is given {scenarios.count(repeated[0])} times"
            if len(repeated) == 1
            else f"scenarios {', '.join(map(repr, repeated))} are each given more than once"
        )
        raise SweepSpecError(
            f"{said}: a repeated scenario's runs would be pooled as one scenario's, and its "
            "intervals come out too narrow; name each scenario once"
        )
    final = list(outputs or DEFAULT_COMPARE_OUTPUTS)
    parsed = [OutputSpec.parse(o) for o in final]
    series = [
        {"name": o.name + SERIES_SUFFIX, "column": o.column} for o in parsed if o.table == "model"
    ]
    return SweepSpec.from_dict(
        {
            "name": "compare",
            "base": scenarios[0],
            "months": months,
            "replicates": replicates,
            "root_seed": root_seed,
            "common_random_numbers": True,
            "model": model,
            "design": {"kind": "scenarios", "scenarios": list(scenarios)},
            "overrides": dict(overrides or {}),
            "outputs": {"final": final, "series": series},
        },
        source="compare",
    )


def paired_relative_ci(
    values: np.ndarray, reference: np.ndarray, conf: float = 0.95
) -> tuple[float, float, float]:
    """Relative difference ``mean(v - r) / mean(r)`` of paired samples and its interval.

    The interval is ``R ± t * sqrt(var(d - R r) / n) / |mean(r)|`` with ``d = v - r``
    (the ratio estimator's linearised variance, Cochran 1977, §6.3); NaN where the
    reference mean is 0 or fewer than two pairs are finite.
    """
    v = np.asarray(values, float)
    r = np.asarray(reference, float)
    ok = np.isfinite(v) & np.isfinite(r)
    d, r = v[ok] - r[ok], r[ok]
    n = len(d)
    if n == 0 or r.mean() == 0:
        return (np.nan, np.nan, np.nan)
    ratio = float(d.mean() / r.mean())
    if n == 1:
        return (ratio, np.nan, np.nan)
    se = float(np.std(d - ratio * r, ddof=1) / np.sqrt(n) / abs(r.mean()))
    half = float(stats.t.ppf(0.5 + conf / 2, n - 1)) * se
    return (ratio, ratio - half, ratio + half)


def compare_table(
    frame: pd.DataFrame,
    outputs: list[str],
    reference: str,
    conf: float = 0.95,
    columns: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Per scenario and output: unit, mean with CI, paired absolute and relative
    differences to ``reference`` with CIs.

    Differences pair runs by replicate (same seed); a replicate missing or NaN in either
    scenario is left out of that difference. Intervals of a scenario's mean of a bounded
    output (:data:`experiments.sweeps.units.BOUNDS`; ``columns`` maps output names to
    their columns) are clipped to its bounds, as in sweep analysis.
    """
    columns = columns or {}
    rows = []
    ref = frame[frame["scenario"] == reference].set_index("replicate")
    for scn, grp in frame.groupby("scenario", sort=False):
        g = grp.set_index("replicate")
        for out in outputs:
            m, lo, hi, n = mean_ci(g[out].to_numpy(float), conf)
            bounds = bounds_of(out, columns.get(out))
            if bounds is not None and n > 1:  # a share's interval stays inside [0, 1]
                lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
            common = g.index.intersection(ref.index)
            mine = g.loc[common, out].to_numpy(float)
            theirs = ref.loc[common, out].to_numpy(float)
            dm, dlo, dhi, dn = mean_ci(mine - theirs, conf)
            rel, rlo, rhi = paired_relative_ci(mine, theirs, conf)
            rows.append(
                {
                    "scenario": scn,
                    "output": out,
                    "unit": unit_of(out, columns.get(out)),
                    "mean": m,
                    "ci_low": lo,
                    "ci_high": hi,
                    "n": n,
                    "diff": dm,
                    "diff_ci_low": dlo,
                    "diff_ci_high": dhi,
                    "rel_diff": rel,
                    "rel_ci_low": rlo,
                    "rel_ci_high": rhi,
                    "n_pairs": dn,
                }
            )
    table = pd.DataFrame(rows)
    order = {s: i for i, s in enumerate(dict.fromkeys(frame["scenario"]))}
    table["_o"] = table["scenario"].map(order)
    table["_p"] = table["output"].map({o: i for i, o in enumerate(outputs)})
    return (
        table.sort_values(["_p", "_o"], kind="stable")
        .drop(columns=["_o", "_p"])
        .reset_index(drop=True)
    )


def _plot(table: pd.DataFrame, reference: str, path: Path) -> None:
    outs = list(dict.fromkeys(table["output"]))
    ncol = min(3, len(outs))
    nrow = int(np.ceil(len(outs) / ncol))
    fig = figure((4.6 * ncol, 3.0 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for ax, out in zip(axes.flat, outs, strict=False):
        t = table[(table["output"] == out) & (table["scenario"] != reference)]
        if t["diff"].notna().any():
            x, lo, hi = t["diff"], t["diff_ci_low"], t["diff_ci_high"]
            ax.axvline(0.0, color="grey", lw=0.8)
            ax.set_xlabel(
                f"difference to {reference}" + (f" ({unit_of(out)})" if unit_of(out) else "")
            )
        else:  # the reference has no value (e.g. no deal): show each scenario's mean
            t = table[table["output"] == out]
            x, lo, hi = t["mean"], t["ci_low"], t["ci_high"]
            ax.set_xlabel(
                f"mean, none in {reference}" + (f" ({unit_of(out)})" if unit_of(out) else "")
            )
        y = np.arange(len(t))
        if not np.isfinite(x.to_numpy(float)).any():
            ax.text(0.5, 0.5, "no value in any scenario", ha="center", transform=ax.transAxes)
        err = np.vstack([x - lo, hi - x])
        ax.errorbar(x, y, xerr=np.nan_to_num(err), fmt="o", capsize=3)
        ax.set_yticks(y, t["scenario"], fontsize=8)
        ax.set_ylim(-0.7, len(t) - 0.3)
        ax.set_title(out, fontsize=9)
    for ax in list(axes.flat)[len(outs) :]:
        ax.set_visible(False)
    fig.suptitle("Final month: paired differences (common random numbers), 95% CI", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def _plot_series(long: pd.DataFrame, names: list[str], scenarios: list[str], path: Path) -> None:
    """Each output over time: per scenario the median over replicates and its 5-95% band."""
    ncol = min(2, len(names))
    nrow = int(np.ceil(len(names) / ncol))
    fig = figure((6.0 * ncol, 3.4 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    colors = line_colors()
    for ax, name in zip(axes.flat, names, strict=False):
        col = name + SERIES_SUFFIX
        for i, scn in enumerate(scenarios):
            part = long[long["scenario"] == scn]
            if part.empty:
                continue
            wide = part.pivot_table(index="run_id", columns="month", values=col, dropna=False)
            fan_chart(ax, wide.columns.to_numpy(), wide.to_numpy(float), scn, colors[i % 10])
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("month")
        ax.set_ylabel(unit_of(name) or name, fontsize=9)
        ax.grid(alpha=0.3)
        keep_in_bounds(ax, name)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=9)
    fig.suptitle("Scenarios over time: median across replicates, 5-95% band", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    save_figure(fig, path, dpi=110)


def compare_scenarios(
    scenarios: list[str],
    out: str | Path,
    *,
    replicates: int = 8,
    months: int = DEFAULT_MONTHS,
    root_seed: int = 0,
    outputs: list[str | dict[str, Any]] | None = None,
    model: str = DEFAULT_MODEL,
    workers: int | None = None,
    dask: str | None = None,
    progress: bool = True,
    figures: bool = True,
    check: bool = True,
    overrides: dict[str, Any] | None = None,
) -> CompareResult:
    """Run ``scenarios`` with common random numbers and compare them to the first one.

    ``outputs`` are model-frame column names, ``"table.column"`` shorthands or output
    dicts (default :data:`DEFAULT_COMPARE_OUTPUTS`); ``overrides`` (dotted scenario paths)
    change every scenario, as ``gigawatt compare --set`` does. Writes ``compare.csv``,
    ``compare.png`` (final month) and ``compare_series.png`` (over time) into ``out``,
    which is also the sweep directory of the runs, so the comparison resumes after an
    interruption.
    """
    spec = compare_spec(
        scenarios,
        replicates=replicates,
        months=months,
        root_seed=root_seed,
        outputs=outputs,
        model=model,
        overrides=overrides,
    )
    run_sweep(spec, out, workers=workers, dask=dask, progress=progress, check=check)
    store = SweepStore.open(out)
    frame = store.load()
    names = [o.name for o in spec.outputs.final]
    cols = {o.name: o.column for o in spec.outputs.final}
    table = compare_table(frame, names, reference=scenarios[0], columns=cols)
    files = []
    csv = store.root / "compare.csv"
    atomic_write_text(csv, table.to_csv(index=False))
    files.append(csv)
    if figures and not table.empty:
        png = store.root / "compare.png"
        _plot(table, scenarios[0], png)
        files.append(png)
        series = [o.name.removesuffix(SERIES_SUFFIX) for o in spec.outputs.series]
        long = store.load_series()
        if series and not long.empty:
            png = store.root / "compare_series.png"
            _plot_series(long, series, list(dict.fromkeys(scenarios)), png)
            files.append(png)
    return CompareResult(table=table, store=store.root, files=files)
