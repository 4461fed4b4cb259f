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

Books of up to :data:`BELLMAN_FORD_NODES` nodes get the extremes from Bellman-Ford
(:mod:`market.bellman`), which takes negative weights, and the pins from
:mod:`market.pins`, all in one compiled loop; given the order of the arcs the book's
columns can give (:func:`arc_order`, which :class:`market.warm.Clearer` keeps while a
layout stays the same, for months in a model's run), :func:`column_prices` reads the
book's merged arcs off it in one pass. Larger books get them from Dijkstra's algorithm
(Cormen et al., section 24.3) on the arcs reweighted by a known solution, the solver's
prices (Johnson's reweighting, section 25.3), pins included (:func:`_reweighted_bounds`),
and from Bellman-Ford only when that solution fails the constraints by more than
rounding (on books of up to :data:`FALLBACK_NODES` nodes; a larger one then keeps the
solver's prices).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from market.bellman import by_tail_then_head, merged_graph, merged_in_order, merged_searches
from market.book import OrderBook
from market.compiled import clip, compiled, maximum
from market.lp import Columns, LPSolution, columns
from market.pins import FLOORS, NO_PINS, bellman_ford_bounds, pin_room, pins, touched

__all__ = [
    "BELLMAN_FORD_NODES",
    "FALLBACK_NODES",
    "arc_order",
    "canonical_prices",
    "column_arcs",
    "column_prices",
    "price_bounds",
    "with_canonical_prices",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

BELLMAN_FORD_NODES = 500
"""Largest book (nodes) whose price ranges come from Bellman-Ford alone.

Bellman-Ford needs no known solution but costs up to nodes x arcs steps a search (when
its passes do not settle early, :mod:`market.bellman`). Larger books use
Dijkstra on reweighted arcs (:func:`_reweighted_bounds`, arcs x log(nodes) a search),
whose prices agree with Bellman-Ford's to rounding, not to the last bit. The model's
monthly books have at most 137 nodes in every shipped scenario, so their prices stay
Bellman-Ford's bit for bit (``benchmarks/same_numbers.py`` compares whole runs), with
room for books three times larger."""

FALLBACK_NODES = 5_000
"""Largest book (nodes) sent to Bellman-Ford when the solver's prices fail the
constraints by more than rounding (:func:`_reweighted_bounds` gives up). Bellman-Ford
runs up to nodes x arcs steps a search (2.5e8 at 2,540 nodes and 100k links, over 1e11
on a book of a million links); a larger book keeps the solver's prices, an equilibrium
to the solver's tolerance."""


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
    scaled: bool = False,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Arcs ``(tail, head, weight)``, one per ``p[head] - p[tail] <= weight``.

    ``tail``, ``head`` are :func:`column_arcs`, ``cost`` and ``upper`` the columns' costs
    and upper bounds (:func:`market.lp.columns`), ``value`` their values. A column can
    grow when it is below its bound by more than ``qty_tol`` times the book's largest
    quantity or finite capacity (at least one), and shrink when above zero by as much.
    ``scaled``: the columns are in per-market units (:func:`market.scaling.scale_book`), and
    ``qty_tol`` is taken in those units, as the solver's tolerance is.
    """
    peak = 1.0 if scaled else float(np.max(upper, initial=1.0, where=upper < np.inf))
    return _arcs(tail, head, cost, upper, value, qty_tol * peak)


@compiled
def _arcs(
    tail: IntArray,
    head: IntArray,
    cost: FloatArray,
    upper: FloatArray,
    value: FloatArray,
    tol: float,
) -> tuple[IntArray, IntArray, FloatArray]:
    """:func:`_constraints` with the tolerance in the columns' units: first the arcs of the
    columns that can grow, then of those that can shrink, each in column order."""
    grow, shrink = value < upper - tol, value > tol
    n_grow, n_shrink = np.count_nonzero(grow), np.count_nonzero(shrink)
    t, h = np.empty(n_grow + n_shrink, np.int64), np.empty(n_grow + n_shrink, np.int64)
    w = np.empty(n_grow + n_shrink)
    k, m = 0, n_grow
    for j in range(tail.size):
        if grow[j]:
            t[k], h[k], w[k] = tail[j], head[j], cost[j]
            k += 1
        if shrink[j]:
            t[m], h[m], w[m] = head[j], tail[j], -cost[j]
            m += 1
    return t, h, w


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


def _reduced_weights(
    t: IntArray, h: IntArray, w: FloatArray, potential: FloatArray
) -> FloatArray | None:
    """Weights of the arcs reweighted by ``potential``, a solution (ground last, at 0).

    ``w + potential[t] - potential[h]`` is at least zero on every arc exactly when
    ``potential`` solves the constraints (Johnson's reweighting; Cormen et al., section
    25.3); a path's reweighted length is its length plus ``potential`` at its start less
    at its end. Weights below zero by rounding (``1e-7`` of the largest weight or price)
    are read as zero; by more, ``potential`` is no solution: ``None``.
    """
    reduced = w + potential[t] - potential[h]
    slack = 1e-7 * max(1.0, float(np.abs(w).max()), float(np.abs(potential).max()))
    if reduced.min() < -slack:
        return None
    return np.maximum(reduced, 0.0)


def _highest(
    n: int, t: IntArray, h: IntArray, reduced: FloatArray, potential: FloatArray
) -> FloatArray:
    """Highest solution (distances from the ground, node ``n - 1``) by Dijkstra on the
    reweighted arcs, the reweighting undone."""
    g = n - 1
    dist = dijkstra(merged_graph(n, t, h, reduced), directed=True, indices=g)
    high: FloatArray = np.asarray(dist, dtype=float) + potential - potential[g]
    return high


def _lowest(
    n: int, t: IntArray, h: IntArray, reduced: FloatArray, potential: FloatArray
) -> FloatArray:
    """Lowest solution (minus the distances to the ground, node ``n - 1``) by Dijkstra on
    the reweighted arcs reversed, the reweighting undone."""
    g = n - 1
    dist = dijkstra(merged_graph(n, h, t, reduced), directed=True, indices=g)
    low: FloatArray = -(np.asarray(dist, dtype=float) - potential + potential[g]) + 0.0
    return low


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
    (:func:`_reduced_weights`). ``None`` when ``potential`` is not a solution.
    """
    if t.size == 0:
        return np.full(n, -np.inf), np.full(n, np.inf)
    potential = np.where(np.isfinite(potential), potential, 0.0)  # nodes with no market
    reduced = _reduced_weights(t, h, w, potential)
    if reduced is None:
        return None
    return _lowest(n, t, h, reduced, potential), _highest(n, t, h, reduced, potential)


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


def _midpoints(
    n: int, t: IntArray, h: IntArray, w: FloatArray, solver_price: FloatArray
) -> FloatArray:
    """:func:`canonical_prices` from the book's difference constraints ``t, h, w``.

    Books above :data:`BELLMAN_FORD_NODES` nodes try :func:`_reweighted_bounds` first;
    the rest, and those up to :data:`FALLBACK_NODES` whose solver prices fail the
    constraints, get :func:`_bellman_ford_bounds`; a larger book whose solver prices fail
    them keeps the solver's prices.
    """
    bounds = None
    if n > BELLMAN_FORD_NODES:
        bounds = _reweighted_bounds(n, t, h, w, solver_price)
    if bounds is None and n <= FALLBACK_NODES:
        bounds = _bellman_ford_bounds(n, t, h, w)
    if bounds is None:
        return solver_price
    return _midpoint(bounds[0], bounds[1], solver_price)


@compiled
def _midpoint(low: FloatArray, high: FloatArray, solver_price: FloatArray) -> FloatArray:
    """The midpoint of each node's range, or the solver's price wherever it is already
    that midpoint to rounding (``1e-12`` of the price, at least of one)."""
    out = np.empty(solver_price.size)
    for i in range(solver_price.size):
        mid = 0.5 * (low[i] + high[i])
        keep = abs(mid - solver_price[i]) <= 1e-12 * maximum(1.0, abs(solver_price[i]))
        out[i] = solver_price[i] if keep else mid
    return out


def _bellman_ford_bounds(
    n: int, t: IntArray, h: IntArray, w: FloatArray
) -> tuple[FloatArray, FloatArray] | None:
    """:func:`market.pins.bellman_ford_bounds`, None where the constraints contradict
    each other."""
    low, high, ok = bellman_ford_bounds(n, t, h, w)
    return (low, high) if ok else None


def _reweighted_bounds(
    n: int, t: IntArray, h: IntArray, w: FloatArray, solver_price: FloatArray
) -> tuple[FloatArray, FloatArray] | None:
    """:func:`_bellman_ford_bounds` by Dijkstra's algorithm, from the solver's prices.

    The same extremes and pins, each search on the arcs reweighted by a solution
    (:func:`_reduced_weights`): first the solver's prices ``potential`` (ground 0), then
    after each round of pins a solution of the pinned constraints built from the last
    extremes. Let ``low`` and ``high`` be the least and greatest solutions before the
    round (infinite where unbounded) and ``potential`` a finite solution, all three 0 at
    the ground. Arc constraints ``p[j] - p[i] <= w`` hold for any shift of a solution, and
    for the componentwise minimum and maximum of two solutions
    (``min(a, b)[j] <= min(a[i], b[i]) + w``), also with infinite entries; and
    ``min(high, potential + c)`` and ``max(low, potential - c)`` are 0 at the ground for
    any ``c >= 0``. So

    - floors ``p[v] >= f[v]`` (with ``f[v] = high[v] - eps <= high[v]``): the new potential
      ``min(high, potential + c)`` with ``c = max(0, max(f - potential))`` over the pinned
      nodes solves the old constraints, is finite, and at a pinned node is at least
      ``min(high[v], f[v]) = f[v]``: it solves the pinned constraints;
    - caps ``p[v] <= u[v]`` (with ``u[v] = low[v] + eps``, or 0 where ``low[v] = -inf``): the
      new potential ``max(low, potential - c)`` with ``c = max(0, max(potential - u))``
      likewise, at most ``max(low[v], u[v]) = u[v]`` at a pinned node.

    A round also changes one side only: a floor ``v -> ground`` of weight
    ``eps - high[v]`` closes a walk from the ground into a cycle of length at least
    ``eps > 0``, so it shortens no distance from the ground (``high``) and only ``low`` is
    searched again; a cap ``ground -> v`` of weight ``u[v] >= low[v]`` likewise closes a
    cycle of length ``u[v] - low[v] >= 0`` (none where ``low[v] = -inf``: no path leads
    from ``v`` to the ground) and only ``high`` is searched again.

    The argument is exact; computed extremes solve the constraints to rounding, which
    :func:`_reduced_weights` tolerates. None (then the caller uses Bellman-Ford) when the
    solver's prices or a potential fail the constraints by more.
    """
    if t.size == 0:
        return np.zeros(n), np.zeros(n)
    potential = np.append(np.where(np.isfinite(solver_price), solver_price, 0.0), 0.0)
    ext = _extremes(n + 1, t, h, w, potential)
    if ext is None:
        return None
    near = touched(n, t, h)
    low, high = np.where(near, ext[0][:n], 0.0), np.where(near, ext[1][:n], 0.0)
    eps = pin_room(w)
    for _ in range(2 * n + 2):  # each round pins at least one more node
        tail, head, weight, kind = pins(low, high, eps)
        if kind == NO_PINS:
            return low, high
        floors = kind == FLOORS
        if floors:  # p[tail] >= -weight
            c = max(0.0, float(np.max(-weight - potential[tail])))
            potential = np.minimum(np.append(high, 0.0), potential + c)
        else:  # p[head] <= weight
            c = max(0.0, float(np.max(potential[head] - weight)))
            potential = np.maximum(np.append(low, 0.0), potential - c)
        t, h, w = np.concatenate((t, tail)), np.concatenate((h, head)), np.concatenate((w, weight))
        reduced = _reduced_weights(t, h, w, potential)
        if reduced is None:
            return None
        if floors:
            low = np.where(near, _lowest(n + 1, t, h, reduced, potential)[:n], 0.0)
        else:
            high = np.where(near, _highest(n + 1, t, h, reduced, potential)[:n], 0.0)
    return None


def column_prices(
    n_nodes: int,
    arcs: tuple[IntArray, IntArray],
    cols: Columns,
    value: FloatArray,
    solver_price: FloatArray,
    order: IntArray | None = None,
) -> FloatArray:
    """:func:`canonical_prices` from the book's LP columns, in per-market units.

    ``arcs`` is :func:`column_arcs` of the book, ``cols`` its :func:`market.lp.columns`
    scaled per market (:func:`market.scaling.scale_book`) and ``value`` the solution's
    column values in that order (offer fills, bid fills, link flows); ``solver_price``
    the solver's node prices. Whether a column is at a bound is judged to ``1e-9`` of its
    market's unit, the solver's tolerance: a column off its bound by less is one the
    solver itself could leave there, and :func:`market.clearing.equilibrium_violations`
    judges it to at least as much. ``order``: :func:`arc_order` of ``arcs``, if the caller
    keeps it (the same prices, to the bit, in fewer steps).
    """
    cost, upper = cols[0], cols[2]
    if n_nodes <= BELLMAN_FORD_NODES:
        if order is None:
            return _bellman_ford_prices(n_nodes, *arcs, cost, upper, value, solver_price)
        return _sorted_prices(n_nodes, *arcs, order, cost, upper, value, solver_price)
    t, h, w = _constraints(*arcs, cost, upper, np.clip(value, 0.0, upper), 1e-9, scaled=True)
    return _midpoints(n_nodes, t, h, w, solver_price)


@compiled
def arc_order(n: int, tail: IntArray, head: IntArray) -> IntArray:
    """Every arc a column of a book of ``n`` nodes can give (column ``j``'s when it can
    grow as ``j``, when it can shrink as ``J + j``, ``J`` columns, :func:`_arcs`) in the
    order of their tails, then heads (:func:`market.bellman.by_tail_then_head` over the
    nodes and the ground); empty if a node is out of range. ``tail, head``:
    :func:`column_arcs`. It depends on the book's layout only: :class:`market.warm.Clearer`
    keeps it while the layout stays the same and passes it to :func:`column_prices`."""
    return by_tail_then_head(n + 1, np.concatenate((tail, head)), np.concatenate((head, tail)))


@compiled
def _sorted_prices(
    n: int,
    tail: IntArray,
    head: IntArray,
    order: IntArray,
    cost: FloatArray,
    upper: FloatArray,
    value: FloatArray,
    solver_price: FloatArray,
) -> FloatArray:
    """:func:`_bellman_ford_prices`, given :func:`arc_order` of ``tail, head``.

    The merged arcs (:func:`market.bellman.merged_graph`'s) are read off the arcs the
    columns give in that order, as the constraints would be merged
    (:func:`market.bellman.merged_in_order` of those the columns' values allow,
    :func:`_arcs`). Where a cost is nan, the constraints contradict each
    other or a node's range is open on a side (pins needed), or the order is empty, it is
    :func:`_bellman_ford_prices` itself.
    """
    m = tail.size
    nan = order.size != 2 * m
    for j in range(m):
        nan = nan or np.isnan(cost[j])
    if nan:
        return _bellman_ford_prices(n, tail, head, cost, upper, value, solver_price)
    tol = 1e-9
    t, h = np.empty(2 * m, np.int64), np.empty(2 * m, np.int64)  # arc_order's arcs
    w, allowed = np.empty(2 * m), np.empty(2 * m, np.bool_)
    for j in range(m):
        x = clip(value[j], 0.0, upper[j])
        t[j], h[j], w[j], allowed[j] = tail[j], head[j], cost[j], x < upper[j] - tol
        t[m + j], h[m + j], w[m + j], allowed[m + j] = head[j], tail[j], -cost[j], x > tol
    tails, heads, weights = merged_in_order(n + 1, t, h, w, order, allowed)
    k = tails.size
    if k == 0:
        return _bellman_ford_prices(n, tail, head, cost, upper, value, solver_price)
    d_from, d_to, ok = merged_searches(n + 1, tails, heads, weights, n)
    if not ok:
        return _bellman_ford_prices(n, tail, head, cost, upper, value, solver_price)
    near = np.zeros(n + 1, np.bool_)
    for i in range(k):
        near[tails[i]] = True
        near[heads[i]] = True
    low, high = np.empty(n), np.empty(n)
    for i in range(n):
        low[i] = 0.0 - d_to[i] if near[i] else 0.0
        high[i] = d_from[i] if near[i] else 0.0
        if not (np.isfinite(low[i]) and np.isfinite(high[i])):
            return _bellman_ford_prices(n, tail, head, cost, upper, value, solver_price)
    return _midpoint(low, high, solver_price)


@compiled
def _bellman_ford_prices(
    n: int,
    tail: IntArray,
    head: IntArray,
    cost: FloatArray,
    upper: FloatArray,
    value: FloatArray,
    solver_price: FloatArray,
) -> FloatArray:
    """:func:`column_prices` of a book of up to :data:`BELLMAN_FORD_NODES` nodes in one
    compiled call: the constraints at the clipped values, Bellman-Ford's bounds, and
    :func:`_midpoints`' midpoint (the solver's prices where the constraints contradict
    each other)."""
    clipped = np.empty(value.size)
    for j in range(value.size):
        clipped[j] = clip(value[j], 0.0, upper[j])
    t, h, w = _arcs(tail, head, cost, upper, clipped, 1e-9)
    low, high, ok = bellman_ford_bounds(n, t, h, w)
    if not ok:
        return solver_price.copy()
    return _midpoint(low, high, solver_price)


def with_canonical_prices(book: OrderBook, sol: LPSolution) -> LPSolution:
    """``sol`` with :func:`canonical_prices` in place of the solver's.

    Call it on the book as solved, in per-market units (:func:`market.scaling.scale_book`):
    whether an order is filled, partly filled or not is judged to ``1e-9`` of one unit
    (:func:`column_prices`), which is only a fine threshold when every market's quantities
    are near one (a global threshold on a book with power in TWh and chips in units would
    read a half-sold chip offer as unsold and drop its price).
    """
    value = np.concatenate((sol.offer_fill, sol.bid_fill, sol.link_flow))
    price = column_prices(book.n_nodes, column_arcs(book), columns(book), value, sol.node_price)
    return LPSolution(sol.offer_fill, sol.bid_fill, sol.link_flow, price, sol.iterations)
