"""Phase 5, ``clear`` (first part): contracts in force take their shares before the spot market.

Compute contracts take a pro-rata share of their seller's capacity in the contract's
family; power purchase agreements are served from the utility's cheapest units; chip supply
contracts from the vendor's capacity (:func:`market.contracts.pro_rata`). What they leave
is offered on the spot market (:func:`agents.phases.clear.clear_phase`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agents.book_template import BookTemplate
from agents.chipvendor import ChipVendor
from agents.lab import LabArrays
from agents.phases.orders import Orders
from agents.state import FloatArray, IntArray
from market.compiled import add_reduce, clip, compiled, minimum, sum_rows
from market.contracts import KINDS, ContractTable, pro_rata, pro_rata_arrays
from market.tied_orders import tie_groups

__all__ = ["ContractAllocation", "allocate_contracts", "compute_shares", "ppa_delivery"]

_COMPUTE, _POWER, _CHIPS = (KINDS.index(k) for k in ("compute", "power", "chips"))


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
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Power purchase agreements served from their utility's cheapest units.

    Each agreement (its ``seller`` utility, ``volume`` and buyer ``site``, a flat
    cloud-region index) gets its pro-rata share of the utility's units
    (:func:`market.contracts.pro_rata`); a utility's agreements then take its units in
    merit order, cheapest first (``np.lexsort((unit_price, unit_util))``'s order, as
    :func:`market.tied_orders.tie_groups` gives it). Returns each agreement's delivery,
    the units' quantities left, the fuel cost of the energy taken at each utility and the
    MWh each site receives. Sums in numpy's order (running sums and ``np.bincount``'s).
    """
    avail = np.zeros(n_r)
    for i in range(unit_util.size):
        avail[unit_util[i]] += unit_qty[i]
    deliver = pro_rata_arrays(seller, volume, avail)
    take = np.zeros(n_r)
    for i in range(seller.size):
        take[seller[i]] += deliver[i]
    order, _ = tie_groups(unit_util, unit_price)  # merit order within each utility
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
    return deliver, left, cost, site_ppa


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
    recomputing each seller node's cloud and family.
    """
    n_s = g.compute_qty.size
    if template is None:
        hh, rr, ff = np.unravel_index(np.arange(n_s), g.compute_qty.shape)
    else:
        hh, rr, ff = template.node_cloud, template.node_region, template.node_family
    cap = g.compute_qty.ravel()
    act = ct.active(month)
    kind = ct.kind[act]
    rows = act[kind == _COMPUTE]
    rows = rows[labs.active[ct.buyer[rows]]]
    if rows.size:
        alloc, taken = compute_shares(
            hh, rr, ff, cap, ct.seller[rows], ct.family[rows], ct.region[rows], ct.volume[rows]
        )
        lab_contract: FloatArray = np.bincount(ct.buyer[rows], taken, minlength=labs.n)
    else:
        alloc, lab_contract = np.zeros((0, n_s)), np.zeros(labs.n)
    # power purchase agreements: delivered from the utility's cheapest units
    unit_qty = g.unit_qty
    prow = act[kind == _POWER]
    p_deliver = np.zeros(prow.size)
    if prow.size:
        p_deliver, unit_qty, ppa_cost, site_ppa = ppa_delivery(
            ct.seller[prow],
            ct.volume[prow],
            ct.buyer[prow] * n_r + ct.region[prow],
            g.unit_util,
            unit_qty,
            g.unit_price,
            n_r,
            g.site_need.size,
        )
    else:
        site_ppa, ppa_cost = np.zeros(g.site_need.size), np.zeros(n_r)
    # chip supply contracts
    krow = act[kind == _CHIPS]
    vendor_qty = g.vendor_qty
    k_deliver = np.zeros(krow.size)
    received = None
    if krow.size:
        k_deliver = pro_rata(ct.seller[krow], ct.volume[krow], vendor_qty)
        # what the contracts leave, never below zero: a contract for more than the vendor
        # makes takes it all, and volume x (capacity / volume) can pass capacity by an ulp
        taken = np.bincount(ct.seller[krow], k_deliver, minlength=len(vendors))
        vendor_qty = np.maximum(0.0, vendor_qty - taken)
        n_h, _, n_f = g.compute_qty.shape
        vfam = np.array([v.family for v in vendors])
        received = np.bincount(
            ct.buyer[krow] * n_f + vfam[ct.seller[krow]], k_deliver, minlength=n_h * n_f
        ).reshape(n_h, n_f)
    alloc_out = ContractAllocation(
        rows, alloc, prow, p_deliver, site_ppa, ppa_cost, krow, k_deliver, received
    )
    return alloc_out, unit_qty, vendor_qty, lab_contract
