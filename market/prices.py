"""The range of equilibrium prices at each node, and the one price the market reports.

A welfare-maximising clearing fixes the quantities but not always the prices: where no
order is marginal at a node (every offer there is sold out or unsold, every bid filled or
not), any price between the last accepted and the first rejected order clears the market
too, and which one a simplex solver returns depends on its path (a warm start from last
month's basis and a cold solve can differ by the whole gap). The market reports one
canonical price instead: the midpoint of each node's equilibrium range, the
``k = 1/2`` rule of the k-double auction (Chatterjee and Samuelson, "Bargaining under
incomplete information", *Operations Research* 31, 1983; Rustichini, Satterthwaite and
Williams, *Econometrica* 62, 1994), so the same book gives the same prices whichever
solver cleared it.

Given optimal fills, the equilibrium prices are the solutions of a system of difference
constraints (complementary slackness, as in
:func:`market.clearing.equilibrium_violations`), with a ground node at price zero:

- an offer at ``n`` priced ``a``: ``p[n] <= a`` if it could sell more, ``p[n] >= a`` if it sold;
- a bid at ``n`` priced ``v``: ``p[n] >= v`` if it could buy more, ``p[n] <= v`` if it bought;
- a link ``s -> d`` costing ``c``: ``p[d] <= p[s] + c`` below capacity, ``>=`` if it carries flow.

Each ``p[j] - p[i] <= w`` is an arc ``i -> j`` of weight ``w``; the highest price at each
node is its shortest-path distance from the ground and the lowest is minus its distance to
the ground (Cormen et al., *Introduction to Algorithms*, 3rd ed., section 24.4). The set of
equilibrium prices is convex, so the midpoint of the two extremes is an equilibrium too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import shortest_path

from market.bellman import bellman_ford, merged_graph
from market.book import OrderBook
from market.lp import Columns, LPSolution, columns

__all__ = [
    "canonical_prices",
    "column_arcs",
    "column_prices",
    "price_bounds",
    "with_canonical_prices",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

PIN_NODES = 5_000
"""Largest book (nodes) solved with Bellman-Ford (O(nodes x arcs)). Larger books use
Dijkstra on arcs reweighted by the solver's prices, and keep the solver's prices if a node
is unbounded on a side."""


def column_arcs(book: OrderBook) -> tuple[IntArray, IntArray]:
    """Tail and head of the arc that each column of the clearing LP adds when it can grow.

    Columns are offers, bids, then links (:func:`market.lp.columns`); the ground is node
    ``book.n_nodes``. A column below its upper bound gives the arc ``tail -> head``
    weighted by its cost (an offer: ``p[n] <= a``; a bid: ``p[n] >= v``; a link:
    ``p[d] <= p[s] + c``); a column above zero gives ``head -> tail`` weighted by minus its
    cost (the opposite inequalities), as listed in the module docstring.
    """
    o_node, b_node = book.offers[0], book.bids[0]
    src, dst = book.links[0], book.links[1]
    g = book.n_nodes
    tail = np.concatenate((np.full(o_node.size, g, np.int64), b_node, src))
    head = np.concatenate((o_node, np.full(b_node.size, g, np.int64), dst))
    return tail, head


def _constraints(
    tail: IntArray,
    head: IntArray,
    cost: FloatArray,
    upper: FloatArray,
    value: FloatArray,
    qty_tol: float,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Arcs ``(tail, head, weight)``, one per ``p[head] - p[tail] <= weight``.

    ``tail``, ``head`` are :func:`column_arcs`, ``cost`` and ``upper`` the columns' costs
    and upper bounds (:func:`market.lp.columns`), ``value`` their values. A column can
    grow when it is below its bound by more than ``qty_tol`` times the book's largest
    quantity or finite capacity (at least one), and shrink when above zero by as much.
    """
    peak = float(np.max(upper, initial=1.0, where=upper < np.inf))
    tol = qty_tol * peak
    grow = value < upper - tol
    shrink = value > tol
    return (
        np.concatenate((tail[grow], head[shrink])),
        np.concatenate((head[grow], tail[shrink])),
        np.concatenate((cost[grow], -cost[shrink])),
    )


def _book_constraints(
    book: OrderBook,
    offer_fill: FloatArray,
    bid_fill: FloatArray,
    link_flow: FloatArray,
    qty_tol: float,
) -> tuple[IntArray, IntArray, FloatArray]:
    """:func:`_constraints` of ``book`` at the given fills."""
    tail, head = column_arcs(book)
    cost, _, upper, _, _, _ = columns(book)
    value = np.concatenate((offer_fill, bid_fill, link_flow))
    return _constraints(tail, head, cost, upper, value, qty_tol)


