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
Every flow of money, chips, power and compute is a ledger row. The arrays posted are
computed by three compiled calls: power, compute delivered and the contracts' quantities
before the settlement (:mod:`agents.phases.settle_calls`), chips after it
(:mod:`agents.phases.settle_kernels`), and compute and the nodes in
:mod:`agents.phases.settle_compute`.
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
from agents.phases.settle_calls import power_month
from agents.phases.settle_compute import ComputeSales, settle_compute
from agents.phases.settle_kernels import chip_flows
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
    """Settle ``rows`` on what they delivered, already capped at their volume (none: no
    call).

    Buyers take all they are offered, so what a seller made available is what it delivered:
    a take-or-pay buyer pays for that, and the seller owes the penalty on the rest
    (:meth:`market.contracts.ContractTable.settle`)."""
    if rows.size == 0:
        return Settlement(_NO_ROWS, _NOTHING, _NOTHING, _NOTHING)
    return ct.settle(rows, delivered)


_BIG = float(np.finfo(float).max)

_POWER = ("generation", "non_ai_load", "power_spot", "power_ppa")
"""Reasons of the power ledger's postings of :func:`settle_markets`, in order."""
_MONEY = (
    "fuel",
    "power_non_ai",
    "power_spot",
    "transmission",
    "power_ppa",
    "penalty",
    "capacity_charge",
    "chips_spot",
    "chips_margin",
    "chips_contract",
    "penalty",
    "chip_production",
)
"""Reasons of the dollar postings of :func:`settle_markets` before the compute market's."""
_CHIPS = ("production", "chips_spot", "chips_contract")
"""Reasons of the chips ledger's postings of :func:`settle_markets`, in order."""


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
    n_f = g.compute_qty.shape[2]
    lay = ix.nodes
    ua, ha, va = acc.utility, acc.hyperscaler, acc.vendor
    al = cleared.contracts
    # ---------------------------------------------------------------- power
    # energy moved is booked from what was delivered (loads served, link flows, PPAs), so
    # every MWh a utility generates leaves it and every MWh a site takes is accounted for,
    # exactly, whatever the solver's tolerance on the node balances
    non_ai = b[ix.bids["non_ai"]]
    pf = lk[ix.links["power"]]
    # and, in the same call, what the power delivers of compute (contracts first, then spot,
    # pro rata: agents.phases.settle_compute.compute_delivery) and what every contract is
    # settled on: compute (as far as power allows), power, chips, each capped at its volume
    (
        by_region,
        by_link,
        link_acc,
        site_recv,
        charge,
        ppa_acc,
        by_node,
        s_rows,
        s_qty,
    ) = power_month(
        non_ai,
        pf,
        cleared.p_util,
        cleared.p_site,
        ct.seller,
        ct.buyer,
        al.power_rows,
        al.power_delivered,
        g.unit_util,
        o[ix.offers["units"]],
        g.unit_price,
        al.ppa_cost,
        al.site_ppa,
        price,
        lay.site0,
        ua,
        ha,
        res.node_price,
        market.power_price,
        market.capacity_price,
        g.compute_qty.ravel(),
        nodes.mwh.ravel(),
        g.site_use.ravel(),
        al.compute_alloc,
        o[ix.offers["sellers"]],
        n_f,
        al.compute_rows,
        al.chip_rows,
        al.chip_delivered,
        ct.volume,
    )
    # (rows by index: a row's view costs half of what unpacking by iteration does)
    gen, fuel, non_ai_pay, power_now = by_region[0], by_region[1], by_region[2], by_region[3]
    spot, transmission, site_acc, util_acc = by_link[0], by_link[1], link_acc[0], link_acc[1]
    # every contract settles in one call
    settlement = _settle(ct, s_rows, s_qty)
    # the rows of each market, as views: compute, power (its accounts from power_flows),
    # then chips (chip_flows reads them from k0 on)
    n_c = al.compute_rows.size
    k0 = n_c + al.power_rows.size
    s_index, s_delivered, s_payment, s_penalty = (
        settlement.index,
        settlement.delivered,
        settlement.payment,
        settlement.penalty,
    )
    cs = Settlement(s_index[:n_c], s_delivered[:n_c], s_payment[:n_c], s_penalty[:n_c])
    p_sel, p_buy = ppa_acc[0], ppa_acc[1]
    out = acc.outside
    # the energy moved, in one call; its money (and the capacity charge, charge:
    # capacity_charge(site_recv, market.capacity_price).ravel()) with the chips' below
    acc.post_each(
        acc.power,
        (
            (out, ua, gen),
            (ua, out, non_ai),
            (util_acc, site_acc, pf),
            (p_sel, p_buy, s_delivered[n_c:k0]),
        ),
        _POWER,
    )
    # ---------------------------------------------------------------- chips
    # every vendor is paid its ask on what it sells. A merchant allocates a backlog at its
    # ask instead of auctioning it, and in-house silicon passes to its owner at cost (its
    # ask): when a vendor's capacity binds and its node price rises above the ask, the
    # buyer keeps the difference. A vendor sells only where its node price reaches its ask,
    # so the ask is also what a node price short of it by the solver's tolerance should be.
    # A vendor makes what it ships: its links' flows and its contracts' deliveries, as the
    # power above is booked from what was delivered. Its offer's fill can differ from its
    # links' flows by the solver's tolerance on the node balance, which in a book of
    # trillions of H100e-hours is thousands of units of anything; chips made from the fill
    # would be paid for with no sale (in a random 120-month scenario a vendor ended a month
    # $4,700 short) and left with the vendor in the chips ledger. Bought chips are installed
    # where next month's free powered MW is (chip_flows, into sites.fleet)
    vf = lk[ix.links["chips"]]
    cost = np.array([v.unit_cost(tech) for v in vendors])
    # generation, owner, family of each vendor, vendor by vendor
    traits = np.array([t for v in vendors for t in (v.generation, v.owner, v.family)], np.int64)
    # what the clouds wanted and got neither on the spot market nor under contract
    want = plan.chip_want
    if al.chips_received is not None:
        want = want - al.chips_received
    link_int, k_acc, by_chip_link, by_vendor, bought, chip_spend = chip_flows(
        vf,
        cleared.v_src,
        cleared.v_dst,
        n_f,
        np.asarray(cleared.book.offer_price, dtype=float)[ix.offers["vendors"]],
        price,
        lay.vendor0,
        lay.chipbuyer0,
        ha,
        va,
        ct.seller,
        ct.buyer,
        s_index,
        s_delivered,
        s_payment,
        k0,
        al.chip_rows,
        al.chip_delivered,
        cost,
        traits,
        tech.cost.size,
        plan.free_mw,
        demand.region_weight,
        sites.fleet,
        want,
        plan.chip_want,
        b[ix.bids["chip_buyers"]],
    )
    buyer_acc, vendor_acc, chip_gen = link_int[0], link_int[1], link_int[2]
    spot_pay, margin_pay = by_chip_link[0], by_chip_link[1]
    paid, chip_value = by_chip_link[2], by_chip_link[3]
    made, production, units = by_vendor[0], by_vendor[1], by_vendor[4]
    # the money of the power and chip markets, in one call; then the chips moved (with no
    # chip contract, their postings are empty and book nothing)
    k_vendor, k_cloud = k_acc[0], k_acc[1]
    hs_u, u_hs = acc.hyperscaler_utility
    acc.pay_each(
        (
            (ua, out, fuel),
            (out, ua, non_ai_pay),
            (site_acc, util_acc, spot),
            (site_acc, out, transmission),
            (p_buy, p_sel, s_payment[n_c:k0]),
            (p_sel, p_buy, s_penalty[n_c:k0]),
            (hs_u, u_hs, charge),
            (buyer_acc, vendor_acc, spot_pay),
            (buyer_acc, out, margin_pay),
            (k_cloud, k_vendor, s_payment[k0:]),
            (k_vendor, k_cloud, s_penalty[k0:]),
            (va, out, production),
        ),
        _MONEY,
    )
    acc.post_each(
        acc.chips,
        ((out, va, made), (vendor_acc, buyer_acc, vf), (k_vendor, k_cloud, s_delivered[k0:])),
        _CHIPS,
    )
    short, orders = by_vendor[2].tolist(), by_vendor[3].tolist()  # Python floats
    for i, v in enumerate(vendors):
        # Python's float division: a capacity near zero gives inf, no numpy warning (the ask
        # reads min(1, backlog))
        v.backlog = short[i] / v.capacity if v.capacity > 0 else 0.0
        v.orders = orders[i]
    # ---------------------------------------------------------------- compute
    sales = settle_compute(
        g, cleared, price, site_recv, power_now, nodes, market, labs, ct, acc, by_node, cs
    )
    # ---------------------------------------------------------------- cash and prices
    acc.pay(OUTSIDE, ha, clouds.other_cash_flow, "other_business")
    market.power_price = power_now
    now = power_now.tolist()  # Python floats
    for u in utilities:
        u.price_history.append(now[u.region])
    # what was paid for chips (chip_spend): a penalty a vendor pays for a shortfall is
    # income, not less capex
    return Settled(
        site_recv,
        power_now,
        bought,
        units,
        paid,
        chip_value,
        vf,
        chip_gen,
        sales,
        settlement,
        chip_spend,
    )
