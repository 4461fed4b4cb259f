"""Calendar dates for the run's output tables, from any months a frame holds.

The tables speak in calendar dates rather than month counts: a ``date`` (a ``datetime64``
month start) next to every ``month``, ``NaT`` where a month is missing. These helpers take
any months (nullable ones included) and are shared by the model frame
(:mod:`agents.model_frame`) and the cashflows grouped on four keys
(:mod:`agents.ledger_tables`); the other tables make their columns straight from arrays
(:mod:`agents.table_arrays`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["month_starts", "with_date"]


def month_starts(start: str | None, months: ArrayLike) -> pd.Series:
    """Calendar month starts (``datetime64``) of model months counted from ``start``.

    ``NaT`` where the month is missing or no start is known yet.

    >>> month_starts("2026-11", [0, 3]).dt.strftime("%Y-%m").tolist()
    ['2026-11', '2027-02']
    """
    if isinstance(months, np.ndarray) and months.dtype.kind in "iu":
        valid, steps = np.ones(len(months), dtype=bool), months.astype(np.int64)
    else:
        m = pd.array(pd.Series(months), dtype="Int64")  # type: ignore[call-overload]  # stubs too narrow
        valid, steps = ~m.isna(), m.to_numpy(dtype=np.int64, na_value=0)
    out = np.full(len(valid), np.datetime64("NaT", "M"))
    if start is not None:
        out[valid] = np.datetime64(start, "M") + steps[valid].astype("timedelta64[M]")
    return pd.Series(out.astype("datetime64[ns]"))


def with_date(frame: pd.DataFrame, start: str | None) -> pd.DataFrame:
    """``frame`` with a ``date`` column right after ``month``."""
    if "month" not in frame.columns:
        return frame
    frame = frame.drop(columns=["date"], errors="ignore")
    frame.insert(
        list(frame.columns).index("month") + 1,
        "date",
        month_starts(start, frame["month"]).to_numpy(),
    )
    return frame
