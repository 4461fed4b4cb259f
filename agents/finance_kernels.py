"""The arithmetic of :func:`agents.finance_month.settle_finance`, each step in one call.

:func:`agents.finance_month.settle_finance` closes the month's financing in three steps
between the ledger's flushes: the trailing averages and the interest
(:func:`month_interest`), the borrowing that covers negative balances (:func:`shortfalls`),
and the surplus that repays debt and is paid out (:func:`surpluses`); in a month when no
lab is short, the last two are one call (:func:`borrow_then_repay`). Each kernel does
numpy's arithmetic of the expressions it names, element by element in numpy's order (``np.maximum`` and
``np.minimum`` as :func:`market.compiled.maximum` and :func:`market.compiled.minimum`), so
the numbers are the same to the bit; the postings stay with the caller, in their order.
Balances are read from the ledger's array of balances at the account ids, as
``Accounts.cash`` reads them.
"""

from __future__ import annotations

import numpy as np

from agents.state import BoolArray, FloatArray, IntArray
from agents.units import MONTHS_PER_YEAR
from market.compiled import compiled, maximum, minimum

__all__ = ["borrow_then_repay", "month_interest", "shortfalls", "surpluses"]


@compiled
def month_interest(
    w: float,
    other_cash_flow: FloatArray,
    ai_sales: FloatArray,
    power_cost: FloatArray,
    capex_dc: FloatArray,
    capex_chips: FloatArray,
    hs_ocf: FloatArray,
    hs_costs: FloatArray,
    debt_hs: FloatArray,
    debt_lab: FloatArray,
    rate_hs: float,
    rate_lab: float,
    interest: FloatArray,
    debt_vendor: FloatArray,
    hs_ids: IntArray,
    lab_ids: IntArray,
    firms: IntArray,
) -> bool:
    """The trailing averages and the month's interest, in place; whether a vendor owes.

    ``hs_ocf[:] = (1 - w) * hs_ocf + w * (other_cash_flow + ai_sales - power_cost)``,
    ``hs_costs[:] = (1 - w) * hs_costs + w * (capex_dc + capex_chips + power_cost)``, and
    ``interest`` the concatenation of ``interest_due(debt_hs, rate_hs)`` and
    ``interest_due(debt_lab, rate_lab)`` (``debt x rate / 12``); ``firms`` the
    concatenation of ``hs_ids`` and ``lab_ids``, unless it is empty (the postings to both
    are not merged). Returns ``debt_vendor.any()``.
    """
    n_h = debt_hs.size
    keep = 1 - w
    for h in range(n_h):
        hs_ocf[h] = keep * hs_ocf[h] + w * (other_cash_flow[h] + ai_sales[h] - power_cost[h])
        capex = capex_dc[h] + capex_chips[h]
        hs_costs[h] = keep * hs_costs[h] + w * (capex + power_cost[h])
        interest[h] = debt_hs[h] * rate_hs / MONTHS_PER_YEAR
    for i in range(debt_lab.size):
        interest[n_h + i] = debt_lab[i] * rate_lab / MONTHS_PER_YEAR
    if firms.size:
        firms[:n_h] = hs_ids
        firms[n_h:] = lab_ids
    owes = False
    for v in range(debt_vendor.size):
        owes |= debt_vendor[v] != 0.0
    return owes


