"""Uncertainty bands of a forecast: quantiles over draws, and paired differences per draw.

A forecast's draws are a posterior sample (resampled in proportion to the weights, so
each draw counts once). The band of a metric at a month is the set of quantiles
:data:`QUANTILES` of its values over the draws, by linear interpolation between order
statistics (``numpy.nanquantile``'s default, type 7 of Hyndman & Fan, "Sample quantiles
in statistical packages", *The American Statistician* 50(4), 1996); draws without a
finite value at that month are left out and counted in ``n``.

Two scenarios are compared draw by draw: draw ``i`` of each used the same parameters and
the same seed, so the difference ``x_s,i - x_ref,i`` removes what the draws share (common
random numbers, Law & Kelton, *Simulation Modeling and Analysis*, ch. 11), and its band
is taken over those per-draw differences. The difference of two marginal quantiles is not
a quantile of anything and is never used.

A median over a hundred draws is itself an estimate: another hundred draws from the same
posterior give another. :func:`quantile_interval` bounds it without assuming a
distribution, by two order statistics whose ranks come from the binomial distribution of
the number of draws below the true quantile (Conover, *Practical Nonparametric
Statistics*, 3rd ed., 1999, section 3.2): for 100 draws the 95% interval of the median runs
from the 40th to the 61st smallest. It counts the draws' sampling error only; a calibration
run again (another ABC sample of the posterior) can move the median further.

Inputs are *draw frames*: one row per scenario, draw and month, with ``scenario``,
``draw``, ``month``, ``date`` and one column per metric.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "DRAW_KEYS",
    "QUANTILES",
    "band_table",
    "final_band",
    "paired_differences",
    "quantile_interval",
    "quantile_table",
]

INTERVAL_LEVEL = 0.95
"""Confidence of the interval :func:`final_band` gives for each median."""

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""The quantiles of every band: 90% and 50% central bands and the median."""

DRAW_KEYS = ("scenario", "draw", "month", "date")
"""Key columns of a draw frame; every other numeric column is a metric."""

BAND_COLUMNS = ("scenario", "metric", "unit", "month", "date", "quantile", "value", "n")


def _metrics(frame: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    if metrics is not None:
        return [m for m in metrics if m in frame.columns]
    skip = set(DRAW_KEYS) | {"reference"}
    return [c for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c])]


