"""Clear every spot market of a month in one call.

>>> import numpy as np
>>> from market.clearing import OrderBook, clear
>>> book = OrderBook(
...     n_nodes=3,
...     offer_node=[0, 0], offer_qty=[5.0, 5.0], offer_price=[10.0, 20.0],
...     bid_node=[2], bid_qty=[8.0], bid_price=[30.0],
...     link_src=[0], link_dst=[2], link_cost=[1.0], link_cap=[np.inf],
... )
>>> res = clear(book)
>>> res.offer_fill.tolist(), res.bid_fill.tolist(), res.link_flow.tolist()
([5.0, 3.0], [8.0], [8.0])
>>> res.node_price.tolist()[::2], res.welfare
([20.0, 21.0], 122.0)

Methods
-------
``"fast"`` (default)
    A compiled min-cost flow (LEMON's network simplex; OR-Tools' cost scaling as an
    alternative engine) on the book rounded to an integer grid, then HiGHS's simplex
    from the flow's network basis on the exact book (:mod:`market.mcf`). Exact on every
    book, transshipment included.
``"colgen"``
    Column generation over links (:mod:`market.colgen`): numpy screens and prices every
    link; HiGHS solves a restricted book holding a few links per buyer. Exact on every
    book; fast on bipartite books with few sellers and many buyers. On a book whose
    links enter a node that a link leaves (transshipment) it falls back to ``"lp"``
    and warns (:class:`FallbackWarning`).
``"lp"``
    The oracle: the whole LP in one HiGHS call through ``scipy.optimize.linprog``.

Every method solves the book scaled so each market's quantities and prices are near
one (:mod:`market.scaling`, exact powers of two), and maps the answer back.
:class:`market.warm.Clearer` clears a sequence of related books, re-solving each from
the previous month's basis.

Defined cases
-------------
- Empty book, or no offer priced at or below any reachable bid: nothing trades.
- Zero quantities and zero capacities are allowed and trade nothing.
- ``link_cap = np.inf``: no bound on the link.
- Ties: orders at the same node and the same price fill in book order (lowest index
  first), whatever the solver returned. The split of a quantity among equally cheap
  routes is the solver's (deterministic for a given book and method) with
  ``pattern="solver"``; with ``pattern="proportional"`` it is the optimum nearest
  proportional shares (:mod:`market.trade_pattern`, on the book with tied orders
  pooled), the same for every method.
- Prices: ``node_price[n]`` is the dual of node ``n``'s balance; where it is not
  unique (no marginal order) it is the midpoint of the range of equilibrium prices
  (:mod:`market.prices`), so every method and a warm start report the same price.
  Nodes that no order and no link touch have price ``nan`` (no market there).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from market.book import BookError, OrderBook, check_book
from market.colgen import solve_colgen
from market.compiled import clip, compiled
from market.lp import LPSolution, SolverFailure, columns, solve_lp
from market.mcf import DIRECT_LINKS, ENGINES, solve_mcf
from market.prices import with_canonical_prices
from market.scaling import book_columns, component_peaks, components, pow2_unit, scale_book
from market.tied_orders import pool_orders, tie_groups
from market.trade_pattern import NOT_APPLIED, check_pattern, proportional_pattern

__all__ = [
    "METHODS",
    "BookError",
    "ClearingResult",
    "FallbackWarning",
    "OrderBook",
    "SolverFailure",
    "clear",
    "equilibrium_violations",
    "welfare_tolerance",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Method = Literal["fast", "colgen", "lp"]
METHODS = ("fast", "colgen", "lp")


class FallbackWarning(UserWarning):
    """Column generation handed a non-bipartite book to the LP oracle, or the proportional
    trade pattern could not be applied and the solver's optimum was returned."""


@dataclass(frozen=True)
class ClearingResult:
    """Fills, flows and prices of one clearing, arrays in book order.

    Attributes
    ----------
    offer_fill, bid_fill, link_flow : ndarray
        Quantity of each offer sold, each bid bought, each link carried.
    node_price : ndarray
        Locational price at each node (``nan`` where no market exists).
    welfare : float
        ``bid_price @ bid_fill - offer_price @ offer_fill - link_cost @ link_flow``.
    method : str
        The solver that produced the result (``"fast"``, ``"colgen"``, ``"lp"``,
        ``"warm"``).
    rounds : int
        Restricted solves (``"colgen"``) or simplex iterations (the others).
    """

    offer_fill: FloatArray
    bid_fill: FloatArray
    link_flow: FloatArray
    node_price: FloatArray
    welfare: float
    method: str
    rounds: int


