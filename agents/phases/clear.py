"""Phase 5, ``clear``: contracts settle first, then one clearing of every spot market.

Compute contracts take a pro-rata share of their seller's capacity in the contract's
family; power purchase agreements are served from the utility's cheapest units; chip
supply contracts from the vendor's capacity (:func:`market.contracts.pro_rata`). What
is left is assembled into one :class:`market.book.OrderBook` for power, chips and
compute (a bipartite transport problem over the trade graph) and cleared in one call:
by the run's :class:`market.warm.Clearer`, which re-solves from last month's basis when
the book keeps its shape (exact either way), or by :func:`market.clearing.clear`; :class:`agents.book_index.BookIndex` names its parts.

Links and their costs: power flows from a utility to the sites of its region free and
uncapped, and to other regions at ``power.transmission_cost`` up to
``power.transmission_cap_mw``; vendors sell to every cloud (captive vendors to their
owner only); compute flows from every seller node to every active major lab at a cost
of ``latency_cost`` outside the lab's home region, ``lockin.platform_penalty`` x (1 -
affinity to the node's family), and the lab's egress fee away from its primary cloud; labs
bound by an exclusive contract link only to that cloud. Bids: non-AI load at
``power.non_ai_bid``, sites at ``power.datacentre_bid``, chips at the plan's price,
inference at the month's price of AI services (what the served unit earns) and training as
a budget curve (:func:`agents.lab.training_bid_schedule`: the need planned at the expected
price, bid in ``demand.training_bid_steps`` tranches at prices falling geometrically from
``demand.training_bid_share`` of the services price to ``demand.training_bid_floor`` of
that, more hours at lower prices); the tranches are step-major within the
``lab_training`` and ``pool_training`` segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from agents.book_index import BookIndex, NodeLayout
from agents.chipvendor import ChipVendor
from agents.lab import LabArrays, planned_training_price, training_bid_schedule
from agents.phases.orders import Orders
from agents.phases.plan import MonthPlan
from agents.scenario import Scenario
from agents.state import FloatArray, IntArray
from agents.units import HOURS_PER_MONTH
from market.book import OrderBook
from market.clearing import ClearingResult, SolverFailure, clear
from market.contracts import ContractTable, pro_rata
from market.warm import Clearer

__all__ = [
    "CLEAR_METHOD",
    "Cleared",
    "ContractAllocation",
    "allocate_contracts",
    "clear_phase",
    "major_links",
]

CLEAR_METHOD: Final = "fast"
"""Solver of the monthly book (``"fast"``, or the ``"lp"`` oracle)."""


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
    pools: IntArray
    """Seller nodes with pooled small buyers (one pool link each)."""


def major_links(
    labs: LabArrays, shape: tuple[int, int, int], cfg: Scenario, egress_fee: FloatArray | float
) -> tuple[IntArray, IntArray, FloatArray]:
    """Links from every seller node to every active major lab, with their costs.

    ``egress_fee`` is per lab (its home regulators' cap) or one number for all.
    """
    a = labs
    fee = np.broadcast_to(np.asarray(egress_fee, dtype=float), (a.n,))
    n_h, n_r, n_f = shape
    majors = np.flatnonzero(a.major & a.active)
    hg, rg, fg = np.meshgrid(np.arange(n_h), np.arange(n_r), np.arange(n_f), indexing="ij")
    h, r, f = hg.ravel(), rg.ravel(), fg.ravel()
    Sg, Lg = np.meshgrid(np.arange(h.size), majors, indexing="ij")
    S, L = Sg.ravel(), Lg.ravel()
    cost = (
        cfg.latency_cost * (r[S] != a.home[L])
        + cfg.lockin.platform_penalty_per_h100e_hour * (1.0 - a.affinity[L, f[S]])
        + fee[L] * (h[S] != a.primary[L])
    )
    excl = a.exclusive_with[L]
    keep = ((excl < 0) | (h[S] == excl)) & (a.affinity[L, f[S]] > 0)
    return S[keep], L[keep], cost[keep]


def allocate_contracts(
    month: int,
    g: Orders,
    labs: LabArrays,
    ct: ContractTable,
    vendors: Sequence[ChipVendor],
    n_r: int,
) -> tuple[ContractAllocation, FloatArray, FloatArray, FloatArray]:
    """Contracts' shares; returns them with the unit and vendor quantities left and labs' receipts."""
    n_h = g.compute_qty.shape[0]
    n_s = g.compute_qty.size
    hh, _rr, ff = np.unravel_index(np.arange(n_s), g.compute_qty.shape)
    cap = g.compute_qty.ravel()
    rows = ct.active(month, "compute")
    rows = rows[labs.active[ct.buyer[rows]]]
    alloc = np.zeros((rows.size, n_s))
    if rows.size:
        fam = ct.family[rows]
        match = (hh[None, :] == ct.seller[rows][:, None]) & (
            (fam[:, None] < 0) | (ff[None, :] == fam[:, None])
        )
        w = match * cap[None, :]
        tot = w.sum(axis=1)
        alloc = w * np.divide(ct.volume[rows], tot, out=np.zeros(rows.size), where=tot > 0)[:, None]
        load = alloc.sum(axis=0)
        alloc *= np.minimum(1.0, np.divide(cap, load, out=np.ones(n_s), where=load > 0))[None, :]
    lab_contract = np.bincount(ct.buyer[rows], alloc.sum(axis=1), minlength=labs.n)
    # power purchase agreements: delivered from the utility's cheapest units
    unit_qty = g.unit_qty.copy()
    prow = ct.active(month, "power")
    site_ppa = np.zeros(n_h * n_r)
    ppa_cost = np.zeros(n_r)
    p_deliver = np.zeros(prow.size)
    if prow.size:
        util_avail = np.bincount(g.unit_util, unit_qty, minlength=n_r)
        p_deliver = pro_rata(ct.seller[prow], ct.volume[prow], util_avail)
        take = np.bincount(ct.seller[prow], p_deliver, minlength=n_r)
        order = np.lexsort((g.unit_price, g.unit_util))
        q, util = unit_qty[order], g.unit_util[order]
        before = np.cumsum(q) - q
        first = np.r_[0, np.flatnonzero(np.diff(util)) + 1]
        start = np.repeat(before[first], np.diff(np.r_[first, util.size]))
        used = np.clip(take[util] - (before - start), 0.0, q)
        unit_qty[order] = q - used
        ppa_cost = np.bincount(util, used * g.unit_price[order], minlength=n_r)
        np.add.at(site_ppa, ct.buyer[prow] * n_r + ct.region[prow], p_deliver)
    # chip supply contracts
    krow = ct.active(month, "chips")
    vendor_qty = g.vendor_qty.copy()
    k_deliver = np.zeros(krow.size)
    if krow.size:
        k_deliver = pro_rata(ct.seller[krow], ct.volume[krow], vendor_qty)
        vendor_qty -= np.bincount(ct.seller[krow], k_deliver, minlength=len(vendors))
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
) -> Cleared:
    """Settle contracts against capacity, then clear every spot market in one call."""
    a, ct = labs, contracts
    n_h, n_r, n_f = g.compute_qty.shape
    n_v = len(vendors)
    alloc, unit_qty, vendor_qty, lab_contract = allocate_contracts(month, g, a, ct, vendors, n_r)
    lay = NodeLayout(n_r, n_h, n_f, n_v, int(a.major.sum()))
    n_s = lay.n_sellers
    cap = g.compute_qty.ravel()
    c_node = alloc.compute_alloc.sum(axis=0)
    chip_contract = np.zeros((n_h, n_f))
    if alloc.chip_rows.size:
        vfam = np.array([v.family for v in vendors])
        np.add.at(
            chip_contract,
            (ct.buyer[alloc.chip_rows], vfam[ct.seller[alloc.chip_rows]]),
            alloc.chip_delivered,
        )
    # labs' spot bids net of contract deliveries (inference first)
    inf = np.maximum(0.0, a.inference_need - lab_contract)
    trn = np.maximum(0.0, a.training_need - np.maximum(0.0, lab_contract - a.inference_need))
    inf[~a.active] = 0.0
    trn[~a.active] = 0.0
    majors = np.flatnonzero(a.major)
    rest = np.flatnonzero(~a.major)
    pool_inf = np.bincount(g.small_node, inf[rest], minlength=n_s)
    pool_trn = np.bincount(g.small_node, trn[rest], minlength=n_s)
    # links
    u_grid, s_grid = np.meshgrid(np.arange(n_r), np.arange(n_h * n_r), indexing="ij")
    u_idx, s_idx = u_grid.ravel(), s_grid.ravel()
    same = (s_idx % n_r) == u_idx
    p_cost = np.where(same, 0.0, cfg.power.transmission_cost)
    p_cap = np.where(same, np.inf, cfg.power.transmission_cap_mw * HOURS_PER_MONTH)
    pairs = [
        (v.index, h * n_f + v.family)
        for v in vendors
        for h in range(n_h)
        if v.owner < 0 or v.owner == h
    ]
    v_src = np.array([p[0] for p in pairs], dtype=np.int64)
    v_dst = np.array([p[1] for p in pairs], dtype=np.int64)
    c_src, c_lab, c_cost = major_links(a, (n_h, n_r, n_f), cfg, egress_fee)
    live = (cap - c_node)[c_src] > 0  # sellers with nothing left to sell carry nothing
    c_src, c_lab, c_cost = c_src[live], c_lab[live], c_cost[live]
    pools = np.flatnonzero((pool_inf + pool_trn) > 0)
    chip_bid = np.maximum(0.0, plan.chip_want - chip_contract).ravel()
    site_bid = np.maximum(0.0, g.site_need.ravel() - alloc.site_ppa)
    d = cfg.demand
    # training need as a budget curve in tranches at falling bids (step-major segments)
    top_bid = d.training_bid_share * services_price
    t_bid, t_share = training_bid_schedule(
        top_bid,
        planned_training_price(services_price / (1.0 + d.services_markup), d),
        d.training_bid_steps,
        d.training_bid_floor,
    )
    idx = BookIndex(lay)
    offers = [
        ("units", g.unit_util, unit_qty, g.unit_price),
        ("vendors", lay.vendor0 + np.arange(n_v), vendor_qty, g.vendor_price),
        (
            "sellers",
            lay.seller0 + np.arange(n_s),
            np.maximum(0.0, cap - c_node),
            g.compute_price.ravel(),
        ),
    ]
    bids = [
        ("non_ai", np.arange(n_r), g.non_ai_qty, np.full(n_r, cfg.power.non_ai_bid)),
        (
            "sites",
            lay.site0 + np.arange(n_h * n_r),
            site_bid,
            np.full(n_h * n_r, cfg.power.datacentre_bid),
        ),
        (
            "chip_buyers",
            lay.chipbuyer0 + np.arange(n_h * n_f),
            chip_bid,
            plan.chip_bid_price.ravel(),
        ),
        (
            "lab_inference",
            lay.lab0 + majors,
            inf[majors],
            np.full(majors.size, services_price),
        ),
        (
            "lab_training",
            np.tile(lay.lab0 + majors, t_bid.size),
            np.outer(t_share, trn[majors]),
            np.repeat(t_bid, majors.size),
        ),
        (
            "pool_inference",
            lay.pool0 + pools,
            pool_inf[pools],
            np.full(pools.size, services_price),
        ),
        (
            "pool_training",
            np.tile(lay.pool0 + pools, t_bid.size),
            np.outer(t_share, pool_trn[pools]),
            np.repeat(t_bid, pools.size),
        ),
    ]
    links = [
        ("power", u_idx, lay.site0 + s_idx, p_cost, p_cap),
        (
            "chips",
            lay.vendor0 + v_src,
            lay.chipbuyer0 + v_dst,
            np.zeros(v_src.size),
            np.full(v_src.size, np.inf),
        ),
        ("compute", lay.seller0 + c_src, lay.lab0 + c_lab, c_cost, np.full(c_src.size, np.inf)),
        (
            "pools",
            lay.seller0 + pools,
            lay.pool0 + pools,
            np.zeros(pools.size),
            np.full(pools.size, np.inf),
        ),
    ]
    for name, node, *_ in offers:
        idx.offers.add(name, len(node))
    for name, node, *_ in bids:
        idx.bids.add(name, len(node))
    for name, src, *_ in links:
        idx.links.add(name, len(src))

    def cat(parts: Sequence[tuple[Any, ...]], k: int, dtype: type) -> NDArray[Any]:
        return np.concatenate([np.asarray(p[k], dtype=dtype).ravel() for p in parts])

    book = OrderBook(
        lay.n_nodes,
        cat(offers, 1, np.int64),
        cat(offers, 2, float),
        cat(offers, 3, float),
        cat(bids, 1, np.int64),
        cat(bids, 2, float),
        cat(bids, 3, float),
        cat(links, 1, np.int64),
        cat(links, 2, np.int64),
        cat(links, 3, float),
        cat(links, 4, float),
    )
    try:
        if clearer is not None:
            result, fell_back = clearer.clear(book), False
        else:
            result, fell_back = clear(book, method=CLEAR_METHOD), False
    except SolverFailure:
        result, fell_back = clear(book, method="lp"), True
    return Cleared(
        book,
        idx,
        result,
        fell_back,
        alloc,
        inf,
        trn,
        u_idx,
        s_idx,
        v_src,
        v_dst,
        c_src,
        c_lab,
        pools,
    )
