"""Compute's part of the ``settle`` phase: what each node delivers and who pays whom.

Compute is physical: a site that got less power than it bid for delivers less, contracts
first, then spot, pro rata (:func:`compute_delivery`); a contract delivered short pays its
penalty. :func:`settle_compute` books the deliveries and payments (spot buyers pay their node
price, sellers receive theirs, and a lab's egress fee goes to its primary cloud, the one its
data leaves; a small buyer that switched provider this month pays it to the provider it
left) and updates the expected compute price from the month's median. Called by
:func:`agents.phases.settle.settle_markets`; its arrays come from compiled calls
(:mod:`agents.phases.settle_calls`, one call for the compute market's arrays and the
nodes' month).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.accounts import OUTSIDE, Accounts, Posting
from agents.lab import LabArrays, LabKind
from agents.phases.clear import Cleared
from agents.phases.orders import Orders
from agents.phases.settle_calls import compute_month, deliveries
from agents.state import (
    BoolArray,
    FloatArray,
    IntArray,
    Market,
    Nodes,
)
from market.compiled import add_at
from market.contracts import ContractTable, Settlement

__all__ = [
    "MAX_EXPECTED_COMPUTE_PRICE",
    "ComputeDelivery",
    "ComputeSales",
    "compute_delivery",
    "family_price",
    "settle_compute",
]


@dataclass(frozen=True)
class ComputeSales:
    """Compute delivered this month, by buyer and cloud."""

    spend: FloatArray
    """(L, H) what each lab paid each cloud (contracts net of penalties, and spot)."""
    volume: FloatArray
    """(L, H) H100e-hours each lab received from each cloud."""
    received: FloatArray
    """(L,) H100e-hours each lab received in all."""
    sales: FloatArray
    """(H,) each cloud's compute revenue."""
    sold: FloatArray
    """(H, R, F) H100e-hours each node delivered."""
    contract: Settlement
    """The compute contracts' settlement."""
    spot_price: FloatArray
    """Seller-node price of each spot sale (major-lab links, then small buyers)."""
    spot_volume: FloatArray
    """Volume of each spot sale, same order."""
    friction: FloatArray
    """(L,) what each lab paid the outside world on the links it bought over: the gap
    between its node price and the seller's, less the egress fee: latency outside its home
    region and platform mismatch (:mod:`agents.phases.clear_links`)."""


MAX_EXPECTED_COMPUTE_PRICE = 1e3
"""Ceiling of the expected compute price, $ per H100e-hour (a numerical guard: about 100x
the 2023 on-demand peak of [hist-h100-rent]). Without capacity, labs bid the services
price, a markup on the expected price, so in a scenario with a large markup and nothing
built the expectation would compound each month past what a float book can hold."""


def _median(x: FloatArray) -> float:
    """``float(np.median(x))`` of a non-empty 1-d array, by one sort (the same number).

    The median of an even count is the mean of the middle two, ``(a + b) / 2``, as
    ``np.median`` computes it; any nan makes it nan.

    >>> _median(np.array([3.0, 1.0, 2.0, 10.0])), _median(np.array([5.0, 1.0, 2.0]))
    (2.5, 2.0)
    """
    s = np.sort(x)
    n = s.size
    if s[-1] != s[-1]:  # nan sorts last
        return float("nan")
    half = n // 2
    if n % 2:
        return float(s[half])
    return float((s[half - 1] + s[half]) / 2.0)


@dataclass(frozen=True)
class ComputeDelivery:
    """How much compute each node delivers, given the power its site received."""

    c_ok: FloatArray
    """(N,) contract compute each seller node delivers."""
    s_ok: FloatArray
    """(N,) spot compute each seller node delivers."""
    s_factor: FloatArray
    """(N,) share of each node's spot sales delivered (1 where it sold none)."""
    contract: FloatArray
    """Compute each contract of ``compute_rows`` received."""


def compute_delivery(
    g: Orders, cleared: Cleared, site_recv: FloatArray, nodes: Nodes
) -> ComputeDelivery:
    """Compute delivered as far as power allows: contracts first, then spot, pro rata.

    A site's power is shared among its nodes in proportion to what each needs for its
    capacity; a node delivers at most its capacity and what its power runs.
    """
    n_f = g.compute_qty.shape[2]
    by_node, contract = deliveries(
        g.compute_qty.ravel(),
        nodes.mwh.ravel(),
        g.site_use.ravel(),
        site_recv.ravel(),
        cleared.contracts.compute_alloc,
        cleared.result.offer_fill[cleared.index.offers["sellers"]],
        n_f,
    )
    return ComputeDelivery(by_node[0], by_node[1], by_node[2], contract)


