"""Pooled journal rows: the sums a groupby on the pooled ids gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import market.pooling
from market.pooling import JournalPools, pooled_rows


def _postings(rng: np.random.Generator, n_accounts: int, rows: int):  # type: ignore[no-untyped-def]
    p = rng.integers(0, n_accounts, rows).astype(np.int32)
    q = rng.integers(0, n_accounts, rows).astype(np.int32)
    a = rng.exponential(10.0, rows)
    a[rng.random(rows) < 0.1] = 0.0  # zero transfers are journalled too
    r = rng.integers(0, 5, rows)
    return p, q, a, r


@pytest.mark.parametrize("way", ["dense", "chunks", "sorted"])
@pytest.mark.parametrize("seed", range(4))
def test_pooled_rows_are_the_groupby_of_the_pooled_ids(
    seed: int, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if way == "chunks":  # the dense count a few rows at a time
        monkeypatch.setattr(market.pooling, "CHUNK", 37)
    if way == "sorted":  # too many groups to count densely
        monkeypatch.setattr(market.pooling, "DENSE_GROUPS", 0)
    rng = np.random.default_rng(seed)
    n = 60
    # accounts 20..39 journalled as 50, 40..49 as 51; 0..19 and 50..59 as themselves
    pools = JournalPools.none(n).with_pool(np.arange(20, 40), 50).with_pool(np.arange(40, 50), 51)
    p, q, a, r = _postings(rng, n, 500)
    got = pooled_rows(pools, p, q, a, r)
    # the oracle: map the members by hand, group with pandas
    into = np.arange(n)
    into[20:40], into[40:50] = 50, 51
    frame = pd.DataFrame({"r": r, "p": into[p], "q": into[q], "a": a})
    sums = frame.groupby(["r", "p", "q"], sort=True)["a"].sum().reset_index()
    np.testing.assert_array_equal(got[3], sums["r"])
    np.testing.assert_array_equal(got[0], sums["p"])
    np.testing.assert_array_equal(got[1], sums["q"])
    np.testing.assert_allclose(got[2], sums["a"], rtol=1e-14)
    assert got[0].dtype == p.dtype and got[3].dtype == r.dtype
    assert got[2].sum() == pytest.approx(a.sum(), rel=1e-14)  # every dollar is still there


def test_accounts_opened_later_are_their_own_party() -> None:
    # 0..4 with 2 and 3 journalled as 4; then 5 and 6 opened, each its own party
    pools = JournalPools.none(5).with_pool(np.array([2, 3]), 4).opened(2)
    p, q, a, _ = pooled_rows(
        pools, np.array([5, 2, 6]), np.array([3, 6, 1]), np.array([1.0, 2.0, 3.0]), np.zeros(3, int)
    )
    # by party number (0, 1, 4, 5, 6 numbered 0..4): 4 -> 6 (2, 4), 5 -> 4 (3, 2), 6 -> 1 (4, 1)
    assert (p.tolist(), q.tolist(), a.tolist()) == ([4, 5, 6], [6, 4, 1], [2.0, 1.0, 3.0])