@compiled
def _ties_in_book_order(
    node: IntArray, price: FloatArray, qty: FloatArray, fill: FloatArray
) -> FloatArray:
    """Refill each (node, price) group lowest index first, keeping the group's total."""
    if node.size == 0:
        return np.empty(0)
    order, first = tie_groups(node, price)
    return _refilled(order, first, qty, fill)


@compiled
def _refilled(
    order: IntArray, first: NDArray[np.bool_], qty: FloatArray, fill: FloatArray
) -> FloatArray:
    """:func:`_ties_in_book_order` given the side's :func:`market.tied_orders.tie_groups`."""
    n = order.size
    out = np.empty(n)
    if n == 0:
        return out
    if first.all():  # no ties: what the refill below gives each lone order
        for i in range(n):
            out[i] = clip(fill[i] + 0.0, 0.0, qty[i])
        return out
    q_s = qty[order]
    group = np.cumsum(first) - 1
    n_groups = group[-1] + 1
    total, size = np.zeros(n_groups), np.zeros(n_groups)
    for i in range(n):  # np.bincount's order
        total[group[i]] += fill[order[i]]
        size[group[i]] += q_s[i]
    # The quantity ahead of each order in its group, summed in shares of the group's
    # quantity: a running sum over the whole book would carry the other groups' totals,
    # and a group of 1e-7 behind groups of 1e9 would be lost in their rounding.
    running, start = 0.0, 0.0  # start: ``ahead`` of the group's first order
    for i in range(n):
        g = group[i]
        share = q_s[i] / size[g] if size[g] > 0 else 0.0
        running += share
        ahead = running - share  # np.cumsum(share) - share
        if first[i]:
            start = ahead
        out[order[i]] = clip(total[g] - (ahead - start) * size[g], 0.0, q_s[i])
    return out


