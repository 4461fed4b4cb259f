"""Sensitivity analysis of a finished sweep: indices per output, tables and figures.

- ``sobol`` designs: first-order and total Sobol' indices (SALib ``analyze.sobol``,
  Saltelli 2010 / Jansen estimators) with bootstrap confidence intervals.
- ``morris`` designs: elementary effects ``mu``, ``mu*`` and ``sigma`` (SALib
  ``analyze.morris``; Morris 1991, Campolongo et al. 2007 for ``mu*``). SALib's unscaled
  effects divide the output change by the step in the unit cube, so ``mu*`` reads as the
  output change when the input moves across its whole range (in a linear model).
- ``lhs`` designs: first-order indices by RBD-FAST (SALib ``analyze.rbd_fast``;
  Tarantola et al. 2006), which works on any Latin hypercube.
- ``grid`` and ``scenarios`` designs: mean of each output at each point with a Student-t
  confidence interval over replicates. Outputs with natural bounds
  (:data:`experiments.sweeps.units.BOUNDS`: shares in [0, 1], HHI in [0, 10,000], counts
  at or above 0) have their intervals clipped to those bounds: with few replicates the
  symmetric t interval of a share near 0 reaches below 0, which no run can produce. (A
  logit-scale interval is not used because shares are often exactly 0 or 1.) The
  ``clipped`` column marks such rows. ``means.png``: one panel per parameter and output,
  the parameter's values on a numeric x axis, units on the axes.
- Monthly ``series`` outputs: ``series.png``, fan charts (median over replicates and the
  5-95% band per month) per design point or scenario.

Every design also gets ``points.csv`` (per-point means). Indices use the mean output over a
point's replicates (with common random numbers the seed noise is shared across points).
Figures are matplotlib PNGs, drawn without ``pyplot`` (:func:`experiments.sweeps.figures.figure`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from experiments.paths import atomic_write_text, save_figure
from experiments.sweeps.design import SAMPLE_PREFIX, salib_problem
from experiments.sweeps.figures import figure, plot_means, plot_series
from experiments.sweeps.spec import SweepSpec
from experiments.sweeps.store import SweepStore, SweepStoreError
from experiments.sweeps.units import bounds_of, unit_of

__all__ = [
    "RBD_MIN_POINTS",
    "AnalysisResult",
    "analyze_sweep",
    "mean_ci",
    "point_means",
    "rbd_harmonics",
]

RBD_MIN_POINTS = 10
"""Fewest design points RBD-FAST indices are computed from (an ``lhs`` design's
``samples``). Its estimate removes a bias of ``2M/N`` for ``M`` harmonics and ``N`` points
(Tissot and Prieur, "Bias correction for the estimation of sensitivity indices based on
random balance designs", *Reliability Engineering & System Safety* 107, 2012), and SALib's
bootstrap of it does the same on resamples of ``N // 2`` points, whose one-sided
periodogram has ``(N // 2) // 2`` frequencies, so it needs ``M`` below that
(:func:`rbd_harmonics`), eight points at least; with eight or nine a resample of four
points drawn with replacement is often one point repeated, whose output has no variance to
share out."""


def rbd_harmonics(n: int) -> int:
    """Harmonics ``M`` of RBD-FAST for ``n`` points: SALib's default, 10, or fewer so that a
    bootstrap resample's periodogram (``n // 2`` points, ``(n // 2) // 2`` frequencies) keeps
    a frequency beyond the first ``M`` (see :data:`RBD_MIN_POINTS`). With ``M`` at all of
    them, every resample's first-order index is 1 and its interval is 0 whatever the data;
    below 1 for fewer than eight points.

    >>> [rbd_harmonics(n) for n in (8, 10, 12, 14, 18, 43, 44, 200)]
    [1, 1, 2, 2, 3, 9, 10, 10]
    """
    return min(10, (n // 2) // 2 - 1)


@dataclass
class AnalysisResult:
    """Tables (name -> DataFrame) and the files written."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


_WRITTEN = frozenset(
    {"points.csv", "indices.csv", "means.csv", "means.png", "series.png", "notes.txt"}
    | {f"indices_{kind}.png" for kind in ("sobol", "morris", "lhs")}
)
"""Every file :func:`analyze_sweep` writes into its folder."""


def mean_ci(values: np.ndarray, conf: float = 0.95) -> tuple[float, float, float, int]:
    """Mean, lower and upper bound of a Student-t interval, and the count of finite values.

    With one value there is no interval (its bounds are ``nan``): no spread can be
    estimated from it, and an interval of zero width would read as a certain value.
    """
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return (np.nan, np.nan, np.nan, 0)
    m = float(v.mean())
    if n == 1:
        return (m, np.nan, np.nan, 1)
    half = float(stats.t.ppf(0.5 + conf / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return (m, m - half, m + half, n)


def point_means(frame: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """Mean of each output per design point (NaNs ignored), ordered by ``point_id``."""
    return frame.groupby("point_id", sort=True)[outputs].mean()


def _ci_table(
    frame: pd.DataFrame, spec: SweepSpec, outputs: list[str], conf: float, columns: dict[str, str]
) -> pd.DataFrame:
    keys = ["point_id", "scenario", *[p.path for p in spec.parameters]]
    rows = []
    for key, grp in frame.groupby(keys, sort=True, dropna=False):
        for out in outputs:
            m, lo, hi, n = mean_ci(grp[out].to_numpy(), conf)
            bounds = bounds_of(out, columns.get(out))
            clipped = False
            if bounds is not None and n > 1:
                clipped = bool(lo < bounds[0] or hi > bounds[1])
                lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
            rows.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "output": out,
                    "mean": m,
                    "ci_low": lo,
                    "ci_high": hi,
                    "n": n,
                    "std": float(np.nanstd(grp[out].to_numpy(float), ddof=1)) if n > 1 else np.nan,
                    "clipped": clipped,
                }
            )
    return pd.DataFrame(rows)


def _indices(
    spec: SweepSpec, design: pd.DataFrame, y_all: pd.DataFrame, out: str, seed: int
) -> tuple[pd.DataFrame | None, str | None]:
    """SALib indices of one output, or a note saying why not."""
    problem: dict[str, Any] = salib_problem(spec)
    names = [p.path for p in spec.parameters]
    pts = design.drop_duplicates("point_id").set_index("point_id").sort_index()
    if len(y_all) != len(pts):
        return None, f"{out}: {len(pts) - len(y_all)} design points have no finished run"
    y = y_all[out].to_numpy(float)
    if not np.all(np.isfinite(y)):
        return None, f"{out}: {int((~np.isfinite(y)).sum())} points have no finite value"
    x = pts[[SAMPLE_PREFIX + n for n in names]].to_numpy(float)
    kind = spec.design.kind
    constant = bool(np.ptp(y) == 0.0)
    if kind == "sobol":
        if constant:
            z = np.zeros(len(names))
            res: dict[str, Any] = {"S1": z, "S1_conf": z, "ST": z, "ST_conf": z}
        else:
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
        cols = ["S1", "S1_conf", "ST", "ST_conf"]
    elif kind == "morris":
        if spec.design.samples < 2:  # no spread (sigma) nor bootstrap from one elementary effect
            return None, (
                f"{out}: {spec.design.samples} Morris trajectory gives one elementary effect "
                "per input, so no sigma and no interval; sample at least 2 (design.samples)"
            )
        if constant:
            z = np.zeros(len(names))
            res = {"mu": z, "mu_star": z, "sigma": z, "mu_star_conf": z}
        else:
            from SALib.analyze import morris

            res = morris.analyze(problem, x, y, num_levels=spec.design.levels, seed=seed)
        cols = ["mu", "mu_star", "sigma", "mu_star_conf"]
    else:  # lhs
        if len(y) < RBD_MIN_POINTS:  # (also a constant output: a few points say nothing)
            return None, (
                f"{out}: {len(y)} design points, too few for RBD-FAST indices (at least "
                f"{RBD_MIN_POINTS}); sample more points (design.samples)"
            )
        if constant:
            z = np.zeros(len(names))
            res = {"S1": z, "S1_conf": z}
        else:
            from SALib.analyze import rbd_fast

            # a bootstrap resample whose output is one value repeated (likely where the
            # output takes few values) has no variance: its index is nan, and so the
            # interval (said in a note below) instead of a warning per resample
            with np.errstate(divide="ignore", invalid="ignore"):
                res = rbd_fast.analyze(problem, x, y, M=rbd_harmonics(len(y)), seed=seed)
        cols = ["S1", "S1_conf"]
    table = pd.DataFrame({"output": out, "parameter": names})
    for c in cols:
        table[c] = np.asarray(res[c], float)
    note = f"{out}: constant over the design (all indices 0)" if constant else None
    if kind == "lhs" and table["S1_conf"].isna().any():
        note = (
            f"{out}: no confidence interval for S1 (S1_conf empty): some bootstrap resamples "
            "held one output value only (an output that takes few values); sample more points"
        )
    return table, note


def _plot_indices(
    table: pd.DataFrame, kind: str, path: Path, columns: dict[str, str] | None = None
) -> None:
    outs = list(dict.fromkeys(table["output"]))
    n_par = int(table["parameter"].nunique())
    ncol = min(3, len(outs))
    nrow = -(-len(outs) // ncol)
    fig = figure((5.2 * ncol, max(2.6, 1.4 + 0.35 * n_par) * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for ax in axes.flat[len(outs) :]:
        ax.set_visible(False)
    for ax, out in zip(axes.flat, outs, strict=False):
        t = table[table["output"] == out]
        ypos = np.arange(len(t))
        if kind == "morris":
            ax.barh(ypos, t["mu_star"], xerr=t["mu_star_conf"], color="tab:blue", label="μ*")
            ax.plot(t["sigma"], ypos, "o", color="tab:red", label="σ")
            ax.set_xlabel(
                f"effect over the input range ({unit_of(out, (columns or {}).get(out)) or 'output units'})"
            )
        elif kind == "sobol":
            ax.barh(ypos - 0.2, t["S1"], 0.4, xerr=t["S1_conf"], label="S1 (first order)")
            ax.barh(ypos + 0.2, t["ST"], 0.4, xerr=t["ST_conf"], label="ST (total)")
            ax.set_xlabel("Sobol' index (share of variance)")
        else:
            ax.barh(ypos, t["S1"], xerr=t["S1_conf"], label="S1 (RBD-FAST)")
            ax.set_xlabel("first-order index")
        ax.set_yticks(ypos, t["parameter"])
        ax.set_title(out, fontsize=10)
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def _nothing_finished(store: SweepStore, status: dict[str, int]) -> str:
    """Why a sweep with no finished run cannot be analysed, and what to run."""
    failed, pending = status["failed"], status["pending"]
    what = f"{failed} failed, {pending} pending of {status['planned']}"
    if pending:
        fix = "run the same `gigawatt sweep` command to finish it (it resumes)"
    else:
        fix = (
            f"see why in {store.failures_dir}, fix the spec and run `gigawatt sweep` "
            "again (failed runs are retried)"
        )
    return f"{store.root}: no run has finished yet ({what}): nothing to analyse; {fix}"


def analyze_sweep(
    root: str | Path,
    out_dir: str | Path | None = None,
    *,
    conf: float = 0.95,
    figures: bool = True,
    log_outputs: Sequence[str] = (),
) -> AnalysisResult:
    """Analyse the sweep in ``root``; write CSV tables and PNG figures to ``out_dir``.

    ``out_dir`` defaults to ``root/analysis``. Tables: ``points.csv`` (per-point means),
    ``indices.csv`` (sobol, morris, lhs) or ``means.csv`` (grid, scenarios; mean and CI).
    ``log_outputs`` adds ``log10(<name>)`` of those outputs (non-positive values become
    NaN) for heavy-tailed outputs such as ratios, whose raw indices outliers dominate.

    Raises
    ------
    SweepStoreError
        If ``root`` is not a sweep folder, or no run of it has finished (the message says
        how many failed and how many are pending, and what to run); nothing is written.
    """
    store = SweepStore.open(root)
    spec = store.spec()
    out_path = Path(out_dir) if out_dir is not None else store.analysis_dir
    frame = store.load()
    status = store.status()
    if frame.empty:
        raise SweepStoreError(_nothing_finished(store, status))
    out_path.mkdir(parents=True, exist_ok=True)
    outputs = [o.name for o in spec.outputs.final]
    for name in log_outputs:
        if name not in outputs:
            raise SweepStoreError(f"log output {name!r}: not a final output (have {outputs})")
        values = frame[name].astype(float)
        frame[f"log10({name})"] = np.log10(values.where(values > 0))
        outputs.append(f"log10({name})")
    result = AnalysisResult()
    if status["failed"] or status["pending"]:
        result.notes.append(
            f"{status['failed']} failed and {status['pending']} pending runs are left out"
        )
    if not outputs:
        result.notes.append("the spec keeps no final outputs: nothing to analyse")
        return result
    means = point_means(frame, outputs)
    pts_cols = ["point_id", "scenario", *[p.path for p in spec.parameters]]
    points = frame[pts_cols].drop_duplicates("point_id").set_index("point_id").join(means)
    result.tables["points"] = points.reset_index()
    kind = spec.design.kind
    named = {o.name: o.column for o in spec.outputs.final}  # for units and bounds
    if kind in ("sobol", "morris", "lhs"):
        design = store.design()
        parts = []
        for out in outputs:
            table, note = _indices(spec, design, means, out, spec.root_seed % 2**32)
            if note:
                result.notes.append(note)
            if table is not None:
                parts.append(table)
        if parts:
            indices = pd.concat(parts, ignore_index=True)
            result.tables["indices"] = indices
            if figures:
                fig = out_path / f"indices_{kind}.png"
                _plot_indices(indices, kind, fig, columns=named)
                result.files.append(fig)
    else:
        table = _ci_table(frame, spec, outputs, conf, named)
        result.tables["means"] = table
        if table["clipped"].any():
            names = sorted(set(table.loc[table["clipped"], "output"]))
            result.notes.append(
                f"intervals of {', '.join(names)} clipped to the output's bounds "
                "(a share cannot leave [0, 1]); see the clipped column"
            )
        if figures:
            fig = out_path / "means.png"
            plot_means(table, [p.path for p in spec.parameters], fig, columns=named)
            result.files.append(fig)
    if figures and spec.outputs.series:
        long = store.load_series()
        if not long.empty:
            fig = out_path / "series.png"
            names = [o.name for o in spec.outputs.series]
            cols = {o.name: o.column for o in spec.outputs.series}
            plot_series(long, names, [p.path for p in spec.parameters], fig, columns=cols)
            result.files.append(fig)
    for name, table in result.tables.items():
        path = out_path / f"{name}.csv"
        atomic_write_text(path, table.to_csv(index=False))
        result.files.append(path)
    if result.notes:
        notes = out_path / "notes.txt"
        atomic_write_text(notes, "\n".join(result.notes) + "\n")
        result.files.append(notes)
    if out_dir is None:  # the sweep's own analysis folder, not one a user named
        # what an earlier analysis wrote and this one did not (its notes on runs since
        # finished, a figure of an output no longer kept) would be read as this one's
        for stale in set(_WRITTEN.intersection(p.name for p in out_path.iterdir())) - {
            f.name for f in result.files
        }:
            (out_path / stale).unlink(missing_ok=True)
    return result
