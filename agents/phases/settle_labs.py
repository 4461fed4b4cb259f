"""Phase 6, ``settle`` (second part): the labs' month closes, and the trailing windows move.

Labs serve inference first and train on the rest (:func:`agents.lab.split_compute`; their
training bid follows the AI services price, or the value of capability under the
``capability_value`` rule, so training clears whenever compute is near cost); they earn
revenue on the inference they served (throttled demand earns nothing), pay opex (a
fixed amount plus a share of revenue), gain capability from training (log-scaling:
``capability0 + demand.scaling_exponent x log(1 + cumulative training / ref)``, est.,
where ``ref`` is a year of the lab's first month: 12 times the larger of the training it
received and the training it planned, at least one H100e-hour) and from their quality
drift (``capability_drift_per_year`` a year until ``capability_drift_until``: the trend of a
product's unobserved quality in a logit demand, Berry, "Estimating discrete-choice models
of product differentiation", *RAND Journal of Economics* 25(2), 1994). Then the month's
financing closes (:func:`agents.finance_month.settle_finance`): a lab whose cash runs out
borrows, then raises an equity round, and exits when both fail, which ends its compute
contracts.

A lab's burn is its operating cash outflow net of revenue: compute paid to clouds, link
friction, porting, opex and interest on its debt, less revenue and penalties received;
financing (rounds, credit, repayment, a deal's tranches) is not burn, as a venture
investor reads runway. It is a trailing exponential average (weight 0.3 on the month; a
one-month burn would feed back on spending, est.) that starts at the first month's loss, so
a run's first runways and raise decisions read the labs' actual burn.

The labs' arithmetic is two compiled calls, before and after numpy's ``log1p`` of the
training gain (:func:`_month_flows`, :func:`_capability`); the second also does the first
step of the financing, which posts nothing and reads no balance (the trailing averages and
the interest, :func:`agents.finance_kernels.month_interest`), and the rest is
:func:`agents.finance_month.close_financing`; the postings stay in order.
"""

from __future__ import annotations

import numpy as np

from agents.accounts import Accounts
from agents.finance import Debt
from agents.finance_kernels import month_interest
from agents.finance_month import close_financing
from agents.lab import LabArrays
from agents.phases.settle import Settled
from agents.scenario import Scenario
from agents.state import BoolArray, FloatArray, History, IntArray, Tech
from agents.units import MONTHS_PER_YEAR
from market.compiled import add_reduce, compiled, maximum, minimum
from market.contracts import KINDS, ContractTable

__all__ = ["BURN_WEIGHT", "close_labs", "lab_revenue", "update_history"]

BURN_WEIGHT = 0.3
"""Weight of this month's burn in the trailing burn (est.)."""

_COMPUTE = KINDS.index("compute")
"""Contract kind code of compute."""
_REVENUE_OPEX = ("ai_revenue", "lab_opex")
"""Reasons of the labs' two postings of the month's close, in order."""


def lab_revenue(demand_usd: FloatArray, need: FloatArray, served: FloatArray) -> FloatArray:
    """Revenue of the inference served: demand x served / need (0 without need).

    >>> lab_revenue(np.array([100.0, 50.0]), np.array([10.0, 0.0]), np.array([4.0, 0.0]))
    array([40.,  0.])
    """
    has = need > 0
    out: FloatArray = np.divide(served, need, out=np.zeros(need.size), where=has)
    np.multiply(demand_usd, out, out=out)
    np.copyto(out, 0.0, where=~has)
    return out