@compiled
def shortfalls(
    balances: FloatArray,
    hs_ids: IntArray,
    lab_ids: IntArray,
    utility_ids: IntArray,
    vendor_ids: IntArray,
    revenue: FloatArray,
    kind: IntArray,
    enterprise: int,
    active: BoolArray,
    multiple_lab: float,
    debt_hs: FloatArray,
    debt_lab: FloatArray,
    debt_vendor: FloatArray,
    borrowed: FloatArray,
    cash_lab: FloatArray,
    recovery: FloatArray,
    borrowed_vendor: FloatArray,
) -> tuple[bool, bool]:
    """Every negative balance borrowed as far as the limits allow, and the debts updated.

    Writes the hyperscalers' ``np.maximum(0.0, -cash)`` then the labs'
    ``borrow_amount(cash, debt_lab, limit)`` (0 for inactive labs; the limit
    ``debt_limit(multiple_lab, 12 x revenue)``, ``inf`` for enterprise buyers) into
    ``borrowed``, the utilities' and vendors' ``np.maximum(0.0, -cash)`` into ``recovery``
    and ``borrowed_vendor``, and the labs' cash after borrowing into ``cash_lab``; adds the
    borrowing to ``debt_hs``, ``debt_lab`` and (when a vendor borrows) ``debt_vendor``.
    Returns whether an active lab is still short (``(active & (cash_lab < 0)).any()``)
    and whether a vendor borrows (``borrowed_vendor.any()``).
    """
    n_h = hs_ids.size
    for h in range(n_h):
        b = maximum(0.0, -balances[hs_ids[h]])
        borrowed[h] = b
        debt_hs[h] += b
    short = False
    for i in range(lab_ids.size):
        cash = balances[lab_ids[i]]
        limit = multiple_lab * maximum(0.0, MONTHS_PER_YEAR * revenue[i])
        if kind[i] == enterprise:
            limit = np.inf
        b = minimum(maximum(0.0, -cash), maximum(0.0, limit - debt_lab[i]))
        if not active[i]:
            b = 0.0
        borrowed[n_h + i] = b
        debt_lab[i] += b
        cash_lab[i] = cash + b
        short |= active[i] and cash_lab[i] < 0
    for u in range(utility_ids.size):
        recovery[u] = maximum(0.0, -balances[utility_ids[u]])
    vendor_borrows = False
    for v in range(vendor_ids.size):
        borrowed_vendor[v] = maximum(0.0, -balances[vendor_ids[v]])
        vendor_borrows |= borrowed_vendor[v] != 0.0
    if vendor_borrows:
        for v in range(vendor_ids.size):
            debt_vendor[v] += borrowed_vendor[v]
    return short, vendor_borrows


@compiled
def surpluses(
    balances: FloatArray,
    hs_ids: IntArray,
    vendor_ids: IntArray,
    buffer_months: float,
    hs_costs: FloatArray,
    dc_committed: FloatArray,
    hs_reserve: FloatArray,
    cash_lab: FloatArray,
    opex: FloatArray,
    spend: FloatArray,
    active: BoolArray,
    out: BoolArray,
    loss: FloatArray,
    repaid_exit: FloatArray,
    debt_hs: FloatArray,
    debt_lab: FloatArray,
    debt_vendor: FloatArray,
    repaid: FloatArray,
    payout: FloatArray,
    written_off: FloatArray,
    repay: FloatArray,
    repay_vendor: FloatArray,
) -> bool:
    """Cash above the buffers repays debt; hyperscalers pay out the rest; debts updated.

    The hyperscalers' ``surplus_use(cash, debt_hs, buffer, True)`` with the buffer
    ``np.maximum(buffer_months * hs_costs + dc_committed, hs_reserve)``: the repayment
    into ``repay[:H]`` and ``repaid[:H]``, the payout into ``payout[:H]``; the labs'
    ``repayment(cash_lab, debt_lab, buffer_months * np.maximum(0.0, opex + spend))``
    (0 for labs inactive or leaving, ``out``) into ``repay[H:]``, and that plus
    ``repaid_exit`` into ``repaid[H:]``, zeros into ``payout[H:]``; the month's write-offs,
    zeros then ``loss``, into ``written_off``; when a vendor owes (``debt_vendor.any()``),
    ``repayment(cash, debt_vendor, 0)`` into ``repay_vendor``. Each repayment is taken off
    its debt. Returns whether a vendor owes.
    """
    return _surpluses(
        balances,
        hs_ids,
        vendor_ids,
        repay,
        repay_vendor,
        False,
        False,
        buffer_months,
        hs_costs,
        dc_committed,
        hs_reserve,
        cash_lab,
        opex,
        spend,
        active,
        out,
        loss,
        repaid_exit,
        debt_hs,
        debt_lab,
        debt_vendor,
        repaid,
        payout,
        written_off,
        repay,
        repay_vendor,
    )