def band_table(
    values: np.ndarray, quantiles: Sequence[float] = QUANTILES
) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of a draws x months array per month, and the finite count per month.

    Returns ``(q, n)``: ``q[k, t]`` the ``quantiles[k]`` quantile of column ``t`` over its
    finite values (NaN where there is none), ``n[t]`` their number.

    The numbers of ``numpy.nanquantile(..., axis=0)``, which goes column by column once a
    value is missing (about 60 us a column): here the columns are sorted once (missing
    values last) and those with the same number of finite values share one
    ``numpy.quantile`` call on their first rows, the same interpolation on the same
    values. Only a zero's sign could differ (which of ``0.0`` and ``-0.0`` a partition
    meets first), so zeros are reported as ``0.0``.
    """
    v = np.asarray(values, float)
    ok = np.isfinite(v)
    n = ok.sum(axis=0)
    q = np.full((len(quantiles), v.shape[1]), np.nan)
    ranked = np.sort(np.where(ok, v, np.nan), axis=0)  # NaN sorts last
    for count in np.unique(n[n > 0]):
        cols = (n == count).nonzero()[0]
        q[:, cols] = np.quantile(ranked[:count, cols], quantiles, axis=0)
    return q + 0.0, n  # + 0.0: a zero is 0.0 whichever zero the interpolation met


def quantile_interval(
    values: np.ndarray, p: float = 0.5, level: float = INTERVAL_LEVEL
) -> tuple[float, float]:
    """A distribution-free confidence interval of the ``p`` quantile of what ``values`` sample.

    With ``n`` finite values and ``B ~ Binomial(n, p)`` the number of them below the true
    quantile, the ``r``-th and ``s``-th smallest bracket it with probability
    ``P(r <= B <= s - 1)``; ``r`` and ``s`` are the ranks that leave at most
    ``(1 - level) / 2`` on each side, so the coverage is at least ``level`` (see the module
    docstring). An end with no such order statistic (too few values) is infinite.

    >>> quantile_interval(np.arange(1.0, 101.0))
    (40.0, 61.0)
    """
    from scipy.stats import binom  # here: scipy.stats adds ~0.3 s to every ``import experiments``

    v = np.sort(np.asarray(values, float)[np.isfinite(values)])
    n = v.size
    if n == 0:
        return -np.inf, np.inf
    tail = (1.0 - level) / 2.0
    r = int(binom.ppf(tail, n, p))  # P(B <= r - 1) < tail
    s = int(binom.ppf(1.0 - tail, n, p)) + 1  # P(B >= s) <= tail
    low = float(v[r - 1]) if 1 <= r <= n else -np.inf
    high = float(v[s - 1]) if 1 <= s <= n else np.inf
    return low, high


def quantile_table(
    frame: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    quantiles: Sequence[float] = QUANTILES,
) -> pd.DataFrame:
    """Tidy quantiles over draws: one row per scenario, metric, month and quantile.

    Parameters
    ----------
    frame : DataFrame
        A draw frame (see the module docstring); extra key columns such as ``reference``
        are carried through.
    metrics : sequence of str, optional
        The metrics to summarise (default: every numeric non-key column).

    Returns
    -------
    DataFrame
        ``scenario``, [``reference``], ``metric``, ``unit``, ``month``, ``date``,
        ``quantile``, ``value``, ``n`` (draws with a finite value at that month).
    """
    from experiments.forecasting.model import metric_unit

    names = _metrics(frame, metrics)
    extra = ["reference"] if "reference" in frame.columns else []
    parts = []
    for key, grp in frame.groupby(["scenario", *extra], sort=False):
        months = grp.drop_duplicates("month").sort_values("month")[["month", "date"]]
        have = [m for m in names if grp[m].notna().any()]  # not the deal columns it lacks
        if not have:
            continue
        # draws x (metric, month), every metric's months in ``months`` order
        wide = grp.pivot(index="draw", columns="month", values=have).reindex(
            columns=pd.MultiIndex.from_product((have, months["month"].to_numpy()))
        )
        values = wide.to_numpy(float).reshape(len(wide), len(have), len(months))
        for k, metric in enumerate(have):
            q, n = band_table(values[:, k, :], quantiles)
            nq, nt = q.shape
            part = pd.DataFrame(
                {
                    "scenario": key[0],
                    "metric": metric,
                    "unit": metric_unit(metric),
                    "month": np.tile(months["month"].to_numpy(), nq),
                    "date": np.tile(months["date"].to_numpy(), nq),
                    "quantile": np.repeat(np.asarray(quantiles, float), nt),
                    "value": q.reshape(-1),
                    "n": np.tile(n, nq).astype(np.int64),
                }
            )
            if extra:
                part.insert(1, "reference", key[1])
            parts.append(part)
    columns = list(BAND_COLUMNS)
    if extra:
        columns.insert(1, "reference")
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    order = {s: i for i, s in enumerate(out["scenario"].unique())}  # as given
    out["_s"] = out["scenario"].map(order)
    out = out.sort_values(["_s", *extra, "metric", "month", "quantile"], kind="stable")
    return out[columns].reset_index(drop=True)


def paired_differences(
    frame: pd.DataFrame, reference: str, metrics: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per-draw differences of every other scenario from ``reference``, as a draw frame.

    Rows pair the same ``draw`` at the same calendar ``date`` (scenarios that start in
    different months are aligned by date); ``month`` is the scenario's own. A metric
    missing from either scenario is left out.

    Returns
    -------
    DataFrame
        ``scenario``, ``reference``, ``draw``, ``month``, ``date`` and ``x_s - x_ref`` per
        metric; summarise it with :func:`quantile_table`.
    """
    names = _metrics(frame, metrics)
    ref = frame[frame["scenario"] == reference]
    parts = []
    for scn, grp in frame.groupby("scenario", sort=False):
        if scn == reference:
            continue
        both = [m for m in names if grp[m].notna().any() and ref[m].notna().any()]
        merged = grp[["draw", "month", "date", *both]].merge(
            ref[["draw", "date", *both]], on=["draw", "date"], suffixes=("", "@ref")
        )
        diff = merged[["draw", "month", "date"]].copy()
        for m in both:
            diff[m] = merged[m] - merged[m + "@ref"]
        diff.insert(0, "reference", reference)
        diff.insert(0, "scenario", scn)
        parts.append(diff)
    if not parts:
        return pd.DataFrame(columns=["scenario", "reference", "draw", "month", "date"])
    return pd.concat(parts, ignore_index=True)


def final_band(
    frame: pd.DataFrame, metric: str, quantiles: Sequence[float] = QUANTILES
) -> pd.DataFrame:
    """Per scenario: quantiles over draws of ``metric`` at each draw's last month.

    Returns
    -------
    DataFrame
        Index ``scenario``; columns the quantiles, ``n``, ``date`` (the last month) and
        ``median_low``, ``median_high`` (:func:`quantile_interval` of the median, at
        :data:`INTERVAL_LEVEL`).
    """
    rows = {}
    for scn, grp in frame.groupby("scenario", sort=False):
        if metric not in grp.columns or not grp[metric].notna().any():
            continue
        last = grp[grp["month"] == grp["month"].max()]
        values = last[[metric]].to_numpy(float)
        q, n = band_table(values, quantiles)
        low, high = quantile_interval(values[:, 0])
        rows[scn] = {
            **{float(k): float(v) for k, v in zip(quantiles, q[:, 0], strict=True)},
            "n": int(n[0]),
            "date": last["date"].iloc[0],
            "median_low": low,
            "median_high": high,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "scenario"
    return out
