"""The ``clear`` phase's month book in one compiled call: every array of the book.

:func:`agents.phases.clear.clear_phase` fills the run's fixed parts
(:class:`agents.book_template.BookTemplate`) with the month's: what is left to sell and to
buy once the contracts have taken their shares (:func:`agents.phases.clear_kernels.net_bids`),
the small buyers' pooled bids, the compute links in use
(:func:`agents.phases.clear_links.compute_links`), every bid's quantity and price
(:func:`~agents.phases.clear_kernels.bid_quantities`,
:func:`~agents.phases.clear_kernels.bid_prices`), and the concatenations of the fixed
parts with the month's. :func:`month_book` does all of it in one call, from the same
compiled parts, so the numbers are those of the numpy expressions each part states.
"""

from __future__ import annotations

import numpy as np

from agents.phases.clear_kernels import bid_prices, bid_quantities, net_bids
from agents.phases.clear_links import link_pairs
from agents.state import BoolArray, FloatArray, IntArray
from market.compiled import add_reduce, compiled, minimum

__all__ = ["month_book"]


@compiled
def month_book(
    site_use: FloatArray,
    compute_alloc: FloatArray,
    inference_need: FloatArray,
    training_need: FloatArray,
    lab_contract: FloatArray,
    active: BoolArray,
    small_node: IntArray,
    rest: IntArray,
    pairs: IntArray,
    affinity: FloatArray,
    exclusive_with: IntArray,
    home: IntArray,
    primary: IntArray,
    fee: FloatArray,
    latency_cost: float,
    platform_penalty: float,
    non_ai: FloatArray,
    site_need: FloatArray,
    site_ppa: FloatArray,
    chip_want: FloatArray,
    majors: IntArray,
    t_share: FloatArray,
    p_share: FloatArray,
    price_head: FloatArray,
    chip_bid_price: FloatArray,
    services_price: float,
    t_bid: FloatArray,
    p_bid: FloatArray,
    unit_util: IntArray,
    offer_tail: IntArray,
    unit_qty: FloatArray,
    vendor_qty: FloatArray,
    unit_price: FloatArray,
    vendor_price: FloatArray,
    compute_price: FloatArray,
    bid_head: IntArray,
    head_nodes: IntArray,
    head_values: FloatArray,
    home_links: IntArray,
    home_cap: FloatArray,
    seller0: int,
    pool0: int,
    quantity_cap: float,
    bid_cap: float,
    price_cap: float,
) -> tuple[
    IntArray, FloatArray, FloatArray, IntArray, FloatArray, FloatArray, IntArray, IntArray,
    FloatArray, FloatArray, FloatArray, FloatArray, IntArray, IntArray, IntArray, IntArray,
]:  # fmt: skip
    """The month's book and the parts the phase keeps, as numpy computes them::

        left, spot, inf, trn = net_bids(site_use, compute_alloc, inference_need,
                                        training_need, lab_contract, active)
        pool_inf = np.bincount(small_node, inf[rest], minlength=spot.size)
        pool_trn = np.bincount(small_node, trn[rest], minlength=spot.size)
        pools = ((pool_inf + pool_trn) > 0).nonzero()[0]   # none without ``rest``
        pool_inf, pool_trn = pool_inf[pools], pool_trn[pools]
        c_src, c_lab, c_cost, c_dst = compute_links(..., left > 0)   # ``pairs``' rows
        offer_qty = np.minimum(np.concatenate((unit_qty, vendor_qty, spot)), quantity_cap)
        home_cap = bookable_caps(home_cap, np.add.reduce(offer_qty[-spot.size:]))

    ``pairs`` is the template's (seller, lab, cloud, region, affinity, destination) of
    every pair, one row each; ``head_nodes`` its power and chip links' sources and
    destinations, ``head_values`` their costs and capacities; ``home_links`` the homing
    links' sources and destinations. Returns, in order, the book's offer nodes
    (``unit_util`` then ``offer_tail``), quantities and prices (units', vendors', the
    nodes' ``compute_price``), bid nodes (``bid_head``'s fixed bids and major labs'
    inference, the labs' nodes once per training tranche, then the pools' nodes
    ``pool0 + pools`` once and once per tranche), quantities
    (:func:`~agents.phases.clear_kernels.bid_quantities`) and prices
    (:func:`~agents.phases.clear_kernels.bid_prices`), the links' sources, destinations,
    costs and capacities (the template's head, the compute links from ``seller0 +
    c_src``, one link per pool from ``seller0 + pools`` to ``pool0 + pools``, the homing
    links; free, the compute and pool links unbounded), then ``inf``, ``trn``, ``c_src``,
    ``c_lab``, ``c_dst`` and ``pools``.
    """
    left, spot, inf, trn = net_bids(
        site_use, compute_alloc, inference_need, training_need, lab_contract, active
    )
    n_s = spot.size
    pool_inf, pool_trn = np.zeros(n_s), np.zeros(n_s)
    for i in range(rest.size):
        pool_inf[small_node[i]] += inf[rest[i]]
    for i in range(rest.size):
        pool_trn[small_node[i]] += trn[rest[i]]
    n_p = 0
    for j in range(n_s):
        n_p += (pool_inf[j] + pool_trn[j]) > 0
    pools = np.empty(n_p, np.int64)
    k = 0
    for j in range(n_s):
        if (pool_inf[j] + pool_trn[j]) > 0:
            pools[k] = j
            k += 1
    c_src, c_lab, c_cost, c_dst = link_pairs(
        pairs[0], pairs[1], pairs[2], pairs[3], pairs[4], pairs[5], affinity,
        exclusive_with, active, home, primary, fee, left > 0, latency_cost, platform_penalty,
    )  # fmt: skip
    bid_qty = bid_quantities(
        non_ai, site_need, site_ppa, chip_want, inf, trn, majors, t_share, pool_inf[pools],
        pool_trn[pools], p_share, spot, quantity_cap, bid_cap,
    )  # fmt: skip
    n_m, n_t = majors.size, t_bid.shape[0]
    bid_price = bid_prices(
        price_head, chip_bid_price, services_price, t_bid, n_m, n_p, p_bid, price_cap
    )
    # offers: the utilities' units, the vendors, the seller nodes
    n_u, n_v = unit_qty.size, vendor_qty.size
    n_o = n_u + n_v + n_s
    offer_node = np.empty(n_o, np.int64)
    offer_node[:n_u] = unit_util
    offer_node[n_u:] = offer_tail
    offer_qty = np.empty(n_o)
    offer_qty[:n_u] = unit_qty
    offer_qty[n_u : n_u + n_v] = vendor_qty
    offer_qty[n_u + n_v :] = spot
    for i in range(n_o):
        offer_qty[i] = minimum(offer_qty[i], quantity_cap)
    offer_price = np.empty(n_o)
    offer_price[:n_u] = unit_price
    offer_price[n_u : n_u + n_v] = vendor_price
    offer_price[n_u + n_v :] = compute_price.ravel()
    # bids: the fixed ones and the labs' inference, the tranches, the pools
    n_head = non_ai.size + site_need.size + chip_want.size + n_m
    bid_node = np.empty(bid_qty.size, np.int64)
    bid_node[:n_head] = bid_head[:n_head]
    at = n_head
    for _ in range(n_t):
        bid_node[at : at + n_m] = bid_head[n_head - n_m : n_head]
        at += n_m
    for _ in range(n_t + 1):
        for i in range(n_p):
            bid_node[at + i] = pool0 + pools[i]
        at += n_p
    # links: power and chips, compute, pools, homing
    n_fix, n_c, n_home = head_nodes.shape[1], c_src.size, home_cap.size
    n_l = n_fix + n_c + n_p + n_home
    src, dst = np.empty(n_l, np.int64), np.empty(n_l, np.int64)
    cost, cap = np.empty(n_l), np.empty(n_l)
    src[:n_fix], dst[:n_fix] = head_nodes[0], head_nodes[1]
    cost[:n_fix], cap[:n_fix] = head_values[0], head_values[1]
    for i in range(n_c):
        src[n_fix + i], dst[n_fix + i] = seller0 + c_src[i], c_dst[i]
        cost[n_fix + i], cap[n_fix + i] = c_cost[i], np.inf
    at = n_fix + n_c
    for i in range(n_p):
        src[at + i], dst[at + i] = seller0 + pools[i], pool0 + pools[i]
        cost[at + i], cap[at + i] = 0.0, np.inf
    at += n_p
    supply = add_reduce(offer_qty[n_u + n_v :]) if n_home else 0.0
    for i in range(n_home):
        src[at + i], dst[at + i] = home_links[0, i], home_links[1, i]
        c = home_cap[i]
        if c > quantity_cap:
            c = np.inf if c >= supply else quantity_cap
        cost[at + i], cap[at + i] = 0.0, c
    return (
        offer_node, offer_qty, offer_price, bid_node, bid_qty, bid_price, src, dst, cost, cap,
        inf, trn, c_src, c_lab, c_dst, pools,
    )  # fmt: skip
