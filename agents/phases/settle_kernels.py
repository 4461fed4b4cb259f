"""The arithmetic of the ``settle`` phase, each part in one compiled call.

:func:`agents.phases.settle.settle_markets` and
:func:`agents.phases.settle_compute.settle_compute` book a month's flows of power, chips
and compute in a few dozen ledger postings; the arrays they post (payments by link, sums by
account, the chips installed, the node prices kept) were as many numpy calls on arrays of a
few to a few hundred elements. Here each part's arrays come from one call, with numpy's
arithmetic in numpy's order, so the numbers are the same to the bit: ``np.bincount`` and
``np.add.at`` add in index order from zero, a sum along a row is
:func:`market.compiled.add_reduce`, ``np.maximum`` and ``np.minimum`` are
:func:`market.compiled.maximum` and :func:`~market.compiled.minimum`. The postings stay in
the callers, in their order. :mod:`agents.phases.settle_calls` gathers the power and the
compute kernels into fewer calls from Python.
"""

from __future__ import annotations

import numpy as np

from agents.state import FloatArray, IntArray
from market.compiled import add_reduce, compiled, maximum, minimum

__all__ = ["chip_flows", "compute_flows", "node_prices", "power_flows"]


@compiled
def power_flows(
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
) -> tuple[FloatArray, FloatArray, IntArray, FloatArray, FloatArray, IntArray]:
    """The power market's arrays of :func:`agents.phases.settle.settle_markets`.

    ``R`` regions (``non_ai.size``) and ``H x R`` sites (``site_ppa.size``); power link
    ``i`` carries ``pf[i]`` from utility ``pu[i]`` to site ``ps[i]``; the PPAs are contract
    rows ``power_rows`` (``ppa_seller = seller[power_rows]``). Returns, as numpy computes
    them, in few arrays (one row each, a row's view costing less than an array returned):

    - ``by_region`` ``(4, R)``: ``gen``, ``non_ai + np.bincount(pu, pf, R) +
      np.bincount(ppa_seller, ppa_delivered, R)``; ``fuel``, ``np.bincount(unit_util,
      unit_fill * unit_price, R) + ppa_cost``; ``non_ai_pay``, ``price[:R] * non_ai``;
      ``power_now``, ``np.where(np.isfinite(node_price[:R]), price[:R], power_price)``;
    - ``by_link`` ``(2, n)``: ``spot``, ``price[:R][pu] * pf``; ``transmission``,
      ``np.maximum(0.0, price[site0:][ps] - price[:R][pu]) * pf``;
    - ``link_acc`` ``(2, n)``: ``site_acc``, ``ha[ps // R]``; ``util_acc``, ``ua[pu]``;
    - ``site_recv``: ``(np.bincount(ps, pf, H x R) + site_ppa).reshape(H, R)``;
    - ``charge``: ``(site_recv * capacity_price[None, :] / 24.0).ravel()``;
    - ``ppa_acc`` ``(2, PPAs)``: ``ua[ppa_seller]``, ``ha[buyer[power_rows]]``.
    """
    n_r = non_ai.size
    n_s = site_ppa.size
    from_links = np.zeros(n_r)
    for i in range(pf.size):
        from_links[pu[i]] += pf[i]
    from_ppa = np.zeros(n_r)
    ppa_acc = np.empty((2, power_rows.size), np.int64)
    for i in range(power_rows.size):
        from_ppa[seller[power_rows[i]]] += ppa_delivered[i]
        ppa_acc[0, i] = ua[seller[power_rows[i]]]
        ppa_acc[1, i] = ha[buyer[power_rows[i]]]
    fuel = np.zeros(n_r)
    for i in range(unit_fill.size):
        fuel[unit_util[i]] += unit_fill[i] * unit_price[i]
    by_region = np.empty((4, n_r))  # gen, fuel, non_ai_pay, power_now
    for r in range(n_r):
        by_region[0, r] = non_ai[r] + from_links[r] + from_ppa[r]
        by_region[1, r] = fuel[r] + ppa_cost[r]
        by_region[2, r] = price[r] * non_ai[r]
        by_region[3, r] = price[r] if np.isfinite(node_price[r]) else power_price[r]
    n = pf.size
    by_link = np.empty((2, n))  # spot, transmission
    link_acc = np.empty((2, n), np.int64)  # site_acc, util_acc
    recv = np.zeros(n_s)
    for i in range(n):
        p_pu = price[pu[i]]
        by_link[0, i] = p_pu * pf[i]
        by_link[1, i] = maximum(0.0, price[site0 + ps[i]] - p_pu) * pf[i]
        link_acc[0, i] = ha[ps[i] // n_r]
        link_acc[1, i] = ua[pu[i]]
        recv[ps[i]] += pf[i]
    charge = np.empty(n_s)
    for j in range(n_s):
        recv[j] = recv[j] + site_ppa[j]
        charge[j] = recv[j] * capacity_price[j % n_r] / 24.0
    site_recv = recv.reshape(n_s // n_r, n_r)
    return by_region, by_link, link_acc, site_recv, charge, ppa_acc


@compiled
def chip_flows(
    vf: FloatArray,
    v_src: IntArray,
    v_dst: IntArray,
    n_f: int,
    ask: FloatArray,
    price: FloatArray,
    vendor0: int,
    chipbuyer0: int,
    ha: IntArray,
    va: IntArray,
    seller: IntArray,
    buyer: IntArray,
    s_index: IntArray,
    s_delivered: FloatArray,
    s_payment: FloatArray,
    k0: int,
    chip_rows: IntArray,
    chip_delivered: FloatArray,
    cost: FloatArray,
    traits: IntArray,
    n_g: int,
    free: FloatArray,
    region_weight: FloatArray,
    fleet: FloatArray,
    want: FloatArray,
    chip_want: FloatArray,
    fill: FloatArray,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The chip market's arrays of :func:`agents.phases.settle.settle_markets`, and the
    chips bought installed into ``fleet`` (in place).

    Chip link ``i`` carries ``vf[i]`` from vendor ``v_src[i]`` to buying node ``v_dst[i]``
    (cloud ``v_dst[i] // n_f``, ``v_h`` below); the chip contracts' settlement is rows
    ``k0:`` of the settlement ``s_*`` (``ks_index = s_index[k0:]``, and so on). Vendor
    ``v``'s generation, owner and family are ``traits[3 v : 3 v + 3]`` (``gens``, ``owner``,
    ``family`` below). With ``k_v, k_h = seller[ks_index], buyer[ks_index]``,
    ``pv = ask[v_src]``, ``pb = price[chipbuyer0:][v_dst]`` and ``V`` vendors, returns, as
    numpy computes them, in few arrays (one row each):

    - ``link_int`` ``(3, n)``: ``buyer_acc``, ``ha[v_h]``; ``vendor_acc``, ``va[v_src]``;
      ``link_gen``, ``gens[v_src]``;
    - ``k_acc`` ``(2, contracts)``: ``va[k_v]``, ``ha[k_h]``;
    - ``by_link`` ``(4, n)``: ``spot_pay``, ``pv * vf``; ``margin_pay``, ``margin * vf``,
      where ``margin = np.maximum(0.0, pb - price[vendor0:][v_src])``; ``paid``,
      ``pv + margin``; ``pb``;
    - ``by_vendor`` ``(5, V)``: ``made``, ``np.bincount(v_src, vf, V) + np.bincount(k_v,
      ks_delivered, V)``; ``production``, ``made * cost``; ``short``, each vendor's unfilled
      orders, ``unfilled[owner, family]`` for a captive vendor, else
      ``unfilled[:, family].sum()``, where ``unfilled = np.maximum(0.0, want.ravel() -
      fill).reshape(H, n_f)``; ``orders``, ``chip_want[owner, family]`` for a captive
      vendor, else ``chip_want[:, family].sum()``; ``units``, ``np.add.at`` of
      ``chip_delivered`` at ``seller[chip_rows]``, then of ``vf`` at ``v_src``, into
      ``np.zeros(V)``;
    - ``bought``: ``np.add.at`` of ``vf`` at ``(v_h, gens[v_src])``, then of
      ``ks_delivered`` at ``(k_h, gens[k_v])``, into ``np.zeros((H, n_g))``;
    - ``chip_spend``: ``np.bincount(v_h, paid * vf, H) + np.bincount(k_h, ks_payment, H)``.

    ``fleet += split[:, :, None] * bought[:, None, :]``, where ``split`` is each cloud's
    free MW by region over their sum (``region_weight`` where the sum is not positive).
    """
    n_v, n_h, n_r = cost.size, free.shape[0], free.shape[1]
    gens, owner, family = traits[0::3], traits[1::3], traits[2::3]
    n_k = s_index.size - k0
    ks_delivered, ks_payment = s_delivered[k0:], s_payment[k0:]
    k_v, k_h = np.empty(n_k, np.int64), np.empty(n_k, np.int64)
    k_acc = np.empty((2, n_k), np.int64)
    for j in range(n_k):
        k_v[j] = seller[s_index[k0 + j]]
        k_h[j] = buyer[s_index[k0 + j]]
        k_acc[0, j], k_acc[1, j] = va[k_v[j]], ha[k_h[j]]
    n = vf.size
    by_link = np.empty((4, n))
    spot_pay, margin_pay, paid, pb = by_link[0], by_link[1], by_link[2], by_link[3]
    link_int = np.empty((3, n), np.int64)
    buyer_acc, vendor_acc, link_gen = link_int[0], link_int[1], link_int[2]
    spot_made = np.zeros(n_v)
    bought = np.zeros((n_h, n_g))
    spend_spot = np.zeros(n_h)
    for i in range(n):
        v, h = v_src[i], v_dst[i] // n_f
        pv = ask[v]
        buyer_acc[i], vendor_acc[i] = ha[h], va[v]
        pb[i] = price[chipbuyer0 + v_dst[i]]
        margin = maximum(0.0, pb[i] - price[vendor0 + v])
        spot_pay[i] = pv * vf[i]
        margin_pay[i] = margin * vf[i]
        paid[i] = pv + margin
        link_gen[i] = gens[v]
        spot_made[v] += vf[i]
        g = gens[v] if gens[v] >= 0 else gens[v] + n_g  # numpy's index from the end
        bought[h, g] += vf[i]
        spend_spot[h] += paid[i] * vf[i]
    k_made = np.zeros(n_v)
    spend_k = np.zeros(n_h)
    for j in range(n_k):
        k_made[k_v[j]] += ks_delivered[j]
        g = gens[k_v[j]] if gens[k_v[j]] >= 0 else gens[k_v[j]] + n_g
        bought[k_h[j], g] += ks_delivered[j]
        spend_k[k_h[j]] += ks_payment[j]
    by_vendor = np.empty((5, n_v))
    made, production, short, orders, units = (
        by_vendor[0],
        by_vendor[1],
        by_vendor[2],
        by_vendor[3],
        by_vendor[4],
    )
    for v in range(n_v):
        made[v] = spot_made[v] + k_made[v]
        production[v] = made[v] * cost[v]
    chip_spend = np.empty(n_h)
    for h in range(n_h):
        chip_spend[h] = spend_spot[h] + spend_k[h]
        total = add_reduce(free[h])
        for r in range(n_r):
            share = free[h, r] / total if total > 0 else region_weight[r]
            for k in range(n_g):
                fleet[h, r, k] = fleet[h, r, k] + share * bought[h, k]
    unfilled = np.empty((n_h, n_f))
    for h in range(n_h):
        for f in range(n_f):
            unfilled[h, f] = maximum(0.0, want[h, f] - fill[h * n_f + f])
    for v in range(n_v):
        if owner[v] >= 0:
            short[v] = unfilled[owner[v], family[v]]
            orders[v] = chip_want[owner[v], family[v]]
        else:
            short[v] = add_reduce(unfilled[:, family[v]].copy())
            orders[v] = add_reduce(chip_want[:, family[v]].copy())
    units[:] = 0.0
    for j in range(chip_rows.size):
        units[seller[chip_rows[j]]] += chip_delivered[j]
    for i in range(n):
        units[v_src[i]] += vf[i]
    return link_int, k_acc, by_link, by_vendor, bought, chip_spend


@compiled
def compute_flows(
    buyer: IntArray,
    seller: IntArray,
    rows: IntArray,
    payment: FloatArray,
    penalty: FloatArray,
    delivered: FloatArray,
    n_l: int,
    n_h: int,
    flow: FloatArray,
    s_factor: FloatArray,
    src: IntArray,
    lab: IntArray,
    dst: IntArray,
    price: FloatArray,
    seller0: int,
    primary: IntArray,
    egress_fee: FloatArray,
    la: IntArray,
    ha: IntArray,
) -> tuple[IntArray, tuple[FloatArray, FloatArray], FloatArray, FloatArray, FloatArray, IntArray]:
    """The compute contracts' and major labs' arrays of
    :func:`agents.phases.settle_compute.settle_compute`.

    Contract ``rows`` settled with ``payment``, ``penalty`` and ``delivered``; spot link
    ``i`` carries ``flow[i]`` from seller node ``src[i]`` (cloud ``h_src = src // (R x
    F)``, ``R x F = s_factor.size // n_h``) to lab ``lab[i]`` at node ``dst[i]``. With
    ``c_b, c_s = buyer[rows], seller[rows]``, ``c_net = payment - penalty``,
    ``p_src = price[seller0:][src]`` and ``fee = egress_fee[lab] * (h_src !=
    primary[lab])``, returns, as numpy computes them, in few arrays (one row each):

    - ``c_acc`` ``(2, contracts)``: ``c_lab``, ``la[c_b]``; ``c_cloud``, ``ha[c_s]``;
    - ``lab_cloud``, two ``(n_l, n_h)`` arrays, each its own (the history keeps
      ``spend`` for a year; a view of one stacked array would keep ``vol`` with it):
      ``spend``, ``np.add.at`` into ``np.zeros((n_l, n_h))`` of ``c_net`` at ``(c_b,
      c_s)``, then of ``to_h`` at ``(lab, h_src)``, then of ``to_primary`` at ``(lab,
      primary[lab])``; ``vol``, the same of ``delivered``, then of ``f_ok`` at ``(lab,
      h_src)``;
    - ``by_lab`` ``(2, n_l)``: ``recv``, ``np.bincount(c_b, delivered, n_l)``, then
      ``np.add.at`` of ``f_ok`` at ``lab``; ``lab_friction``, ``np.bincount(lab, friction,
      n_l)``;
    - ``by_cloud`` ``(2, n_h)``: ``sales``, ``np.bincount(c_s, c_net, n_h)``, then
      ``np.add.at`` of ``to_h`` at ``h_src`` and of ``to_primary`` at ``primary[lab]``;
      ``produced``, ``np.bincount(c_s, delivered, n_h) + np.bincount(h_src, f_ok, n_h)``;
    - ``by_link`` ``(5, n)``: ``f_ok``, ``flow * s_factor[src]``; ``p_src``; ``to_h``,
      ``p_src * f_ok``; ``to_primary``, ``fee * f_ok``; ``friction``,
      ``np.maximum(0.0, price[dst] - p_src - fee) * f_ok``;
    - ``link_acc`` ``(3, n)``: ``lab_acc``, ``la[lab]``; ``cloud_acc``, ``ha[h_src]``;
      ``primary_acc``, ``ha[primary[lab]]``.
    """
    n_rf = s_factor.size // n_h
    n_c = rows.size
    c_acc = np.empty((2, n_c), np.int64)
    spend, vol = np.zeros((n_l, n_h)), np.zeros((n_l, n_h))
    by_lab, by_cloud = np.zeros((2, n_l)), np.zeros((2, n_h))
    recv, lab_friction = by_lab[0], by_lab[1]
    sales, produced = by_cloud[0], by_cloud[1]
    c_made = np.zeros(n_h)
    for j in range(n_c):
        b, s = buyer[rows[j]], seller[rows[j]]
        c_acc[0, j], c_acc[1, j] = la[b], ha[s]
        c_net = payment[j] - penalty[j]
        spend[b, s] += c_net
        vol[b, s] += delivered[j]
        recv[b] += delivered[j]
        sales[s] += c_net
        c_made[s] += delivered[j]
    n = flow.size
    by_link = np.empty((5, n))
    f_ok, p_src, to_h, to_primary, friction = (
        by_link[0],
        by_link[1],
        by_link[2],
        by_link[3],
        by_link[4],
    )
    link_acc = np.empty((3, n), np.int64)
    lab_acc, cloud_acc, primary_acc = link_acc[0], link_acc[1], link_acc[2]
    h_src, pri = np.empty(n, np.int64), np.empty(n, np.int64)
    for i in range(n):
        k = lab[i]
        h_src[i], pri[i] = src[i] // n_rf, primary[k]
        f_ok[i] = flow[i] * s_factor[src[i]]
        p_src[i] = price[seller0 + src[i]]
        fee = egress_fee[k] * (1.0 if h_src[i] != pri[i] else 0.0)
        to_h[i] = p_src[i] * f_ok[i]
        to_primary[i] = fee * f_ok[i]
        friction[i] = maximum(0.0, price[dst[i]] - p_src[i] - fee) * f_ok[i]
        lab_acc[i], cloud_acc[i], primary_acc[i] = la[k], ha[h_src[i]], ha[pri[i]]
    # np.add.at calls one after the other, each over all links
    for i in range(n):
        spend[lab[i], h_src[i]] += to_h[i]
    for i in range(n):
        spend[lab[i], pri[i]] += to_primary[i]
    l_made = np.zeros(n_h)
    for i in range(n):
        vol[lab[i], h_src[i]] += f_ok[i]
        recv[lab[i]] += f_ok[i]
        sales[h_src[i]] += to_h[i]
        l_made[h_src[i]] += f_ok[i]
        lab_friction[lab[i]] += friction[i]
    for i in range(n):
        sales[pri[i]] += to_primary[i]
    for h in range(n_h):
        produced[h] = c_made[h] + l_made[h]
    return c_acc, (spend, vol), by_lab, by_cloud, by_link, link_acc


@compiled
def node_prices(
    c_ok: FloatArray,
    s_ok: FloatArray,
    mwh: FloatArray,
    site_recv: FloatArray,
    power_now: FloatArray,
    capacity: FloatArray,
    offered_qty: FloatArray,
    node_price: FloatArray,
    price: FloatArray,
    seller0: int,
    cost: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The nodes' month of :func:`agents.phases.settle_compute.settle_compute`.

    Seller nodes ``(H, R, F)`` (the shape of ``mwh``, ``capacity`` and ``cost``; the flat
    arrays in that order). With ``sold = (c_ok + s_ok).reshape(H, R, F)``,
    ``has = capacity > 0`` and ``offered = has & (offered_qty.reshape(H, R, F) > 0)``,
    returns, as numpy computes them, in few arrays (one row each):

    - ``by_node`` ``(2, H, R, F)``: ``sold``; ``node_price``, ``np.where(offered &
      np.isfinite(node_price[seller0:][:N]), price[seller0:][:N], cost)`` (``N = H x R x
      F``);
    - ``by_cloud`` ``(2, H)``: ``resale``, ``(np.maximum(0.0, site_recv - (sold *
      mwh).sum(axis=2)) * power_now[None, :]).sum(axis=1)``; ``site_total``,
      ``site_recv.sum(axis=1)``;
    - ``family``: :func:`agents.phases.settle_compute.family_price` of the new node prices
      and ``has``: ``np.where(has, node_price, np.inf).min(axis=(0, 1))``, nan where not
      finite (numpy's ``minimum`` down the nodes in C order, which keeps the later of two
      zeros of either sign, as numpy's reduction does);
    - ``seen``: the new node prices where ``offered & (capacity >= 1.0)``, in C order.
    """
    n_h, n_r, n_f = mwh.shape
    n = c_ok.size
    by_node = np.empty((2, n_h, n_r, n_f))
    sold, new_price = by_node[0], by_node[1]
    use = np.empty(n_f)
    resold = np.empty(n_r)
    by_cloud = np.empty((2, n_h))
    resale, site_total = by_cloud[0], by_cloud[1]
    family = np.empty(n_f)
    seen = np.empty(n)
    n_seen = 0
    j = 0
    for h in range(n_h):
        for r in range(n_r):
            for f in range(n_f):
                sold[h, r, f] = c_ok[j] + s_ok[j]
                use[f] = sold[h, r, f] * mwh[h, r, f]
                has = capacity[h, r, f] > 0
                offered = has and offered_qty[j] > 0
                if offered and np.isfinite(node_price[seller0 + j]):
                    new_price[h, r, f] = price[seller0 + j]
                else:
                    new_price[h, r, f] = cost[h, r, f]
                cheapest = new_price[h, r, f] if has else np.inf
                family[f] = cheapest if j < n_f else minimum(family[f], cheapest)
                if offered and capacity[h, r, f] >= 1.0:
                    seen[n_seen] = new_price[h, r, f]
                    n_seen += 1
                j += 1
            resold[r] = maximum(0.0, site_recv[h, r] - add_reduce(use)) * power_now[r]
        resale[h] = add_reduce(resold)
        site_total[h] = add_reduce(site_recv[h])
    for f in range(n_f):
        if not np.isfinite(family[f]):
            family[f] = np.nan
    return by_node, by_cloud, family, seen[:n_seen].copy()
