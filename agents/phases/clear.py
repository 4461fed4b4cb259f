"""Phase 5, ``clear``: contracts settle first, then one clearing of every spot market.

Compute contracts take a pro-rata share of their seller's capacity in the contract's
family; power purchase agreements are served from the utility's cheapest units; chip supply
contracts from the vendor's capacity (:func:`market.contracts.pro_rata`). A node offers the
spot market the hours its site buys power for
(:data:`agents.phases.orders.EXPECTED_USE_GROWTH`) less what its contracts take. What is
left is assembled into one :class:`market.book.OrderBook` for power, chips and compute (a
bipartite transport problem over the trade graph) and cleared in one call: by the run's
:class:`market.warm.Clearer`, which re-solves from last month's basis when the book keeps
its shape (exact either way), or by :func:`market.clearing.clear`;
:class:`agents.book_index.BookIndex` names its parts. The parts that stay fixed through a
run come from the run's :class:`agents.book_template.BookCache`; each month fills in the
rest, one concatenation per array, into a book built by
:meth:`market.book.OrderBook.assembled`.

Links and their costs: power flows from a utility to the sites of its region free and
uncapped, and to other regions at ``power.transmission_cost`` up to
``power.transmission_cap_mw``; vendors sell to every cloud (captive vendors to their owner
only); compute flows from every seller node to every active major lab at a cost of
``latency_cost`` outside the lab's home region, ``lockin.platform_penalty`` x (1 - affinity
to the node's family), and the lab's egress fee away from its primary cloud; labs bound by
an exclusive contract link only to that cloud. A lab that keeps a second source
(``max_cloud_share`` below 1) buys from each cloud through a homing node, whose link on to
the lab carries at most that share of the lab's planned compute less what its contracts
with the cloud deliver this month (:func:`homing_caps`). Bids: non-AI load at
``power.non_ai_bid``, sites at ``power.datacentre_bid``, chips at the plan's price,
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
from agents.book_template import BookCache, BookTemplate
from agents.chipvendor import ChipVendor
from agents.lab import LabArrays, planned_training_price
from agents.phases.orders import Orders
from agents.phases.plan import MonthPlan
from agents.scenario import Scenario
from agents.state import BoolArray, FloatArray, IntArray
from agents.training_bids import lab_training_tranches, training_tranches
from market.book import MAX_VALUE, OrderBook
from market.clearing import ClearingResult, SolverFailure, clear
from market.contracts import KINDS, ContractTable, pro_rata
from market.warm import Clearer

__all__ = [
    "BID_CAP",
    "BID_PRICE_CAP",
    "CLEAR_METHOD",
    "QUANTITY_CAP",
    "Cleared",
    "ContractAllocation",
    "allocate_contracts",
    "clear_phase",
    "homing_caps",
    "major_links",
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

_COMPUTE, _POWER, _CHIPS = (KINDS.index(k) for k in ("compute", "power", "chips"))
_NO_INT: IntArray = np.zeros(0, dtype=np.int64)
_NO_FLOAT: FloatArray = np.zeros(0)
_NO_INT.flags.writeable = _NO_FLOAT.flags.writeable = False  # shared empty parts


@dataclass(frozen=True)
class ContractAllocation:
    """What the contracts in force take before the spot market."""

    compute_rows: IntArray
    compute_alloc: FloatArray
    """(rows, sellers) H100e-hours each compute contract takes at each seller node."""
    power_rows: IntArray
    power_delivered: FloatArray
    site_ppa: FloatArray
    """(H x R,) MWh each site receives under PPAs."""
    ppa_cost: FloatArray
    """(R,) fuel cost of the PPA energy at each utility."""
    chip_rows: IntArray
    chip_delivered: FloatArray


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


def major_links(
    labs: LabArrays, shape: tuple[int, int, int], cfg: Scenario, egress_fee: FloatArray | float
) -> tuple[IntArray, IntArray, FloatArray]:
    """Links from every seller node to every active major lab, with their costs.

    ``egress_fee`` is per lab (its home regulators' cap) or one number for all.
    """
    tpl = BookTemplate.build(cfg, shape, [], labs.major, labs.affinity.shape[1])
    src, lab, cost, _ = _compute_links(
        tpl, labs, cfg, egress_fee, np.ones(tpl.layout.n_sellers, dtype=bool)
    )
    return src, lab, cost


def _compute_links(
    tpl: BookTemplate,
    labs: LabArrays,
    cfg: Scenario,
    egress_fee: FloatArray | float,
    selling: BoolArray,
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """Compute links of the seller nodes flagged ``selling`` (see :func:`major_links`).

    Every (seller node, active major lab) pair whose lab can run the node's family and is
    not bound to another cloud, seller-major, with its cost: ``latency_cost`` outside the
    lab's home region, plus ``platform_penalty x (1 - affinity)``, plus the lab's egress
    fee away from its primary cloud; and the node each ends at.
    """
    a = labs
    fee = np.asarray(egress_fee, dtype=float)  # per lab, or one for all
    pair_lab = tpl.pair_lab
    aff = a.affinity.ravel()[tpl.pair_affinity]
    excl = a.exclusive_with[pair_lab]
    keep = (
        a.active[pair_lab]
        & selling[tpl.pair_seller]
        & (aff > 0)
        & ((excl < 0) | (tpl.pair_cloud == excl))
    ).nonzero()[0]
    src, lab, cloud = tpl.pair_seller[keep], pair_lab[keep], tpl.pair_cloud[keep]
    cost: FloatArray = (
        cfg.latency_cost * (tpl.pair_region[keep] != a.home[lab])
        + cfg.lockin.platform_penalty_per_h100e_hour * (1.0 - aff[keep])
        + (fee[lab] if fee.ndim else fee) * (cloud != a.primary[lab])
    )
    return src, lab, cost, tpl.pair_dst[keep]


def homing_caps(
    tpl: BookTemplate, labs: LabArrays, alloc: ContractAllocation, contracts: ContractTable
) -> FloatArray:
    """What each homing link may carry this month: the lab's limit on one cloud, less its
    contracts' deliveries from that cloud.

    The limit is ``max_cloud_share`` times the lab's planned compute, the inference and
    training it plans at the expected price (its needs, before its training bid's lower
    tranches); a lab bound by an exclusive contract has none, as it buys from one cloud by
    contract ([est-multi-homing]).

    >>> from types import SimpleNamespace as NS
    >>> tpl = NS(home_lab=np.array([0, 0]), home_cloud=np.array([0, 1]), shape=(2, 1, 1))
    >>> labs = NS(n=1, max_cloud_share=np.array([0.6]), inference_need=np.array([70.0]),
    ...           training_need=np.array([30.0]), exclusive_with=np.array([-1]))
    >>> alloc = NS(compute_rows=np.array([0]), compute_alloc=np.array([[50.0]]))
    >>> ct = NS(buyer=np.array([0]), seller=np.array([1]))
    >>> homing_caps(tpl, labs, alloc, ct).tolist()  # 60 from each, less 50 by contract
    [60.0, 10.0]
    """
    n_h = tpl.shape[0]
    lab, cloud = tpl.home_lab, tpl.home_cloud
    rows = alloc.compute_rows
    by_contract = np.bincount(
        contracts.buyer[rows] * n_h + contracts.seller[rows],
        np.add.reduce(alloc.compute_alloc, axis=1),
        minlength=labs.n * n_h,
    )[lab * n_h + cloud]
    planned = labs.inference_need[lab] + labs.training_need[lab]
    cap = np.maximum(0.0, labs.max_cloud_share[lab] * planned - by_contract)
    out: FloatArray = np.where(labs.exclusive_with[lab] >= 0, np.inf, cap)
    return out


def allocate_contracts(
    month: int,
    g: Orders,
    labs: LabArrays,
    ct: ContractTable,
    vendors: Sequence[ChipVendor],
    n_r: int,
    template: BookTemplate | None = None,
) -> tuple[ContractAllocation, FloatArray, FloatArray, FloatArray]:
    """Contracts' shares; returns them with the unit and vendor quantities left and labs' receipts.

    ``template`` (the run's :class:`agents.book_template.BookTemplate`) spares
    recomputing each seller node's cloud and family.
    """
    n_s = g.compute_qty.size
    if template is None:
        hh, _rr, ff = np.unravel_index(np.arange(n_s), g.compute_qty.shape)
    else:
        hh, ff = template.node_cloud, template.node_family
    cap = g.compute_qty.ravel()
    act = ct.active(month)
    kind = ct.kind[act]
    rows = act[kind == _COMPUTE]
    rows = rows[labs.active[ct.buyer[rows]]]
    if rows.size:
        fam = ct.family[rows]
        match = (hh[None, :] == ct.seller[rows][:, None]) & (
            (fam[:, None] < 0) | (ff[None, :] == fam[:, None])
        )
        w = match * cap[None, :]
        tot = np.add.reduce(w, axis=1)  # as w.sum(axis=1), without its wrapper
        vol = ct.volume[rows]
        with np.errstate(over="ignore", invalid="ignore"):
            per_unit = np.divide(vol, tot, out=np.zeros(rows.size), where=tot > 0)
            alloc = w * per_unit[:, None]
        if not np.isfinite(per_unit).all():  # a subnormal capacity: volume / it overflows
            big = ~np.isfinite(per_unit)
            alloc[big] = w[big] / tot[big, None] * vol[big, None]  # shares first, each <= 1
        load = np.add.reduce(alloc, axis=0)
        with np.errstate(over="ignore"):  # a subnormal load: capacity over it is inf, cut to 1
            fits = np.divide(cap, load, out=np.ones(n_s), where=load > 0)
        alloc *= np.minimum(1.0, fits)[None, :]
        taken: FloatArray = np.add.reduce(alloc, axis=1)  # by each contract
        lab_contract: FloatArray = np.bincount(ct.buyer[rows], taken, minlength=labs.n)
    else:
        alloc, lab_contract = np.zeros((0, n_s)), np.zeros(labs.n)
    # power purchase agreements: delivered from the utility's cheapest units
    unit_qty = g.unit_qty
    prow = act[kind == _POWER]
    p_deliver = np.zeros(prow.size)
    if prow.size:
        unit_qty = unit_qty.copy()
        util_avail = np.bincount(g.unit_util, unit_qty, minlength=n_r)
        p_deliver = pro_rata(ct.seller[prow], ct.volume[prow], util_avail)
        take = np.bincount(ct.seller[prow], p_deliver, minlength=n_r)
        order = np.lexsort((g.unit_price, g.unit_util))  # merit order within each utility
        q, util = unit_qty[order], g.unit_util[order]
        before = np.add.accumulate(q) - q  # energy of the cheaper units (and other utilities')
        counts = np.bincount(util, minlength=n_r)
        first = np.add.accumulate(counts) - counts  # where each utility's units start
        used = np.clip(take[util] - (before - before[first[util]]), 0.0, q)
        unit_qty[order] = q - used
        ppa_cost = np.bincount(util, used * g.unit_price[order], minlength=n_r)
        n_sites = g.site_need.size
        site_ppa = np.bincount(ct.buyer[prow] * n_r + ct.region[prow], p_deliver, minlength=n_sites)
    else:
        site_ppa, ppa_cost = np.zeros(g.site_need.size), np.zeros(n_r)
    # chip supply contracts
    krow = act[kind == _CHIPS]
    vendor_qty = g.vendor_qty
    k_deliver = np.zeros(krow.size)
    if krow.size:
        k_deliver = pro_rata(ct.seller[krow], ct.volume[krow], vendor_qty)
        # what the contracts leave, never below zero: a contract for more than the vendor
        # makes takes it all, and volume x (capacity / volume) can pass capacity by an ulp
        taken = np.bincount(ct.seller[krow], k_deliver, minlength=len(vendors))
        vendor_qty = np.maximum(0.0, vendor_qty - taken)
    alloc_out = ContractAllocation(
        rows, alloc, prow, p_deliver, site_ppa, ppa_cost, krow, k_deliver
    )
    return alloc_out, unit_qty, vendor_qty, lab_contract


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
    n_s = lay.n_sellers
    # the hours each node's site buys power to run (at most its capacity), less what the
    # contracts take: a node sells no hour it could not deliver for want of power
    left = g.site_use.ravel() - np.add.reduce(alloc.compute_alloc, axis=0)
    chip_want = plan.chip_want
    if alloc.chip_rows.size:
        vfam = np.array([v.family for v in vendors])
        chip_contract = np.bincount(
            ct.buyer[alloc.chip_rows] * n_f + vfam[ct.seller[alloc.chip_rows]],
            alloc.chip_delivered,
            minlength=n_h * n_f,
        ).reshape(n_h, n_f)
        chip_want = chip_want - chip_contract
    # labs' spot bids net of contract deliveries (inference first)
    inactive = ~a.active
    inf = np.maximum(0.0, a.inference_need - lab_contract)
    trn = np.maximum(0.0, a.training_need - np.maximum(0.0, lab_contract - a.inference_need))
    inf[inactive] = 0.0
    trn[inactive] = 0.0
    if tpl.rest.size:
        pool_inf = np.bincount(g.small_node, inf[tpl.rest], minlength=n_s)
        pool_trn = np.bincount(g.small_node, trn[tpl.rest], minlength=n_s)
        pools = ((pool_inf + pool_trn) > 0).nonzero()[0]
        pool_inf, pool_trn = pool_inf[pools], pool_trn[pools]
    else:
        pools, pool_inf, pool_trn = _NO_INT, _NO_FLOAT, _NO_FLOAT
    # compute links from every seller node with powered hours left
    c_src, c_lab, c_cost, c_dst = _compute_links(tpl, a, cfg, egress_fee, left > 0)
    n_home = tpl.home_src.size
    home_cap = homing_caps(tpl, a, alloc, ct) if n_home else _NO_FLOAT
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
    n_t, n_m, n_p = t_share.shape[0], majors.size, pools.size
    idx = BookIndex(
        lay,
        Segments.of((("units", g.unit_util.size), ("vendors", n_v), ("sellers", n_s))),
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
    cat = np.concatenate
    if n_t == tpl.tranche_decay.size and not n_p:
        bid_node = tpl.bid_head
    elif n_t == tpl.tranche_decay.size:
        bid_node = cat((tpl.bid_head, lay.pool0 + pools, np.tile(lay.pool0 + pools, n_t)))
    else:  # one flat training bid
        n_head = tpl.bid_head.size - tpl.tranche_decay.size * n_m
        pool_nodes = lay.pool0 + pools
        bid_node = cat((tpl.bid_head[:n_head], lay.lab0 + majors, pool_nodes, pool_nodes))
    spot = np.maximum(0.0, left)
    bid_qty = cat(
        (
            g.non_ai_qty,
            np.maximum(0.0, g.site_need.ravel() - alloc.site_ppa),
            np.maximum(0.0, chip_want).ravel(),
            inf[majors],
            (t_share.reshape(n_t, -1) * trn[majors]).ravel(),
            pool_inf,
            (p_share[:, None] * pool_trn).ravel(),
        )
    )
    compute_bids = bid_qty[idx.bids["lab_inference"].start :]  # the last four segments
    np.minimum(bid_qty, QUANTITY_CAP, out=bid_qty)
    np.minimum(compute_bids, BID_CAP * max(1.0, float(np.add.reduce(spot))), out=compute_bids)
    book = OrderBook.assembled(
        lay.n_nodes,
        cat((g.unit_util, tpl.offer_tail)),
        np.minimum(cat((unit_qty, vendor_qty, spot)), QUANTITY_CAP),
        cat((g.unit_price, g.vendor_price, g.compute_price.ravel())),
        bid_node,
        bid_qty,
        np.minimum(
            cat(
                (
                    tpl.bid_price_head,
                    plan.chip_bid_price.ravel(),
                    np.full(n_m, services_price),
                    t_bid.ravel() if t_bid.ndim == 2 else t_bid.repeat(n_m),
                    np.full(n_p, services_price),
                    p_bid.repeat(n_p),
                )
            ),
            BID_PRICE_CAP,
        ),
        cat((tpl.link_src_head, lay.seller0 + c_src, lay.seller0 + pools, tpl.home_src)),
        cat((tpl.link_dst_head, c_dst, lay.pool0 + pools, tpl.home_dst)),
        cat((tpl.link_cost_head, c_cost, np.zeros(n_p + n_home))),
        cat((tpl.link_cap_head, tpl.no_bound[: c_src.size + n_p], home_cap)),
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
