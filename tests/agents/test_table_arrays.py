"""The tables' columns made straight from arrays equal those of pandas' general
constructors (the references below, as the tables were built before)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.typing import ArrayLike

from agents.table_arrays import code_strings, month_dates, nullable, string_column
from agents.table_labels import month_starts


def strings(values: Sequence[str], codes: ArrayLike | None = None, dtype: str = "str") -> Any:
    """A pandas string array of ``values`` (taken at ``codes``), by ``pd.array``."""
    array = pd.array(list(values), dtype=dtype)  # type: ignore[call-overload]
    return array if codes is None else array.take(np.asarray(codes, dtype=np.int64))


def missing_below_zero(codes: ArrayLike) -> pd.Series:
    """Integer ``codes`` as nullable integers, ``<NA>`` where negative, by pandas."""
    c = np.array(codes, dtype=np.int64)
    return pd.Series(pd.arrays.IntegerArray(c, c < 0))


def code_names(codes: ArrayLike, labels: Sequence[str]) -> pd.Series:
    """Names of integer ``codes`` (``<NA>`` where negative or past the labels), by pandas'
    ``take`` with ``allow_fill``."""
    c = np.asarray(codes, dtype=np.int64)
    known = (c >= 0) & (c < len(labels))
    lookup = pd.array(list(labels), dtype="string")
    return pd.Series(lookup.take(np.where(known, c, -1), allow_fill=True))


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


def test_codes_outside_the_names_are_missing() -> None:
    got = code_strings(np.array([0, 2, -1, 1]), ["us-east", "eu-west"])
    assert got.dtype == "string"
    assert got.isna().tolist() == [False, True, True, False]
    assert got.dropna().tolist() == ["us-east", "eu-west"]
    assert nullable([3, -1]).tolist() == [3, pd.NA]
