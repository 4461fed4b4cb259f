"""The settle phase's compiled arithmetic against the numpy expressions it replaces, to the
bit, on random inputs with zeros of either sign, ties and sums long enough for numpy's
pairwise summation to matter."""

from __future__ import annotations

import numpy as np
import pytest

from agents.phases.settle import _spot_price
from agents.phases.settle_compute import family_price
from agents.phases.settle_kernels import chip_flows, compute_flows, node_prices, power_flows

SEEDS = range(10)

# an infinite node price is paid as the largest float, and a payment at it overflows
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


def _same(got: object, want: object) -> None:
    """Equal arrays to the bit (dtype, shape, every value and the sign of every zero)."""
    a, b = np.asarray(got), np.asarray(want)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def _amounts(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Positive amounts over several orders of magnitude, some zeros of either sign."""
    x = rng.lognormal(0.0, 3.0, shape)
    x[rng.random(shape) < 0.15] = 0.0
    x[rng.random(shape) < 0.1] = -0.0
    return x


def _prices(rng: np.random.Generator, n: int) -> np.ndarray:
    """Node prices as the clearing gives them: some tied, zero, negative, nan or infinite."""
    p = rng.choice([0.0, -0.0, 1.5, 3.0, -2.0, np.nan, np.inf], n)
    mixed = rng.random(n) < 0.5
    p[mixed] = rng.lognormal(0.0, 2.0, int(mixed.sum()))
    return p


@pytest.mark.parametrize("seed", SEEDS)
def test_power_flows_are_numpys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_h, n_r = int(rng.integers(1, 4)), int(rng.integers(1, 11))
    n_s, n_links, n_units = n_h * n_r, int(rng.integers(0, 40)), int(rng.integers(0, 60))
    n_nodes = n_r + n_s + 5
    non_ai, pf = _amounts(rng, n_r), _amounts(rng, n_links)
    pu, ps = rng.integers(0, n_r, n_links), rng.integers(0, n_s, n_links)
    seller, buyer = rng.integers(0, n_r, 8), rng.integers(0, n_h, 8)
    power_rows = rng.choice(8, 3, replace=False)
    ppa_seller = seller[power_rows]
    ppa_delivered = _amounts(rng, 3)
    unit_util = rng.integers(0, n_r, n_units)
    unit_fill, unit_price = _amounts(rng, n_units), _amounts(rng, n_units)
    ppa_cost, site_ppa = _amounts(rng, n_r), _amounts(rng, n_s)
    node_price = _prices(rng, n_nodes)
    price = _spot_price(node_price)
    ua, ha = rng.permutation(n_r) + 10, rng.permutation(n_h) + 20
    power_price, capacity_price = _amounts(rng, n_r), _amounts(rng, n_r)
    got = power_flows(
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
        n_r,
        ua,
        ha,
        node_price,
        power_price,
        capacity_price,
    )
    by_region, by_link, link_acc, site_recv_got, charge, ppa_acc = got
    got = (
        by_region[0],
        by_region[1],
        by_region[2],
        by_link[0],
        by_link[1],
        link_acc[0],
        link_acc[1],
        site_recv_got,
        by_region[3],
        charge,
        ppa_acc[0],
        ppa_acc[1],
    )
    p_util = price[:n_r]
    site_recv = (np.bincount(ps, pf, minlength=n_s) + site_ppa).reshape(n_h, n_r)
    want = (
        non_ai
        + np.bincount(pu, pf, minlength=n_r)
        + np.bincount(ppa_seller, ppa_delivered, minlength=n_r),
        np.bincount(unit_util, unit_fill * unit_price, minlength=n_r) + ppa_cost,
        p_util * non_ai,
        p_util[pu] * pf,
        np.maximum(0.0, price[n_r:][ps] - p_util[pu]) * pf,
        ha[ps // n_r],
        ua[pu],
        site_recv,
        np.where(np.isfinite(node_price[:n_r]), p_util, power_price),
        (site_recv * capacity_price[None, :] / 24.0).ravel(),
        ua[ppa_seller],
        ha[buyer[power_rows]],
    )
    for g, w in zip(got, want, strict=True):
        _same(g, w)


@pytest.mark.parametrize("seed", SEEDS)
def test_chip_flows_are_numpys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_h, n_r, n_f = int(rng.integers(1, 10)), int(rng.integers(1, 11)), int(rng.integers(1, 4))
    n_v, n_g, n_links = int(rng.integers(1, 5)), 6, int(rng.integers(0, 30))
    n_ct, n_k = 8, int(rng.integers(0, 4))
    vendor0, chipbuyer0 = 3, 3 + n_v
    price = _spot_price(_prices(rng, chipbuyer0 + n_h * n_f))
    vf = _amounts(rng, n_links)
    v_src, v_dst = rng.integers(0, n_v, n_links), rng.integers(0, n_h * n_f, n_links)
    ask = _amounts(rng, n_v)
    ha, va = rng.permutation(n_h) + 10, rng.permutation(n_v) + 30
    seller, buyer = rng.integers(0, n_v, n_ct), rng.integers(0, n_h, n_ct)
    ks_index = rng.choice(n_ct, n_k, replace=False)
    ks_delivered, ks_payment = _amounts(rng, n_k), _amounts(rng, n_k)
    k0 = int(rng.integers(0, 4))  # the settlement's rows before the chip contracts'
    s_index = np.concatenate((rng.integers(0, n_ct, k0), ks_index))
    s_delivered = np.concatenate((_amounts(rng, k0), ks_delivered))
    s_payment = np.concatenate((_amounts(rng, k0), ks_payment))
    chip_rows = ks_index.copy()
    chip_delivered = _amounts(rng, n_k)
    cost = _amounts(rng, n_v)
    gens = rng.integers(-1, n_g, n_v)
    owner = rng.integers(-1, n_h, n_v)
    family = rng.integers(0, n_f, n_v)
    free = _amounts(rng, n_h, n_r)
    free[0] = 0.0  # a cloud with no free MW: the region weights
    region_weight = _amounts(rng, n_r)
    fleet = _amounts(rng, n_h, n_r, n_g)
    chip_want = _amounts(rng, n_h, n_f)
    want = chip_want - _amounts(rng, n_h, n_f)
    fill = _amounts(rng, n_h * n_f)
    fleet_got = fleet.copy()
    got = chip_flows(
        vf,
        v_src,
        v_dst,
        n_f,
        ask,
        price,
        vendor0,
        chipbuyer0,
        ha,
        va,
        seller,
        buyer,
        s_index,
        s_delivered,
        s_payment,
        k0,
        chip_rows,
        chip_delivered,
        cost,
        np.stack((gens, owner, family), axis=1).ravel(),
        n_g,
        free,
        region_weight,
        fleet_got,
        want,
        chip_want,
        fill,
    )
    link_int, k_acc, by_link, by_vendor, bought_got, chip_spend = got
    got = (
        link_int[0],
        link_int[1],
        k_acc[0],
        k_acc[1],
        by_link[0],
        by_link[1],
        by_vendor[0],
        by_vendor[1],
        bought_got,
        by_vendor[2],
        by_vendor[3],
        by_vendor[4],
        by_link[2],
        by_link[3],
        link_int[2],
        chip_spend,
    )
    # the numpy of settle_markets
    v_h = v_dst // n_f
    k_v, k_h = seller[ks_index], buyer[ks_index]
    pv, pb = ask[v_src], price[chipbuyer0:][v_dst]
    margin = np.maximum(0.0, pb - price[vendor0:][v_src])
    made = np.bincount(v_src, vf, minlength=n_v) + np.bincount(k_v, ks_delivered, minlength=n_v)
    bought = np.zeros((n_h, n_g))
    np.add.at(bought, (v_h, gens[v_src]), vf)
    np.add.at(bought, (k_h, gens[k_v]), ks_delivered)
    free_tot = free.sum(axis=1, keepdims=True)
    split = np.divide(
        free, free_tot, out=region_weight[None, :].repeat(n_h, axis=0), where=free_tot > 0
    )
    fleet += split[:, :, None] * bought[:, None, :]
    unfilled = np.maximum(0.0, want.ravel() - fill).reshape(n_h, n_f)
    short = [
        unfilled[o, f] if o >= 0 else unfilled[:, f].sum()
        for o, f in zip(owner, family, strict=True)
    ]
    orders = [
        chip_want[o, f] if o >= 0 else chip_want[:, f].sum()
        for o, f in zip(owner, family, strict=True)
    ]
    units = np.zeros(n_v)
    np.add.at(units, seller[chip_rows], chip_delivered)
    np.add.at(units, v_src, vf)
    paid = pv + margin
    want_all = (
        ha[v_h],
        va[v_src],
        va[k_v],
        ha[k_h],
        pv * vf,
        margin * vf,
        made,
        made * cost,
        bought,
        np.array(short, dtype=float),
        np.array(orders, dtype=float),
        units,
        paid,
        pb,
        gens[v_src],
        np.bincount(v_h, paid * vf, minlength=n_h) + np.bincount(k_h, ks_payment, minlength=n_h),
    )
    for g, w in zip(got, want_all, strict=True):
        _same(g, w)
    _same(fleet_got, fleet)


@pytest.mark.parametrize("seed", SEEDS)
def test_compute_flows_are_numpys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_l, n_h, n_rf = int(rng.integers(1, 9)), int(rng.integers(1, 5)), int(rng.integers(1, 13))
    n_ct, n_links = 10, int(rng.integers(0, 120))
    seller0 = 7
    n_nodes = seller0 + n_h * n_rf + n_l
    price = _spot_price(_prices(rng, n_nodes))
    buyer, seller = rng.integers(0, n_l, n_ct), rng.integers(0, n_h, n_ct)
    rows = rng.choice(n_ct, int(rng.integers(0, n_ct)), replace=False)
    payment, penalty, delivered = (_amounts(rng, rows.size) for _ in range(3))
    flow, s_factor = _amounts(rng, n_links), _amounts(rng, n_h * n_rf)
    src, lab = rng.integers(0, n_h * n_rf, n_links), rng.integers(0, n_l, n_links)
    dst = rng.integers(seller0, n_nodes, n_links)
    primary = rng.integers(0, n_h, n_l)
    egress_fee = _amounts(rng, n_l)
    la, ha = rng.permutation(n_l) + 40, rng.permutation(n_h) + 10
    got = compute_flows(
        buyer,
        seller,
        rows,
        payment,
        penalty,
        delivered,
        n_l,
        n_h,
        flow,
        s_factor,
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
    c_acc, lab_cloud, by_lab, by_cloud, by_link, link_acc = got
    got = (
        c_acc[0],
        c_acc[1],
        lab_cloud[0],
        lab_cloud[1],
        by_lab[0],
        by_cloud[0],
        *by_link,
        *link_acc,
        by_cloud[1],
        by_lab[1],
    )
    # the numpy of settle_compute
    c_b, c_s = buyer[rows], seller[rows]
    c_net = payment - penalty
    spend, vol = np.zeros((n_l, n_h)), np.zeros((n_l, n_h))
    np.add.at(spend, (c_b, c_s), c_net)
    np.add.at(vol, (c_b, c_s), delivered)
    recv = np.bincount(c_b, delivered, minlength=n_l).astype(float, copy=False)
    sales = np.bincount(c_s, c_net, minlength=n_h).astype(float, copy=False)
    f_ok = flow * s_factor[src]
    h_src = src // n_rf
    p_src = price[seller0:][src]
    pri = primary[lab]
    fee = egress_fee[lab] * (h_src != pri)
    to_h, to_primary = p_src * f_ok, fee * f_ok
    friction = np.maximum(0.0, price[dst] - p_src - fee) * f_ok
    np.add.at(spend, (lab, h_src), to_h)
    np.add.at(spend, (lab, pri), to_primary)
    np.add.at(vol, (lab, h_src), f_ok)
    np.add.at(recv, lab, f_ok)
    np.add.at(sales, h_src, to_h)
    np.add.at(sales, pri, to_primary)
    want = (
        la[c_b],
        ha[c_s],
        spend,
        vol,
        recv,
        sales,
        f_ok,
        p_src,
        to_h,
        to_primary,
        friction,
        la[lab],
        ha[h_src],
        ha[pri],
        np.bincount(c_s, delivered, minlength=n_h).astype(float)
        + np.bincount(h_src, f_ok, minlength=n_h),
        np.bincount(lab, friction, minlength=n_l).astype(float, copy=False),
    )
    for g, w in zip(got, want, strict=True):
        _same(g, w)


@pytest.mark.parametrize("seed", SEEDS)
def test_node_prices_are_numpys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_h, n_r, n_f = int(rng.integers(1, 5)), int(rng.integers(1, 21)), int(rng.integers(1, 21))
    shape, n = (n_h, n_r, n_f), n_h * n_r * n_f
    seller0 = 5
    node_price = _prices(rng, seller0 + n + 3)
    price = _spot_price(node_price)
    c_ok, s_ok = _amounts(rng, n), _amounts(rng, n)
    mwh = _amounts(rng, *shape) * 1e-3  # most sites resell some power
    site_recv, power_now = _amounts(rng, n_h, n_r), _amounts(rng, n_r)
    capacity = _amounts(rng, *shape)
    capacity[rng.random(shape) < 0.2] = 0.5  # less than an H100e-hour
    offered_qty = _amounts(rng, n)
    cost = np.array([0.0, -0.0, 2.0, 5.0])[rng.integers(0, 4, shape)]
    got = node_prices(
        c_ok,
        s_ok,
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
    by_node, by_cloud, family, seen = got
    got = (by_node[0], by_cloud[0], by_cloud[1], by_node[1], family, seen)
    # the numpy of settle_compute
    sold = (c_ok + s_ok).reshape(shape)
    used = (sold * mwh).sum(axis=2)
    resold = np.maximum(0.0, site_recv - used)
    has = capacity > 0
    offered = has & (offered_qty.reshape(shape) > 0)
    seller_price = node_price[seller0 : seller0 + n].reshape(shape)
    p_nodes = price[seller0 : seller0 + n].reshape(shape)
    new_price = np.where(offered & np.isfinite(seller_price), p_nodes, cost)
    want = (
        sold,
        (resold * power_now[None, :]).sum(axis=1),
        site_recv.sum(axis=1),
        new_price,
        family_price(new_price, has),
        new_price[offered & (capacity >= 1.0)],
    )
    for g, w in zip(got, want, strict=True):
        _same(g, w)
