"""The month's end of the financing: interest, borrowing, emergency rounds, exits,
repayment and payouts, by the rules of :mod:`agents.finance`.

:func:`settle_finance` does the arithmetic of each step between the ledger's flushes in one
compiled call (:mod:`agents.finance_kernels`). Its first step, the interest
(:func:`agents.finance_kernels.month_interest`), posts nothing and reads no balance: the
labs' month close (:func:`agents.phases.settle_labs.close_labs`) does it in a compiled call
of its own, then :func:`close_financing`, the rest. In a month when no lab is short, the
borrowing and the surplus are one compiled call
(:func:`agents.finance_kernels.borrow_then_repay`).
"""

from __future__ import annotations

import numpy as np

from agents.accounts import OUTSIDE, Accounts, Posting
from agents.finance import Debt, MonthWork, interest_due, write_off
from agents.finance_kernels import borrow_then_repay, month_interest, shortfalls, surpluses
from agents.lab import LabArrays, LabKind, plan_funding
from agents.scenario import Scenario
from agents.state import BoolArray, FloatArray

__all__ = ["close_financing", "settle_finance"]

_ENTERPRISE = int(LabKind.ENTERPRISE)
"""The code of :attr:`agents.lab.LabKind.ENTERPRISE`, as the kernels take it."""

_NONE: Posting = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
"""A posting that does not apply this month: empty, it books nothing."""
_BORROW = ("borrow", "rate_recovery", "borrow", "vc_round", "write_off", "repay")
"""Reasons of the postings after the borrowing: the firms' borrowing (hyperscalers and labs
in one posting), the utilities' recovery, the vendors' borrowing, the labs' emergency
rounds, the exits' write-offs and repayment."""
_BORROW_APART = ("borrow", *_BORROW)
""":data:`_BORROW` with the hyperscalers' and labs' borrowing in two postings."""
_REPAY = ("repay", "payout", "repay")
"""Reasons of the last postings: the firms' repayment, the payouts, the vendors'."""
_REPAY_APART = ("repay", *_REPAY)
""":data:`_REPAY` with the hyperscalers' and labs' repayment in two postings."""


def settle_finance(
    cfg: Scenario,
    rng: np.random.Generator,
    debt: Debt,
    labs: LabArrays,
    other_cash_flow: FloatArray,
    ai_sales: FloatArray,
    power_cost: FloatArray,
    accounts: Accounts,
) -> BoolArray:
    """The month's end: interest, borrowing, emergency rounds, exits, repayment, payouts.

    ``ai_sales`` and ``power_cost`` are each hyperscaler's compute revenue and the energy it
    bought valued at the month's prices (see ``Debt.hs_ocf``), and ``debt.capex_chips`` its
    chip purchases. Returns the labs that exit
    (they are marked inactive by the caller, which ends their contracts).
    """
    fin = cfg.finance
    work = debt.work(labs.n, accounts.utility.size, accounts.vendor.size)
    # interest on what was owed over the month (and the trailing averages)
    vendor_owes = month_interest(
        debt.next_month(),
        other_cash_flow,
        ai_sales,
        power_cost,
        debt.capex_dc,
        debt.capex_chips,
        debt.hs_ocf,
        debt.hs_costs,
        debt.hs,
        debt.lab,
        float(fin.debt_rate_hyperscaler),
        float(fin.debt_rate_lab),
        debt.interest,
        debt.vendor,
        accounts.hyperscaler,
        labs.account,
        work.firms,
    )
    out, exits = close_financing(cfg, rng, debt, labs, accounts, vendor_owes, work)
    return out if exits else np.zeros(labs.n, dtype=bool)


