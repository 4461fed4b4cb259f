"""Phase 5, ``clear`` (first part): contracts in force take their shares before the spot market.

Compute contracts take a pro-rata share of their seller's capacity in the contract's
family; power purchase agreements are served from the utility's cheapest units; chip supply
contracts from the vendor's capacity (:func:`market.contracts.pro_rata`). What they leave
is offered on the spot market (:func:`agents.phases.clear.clear_phase`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NamedTuple

import numpy as np

from agents.book_template import BookTemplate
from agents.chipvendor import ChipVendor
from agents.lab import LabArrays
from agents.phases.orders import Orders
from agents.state import BoolArray, FloatArray, IntArray
from market.compiled import add_reduce, clip, compiled, maximum, minimum, sum_rows
from market.contracts import KINDS, ContractTable, pro_rata_arrays
from market.tied_orders import tie_groups

__all__ = [
    "MERIT_MOVES",
    "ContractAllocation",
    "allocate_contracts",
    "chip_delivery",
    "compute_shares",
    "compute_take",
    "merit_order",
    "ppa_delivery",
]

_COMPUTE, _POWER, _CHIPS = (KINDS.index(k) for k in ("compute", "power", "chips"))


class ContractAllocation(NamedTuple):
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
    chips_received: FloatArray | None
    """(H, F) chips each cloud receives under contract, by family (None without a chip
    contract in force): what its spot bids leave out (``clear``) and what its unmet
    orders do not count (``settle``)."""


@compiled
def compute_shares(
    cloud: IntArray,
    region: IntArray,
    family: IntArray,
    cap: FloatArray,
    seller: IntArray,
    fam: IntArray,
    reg: IntArray,
    volume: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Each compute contract's H100e-hours at each seller node, and each one's total.

    A seller node (its ``cloud``, ``region`` and chip ``family``) serves a contract of its
    cloud (``seller``) in the contract's family (``fam``, any if negative) and region
    (``reg``, any if negative). Each contract takes its ``volume`` from the nodes it may
    use in proportion to their capacity ``cap``; where the contracts ask more of a node
    than it has, each is cut by the same share there. Sums are numpy's
    (:func:`market.compiled.add_reduce` along a contract's nodes; contract by contract in
    order at a node).
    """
    n_c, n_s = seller.size, cap.size
    regional = (reg >= 0).any()  # a contract for one region takes only that region's nodes
    alloc = np.zeros((n_c, n_s))
    for i in range(n_c):
        for j in range(n_s):
            match = cloud[j] == seller[i] and (fam[i] < 0 or family[j] == fam[i])
            if regional:
                match = match and (reg[i] < 0 or region[j] == reg[i])
            alloc[i, j] = match * cap[j]
        total = add_reduce(alloc[i])
        per_unit = volume[i] / total if total > 0 else 0.0
        if np.isfinite(per_unit):
            alloc[i] *= per_unit
        else:  # a subnormal capacity: volume / it overflows; shares first, each <= 1
            alloc[i] = alloc[i] / total * volume[i]
    load = sum_rows(alloc)
    for j in range(n_s):
        fits = cap[j] / load[j] if load[j] > 0 else 1.0  # a subnormal load: inf, cut to 1
        alloc[:, j] *= minimum(1.0, fits)
    taken = np.empty(n_c)
    for i in range(n_c):
        taken[i] = add_reduce(alloc[i])
    return alloc, taken


MERIT_MOVES: Final = 8
"""Most moves per order :func:`merit_order` makes from last month's order before it sorts
afresh (a month moves about one per order in ``baseline``)."""


@compiled
def _before(node: IntArray, price: FloatArray, a: int, b: int) -> bool:
    """Whether order ``a`` comes before ``b`` by (node, price, position), no price nan."""
    if node[a] != node[b]:
        return bool(node[a] < node[b])
    if price[a] != price[b]:
        return bool(price[a] < price[b])
    return a < b


@compiled
def merit_order(node: IntArray, price: FloatArray, hint: IntArray) -> IntArray:
    """``np.lexsort((price, node))``: orders by node, then price, then position
    (:func:`market.tied_orders.tie_groups`' order), a new array.

    Without a nan price, (node, price, position) orders the orders strictly, and an
    insertion sort from any start ends in that order. Where ``hint`` (last month's order)
    holds each of the first ``m`` orders once, it starts from the hint followed by the
    orders appended since, which is close to sorted when few prices moved past others
    (Knuth, *The Art of Computer Programming* 3, 2nd ed., 1998, section 5.2.1: its work is
    the number of pairs out of order). With a nan price, another hint, or more than
    :data:`MERIT_MOVES` moves an order, the orders are sorted afresh by ``tie_groups``.
    """
    n, m = node.size, hint.size
    ok = 0 < m <= n
    for i in range(n if ok else 0):
        ok = ok and price[i] == price[i]  # no nan
    seen = np.zeros(m, np.bool_)
    for i in range(m if ok else 0):
        ok = ok and 0 <= hint[i] < m and not seen[hint[i]]
        if ok:
            seen[hint[i]] = True
    if ok:
        order = np.empty(n, np.int64)
        order[:m] = hint
        order[m:] = np.arange(m, n)
        moves, most = 0, MERIT_MOVES * n
        for i in range(1, n):
            x, j = order[i], i
            while j > 0 and moves <= most and _before(node, price, x, order[j - 1]):
                order[j] = order[j - 1]
                j -= 1
                moves += 1
            order[j] = x
        if moves <= most:
            return order
    order, _ = tie_groups(node, price)
    return order


