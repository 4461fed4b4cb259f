"""Calendar dates and names for the run's output tables.

The tables speak in names and calendar dates rather than codes: a ``date`` (a
``datetime64`` month start) next to every ``month``, names looked up from integer codes,
and missing values (``<NA>``, ``NaT``) where a code means none. These helpers are shared
by the tables built from the recorder (:mod:`agents.tables`, :mod:`agents.model_frame`)
and those built from the contracts and the ledger (:mod:`agents.ledger_tables`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["code_names", "dated", "missing_below_zero", "month_starts", "strings", "with_date"]


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


def dated(columns: dict[str, Any], date: Any) -> pd.DataFrame:
    """A frame of ``columns`` with ``date`` right after ``month``."""
    order = list(columns)
    at = order.index("month") + 1
    columns = {**columns, "date": date}
    order.insert(at, "date")
    return pd.DataFrame(columns, columns=order)


def strings(values: Sequence[str], codes: ArrayLike | None = None, dtype: str = "str") -> Any:
    """A pandas string array of ``values`` (taken at ``codes``): each name converted once."""
    array = pd.array(list(values), dtype=dtype)  # type: ignore[call-overload]  # stubs lack str dtypes by name
    return array if codes is None else array.take(np.asarray(codes, dtype=np.int64))


def missing_below_zero(codes: ArrayLike) -> pd.Series:
    """Integer ``codes`` as nullable integers, ``<NA>`` where negative (none).

    >>> missing_below_zero([3, -1]).tolist()
    [3, <NA>]
    """
    c = np.array(codes, dtype=np.int64)
    return pd.Series(pd.arrays.IntegerArray(c, c < 0))


def code_names(codes: ArrayLike, labels: Sequence[str]) -> pd.Series:
    """Names of integer ``codes`` (``<NA>`` where negative: any or none; or not yet known).

    >>> code_names([1, -1, 5], ["us", "eu"]).tolist()
    ['eu', <NA>, <NA>]
    """
    c = np.asarray(codes, dtype=np.int64)
    known = (c >= 0) & (c < len(labels))
    lookup = pd.array(list(labels), dtype="string")
    return pd.Series(lookup.take(np.where(known, c, -1), allow_fill=True))
