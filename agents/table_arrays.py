"""The tables' columns made straight from numpy and pyarrow arrays, with few pandas calls.

Each function gives the column pandas' general constructors give (``pd.array`` of the
names taken at the codes, a nullable string array with ``<NA>`` where a code names none,
:func:`agents.table_labels.month_starts`, a nullable integer array with ``<NA>`` where
a code is negative), equal in values, dtype and array type, for the inputs the tables
hand it (names as ``str``, months and codes as integer arrays; the tests hold each
against them). Those constructors look at what they are given before converting it,
which costs tens of microseconds a column; these make the pyarrow or numpy array once and
wrap it, so a table of many columns costs little more than its arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

from agents.state import BoolArray

__all__ = ["code_strings", "month_dates", "nullable", "string_column"]

_STRING_DTYPES = {name: pd.api.types.pandas_dtype(name) for name in ("string", "str")}
"""pandas' ``"string"`` (missing values ``<NA>``) and ``"str"`` (NaN) dtypes: strings held
as pyarrow's ``large_string``."""


def string_column(
    values: Sequence[str], codes: ArrayLike | None = None, dtype: str = "str"
) -> pd.arrays.ArrowStringArray:
    """``values`` (taken at ``codes``, non-negative) as a pandas string array of ``dtype``
    (``"str"`` or ``"string"``), each name converted once.

    >>> string_column(["us", "eu"], [1, 1, 0]).tolist()
    ['eu', 'eu', 'us']
    """
    listed = values if isinstance(values, list) else list(values)
    array = pa.array(listed, type=pa.large_string(), from_pandas=True)
    if codes is not None:
        array = array.take(np.asarray(codes, dtype=np.int64))
    return pd.arrays.ArrowStringArray(array, dtype=_STRING_DTYPES[dtype])  # type: ignore[call-arg]  # stubs lack dtype


def code_strings(codes: ArrayLike, labels: Sequence[str]) -> pd.arrays.ArrowStringArray:
    """Names of integer ``codes``, ``<NA>`` where a code is negative or past the labels
    (any or none; or not yet known).

    >>> code_strings([1, -1, 5], ["us", "eu"]).tolist()
    ['eu', <NA>, <NA>]
    """
    c = np.asarray(codes, dtype=np.int64)
    missing = (c < 0) | (c >= len(labels))
    at = pa.array(np.where(missing, 0, c), mask=missing)
    if len(labels) == 0:  # every code is missing: nothing to take from
        names = pa.nulls(len(c), pa.large_string())
    else:
        names = pa.array(list(labels), type=pa.large_string(), from_pandas=True).take(at)
    return pd.arrays.ArrowStringArray(names, dtype=_STRING_DTYPES["string"])  # type: ignore[call-arg]  # stubs lack dtype


def month_dates(
    start: str | None, months: ArrayLike, missing: BoolArray | None = None
) -> NDArray[Any]:
    """Calendar month starts (``datetime64[ns]``) of model months counted from ``start``:
    ``month_starts(start, months).to_numpy()`` of whole months, ``NaT`` where ``missing``
    (or everywhere when no start is known yet).

    >>> month_dates("2026-11", np.array([0, 3])).astype("M8[M]").astype(str).tolist()
    ['2026-11', '2027-02']
    """
    steps = np.asarray(months, dtype=np.int64)
    if start is None:
        return np.full(len(steps), np.datetime64("NaT", "ns"))
    if missing is not None:
        steps = np.where(missing, 0, steps)
    out = (np.datetime64(start, "M") + steps.astype("timedelta64[M]")).astype("datetime64[ns]")
    if missing is not None:
        out[missing] = np.datetime64("NaT", "ns")
    return out


def nullable(codes: ArrayLike) -> pd.arrays.IntegerArray:
    """Integer ``codes`` as nullable integers, ``<NA>`` where negative (none).

    >>> nullable([3, -1]).tolist()
    [3, <NA>]
    """
    c = np.array(codes, dtype=np.int64)
    return pd.arrays.IntegerArray(c, c < 0)
