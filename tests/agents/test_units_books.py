"""Units and calendar, the accounts, and the book's named segments."""

from __future__ import annotations

import numpy as np
import pytest

from agents.accounts import OUTSIDE, AccountError, Accounts
from agents.book_index import Segments
from agents.units import annualise, month_date


@pytest.mark.parametrize(
    ("start", "month", "date"),
    [
        ("2026-01", 0, "2026-01"),
        ("2026-01", 11, "2026-12"),
        ("2026-11", 3, "2027-02"),
        ("2023-01", 35, "2025-12"),
    ],
)
def test_month_date(start, month, date):
    assert month_date(start, month) == date


def test_annualise_a_partial_first_year():
    # the trailing 12-month window holds only the months recorded so far
    assert [annualise(m) for m in (0, 1, 3, 12, 40)] == [12.0, 12.0, 4.0, 1.0, 1.0]


def test_accounts_refuse_the_outside_worlds_id():
    with pytest.raises(AccountError, match="outside world"):
        Accounts.open([OUTSIDE, 2], [3], [4], [5])
    acc = Accounts.open([1], [2], [3], [4], n_accounts=8)
    assert acc.usd.n_accounts == 8
    acc.pay(OUTSIDE, [1, 4], [5.0, -3.0], "endowment")  # negative amounts book as zero
    acc.flush()
    assert acc.cash([1, 4]).tolist() == [5.0, 0.0] and acc.usd.total() == 0.0


def test_segments_name_consecutive_blocks():
    s = Segments()
    s.add("units", 3)
    s.add("vendors", 0)
    s.add("sellers", 2)
    x = np.arange(5)
    assert x[s["units"]].tolist() == [0, 1, 2] and x[s["sellers"]].tolist() == [3, 4]
    assert s.count("vendors") == 0 and s.size == 5 and list(s) == ["units", "vendors", "sellers"]
    with pytest.raises(KeyError, match="defined twice"):
        s.add("units", 1)
    with pytest.raises(KeyError, match="segments: \\['units'"):
        s["pools"]


def test_segments_of_sizes_match_one_add_each():
    sizes = (("units", 3), ("vendors", 0), ("sellers", 2))
    built = Segments()
    for name, n in sizes:
        built.add(name, n)
    s = Segments.of(sizes)
    assert s.size == built.size == 5 and list(s) == list(built)
    assert all(s[name] == built[name] for name, _ in sizes)
    with pytest.raises(KeyError, match="defined twice"):
        Segments.of((("units", 1), ("units", 2)))
