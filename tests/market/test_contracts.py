"""The vectorized contract table: pro-rata delivery, take-or-pay, penalties."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from market.contracts import ContractError, ContractTable, pro_rata


def test_pro_rata_hand_computed():
    # pool 0: capacity 4 for demands 6 and 2 -> 3 and 1; pool 1: capacity 10 >= 5
    np.testing.assert_allclose(pro_rata([0, 0, 1], [6.0, 2.0, 5.0], [4.0, 10.0]), [3.0, 1.0, 5.0])
    assert pro_rata([], [], [1.0]).size == 0


def test_pro_rata_of_a_subnormal_demand_is_that_demand_without_a_warning():
    # a contract for 5e-324 MWh a month (the least float; each number at its ends):
    # capacity over it overflows, and the share is cut to the whole demand
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = pro_rata([0, 1], [5e-324, 2.0], [100.0, 1.0])
    assert got.tolist() == [5e-324, 1.0]


def _table() -> ContractTable:
    t = ContractTable()
    t.add(
        kind="compute",
        seller=0,
        buyer=1,
        volume=10.0,
        price=2.0,
        start=0,
        end=12,
        take_or_pay=True,
        penalty_rate=0.5,
    )
    t.add(
        kind="compute",
        seller=0,
        buyer=2,
        volume=10.0,
        price=3.0,
        start=6,
        end=12,
        take_or_pay=False,
        penalty_rate=0.25,
    )
    t.add(kind="power", seller=1, buyer=0, volume=5.0, price=50.0, start=0, end=3)
    return t


def test_active_rows_by_month_and_kind():
    t = _table()
    assert t.active(0).tolist() == [0, 2]
    assert t.active(6, "compute").tolist() == [0, 1]
    assert t.active(12).tolist() == []


def test_take_or_pay_and_penalties_hand_computed():
    t = _table()
    s = t.settle([0, 1], [4.0, 8.0])
    # the sellers made available only what came: each buyer pays for that, 4 x 2 and
    # 8 x 3, take-or-pay or not (the shortfall is the seller's)
    np.testing.assert_allclose(s.payment, [8.0, 24.0])
    # the seller owes rate x price x shortfall: 0.5 x 2 x 6 and 0.25 x 3 x 2
    np.testing.assert_allclose(s.penalty, [6.0, 1.5])
    np.testing.assert_allclose(t.delivered_total[:2], [4.0, 8.0])
    np.testing.assert_allclose(t.paid_total[:2], [8.0, 24.0])
    # offered in full and taken in part: take-or-pay pays the volume, 10 x 2; the other
    # pays what it took, 8 x 3; neither seller owes a penalty
    s = t.settle([0, 1], [4.0, 8.0], offered=[10.0, 10.0])
    np.testing.assert_allclose(s.payment, [20.0, 24.0])
    np.testing.assert_allclose(s.penalty, [0.0, 0.0])
    # offered 7 of 10, 4 taken: take-or-pay pays 7 x 2, the seller owes 0.5 x 2 x 3
    s = t.settle([0], [4.0], offered=[7.0])
    np.testing.assert_allclose((s.payment[0], s.penalty[0]), (14.0, 3.0))
    np.testing.assert_allclose(t.paid_total[:2], [8.0 + 20.0 + 14.0, 48.0])
    # the running delivery is what the buyers took, not what was offered: 4 + 4 + 4 and
    # 8 + 8; penalties 6 + 0 + 3 and 1.5 + 0
    np.testing.assert_allclose(t.delivered_total[:2], [12.0, 16.0])
    np.testing.assert_allclose(t.penalty_total[:2], [9.0, 1.5])


@pytest.mark.parametrize(
    ("delivered", "offered", "match"),
    [
        ([4.0], [3.0], "offered: a seller cannot make available less"),
        (
            [4.0],
            [11.0],
            r"offered: must have one entry per row \(1 rows, got shape \(1,\)\), each a number",
        ),
        ([-1.0], None, "delivered: must have one entry per row"),
        # nan passed both comparisons, and the running totals became nan
        ([float("nan")], None, "delivered: must have one entry per row .* each a number"),
        ([4.0], [float("nan")], "offered: must have one entry per row .* each a number"),
    ],
)
def test_settle_refuses_quantities_out_of_range(delivered, offered, match):
    with pytest.raises(ContractError, match=match):
        _table().settle([0], delivered, offered=offered)


def test_a_delivery_short_by_rounding_is_the_whole_volume():
    # 10 x (1 - 1e-12): within the clearing's tolerance (1e-9 of the volume), delivered in
    # full, no penalty; 1e-6 short (1e-7 of it): 0.25 x 3 x 1e-6 owed
    t = _table()
    s = t.settle([0, 1], [10.0 * (1 - 1e-12), 10.0 - 1e-6])
    np.testing.assert_array_equal(s.delivered, [10.0, 10.0 - 1e-6])
    np.testing.assert_allclose(s.penalty, [0.0, 0.25 * 3.0 * 1e-6], rtol=1e-6, atol=0)
    assert s.penalty[0] == 0.0 and t.penalty_total[0] == 0.0


def test_terminate_ends_obligations():
    t = _table()
    t.terminate([0], 4)
    assert 0 not in t.active(4) and 0 in t.active(3)


def test_rows_in_force_follow_contracts_added_and_ended_after_a_lookup():
    t = _table()
    assert t.active(7, "compute").tolist() == [0, 1]
    assert t.active(8, "compute") is t.active(7, "compute")  # no row starts or ends between
    with pytest.raises(ValueError, match="read-only"):
        t.active(7)[0] = 5
    t.add(kind="compute", seller=1, buyer=1, volume=1.0, price=1.0, start=7, end=9)
    assert t.active(7, "compute").tolist() == [0, 1, 3]
    assert t.active(9, "compute").tolist() == [0, 1]
    t.terminate([1], 8)
    assert t.active(7, "compute").tolist() == [0, 1, 3]
    assert t.active(8, "compute").tolist() == [0, 3]
    # what is built from the rows in force is forgotten with them
    built = []
    assert t.cached(("n", t.period(8)), lambda: built.append(1) or len(t.active(8))) == 2
    assert t.cached(("n", t.period(8)), lambda: built.append(1) or 0) == 2
    t.terminate([3], 8)
    assert t.cached(("n", t.period(8)), lambda: built.append(1) or len(t.active(8))) == 1
    assert built == [1, 1]


def test_bad_rows_are_refused():
    t = ContractTable()
    with pytest.raises(ContractError, match="kind = 'gas'"):
        t.add(kind="gas", seller=0, buyer=1, volume=1, price=1, start=0, end=1)
    with pytest.raises(ContractError, match="volume = -1"):
        t.add(kind="power", seller=0, buyer=1, volume=-1, price=1, start=0, end=1)
    with pytest.raises(ContractError, match="end = 0 < start = 3"):
        t.add(kind="power", seller=0, buyer=1, volume=1, price=1, start=3, end=0)
    t.add(kind="power", seller=0, buyer=1, volume=1, price=1, start=0, end=1)
    with pytest.raises(ContractError, match="within"):
        t.settle([0], [2.0])


def _numpy_settle(
    cols: dict[str, np.ndarray], r: np.ndarray, delivered: np.ndarray, offered: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The settlement in numpy, as the table computed it before its compiled loop."""
    vol, tol = cols["volume"][r], 1e-9

    def within(x: np.ndarray) -> np.ndarray:
        return np.where(x >= vol * (1 - tol), vol, x.clip(0.0, vol))

    d, o = within(delivered), within(offered)
    price = cols["price"][r]
    payment = price * np.where(cols["take_or_pay"][r], o, d)
    penalty = cols["penalty_rate"][r] * price * (vol - o)
    np.add.at(cols["delivered_total"], r, d)
    np.add.at(cols["paid_total"], r, payment)
    np.add.at(cols["penalty_total"], r, penalty)
    return d, payment, penalty


