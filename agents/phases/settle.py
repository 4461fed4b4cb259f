"""Phase 6, ``settle``: deliveries and payments of the cleared month, all vectorized.

Each spot buyer pays its node price and each seller receives its node price; the
difference on a link (transmission, latency, porting friction) goes to the outside
world, except a lab's egress fee, which its primary cloud receives. Chips are the
exception: a vendor receives its ask, and the buyer pays that plus the link's margin,
keeping any scarcity rent. A merchant whose capacity binds allocates at its ask rather than
auctioning (``docs/calibration.md`` [est-chip-value]); in-house silicon passes to its
owner at cost (a captive vendor is a unit of its owner, so a rent paid to it would leave
the owner's books for an account nobody holds). Compute is physical: a site that got
less power than it bid for delivers less, contracts first, then spot, pro rata; a
contract delivered short pays its penalty (:mod:`agents.phases.settle_compute`).
Data-centre sites pay the region's capacity price on the power they take
(:func:`capacity_charge`) to its utility. Bought chips are installed where next month's
free powered MW is. Then the labs' month closes (:mod:`agents.phases.settle_labs`).
Every flow of money, chips, power and compute is a ledger row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agents.accounts import OUTSIDE, Accounts
from agents.chipvendor import ChipVendor
from agents.lab import LabArrays
from agents.phases.clear import Cleared
from agents.phases.orders import Orders
from agents.phases.plan import MonthPlan
from agents.phases.settle_compute import ComputeSales, compute_delivery, settle_compute
from agents.state import (
    Clouds,
    DemandState,
    FloatArray,
    IntArray,
    Market,
    Nodes,
    Sites,
    Tech,
)
from agents.utility import Utility
from market.contracts import ContractTable, Settlement

__all__ = [
    "Settled",
    "capacity_charge",
    "settle_markets",
]


@dataclass(frozen=True)
class Settled:
    """What the settle phase delivered, for the record phase and next month."""

    power_bought: FloatArray
    """(H, R) MWh each site received (spot and PPAs)."""
    power_price: FloatArray
    """(R,) this month's power price (last month's where no market cleared)."""
    chips_bought: FloatArray
    """(H, G) chip units each cloud received."""
    vendor_units: FloatArray
    """(V,) units each vendor sold (spot and contracts)."""
    chip_paid: FloatArray
    """What the buyer paid a unit on each spot chip link: the vendor's ask plus the link's
    margin."""
    chip_value: FloatArray
    """Buyer-node price of each spot chip link: a unit's value to the clouds that bought
    it, above what they paid when a vendor rations its capacity at its ask."""
    chip_flow: FloatArray
    """Units on each spot chip link."""
    chip_gen: IntArray
    """Generation on each spot chip link."""
    compute: ComputeSales
    settlement: Settlement
    """Every contract settled this month (compute, power, chips)."""
    chip_spend: FloatArray
    """(H,) what each cloud paid for chips: spot at its buyer price, contracts at theirs (a
    penalty a vendor pays it for a shortfall is income, booked apart)."""


def capacity_charge(site_mwh: FloatArray, price: FloatArray) -> FloatArray:
    """(H, R) capacity charge of each site: its load in MW-days times the price.

    A site that took ``E`` MWh in the month drew ``E / 24`` MW-days; at ``price`` $/MW-day
    (PJM bills capacity per MW-day of load, [pow-pjm-cap]) it pays ``E x price / 24``.

    >>> capacity_charge(np.array([[2400.0]]), np.array([329.17]))
    array([[32917.]])
    """
    out: FloatArray = site_mwh * price[None, :] / 24.0
    return out


_NO_ROWS = np.zeros(0, dtype=np.int64)
_NOTHING = np.zeros(0)


def _settle(ct: ContractTable, rows: IntArray, delivered: FloatArray) -> Settlement:
    """Settle ``rows`` on what they delivered, capped at their volume (none: no call).

    Buyers take all they are offered, so what a seller made available is what it delivered:
    a take-or-pay buyer pays for that, and the seller owes the penalty on the rest
    (:meth:`market.contracts.ContractTable.settle`)."""
    if rows.size == 0:
        return Settlement(_NO_ROWS, _NOTHING, _NOTHING, _NOTHING)
    return ct.settle(rows, np.minimum(delivered, ct.volume[rows]))


def _part(s: Settlement, start: int, stop: int) -> Settlement:
    """Rows ``start:stop`` of a settlement (views)."""
    return Settlement(
        s.index[start:stop], s.delivered[start:stop], s.payment[start:stop], s.penalty[start:stop]
    )


_BIG = float(np.finfo(float).max)


def _spot_price(node_price: FloatArray) -> FloatArray:
    """Node prices as paid: nan (no market) as 0, negative as 0, +inf as the largest float.

    The same numbers as ``np.maximum(np.nan_to_num(x, nan=0.0), 0.0)`` in two ufunc calls.

    >>> _spot_price(np.array([np.nan, -1.0, 2.0, np.inf, -np.inf])).tolist()[:4]
    [0.0, 0.0, 2.0, 1.7976931348623157e+308]
    """
    out: FloatArray = np.minimum(np.fmax(node_price, 0.0), _BIG)
    return out


def settle_markets(
    tech: Tech,
    clouds: Clouds,
    g: Orders,
    plan: MonthPlan,
    cleared: Cleared,
    sites: Sites,
    nodes: Nodes,
    market: Market,
    demand: DemandState,
    labs: LabArrays,
    contracts: ContractTable,
    utilities: Sequence[Utility],
    vendors: Sequence[ChipVendor],
    accounts: Accounts,
) -> Settled:
    """Deliver power, chips and compute and book their payments (module docstring)."""
    res, ix, ct, acc = cleared.result, cleared.index, contracts, accounts
    price = _spot_price(res.node_price)
    o, b, lk = res.offer_fill, res.bid_fill, res.link_flow
    n_h, n_r, n_f = g.compute_qty.shape
    lay = ix.nodes
    ua, ha, va = acc.utility, acc.hyperscaler, acc.vendor
    al = cleared.contracts
    # ---------------------------------------------------------------- power
    # energy moved is booked from what was delivered (loads served, link flows, PPAs), so
    # every MWh a utility generates leaves it and every MWh a site takes is accounted for,
    # exactly, whatever the solver's tolerance on the node balances
    unit_fill = o[ix.offers["units"]]
    non_ai = b[ix.bids["non_ai"]]
    pf = lk[ix.links["power"]]
    gen = (
        non_ai
        + np.bincount(cleared.p_util, pf, minlength=n_r)
        + np.bincount(ct.seller[al.power_rows], al.power_delivered, minlength=n_r)
    )
    acc.post(acc.power, OUTSIDE, ua, gen, "generation")
    fuel = np.bincount(g.unit_util, unit_fill * g.unit_price, minlength=n_r) + al.ppa_cost
    acc.pay(ua, OUTSIDE, fuel, "fuel")
    p_util = price[:n_r]
    acc.pay(OUTSIDE, ua, p_util * non_ai, "power_non_ai")
    acc.post(acc.power, ua, OUTSIDE, non_ai, "non_ai_load")
    p_site = price[lay.site0 :][cleared.p_site]
    pu = cleared.p_util
    site_acc, util_acc, p_pu = ha[cleared.p_site // n_r], ua[pu], p_util[pu]
    acc.pay(site_acc, util_acc, p_pu * pf, "power_spot")
    acc.pay(site_acc, OUTSIDE, np.maximum(0.0, p_site - p_pu) * pf, "transmission")
    acc.post(acc.power, util_acc, site_acc, pf, "power_spot")
    site_recv = (np.bincount(cleared.p_site, pf, minlength=n_h * n_r) + al.site_ppa).reshape(
        n_h, n_r
    )
    # every contract settles in one call: compute (as far as power allows), power, chips
    delivery = compute_delivery(g, cleared, site_recv, nodes)
    settlement = _settle(
        ct,
        np.concatenate((al.compute_rows, al.power_rows, al.chip_rows)),
        np.concatenate((delivery.contract, al.power_delivered, al.chip_delivered)),
    )
    n_c, n_p = al.compute_rows.size, al.power_rows.size
    cs, ps, ks = (
        _part(settlement, 0, n_c),
        _part(settlement, n_c, n_c + n_p),
        _part(settlement, n_c + n_p, settlement.index.size),
    )
    p_sel, p_buy = ua[ct.seller[ps.index]], ha[ct.buyer[ps.index]]
    acc.pay(p_buy, p_sel, ps.payment, "power_ppa")
    acc.pay(p_sel, p_buy, ps.penalty, "penalty")
    acc.post(acc.power, p_sel, p_buy, ps.delivered, "power_ppa")
    power_now = np.where(np.isfinite(res.node_price[:n_r]), p_util, market.power_price)
    charge = capacity_charge(site_recv, market.capacity_price)
    acc.pay(*acc.hyperscaler_utility, charge.ravel(), "capacity_charge")
    # ---------------------------------------------------------------- chips
    vf = lk[ix.links["chips"]]
    v_src, v_dst = cleared.v_src, cleared.v_dst
    v_h = v_dst // n_f
    # every vendor is paid its ask on what it sells. A merchant allocates a backlog at its
    # ask instead of auctioning it, and in-house silicon passes to its owner at cost (its
    # ask): when a vendor's capacity binds and its node price rises above the ask, the
    # buyer keeps the difference. A vendor sells only where its node price reaches its ask,
    # so the ask is also what a node price short of it by the solver's tolerance should be
    ask = np.asarray(cleared.book.offer_price, dtype=float)[ix.offers["vendors"]]
    node = price[lay.vendor0 :][v_src]
    pv = ask[v_src]
    pb = price[lay.chipbuyer0 :][v_dst]
    margin = np.maximum(0.0, pb - node)
    buyer_acc, vendor_acc = ha[v_h], va[v_src]
    acc.pay(buyer_acc, vendor_acc, pv * vf, "chips_spot")
    acc.pay(buyer_acc, OUTSIDE, margin * vf, "chips_margin")
    k_v, k_h = ct.seller[ks.index], ct.buyer[ks.index]
    if ks.index.size:  # (an empty posting books nothing)
        acc.pay(ha[k_h], va[k_v], ks.payment, "chips_contract")
        acc.pay(va[k_v], ha[k_h], ks.penalty, "penalty")
    # a vendor makes what it ships: its links' flows and its contracts' deliveries, as the
    # power above is booked from what was delivered. Its offer's fill can differ from its
    # links' flows by the solver's tolerance on the node balance, which in a book of
    # trillions of H100e-hours is thousands of units of anything; chips made from the fill
    # would be paid for with no sale (in a random 120-month scenario a vendor ended a month
    # $4,700 short) and left with the vendor in the chips ledger
    made = np.bincount(v_src, vf, minlength=len(vendors)) + np.bincount(
        k_v, ks.delivered, minlength=len(vendors)
    )
    acc.post(acc.chips, OUTSIDE, va, made, "production")
    cost = np.array([v.unit_cost(tech) for v in vendors])
    acc.pay(va, OUTSIDE, made * cost, "chip_production")
    acc.post(acc.chips, vendor_acc, buyer_acc, vf, "chips_spot")
    if ks.index.size:
        acc.post(acc.chips, va[k_v], ha[k_h], ks.delivered, "chips_contract")
    gens = np.array([v.generation for v in vendors])
    bought = np.zeros((n_h, tech.cost.size))
    np.add.at(bought, (v_h, gens[v_src]), vf)
    if ks.index.size:
        np.add.at(bought, (k_h, gens[k_v]), ks.delivered)
    free = plan.free_mw
    free_tot = free.sum(axis=1, keepdims=True)
    split = np.divide(
        free, free_tot, out=demand.region_weight[None, :].repeat(n_h, axis=0), where=free_tot > 0
    )
    sites.fleet += split[:, :, None] * bought[:, None, :]
    # what the clouds wanted and got neither on the spot market nor under contract
    want = plan.chip_want
    if al.chips_received is not None:
        want = want - al.chips_received
    unfilled = np.maximum(0.0, want.ravel() - b[ix.bids["chip_buyers"]]).reshape(n_h, n_f)
    for v in vendors:
        short = unfilled[v.owner, v.family] if v.owner >= 0 else unfilled[:, v.family].sum()
        # Python's float division: a capacity near zero gives inf, no numpy warning (the ask
        # reads min(1, backlog))
        v.backlog = float(short) / v.capacity if v.capacity > 0 else 0.0
        v.orders = float(
            plan.chip_want[v.owner, v.family] if v.captive else plan.chip_want[:, v.family].sum()
        )
    if al.chip_rows.size:
        units = np.zeros(len(vendors))
        np.add.at(units, ct.seller[al.chip_rows], al.chip_delivered)
        np.add.at(units, v_src, vf)
    else:  # the same sums: bincount adds in index order from zero, as np.add.at does
        units = np.bincount(v_src, vf, minlength=len(vendors)).astype(float, copy=False)
    # ---------------------------------------------------------------- compute
    sales = settle_compute(
        g, cleared, price, site_recv, power_now, nodes, market, labs, ct, acc, delivery, cs
    )
    # ---------------------------------------------------------------- cash and prices
    acc.pay(OUTSIDE, ha, clouds.other_cash_flow, "other_business")
    market.power_price = power_now
    for u in utilities:
        u.price_history.append(float(power_now[u.region]))
    paid = pv + margin
    # what was paid for chips: a penalty a vendor pays for a shortfall is income, not less capex
    chip_spend = np.bincount(v_h, paid * vf, minlength=n_h) + np.bincount(
        k_h, ks.payment, minlength=n_h
    )
    return Settled(
        site_recv,
        power_now,
        bought,
        units,
        paid,
        pb,
        vf,
        gens[v_src],
        sales,
        settlement,
        chip_spend,
    )
