"""Batched posting: queued transfers book what one ``Ledger.post`` per call would.

The oracle broadcasts each call with numpy and books the calls' rows in one
``Ledger.post`` (payers debited, then payees credited, row by row in posting order);
balances must agree exactly and the journals row by row.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.accounts import Accounts
from market.ledger import Ledger
from tests.agents.conftest import one_of_each_accounts


def _calls(rng: np.random.Generator) -> list[tuple[object, object, object, str]]:
    """Postings with every mix of scalars and vectors, zeros and a long one."""
    ids = np.arange(1, 9)
    long_amounts = np.where(rng.random(100) < 0.5, 0.0, rng.random(100))
    return [
        (0, ids, rng.random(8) * 100, "endowment"),  # scalar payer
        (ids, 0, 3.5, "opex"),  # scalar payee and amount
        (ids[:3], ids[3:6], rng.random(3), "trade"),  # all vectors
        (2, 5, 1.25, "fee"),  # all scalars
        (ids[:0], 0, 1.0, "nothing"),  # empty
        (rng.integers(1, 9, 100), 0, long_amounts, "interest"),  # long, half zero
        (0, 3, np.zeros(70), "write_off"),  # long, all zero: one row kept
    ]


def test_queued_postings_book_as_direct_ones() -> None:
    rng = np.random.default_rng(11)
    acc = Accounts.open([1, 2], [3, 4], [5, 6], [7, 8])
    ref = Ledger(acc.usd.n_accounts)
    calls = _calls(rng)
    for payer, payee, amount, reason in calls:
        acc.pay(payer, payee, amount, reason)
    acc.flush()
    rows: list[tuple[np.ndarray, ...]] = []
    for payer, payee, amount, reason in calls:
        p, q, a = np.broadcast_arrays(
            np.asarray(payer), np.asarray(payee), np.maximum(np.asarray(amount, float), 0.0)
        )
        a = a.ravel()
        if a.size > 64 and not (a != 0).all():  # zero rows are not journalled
            keep = a != 0
            keep[0] |= not keep.any()
            p, q, a = p.ravel()[keep], q.ravel()[keep], a[keep]
        if a.size:
            code = ref.reason_code(reason)
            rows.append((p.ravel(), q.ravel(), a, np.full(a.size, code)))
    ref.post(*(np.concatenate(c) for c in zip(*rows, strict=True)))
    assert acc.usd.balances.tolist() == ref.balances.tolist()
    got, want = acc.usd.entries(), ref.entries()
    for key in want:
        assert got[key].tolist() == want[key].tolist(), key
    assert acc.usd.reasons == ref.reasons
    assert got["reason"].dtype == np.int64  # entries() widens the int16 journal


def test_a_two_dimensional_posting_is_broadcast_like_numpy() -> None:
    acc = Accounts.open([1, 2], [3], [4], [5])
    acc.pay(np.array([[1], [2]]), np.array([3, 4, 5]), 2.0, "grid")
    acc.flush()
    # each of 1 and 2 pays each of 3, 4, 5 two dollars
    assert acc.usd.balances.tolist() == [0.0, -6.0, -6.0, 4.0, 4.0, 4.0]


def test_negative_payments_are_booked_as_zero() -> None:
    acc = one_of_each_accounts()
    acc.pay(0, [1, 2], [1.0, -2.0], "refund")
    acc.pay(0, 3, -1.0, "refund")
    acc.flush()
    assert acc.usd.balances.tolist() == [-1.0, 1.0, 0.0, 0.0, 0.0]


def test_append_writes_the_rows_numpy_keeps() -> None:
    # the queue's copy against numpy: clip, then (past 64 rows) the non-zero rows only
    from agents.accounts import _append, _kept

    rng = np.random.default_rng(5)
    for n in (1, 5, 64, 65, 200):
        a = rng.normal(size=n)
        a[rng.random(n) < 0.4] = 0.0
        a[rng.random(n) < 0.1] = -0.0
        a[rng.random(n) < 0.05] = np.nan
        for amount in (a, np.zeros(n)):
            for clip in (True, False):
                payer, payee = rng.integers(1, 9, n), np.array([3])
                v = np.maximum(amount, 0.0) if clip else amount
                keep = np.ones(n, dtype=bool)
                if n > 64:
                    keep = ~(amount <= 0.0) if clip else amount != 0.0
                    keep[0] |= not keep.any()
                ids, out = np.zeros((2, n + 3), dtype=np.int32), np.zeros(n + 3)
                m = _append(ids, out, 3, payer, payee, amount, clip)
                assert m == keep.sum() == (_kept(amount, clip) if n > 64 else n)
                assert ids[0, 3 : 3 + m].tolist() == payer[keep].tolist()
                assert (ids[1, 3 : 3 + m] == 3).all()
                assert out[3 : 3 + m].tobytes() == v[keep].tobytes()


def test_postings_queued_together_book_as_one_by_one() -> None:
    # pay_each / post_each against pay / post of each posting in turn: rows, reasons,
    # runs, balances and the queue's growth alike (long postings, zeros, empty ones)
    rng = np.random.default_rng(3)
    for _ in range(40):
        one, each = (Accounts.open([1, 2], [3, 4], [5, 6], [7, 8]) for _ in range(2))
        calls = []
        for _ in range(int(rng.integers(1, 9))):
            n = int(rng.choice([0, 1, 3, 64, 65, 300]))
            a = rng.normal(size=n)
            a[rng.random(n) < 0.5] = 0.0 if rng.random() < 0.8 else -0.0
            ids = [rng.integers(1, 9, n) if rng.random() < 0.6 else None for _ in range(2)]
            k = [int(rng.integers(0, 9)) for _ in range(2)]
            calls.append((ids, k, a, str(rng.choice(["x", "y", "z"]))))
        for _ in range(int(rng.integers(1, 4))):
            for ids, k, a, reason in calls:
                p, q = (x if x is not None else j for x, j in zip(ids, k, strict=True))
                one.pay(p, q, a, reason)
                one.post(one.chips, p, q, np.abs(a), reason)
            vectors = [
                tuple(x if x is not None else np.array([j]) for x, j in zip(ids, k, strict=True))
                for ids, k, _, _ in calls
            ]
            reasons = tuple(c[3] for c in calls)
            each.pay_each(
                tuple((p, q, c[2]) for (p, q), c in zip(vectors, calls, strict=True)), reasons
            )
            each.post_each(
                each.chips,
                tuple((p, q, np.abs(c[2])) for (p, q), c in zip(vectors, calls, strict=True)),
                reasons,
            )
            if rng.random() < 0.5:
                one.flush()
                each.flush()
        one.flush()
        each.flush()
        for led, got in ((one.usd, each.usd), (one.chips, each.chips)):
            assert led.balances.tobytes() == got.balances.tobytes()
            want_rows, got_rows = led.entries(), got.entries()
            for key in want_rows:
                assert want_rows[key].tobytes() == got_rows[key].tobytes(), key
            assert led.reasons == got.reasons
        for asset, queue in one._queue.items():
            assert queue.capacity == each._queue[asset].capacity


def test_postings_queued_together_refuse_ids_of_another_size() -> None:
    acc = one_of_each_accounts()
    one, two = np.array([1]), np.array([1, 2])
    with pytest.raises(ValueError, match="postings for"):
        acc.pay_each(((one, one, np.ones(1)),), ("a", "b"))
    with pytest.raises(ValueError, match="one per amount"):
        acc.pay_each(((two, one, np.ones(2)), (two, one, np.ones(3))), ("a", "b"))
    acc.flush()  # the first posting stays queued, as by pay one by one
    assert acc.usd.entries()["amount"].tolist() == [1.0, 1.0]