def settle_compute(
    g: Orders,
    cleared: Cleared,
    price: FloatArray,
    site_recv: FloatArray,
    power_now: FloatArray,
    nodes: Nodes,
    market: Market,
    labs: LabArrays,
    ct: ContractTable,
    acc: Accounts,
    by_node: FloatArray,
    cs: Settlement,
) -> ComputeSales:
    """Book compute payments and deliveries, and update the nodes.

    ``by_node`` is :func:`compute_delivery`'s ``c_ok``, ``s_ok`` and ``s_factor``, the rows
    of one ``(3, N)`` array; ``cs`` the compute contracts' settlement.
    """
    ix, a = cleared.index, labs
    lay = ix.nodes
    n_h, n_r, n_f = g.compute_qty.shape
    ha, la = acc.hyperscaler, a.account
    res = cleared.result
    rows = cleared.contracts.compute_rows
    # contracts, then the major labs' spot purchases over their links. The egress fee is
    # charged by the cloud the lab's data leaves, its primary, on what it buys elsewhere
    # (docs/calibration.md [reg-egress], [est-egress-h])
    src, lab = cleared.c_src, cleared.c_lab
    # and, in the same call, the nodes' month (below) and how many labs are not major
    (
        c_acc,
        lab_cloud,
        by_lab,
        by_cloud,
        by_link,
        link_acc,
        node_month,
        node_cloud,
        cheapest,
        seen,
        n_rest,
    ) = compute_month(
        ct.buyer,
        ct.seller,
        rows,
        cs.payment,
        cs.penalty,
        cs.delivered,
        a.n,
        n_h,
        res.link_flow[ix.links["compute"]],
        by_node,
        src,
        lab,
        cleared.c_dst,  # the lab's node, or its homing node for the cloud
        price,
        lay.seller0,
        a.primary,
        market.egress_fee,
        la,
        ha,
        nodes.mwh,
        site_recv,
        power_now,
        nodes.capacity,
        cleared.book.offers[1][ix.offers["sellers"]],
        res.node_price,
        nodes.cost,
        a.kind,
        _MAJOR,
    )
    # (rows by index: a row's view costs half of what unpacking by iteration does)
    c_lab, c_cloud, spend, vol = c_acc[0], c_acc[1], lab_cloud[0], lab_cloud[1]
    recv, lab_friction, sales, produced = by_lab[0], by_lab[1], by_cloud[0], by_cloud[1]
    f_ok, p_src, to_h, to_primary, friction = (
        by_link[0],
        by_link[1],
        by_link[2],
        by_link[3],
        by_link[4],
    )
    lab_acc, cloud_acc, primary_acc = link_acc[0], link_acc[1], link_acc[2]
    # pooled small buyers: each gets its pool's fill ratio at its node (their postings
    # follow the major labs' spot purchases in each ledger, empty without them)
    small: Posting = (_NO_IDS, _NO_IDS, _NOTHING)
    small_fee = small_compute = small
    pools = cleared.pools
    if n_rest:
        rest = _other_rows(a.major)
        p_small = price[lay.seller0 :][g.small_node]
    if n_rest and not pools.size:
        got = cleared.bid_inference[rest] * 0.0
    if n_rest and pools.size:
        k, s_factor = pools.size, by_node[2]
        fill_inf = res.bid_fill[ix.bids["pool_inference"]]
        # the training tranches of each pool, step-major (see agents.phases.clear)
        fill_trn = res.bid_fill[ix.bids["pool_training"]].reshape(-1, k).sum(axis=0)
        bid_inf, bid_trn = cleared.bid_inference[rest], cleared.bid_training[rest]
        pool_inf = np.bincount(g.small_node, bid_inf, minlength=lay.n_sellers)[pools]
        pool_trn = np.bincount(g.small_node, bid_trn, minlength=lay.n_sellers)[pools]
        r_inf = np.zeros(lay.n_sellers)
        r_trn = np.zeros(lay.n_sellers)
        r_inf[pools] = (
            np.divide(fill_inf, pool_inf, out=np.zeros(k), where=pool_inf > 0) * s_factor[pools]
        )
        r_trn[pools] = (
            np.divide(fill_trn, pool_trn, out=np.zeros(k), where=pool_trn > 0) * s_factor[pools]
        )
        node = g.small_node
        # got = bid_inf * r_inf[node] + bid_trn * r_trn[node]; pay = got * price at node
        got = r_inf[node]
        np.multiply(bid_inf, got, out=got)
        pay = r_trn[node]
        np.multiply(bid_trn, pay, out=pay)
        got += pay
        np.multiply(got, p_small, out=pay)
        hb = node // (n_r * n_f)
        cloud_b, buyers = ha[hb], la[rest]
        small = (buyers, cloud_b, pay)
        # one (row, cloud) cell per buyer, by flat index (np.add.at's sums in one loop)
        cell = _cells(rest, hb, n_h)
        add_at(spend.reshape(-1), cell, pay)
        # a buyer that switched this month pays the egress fee it weighed to the cloud
        # its data leaves, on what it bought
        left = a.left_provider[rest]
        moved = np.flatnonzero(left >= 0)
        if moved.size:
            who = rest.start + moved if isinstance(rest, slice) else rest[moved]
            old = left[moved]
            fee_paid = market.egress_fee[who] * got[moved]
            small_fee = (la[who], ha[old], fee_paid)
            add_at(spend.reshape(-1), _cells(who, old, n_h), fee_paid)
            add_at(sales, old, fee_paid)
        add_at(vol.reshape(-1), cell, got)
        recv[rest] += got
        add_at(sales, hb, pay)
        small_compute = (cloud_b, buyers, got)
    # produced = what each cloud delivered (contracts, links to labs, pools), exactly
    if n_rest and pools.size:
        produced += np.bincount(hb, got, minlength=n_h)
    out = acc.outside
    acc.post_each(
        acc.compute,
        (
            (cloud_acc, lab_acc, f_ok),
            small_compute,
            (out, ha, produced),
            (c_cloud, c_lab, cs.delivered),
            (la, out, recv),
        ),
        _COMPUTE,
    )
    # power bought but not used is sold back to the grid at the spot price. Prices seen at
    # seller nodes (for next month's choices and porting): a node whose hours all went to
    # contracts offered none on the spot market; the clearing's price there is no market's
    # (0, as nothing is offered), so it is read at its ask, as a node without capacity is,
    # and left out of the expectation, as is a node with less than an H100e-hour a month (a
    # fleet retired to nothing), which has no market: its price is an unfilled bid, and
    # would feed the expectation its own bid
    # (node_prices, in compute_month above)
    sold, nodes.price = node_month[0], node_month[1]
    resale, site_total = node_cloud[0], node_cloud[1]
    acc.pay_each(
        (
            (c_lab, c_cloud, cs.payment),
            (c_cloud, c_lab, cs.penalty),
            (lab_acc, cloud_acc, to_h),
            (lab_acc, primary_acc, to_primary),
            (lab_acc, out, friction),
            small,
            small_fee,
            (out, ha, resale),
        ),
        _MONEY,
    )
    acc.post(acc.power, ha, OUTSIDE, site_total, "power_used_or_resold")
    nodes.sold = sold
    if seen.size:
        expected = 0.8 * market.expected_compute_price + 0.2 * _median(seen)
        market.expected_compute_price = min(expected, MAX_EXPECTED_COMPUTE_PRICE)
    market.family_price = cheapest  # family_price(nodes.price, nodes.capacity > 0)
    # spot sales: the major labs' links, then the small buyers'
    spot_price, spot_volume = p_src, f_ok
    if n_rest:
        spot_price, spot_volume = np.concatenate((p_src, p_small)), np.concatenate((f_ok, got))
    return ComputeSales(
        spend,
        vol,
        recv,
        sales,
        sold,
        cs,
        spot_price,
        spot_volume,
        lab_friction,
    )


