"""Canonical prices: the midpoint of each node's range of equilibrium prices.

Checked by hand on small books, and on random books against an independent oracle: the
dual LP restricted to its optimal face, minimising and maximising each node's price
(``scipy.optimize.linprog``), which knows nothing of the fills. Books above
``BELLMAN_FORD_NODES`` take Dijkstra's algorithm instead of Bellman-Ford: with the bound
lowered, random books get the prices of the Bellman-Ford path from it alone, pins
included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.optimize import linprog

import market.prices
from market.clearing import METHODS, ClearingResult, OrderBook, clear, equilibrium_violations
from market.lp import columns, solve_lp
from market.prices import canonical_prices, price_bounds
from market.warm import Clearer
from tests.market.conftest import random_seller_buyer_book
from tests.market.strategies import bipartite_books


@pytest.mark.parametrize("method", METHODS)
def test_one_market_with_no_marginal_order_prices_at_the_midpoint(method: str) -> None:
    # 10 units offered at $1, 10 wanted at $3: all trade, and any price in [1, 3] clears;
    # the market reports the midpoint, $2, whichever solver cleared it
    book = OrderBook(1, [0], [10.0], [1.0], [0], [10.0], [3.0])
    res = clear(book, method=method)
    assert res.bid_fill.tolist() == [10.0] and res.node_price.tolist() == [2.0]


def test_a_link_couples_the_ranges_of_its_two_ends() -> None:
    # seller node 0 (10 @ $1), buyer node 1 (10 @ $5), link 0 -> 1 costing $1, no cap:
    # p1 = p0 + 1 (the link carries flow below capacity), p0 in [1, 4], so p0 = 2.5, p1 = 3.5
    book = OrderBook(2, [0], [10.0], [1.0], [1], [10.0], [5.0], [0], [1], [1.0], [np.inf])
    res = clear(book)
    assert res.node_price.tolist() == pytest.approx([2.5, 3.5])
    # a marginal order fixes the price: 4 more units at $2 leave 4 of them unsold, p0 = 2
    book = OrderBook(
        2, [0, 0], [10.0, 8.0], [1.0, 2.0], [1], [14.0], [5.0], [0], [1], [1.0], [np.inf]
    )
    assert clear(book).node_price.tolist() == pytest.approx([2.0, 3.0])


def _oracle_range(book: OrderBook, welfare: float, node: int) -> tuple[float, float]:
    """Min and max of ``p[node]`` over optimal solutions of the clearing's dual LP."""
    o_node, o_qty, o_price = book.offers
    b_node, b_qty, b_price = book.bids
    src, dst, l_cost, l_cap = book.links
    n, no, nb, nl = book.n_nodes, book.n_offers, book.n_bids, book.n_links
    width = n + no + nb + nl  # p, then s (offers), t (bids), r (links)
    rows, rhs = [], []
    for k in range(no):  # p[n] - s <= a
        row = np.zeros(width)
        row[o_node[k]], row[n + k] = 1.0, -1.0
        rows.append(row), rhs.append(o_price[k])
    for k in range(nb):  # -p[n] - t <= -v
        row = np.zeros(width)
        row[b_node[k]], row[n + no + k] = -1.0, -1.0
        rows.append(row), rhs.append(-b_price[k])
    for k in range(nl):  # p[d] - p[s] - r <= c
        row = np.zeros(width)
        row[dst[k]] += 1.0
        row[src[k]] -= 1.0
        row[n + no + nb + k] = -1.0
        rows.append(row), rhs.append(l_cost[k])
    finite = np.where(np.isfinite(l_cap), l_cap, 0.0)
    objective = np.concatenate([np.zeros(n), o_qty, b_qty, finite])
    rows.append(objective), rhs.append(welfare + 1e-11 * max(1.0, abs(welfare)))
    bounds = [(None, None)] * n + [(0, None)] * (no + nb)
    bounds += [(0, 0) if np.isinf(c) else (0, None) for c in l_cap]
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(width)
        c[node] = sign
        lp = linprog(c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
        out.append(sign * lp.fun if lp.status == 0 else -sign * np.inf)
    return out[0], out[1]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bipartite_books())