@compiled
def _finished(
    o_node: IntArray,
    o_qty: FloatArray,
    o_price: FloatArray,
    b_node: IntArray,
    b_qty: FloatArray,
    b_price: FloatArray,
    fill: FloatArray,
    upper: FloatArray,
    node_price: FloatArray,
    touched: NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """:func:`_finish_columns`' fills and prices: every column clipped to its bounds, each
    side's ties refilled in book order, and the prices of the touched nodes (``-0.0`` as
    ``0.0``), ``nan`` elsewhere."""
    clipped = np.empty(fill.size)
    for j in range(fill.size):
        clipped[j] = clip(fill[j], 0.0, upper[j])
    n_o, ob = o_node.size, o_node.size + b_node.size
    offer_fill = _ties_in_book_order(o_node, o_price, o_qty, clipped[:n_o])
    bid_fill = _ties_in_book_order(b_node, b_price, b_qty, clipped[n_o:ob])
    price = np.empty(node_price.size)
    for i in range(node_price.size):
        price[i] = node_price[i] + 0.0 if touched[i] else np.nan
    return offer_fill, bid_fill, clipped[ob:], price


def _finish_columns(
    book: OrderBook,
    fill: FloatArray,
    upper: FloatArray,
    node_price: FloatArray,
    method: str,
    rounds: int,
    touched: NDArray[np.bool_] | None = None,
) -> ClearingResult:
    """The result of a solve: fills clipped to their bounds, ties in book order, prices.

    ``fill`` and ``upper`` hold every column of the book's LP (offers, bids, links;
    :func:`market.lp.columns`) in book units; ``touched`` marks the nodes that an
    order or a link touches (computed if not given). Prices are ``nan`` elsewhere.
    """
    o_node, o_qty, o_price = book.offers
    b_node, b_qty, b_price = book.bids
    src, dst, l_cost, _ = book.links
    if touched is None:
        touched = np.zeros(book.n_nodes, dtype=bool)
        for ids in (o_node, b_node, src, dst):
            touched[ids] = True
    offer_fill, bid_fill, link_flow, price = _finished(
        o_node, o_qty, o_price, b_node, b_qty, b_price, fill, upper, node_price, touched
    )
    welfare = float(b_price @ bid_fill - o_price @ offer_fill - l_cost @ link_flow)
    return ClearingResult(offer_fill, bid_fill, link_flow, price, welfare, method, rounds)


def _finish(book: OrderBook, sol: LPSolution, method: str) -> ClearingResult:
    fill = np.concatenate((sol.offer_fill, sol.bid_fill, sol.link_flow))
    upper = np.concatenate((book.offers[1], book.bids[1], book.links[3]))
    return _finish_columns(book, fill, upper, sol.node_price, method, sol.iterations)


def clear(
    book: OrderBook,
    method: Method = "fast",
    *,
    tuning: Mapping[str, Any] | None = None,
    pattern: str = "solver",
) -> ClearingResult:
    """Clear every market in ``book`` at maximum welfare; see the module docstring.

    Parameters
    ----------
    book : OrderBook
        Offers, bids and links (validated on construction).
    method : {"fast", "colgen", "lp"}
        Solver; all give the same welfare and feasible fills.
    tuning : mapping, optional
        Keyword arguments for the solver: :func:`market.mcf.solve_mcf`
        (``direct_links``, ``engine``: ``"lemon"`` or ``"ortools"``) or
        :func:`market.colgen.solve_colgen` (``per_buyer``,
        ``add_per_buyer``, ``direct_links``, ``sample_links``). They change speed
        only; tests use them to run every path on books small enough for the oracle.
    pattern : {"solver", "proportional"}
        Which optimum to return when the book has several: the solver's, which can
        differ between methods, or the one nearest proportional shares
        (:func:`market.trade_pattern.proportional_pattern`), the same for every method.

    Raises
    ------
    BookError
        If ``book`` is not an :class:`~market.book.OrderBook`, ``method`` is unknown, or
        ``tuning`` is given for ``"lp"``.
    market.trade_pattern.PatternError
        If ``pattern`` is unknown.
    """
    check_book(book, "clear")
    check_pattern(pattern, "clear")
    if method not in METHODS:
        raise BookError(f"method = {method!r}: unknown; use 'fast' (default), 'colgen' or 'lp'")
    if tuning and method == "lp":
        raise BookError(f"tuning = {dict(tuning)!r}: the oracle has none; drop it")
    if book.n_offers + book.n_bids + book.n_links == 0:
        nothing = LPSolution(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(book.n_nodes), 0)
        return _finish(book, nothing, method)
    if method == "colgen" and not book.is_bipartite():
        warnings.warn(
            "book has links into nodes that links leave (transshipment); "
            "clearing it with method='lp'",
            FallbackWarning,
            stacklevel=2,
        )
        method = "lp"
    scaled, units = scale_book(book)
    if method == "fast":
        opts = dict(tuning or {})
        direct = int(opts.pop("direct_links", DIRECT_LINKS))
        engine = opts.pop("engine", "lemon")
        if opts or engine not in ENGINES:
            raise BookError(
                f"tuning = {dict(tuning or {})!r}: method='fast' takes direct_links and "
                f"engine (one of {ENGINES})"
            )
        sol = solve_mcf(scaled, direct_links=direct, engine=engine)
    elif method == "colgen":
        sol = solve_colgen(scaled, **(tuning or {}))
    else:
        sol = solve_lp(scaled)
    priced = with_canonical_prices(scaled, sol)
    if pattern == "proportional":
        priced = _proportional(scaled, priced)
    return _finish(book, units.unscale(priced, book), method)


def _proportional(scaled: OrderBook, sol: LPSolution) -> LPSolution:
    """``sol`` moved to :func:`market.trade_pattern.proportional_pattern`'s optimum, taken
    on the book with tied orders pooled (:mod:`market.tied_orders`), as the warm
    :class:`market.warm.Clearer` takes it."""
    value = np.concatenate((sol.offer_fill, sol.bid_fill, sol.link_flow))
    pooled = pool_orders(scaled)
    book = scaled if pooled is None else pooled.book
    if pooled is not None:
        value = pooled.gather(value)
    n_ob = book.n_offers + book.n_bids
    x, applied = proportional_pattern(book.n_nodes, columns(book), value, sol.node_price, n_ob)
    if not applied:
        warnings.warn(NOT_APPLIED, FallbackWarning, stacklevel=3)
    if pooled is not None:
        x = pooled.spread(scaled, x)
    n_o, n_ob = scaled.n_offers, scaled.n_offers + scaled.n_bids
    return LPSolution(x[:n_o], x[n_o:n_ob], x[n_ob:], sol.node_price, sol.iterations)


def equilibrium_violations(
    book: OrderBook,
    res: ClearingResult,
    *,
    price_tol: float | None = None,
    qty_tol: float = 1e-9,
    label: IntArray | None = None,
) -> list[str]:
    """Ways in which ``res`` fails to be a competitive equilibrium of ``book``.

    Checks feasibility (bounds and node balances) and complementary slackness at the
    node prices: an offer priced below its node's price is fully filled and one above
    is not; bids likewise; a link whose price difference exceeds its cost is at capacity
    and one below it carries nothing. Returns an empty list when ``res`` is an
    equilibrium.

    Each market is judged at its own scale. A book holds several markets in different
    units (power in MWh at tens of dollars, chips in units at tens of thousands, compute
    in H100e-hours at a few dollars), and one threshold from the largest number of the
    whole book would let an error that is large for one market pass under another
    market's scale. The markets are the connected components of the link graph
    (:func:`market.scaling.components`, those the solvers scale by), and an order, a
    link or a node balance is judged in its own component: quantities to ``qty_tol``
    times the component's largest quantity or finite capacity, or the quantity unit the
    solvers scale it by if larger (:func:`market.scaling.column_units`, the power of two
    nearest that quantity, up to ``sqrt(2)`` times it: the solver's tolerance is in that
    unit), at least 1 (a node's
    balance to that times the number of orders and links at the node, each a term of its
    sum that can be off by the solver's tolerance),
    prices to ``price_tol``, by default ``1e-7`` times the component's largest absolute
    price or link cost (at least 1). A ``price_tol`` given is absolute, for every market.
    ``label``: the book's components if already at hand (:attr:`market.warm.Clearer.labels`
    after clearing it), which spares computing them again.
    """
    o_node, o_qty, o_price = book.offers
    b_node, b_qty, b_price = book.bids
    src, dst, l_cost, l_cap = book.links
    if label is None or label.size != book.n_nodes:
        label = components(book)
    q_peak, p_peak = component_peaks(label, *book_columns(book))
    q_scale = np.maximum(q_peak, pow2_unit(q_peak))  # the solver's unit can be sqrt(2) x
    qtol = qty_tol * np.maximum(q_scale, 1.0)[label]  # per node: its market's
    if price_tol is None:
        ptol = 1e-7 * np.maximum(p_peak, 1.0)[label]
    else:
        ptol = np.full(book.n_nodes, float(price_tol))
    out: list[str] = []

    def report(mask: NDArray[np.bool_], what: str) -> None:
        if mask.any():
            out.append(f"{what}: {int(mask.sum())} (first at index {int(np.flatnonzero(mask)[0])})")

    x, y, f, p = res.offer_fill, res.bid_fill, res.link_flow, res.node_price
    qo, qb, ql = qtol[o_node], qtol[b_node], qtol[src]  # a link's ends share a market
    po, pb, pl = ptol[o_node], ptol[b_node], ptol[src]
    report((x < -qo) | (x > o_qty + qo), "offer fill outside [0, qty]")
    report((y < -qb) | (y > b_qty + qb), "bid fill outside [0, qty]")
    report((f < -ql) | (f > l_cap + ql), "link flow outside [0, cap]")
    balance = np.zeros(book.n_nodes)
    terms = np.zeros(book.n_nodes)
    for ids, qty, sign in ((o_node, x, 1.0), (b_node, y, -1.0), (dst, f, 1.0), (src, f, -1.0)):
        np.add.at(balance, ids, sign * qty)
        np.add.at(terms, ids, 1.0)
    report(np.abs(balance) > qtol * np.maximum(terms, 1.0), "node out of balance")
    report((o_price < p[o_node] - po) & (x < o_qty - qo), "offer below price not filled")
    report((o_price > p[o_node] + po) & (x > qo), "offer above price filled")
    report((b_price > p[b_node] + pb) & (y < b_qty - qb), "bid above price not filled")
    report((b_price < p[b_node] - pb) & (y > qb), "bid below price filled")
    spread = p[dst] - p[src] - l_cost
    report((spread > pl) & (f < l_cap - ql), "profitable link below capacity")
    report((spread < -pl) & (f > ql), "unprofitable link carries flow")
    return out


def welfare_tolerance(book: OrderBook, welfare: float) -> float:
    """How far two optimal welfares of ``book`` may differ: 1e-6 relative, plus what the
    solvers' dual tolerance (1e-9 of the price scale per unit, :data:`market.highs.TOLERANCE`
    on the scaled book) allows on the book's whole volume. Every method's welfare is the
    oracle's to this (the tests' promise, and :mod:`benchmarks.clearing_stress`'s check)."""
    volume = float(np.sum(book.offers[1]) + np.sum(book.bids[1]))
    return 1e-6 * max(1.0, abs(welfare)) + 1e-9 * book.price_scale() * volume
