"""Compiled steps of :class:`market.warm.Clearer`'s month outside the solvers.

A month's clearing is mostly the same few arrays passed through a dozen small steps
(scale the columns, map the pools' fills back, clip, unscale the prices); each numpy call
on arrays of a few hundred elements costs more in fixed overhead than in arithmetic. The
functions here do those steps in one compiled call each, with the numbers of the numpy
code they replace, as each one's docstring states.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from market.clearing import _refilled
from market.compiled import clip, compiled
from market.lp import Columns
from market.scaling import scaled_columns, unscaled_columns
from market.tied_orders import TieGroups, _shares

__all__ = ["changed_columns", "finished_fills", "month_columns", "month_layout", "pow2_units"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_NEAR_LOW, _NEAR_HIGH = 0.7070, 0.7072
"""Mantissas (:func:`math.frexp`'s, in ``[0.5, 1)``) around ``1/sqrt(2)``, where the nearest
power of two in log scale is left to numpy's ``log2``."""
_EXACT_EXPONENTS = 1020
"""Powers of two up to this exponent (either sign) are built exactly; beyond, numpy's."""


@compiled
def pow2_units(peak: FloatArray) -> tuple[FloatArray, bool]:
    """:func:`market.scaling.pow2_unit` of ``peak`` without a transcendental, and whether
    every entry could be done so (else the caller uses that function).

    ``np.exp2(np.round(np.log2(p)))`` of ``p = m * 2**e`` (``m`` in ``[0.5, 1)``) is
    ``2**e`` where ``m >= 0.7072`` (``log2(p) - e`` is then above ``-0.4999``) and
    ``2**(e - 1)`` where ``m <= 0.7070`` (below ``-0.5002``): margins far beyond any
    ``log2``'s rounding, and ``np.exp2`` of an integer is the exact power of two. The
    mantissas in between, infinite or nan peaks and exponents past
    :data:`_EXACT_EXPONENTS` are reported instead. A peak that is not above zero gives 1.
    """
    out = np.ones(peak.size)
    for i in range(peak.size):
        p = peak[i]
        if not p > 0.0:
            continue
        if not np.isfinite(p):
            return out, False
        m, e = math.frexp(p)
        if m >= _NEAR_HIGH:
            k = e
        elif m <= _NEAR_LOW:
            k = e - 1
        else:
            return out, False
        if k > _EXACT_EXPONENTS or k < -_EXACT_EXPONENTS:
            return out, False
        out[i] = math.ldexp(1.0, k)
    return out, True


@compiled
def month_columns(
    o_node: IntArray,
    o_qty: FloatArray,
    o_price: FloatArray,
    b_node: IntArray,
    b_qty: FloatArray,
    b_price: FloatArray,
    src: IntArray,
    l_cost: FloatArray,
    l_cap: FloatArray,
    largest: FloatArray,
    label: IntArray,
    link_index: IntArray,
) -> tuple[Columns, FloatArray, FloatArray, FloatArray, bool]:
    """:func:`market.scaling.unscaled_columns`, :func:`pow2_units` of its peaks and
    :func:`market.scaling.scaled_columns` in one call: the scaled columns, the upper
    bounds in book units, each column's quantity unit and each node's price unit; False
    last when :func:`pow2_units` left the units to numpy (then the columns are not
    usable)."""
    upper, cost, col_label, peaks = unscaled_columns(
        o_node, o_qty, o_price, b_node, b_qty, b_price, src, l_cost, l_cap, largest, label
    )
    unit, ok = pow2_units(peaks)
    cols, q_col, p_node = scaled_columns(
        cost, upper, col_label, unit, label, o_node, b_node, link_index
    )
    return cols, upper, q_col, p_node, ok


@compiled
def finished_fills(
    x: FloatArray,
    q_col: FloatArray,
    o_group: IntArray,
    o_total: FloatArray,
    b_group: IntArray,
    b_total: FloatArray,
    ties: TieGroups,
    o_qty: FloatArray,
    b_qty: FloatArray,
    l_cap: FloatArray,
    price: FloatArray,
    p_node: FloatArray,
    touched: NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The book's offer fills, bid fills, link flows and node prices from the solved
    (pooled, scaled) book's column values ``x`` and scaled node prices ``price``.

    The numpy steps it replaces: ``fill = x * q_col``; on a pooled side (its ``group``
    not empty) :meth:`market.tied_orders.Pooled.spread`'s shares of each pool's fill
    (``total``: the pools' quantities), else the fills as they are; then
    :func:`market.clearing._finished` of those fills, the book's quantities and
    capacities as bounds, and ``price * p_node``; ``ties``: the book's
    :func:`market.tied_orders.tie_groups`, on which its ties are refilled.
    """
    n_o, n_b = o_qty.size, b_qty.size
    n_po = o_total.size if o_group.size else n_o
    n_pb = b_total.size if b_group.size else n_b
    fill = np.empty(x.size)
    for j in range(x.size):
        fill[j] = x[j] * q_col[j]
    offer = fill[:n_po] if not o_group.size else _shares(o_group, o_qty, o_total, fill[:n_po])
    bid = fill[n_po : n_po + n_pb]
    if b_group.size:
        bid = _shares(b_group, b_qty, b_total, bid)
    for i in range(n_o):
        offer[i] = clip(offer[i], 0.0, o_qty[i])
    for i in range(n_b):
        bid[i] = clip(bid[i], 0.0, b_qty[i])
    base = n_po + n_pb
    flow = np.empty(l_cap.size)
    for j in range(l_cap.size):
        flow[j] = clip(fill[base + j], 0.0, l_cap[j])
    offer_fill = _refilled(ties[0], ties[1], o_qty, offer)
    bid_fill = _refilled(ties[2], ties[3], b_qty, bid)
    node_price = np.empty(price.size)
    for i in range(price.size):
        node_price[i] = price[i] * p_node[i] + 0.0 if touched[i] else np.nan
    return offer_fill, bid_fill, flow, node_price


@compiled
def _equal(a: IntArray, b: IntArray) -> bool:
    """``a.shape == b.shape and (a == b).all()``."""
    if a.size != b.size:
        return False
    for i in range(a.size):
        if a[i] != b[i]:
            return False
    return True


@compiled
def month_layout(
    o_node: IntArray,
    b_node: IntArray,
    src: IntArray,
    dst: IntArray,
    old_keys: IntArray,
    old_src: IntArray,
    old_dst: IntArray,
) -> tuple[IntArray, bool, bool]:
    """:func:`market.basis.column_keys` of the book's columns, whether they equal
    ``old_keys`` (shape and values), and whether the links ``src, dst`` equal the old
    ones (likewise)."""
    n_o, ob = o_node.size, o_node.size + b_node.size
    keys = np.empty(ob + src.size, np.int64)
    for j in range(n_o):
        keys[j] = o_node[j]
    for j in range(b_node.size):
        keys[n_o + j] = b_node[j] + 2**31
    for j in range(src.size):
        keys[ob + j] = (src[j] + 2) * 2**31 + dst[j]
    same_links = _equal(src, old_src) and _equal(dst, old_dst)
    return keys, _equal(keys, old_keys), same_links


@compiled
def changed_columns(
    cost: FloatArray,
    old_cost: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    old_upper: FloatArray,
) -> tuple[NDArray[np.int32], FloatArray, NDArray[np.int32], FloatArray, FloatArray]:
    """The columns whose cost moved (``np.flatnonzero(cost != old_cost)`` as ``int32``)
    and their costs, then those whose upper bound moved and their lower and upper bounds:
    what HiGHS's ``changeColsCost`` and ``changeColsBounds`` take, in one pass to count
    and one to fill (the columns of both books the same in number)."""
    if old_cost.size != cost.size or old_upper.size != upper.size or upper.size != cost.size:
        raise ValueError("changed_columns: the two books' columns differ in number")
    n_c = n_u = 0
    for j in range(cost.size):
        n_c += cost[j] != old_cost[j]
        n_u += upper[j] != old_upper[j]
    c_idx, c_val = np.empty(n_c, np.int32), np.empty(n_c)
    u_idx, u_low, u_val = np.empty(n_u, np.int32), np.empty(n_u), np.empty(n_u)
    c = u = 0
    for j in range(cost.size):
        if cost[j] != old_cost[j]:
            c_idx[c], c_val[c] = j, cost[j]
            c += 1
        if upper[j] != old_upper[j]:
            u_idx[u], u_low[u], u_val[u] = j, lower[j], upper[j]
            u += 1
    return c_idx, c_val, u_idx, u_low, u_val