def test_price_ranges_match_the_dual_lp_and_every_solver_reports_the_same_price(
    book: OrderBook,
) -> None:
    ref = clear(book, method="lp")
    assert equilibrium_violations(book, ref) == []
    bounds = price_bounds(book, ref.offer_fill, ref.bid_fill, ref.link_flow, ref.node_price)
    assert bounds is not None
    scale = max(1.0, book.price_scale())
    for node in range(book.n_nodes):
        lo, hi = _oracle_range(book, ref.welfare, node)
        assert bounds[0][node] == pytest.approx(lo, abs=1e-5 * scale)
        assert bounds[1][node] == pytest.approx(hi, abs=1e-5 * scale)
    # the same prices from every method and from a warm start after another book
    warm = Clearer(direct_links=0)
    warm.clear(OrderBook(book.n_nodes, [0], [1.0], [1.0], [0], [1.0], [2.0]))
    for res in [clear(book, method=m) for m in METHODS] + [warm.clear(book)]:
        np.testing.assert_allclose(res.node_price, ref.node_price, rtol=1e-6, atol=1e-6 * scale)


def test_a_small_market_beside_a_huge_one_keeps_its_marginal_price() -> None:
    # power in MWh (1e12 traded at node 0, any price in [1, 3]: midpoint 2) beside chips in
    # units (node 1: 23 offered at $2.79M, 11.5 wanted at $5M: the offer is marginal, so
    # the price is its ask exactly). Judged against one threshold for the whole book
    # (1e-9 of 1e12 = 1,000 units), the chip offer would read as unsold and lose its price.
    book = OrderBook(2, [0, 1], [1e12, 23.0], [1.0, 2.79e6], [0, 1], [1e12, 11.5], [3.0, 5e6])
    for res in (clear(book), clear(book, method="lp"), Clearer().clear(book)):
        assert res.bid_fill.tolist() == [1e12, 11.5]
        assert res.node_price.tolist() == [2.0, 2.79e6]


@contextmanager
def dijkstra_only() -> Iterator[None]:
    """Every book above zero nodes on the Dijkstra path, with no Bellman-Ford to fall back on."""

    def no_fallback(*args: object) -> None:
        raise AssertionError("the Dijkstra path fell back to Bellman-Ford")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(market.prices, "BELLMAN_FORD_NODES", 0)
        patch.setattr(market.prices, "_bellman_ford_bounds", no_fallback)
        yield


def assert_same_prices(book: OrderBook, got: np.ndarray, want: np.ndarray) -> None:
    """The same prices to 1e-9 relative (of the book's price scale near zero)."""
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    scale = max(1.0, book.price_scale())
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bipartite_books())
def test_the_dijkstra_path_gives_the_prices_of_the_bellman_ford_path(book: OrderBook) -> None:
    want = clear(book)  # a few nodes: Bellman-Ford
    with dijkstra_only():
        got = clear(book)
    assert equilibrium_violations(book, got) == []
    assert_same_prices(book, got.node_price, want.node_price)