def close_labs(
    month: int,
    cfg: Scenario,
    labs: LabArrays,
    settled: Settled,
    history: History,
    contracts: ContractTable,
    accounts: Accounts,
    debt: Debt,
    rng: np.random.Generator,
    other_cash_flow: FloatArray,
) -> None:
    """Revenue, opex, burn, capability, the month's financing and exits (module docstring).

    ``other_cash_flow`` is each hyperscaler's cash flow from other businesses this month.
    """
    a = labs
    la = a.account
    c = settled.compute
    fin = cfg.finance
    # every row in place (scale mode has a million): inactive rows' flows are zero
    ref = history.training_ref
    first = ref is None
    if ref is None:  # set from the first month's training (by the kernel)
        ref = history.training_ref = np.empty(a.n)
    work = debt.work(a.n, accounts.utility.size, accounts.vendor.size)
    opex, gain = work.opex, work.gain
    exclusive = _month_flows(
        month,
        c.received,
        c.spend,
        c.friction,
        a.active,
        a.inference_need,
        a.demand_usd,
        a.opex_share,
        a.opex,
        a.training_need,
        debt.lab,
        float(fin.debt_rate_lab),
        first,
        a.served,
        a.received,
        a.revenue,
        opex,
        a.spend,
        a.net_flow,
        a.porting_paid,
        a.burn,
        a.cum_training,
        ref,
        gain,
        contracts.exclusive,
        a.exclusive_with,
    )
    o = accounts.outside
    accounts.pay_each(((o, la, a.revenue), (la, o, opex)), _REVENUE_OPEX)
    np.log1p(gain, gain)
    vendor_owes = _capability(
        month,
        gain,
        float(cfg.demand.scaling_exponent),
        a.capability0,
        a.drift,
        a.drift_months,
        a.capability,
        settled.power_bought,
        settled.power_price,
        settled.chip_spend,
        debt.next_month(),
        other_cash_flow,
        c.sales,
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
        la,
        work.firms,
    )
    accounts.flush()
    out, exits = close_financing(cfg, rng, debt, a, accounts, vendor_owes, work)
    if exits:
        idx = np.flatnonzero(out)
        a.active[idx] = False
        a.exit_month[idx] = month
        ended = np.flatnonzero(
            np.isin(contracts.buyer, idx) & (contracts.kind == _COMPUTE) & (contracts.end > month)
        )
        contracts.terminate(ended, month + 1)
    # exclusivity from the exclusive compute contracts in force next month (none: every
    # row's -1 written by _month_flows)
    if exclusive:
        act = contracts.active(month + 1, "compute")
        _exclusive(a.exclusive_with, act, contracts.exclusive, contracts.buyer, contracts.seller)


@compiled
def _month_flows(
    month: int,
    recv: FloatArray,
    spend: FloatArray,
    friction: FloatArray,
    active: BoolArray,
    need: FloatArray,
    demand_usd: FloatArray,
    opex_share: FloatArray,
    opex_fixed: FloatArray,
    training_need: FloatArray,
    debt: FloatArray,
    rate: float,
    first: bool,
    served: FloatArray,
    received: FloatArray,
    revenue: FloatArray,
    opex: FloatArray,
    spend_total: FloatArray,
    net_flow: FloatArray,
    porting_paid: FloatArray,
    burn: FloatArray,
    cum_training: FloatArray,
    training_ref: FloatArray,
    gain: FloatArray,
    exclusive: BoolArray,
    exclusive_with: IntArray,
) -> bool:
    """The labs' month up to capability's logarithm, in place, row by row.

    ``served = split_compute(recv, need)``, ``received = recv``, training ``recv - served``,
    ``revenue = lab_revenue(demand_usd, need, served)``, ``opex = opex_fixed + opex_share x
    revenue`` (served, training, revenue and opex 0 in inactive rows); ``spend_total =
    spend.sum(axis=1)`` (:func:`market.compiled.add_reduce` of each row); ``net_flow =
    revenue - spend_total - opex - friction - porting_paid - interest_due(debt, rate)``, then
    ``porting_paid = 0``; the burn (module docstring; ``np.maximum(0.0, -net_flow)`` in
    ``month`` 0); ``cum_training += training``; when ``first``, ``training_ref =
    np.maximum(1.0, 12 x np.maximum(training, training_need))``; and ``gain =
    cum_training / training_ref`` (its ``log1p`` is numpy's, :func:`_capability`). Returns
    ``exclusive.any()`` (whether any contract is exclusive); when none is,
    ``exclusive_with[:] = -1`` (no lab is bound).
    """
    keep = 1.0 - BURN_WEIGHT
    for i in range(recv.size):
        got = recv[i]
        s = minimum(need[i], got)
        training = got - s
        rev = demand_usd[i] * (s / need[i]) if need[i] > 0 else 0.0
        cost = opex_fixed[i] + opex_share[i] * rev
        if not active[i]:
            s, training, rev, cost = 0.0, 0.0, 0.0, 0.0
        served[i] = s
        received[i] = got
        revenue[i] = rev
        opex[i] = cost
        spend_total[i] = add_reduce(spend[i])
        # and what else it pays outside: link friction, porting (the plan phase), and the
        # interest settle_finance charges this month on what it owes now
        flow = rev - spend_total[i] - cost - friction[i] - porting_paid[i]
        flow -= debt[i] * rate / MONTHS_PER_YEAR
        net_flow[i] = flow
        porting_paid[i] = 0.0
        loss = maximum(0.0, -flow)  # burn: a trailing mean of the month's loss, which
        # starts at the first month's loss, not at 0
        burn[i] = loss if month == 0 else keep * burn[i] + BURN_WEIGHT * loss
        if first:
            training_ref[i] = maximum(1.0, MONTHS_PER_YEAR * maximum(training, training_need[i]))
        cum_training[i] += training
        gain[i] = cum_training[i] / training_ref[i]
    for r in range(exclusive.size):
        if exclusive[r]:
            return True
    exclusive_with[:] = -1
    return False


