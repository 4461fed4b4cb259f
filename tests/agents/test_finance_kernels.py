"""The compiled steps of ``settle_finance`` against the numpy rules of :mod:`agents.finance`
they replace, bit for bit, on random inputs (zeros, negative zeros, inactive rows)."""

from __future__ import annotations

import numpy as np

from agents.accounts import OUTSIDE, Accounts
from agents.finance import borrow_amount, debt_limit, interest_due, repayment, surplus_use
from agents.finance_kernels import borrow_then_repay, month_interest, shortfalls, surpluses


def _values(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random floats of many magnitudes, signs mixed, with zeros and negative zeros."""
    x = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 6, n)
    x[rng.random(n) < 0.2] = 0.0
    x[rng.random(n) < 0.1] = -0.0
    return x


def _same(got: np.ndarray, expected: np.ndarray) -> bool:
    return bool(np.asarray(got).tobytes() == np.asarray(expected, dtype=float).tobytes())


def test_month_interest_is_numpys_expressions() -> None:
    rng = np.random.default_rng(0)
    n_h, n_l = 7, 30
    other, sales, power, dc, chips = (_values(rng, n_h) for _ in range(5))
    ocf, costs, d_h, d_l = (
        _values(rng, n_h),
        _values(rng, n_h),
        _values(rng, n_h),
        _values(rng, n_l),
    )
    for w, d_v in ((1.0, np.zeros(2)), (1.0 / 3.0, np.array([0.0, -0.0])), (1.0 / 12.0, ocf)):
        ocf_got, costs_got, interest = ocf.copy(), costs.copy(), np.full(n_h + n_l, np.nan)
        ha, la = rng.integers(1, 99, n_h), rng.integers(1, 99, n_l)
        firms, none = np.full(n_h + n_l, -1), np.zeros(0, dtype=np.int64)
        for into in (firms, none):
            owes = month_interest(
                w, other, sales, power, dc, chips, ocf_got, costs_got, d_h, d_l, 0.06, 0.12,
                interest, d_v, ha, la, into,
            )  # fmt: skip
            if into is firms:
                ocf_got, costs_got = ocf.copy(), costs.copy()  # (the second call's inputs)
        assert owes == bool(d_v.any()) and firms.tolist() == ha.tolist() + la.tolist()
        assert _same(ocf_got, (1 - w) * ocf + w * (other + sales - power))
        assert _same(costs_got, (1 - w) * costs + w * (dc + chips + power))
        expected = np.concatenate([interest_due(d_h, 0.06), interest_due(d_l, 0.12)])
        assert _same(interest, expected)


def test_shortfalls_and_surpluses_are_numpys_rules() -> None:
    rng = np.random.default_rng(1)
    n_h, n_l, n_u, n_v = 5, 40, 4, 3
    for trial in range(20):
        balances = _values(rng, 1 + n_h + n_l + n_u + n_v)
        ids = rng.permutation(np.arange(1, balances.size))
        ha, la = ids[:n_h], ids[n_h : n_h + n_l]
        ua, va = ids[n_h + n_l : n_h + n_l + n_u], ids[n_h + n_l + n_u :]
        revenue, kind = _values(rng, n_l), rng.integers(0, 3, n_l)
        active = rng.random(n_l) < 0.8
        d_h, d_l = np.abs(_values(rng, n_h)), np.abs(_values(rng, n_l))
        d_v = np.abs(_values(rng, n_v)) if trial % 2 else np.zeros(n_v)
        # numpy, as settle_finance computed it
        b_h = np.maximum(0.0, -balances[ha])
        limit = debt_limit(1.5, 12 * revenue)
        limit[kind == 2] = np.inf
        b_l = np.where(active, borrow_amount(balances[la], d_l, limit), 0.0)
        b_v = np.maximum(0.0, -balances[va])
        cash_l = balances[la] + b_l
        # the kernel
        borrowed, cash_got = np.full(n_h + n_l, np.nan), np.full(n_l, np.nan)
        recovery, b_v_got = np.full(n_u, np.nan), np.full(n_v, np.nan)
        d_h2, d_l2, d_v2 = d_h.copy(), d_l.copy(), d_v.copy()
        short, borrows = shortfalls(
            balances, ha, la, ua, va, revenue, kind, 2, active, 1.5,
            d_h2, d_l2, d_v2, borrowed, cash_got, recovery, b_v_got,
        )  # fmt: skip
        assert _same(borrowed, np.concatenate([b_h, b_l])) and _same(cash_got, cash_l)
        assert _same(recovery, np.maximum(0.0, -balances[ua])) and _same(b_v_got, b_v)
        assert _same(d_h2, d_h + b_h) and _same(d_l2, d_l + b_l)
        assert _same(d_v2, d_v + b_v if b_v.any() else d_v)
        assert short == bool((active & (cash_l < 0)).any()) and borrows == bool(b_v.any())
        # the surplus, on new balances
        balances = _values(rng, balances.size)
        costs, committed, reserve = (np.abs(_values(rng, n_h)) for _ in range(3))
        opex, spend = np.abs(_values(rng, n_l)), _values(rng, n_l)
        out = active & (rng.random(n_l) < 0.2)
        repaid_exit = np.where(out, _values(rng, n_l), 0.0)
        loss = np.where(out, _values(rng, n_l), 0.0)
        buf_h = np.maximum(2.0 * costs + committed, reserve)
        r_h, p_h = surplus_use(balances[ha], d_h2, buf_h, np.ones(n_h, dtype=bool))
        r_l = repayment(cash_l, d_l2, 2.0 * np.maximum(0.0, opex + spend))
        r_l = np.where(~active | out, 0.0, r_l)
        r_v = repayment(balances[va], d_v2, np.zeros(n_v))
        repaid, payout, written_off, repay = (np.full(n_h + n_l, np.nan) for _ in range(4))
        r_v_got = np.full(n_v, np.nan)
        d_h3, d_l3, d_v3 = d_h2.copy(), d_l2.copy(), d_v2.copy()
        owes = surpluses(
            balances, ha, va, 2.0, costs, committed, reserve, cash_l, opex, spend, active, out,
            loss, repaid_exit, d_h3, d_l3, d_v3, repaid, payout, written_off, repay, r_v_got,
        )  # fmt: skip
        assert _same(repaid, np.concatenate([r_h, r_l + repaid_exit]))
        assert _same(repay, np.concatenate([r_h, r_l]))
        assert _same(written_off, np.concatenate([np.zeros(n_h), loss]))
        assert _same(payout, np.concatenate([p_h, np.zeros(n_l)]))
        assert _same(d_h3, d_h2 - r_h) and _same(d_l3, d_l2 - r_l)
        assert owes == bool(d_v2.any())
        if owes:
            assert _same(r_v_got, r_v) and _same(d_v3, d_v2 - r_v)
        else:
            assert _same(d_v3, d_v2)


def test_borrow_then_repay_is_shortfalls_then_surpluses_on_the_booked_borrowing() -> None:
    rng = np.random.default_rng(2)
    n_h, n_l, n_u, n_v = 4, 30, 3, 3
    shorts = 0
    for trial in range(40):
        acc = Accounts.open(
            np.arange(1, 1 + n_h),
            np.arange(1 + n_h, 1 + n_h + n_u),
            np.arange(1 + n_h + n_u, 1 + n_h + n_u + n_v),
            np.arange(1 + n_h + n_u + n_v, 1 + n_h + n_u + n_v + n_l),
        )
        ha, ua, va, la = acc.hyperscaler, acc.utility, acc.vendor, acc.lab
        start = _values(rng, acc.usd.n_accounts)
        if trial % 2:  # labs in cash: nobody short
            start[la] = np.abs(start[la])
        acc.pay(OUTSIDE, np.arange(1, start.size), np.maximum(start[1:], 0.0), "endowment")
        acc.pay(np.arange(1, start.size), OUTSIDE, np.maximum(-start[1:], 0.0), "fuel")
        acc.flush()
        revenue, kind = _values(rng, n_l), rng.integers(0, 3, n_l)
        active = rng.random(n_l) < 0.8
        d_h, d_l = np.abs(_values(rng, n_h)), np.abs(_values(rng, n_l))
        d_v = np.abs(_values(rng, n_v)) if trial % 3 else np.zeros(n_v)
        costs, committed, reserve = (np.abs(_values(rng, n_h)) for _ in range(3))
        opex, spend = np.abs(_values(rng, n_l)), _values(rng, n_l)
        no_exit, zeros = np.zeros(n_l, dtype=bool), np.zeros(n_l)
        fixed = (revenue, kind, 2, active, 1.5)
        surplus = (2.0, costs, committed, reserve)
        # one call
        got = [np.full(k, np.nan) for k in (n_h + n_l, n_l, n_u, n_v, *(n_h + n_l,) * 4, n_v)]
        debts = [d_h.copy(), d_l.copy(), d_v.copy()]
        short, borrows, owes = borrow_then_repay(
            acc.usd.balances, ha, la, ua, va, *fixed, *surplus, opex, spend, no_exit, zeros,
            *debts, *got,
        )  # fmt: skip
        # two calls, the borrowing booked between them as close_financing posts it
        ref = [np.full(k, np.nan) for k in (n_h + n_l, n_l, n_u, n_v, *(n_h + n_l,) * 4, n_v)]
        ref_debts = [d_h.copy(), d_l.copy(), d_v.copy()]
        short_ref, borrows_ref = shortfalls(
            acc.usd.balances, ha, la, ua, va, *fixed, *ref_debts, *ref[:4]
        )
        assert (short, borrows) == (short_ref, borrows_ref)
        if short:
            shorts += 1
            for x, y in zip(got[:4] + debts, ref[:4] + ref_debts, strict=True):
                assert _same(x, y)
            continue
        acc.pay(OUTSIDE, ha, ref[0][:n_h], "borrow")
        acc.pay(OUTSIDE, la, ref[0][n_h:], "borrow")
        acc.pay(OUTSIDE, ua, ref[2], "rate_recovery")
        if borrows_ref:
            acc.pay(OUTSIDE, va, ref[3], "borrow")
        acc.flush()
        owes_ref = surpluses(
            acc.usd.balances, ha, va, *surplus, ref[1], opex, spend, active, no_exit, zeros,
            zeros, *ref_debts, *ref[4:],
        )  # fmt: skip
        assert owes == owes_ref
        for x, y in zip(got + debts, ref + ref_debts, strict=True):
            assert _same(x, y)
    assert 0 < shorts < 40