def book_needing_pins(seed: int) -> OrderBook:
    """A random bipartite book of 175 nodes that needs every kind of pin.

    Sellers 0..59 (two offers each), buyers 60..159 (two bids each), prices and link
    costs in whole dollars (ties: many nodes with no marginal order). Sellers 45..59 have
    no links and buyers 145..159 none either (an unsold offer with no buyer: unbounded
    below; an unfilled bid with no seller: unbounded above); nodes 160..169 are linked in
    pairs without orders (unbounded on both sides); nodes 170..174 have empty orders only.
    """
    return random_seller_buyer_book(
        np.random.default_rng(seed), 60, 100, 3, offers=2, bids=2, offer_qty=(1, 10),
        link_cap=(1, 5), whole=True, linked=(45, 85), pairs=5, idle=5,
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_the_dijkstra_path_pins_a_book_above_the_bound_whichever_solver_cleared_it(
    seed: int,
) -> None:
    book = book_needing_pins(seed)
    want = clear(book)
    bounds = price_bounds(book, want.offer_fill, want.bid_fill, want.link_flow, want.node_price)
    assert bounds is not None
    low, high = bounds
    for unbounded in (np.isinf(low) & np.isfinite(high), np.isfinite(low) & np.isinf(high)):
        assert unbounded.any()  # every kind of pin is needed
    assert (np.isinf(low) & np.isinf(high))[160:170].all()
    with dijkstra_only():
        for got in [clear(book, method=m) for m in METHODS] + [Clearer().clear(book)]:
            assert equilibrium_violations(book, got) == []
            assert_same_prices(book, got.node_price, want.node_price)
        fills = want.offer_fill, want.bid_fill, want.link_flow
        idle = canonical_prices(book, *fills, want.node_price)[170:]
    assert (idle == 0.0).all()  # no arc touches them: zero outright, never pinned


def wrong_prices() -> tuple[OrderBook, ClearingResult, tuple[np.ndarray, ...], np.ndarray]:
    """A book needing pins, its clearing, the fills, and node prices that are no equilibrium."""
    book = book_needing_pins(0)
    res = clear(book)
    fills = res.offer_fill, res.bid_fill, res.link_flow
    wrong = res.node_price + np.random.default_rng(1).uniform(-30, 30, book.n_nodes)
    return book, res, fills, wrong


def test_solver_prices_that_are_no_equilibrium_send_the_book_to_bellman_ford(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book, res, fills, wrong = wrong_prices()
    want = canonical_prices(book, *fills, wrong)  # Bellman-Ford, which needs no solution
    assert_same_prices(book, want, res.node_price)
    monkeypatch.setattr(market.prices, "BELLMAN_FORD_NODES", 0)
    np.testing.assert_array_equal(canonical_prices(book, *fills, wrong), want)


def test_a_book_too_large_for_bellman_ford_keeps_solver_prices_that_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book, res, fills, wrong = wrong_prices()
    want = canonical_prices(book, *fills, res.node_price)  # Bellman-Ford
    monkeypatch.setattr(market.prices, "BELLMAN_FORD_NODES", 0)
    monkeypatch.setattr(market.prices, "FALLBACK_NODES", book.n_nodes - 1)
    # Bellman-Ford (nodes x arcs steps) must not run on a book above the bound
    monkeypatch.setattr(market.prices, "_bellman_ford_bounds", None)
    np.testing.assert_array_equal(canonical_prices(book, *fills, wrong), wrong)
    assert_same_prices(book, canonical_prices(book, *fills, res.node_price), want)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bipartite_books())
def test_the_compiled_prices_of_a_small_book_are_the_numpy_routes_to_the_bit(
    book: OrderBook,
) -> None:
    # column_prices runs a book of up to BELLMAN_FORD_NODES nodes in one compiled call;
    # the numpy route (clip, constraints, midpoints) it replaced is the oracle
    if book.n_offers + book.n_bids + book.n_links == 0:
        return  # nothing to price
    lp = solve_lp(book)
    cols = columns(book)
    value = np.concatenate((lp.offer_fill, lp.bid_fill, lp.link_flow))
    arcs = market.prices.column_arcs(book)
    got = market.prices.column_prices(book.n_nodes, arcs, cols, value, lp.node_price)
    t, h, w = market.prices._constraints(
        *arcs, cols[0], cols[2], np.clip(value, 0.0, cols[2]), 1e-9, scaled=True
    )
    want = market.prices._midpoints(book.n_nodes, t, h, w, lp.node_price)
    assert got.tobytes() == want.tobytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bipartite_books(), st.integers(0, 2**32 - 1))
def test_prices_from_the_kept_arc_order_are_the_numpy_routes_to_the_bit(
    book: OrderBook, seed: int
) -> None:
    # given the order of a layout's arcs (as the Clearer keeps it), column_prices reads
    # the merged arcs off it; for the book's optimum and for other column values of that
    # layout (some at a bound, some between) it must give the numpy route's prices
    if book.n_offers + book.n_bids + book.n_links == 0:
        return  # nothing to price
    lp = solve_lp(book)
    cols = columns(book)
    arcs = market.prices.column_arcs(book)
    rng = np.random.default_rng(seed)
    upper = np.where(np.isfinite(cols[2]), cols[2], 10.0)
    between: NDArray[np.float64] = rng.choice(np.array([0.0, 1.0, 0.5]), cols[0].size) * upper
    for value in (np.concatenate((lp.offer_fill, lp.bid_fill, lp.link_flow)), between):
        order = market.prices.arc_order(book.n_nodes, *arcs)
        got = market.prices.column_prices(book.n_nodes, arcs, cols, value, lp.node_price, order)
        t, h, w = market.prices._constraints(
            *arcs, cols[0], cols[2], np.clip(value, 0.0, cols[2]), 1e-9, scaled=True
        )
        want = market.prices._midpoints(book.n_nodes, t, h, w, lp.node_price)
        assert got.tobytes() == want.tobytes()