@pytest.mark.parametrize("seed", range(4))
def test_settle_is_numpys_arithmetic_to_the_bit(seed: int) -> None:
    # rows repeated and negative, volumes of zero, quantities of -0.0, zero, a hair
    # below zero, within tolerance of the volume and at it, totals summed over months
    rng = np.random.default_rng(seed)
    t = ContractTable()
    n = 9
    for i in range(n):
        t.add(
            kind=("compute", "power", "chips")[i % 3],
            seller=0,
            buyer=1,
            volume=float(rng.choice([0.0, 1e-3, 7.0, 3e8])) * rng.uniform(0.5, 1.5),
            price=float(rng.uniform(0.0, 100.0)),
            start=0,
            end=12,
            take_or_pay=bool(rng.integers(2)),
            penalty_rate=float(rng.choice([0.0, 0.25, rng.uniform()])),
        )
    cols = t.columns()
    for _ in range(20):
        r = rng.integers(-n, n, rng.integers(1, 15))
        vol = cols["volume"][r]
        pick = rng.integers(0, 6, (2, r.size))
        q = np.select(
            [pick == 0, pick == 1, pick == 2, pick == 3, pick == 4],
            [-0.0, 0.0, -1e-10, vol * (1 - 1e-12), vol],
            vol * rng.uniform(0.0, 1.0, (2, r.size)),
        )
        delivered, offered = q.min(axis=0), q.max(axis=0)
        want = _numpy_settle(cols, r, delivered, offered)
        got = t.settle(r, delivered, offered)
        for w, g in zip(want, (got.delivered, got.payment, got.penalty), strict=True):
            assert w.tobytes() == g.tobytes()
        want_taken = _numpy_settle(cols, r, delivered, delivered)
        got = t.settle(r, delivered)
        for w, g in zip(want_taken, (got.delivered, got.payment, got.penalty), strict=True):
            assert w.tobytes() == g.tobytes()
        for name in ("delivered_total", "paid_total", "penalty_total"):
            assert cols[name].tobytes() == getattr(t, name).tobytes()


def test_settle_refuses_in_order_and_writes_nothing() -> None:
    t = _table()
    with pytest.raises(IndexError):
        t.settle([0, 7], [1.0, 1.0])
    with pytest.raises(IndexError):
        t.settle([0, 7], [1.0])
    with pytest.raises(ContractError, match=r"delivered: .*\(2 rows, got shape \(1,\)\)"):
        t.settle([0, 1], [1.0], offered=[1.0])
    with pytest.raises(ContractError, match="delivered: must"):
        t.settle([0, 1], [1.0, 11.0], offered=[1.0])
    with pytest.raises(ContractError, match=r"offered: .*\(2 rows, got shape \(1,\)\)"):
        t.settle([0, 1], [1.0, 1.0], offered=[1.0])
    with pytest.raises(ContractError, match="delivered: must"):
        t.settle([0, 1], [1.0, 11.0], offered=[1.0, -1.0])
    with pytest.raises(ContractError, match="offered: must"):
        t.settle([0, 1], [1.0, 1.0], offered=[3.0, -1.0])
    with pytest.raises(ContractError, match="offered: a seller cannot"):
        t.settle([0, 1], [1.0, 1.0], offered=[3.0, 0.5])
    assert not t.delivered_total.any() and not t.paid_total.any() and not t.penalty_total.any()
    s = t.settle(np.array([[0], [1]]), np.array([[4.0], [8.0]]))  # any shape, read flat
    assert s.payment.shape == (2, 1) and s.payment.ravel().tolist() == [8.0, 24.0]
