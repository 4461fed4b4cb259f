"""Canonical prices: the midpoint of each node's range of equilibrium prices.

Checked by hand on small books, and on random books against an independent oracle: the
dual LP restricted to its optimal face, minimising and maximising each node's price
(``scipy.optimize.linprog``), which knows nothing of the fills.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from scipy.optimize import linprog

from market.clearing import METHODS, OrderBook, clear, equilibrium_violations
from market.prices import price_bounds
from market.warm import Clearer
from tests.market.test_clearing_properties import bipartite_books


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
