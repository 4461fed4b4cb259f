"""Phase 5, ``clear``: contracts settle first, then one clearing of every spot market.

The contracts in force take their shares of capacity first
(:func:`agents.phases.clear_contracts.allocate_contracts`). A node offers the spot market
the hours its site buys power for (:data:`agents.phases.orders.EXPECTED_USE_GROWTH`) less
what its contracts take. What is left is assembled into one :class:`market.book.OrderBook`
for power, chips and compute (a bipartite transport problem over the trade graph) and
cleared in one call: by the run's :class:`market.warm.Clearer`, which re-solves from last
month's basis when the book keeps its shape (exact either way), or by
:func:`market.clearing.clear`; :class:`agents.book_index.BookIndex` names its parts. The
parts that stay fixed through a run come from the run's
:class:`agents.book_template.BookCache`; each month fills in the rest, into a book built by
:meth:`market.book.OrderBook.assembled`: what is left to sell and buy, the compute links in
use, every bid's quantity and price and every array of the book, in one compiled call
(:func:`agents.phases.clear_book.month_book`).

Links: power flows from a utility to the sites of its region free and uncapped, and to
other regions at ``power.transmission_cost`` up to ``power.transmission_cap_mw``; vendors
sell to every cloud (captive vendors to their owner only); compute flows from every seller
node with powered hours left to the active major labs, directly or through a lab's homing
nodes, at the costs and within the limits of :mod:`agents.phases.clear_links`. Bids: non-AI
load at ``power.non_ai_bid``, sites at ``power.datacentre_bid``, chips at the plan's price,
inference at the month's price of AI services (what the served unit earns) and training as
a budget curve (:func:`agents.training_bids.training_bid_schedule`: the need planned at the
expected price, bid in ``demand.training_bid_steps`` tranches at prices falling
geometrically from ``demand.training_bid_share`` of the services price (under the
``capability_value`` rule, each major lab's own bid, :mod:`agents.training_bids`) to
``demand.training_bid_floor`` of that, more hours at lower prices); the tranches are step-
major within the ``lab_training`` and ``pool_training`` segments. Compute bids are cut to
:data:`BID_CAP` times the month's spot supply, which changes no fill or price; every bid's
price is cut to :data:`BID_PRICE_CAP`, and every order's quantity to :data:`QUANTITY_CAP`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from agents.book_index import BookIndex, Segments
from agents.book_template import BookCache
from agents.chipvendor import ChipVendor
from agents.lab import LabArrays, planned_training_price
from agents.phases.clear_book import month_book
from agents.phases.clear_contracts import ContractAllocation, allocate_contracts
from agents.phases.clear_links import homing_caps
from agents.phases.orders import Orders
from agents.phases.plan import MonthPlan
from agents.scenario import Scenario
from agents.state import FloatArray, IntArray
from agents.training_bids import lab_training_tranches, training_tranches
from market.book import MAX_VALUE, OrderBook
from market.clearing import ClearingResult, SolverFailure, clear
from market.contracts import ContractTable
from market.warm import Clearer

__all__ = [
    "BID_CAP",
    "BID_PRICE_CAP",
    "CLEAR_METHOD",
    "QUANTITY_CAP",
    "Cleared",
    "bookable_caps",
    "clear_phase",
]

CLEAR_METHOD: Final = "fast"
"""Solver of the monthly book (``"fast"``, or the ``"lp"`` oracle)."""

BID_CAP: Final = 1000.0
"""A compute bid is cut to this many times the month's spot compute offered (counted as at
least one H100e-hour), and, as every order, to :data:`QUANTITY_CAP`. No bid can be filled
beyond the supply, and a cut bid still exceeds it (unless the supply itself passes
:data:`QUANTITY_CAP`), so it stays unfilled in part:
the cut changes no total fill, welfare or price; under the proportional trade pattern only
the lab's weight in sharing tied sellers' sales, already a thousand times any seller's. It
keeps a scenario whose demand outgrows every supply (trillions of dollars a month) within
the quantities a book can hold. In the shipped scenarios a bid reaches at most 1.3 times the
supply."""

BID_PRICE_CAP: Final = 0.5 * MAX_VALUE
"""A bid's price is cut to this, half the largest price a book holds
(:data:`market.book.MAX_VALUE`). A chip's value to a cloud is its net rent over its life
(:func:`agents.hyperscaler.chip_value`), and a scenario whose compute rents for $75M an
H100e-hour (demand of $10T a month against next to no supply) values a 245-H100e chip at
$1.3e15, past what a book can state. Cut, it still tops that scenario's offers (at most
$1.4e9 over 120 months), so it is filled as before; only where it is the marginal order
does the price it sets stop at the cap. In the shipped scenarios no bid's price passes
$0.4M (seeds 7 and 3, 120 months)."""

QUANTITY_CAP: Final = 0.5 * MAX_VALUE
"""Every order's quantity is cut to this, half the largest quantity a book holds
(:data:`market.book.MAX_VALUE`); compute bids further to :data:`BID_CAP` times the supply.
A vendor that starts at the schema's largest capacity (1e8 chips a month) and grows at its
fastest rate (4x a year) offers 1e15 chips a month within twelve years, past what a book
can state (a random scenario's month 143); a cloud's chip plan or a site's power need can
grow as far. Chips are bid for to fill the clouds' plans, and the largest chip bid in the
shipped scenarios is 1.1e6 chips, the largest order of any good 6.9e9 (seeds 7 and 3, 120
months): only an order past the cap is changed, and an offer cut to it still exceeds every
bid, a bid every offer, so the cut changes no fill or price unless one side passes the cap
in total."""


def bookable_caps(caps: FloatArray, supply: float) -> FloatArray:
    """Link caps a book can state: a cap past :data:`QUANTITY_CAP` is no bound (``np.inf``)
    where it is at least ``supply``, all the compute offered (no more can flow through it),
    and is cut to :data:`QUANTITY_CAP` where it is not; every other cap is kept.

    A lab's homing cap is a share of the compute it plans, which a scenario of trillions of
    dollars a month of demand for next to free compute puts past 1e15 H100e-hours (a
    random scenario's month 25), more than a book can state. Only such caps change, and a
    cap past all the supply never binds; one cut to :data:`QUANTITY_CAP` binds only where
    the supply itself passes it, as with the cut of any order.

    >>> bookable_caps(np.array([5.0, 2e15, 2e15, np.inf]), 1e16).tolist() == [
    ...     5.0, QUANTITY_CAP, QUANTITY_CAP, np.inf]
    True
    >>> bookable_caps(np.array([5.0, 2e15]), 1e12).tolist()
    [5.0, inf]
    """
    out: FloatArray = np.where(
        caps > QUANTITY_CAP, np.where(caps >= supply, np.inf, QUANTITY_CAP), caps
    )
    return out


_NO_CAP: FloatArray = np.zeros(0)
"""No homing link's cap: writable as the caps are, so the compiled call sees one type."""


@dataclass(frozen=True)
class Cleared:
    """The month's book, its named parts, its solution and what contracts took."""

    book: OrderBook
    index: BookIndex
    result: ClearingResult
    fell_back: bool
    """The fast solver failed and the LP oracle cleared the book."""
    contracts: ContractAllocation
    bid_inference: FloatArray
    """(L,) spot inference each lab bids for (net of contracts)."""
    bid_training: FloatArray
    p_util: IntArray
    """Power links: source utility (region)."""
    p_site: IntArray
    """Power links: destination site (flat ``h x R + r``)."""
    v_src: IntArray
    """Chip links: vendor."""
    v_dst: IntArray
    """Chip links: buying node (flat ``h x F + f``)."""
    c_src: IntArray
    """Compute links to major labs: seller node."""
    c_lab: IntArray
    """Compute links: lab row."""
    c_dst: IntArray
    """Compute links: node they end at (the lab's, or its homing node for the cloud)."""
    pools: IntArray
    """Seller nodes with pooled small buyers (one pool link each)."""


def clear_phase(
    month: int,
    cfg: Scenario,
    g: Orders,
    plan: MonthPlan,
    labs: LabArrays,
    contracts: ContractTable,
    vendors: Sequence[ChipVendor],
    egress_fee: FloatArray,
    services_price: float,
    clearer: Clearer | None = None,
    cache: BookCache | None = None,
) -> Cleared:
    """Settle contracts against capacity, then clear every spot market in one call.

    ``cache`` (one per run) keeps the book's fixed parts from month to month; without
    it they are built for this call.
    """
    a, ct = labs, contracts
    n_h, n_r, n_f = g.compute_qty.shape
    n_v = len(vendors)
    cache = cache or BookCache()
    tpl = cache.template(
        cfg, (n_h, n_r, n_f), vendors, a.major, a.affinity.shape[1], a.max_cloud_share < 1.0
    )
    lay, majors = tpl.layout, tpl.majors
    alloc, unit_qty, vendor_qty, lab_contract = allocate_contracts(
        month, g, a, ct, vendors, n_r, tpl
    )
    # the hours each node's site buys power to run (at most its capacity), less what the
    # contracts take: a node sells no hour it could not deliver for want of power
    # (spot: what is left, never below zero); labs' spot bids net of contract deliveries
    # (inference first); the small buyers' bids pooled by the node they buy at, and compute
    # links from every seller node with powered hours left: all in one compiled call
    # (agents.phases.clear_book.month_book), with the book's other arrays
    chip_want = plan.chip_want
    if alloc.chips_received is not None:
        chip_want = chip_want - alloc.chips_received
    n_home = tpl.home_src.size
    home_cap = homing_caps(tpl, a, alloc, ct) if n_home else _NO_CAP
    d = cfg.demand
    # training need as a budget curve in tranches at falling bids (step-major segments)
    expected = services_price / (1.0 + d.services_markup)
    t_bid, t_share = training_tranches(
        tpl, d.training_bid_share * services_price, planned_training_price(expected, d)
    )
    p_bid, p_share = t_bid, t_share  # small labs' pools bid the services share
    if d.training_bid_rule == "capability_value":  # each major lab its own: (n_t, n_m)
        top = a.training_bid[majors]
        t_bid, t_share = lab_training_tranches(tpl, top, planned_training_price(expected, d, top))
        pool_top = np.full(1, d.training_bid_share * services_price)  # in the same layout
        p_bid, p_share = lab_training_tranches(
            tpl, pool_top, planned_training_price(expected, d, pool_top)
        )
        p_bid, p_share = p_bid[:, 0], p_share[:, 0]
    n_t, n_m = t_share.shape[0], majors.size
    fee = egress_fee if egress_fee.ndim else np.full(a.n, float(egress_fee))
    (
        offer_node, offer_qty, offer_price, bid_node, bid_qty, bid_price,
        link_src, link_dst, link_cost, link_cap, inf, trn, c_src, c_lab, c_dst, pools,
    ) = month_book(
        g.site_use, alloc.compute_alloc, a.inference_need, a.training_need, lab_contract,
        a.active, g.small_node, tpl.rest, tpl.pairs, a.affinity.ravel(), a.exclusive_with,
        a.home, a.primary, fee, float(cfg.latency_cost),
        float(cfg.lockin.platform_penalty_per_h100e_hour),
        g.non_ai_qty, g.site_need, alloc.site_ppa, chip_want, majors,
        t_share.reshape(n_t, -1), p_share,  # (n_t, 1) or (n_t, n_m)
        tpl.bid_price_head, plan.chip_bid_price, services_price, t_bid.reshape(n_t, -1), p_bid,
        g.unit_util, tpl.offer_tail, unit_qty, vendor_qty, g.unit_price, g.vendor_price,
        g.compute_price, tpl.bid_head, tpl.link_head_nodes, tpl.link_head_values,
        tpl.home_links, home_cap, lay.seller0, lay.pool0, QUANTITY_CAP, BID_CAP, BID_PRICE_CAP,
    )  # fmt: skip
    n_p = pools.size
    idx = BookIndex(
        lay,
        Segments.of((("units", g.unit_util.size), ("vendors", n_v), ("sellers", lay.n_sellers))),
        Segments.of(
            (
                ("non_ai", n_r),
                ("sites", n_h * n_r),
                ("chip_buyers", n_h * n_f),
                ("lab_inference", n_m),
                ("lab_training", n_t * n_m),
                ("pool_inference", n_p),
                ("pool_training", n_t * n_p),
            )
        ),
        Segments.of(
            (
                ("power", tpl.p_util.size),
                ("chips", tpl.v_src.size),
                ("compute", c_src.size),
                ("pools", n_p),
                ("homing", n_home),
            )
        ),
    )
    book = OrderBook.assembled(
        lay.n_nodes,
        offer_node,
        offer_qty,
        offer_price,
        bid_node,
        bid_qty,
        bid_price,
        link_src,
        link_dst,
        link_cost,
        link_cap,
    )
    try:
        if clearer is not None:
            result, fell_back = clearer.clear(book), False
        else:
            result, fell_back = clear(book, method=CLEAR_METHOD, pattern=cfg.trade_pattern), False
    except SolverFailure:  # the oracle, under the run's trade pattern rule
        result, fell_back = clear(book, method="lp", pattern=cfg.trade_pattern), True
    return Cleared(
        book,
        idx,
        result,
        fell_back,
        alloc,
        inf,
        trn,
        tpl.p_util,
        tpl.p_site,
        tpl.v_src,
        tpl.v_dst,
        c_src,
        c_lab,
        c_dst,
        pools,
    )
