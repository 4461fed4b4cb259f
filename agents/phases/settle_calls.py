"""The ``settle`` phase's compiled calls: each part's kernels in one call from Python.

A compiled call's fixed cost (its arguments read, its arrays returned, its code and data
brought back into the caches after the rest of the month ran) outweighs the arithmetic of
a month's few hundred nodes and links. :func:`power_month` is the power market's arrays,
what the power delivers of compute (:func:`deliveries`) and the contracts' quantities to
settle, in one call before the settlement; :func:`compute_month` is the compute market's
arrays and the nodes' month, in one call after it. Each calls the kernels of
:mod:`agents.phases.settle_kernels` (compiled code calling compiled code, no Python in
between), so the numbers are theirs.
"""

from __future__ import annotations

import numpy as np

from agents.phases.settle_kernels import compute_flows, node_prices, power_flows
from agents.state import FloatArray, IntArray
from market.compiled import add_reduce, compiled, maximum, minimum, sum_rows

__all__ = ["compute_month", "deliveries", "power_month"]


@compiled
def deliveries(
    cap: FloatArray,
    mwh: FloatArray,
    use: FloatArray,
    site_recv: FloatArray,
    alloc: FloatArray,
    spot_sold: FloatArray,
    n_f: int,
) -> tuple[FloatArray, FloatArray]:
    """:func:`agents.phases.settle_compute.compute_delivery` on the nodes in order (``n_f``
    families a site, the arrays flat): what contracts and spot sales deliver at each node
    and the share of spot sales delivered (the rows ``c_ok``, ``s_ok``, ``s_factor`` of one
    ``(3, N)`` array), and what each contract receives. numpy's arithmetic in numpy's order
    (its sums: :func:`market.compiled.add_reduce` along a row, row by row down a
    column)."""
    n = cap.size
    deliverable = np.empty(n)
    for site in range(n // n_f):
        lo = site * n_f
        need = use[lo : lo + n_f] * mwh[lo : lo + n_f]
        total = add_reduce(need)
        for k in range(n_f):
            share = need[k] / total if total > 0 else 0.0
            got = site_recv[site] * share
            runs = got / mwh[lo + k] if mwh[lo + k] > 0 else 0.0
            deliverable[lo + k] = minimum(cap[lo + k], runs)
    c_node = sum_rows(alloc)
    by_node, c_factor = np.empty((3, n)), np.empty(n)
    c_ok, s_ok, s_factor = by_node[0], by_node[1], by_node[2]
    for j in range(n):
        c_ok[j] = minimum(c_node[j], deliverable[j])
        c_factor[j] = c_ok[j] / c_node[j] if c_node[j] > 0 else 1.0
        s_ok[j] = minimum(spot_sold[j], maximum(0.0, deliverable[j] - c_ok[j]))
        s_factor[j] = s_ok[j] / spot_sold[j] if spot_sold[j] > 0 else 1.0
    contract = np.empty(alloc.shape[0])
    for i in range(alloc.shape[0]):
        contract[i] = add_reduce(alloc[i] * c_factor)
    return by_node, contract


@compiled
def power_month(
    non_ai: FloatArray,
    pf: FloatArray,
    pu: IntArray,
    ps: IntArray,
    seller: IntArray,
    buyer: IntArray,
    power_rows: IntArray,
    ppa_delivered: FloatArray,
    unit_util: IntArray,
    unit_fill: FloatArray,
    unit_price: FloatArray,
    ppa_cost: FloatArray,
    site_ppa: FloatArray,
    price: FloatArray,
    site0: int,
    ua: IntArray,
    ha: IntArray,
    node_price: FloatArray,
    power_price: FloatArray,
    capacity_price: FloatArray,
    cap: FloatArray,
    mwh: FloatArray,
    use: FloatArray,
    alloc: FloatArray,
    spot_sold: FloatArray,
    n_f: int,
    compute_rows: IntArray,
    chip_rows: IntArray,
    chip_delivered: FloatArray,
    volume: FloatArray,
) -> tuple[
    FloatArray,
    FloatArray,
    IntArray,
    FloatArray,
    FloatArray,
    IntArray,
    FloatArray,
    IntArray,
    FloatArray,
]:
    """:func:`~agents.phases.settle_kernels.power_flows` (the first twenty arguments, its
    six arrays first), then :func:`deliveries` of the compute nodes (``cap``, ``mwh``,
    ``use`` and ``spot_sold`` flat, ``n_f`` families a site) given the power each site
    received (its ``(3, N)`` array), then what every contract is settled on, compute,
    power and chips: ``rows = np.concatenate((compute_rows, power_rows, chip_rows))`` and
    ``np.minimum(np.concatenate((contract, ppa_delivered, chip_delivered)),
    volume[rows])``, where ``contract`` is what each compute contract received
    (:func:`deliveries`).
    """
    power = power_flows(
        non_ai,
        pf,
        pu,
        ps,
        seller,
        buyer,
        power_rows,
        ppa_delivered,
        unit_util,
        unit_fill,
        unit_price,
        ppa_cost,
        site_ppa,
        price,
        site0,
        ua,
        ha,
        node_price,
        power_price,
        capacity_price,
    )
    site_recv = power[3]
    by_node, contract = deliveries(
        cap,
        mwh,
        use,
        site_recv.reshape(site_recv.size),
        alloc,
        spot_sold,
        n_f,
    )
    n_c, n_p, n_k = compute_rows.size, power_rows.size, chip_rows.size
    rows = np.empty(n_c + n_p + n_k, np.int64)
    qty = np.empty(n_c + n_p + n_k)
    for i in range(n_c):
        rows[i], qty[i] = compute_rows[i], contract[i]
    for i in range(n_p):
        rows[n_c + i], qty[n_c + i] = power_rows[i], ppa_delivered[i]
    for i in range(n_k):
        rows[n_c + n_p + i], qty[n_c + n_p + i] = chip_rows[i], chip_delivered[i]
    for i in range(rows.size):
        qty[i] = minimum(qty[i], volume[rows[i]])
    return power[0], power[1], power[2], power[3], power[4], power[5], by_node, rows, qty


@compiled
def compute_month(
    buyer: IntArray,
    seller: IntArray,
    rows: IntArray,
    payment: FloatArray,
    penalty: FloatArray,
    delivered: FloatArray,
    n_l: int,
    n_h: int,
    flow: FloatArray,
    by_node: FloatArray,
    src: IntArray,
    lab: IntArray,
    dst: IntArray,
    price: FloatArray,
    seller0: int,
    primary: IntArray,
    egress_fee: FloatArray,
    la: IntArray,
    ha: IntArray,
    mwh: FloatArray,
    site_recv: FloatArray,
    power_now: FloatArray,
    capacity: FloatArray,
    offered_qty: FloatArray,
    node_price: FloatArray,
    cost: FloatArray,
    kind: IntArray,
    major: int,
) -> tuple[
    IntArray,
    tuple[FloatArray, FloatArray],
    FloatArray,
    FloatArray,
    FloatArray,
    IntArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    int,
]:
    """:func:`~agents.phases.settle_kernels.compute_flows` (its six arrays first), then
    :func:`~agents.phases.settle_kernels.node_prices` (its four), then how many labs are
    not major (``np.count_nonzero(kind != major)``). ``by_node`` is :func:`deliveries`'
    ``(3, N)``: ``c_ok``, ``s_ok`` and ``s_factor`` of each seller node."""
    flows = compute_flows(
        buyer,
        seller,
        rows,
        payment,
        penalty,
        delivered,
        n_l,
        n_h,
        flow,
        by_node[2],
        src,
        lab,
        dst,
        price,
        seller0,
        primary,
        egress_fee,
        la,
        ha,
    )
    nodes = node_prices(
        by_node[0],
        by_node[1],
        mwh,
        site_recv,
        power_now,
        capacity,
        offered_qty,
        node_price,
        price,
        seller0,
        cost,
    )
    n_rest = 0
    for k in kind:
        if k != major:
            n_rest += 1
    return (
        flows[0],
        flows[1],
        flows[2],
        flows[3],
        flows[4],
        flows[5],
        nodes[0],
        nodes[1],
        nodes[2],
        nodes[3],
        n_rest,
    )
