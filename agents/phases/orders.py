"""Phase 4, ``orders``: every agent's offers and bids for the month, before contracts.

Utilities offer each unit's energy at marginal cost and the region's non-AI load, with
its conventional (non-AI) data centres, bids for its energy; each data-centre site bids for
the energy its expected use needs; vendors offer their capacity at their price (none
before their family's first chip is out); each compute node offers the hours its site buys
power for (its expected use, at most its capacity) at its cost; and every small lab or
enterprise buyer (scale mode) picks the node it buys at (:func:`choose_nodes`). The book
itself is assembled in the ``clear`` phase, after contracts have taken their share. The
nodes' expected use (:func:`expected_use`) and the units' energy are each one compiled call,
with numpy's arithmetic in numpy's order (:mod:`market.compiled`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agents.chipvendor import ChipVendor
from agents.contracting import contracted_h100e_hours
from agents.lab import LabArrays
from agents.state import BoolArray, FloatArray, IntArray, Market, Nodes, Tech
from agents.units import HOURS_PER_MONTH
from agents.utility import Utility
from market.compiled import add_reduce, compiled, minimum
from market.contracts import ContractTable

__all__ = ["EXPECTED_USE_GROWTH", "Orders", "choose_nodes", "expected_use", "orders", "unit_offers"]

EXPECTED_USE_GROWTH = (1.3, 0.1)
"""Sites expect to run ``1.3 x`` last month's sales ``+ 0.1 x`` capacity, plus contracts
(est.: room for growth), at most their capacity; they buy power for that, and their nodes
offer no more (:func:`agents.phases.clear.clear_phase`): an hour sold beyond it could not be
delivered (``docs/calibration.md`` [est-throttling])."""


@dataclass(frozen=True)
class Orders:
    """Offers and bids of the month before contracts are settled."""

    unit_util: IntArray
    """(units,) region of each generation unit."""
    unit_qty: FloatArray
    """(units,) MWh each unit can deliver this month."""
    unit_price: FloatArray
    """(units,) marginal cost, $/MWh."""
    non_ai_qty: FloatArray
    """(R,) MWh of non-AI load, conventional data centres included."""
    site_use: FloatArray
    """(H, R, F) H100e-hours each node expects to run: what its site buys power for, and the
    most it offers (contracts included)."""
    site_need: FloatArray
    """(H, R) MWh each site bids for."""
    vendor_qty: FloatArray
    """(V,) units each vendor can make."""
    vendor_price: FloatArray
    """(V,) price per unit."""
    compute_qty: FloatArray
    """(H, R, F) H100e-hours of each node's capacity (what contracts take their share of, and
    the most it delivers)."""
    compute_price: FloatArray
    """(H, R, F) its offer price."""
    small_node: IntArray
    """Seller node (flat ``(h, r, f)``) of each non-major buyer, in row order."""


@compiled
def expected_use(
    cap: FloatArray,
    sold: FloatArray,
    contracted: FloatArray,
    mwh: FloatArray,
    grow: float,
    slack: float,
) -> tuple[FloatArray, FloatArray]:
    """(H, R, F) H100e-hours each node expects to run and (H, R) MWh each site needs.

    A node expects ``grow x sold + slack x cap`` plus its region's share of its cloud's
    contracted hours of the family (:data:`EXPECTED_USE_GROWTH`), at most its capacity.
    As numpy computes::

        by_region = np.add.reduce(cap, axis=1, keepdims=True)
        share = np.divide(cap, by_region, out=np.zeros(cap.shape), where=by_region > 0)
        use = np.minimum(cap, grow * sold + slack * cap + contracted[:, None, :] * share)
        need = np.add.reduce(use * mwh, axis=2)

    (the sum over regions from 0.0 in region order, over families numpy's pairwise sum,
    :func:`market.compiled.add_reduce`).
    """
    n_h, n_r, n_f = cap.shape
    use, need = np.empty(cap.shape), np.empty((n_h, n_r))
    energy = np.empty(n_f)
    for h in range(n_h):
        by_region = np.zeros(n_f)
        for r in range(n_r):
            by_region += cap[h, r]
        for r in range(n_r):
            for f in range(n_f):
                share = cap[h, r, f] / by_region[f] if by_region[f] > 0 else 0.0
                want = grow * sold[h, r, f] + slack * cap[h, r, f] + contracted[h, f] * share
                use[h, r, f] = minimum(cap[h, r, f], want)
                energy[f] = use[h, r, f] * mwh[h, r, f]
            need[h, r] = add_reduce(energy)
    return use, need


def _cheapest(
    nodes: Nodes, home: IntArray, family: IntArray, fee: FloatArray, primary: IntArray
) -> tuple[IntArray, BoolArray]:
    """Cheapest provider of each buyer (landed price) and whether one has capacity."""
    n_h = nodes.capacity.shape[0]
    p = np.where(nodes.capacity > 0, nodes.price, np.inf)[:, home, family].T
    p = p + fee[:, None] * (np.arange(n_h)[None, :] != primary[:, None])
    best: IntArray = np.argmin(p, axis=1)
    ok: BoolArray = np.isfinite(p[np.arange(home.size), best])
    return best, ok


def choose_nodes(labs: LabArrays, nodes: Nodes, egress_fee: FloatArray | float) -> IntArray:
    """Each non-major buyer's seller node: the cheapest provider of its family at home.

    The landed price is last month's node price plus the buyer's egress fee (per buyer,
    or one number for all) when leaving the current provider; providers without that
    family at home are skipped. Updates the buyers' ``primary`` provider, records in
    ``left_provider`` the one each buyer that switched left (it pays that cloud the fee
    on this month's purchases, as it weighed it), and returns their flat node indices.
    """
    a = labs
    rest = (~a.major).nonzero()[0]
    if rest.size == 0:
        return np.zeros(0, dtype=np.int64)
    n_h, n_r, n_f = nodes.capacity.shape
    fee = np.broadcast_to(np.asarray(egress_fee, dtype=float), (a.n,))[rest]
    home, family, primary = a.home[rest], a.family[rest], a.primary[rest]
    # buyers of one (home, family, current provider) see the same prices: when they pay
    # one fee too, choose once per group (the same arithmetic, so the same choice)
    group = (home * n_f + family) * n_h + primary
    group_fee = np.zeros(n_r * n_f * n_h)
    group_fee[group] = fee
    if np.array_equal(group_fee[group], fee):
        first = np.full(group_fee.size, -1, dtype=np.int64)
        first[group[::-1]] = np.arange(rest.size)[::-1]  # a member of each group
        g = np.flatnonzero(first >= 0)
        best_g, ok_g = _cheapest(
            nodes, home[first[g]], family[first[g]], fee[first[g]], primary[first[g]]
        )
        at = np.zeros(group_fee.size, dtype=np.int64)
        at[g] = np.arange(g.size)
        best, ok = best_g[at[group]], ok_g[at[group]]
    else:
        best, ok = _cheapest(nodes, home, family, fee, primary)
    h = np.where(ok, best, primary)
    a.primary[rest] = h
    a.left_provider[rest] = np.where(h != primary, primary, -1)
    out: IntArray = (h * n_r + a.home[rest]) * n_f + a.family[rest]
    return out


def unit_offers(
    utilities: Sequence[Utility], month: int
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Every utility's :meth:`agents.utility.Utility.offers`, stacked in utility order.

    Returns each unit's utility (region), its energy for ``month`` (MWh: capacity x
    availability x hours while online, else 0) and its price (marginal cost), computed
    once over all units instead of once per utility.
    """
    parts = [u.offer_rows for u in utilities]
    energy, price, online = np.concatenate(parts, axis=1)
    util, qty = _unit_quantities(energy, online, month, np.array([p.shape[1] for p in parts]))
    return util, qty, price


@compiled
def _unit_quantities(
    energy: FloatArray, online: FloatArray, month: int, counts: IntArray
) -> tuple[IntArray, FloatArray]:
    """Each unit's utility and energy for ``month``: ``np.arange(counts.size).repeat(counts)``
    and ``np.where(online <= month, energy * HOURS_PER_MONTH, 0.0)`` (MW x availability is
    the ENERGY row, the same product, so x hours is the same number)."""
    util = np.empty(energy.size, np.int64)
    at = 0
    for u in range(counts.size):
        util[at : at + counts[u]] = u
        at += counts[u]
    qty = np.empty(energy.size)
    for i in range(energy.size):
        qty[i] = energy[i] * HOURS_PER_MONTH if online[i] <= month else 0.0
    return util, qty


def _top_bids(vendors: Sequence[ChipVendor], chip_bid: FloatArray) -> list[float]:
    """Highest bid for each vendor's chips: its owner's (captive) or any cloud's (merchant).

    Read from one reduction and one list of the (H, F) bids (the same numbers).
    """
    top, rows = np.maximum.reduce(chip_bid, axis=0).tolist(), chip_bid.tolist()
    return [rows[v.owner][v.family] if v.captive else top[v.family] for v in vendors]


def orders(
    month: int,
    tech: Tech,
    nodes: Nodes,
    market: Market,
    labs: LabArrays,
    contracts: ContractTable,
    utilities: Sequence[Utility],
    vendors: Sequence[ChipVendor],
    chip_bid: FloatArray,
    buyer_surplus: float,
) -> Orders:
    """Gather every agent's offers and bids for ``month`` (see the module docstring)."""
    unit_util, unit_qty, unit_price = unit_offers(utilities, month)
    non_ai = np.array([u.served_load_mw() * HOURS_PER_MONTH for u in utilities])
    cap = nodes.capacity
    contracted = contracted_h100e_hours(contracts, month, cap.shape[0])
    use, need = expected_use(cap, nodes.sold, contracted, nodes.mwh, *EXPECTED_USE_GROWTH)
    return Orders(
        unit_util,
        unit_qty,
        unit_price,
        non_ai,
        use,
        need,
        # a vendor whose family has no chip out yet has nothing to sell
        np.array([v.capacity if v.generation >= 0 else 0.0 for v in vendors]),
        np.array(
            [
                v.offer_price(tech, top, buyer_surplus)
                for v, top in zip(vendors, _top_bids(vendors, chip_bid), strict=True)
            ]
        ),
        cap.copy(),
        nodes.cost.copy(),
        choose_nodes(labs, nodes, market.egress_fee),
    )