_NO_IDS = np.zeros(0, dtype=np.int64)
_NOTHING = np.zeros(0)
"""An empty posting's ids and amounts (no small buyers: nothing booked)."""
_MONEY = (
    "compute_contract",
    "penalty",
    "compute_spot",
    "egress_fee",
    "compute_friction",
    "compute_spot",
    "egress_fee",
    "power_resale",
)
"""Reasons of the dollar postings of :func:`settle_compute`, in order: contracts, the
major labs' spot purchases, the small buyers' (and egress fees of those that switched),
the power sold back."""
_COMPUTE = ("compute_spot", "compute_spot", "production", "compute_contract", "consumed")
"""Reasons of the compute ledger's postings of :func:`settle_compute`, in order."""

_MAJOR = int(LabKind.MAJOR)
"""The kind of a major lab, as a plain int (for the compiled call)."""


def _other_rows(major: BoolArray) -> slice | IntArray:
    """Rows that are not major labs: a slice when they are the last rows (scale mode's layout).

    >>> _other_rows(np.array([True, True, False, False]))
    slice(2, 4, None)
    >>> _other_rows(np.array([True, False, True]))
    array([1])
    """
    m = int(np.count_nonzero(major))
    if major[:m].all():
        return slice(m, major.size)
    out: IntArray = (~major).nonzero()[0]
    return out


def _cells(rows: slice | IntArray, col: IntArray, width: int) -> IntArray:
    """Flat indices of cells ``(rows[i], col[i])`` of a C-ordered array ``width`` wide.

    >>> _cells(slice(2, 4), np.array([1, 0]), 3).tolist()
    [7, 9]
    """
    if isinstance(rows, slice):
        start, stop, _ = rows.indices(rows.stop)
        out: IntArray = np.arange(start * width, stop * width, width)
    else:
        out = rows * width
    out += col
    return out


def family_price(price: FloatArray, has: np.ndarray) -> FloatArray:
    """(F,) cheapest price over nodes with capacity of each family (nan where none).

    >>> family_price(np.array([[[2.0, 5.0]], [[3.0, 4.0]]]), np.array([[[True, False]], [[True, True]]]))
    array([2., 4.])
    """
    p = np.where(has, price, np.inf).min(axis=(0, 1))
    out: FloatArray = np.where(np.isfinite(p), p, np.nan)
    return out