@compiled
def ppa_delivery(
    seller: IntArray,
    volume: FloatArray,
    site: IntArray,
    unit_util: IntArray,
    unit_qty: FloatArray,
    unit_price: FloatArray,
    n_r: int,
    n_sites: int,
    hint: IntArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, IntArray]:
    """Power purchase agreements served from their utility's cheapest units.

    Each agreement (its ``seller`` utility, ``volume`` and buyer ``site``, a flat
    cloud-region index) gets its pro-rata share of the utility's units
    (:func:`market.contracts.pro_rata`); a utility's agreements then take its units in
    merit order, cheapest first (``np.lexsort((unit_price, unit_util))``'s order,
    :func:`merit_order`, from ``hint``, last month's, where it may). Returns each
    agreement's delivery, the units' quantities left, the fuel cost of the energy taken at
    each utility, the MWh each site receives and the merit order. Sums in numpy's order
    (running sums and ``np.bincount``'s).
    """
    avail = np.zeros(n_r)
    for i in range(unit_util.size):
        avail[unit_util[i]] += unit_qty[i]
    deliver = pro_rata_arrays(seller, volume, avail)
    take = np.zeros(n_r)
    for i in range(seller.size):
        take[seller[i]] += deliver[i]
    order = merit_order(unit_util, unit_price, hint)  # merit order within each utility
    n = order.size
    before = np.empty(n)  # energy of the cheaper units (and other utilities')
    first = np.zeros(n_r, np.int64)  # where each utility's units start in that order
    running = 0.0
    for i in range(n):
        q = unit_qty[order[i]]
        running += q
        before[i] = running - q
    counts = np.zeros(n_r, np.int64)
    for i in range(n):
        counts[unit_util[order[i]]] += 1
    total = 0
    for u in range(n_r):
        first[u] = total
        total += counts[u]
    left, cost = unit_qty.copy(), np.zeros(n_r)
    for i in range(n):
        j, u = order[i], unit_util[order[i]]
        used = clip(take[u] - (before[i] - before[first[u]]), 0.0, unit_qty[j])
        left[j] = unit_qty[j] - used
        cost[u] += used * unit_price[j]
    site_ppa = np.zeros(n_sites)
    for i in range(site.size):
        site_ppa[site[i]] += deliver[i]
    return deliver, left, cost, site_ppa, order


@compiled
def compute_take(
    cloud: IntArray,
    region: IntArray,
    family: IntArray,
    cap: FloatArray,
    rows: IntArray,
    seller: IntArray,
    fam: IntArray,
    reg: IntArray,
    volume: FloatArray,
    buyer: IntArray,
    active: BoolArray,
    n_labs: int,
) -> tuple[IntArray, FloatArray, FloatArray]:
    """The compute contracts (``rows``, each with its ``seller`` ... ``buyer``) of the
    labs still ``active``, their :func:`compute_shares` and what each lab receives.

    ``keep = active[buyer]``; returns ``rows[keep]``, the shares of those contracts
    (``(0, nodes)`` zeros if none) and ``np.bincount(buyer[keep], taken, n_labs)`` (a
    loop in row order from 0.0).
    """
    keep = np.empty(rows.size, np.bool_)
    for i in range(rows.size):
        keep[i] = active[buyer[i]]
    kept = rows[keep]
    lab = np.zeros(n_labs)
    if kept.size == 0:
        return kept, np.zeros((0, cap.size)), lab
    by = buyer[keep]
    alloc, taken = compute_shares(
        cloud, region, family, cap, seller[keep], fam[keep], reg[keep], volume[keep]
    )
    for i in range(by.size):
        lab[by[i]] += taken[i]
    return kept, alloc, lab