@compiled
def borrow_then_repay(
    balances: FloatArray,
    hs_ids: IntArray,
    lab_ids: IntArray,
    utility_ids: IntArray,
    vendor_ids: IntArray,
    revenue: FloatArray,
    kind: IntArray,
    enterprise: int,
    active: BoolArray,
    multiple_lab: float,
    buffer_months: float,
    hs_costs: FloatArray,
    dc_committed: FloatArray,
    hs_reserve: FloatArray,
    opex: FloatArray,
    spend: FloatArray,
    no_exit: BoolArray,
    zeros: FloatArray,
    debt_hs: FloatArray,
    debt_lab: FloatArray,
    debt_vendor: FloatArray,
    borrowed: FloatArray,
    cash_lab: FloatArray,
    recovery: FloatArray,
    borrowed_vendor: FloatArray,
    repaid: FloatArray,
    payout: FloatArray,
    written_off: FloatArray,
    repay: FloatArray,
    repay_vendor: FloatArray,
) -> tuple[bool, bool, bool]:
    """:func:`shortfalls`, then, unless an active lab is still short, :func:`surpluses` of a
    month without exits (``no_exit`` all False, ``zeros`` the write-offs and the exits'
    repayments) on the balances the borrowing's postings leave.

    Those are each hyperscaler's balance plus what it borrows, as posted
    (``np.maximum(borrowed, 0.0)``: :meth:`agents.accounts.Accounts.pay` books a negative
    amount as zero), and each vendor's likewise when a vendor borrows: the caller posts each
    of them its borrowing in one journalled row and nothing else between the two flushes.
    Returns whether an active lab is still short (then nothing of :func:`surpluses` is
    done), whether a vendor borrows and whether a vendor owes.
    """
    short, borrows = shortfalls(
        balances,
        hs_ids,
        lab_ids,
        utility_ids,
        vendor_ids,
        revenue,
        kind,
        enterprise,
        active,
        multiple_lab,
        debt_hs,
        debt_lab,
        debt_vendor,
        borrowed,
        cash_lab,
        recovery,
        borrowed_vendor,
    )
    if short:
        return True, borrows, False
    owes = _surpluses(
        balances,
        hs_ids,
        vendor_ids,
        borrowed,
        borrowed_vendor,
        True,
        borrows,
        buffer_months,
        hs_costs,
        dc_committed,
        hs_reserve,
        cash_lab,
        opex,
        spend,
        active,
        no_exit,
        zeros,
        zeros,
        debt_hs,
        debt_lab,
        debt_vendor,
        repaid,
        payout,
        written_off,
        repay,
        repay_vendor,
    )
    return False, borrows, owes


@compiled
def _surpluses(
    balances: FloatArray,
    hs_ids: IntArray,
    vendor_ids: IntArray,
    posted: FloatArray,
    posted_vendor: FloatArray,
    pending: bool,
    vendor_pending: bool,
    buffer_months: float,
    hs_costs: FloatArray,
    dc_committed: FloatArray,
    hs_reserve: FloatArray,
    cash_lab: FloatArray,
    opex: FloatArray,
    spend: FloatArray,
    active: BoolArray,
    out: BoolArray,
    loss: FloatArray,
    repaid_exit: FloatArray,
    debt_hs: FloatArray,
    debt_lab: FloatArray,
    debt_vendor: FloatArray,
    repaid: FloatArray,
    payout: FloatArray,
    written_off: FloatArray,
    repay: FloatArray,
    repay_vendor: FloatArray,
) -> bool:
    """:func:`surpluses`, each hyperscaler's cash its balance plus ``np.maximum(posted[h],
    0.0)`` when ``pending`` (a posting not yet booked), each vendor's plus
    ``np.maximum(posted_vendor[v], 0.0)`` when ``vendor_pending``; else the balances."""
    n_h = hs_ids.size
    for h in range(n_h):
        cash = balances[hs_ids[h]]
        if pending:
            cash += maximum(posted[h], 0.0)
        buf = maximum(buffer_months * hs_costs[h] + dc_committed[h], hs_reserve[h])
        spare = maximum(0.0, cash - buf)
        r = minimum(spare, debt_hs[h])
        repay[h] = r
        repaid[h] = r
        payout[h] = spare - r
        debt_hs[h] -= r
        written_off[h] = 0.0
    for i in range(cash_lab.size):
        buf = buffer_months * maximum(0.0, opex[i] + spend[i])
        r = minimum(maximum(0.0, cash_lab[i] - buf), debt_lab[i])
        if not active[i] or out[i]:
            r = 0.0
        repay[n_h + i] = r
        debt_lab[i] -= r
        repaid[n_h + i] = r + repaid_exit[i]
        payout[n_h + i] = 0.0
        written_off[n_h + i] = loss[i]
    owes = False
    for v in range(debt_vendor.size):
        owes |= debt_vendor[v] != 0.0
    if owes:
        for v in range(debt_vendor.size):
            cash = balances[vendor_ids[v]]
            if vendor_pending:
                cash += maximum(posted_vendor[v], 0.0)
            r = minimum(maximum(0.0, cash - 0.0), debt_vendor[v])
            repay_vendor[v] = r
            debt_vendor[v] -= r
    return owes