@compiled
def _capability(
    month: int,
    log_gain: FloatArray,
    scaling_exponent: float,
    capability0: FloatArray,
    drift: FloatArray,
    drift_months: FloatArray,
    capability: FloatArray,
    power_bought: FloatArray,
    power_price: FloatArray,
    chip_spend: FloatArray,
    w: float,
    other_cash_flow: FloatArray,
    ai_sales: FloatArray,
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
    """Capability, in place; then the first step of the month's financing, whose result
    it returns.

    ``capability = capability0 + scaling_exponent x log_gain + drift x (np.minimum(month +
    1, drift_months) / 12)``; each hyperscaler's power bill ``(power_bought *
    power_price[None, :]).sum(axis=1)`` (:func:`market.compiled.add_reduce` of each row);
    ``capex_chips[:] = chip_spend``; then :func:`agents.finance_kernels.month_interest`
    with the bill and the rest of the arguments, in their order.
    """
    for i in range(capability.size):
        cap = capability0[i] + scaling_exponent * log_gain[i]
        capability[i] = cap + drift[i] * (minimum(month + 1.0, drift_months[i]) / MONTHS_PER_YEAR)
    cost = np.empty(power_bought.shape[0])
    for h in range(cost.size):
        cost[h] = add_reduce(power_bought[h] * power_price)
    capex_chips[:] = chip_spend
    return month_interest(
        w,
        other_cash_flow,
        ai_sales,
        cost,
        capex_dc,
        capex_chips,
        hs_ocf,
        hs_costs,
        debt_hs,
        debt_lab,
        rate_hs,
        rate_lab,
        interest,
        debt_vendor,
        hs_ids,
        lab_ids,
        firms,
    )


@compiled
def _exclusive(
    exclusive_with: IntArray,
    rows: IntArray,
    exclusive: BoolArray,
    buyer: IntArray,
    seller: IntArray,
) -> None:
    """``exclusive_with[:] = -1``, then ``exclusive_with[buyer[ex]] = seller[ex]`` over the
    exclusive contracts ``ex = rows[exclusive[rows]]``, in order (a later one wins)."""
    exclusive_with[:] = -1
    for r in rows:
        if exclusive[r]:
            exclusive_with[buyer[r]] = seller[r]


def update_history(
    history: History, month: int, settled: Settled, tech: Tech, vendor_gen: FloatArray
) -> None:
    """Move the trailing windows: labs' spend, clouds' sales and hours, vendors' H100e.

    ``vendor_gen`` is the H100e of the generation each vendor sold this month.
    """
    c = settled.compute
    row = month % MONTHS_PER_YEAR
    _windows(
        row,
        history.lab_spend_cum,
        c.spend,
        history.hs_revenue,
        c.sales,
        history.hs_hours,
        c.sold,
        history.vendor_sales,
        settled.vendor_units,
        vendor_gen,
    )
    history.lab_spend[row] = c.spend  # a new array each month: kept, not copied
    history.months = month + 1


@compiled
def _windows(
    row: int,
    lab_spend_cum: FloatArray,
    spend: FloatArray,
    hs_revenue: FloatArray,
    sales: FloatArray,
    hs_hours: FloatArray,
    sold: FloatArray,
    vendor_sales: FloatArray,
    vendor_units: FloatArray,
    vendor_gen: FloatArray,
) -> None:
    """The month's row of the trailing windows, in place: ``lab_spend_cum += spend``,
    ``hs_revenue[row] = sales``, ``hs_hours[row] = sold.sum(axis=(1, 2))`` (numpy sums a
    C-ordered array's last two axes as one: :func:`market.compiled.add_reduce` of each
    cloud's block) and ``vendor_sales[row] = vendor_units * vendor_gen``."""
    for i in range(spend.shape[0]):
        for h in range(spend.shape[1]):
            lab_spend_cum[i, h] += spend[i, h]
    hs_revenue[row] = sales
    for h in range(sold.shape[0]):
        hs_hours[row, h] = add_reduce(np.ascontiguousarray(sold[h]).ravel())
    for v in range(vendor_units.size):
        vendor_sales[row, v] = vendor_units[v] * vendor_gen[v]