@compiled
def chip_delivery(
    seller: IntArray,
    volume: FloatArray,
    buyer: IntArray,
    vendor_family: IntArray,
    vendor_qty: FloatArray,
    n_h: int,
    n_f: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Chip supply contracts served pro rata from their vendor's capacity.

    Returns each contract's delivery (:func:`market.contracts.pro_rata`), what the
    vendors have left, never below zero (``np.maximum(0.0, vendor_qty -
    np.bincount(seller, deliver))``: a contract for more than the vendor makes takes it
    all, and volume x (capacity / volume) can pass capacity by an ulp) and the chips each
    cloud receives by family (``np.bincount(buyer x F + vendor_family[seller], deliver,
    H x F)``, reshaped ``(H, F)``); sums in row order from 0.0.
    """
    deliver = pro_rata_arrays(seller, volume, vendor_qty)
    taken = np.zeros(vendor_qty.size)
    for i in range(seller.size):
        taken[seller[i]] += deliver[i]
    left = np.empty(vendor_qty.size)
    for v in range(vendor_qty.size):
        left[v] = maximum(0.0, vendor_qty[v] - taken[v])
    received = np.zeros(n_h * n_f)
    for i in range(seller.size):
        received[buyer[i] * n_f + vendor_family[seller[i]]] += deliver[i]
    return deliver, left, received.reshape(n_h, n_f)


class _InForce(NamedTuple):
    """The contracts in force in a month by kind, and the columns the phase reads of
    them, read-only."""

    c_rows: IntArray
    c_seller: IntArray
    c_family: IntArray
    c_region: IntArray
    c_volume: FloatArray
    c_buyer: IntArray
    p_rows: IntArray
    p_seller: IntArray
    p_volume: FloatArray
    p_site: IntArray
    """Buying site of each power purchase agreement (flat ``buyer x R + region``)."""
    k_rows: IntArray
    k_seller: IntArray
    k_volume: FloatArray
    k_buyer: IntArray


def _in_force(ct: ContractTable, month: int, n_r: int) -> _InForce:
    """The contracts in force in ``month`` and their columns, kept by the table until a
    contract is added or ended (:meth:`market.contracts.ContractTable.cached`)."""

    def build() -> _InForce:
        act = ct.active(month)
        kind = ct.kind[act]
        c, p, k = act[kind == _COMPUTE], act[kind == _POWER], act[kind == _CHIPS]
        compute = (c, ct.seller[c], ct.family[c], ct.region[c], ct.volume[c], ct.buyer[c])
        power = (p, ct.seller[p], ct.volume[p], ct.buyer[p] * n_r + ct.region[p])
        cols = _InForce(*compute, *power, k, ct.seller[k], ct.volume[k], ct.buyer[k])
        for col in cols:
            col.flags.writeable = False
        return cols

    return ct.cached(("clear_contracts", ct.period(month), n_r), build)


_NO_ORDER: IntArray = np.zeros(0, dtype=np.int64)
_NO_ORDER.flags.writeable = False  # no merit order known: read-only as every kept one


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
    recomputing each seller node's cloud and family, and keeps the utilities' merit order
    from month to month (:func:`merit_order` sorts from it).
    """
    n_s = g.compute_qty.size
    if template is None:
        hh, rr, ff = np.unravel_index(np.arange(n_s), g.compute_qty.shape)
    else:
        hh, rr, ff = template.node_cloud, template.node_region, template.node_family
    f = _in_force(ct, month, n_r)
    rows, alloc, lab_contract = compute_take(
        hh, rr, ff, g.compute_qty.ravel(), f.c_rows, f.c_seller, f.c_family, f.c_region,
        f.c_volume, f.c_buyer, labs.active, labs.n,
    )  # fmt: skip
    # power purchase agreements: delivered from the utility's cheapest units
    unit_qty = g.unit_qty
    if f.p_rows.size:
        merit = template.merit if template is not None else []
        p_deliver, unit_qty, ppa_cost, site_ppa, order = ppa_delivery(
            f.p_seller,
            f.p_volume,
            f.p_site,
            g.unit_util,
            unit_qty,
            g.unit_price,
            n_r,
            g.site_need.size,
            merit[0] if merit else _NO_ORDER,
        )
        order.flags.writeable = False
        merit[:] = [order]
    else:
        p_deliver, site_ppa, ppa_cost = np.zeros(0), np.zeros(g.site_need.size), np.zeros(n_r)
    # chip supply contracts
    vendor_qty = g.vendor_qty
    k_deliver = np.zeros(0)
    received = None
    if f.k_rows.size:
        n_h, _, n_f = g.compute_qty.shape
        vfam = np.array([v.family for v in vendors], dtype=np.int64)
        k_deliver, vendor_qty, received = chip_delivery(
            f.k_seller, f.k_volume, f.k_buyer, vfam, vendor_qty, n_h, n_f
        )
    alloc_out = ContractAllocation(
        rows, alloc, f.p_rows.copy(), p_deliver, site_ppa, ppa_cost, f.k_rows.copy(), k_deliver,
        received,
    )  # fmt: skip
    return alloc_out, unit_qty, vendor_qty, lab_contract
