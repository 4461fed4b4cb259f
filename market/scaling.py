"""Scale a book so each market's quantities and prices are near one, and map back.

Solvers work to absolute tolerances (HiGHS: 1e-9 here). A book whose quantities run
to 1e10 beside prices of 1e4 asks them for a precision that float64 cannot give at that
magnitude and they stop without an answer, while the same book in other units clears.
:func:`scale_book` therefore rescales each connected component of the trade graph (a
good in a region: a market that shares no order or link with the others) by its own
factors, so the largest quantity and the largest price of each market are near one,
and the solvers' tolerances become relative to that market's scale (equilibration, as
in Tomlin, "On scaling linear programming problems", *Math. Programming Study* 4, 1975;
Curtis and Reid, *IMA J. Appl. Math.* 10, 1972).

Each component ``c`` gets a quantity unit ``q[c]`` and a price unit ``p[c]``, both powers
of two, so that dividing and multiplying by them is exact in binary floating point
(IEEE 754): the scaled book is the same problem, not an approximation. Within a
component every column of the clearing LP is divided by ``q[c]``, every node balance
by ``q[c]`` and every cost by ``p[c]``; the constraint matrix keeps its +-1 entries, the
optimal fills scale by ``q[c]`` and the node prices (duals) by ``p[c]``. Components are
independent, so weighting their objectives differently does not change the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from market.book import OrderBook
from market.compiled import compiled, maximum
from market.lp import Columns, LPSolution

__all__ = [
    "BookScaling",
    "book_columns",
    "column_units",
    "component_peaks",
    "components",
    "link_components",
    "pow2_unit",
    "scale_book",
    "scaled_columns",
    "unscaled_columns",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def components(book: OrderBook) -> IntArray:
    """Component label of every node: nodes joined by links share a label."""
    return link_components(book.n_nodes, *book.links[:2])


def link_components(n_nodes: int, src: IntArray, dst: IntArray) -> IntArray:
    """:func:`components` of ``n_nodes`` nodes joined by links ``src[i] -> dst[i]``."""
    shape = (n_nodes, n_nodes)
    graph = sp.coo_matrix((np.ones(src.size), (src, dst)), shape=shape).tocsr()
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def book_columns(book: OrderBook) -> tuple[IntArray, FloatArray, FloatArray]:
    """The book's offers, bids and links in that order (the clearing LP's column order):
    a node of each (a link's source), its quantity or capacity, its price or cost.

    The arguments of :func:`component_peaks` and :func:`column_units` after ``label``.
    """
    o_node, o_qty, o_price = book.offers
    b_node, b_qty, b_price = book.bids
    src, _, cost, cap = book.links
    return (
        np.concatenate((o_node, b_node, src)),
        np.concatenate((o_qty, b_qty, cap)),
        np.concatenate((o_price, b_price, cost)),
    )


def pow2_unit(peak: FloatArray) -> FloatArray:
    """The power of two nearest to each ``peak`` (1 where ``peak`` is 0)."""
    out = np.ones_like(peak)
    pos = peak > 0
    out[pos] = np.exp2(np.round(np.log2(peak[pos])))
    return out


def component_peaks(
    label: IntArray, col_node: IntArray, upper: FloatArray, cost: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Each component's largest quantity or finite capacity, and largest absolute price.

    ``label`` is :func:`components`; ``col_node`` a node of each column of the clearing LP
    (an offer's or bid's node, a link's source); ``upper`` and ``cost`` the columns' upper
    bounds and costs (:func:`market.lp.columns`). Zero for a component with none. The
    maximum is exact, so one pass over every column gives what a pass per kind would.

    >>> label = np.array([0, 0, 1])
    >>> component_peaks(label, np.array([0, 1, 2]), np.array([5.0, np.inf, 3.0]),
    ...                 np.array([-20.0, 1.0, 0.5]))
    (array([5., 3.]), array([20. ,  0.5]))
    """
    n_comp = int(label.max()) + 1 if label.size else 0
    col_label = label[col_node]
    peak = np.zeros(2 * n_comp)  # quantity peaks, then price peaks
    np.maximum.at(
        peak,
        np.concatenate((col_label, col_label + n_comp)),
        np.concatenate((np.where(upper < np.inf, upper, 0.0), np.abs(cost))),
    )
    return peak[:n_comp], peak[n_comp:]


def column_units(
    label: IntArray, col_node: IntArray, upper: FloatArray, cost: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Quantity and price units of each column of the clearing LP, then of each node.

    Arguments as :func:`component_peaks`. A component's quantity unit is the power of two
    nearest its largest quantity or finite capacity, its price unit the one nearest its
    largest absolute price or link cost (one when all are zero).

    Returns ``(qty_unit, price_unit)`` of the columns, then of the nodes.
    """
    q_peak, p_peak = component_peaks(label, col_node, upper, cost)
    q_unit, p_unit = pow2_unit(q_peak), pow2_unit(p_peak)
    col_label = label[col_node]
    return q_unit[col_label], p_unit[col_label], q_unit[label], p_unit[label]


@dataclass(frozen=True)
class BookScaling:
    """Quantity and price units of each node (those of its component)."""

    qty_unit: FloatArray
    price_unit: FloatArray

    def unscale(self, sol: LPSolution, book: OrderBook) -> LPSolution:
        """Map a solution of the scaled book back to ``book``'s units."""
        o_node, b_node = book.offers[0], book.bids[0]
        src = book.links[0]
        q, p = self.qty_unit, self.price_unit
        return LPSolution(
            sol.offer_fill * q[o_node],
            sol.bid_fill * q[b_node],
            sol.link_flow * q[src],
            sol.node_price * p,
            sol.iterations,
        )


def scale_book(book: OrderBook, label: IntArray | None = None) -> tuple[OrderBook, BookScaling]:
    """The book in per-market units near one, and the units to map the answer back.

    A component's quantity unit is the power of two nearest its largest quantity or
    finite capacity; its price unit the power of two nearest its largest absolute
    price or link cost (one when all are zero). ``label`` may pass
    :func:`components` of a book with the same links, to save computing it.
    """
    o_node, o_qty, o_price = book.offers
    b_node, b_qty, b_price = book.bids
    src, dst, cost, cap = book.links
    if label is None:
        label = components(book)
    q_col, p_col, q_unit, p_unit = column_units(label, *book_columns(book))
    ob, n_o = o_node.size + b_node.size, o_node.size
    scaled = OrderBook._trusted(
        book.n_nodes,
        o_node, o_qty / q_col[:n_o], o_price / p_col[:n_o],
        b_node, b_qty / q_col[n_o:ob], b_price / p_col[n_o:ob],
        src, dst, cost / p_col[ob:], cap / q_col[ob:],
        copy=False,
    )  # fmt: skip
    return scaled, BookScaling(q_unit, p_unit)


@compiled
def unscaled_columns(
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
) -> tuple[FloatArray, FloatArray, IntArray, FloatArray]:
    """The LP's columns' upper bounds and costs in book units (offers, bids, links), each
    column's market, and each market's largest quantity or finite capacity, then largest
    absolute cost (:func:`market.scaling.component_peaks`; the orders' quantities are
    ``largest`` when it is not empty: a pooled book's largest members,
    :attr:`market.tied_orders.Pooled.largest`). The first step of
    :class:`market.warm.Clearer`'s columns; :func:`pow2_unit` of the peaks, then
    :func:`scaled_columns`, finish them."""
    ob = o_node.size + b_node.size
    n_cols = ob + src.size
    upper = np.concatenate((o_qty, b_qty, l_cap))
    cost = np.concatenate((o_price, -b_price, l_cost))
    col_label = label[np.concatenate((o_node, b_node, src))]
    n_comp = label.max() + 1 if label.size else 0
    peaks = np.zeros(2 * n_comp)
    for j in range(n_cols):  # np.maximum.at's order: every quantity, then every cost
        q = largest[j] if j < ob and largest.size else upper[j]
        c = col_label[j]
        peaks[c] = maximum(peaks[c], q if q < np.inf else 0.0)
    for j in range(n_cols):
        c = n_comp + col_label[j]
        peaks[c] = maximum(peaks[c], abs(cost[j]))
    return upper, cost, col_label, peaks


@compiled
def scaled_columns(
    cost: FloatArray,
    upper: FloatArray,
    col_label: IntArray,
    unit: FloatArray,
    label: IntArray,
    o_node: IntArray,
    b_node: IntArray,
    link_index: IntArray,
) -> tuple[Columns, FloatArray, FloatArray]:
    """The LP's columns in per-market units (:func:`market.lp.columns` of the scaled
    book), each column's quantity unit and each node's price unit; ``unit`` holds the
    markets' quantity units, then their price units (:func:`pow2_unit` of
    :func:`unscaled_columns`' peaks, as :func:`column_units` gives them)."""
    n_comp = unit.size // 2
    n_cols, ob = cost.size, o_node.size + b_node.size
    q_col, scaled_cost, scaled_upper = np.empty(n_cols), np.empty(n_cols), np.empty(n_cols)
    for j in range(n_cols):
        q_col[j] = unit[col_label[j]]
        scaled_cost[j] = cost[j] / unit[n_comp + col_label[j]]
        scaled_upper[j] = upper[j] / q_col[j]
    p_node = np.empty(label.size)
    for i in range(label.size):
        p_node[i] = unit[n_comp + label[i]]
    start = np.arange(n_cols + 1)
    for j in range(ob + 1, n_cols + 1):  # one entry per order, two per link
        start[j] += j - ob
    value = np.ones(ob + link_index.size)
    value[o_node.size : ob] = -1.0
    value[ob::2] = -1.0  # a link leaves its source, enters its end
    index = np.concatenate((o_node, b_node, link_index))
    cols = (scaled_cost, np.zeros(n_cols), scaled_upper, start, index, value)
    return cols, q_col, p_node
