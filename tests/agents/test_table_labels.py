"""The tables' dates: month starts, a date beside every month."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.table_labels import month_starts, with_date


def test_month_starts_are_missing_where_the_month_or_the_start_is():
    got = month_starts("2025-12", pd.array([1, None, 13], dtype="Int64"))
    assert got.dt.strftime("%Y-%m").tolist()[::2] == ["2026-01", "2027-01"]
    assert got.isna().tolist() == [False, True, False]
    assert month_starts(None, np.arange(2)).isna().all()


def test_the_date_stands_right_after_the_month():
    frame = with_date(pd.DataFrame({"reason": ["x"], "month": [2], "date": [0]}), "2026-01")
    assert list(frame.columns) == ["reason", "month", "date"]
    assert frame["date"].iloc[0] == pd.Timestamp("2026-03-01")
    assert with_date(pd.DataFrame({"x": [1]}), "2026-01").columns.tolist() == ["x"]