def _extremes(
    n: int,
    t: IntArray,
    h: IntArray,
    w: FloatArray,
    potential: FloatArray,
) -> tuple[FloatArray, FloatArray] | None:
    """Lowest and highest solution of the difference constraints (ground = node ``n - 1``).

    ``potential`` is one solution (the solver's prices, ground 0): reweighting each arc by
    it makes every weight non-negative, so Dijkstra's algorithm finds the shortest paths
    (Johnson's reweighting; Cormen et al., section 25.3). Weights below zero by more than
    rounding mean ``potential`` is not a solution: ``None``.
    """
    if t.size == 0:
        return np.full(n, -np.inf), np.full(n, np.inf)
    potential = np.where(np.isfinite(potential), potential, 0.0)  # nodes with no market
    reduced = w + potential[t] - potential[h]
    slack = 1e-7 * max(1.0, float(np.abs(w).max()), float(np.abs(potential).max()))
    if reduced.min() < -slack:
        return None
    reduced = np.maximum(reduced, 0.0)
    graph = merged_graph(n, t, h, reduced)
    g = n - 1
    d_from = shortest_path(graph, method="D", directed=True, indices=g)
    d_to = shortest_path(graph.T.tocsr(), method="D", directed=True, indices=g)
    # undo the reweighting: a path's true length is its reduced length + p[end] - p[start]
    high = np.asarray(d_from, dtype=float) + potential - potential[g]
    low = -(np.asarray(d_to, dtype=float) - potential + potential[g]) + 0.0
    return low, high


def price_bounds(
    book: OrderBook,
    offer_fill: FloatArray,
    bid_fill: FloatArray,
    link_flow: FloatArray,
    potential: FloatArray,
    *,
    qty_tol: float = 1e-9,
) -> tuple[FloatArray, FloatArray] | None:
    """Lowest and highest equilibrium price at each node, given optimal fills and prices.

    ``potential`` is an equilibrium price vector for the fills (the solver's duals).

    Returns ``(low, high)`` for the nodes and, last, the ground (0, 0); ``-inf``/``inf``
    where nothing bounds a price from that side. ``None`` when the fills admit no
    equilibrium price (fills that are not optimal, or rounding that makes the constraints
    contradict each other).

    >>> book = OrderBook(n_nodes=1, offer_node=[0], offer_qty=[10.0], offer_price=[1.0],
    ...                  bid_node=[0], bid_qty=[10.0], bid_price=[3.0])
    >>> low, high = price_bounds(book, np.array([10.0]), np.array([10.0]), np.zeros(0), np.array([1.0]))
    >>> low.tolist(), high.tolist()
    ([1.0, 0.0], [3.0, 0.0])
    """
    t, h, w = _book_constraints(book, offer_fill, bid_fill, link_flow, qty_tol)
    return _extremes(book.n_nodes + 1, t, h, w, np.append(potential, 0.0))


def canonical_prices(
    book: OrderBook,
    offer_fill: FloatArray,
    bid_fill: FloatArray,
    link_flow: FloatArray,
    solver_price: FloatArray,
) -> FloatArray:
    """The midpoint of each node's equilibrium price range (see the module docstring).

    Where the range is bounded on one side only, that bound (an unsold offer with no buyer
    is priced at its ask); where on neither side (only empty orders and idle links), zero
    or the nearest price its links allow. Where the fills admit no price (rounding),
    ``solver_price`` throughout.

    >>> book = OrderBook(n_nodes=1, offer_node=[0], offer_qty=[10.0], offer_price=[1.0],
    ...                  bid_node=[0], bid_qty=[10.0], bid_price=[3.0])
    >>> canonical_prices(book, np.array([10.0]), np.array([10.0]), np.zeros(0), np.array([1.0]))
    array([2.])
    """
    t, h, w = _book_constraints(book, offer_fill, bid_fill, link_flow, 1e-9)
    return _midpoints(book.n_nodes, t, h, w, solver_price)


def _pinned_extremes(
    n: int, t: IntArray, h: IntArray, w: FloatArray
) -> tuple[FloatArray, FloatArray] | None:
    """:func:`_extremes` without a known solution: Bellman-Ford (negative weights allowed)."""
    if t.size == 0:
        return np.full(n, -np.inf), np.full(n, np.inf)
    dist = bellman_ford(n, t, h, w, n - 1)
    if dist is None:
        return None
    return 0.0 - dist[1], dist[0]