def close_financing(
    cfg: Scenario,
    rng: np.random.Generator,
    debt: Debt,
    labs: LabArrays,
    accounts: Accounts,
    vendor_owes: bool,
    work: MonthWork,
) -> tuple[BoolArray, bool]:
    """:func:`settle_finance` after its arithmetic of interest (:func:`month_interest`, which
    wrote ``debt.interest`` and ``work.firms`` and says whether a vendor owes,
    ``vendor_owes``): the postings of interest, then borrowing, emergency rounds, exits,
    repayment and payouts. ``work`` is ``debt.work(...)`` for the world's sizes.

    Returns the labs that exit and whether any does; without exits the array is one kept
    for the run (zeros: read it, never write it).
    """
    fin = cfg.finance
    n_h = debt.hs.size
    ha, la, a = accounts.hyperscaler, labs.account, labs
    ua, va = accounts.utility, accounts.vendor
    # a posting to the hyperscalers and one to the labs of the same reason, one after the
    # other, are one posting of both when short enough to be journalled row for row
    firms = work.firms if work.firms.size else None
    if firms is None:
        accounts.pay(ha, OUTSIDE, debt.interest[:n_h], "interest")
        accounts.pay(la, OUTSIDE, debt.interest[n_h:], "interest")
    else:
        accounts.pay(firms, OUTSIDE, debt.interest, "interest")
    if vendor_owes:  # (no posting in the months no vendor owes anything)
        accounts.pay(va, OUTSIDE, interest_due(debt.vendor, fin.debt_rate_hyperscaler), "interest")
    accounts.flush()
    # hyperscalers: every shortfall financed (running costs are never left unpaid); labs:
    # credit within the limit (none for enterprises), then an emergency round, then exit;
    # utilities: a month's loss (a power contract priced below the units serving it) is
    # recovered from ratepayers, as cost-of-service regulation allows, never left unpaid;
    # chip vendors: a shortfall (a supply contract's penalty beyond the month's sales: a
    # vendor makes what it ships and is paid at least its cost) is borrowed, at the
    # hyperscalers' rate, as a listed firm borrows; it holds no buffer and pays nothing out.
    # Then surplus cash repays debt; hyperscalers pay out the rest; labs pay nothing out and
    # keep a buffer of their costs (none, not a negative one, for a lab paid more in
    # penalties than it spends); vendors repay from any cash, as soon as it comes (no
    # buffer). In a month when no lab is short, one compiled call does both (on the
    # balances the borrowing will leave), else the surplus waits for the ledger
    cash_l, recovery, b_v = work.cash_lab, work.recovery, work.borrowed_vendor
    repay, r_v = work.repay, work.repay_vendor
    balances, enterprise_kind = accounts.usd.balances, _ENTERPRISE
    multiple, months = float(fin.debt_multiple_lab), float(fin.cash_buffer_months)
    vendor_repays = False
    if work.one_step:
        short_any, vendor_borrows, vendor_repays = borrow_then_repay(
            balances,
            ha,
            la,
            ua,
            va,
            a.revenue,
            a.kind,
            enterprise_kind,
            a.active,
            multiple,
            months,
            debt.hs_costs,
            debt.dc_committed,
            debt.hs_reserve,
            a.opex,
            a.spend,
            work.no_exit,
            work.zeros,
            debt.hs,
            debt.lab,
            debt.vendor,
            debt.borrowed,
            cash_l,
            recovery,
            b_v,
            debt.repaid,
            debt.payout,
            debt.written_off,
            repay,
            r_v,
        )
        repaid = not short_any
    else:
        short_any, vendor_borrows = shortfalls(
            balances,
            ha,
            la,
            ua,
            va,
            a.revenue,
            a.kind,
            enterprise_kind,
            a.active,
            multiple,
            debt.hs,
            debt.lab,
            debt.vendor,
            debt.borrowed,
            cash_l,
            recovery,
            b_v,
        )
        repaid = False
    # (posted below, with the emergency rounds and the exits: nothing reads a balance
    # between; a posting that does not apply this month is empty and books nothing)
    o = accounts.outside
    vendors: Posting = (o, va, b_v) if vendor_borrows else _NONE
    rounds = _NONE
    out, exits = work.no_exit, False  # nobody short (most months), so nobody exits
    if short_any:  # an active lab still short (few months)
        enterprise = a.kind == LabKind.ENTERPRISE
        short = a.active & (cash_l < 0)
        burn = np.where(short, np.maximum(a.burn, -cash_l / max(cfg.capital.round_months, 1.0)), 0)
        f = plan_funding(cash_l, burn, a.revenue, short, ~enterprise, rng.random(a.n), cfg.capital)
        raised = np.where(f.granted, np.maximum(f.raised, -cash_l), 0.0)  # no rounding short
        rounds = (o, la[f.granted], raised[f.granted])
        a.raised_total += raised
        cash_l = cash_l + raised
        out = a.active & (cash_l < 0) & ~enterprise
        exits = bool(out.any())
    if exits:
        loss = np.where(out, write_off(cash_l, debt.lab), 0.0)
        repaid_exit = np.where(out, debt.lab, 0.0)
        debt.lab[out] = 0.0
        cash_l = np.where(out, 0.0, cash_l)
    else:  # no exit (most months): the same zeros, kept for the run
        loss = repaid_exit = work.zeros
    rest = (o, ua, recovery), vendors, rounds, (o, la, loss), (la, o, repaid_exit)
    if firms is None:
        borrow = (o, ha, debt.borrowed[:n_h]), (o, la, debt.borrowed[n_h:])
        accounts.pay_each(borrow + rest, _BORROW_APART)
    else:
        accounts.pay_each(((o, firms, debt.borrowed), *rest), _BORROW)
    accounts.flush()
    if not repaid:
        vendor_repays = surpluses(
            accounts.usd.balances,
            ha,
            va,
            months,
            debt.hs_costs,
            debt.dc_committed,
            debt.hs_reserve,
            cash_l,
            a.opex,
            a.spend,
            a.active,
            out,
            loss,
            repaid_exit,
            debt.hs,
            debt.lab,
            debt.vendor,
            debt.repaid,
            debt.payout,
            debt.written_off,
            repay,
            r_v,
        )
    last = (ha, o, debt.payout[:n_h]), ((va, o, r_v) if vendor_repays else _NONE)
    if firms is None:
        repaid_firms = (ha, o, repay[:n_h]), (la, o, repay[n_h:])
        accounts.pay_each(repaid_firms + last, _REPAY_APART)
    else:
        accounts.pay_each(((firms, o, repay), *last), _REPAY)
    accounts.flush()
    return out, exits
