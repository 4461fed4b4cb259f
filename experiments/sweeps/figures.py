"""Figure helpers shared by sweep analysis and scenario comparison (matplotlib, Agg).

Fan charts show a monthly output across replicates: the median line and the band between
the 5th and 95th percentiles at each month (``numpy.nanpercentile``, linear
interpolation), the usual way to show the spread of stochastic simulation paths.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["FAN_QUANTILES", "fan", "fan_chart", "pyplot"]

FAN_QUANTILES = (5.0, 50.0, 95.0)
"""Percentiles of a fan chart: lower band edge, median line, upper band edge."""


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


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
