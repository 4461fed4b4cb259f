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
financing closes (:func:`agents.finance.settle_finance`): a lab whose cash runs out
borrows, then raises an equity round, and exits when both fail, which ends its compute
contracts.

A lab's burn is its operating cash outflow net of revenue: compute paid to clouds, link
friction, porting, opex and interest on its debt, less revenue and penalties received;
financing (rounds, credit, repayment, a deal's tranches) is not burn, as a venture
investor reads runway. It is a trailing exponential average (weight 0.3 on the month; a
one-month burn would feed back on spending, est.) that starts at the first month's loss, so
a run's first runways and raise decisions read the labs' actual burn.
"""

from __future__ import annotations

import numpy as np

from agents.accounts import OUTSIDE, Accounts
from agents.finance import Debt, interest_due, settle_finance
from agents.lab import LabArrays, split_compute
from agents.phases.settle import Settled
from agents.scenario import Scenario
from agents.state import FloatArray, History, Tech
from agents.units import MONTHS_PER_YEAR
from market.contracts import KINDS, ContractTable
from market.metrics import PAIRWISE_BLOCK

__all__ = ["BURN_WEIGHT", "close_labs", "lab_revenue", "update_history"]

BURN_WEIGHT = 0.3
"""Weight of this month's burn in the trailing burn (est.)."""


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
    spend, recv = settled.compute.spend, settled.compute.received
    # every row in place (scale mode has a million): inactive rows' flows are zero
    inactive = ~a.active
    served = split_compute(recv, a.inference_need)
    np.copyto(a.served, served)
    np.copyto(a.served, 0.0, where=inactive)
    a.received[:] = recv
    training = np.subtract(recv, served)
    np.copyto(training, 0.0, where=inactive)
    revenue = lab_revenue(a.demand_usd, a.inference_need, served)
    np.copyto(revenue, 0.0, where=inactive)
    accounts.pay(OUTSIDE, la, revenue, "ai_revenue")
    opex = np.multiply(a.opex_share, revenue)
    np.add(a.opex, opex, out=opex)
    np.copyto(opex, 0.0, where=inactive)
    accounts.pay(la, OUTSIDE, opex, "lab_opex")
    a.revenue[:] = revenue
    _row_sums(spend, a.spend)
    np.subtract(revenue, a.spend, out=a.net_flow)
    np.subtract(a.net_flow, opex, out=a.net_flow)
    # and what else it pays outside: link friction, porting (the plan phase), and the
    # interest settle_finance charges this month on what it owes now
    a.net_flow -= settled.compute.friction
    a.net_flow -= a.porting_paid
    a.net_flow -= interest_due(debt.lab, cfg.finance.debt_rate_lab)
    a.porting_paid[:] = 0.0
    loss = np.negative(a.net_flow)  # burn: a trailing mean of the month's loss
    np.maximum(0.0, loss, out=loss)
    if month == 0:  # the mean starts at the first month's loss, not at 0
        a.burn[:] = loss
    else:
        np.multiply(BURN_WEIGHT, loss, out=loss)
        np.multiply(1.0 - BURN_WEIGHT, a.burn, out=a.burn)
        a.burn += loss
    if history.training_ref is None:
        history.training_ref = np.maximum(
            1.0, MONTHS_PER_YEAR * np.maximum(training, a.training_need)
        )
    a.cum_training += training
    gain = np.divide(a.cum_training, history.training_ref)
    np.log1p(gain, out=gain)
    np.multiply(cfg.demand.scaling_exponent, gain, out=gain)
    np.add(a.capability0, gain, out=a.capability)
    a.capability += a.drift * (np.minimum(month + 1, a.drift_months) / MONTHS_PER_YEAR)
    accounts.flush()
    power_cost = (settled.power_bought * settled.power_price[None, :]).sum(axis=1)
    debt.capex_chips[:] = settled.chip_spend
    out = settle_finance(
        cfg, rng, debt, a, other_cash_flow, settled.compute.sales, power_cost, accounts
    )
    compute = KINDS.index("compute")
    if out.any():
        idx = np.flatnonzero(out)
        a.active[idx] = False
        a.exit_month[idx] = month
        ended = np.flatnonzero(
            np.isin(contracts.buyer, idx) & (contracts.kind == compute) & (contracts.end > month)
        )
        contracts.terminate(ended, month + 1)
    # exclusivity from the exclusive compute contracts in force next month
    a.exclusive_with[:] = -1
    if contracts.exclusive.any():
        act = contracts.active(month + 1, "compute")
        ex = act[contracts.exclusive[act]]
        a.exclusive_with[contracts.buyer[ex]] = contracts.seller[ex]


def _row_sums(x: FloatArray, out: FloatArray) -> None:
    """``np.sum(x, axis=1, out=out)``, by columns when rows are short.

    numpy sums fewer than :data:`market.metrics.PAIRWISE_BLOCK` (8) terms one after the
    other from +0.0 (its pairwise sum starts at blocks of that size), so for such rows adding
    whole columns in order gives the same floats, in a few passes instead of a loop over the
    rows.

    >>> out = np.zeros(2)
    >>> _row_sums(np.array([[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]]), out)
    >>> out.tolist() == np.array([[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]]).sum(axis=1).tolist()
    True
    """
    width = x.shape[1]
    if not 2 <= width < PAIRWISE_BLOCK:
        np.sum(x, axis=1, out=out)
        return
    np.add(x[:, 0], 0.0, out=out)  # numpy's sum starts at +0.0 (a row of -0.0 sums to 0.0)
    for j in range(1, width):
        out += x[:, j]


def update_history(
    history: History, month: int, settled: Settled, tech: Tech, vendor_gen: FloatArray
) -> None:
    """Move the trailing windows: labs' spend, clouds' sales and hours, vendors' H100e.

    ``vendor_gen`` is the H100e of the generation each vendor sold this month.
    """
    c = settled.compute
    history.lab_spend_cum += c.spend
    history.lab_spend[month % MONTHS_PER_YEAR] = c.spend  # a new array each month: kept, not copied
    history.hs_revenue[month % MONTHS_PER_YEAR] = c.sales
    history.hs_hours[month % MONTHS_PER_YEAR] = c.sold.sum(axis=(1, 2))
    history.vendor_sales[month % MONTHS_PER_YEAR] = settled.vendor_units * vendor_gen
    history.months = month + 1
