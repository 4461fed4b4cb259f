"""The tables' columns made straight from arrays equal those of the general helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.table_arrays import code_strings, month_dates, nullable, string_column
from agents.table_labels import code_names, missing_below_zero, month_starts, strings


def same(got: object, want: object) -> None:
    """Equal values, dtype and array type (missing values where the other has them)."""
    assert type(got) is type(want)
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    else:
        pd.testing.assert_extension_array_equal(got, want)  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", ["str", "string"])
def test_string_columns_are_those_of_strings(dtype: str) -> None:
    names = ["amazon", "microsoft", "other-clouds", "é"]
    codes = np.random.default_rng(0).integers(0, len(names), 50)
    same(string_column(names, codes, dtype=dtype), strings(names, codes, dtype=dtype))
    same(string_column(names, dtype=dtype), strings(names, dtype=dtype))
    same(string_column(tuple(names), [], dtype=dtype), strings(names, [], dtype=dtype))
    same(string_column([], dtype=dtype), strings([], dtype=dtype))


def test_code_strings_are_those_of_code_names() -> None:
    labels = ["us-east", "eu-west", "asia"]
    codes = np.array([0, 2, -1, 1, 3, 7, 2])
    same(code_strings(codes, labels), code_names(codes, labels).array)
    same(code_strings(codes, []), code_names(codes, []).array)
    same(code_strings(np.zeros(0, np.int64), labels), code_names([], labels).array)


def test_month_dates_are_those_of_month_starts() -> None:
    months = np.array([0, 1, 11, 12, 13, 121, 0])
    for start in ("2025-12", "2026-01", None):
        same(month_dates(start, months), month_starts(start, months).to_numpy())
        exits = np.array([-1, 3, -1, 40])
        want = month_starts(start, missing_below_zero(exits)).to_numpy()
        same(month_dates(start, exits, exits < 0), want)
    same(month_dates("2026-01", np.zeros(0, np.int64)), month_starts("2026-01", []).to_numpy())


def test_nullable_ints_are_those_of_missing_below_zero() -> None:
    codes = np.array([3, -1, 0, -7, 12])
    same(nullable(codes), missing_below_zero(codes).array)
    same(nullable([]), missing_below_zero([]).array)
