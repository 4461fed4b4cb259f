"""The ``settle`` phase: deliveries and payments of a cleared month, all vectorized.

Each spot buyer pays its node price, each seller receives its node price, and the
difference on a link (transmission, latency, porting friction) goes to the outside
world, except the egress fee, which the selling cloud keeps. Compute is physical: a
site that got less power than it bid for delivers less, contracts first, then spot,
pro rata; a contract delivered short pays its penalty. Then labs earn revenue on the
inference they served (throttled demand earns nothing), pay opex, gain capability from
training (log-scaling), and exit when their cash runs out, which ends their contracts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.lab import KIND_ENTERPRISE, KIND_MAJOR
from market.contracts import Settlement

if TYPE_CHECKING:
    from agents.model import GigawattModel

__all__ = ["settle_month"]


def settle_month(m: GigawattModel) -> None:
    """Deliver goods and book every payment of the month (see module docstring)."""
    res, lay, g, t = m.result, m.layout, m.gross, m.month
    price = np.nan_to_num(res.node_price, nan=0.0)
    price = np.maximum(price, 0.0)
    sz = m.book_sizes
    o, b, lk = res.offer_fill, res.bid_fill, res.link_flow
    R, H, F = m.n_r, m.n_h, m.n_f
    n_u, n_v, n_s = sz["units"], sz["vendors"], sz["sellers"]
    n_p, n_vl, n_cl = sz["p_links"], sz["v_links"], sz["c_links"]
    L = m.links
    ua, ha, va = m.ut_accounts, m.hs_accounts, m.vd_accounts
    # ---------------------------------------------------------------- power
    unit_fill = o[:n_u]
    gen = np.bincount(g.unit_util, unit_fill, minlength=R) + np.bincount(
        m.contracts.seller[m.p_rows], m.p_deliver, minlength=R
    )
    m.post(m.power, 0, ua, gen, "generation")
    fuel = np.bincount(g.unit_util, unit_fill * g.unit_price, minlength=R) + m.ppa_cost
    m.post_usd(ua, 0, fuel, "fuel")
    non_ai = b[:R]
    p_util = price[:R]
    m.post_usd(0, ua, p_util * non_ai, "power_non_ai")
    m.post(m.power, ua, 0, non_ai, "non_ai_load")
    pf = lk[:n_p]
    site_h = L["p_site"] // R
    p_site = price[lay.site0 + L["p_site"]]
    m.post_usd(ha[site_h], ua[L["p_u"]], p_util[L["p_u"]] * pf, "power_spot")
    m.post_usd(ha[site_h], 0, np.maximum(0.0, p_site - p_util[L["p_u"]]) * pf, "transmission")
    m.post(m.power, ua[L["p_u"]], ha[site_h], pf, "power_spot")
    ps = _settle(m, m.p_rows, m.p_deliver)
    m.post_usd(
        ha[m.contracts.buyer[ps.index]], ua[m.contracts.seller[ps.index]], ps.payment, "power_ppa"
    )
    m.post_usd(
        ua[m.contracts.seller[ps.index]], ha[m.contracts.buyer[ps.index]], ps.penalty, "penalty"
    )
    m.post(
        m.power,
        ua[m.contracts.seller[ps.index]],
        ha[m.contracts.buyer[ps.index]],
        ps.delivered,
        "power_ppa",
    )
    site_recv = (b[R : R + H * R] + m.site_ppa).reshape(H, R)
    m.power_bought = site_recv
    m.power_price_now = np.where(np.isfinite(res.node_price[:R]), p_util, m.power_price_last)
    # ---------------------------------------------------------------- chips
    vo = o[n_u : n_u + n_v]
    vf = lk[n_p : n_p + n_vl]
    v_src, v_dst = L["v_src"], L["v_dst"]
    v_h = v_dst // F
    pv = price[lay.vendor0 + v_src]
    pb = price[lay.chipbuyer0 + v_dst]
    m.post_usd(ha[v_h], va[v_src], pv * vf, "chips_spot")
    m.post_usd(ha[v_h], 0, np.maximum(0.0, pb - pv) * vf, "chips_margin")
    ks = _settle(m, m.k_rows, m.k_deliver)
    k_v, k_h = m.contracts.seller[ks.index], m.contracts.buyer[ks.index]
    m.post_usd(ha[k_h], va[k_v], ks.payment, "chips_contract")
    m.post_usd(va[k_v], ha[k_h], ks.penalty, "penalty")
    made = vo + np.bincount(k_v, ks.delivered, minlength=n_v)
    m.post(m.chips, 0, va, made, "production")
    cost = np.array([v.unit_cost() for v in m.vendors])
    m.post_usd(va, 0, made * cost, "chip_production")
    m.post(m.chips, va[v_src], ha[v_h], vf, "chips_spot")
    m.post(m.chips, va[k_v], ha[k_h], ks.delivered, "chips_contract")
    gens = np.array([v.generation for v in m.vendors])
    bought = np.zeros((H, len(m.gen_names)))
    np.add.at(bought, (v_h, gens[v_src]), vf)
    np.add.at(bought, (k_h, gens[k_v]), ks.delivered)
    free = m.free_mw
    split = np.divide(
        free,
        free.sum(axis=1, keepdims=True),
        out=np.tile(m.region_weight, (H, 1)),
        where=free.sum(axis=1, keepdims=True) > 0,
    )
    m.fleet += split[:, :, None] * bought[:, None, :]
    m.chips_bought = bought
    want = m.chip_want
    unfilled = np.maximum(0.0, want.ravel() - b[R + H * R : R + H * R + H * F]).reshape(H, F)
    for v in m.vendors:
        short = unfilled[v.owner, v.family] if v.owner >= 0 else unfilled[:, v.family].sum()
        v.backlog = float(short / v.capacity) if v.capacity > 0 else 0.0
    m.chip_price_paid = (pb, vf, gens[v_src])
    # ---------------------------------------------------------------- compute
    _settle_compute(
        m,
        price,
        site_recv,
        o[n_u + n_v : n_u + n_v + n_s],
        lk[n_p + n_vl : n_p + n_vl + n_cl],
        b,
    )
    # ---------------------------------------------------------------- hyperscalers
    m.post_usd(0, ha, [h.other_cash_flow for h in m.hyperscalers], "other_business")
    m.power_price_last = m.power_price_now
    for u in m.utilities:
        u.price_history.append(float(m.power_price_now[u.region]))
    m.last_settlement = Settlement(
        np.concatenate([m.c_settle.index, ps.index, ks.index]),
        np.concatenate([m.c_settle.delivered, ps.delivered, ks.delivered]),
        np.concatenate([m.c_settle.payment, ps.payment, ks.payment]),
        np.concatenate([m.c_settle.penalty, ps.penalty, ks.penalty]),
    )
    _labs_after(m, t)


def _settle(m: GigawattModel, rows: np.ndarray, delivered: np.ndarray) -> Settlement:
    return m.contracts.settle(rows, np.minimum(delivered, m.contracts.volume[rows]))


def _settle_compute(
    m: GigawattModel,
    price: np.ndarray,
    site_recv: np.ndarray,
    spot_sold: np.ndarray,
    c_flow: np.ndarray,
    bid_fill: np.ndarray,
) -> None:
    lay, g, a, L = m.layout, m.gross, m.labs, m.links
    H, R, F = m.n_h, m.n_r, m.n_f
    ha = m.hs_accounts
    cap = g.compute_qty.ravel()
    mwh = m.node_mwh.ravel()
    need_n = (g.site_use * m.node_mwh).reshape(H * R, F)
    need_site = need_n.sum(axis=1, keepdims=True)
    recv_n = (
        site_recv.reshape(H * R, 1)
        * np.divide(need_n, need_site, out=np.zeros_like(need_n), where=need_site > 0)
    ).ravel()
    deliverable = np.minimum(cap, np.divide(recv_n, mwh, out=np.zeros_like(recv_n), where=mwh > 0))
    c_node = m.c_alloc.sum(axis=0)
    c_ok = np.minimum(c_node, deliverable)
    c_factor = np.divide(c_ok, c_node, out=np.ones_like(c_node), where=c_node > 0)
    s_ok = np.minimum(spot_sold, np.maximum(0.0, deliverable - c_ok))
    s_factor = np.divide(s_ok, spot_sold, out=np.ones_like(s_ok), where=spot_sold > 0)
    rows = m.c_rows
    delivered = (m.c_alloc * c_factor[None, :]).sum(axis=1)
    cs = _settle(m, rows, delivered)
    m.c_settle = cs
    buyer, seller = m.contracts.buyer[rows], m.contracts.seller[rows]
    la = a.account
    m.post_usd(la[buyer], ha[seller], cs.payment, "compute_contract")
    m.post_usd(ha[seller], la[buyer], cs.penalty, "penalty")
    spend = np.zeros((a.n, H))
    vol = np.zeros((a.n, H))
    np.add.at(spend, (buyer, seller), cs.payment - cs.penalty)
    np.add.at(vol, (buyer, seller), cs.delivered)
    recv = np.bincount(buyer, cs.delivered, minlength=a.n)
    sales = np.bincount(seller, cs.payment - cs.penalty, minlength=H)
    # major labs' spot purchases
    src, lab = L["c_src"], L["c_lab"]
    f_ok = c_flow * s_factor[src]
    h_src = src // (R * F)
    p_src = price[lay.seller0 + src]
    p_dst = price[lay.lab0 + lab]
    fee = m.egress_fee * (h_src != a.primary[lab])
    to_h = (p_src + fee) * f_ok
    m.post_usd(la[lab], ha[h_src], to_h, "compute_spot")
    m.post_usd(la[lab], 0, np.maximum(0.0, p_dst - p_src - fee) * f_ok, "compute_friction")
    np.add.at(spend, (lab, h_src), to_h)
    np.add.at(vol, (lab, h_src), f_ok)
    np.add.at(recv, lab, f_ok)
    np.add.at(sales, h_src, to_h)
    m.post(m.compute, ha[h_src], la[lab], f_ok, "compute_spot")
    # pooled small buyers
    pools = L["pools"]
    rest = np.flatnonzero(a.kind != KIND_MAJOR)
    if rest.size and pools.size:
        k = pools.size
        nb = bid_fill.size
        fill_inf = bid_fill[nb - 2 * k : nb - k]
        fill_trn = bid_fill[nb - k :]
        pool_inf = np.bincount(g.small_node, m.bid_inf[rest], minlength=lay.n_sellers)[pools]
        pool_trn = np.bincount(g.small_node, m.bid_trn[rest], minlength=lay.n_sellers)[pools]
        r_inf = np.zeros(lay.n_sellers)
        r_trn = np.zeros(lay.n_sellers)
        r_inf[pools] = (
            np.divide(fill_inf, pool_inf, out=np.zeros(k), where=pool_inf > 0) * s_factor[pools]
        )
        r_trn[pools] = (
            np.divide(fill_trn, pool_trn, out=np.zeros(k), where=pool_trn > 0) * s_factor[pools]
        )
        node = g.small_node
        got = m.bid_inf[rest] * r_inf[node] + m.bid_trn[rest] * r_trn[node]
        pay = got * price[lay.seller0 + node]
        hb = node // (R * F)
        m.post_usd(la[rest], ha[hb], pay, "compute_spot")
        np.add.at(spend, (rest, hb), pay)
        np.add.at(vol, (rest, hb), got)
        recv[rest] += got
        np.add.at(sales, hb, pay)
        m.post(m.compute, ha[hb], la[rest], got, "compute_spot")
    produced = (c_ok + s_ok).reshape(H, R * F).sum(axis=1)
    m.post(m.compute, 0, ha, produced, "production")
    m.post(m.compute, ha[seller], la[buyer], cs.delivered, "compute_contract")
    m.post(m.compute, la, 0, recv, "consumed")
    sold = (c_ok + s_ok).reshape(H, R, F)
    m.node_sold = sold
    m.compute_delivered = float(sold.sum())
    # power actually used vs bought: the rest is sold back to the grid at the spot price
    used = (sold * m.node_mwh).sum(axis=2)
    resold = np.maximum(0.0, m.power_bought - used)
    m.post_usd(0, ha, (resold * m.power_price_now[None, :]).sum(axis=1), "power_resale")
    m.post(m.power, ha, 0, m.power_bought.sum(axis=1), "power_used_or_resold")
    m.power_used = used
    # prices seen at seller nodes (for next month's choices and porting)
    p_nodes = price[lay.seller0 : lay.seller0 + lay.n_sellers].reshape(H, R, F)
    has = m.node_capacity > 0
    m.node_price_last = np.where(
        has & np.isfinite(m.result.node_price[lay.seller0 : lay.lab0].reshape(H, R, F)),
        p_nodes,
        m.node_cost,
    )
    seen = m.node_price_last[has]
    if seen.size:
        m.expected_compute_price = 0.8 * m.expected_compute_price + 0.2 * float(np.median(seen))
    fam_p = np.where(has, m.node_price_last, np.inf).min(axis=(0, 1))
    m.family_price = np.where(np.isfinite(fam_p), fam_p, np.nan)
    m.spot_trade = (
        p_src,
        f_ok,
        price[lay.seller0 + g.small_node] if rest.size else np.zeros(0),
        (m.bid_inf[rest] * 0.0) if not (rest.size and pools.size) else got,
    )
    m.month_spend, m.month_recv, m.month_sales, m.month_vol = spend, recv, sales, vol
    m.c_ok, m.s_ok = c_ok, s_ok


def _labs_after(m: GigawattModel, t: int) -> None:
    a, cfg = m.labs, m.config
    la = a.account
    spend, recv = m.month_spend, m.month_recv
    served = np.minimum(a.inference_need, recv)
    a.served[:] = np.where(a.active, served, 0.0)
    a.received[:] = recv
    training = np.where(a.active, recv - served, 0.0)
    revenue = np.where(
        a.inference_need > 0,
        a.demand_usd
        * np.divide(served, a.inference_need, out=np.zeros(a.n), where=a.inference_need > 0),
        0.0,
    )
    revenue = np.where(a.active, revenue, 0.0)
    m.post_usd(0, la, revenue, "ai_revenue")
    opex = np.where(a.active, a.opex + a.opex_share * revenue, 0.0)
    m.post_usd(la, 0, opex, "lab_opex")
    a.revenue[:] = revenue
    a.spend[:] = spend.sum(axis=1)
    a.net_flow[:] = revenue - a.spend - opex
    # trailing burn, an exponential average (a one-month burn would feed back on spending)
    a.burn[:] = 0.7 * a.burn + 0.3 * np.maximum(0.0, -a.net_flow)
    if t == 0:
        m.training_ref = np.maximum(1.0, 12.0 * np.maximum(training, a.training_need))
    a.cum_training += training
    a.capability[:] = a.capability0 + cfg.demand.scaling_exponent * np.log1p(
        a.cum_training / m.training_ref
    )
    m.lab_spend_cum += spend
    m.lab_spend_hist[t % 12] = spend
    m.hs_revenue_hist[t % 12] = m.month_sales
    m.flush()
    cash = m.usd.balances[la]
    out = a.active & (cash < 0) & (a.kind != KIND_ENTERPRISE)
    if out.any():
        idx = np.flatnonzero(out)
        a.active[idx] = False
        a.exit_month[idx] = t
        a.exclusive_with[idx] = -1
        ct = m.contracts
        ended = np.flatnonzero(np.isin(ct.buyer, idx) & (ct.kind == 0) & (ct.end > t))
        ct.terminate(ended, t + 1)
    # exclusivity from active exclusive compute contracts
    ct = m.contracts
    act = ct.active(t + 1, "compute")
    a.exclusive_with[:] = -1
    ex = act[ct.exclusive[act]]
    a.exclusive_with[ct.buyer[ex]] = ct.seller[ex]
