"""The ``clear`` and ``settle`` phases: contracts first, one clearing, then payments.

``clear_month`` settles the contracts in force against the sellers' capacity (pro rata
among a seller's contracts, :func:`market.contracts.pro_rata`), takes what they cover
out of the offers and bids, assembles one :class:`market.book.OrderBook` for power,
chips and compute, and clears it with one :func:`market.clearing.clear` call.

``settle_month`` turns fills into deliveries and ledger transfers. Each buyer pays its
node price, each seller receives its node price, and the difference (transmission,
latency, porting friction) goes to the outside world, except the egress fee, which the
seller keeps. Compute is physical: a site that got less power than it bid for delivers
less (contracts first, then spot, pro rata); contracts delivered short pay their
penalty. Every flow of money, chips, power and compute is a ledger row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.lab import KIND_MAJOR
from agents.orders import Layout, major_link_costs
from agents.utility import HOURS_PER_MONTH
from market.clearing import OrderBook, SolverFailure, clear
from market.contracts import pro_rata

if TYPE_CHECKING:
    from agents.model import GigawattModel

__all__ = ["CLEAR_METHOD", "clear_month"]

CLEAR_METHOD = "fast"
"""Solver used for the monthly book (``"fast"`` or the ``"lp"`` oracle)."""


def _cat(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype=float).ravel() for p in parts])


def clear_month(m: GigawattModel) -> None:
    """Settle contracts against capacity, then clear every spot market in one call."""
    g, t, a, ct = m.gross, m.month, m.labs, m.contracts
    lay = Layout(m.n_r, m.n_h, m.n_f, len(m.vendors), int((a.kind == KIND_MAJOR).sum()))
    m.layout = lay
    n_s = lay.n_sellers
    hh, _rr, ff = np.unravel_index(np.arange(n_s), (m.n_h, m.n_r, m.n_f))
    cap = g.compute_qty.ravel()
    # compute contracts: a seller's capacity (of the contract's family) shared pro rata
    rows = ct.active(t, "compute")
    rows = rows[a.active[ct.buyer[rows]]]
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
    m.c_rows, m.c_alloc = rows, alloc
    c_node = alloc.sum(axis=0)
    lab_contract = np.bincount(ct.buyer[rows], alloc.sum(axis=1), minlength=a.n)
    # power contracts (PPAs): delivered from the utility's cheapest units
    unit_qty = g.unit_qty.copy()
    prow = ct.active(t, "power")
    site_ppa = np.zeros(m.n_h * m.n_r)
    ppa_cost = np.zeros(m.n_r)
    p_deliver = np.zeros(prow.size)
    if prow.size:
        util_avail = np.bincount(g.unit_util, unit_qty, minlength=m.n_r)
        p_deliver = pro_rata(ct.seller[prow], ct.volume[prow], util_avail)
        take = np.bincount(ct.seller[prow], p_deliver, minlength=m.n_r)
        order = np.lexsort((g.unit_price, g.unit_util))
        q, util = unit_qty[order], g.unit_util[order]
        before = np.cumsum(q) - q
        first = np.r_[0, np.flatnonzero(np.diff(util)) + 1]
        start = np.repeat(before[first], np.diff(np.r_[first, util.size]))
        used = np.clip(take[util] - (before - start), 0.0, q)
        unit_qty[order] = q - used
        ppa_cost = np.bincount(util, used * g.unit_price[order], minlength=m.n_r)
        np.add.at(site_ppa, ct.buyer[prow] * m.n_r + ct.region[prow], p_deliver)
    m.p_rows, m.p_deliver, m.site_ppa, m.ppa_cost = prow, p_deliver, site_ppa, ppa_cost
    # chip supply contracts
    krow = ct.active(t, "chips")
    vendor_qty = g.vendor_qty.copy()
    k_deliver = np.zeros(krow.size)
    chip_contract = np.zeros((m.n_h, m.n_f))
    if krow.size:
        k_deliver = pro_rata(ct.seller[krow], ct.volume[krow], vendor_qty)
        vendor_qty -= np.bincount(ct.seller[krow], k_deliver, minlength=len(m.vendors))
        vfam = np.array([v.family for v in m.vendors])
        np.add.at(chip_contract, (ct.buyer[krow], vfam[ct.seller[krow]]), k_deliver)
    m.k_rows, m.k_deliver = krow, k_deliver
    # spot bids of labs net of contract deliveries (inference first)
    cfg = m.config
    inf = np.maximum(0.0, a.inference_need - lab_contract)
    trn = np.maximum(0.0, a.training_need - np.maximum(0.0, lab_contract - a.inference_need))
    inf[~a.active] = 0.0
    trn[~a.active] = 0.0
    m.lab_contract_planned = lab_contract
    majors = np.flatnonzero(a.kind == KIND_MAJOR)
    rest = np.flatnonzero(a.kind != KIND_MAJOR)
    pool_inf = np.bincount(g.small_node, inf[rest], minlength=n_s)
    pool_trn = np.bincount(g.small_node, trn[rest], minlength=n_s)
    m.bid_inf, m.bid_trn = inf, trn
    # links
    R, H, F = m.n_r, m.n_h, m.n_f
    u_idx, s_idx = np.meshgrid(np.arange(R), np.arange(H * R), indexing="ij")
    u_idx, s_idx = u_idx.ravel(), s_idx.ravel()
    same = (s_idx % R) == u_idx
    p_cost = np.where(same, 0.0, cfg.power.transmission_cost)
    p_cap = np.where(same, np.inf, cfg.power.transmission_cap_mw * HOURS_PER_MONTH)
    v_src, v_dst = [], []
    for v in m.vendors:
        for h in range(H):
            if v.owner < 0 or v.owner == h:
                v_src.append(v.index)
                v_dst.append(h * F + v.family)
    v_src_a, v_dst_a = np.array(v_src, dtype=np.int64), np.array(v_dst, dtype=np.int64)
    c_src, c_lab, c_cost = major_link_costs(m)
    live = (cap - c_node)[c_src] > 0  # links from sellers with nothing to sell carry nothing
    c_src, c_lab, c_cost = c_src[live], c_lab[live], c_cost[live]
    pools = np.flatnonzero((pool_inf + pool_trn) > 0)
    m.links = {
        "p_u": u_idx,
        "p_site": s_idx,
        "v_src": v_src_a,
        "v_dst": v_dst_a,
        "c_src": c_src,
        "c_lab": c_lab,
        "c_cost": c_cost,
        "pools": pools,
    }
    chip_bid = np.maximum(0.0, m.chip_want - chip_contract).ravel()
    site_bid = np.maximum(0.0, g.site_need.ravel() - site_ppa)
    n_units, n_v = unit_qty.size, len(m.vendors)
    offer_node = np.concatenate(
        [g.unit_util, lay.vendor0 + np.arange(n_v), lay.seller0 + np.arange(n_s)]
    )
    offer_qty = _cat(unit_qty, vendor_qty, np.maximum(0.0, cap - c_node))
    offer_price = _cat(g.unit_price, g.vendor_price, g.compute_price.ravel())
    d = cfg.demand
    bid_node = np.concatenate(
        [
            np.arange(R),
            lay.site0 + np.arange(H * R),
            lay.chipbuyer0 + np.arange(H * F),
            lay.lab0 + majors,
            lay.lab0 + majors,
            lay.pool0 + pools,
            lay.pool0 + pools,
        ]
    )
    bid_qty = _cat(
        g.non_ai_qty, site_bid, chip_bid, inf[majors], trn[majors], pool_inf[pools], pool_trn[pools]
    )
    bid_price = _cat(
        np.full(R, cfg.power.non_ai_bid),
        np.full(H * R, cfg.power.datacentre_bid),
        m.chip_bid_price.ravel(),
        np.full(majors.size, d.revenue_per_h100e_hour),
        np.full(majors.size, d.training_bid),
        np.full(pools.size, d.revenue_per_h100e_hour),
        np.full(pools.size, d.training_bid),
    )
    link_src = np.concatenate(
        [u_idx, lay.vendor0 + v_src_a, lay.seller0 + c_src, lay.seller0 + pools]
    )
    link_dst = np.concatenate(
        [lay.site0 + s_idx, lay.chipbuyer0 + v_dst_a, lay.lab0 + c_lab, lay.pool0 + pools]
    )
    link_cost = _cat(p_cost, np.zeros(v_src_a.size), c_cost, np.zeros(pools.size))
    link_cap = _cat(
        p_cap,
        np.full(v_src_a.size, np.inf),
        np.full(c_src.size, np.inf),
        np.full(pools.size, np.inf),
    )
    m.book = OrderBook(
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
    m.book_sizes = {
        "units": n_units,
        "vendors": n_v,
        "sellers": n_s,
        "majors": majors.size,
        "pools": pools.size,
        "p_links": u_idx.size,
        "v_links": v_src_a.size,
        "c_links": c_src.size,
    }
    try:
        m.result = clear(m.book, method=CLEAR_METHOD)
    except SolverFailure:
        m.fallbacks += 1
        m.result = clear(m.book, method="lp")
