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
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import NegativeCycleError, shortest_path

from market.book import OrderBook
from market.lp import LPSolution

__all__ = ["canonical_prices", "price_bounds", "with_canonical_prices"]

FloatArray = NDArray[np.float64]

PIN_NODES = 5_000
"""Largest book (nodes) solved with Bellman-Ford (O(nodes x arcs)). Larger books use
Dijkstra on arcs reweighted by the solver's prices, and keep the solver's prices if a node
is unbounded on a side."""


def _constraints(
    book: OrderBook,
    offer_fill: FloatArray,
    bid_fill: FloatArray,
    link_flow: FloatArray,
    qty_tol: float,
) -> tuple[NDArray[np.int64], NDArray[np.int64], FloatArray]:
    """Arcs ``(tail, head, weight)``, one per ``p[head] - p[tail] <= weight``; ground last."""
    o_node, o_qty, o_price = book.offers
    b_node, b_qty, b_price = book.bids
    src, dst, l_cost, l_cap = book.links
    caps = l_cap[np.isfinite(l_cap)]
    scale = max([1.0] + [float(a.max()) for a in (o_qty, b_qty, caps) if a.size])
    tol = qty_tol * scale
    g = book.n_nodes  # the ground: price zero
    tails: list[NDArray[np.int64]] = [np.zeros(0, np.int64)]
    heads: list[NDArray[np.int64]] = [np.zeros(0, np.int64)]
    weights: list[FloatArray] = [np.zeros(0)]

    def arcs(mask: NDArray[np.bool_], tail: object, head: object, w: FloatArray) -> None:
        tails.append(np.broadcast_to(np.asarray(tail, dtype=np.int64), mask.shape)[mask])
        heads.append(np.broadcast_to(np.asarray(head, dtype=np.int64), mask.shape)[mask])
        weights.append(w[mask])

    arcs(offer_fill < o_qty - tol, g, o_node, o_price)  # p[n] <= a
    arcs(offer_fill > tol, o_node, g, -o_price)  # p[n] >= a
    arcs(bid_fill < b_qty - tol, b_node, g, -b_price)  # p[n] >= v
    arcs(bid_fill > tol, g, b_node, b_price)  # p[n] <= v
    arcs(link_flow < l_cap - tol, src, dst, l_cost)  # p[d] <= p[s] + c
    arcs(link_flow > tol, dst, src, -l_cost)  # p[d] >= p[s] + c
    return np.concatenate(tails), np.concatenate(heads), np.concatenate(weights)


def _extremes(
    n: int,
    t: NDArray[np.int64],
    h: NDArray[np.int64],
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
    # parallel arcs: keep the tightest (a sparse matrix would add them up)
    key = t * n + h
    order = np.lexsort((reduced, key))
    first = np.ones(order.size, dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    keep = order[first]
    data = reduced[keep]
    data[data == 0.0] = np.finfo(float).tiny  # an explicit zero would be read as no arc
    graph = sp.csr_matrix((data, (t[keep], h[keep])), shape=(n, n))
    g = n - 1
    d_from = shortest_path(graph, method="D", directed=True, indices=g)
    d_to = shortest_path(graph.T.tocsr(), method="D", directed=True, indices=g)
    # undo the reweighting: a path's true length is its reduced length + p[end] - p[start]
    high = np.asarray(d_from, dtype=float) + potential - potential[g]
    low = -(np.asarray(d_to, dtype=float) - potential + potential[g]) + 0.0
    return low, high


def _pinned_extremes(
    n: int, t: NDArray[np.int64], h: NDArray[np.int64], w: FloatArray
) -> tuple[FloatArray, FloatArray] | None:
    """:func:`_extremes` without a known solution: Bellman-Ford (negative weights allowed)."""
    if t.size == 0:
        return np.full(n, -np.inf), np.full(n, np.inf)
    key = t * n + h
    order = np.lexsort((w, key))
    first = np.ones(order.size, dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    keep = order[first]
    data = w[keep].copy()
    data[data == 0.0] = np.finfo(float).tiny
    graph = sp.csr_matrix((data, (t[keep], h[keep])), shape=(n, n))
    try:
        high = shortest_path(graph, method="BF", directed=True, indices=n - 1)
        low = 0.0 - shortest_path(graph.T.tocsr(), method="BF", directed=True, indices=n - 1)
    except NegativeCycleError:
        return None
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


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
    t, h, w = _constraints(book, offer_fill, bid_fill, link_flow, qty_tol)
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
    n = book.n_nodes
    t, h, w = _constraints(book, offer_fill, bid_fill, link_flow, 1e-9)
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
    low, high = ext[0][:n], ext[1][:n]
    # a node no arc touches (no market, or only empty orders) is priced at zero outright:
    # pinning it could not move any other node
    isolated = np.ones(n + 1, dtype=bool)
    isolated[t] = isolated[h] = False
    low, high = np.where(isolated[:n], 0.0, low), np.where(isolated[:n], 0.0, high)
    # a side nothing bounds: pin the price to the bounded side (an unsold offer with no
    # buyer is priced at its ask, an unfilled bid with no seller at its bid), one kind of
    # pin a round so each round stays feasible (solutions of difference constraints are
    # closed under componentwise max and min); a node bounded on neither side (only empty
    # orders and idle links) is capped at zero first. Then every extreme is finite and
    # their midpoint is an equilibrium.
    nodes = np.arange(n, dtype=np.int64)
    ground = np.full(n, n, dtype=np.int64)
    # pins give rounding room, or a pin at an extreme computed along another path can
    # contradict the arcs by 1e-15 (a spurious negative cycle)
    eps = 1e-12 * max(1.0, float(np.abs(w).max()) if w.size else 1.0)
    for _ in range(2 * n + 2):  # each round pins at least one more node
        fin_lo, fin_hi = np.isfinite(low), np.isfinite(high)
        if fin_lo.all() and fin_hi.all():
            break
        if n > PIN_NODES:
            return solver_price
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
            return solver_price
        low, high = ext[0][:n], ext[1][:n]
    else:
        return solver_price
    out = 0.5 * (low + high)
    # keep the solver's price wherever it is already the midpoint to rounding
    same = np.abs(out - solver_price) <= 1e-12 * np.maximum(1.0, np.abs(solver_price))
    return np.where(same, solver_price, out)


def with_canonical_prices(book: OrderBook, sol: LPSolution) -> LPSolution:
    """``sol`` with :func:`canonical_prices` in place of the solver's.

    Call it on the book as solved, in per-market units (:func:`market.scaling.scale_book`):
    whether an order is filled, partly filled or not is judged to ``1e-9`` of the largest
    quantity, which is only a fine threshold when every market's quantities are near one
    (a global threshold on a book with power in TWh and chips in units would read a
    half-sold chip offer as unsold and drop its price).
    """
    x = np.clip(sol.offer_fill, 0.0, book.offers[1])
    y = np.clip(sol.bid_fill, 0.0, book.bids[1])
    f = np.clip(sol.link_flow, 0.0, book.links[3])
    price = canonical_prices(book, x, y, f, sol.node_price)
    return LPSolution(sol.offer_fill, sol.bid_fill, sol.link_flow, price, sol.iterations)
