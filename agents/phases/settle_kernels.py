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
the callers, in their order.
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
    ppa_seller: IntArray,
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
) -> tuple[
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    IntArray,
    IntArray,
    FloatArray,
    FloatArray,
    FloatArray,
]:
    """The power market's arrays of :func:`agents.phases.settle.settle_markets`.

    ``R`` regions (``non_ai.size``) and ``H x R`` sites (``site_ppa.size``); power link
    ``i`` carries ``pf[i]`` from utility ``pu[i]`` to site ``ps[i]``. Returns, as numpy
    computes them:

    - ``gen``: ``non_ai + np.bincount(pu, pf, R) + np.bincount(ppa_seller, ppa_delivered, R)``;
    - ``fuel``: ``np.bincount(unit_util, unit_fill * unit_price, R) + ppa_cost``;
    - ``non_ai_pay``: ``price[:R] * non_ai``;
    - ``spot``: ``price[:R][pu] * pf``;
    - ``transmission``: ``np.maximum(0.0, price[site0:][ps] - price[:R][pu]) * pf``;
    - ``site_acc``, ``util_acc``: ``ha[ps // R]``, ``ua[pu]``;
    - ``site_recv``: ``(np.bincount(ps, pf, H x R) + site_ppa).reshape(H, R)``;
    - ``power_now``: ``np.where(np.isfinite(node_price[:R]), price[:R], power_price)``;
    - ``charge``: ``(site_recv * capacity_price[None, :] / 24.0).ravel()``.
    """
    n_r = non_ai.size
    n_s = site_ppa.size
    from_links = np.zeros(n_r)
    for i in range(pf.size):
        from_links[pu[i]] += pf[i]
    from_ppa = np.zeros(n_r)
    for i in range(ppa_delivered.size):
        from_ppa[ppa_seller[i]] += ppa_delivered[i]
    fuel = np.zeros(n_r)
    for i in range(unit_fill.size):
        fuel[unit_util[i]] += unit_fill[i] * unit_price[i]
    gen = np.empty(n_r)
    non_ai_pay = np.empty(n_r)
    power_now = np.empty(n_r)
    for r in range(n_r):
        gen[r] = non_ai[r] + from_links[r] + from_ppa[r]
        fuel[r] = fuel[r] + ppa_cost[r]
        non_ai_pay[r] = price[r] * non_ai[r]
        power_now[r] = price[r] if np.isfinite(node_price[r]) else power_price[r]
    n = pf.size
    spot, transmission = np.empty(n), np.empty(n)
    site_acc, util_acc = np.empty(n, np.int64), np.empty(n, np.int64)
    recv = np.zeros(n_s)
    for i in range(n):
        p_pu = price[pu[i]]
        spot[i] = p_pu * pf[i]
        transmission[i] = maximum(0.0, price[site0 + ps[i]] - p_pu) * pf[i]
        site_acc[i] = ha[ps[i] // n_r]
        util_acc[i] = ua[pu[i]]
        recv[ps[i]] += pf[i]
    charge = np.empty(n_s)
    for j in range(n_s):
        recv[j] = recv[j] + site_ppa[j]
        charge[j] = recv[j] * capacity_price[j % n_r] / 24.0
    site_recv = recv.reshape(n_s // n_r, n_r)
    return (
        gen,
        fuel,
        non_ai_pay,
        spot,
        transmission,
        site_acc,
        util_acc,
        site_recv,
        power_now,
        charge,
    )


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
    ks_index: IntArray,
    ks_delivered: FloatArray,
    ks_payment: FloatArray,
    chip_rows: IntArray,
    chip_delivered: FloatArray,
    cost: FloatArray,
    gens: IntArray,
    owner: IntArray,
    family: IntArray,
    n_g: int,
    free: FloatArray,
    region_weight: FloatArray,
    fleet: FloatArray,
    want: FloatArray,
    chip_want: FloatArray,
    fill: FloatArray,
) -> tuple[
    IntArray,
    IntArray,
    IntArray,
    IntArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    IntArray,
    FloatArray,
]:
    """The chip market's arrays of :func:`agents.phases.settle.settle_markets`, and the
    chips bought installed into ``fleet`` (in place).

    Chip link ``i`` carries ``vf[i]`` from vendor ``v_src[i]`` to buying node ``v_dst[i]``
    (cloud ``v_dst[i] // n_f``, ``v_h`` below); ``ks_*`` is the chip contracts'
    settlement. With ``k_v, k_h = seller[ks_index], buyer[ks_index]``,
    ``pv = ask[v_src]``, ``pb = price[chipbuyer0:][v_dst]`` and ``V`` vendors, returns, as
    numpy computes them:

    - ``buyer_acc``, ``vendor_acc``: ``ha[v_h]``, ``va[v_src]``; ``k_v``, ``k_h``;
    - ``spot_pay``: ``pv * vf``; ``margin_pay``: ``margin * vf``, where
      ``margin = np.maximum(0.0, pb - price[vendor0:][v_src])``;
    - ``made``: ``np.bincount(v_src, vf, V) + np.bincount(k_v, ks_delivered, V)``;
    - ``production``: ``made * cost``;
    - ``bought``: ``np.add.at`` of ``vf`` at ``(v_h, gens[v_src])``, then of
      ``ks_delivered`` at ``(k_h, gens[k_v])``, into ``np.zeros((H, n_g))``;
    - ``short``: each vendor's unfilled orders, ``unfilled[owner, family]`` for a captive
      vendor, else ``unfilled[:, family].sum()``, where
      ``unfilled = np.maximum(0.0, want.ravel() - fill).reshape(H, n_f)``;
    - ``orders``: ``chip_want[owner, family]`` for a captive vendor, else
      ``chip_want[:, family].sum()``;
    - ``units``: ``np.add.at`` of ``chip_delivered`` at ``seller[chip_rows]``, then of ``vf``
      at ``v_src``, into ``np.zeros(V)``;
    - ``paid``: ``pv + margin``; ``pb``; ``link_gen``: ``gens[v_src]``;
    - ``chip_spend``: ``np.bincount(v_h, paid * vf, H) + np.bincount(k_h, ks_payment, H)``.

    ``fleet += split[:, :, None] * bought[:, None, :]``, where ``split`` is each cloud's
    free MW by region over their sum (``region_weight`` where the sum is not positive).
    """
    n_v, n_h, n_r = cost.size, free.shape[0], free.shape[1]
    n_k = ks_index.size
    k_v, k_h = np.empty(n_k, np.int64), np.empty(n_k, np.int64)
    for j in range(n_k):
        k_v[j] = seller[ks_index[j]]
        k_h[j] = buyer[ks_index[j]]
    n = vf.size
    spot_pay, margin_pay = np.empty(n), np.empty(n)
    paid, pb, link_gen = np.empty(n), np.empty(n), np.empty(n, np.int64)
    buyer_acc, vendor_acc = np.empty(n, np.int64), np.empty(n, np.int64)
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
    made, production = np.empty(n_v), np.empty(n_v)
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
    short, orders = np.empty(n_v), np.empty(n_v)
    for v in range(n_v):
        if owner[v] >= 0:
            short[v] = unfilled[owner[v], family[v]]
            orders[v] = chip_want[owner[v], family[v]]
        else:
            short[v] = add_reduce(unfilled[:, family[v]].copy())
            orders[v] = add_reduce(chip_want[:, family[v]].copy())
    units = np.zeros(n_v)
    for j in range(chip_rows.size):
        units[seller[chip_rows[j]]] += chip_delivered[j]
    for i in range(n):
        units[v_src[i]] += vf[i]
    return (
        buyer_acc,
        vendor_acc,
        k_v,
        k_h,
        spot_pay,
        margin_pay,
        made,
        production,
        bought,
        short,
        orders,
        units,
        paid,
        pb,
        link_gen,
        chip_spend,
    )


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
) -> tuple[
    IntArray,
    IntArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    IntArray,
    IntArray,
    IntArray,
    FloatArray,
    FloatArray,
]:
    """The compute contracts' and major labs' arrays of
    :func:`agents.phases.settle_compute.settle_compute`.

    Contract ``rows`` settled with ``payment``, ``penalty`` and ``delivered``; spot link
    ``i`` carries ``flow[i]`` from seller node ``src[i]`` (cloud ``h_src = src // (R x
    F)``, ``R x F = s_factor.size // n_h``) to lab ``lab[i]`` at node ``dst[i]``. With
    ``c_b, c_s = buyer[rows], seller[rows]``, ``c_net = payment - penalty``,
    ``p_src = price[seller0:][src]`` and ``fee = egress_fee[lab] * (h_src !=
    primary[lab])``, returns, as numpy computes them:

    - ``c_lab``, ``c_cloud``: ``la[c_b]``, ``ha[c_s]``;
    - ``spend``: ``np.add.at`` into ``np.zeros((n_l, n_h))`` of ``c_net`` at ``(c_b, c_s)``,
      then of ``to_h`` at ``(lab, h_src)``, then of ``to_primary`` at
      ``(lab, primary[lab])``;
    - ``vol``: the same of ``delivered``, then of ``f_ok`` at ``(lab, h_src)``;
    - ``recv``: ``np.bincount(c_b, delivered, n_l)``, then ``np.add.at`` of ``f_ok`` at
      ``lab``;
    - ``sales``: ``np.bincount(c_s, c_net, n_h)``, then ``np.add.at`` of ``to_h`` at
      ``h_src`` and of ``to_primary`` at ``primary[lab]``;
    - ``f_ok``: ``flow * s_factor[src]``; ``p_src``; ``to_h``: ``p_src * f_ok``;
      ``to_primary``: ``fee * f_ok``;
    - ``friction``: ``np.maximum(0.0, price[dst] - p_src - fee) * f_ok``;
    - ``lab_acc``, ``cloud_acc``, ``primary_acc``: ``la[lab]``, ``ha[h_src]``,
      ``ha[primary[lab]]``;
    - ``produced``: ``np.bincount(c_s, delivered, n_h) + np.bincount(h_src, f_ok, n_h)``;
    - ``lab_friction``: ``np.bincount(lab, friction, n_l)``.
    """
    n_rf = s_factor.size // n_h
    n_c = rows.size
    c_lab, c_cloud = np.empty(n_c, np.int64), np.empty(n_c, np.int64)
    spend, vol = np.zeros((n_l, n_h)), np.zeros((n_l, n_h))
    recv, sales, c_made = np.zeros(n_l), np.zeros(n_h), np.zeros(n_h)
    for j in range(n_c):
        b, s = buyer[rows[j]], seller[rows[j]]
        c_lab[j], c_cloud[j] = la[b], ha[s]
        c_net = payment[j] - penalty[j]
        spend[b, s] += c_net
        vol[b, s] += delivered[j]
        recv[b] += delivered[j]
        sales[s] += c_net
        c_made[s] += delivered[j]
    n = flow.size
    f_ok, p_src, to_h, to_primary = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    friction = np.empty(n)
    lab_acc, cloud_acc, primary_acc = (
        np.empty(n, np.int64),
        np.empty(n, np.int64),
        np.empty(n, np.int64),
    )
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
    l_made, lab_friction = np.zeros(n_h), np.zeros(n_l)
    for i in range(n):
        vol[lab[i], h_src[i]] += f_ok[i]
        recv[lab[i]] += f_ok[i]
        sales[h_src[i]] += to_h[i]
        l_made[h_src[i]] += f_ok[i]
        lab_friction[lab[i]] += friction[i]
    for i in range(n):
        sales[pri[i]] += to_primary[i]
    produced = np.empty(n_h)
    for h in range(n_h):
        produced[h] = c_made[h] + l_made[h]
    return (
        c_lab,
        c_cloud,
        spend,
        vol,
        recv,
        sales,
        f_ok,
        p_src,
        to_h,
        to_primary,
        friction,
        lab_acc,
        cloud_acc,
        primary_acc,
        produced,
        lab_friction,
    )


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
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The nodes' month of :func:`agents.phases.settle_compute.settle_compute`.

    Seller nodes ``(H, R, F)`` (the shape of ``mwh``, ``capacity`` and ``cost``; the flat
    arrays in that order). With ``sold = (c_ok + s_ok).reshape(H, R, F)``,
    ``has = capacity > 0`` and ``offered = has & (offered_qty.reshape(H, R, F) > 0)``,
    returns, as numpy computes them:

    - ``sold``;
    - ``resale``: ``(np.maximum(0.0, site_recv - (sold * mwh).sum(axis=2)) *
      power_now[None, :]).sum(axis=1)``;
    - ``site_total``: ``site_recv.sum(axis=1)``;
    - ``node_price``: ``np.where(offered & np.isfinite(node_price[seller0:][:N]),
      price[seller0:][:N], cost)`` (``N = H x R x F``);
    - ``family``: :func:`agents.phases.settle_compute.family_price` of the new node prices
      and ``has``: ``np.where(has, node_price, np.inf).min(axis=(0, 1))``, nan where not
      finite (numpy's ``minimum`` down the nodes in C order, which keeps the later of two
      zeros of either sign, as numpy's reduction does);
    - ``seen``: the new node prices where ``offered & (capacity >= 1.0)``, in C order.
    """
    n_h, n_r, n_f = mwh.shape
    n = c_ok.size
    sold = np.empty((n_h, n_r, n_f))
    use = np.empty(n_f)
    resold = np.empty(n_r)
    resale, site_total = np.empty(n_h), np.empty(n_h)
    new_price = np.empty((n_h, n_r, n_f))
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
    return sold, resale, site_total, new_price, family, seen[:n_seen].copy()