def _midpoints(
    n: int, t: IntArray, h: IntArray, w: FloatArray, solver_price: FloatArray
) -> FloatArray:
    """:func:`canonical_prices` from the book's difference constraints ``t, h, w``."""
    for attempt in range(2):
        if n <= PIN_NODES:  # exact shortest paths (negative weights allowed)
            ext = _pinned_extremes(n + 1, t, h, w)
        else:  # Dijkstra after reweighting by the solver's prices (exact to their rounding)
            ext = _extremes(n + 1, t, h, w, np.append(solver_price, 0.0))
        if ext is not None or attempt:
            break
        # fills optimal only to the solver's tolerance (1e-9 of a market's scale) can
        # contradict each other by that much (a trade worth less than the tolerance left
        # undone): relax every constraint by it once before giving up
        w = w + 1e-9 * max(1.0, float(np.abs(w).max()))
    if ext is None:
        return solver_price
    # a node no arc touches (no market, or only empty orders) is priced at zero outright:
    # pinning it could not move any other node
    touched = np.zeros(n + 1, dtype=bool)
    touched[t] = True
    touched[h] = True
    low = np.where(touched[:n], ext[0][:n], 0.0)
    high = np.where(touched[:n], ext[1][:n], 0.0)
    if not np.isfinite(high - low).all():  # (low < inf and high > -inf always)
        pinned = _pin(n, t, h, w, low, high)
        if pinned is None:
            return solver_price
        low, high = pinned
    out = 0.5 * (low + high)
    # keep the solver's price wherever it is already the midpoint to rounding
    same = np.abs(out - solver_price) <= 1e-12 * np.maximum(1.0, np.abs(solver_price))
    return np.where(same, solver_price, out)


def _pin(
    n: int, t: IntArray, h: IntArray, w: FloatArray, low: FloatArray, high: FloatArray
) -> tuple[FloatArray, FloatArray] | None:
    """Extremes made finite by pinning the nodes that a side does not bound.

    A side nothing bounds: pin the price to the bounded side (an unsold offer with no
    buyer is priced at its ask, an unfilled bid with no seller at its bid), one kind of
    pin a round so each round stays feasible (solutions of difference constraints are
    closed under componentwise max and min); a node bounded on neither side (only empty
    orders and idle links) is capped at zero first. Then every extreme is finite and
    their midpoint is an equilibrium. None when the pins contradict the arcs or do not
    make every extreme finite (large books, which are not pinned).
    """
    if n > PIN_NODES:
        return None
    nodes = np.arange(n, dtype=np.int64)
    ground = np.full(n, n, dtype=np.int64)
    # pins give rounding room, or a pin at an extreme computed along another path can
    # contradict the arcs by 1e-15 (a spurious negative cycle)
    eps = 1e-12 * max(1.0, float(np.abs(w).max()) if w.size else 1.0)
    for _ in range(2 * n + 2):  # each round pins at least one more node
        fin_lo, fin_hi = np.isfinite(low), np.isfinite(high)
        if fin_lo.all() and fin_hi.all():
            return low, high
        if (pin := ~fin_lo & fin_hi).any():  # p >= high: an arc n -> ground
            tail, head, weight = nodes[pin], ground[pin], eps - high[pin]
        elif (pin := fin_lo & ~fin_hi).any():  # p <= low: an arc ground -> n
            tail, head, weight = ground[pin], nodes[pin], low[pin] + eps
        else:  # bounded on neither side: p <= 0
            pin = ~fin_lo & ~fin_hi
            tail, head, weight = ground[pin], nodes[pin], np.zeros(int(pin.sum()))
        t, h, w = np.concatenate((t, tail)), np.concatenate((h, head)), np.concatenate((w, weight))
        ext = _pinned_extremes(n + 1, t, h, w)
        if ext is None:
            return None
        low, high = ext[0][:n], ext[1][:n]
    return None


def column_prices(
    n_nodes: int,
    arcs: tuple[IntArray, IntArray],
    cols: Columns,
    value: FloatArray,
    solver_price: FloatArray,
) -> FloatArray:
    """:func:`canonical_prices` from the book's LP columns.

    ``arcs`` is :func:`column_arcs` of the book, ``cols`` its :func:`market.lp.columns`
    and ``value`` the solution's column values in that order (offer fills, bid fills,
    link flows); ``solver_price`` the solver's node prices.
    """
    cost, upper = cols[0], cols[2]
    t, h, w = _constraints(*arcs, cost, upper, np.clip(value, 0.0, upper), 1e-9)
    return _midpoints(n_nodes, t, h, w, solver_price)


def with_canonical_prices(book: OrderBook, sol: LPSolution) -> LPSolution:
    """``sol`` with :func:`canonical_prices` in place of the solver's.

    Call it on the book as solved, in per-market units (:func:`market.scaling.scale_book`):
    whether an order is filled, partly filled or not is judged to ``1e-9`` of the largest
    quantity, which is only a fine threshold when every market's quantities are near one
    (a global threshold on a book with power in TWh and chips in units would read a
    half-sold chip offer as unsold and drop its price).
    """
    value = np.concatenate((sol.offer_fill, sol.bid_fill, sol.link_flow))
    price = column_prices(book.n_nodes, column_arcs(book), columns(book), value, sol.node_price)
    return LPSolution(sol.offer_fill, sol.bid_fill, sol.link_flow, price, sol.iterations)
