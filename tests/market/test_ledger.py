"""The double-entry ledger: conservation, vectorized posting, refusals."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.ledger import OUTSIDE, Ledger, LedgerError


def test_endowment_from_outside_keeps_total_zero() -> None:
    led = Ledger(3)
    code = led.reason_code("endowment")
    led.post(OUTSIDE, [1, 2], [100.0, 50.0], code)
    np.testing.assert_array_equal(led.balances, [-150.0, 100.0, 50.0])
    assert led.total() == 0.0
    led.check()


def test_repeated_payer_in_one_batch_accumulates() -> None:
    # np.subtract.at, not fancy-index assignment: three rows from account 1 all count.
    led = Ledger(3)
    r = led.reason_code("x")
    led.post(OUTSIDE, 1, 10.0, r)
    led.post([1, 1, 1], [2, 2, 0], [1.0, 2.0, 3.0], r)
    np.testing.assert_array_equal(led.balances, [-7.0, 4.0, 3.0])


def test_entries_record_every_row_with_its_step() -> None:
    led = Ledger(2)
    r = led.reason_code("pay")
    led.step = 3
    led.post(0, 1, 5.0, r)
    led.step = 4
    led.post([1], [0], [2.0], r)
    e = led.entries()
    np.testing.assert_array_equal(e["step"], [3, 4])
    np.testing.assert_array_equal(e["amount"], [5.0, 2.0])
    assert led.reasons == {0: "pay"}


def test_open_adds_accounts_at_zero() -> None:
    led = Ledger(1)
    ids = led.open(2)
    np.testing.assert_array_equal(ids, [1, 2])
    assert led.n_accounts == 3 and led.balances.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 5, 1.0), r"payee\[0\] = 5: no such account"),
        ((0, 1, -1.0), r"amount\[0\] = -1.0: must be finite and >= 0"),
        ((0, 1, float("nan")), r"amount\[0\] = nan"),
        ((0, 1, np.inf), r"amount\[0\] = inf: must be finite and >= 0"),
        # each amount finite, their sum not: it was booked, and check() passed on nan
        pytest.param(
            (0, [1, 1], [1e308, 1e308]),
            r"amounts sum to inf over 2 entries, past the largest",
            marks=pytest.mark.filterwarnings("ignore:overflow encountered in reduce"),
        ),
        ((0, 1.9, 5.0), r"ids 1.9: account ids and reason codes are whole numbers"),  # was 1
    ],
)
def test_bad_transfers_are_refused_and_nothing_is_booked(
    args: tuple[int, int, float], message: str
) -> None:
    led = Ledger(2)
    r = led.reason_code("x")
    with pytest.raises(LedgerError, match=message):
        led.post(*args, r)
    assert led.balances.tolist() == [0.0, 0.0]


def test_check_refuses_a_sum_that_is_not_a_number() -> None:
    led = Ledger(3)
    r = led.reason_code("x")
    led.post(OUTSIDE, [1, 2], [100.0, 50.0], r)
    led._balances[1] = np.nan  # nan > tolerance is False: the books passed
    with pytest.raises(LedgerError, match="sum of balances = nan"):
        led.check()


def test_unregistered_reason_and_bad_sizes_are_refused() -> None:
    led = Ledger(2)
    with pytest.raises(LedgerError, match=r"reason\[0\] = 9: unregistered"):
        led.post(0, 1, 1.0, 9)
    with pytest.raises(LedgerError, match="n_accounts = 0"):
        Ledger(0)


@pytest.mark.parametrize(("change", "total"), [(-1e6, "-1e+06"), (1e6, "1e+06")])
def test_check_refuses_money_missing_or_made_outside_post(change: float, total: str) -> None:
    led = Ledger(3)
    r = led.reason_code("x")
    led.post(OUTSIDE, [1, 2], [100.0, 50.0], r)  # turnover 150: tolerance 1.5e-7
    led._balances[1] += 1e-8  # rounding within the tolerance passes
    led.check()
    led._balances[2] += change  # a balance changed outside Ledger.post
    with pytest.raises(LedgerError, match=re.escape(f"sum of balances = {total} (turnover 150)")):
        led.check()


def test_balances_cannot_be_changed_behind_the_ledgers_back() -> None:
    led = Ledger(2)
    with pytest.raises(ValueError, match="read-only"):
        led.balances[1] = 5.0


def test_balances_follow_postings_new_accounts_and_copies() -> None:
    led = Ledger(2)
    assert led.balances.tolist() == [0.0, 0.0]
    led.post(OUTSIDE, 1, 5.0, led.reason_code("x"))
    assert led.balances.tolist() == [-5.0, 5.0]
    led.open(1)
    led.post(1, 2, 2.0, led.reason_code("x"))
    assert led.balances.tolist() == [-5.0, 3.0, 2.0]
    copy = pickle.loads(pickle.dumps(led))
    copy.post(2, 1, 1.0, copy.reason_code("x"))
    assert copy.balances.tolist() == [-5.0, 4.0, 1.0]
    assert led.balances.tolist() == [-5.0, 3.0, 2.0]
    with pytest.raises(ValueError, match="read-only"):
        copy.balances[1] = 5.0


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 30).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0, 1e9)),
                max_size=60,
            ),
        )
    )
)
def test_random_batches_conserve_money(case: tuple[int, list[tuple[int, int, float]]]) -> None:
    n, rows = case
    led = Ledger(n)
    r = led.reason_code("random")
    if rows:
        p, q, a = (np.array(c) for c in zip(*rows, strict=True))
        half = len(rows) // 2
        led.post(p[:half], q[:half], a[:half], r)
        led.post(p[half:], q[half:], a[half:], r)
        # Each account's balance is what it received minus what it paid.
        expected = np.bincount(q, a, n) - np.bincount(p, a, n)
        np.testing.assert_allclose(led.balances, expected, rtol=1e-12, atol=1e-3)
    led.check()


def test_narrow_ids_and_handed_over_arrays_book_like_int64() -> None:
    p, q, a = np.array([0, 1, 2, 0]), np.array([1, 2, 3, 3]), np.array([5.0, 2.0, 1.0, 0.5])
    r = np.array([0, 1, 1, 0])
    wide, narrow = Ledger(4), Ledger(4)
    for led in (wide, narrow):
        led.reason_code("a"), led.reason_code("b")
    wide.post(p, q, a, r)
    narrow.post(p.astype(np.int32), q.astype(np.int32), a.copy(), r.astype(np.int16), copy=False)
    for led in (wide, narrow):
        led.step = 1
    wide.post(p[:2], q[:2], a[:2], r[:2])
    narrow.post(p[:2].astype(np.int32), q[:2].astype(np.int32), a[:2], r[:2].astype(np.int16))
    # by hand: account 0 pays 5 + 0.5 + 5; 1 gets 5 and pays 2, twice; 2 nets 2 - 1 + 2
    np.testing.assert_array_equal(narrow.balances, [-10.5, 6.0, 3.0, 1.5])
    np.testing.assert_array_equal(narrow.balances, wide.balances)
    ew, en = wide.entries(), narrow.entries()
    np.testing.assert_array_equal(en["step"], [0, 0, 0, 0, 1, 1])
    for key in ("step", "payer", "payee", "reason"):
        assert en[key].dtype == np.int64
        np.testing.assert_array_equal(en[key], ew[key])
    np.testing.assert_array_equal(en["amount"], ew["amount"])


def test_runs_book_like_rows_posted_one_by_one() -> None:
    p, q, a = np.array([0, 1, 2, 0]), np.array([1, 2, 3, 3]), np.array([5.0, 2.0, 1.0, 0.5])
    rows, runs = Ledger(4), Ledger(4)
    for led in (rows, runs):
        led.reason_code("a"), led.reason_code("b")
    rows.post(p, q, a, [1, 1, 1, 0])
    runs.post_runs(np.stack([p, q]).astype(np.int32), a, [1, 0], [3, 1])
    # by hand: account 0 pays 5 + 0.5; 1 gets 5 and pays 2; 2 gets 2 and pays 1; 3 gets 1.5
    np.testing.assert_array_equal(runs.balances, [-5.5, 3.0, 1.0, 1.5])
    assert runs.balance_of(np.array([3, 0])).tolist() == [1.5, -5.5]
    er, eu = rows.entries(), runs.entries()
    for key in ("step", "payer", "payee", "amount", "reason"):
        np.testing.assert_array_equal(eu[key], er[key])
    assert runs.turnover == rows.turnover == 8.5


def test_runs_of_a_buffer_book_its_first_rows_only() -> None:
    ids = np.array([[0, 1, 2, -1, 9], [1, 2, 3, 7, -5]], dtype=np.int32)  # columns 3, 4 unused
    a = np.array([5.0, 2.0, 1.0, -1.0, np.nan])
    cut, buffered = Ledger(4), Ledger(4)
    for led in (cut, buffered):
        led.reason_code("a"), led.reason_code("b")
    cut.post_runs(ids[:, :3].copy(), a[:3].copy(), [1, 0], [2, 1], copy=True)
    assert not buffered.post_runs(ids, a, [1, 0], [2, 1], copy=True, rows=3)
    ids[:], a[:] = 0, 0.0  # copied: the journal keeps its own rows
    # by hand: account 0 pays 5; 1 gets 5 and pays 2; 2 gets 2 and pays 1; 3 gets 1
    np.testing.assert_array_equal(buffered.balances, [-5.0, 3.0, 1.0, 1.0])
    np.testing.assert_array_equal(buffered.balances, cut.balances)
    ec, eb = cut.entries(), buffered.entries()
    for key in ("step", "payer", "payee", "amount", "reason"):
        np.testing.assert_array_equal(eb[key], ec[key])
    assert eb["payer"].tolist() == [0, 1, 2] and eb["reason"].tolist() == [1, 1, 0]
    assert buffered.turnover == cut.turnover == 8.0
    with pytest.raises(LedgerError, match=r"need \(2, n\)"):
        buffered.post_runs(ids, a, [0], [2], rows=3)


@pytest.mark.parametrize(
    ("ids", "amount", "codes", "message"),
    [
        ([[0], [4]], [1.0], [0], r"payee\[0\] = 4: no such account"),
        ([[0], [1]], [-1.0], [0], r"amount\[0\] = -1.0"),
        ([[0], [1]], [np.inf], [0], r"amount\[0\] = inf"),
        ([[0], [1]], [1.0], [3], r"reason\[0\] = 3: unregistered"),
    ],
)
def test_bad_runs_are_refused_and_nothing_is_booked(
    ids: list[list[int]], amount: list[float], codes: list[int], message: str
) -> None:
    led = Ledger(3)
    led.reason_code("x")
    with pytest.raises(LedgerError, match=message):
        led.post_runs(np.array(ids), np.array(amount), codes, [1])
    assert led.balances.tolist() == [0.0, 0.0, 0.0]
    assert led.entries()["amount"].size == 0


def test_runs_of_the_wrong_shape_are_refused() -> None:
    led = Ledger(3)
    led.reason_code("x")
    with pytest.raises(LedgerError, match=r"need \(2, n\)"):
        led.post_runs(np.array([[0, 1], [1, 2]]), np.array([1.0, 2.0]), [0], [1])


def test_a_pooled_ledger_moves_the_same_balances_and_journals_the_sums() -> None:
    rng = np.random.default_rng(5)
    full, pooled = Ledger(40), Ledger(41)
    pooled.pool(np.arange(10, 40), into=40)
    for led in (full, pooled):
        for name in ("a", "b", "c"):
            led.reason_code(name)
    for month in range(3):
        full.step = pooled.step = month
        for _ in range(4):
            p = rng.integers(0, 40, 50).astype(np.int32)
            q = rng.integers(0, 40, 50).astype(np.int32)
            a = rng.exponential(5.0, 50)
            codes, counts = [0, 2, 1], [20, 20, 10]
            kept_full = full.post_runs(np.stack([p, q]), a, codes, counts)
            kept_pooled = pooled.post_runs(np.stack([p, q]), a.copy(), codes, counts)
            assert kept_full and not kept_pooled  # rows 10..39 were summed
        full.post(OUTSIDE, [1, 2], [3.0, 4.0], 1)  # no member: summed all the same
        pooled.post(OUTSIDE, [1, 2], [3.0, 4.0], 1)
    np.testing.assert_array_equal(pooled.balances[:40], full.balances)  # row by row, bit for bit
    assert pooled.balances[40] == 0.0
    pooled.check()
    # the journal: the full one with members read as 40, summed per month, reason and pair
    into = np.append(np.arange(10), np.full(30, 40))
    f, g = full.entries(), pooled.entries()
    want = pd.DataFrame(
        {"s": f["step"], "r": f["reason"], "p": into[f["payer"]], "q": into[f["payee"]]}
    ).assign(a=f["amount"])
    got = pd.DataFrame({"s": g["step"], "r": g["reason"], "p": g["payer"], "q": g["payee"]})
    got = got.assign(a=g["amount"])
    keys = ["s", "r", "p", "q"]
    w = want.groupby(keys)["a"].sum()
    h = got.groupby(keys)["a"].sum()
    pd.testing.assert_index_equal(h.index, w.index)
    np.testing.assert_allclose(h.to_numpy(), w.to_numpy(), rtol=1e-13)
    assert len(g["amount"]) < len(f["amount"]) / 2


def test_pool_refuses_bad_ids_naming_the_fix() -> None:
    led = Ledger(6)
    with pytest.raises(LedgerError, match=r"into = 0.*Ledger.open"):
        led.pool([1, 2], into=OUTSIDE)
    with pytest.raises(LedgerError, match="members: ids must be open accounts"):
        led.pool([1, 9], into=5)
    with pytest.raises(LedgerError, match="members: ids must be open accounts"):
        led.pool([1, 5], into=5)
    led.pool([1, 2], into=5)
    with pytest.raises(LedgerError, match="already in a pool"):
        led.pool([2, 3], into=4)
    led.pool([3], into=4)  # a second pool of other accounts
    led.open(1)  # account 6: its own party
    r = led.reason_code("x")
    led.post([1, 3, 6], [6, 6, 2], [1.0, 2.0, 4.0], r)
    e = led.entries()
    rows = sorted(zip(e["payer"].tolist(), e["payee"].tolist(), e["amount"].tolist(), strict=True))
    assert rows == [(4, 6, 2.0), (5, 6, 1.0), (6, 5, 4.0)]
    np.testing.assert_array_equal(led.balances, [0.0, -1.0, 4.0, -2.0, 0.0, 0.0, -1.0])


def test_a_pool_beyond_the_callers_id_type_is_journaled_by_its_own_id() -> None:
    # int16 ids and a pool at 40,001: its id was cast back to int16 and journaled as -25,535
    led = Ledger(3)
    led.open(40_000)
    led.pool([1, 2], into=40_001)
    r = led.reason_code("s")
    led.post(
        np.array([1, 2], np.int16),
        np.array([0, 0], np.int16),
        [5.0, 7.0],
        np.array([r, r], np.int16),
    )
    assert led.entries()["payer"].tolist() == [40_001]
    assert led.balances[[0, 1, 2]].tolist() == [12.0, -5.0, -7.0]


def test_entries_of_rows_and_runs_in_turn_keep_the_journal_order() -> None:
    led = Ledger(4)
    for name in ("a", "b", "c"):
        led.reason_code(name)
    led.post_runs(
        np.array([[0, 1, 2], [1, 2, 3]], np.int32), np.array([1.0, 2.0, 3.0]), [2, 0], [1, 2]
    )
    led.post(np.array([3, 3], np.int16), np.array([0, 1]), [4.0, 5.0], np.array([1, 2], np.int16))
    led.step = 1
    led.post_runs(np.array([[1], [0]]), np.array([6.0]), [1], [1])
    led.post_runs(np.array([[2, 2], [0, 3]]), np.array([7.0, 8.0]), [0, 2], [1, 1])
    led.post([1], [2], [9.0], [0])
    e = led.entries()
    assert e["step"].tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert e["payer"].tolist() == [0, 1, 2, 3, 3, 1, 2, 2, 1]
    assert e["payee"].tolist() == [1, 2, 3, 0, 1, 0, 0, 3, 2]
    assert e["amount"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert e["reason"].tolist() == [2, 0, 0, 1, 2, 1, 0, 2, 0]
    assert all(e[k].dtype == np.int64 for k in ("step", "payer", "payee", "reason"))
