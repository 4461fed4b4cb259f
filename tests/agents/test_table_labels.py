"""The tables' dates and names: month starts, a date beside every month, names of codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.table_labels import code_names, dated, month_starts, with_date


def test_month_starts_are_missing_where_the_month_or_the_start_is():
    got = month_starts("2025-12", pd.array([1, None, 13], dtype="Int64"))
    assert got.dt.strftime("%Y-%m").tolist()[::2] == ["2026-01", "2027-01"]
    assert got.isna().tolist() == [False, True, False]
    assert month_starts(None, np.arange(2)).isna().all()


def test_the_date_stands_right_after_the_month():
    frame = with_date(pd.DataFrame({"reason": ["x"], "month": [2], "date": [0]}), "2026-01")
    assert list(frame.columns) == ["reason", "month", "date"]
    assert frame["date"].iloc[0] == pd.Timestamp("2026-03-01")
    built = dated({"month": np.array([0]), "x": np.array([1.0])}, np.array(["2026-01"], "M8[ns]"))
    assert list(built.columns) == ["month", "date", "x"]
    assert with_date(pd.DataFrame({"x": [1]}), "2026-01").columns.tolist() == ["x"]


def test_codes_outside_the_names_are_missing():
    got = code_names(np.array([0, 2, -1, 1]), ["us-east", "eu-west"])
    assert got.dtype == "string"
    assert got.isna().tolist() == [False, True, True, False]
    assert got.dropna().tolist() == ["us-east", "eu-west"]
