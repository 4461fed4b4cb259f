"""The dual network simplex against the LP oracle, cold and warm (Hypothesis).

Each answer must be an optimum of the book's LP: every column within its bounds, every
node balanced, every reduced cost at the returned prices of the sign its column's
position asks (complementary slackness), and so the oracle's objective.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.clearing import OrderBook
from market.lp import columns, solve_lp
from market.network_simplex import NetworkInputError, cold_tree, solve_network
from market.prices import column_arcs
from tests.market.conftest import next_month, random_seller_buyer_book
from tests.market.strategies import bipartite_books, tied_books

TOL = 1e-9


def _check_optimum(book: OrderBook, tree: np.ndarray) -> int:
    """Solve ``book`` from ``tree`` and check the answer; the pivots made."""
    cost, _, upper = columns(book)[:3]
    tail, head = column_arcs(book)
    flow, price, pivots, ok = solve_network(book.n_nodes, tail, head, cost, upper, tree)
    assert ok
    scale = max(1.0, float(np.max(upper[np.isfinite(upper)], initial=1.0)))
    assert np.all(flow >= -TOL * scale) and np.all(flow <= upper + TOL * scale)
    net = np.zeros(book.n_nodes + 1)
    np.add.at(net, head, flow)
    np.subtract.at(net, tail, flow)
    assert np.allclose(net, 0.0, atol=1e-9 * scale)
    potential = np.append(price, 0.0)
    reduced = cost + potential[tail] - potential[head]
    c_scale = max(1.0, float(np.max(np.abs(cost), initial=1.0)))
    can_grow = flow < upper - TOL * scale
    can_shrink = flow > TOL * scale
    assert np.all(reduced[can_grow] >= -1e-8 * c_scale)
    assert np.all(reduced[can_shrink] <= 1e-8 * c_scale)
    if cost.size == 0:
        return pivots
    ref = solve_lp(book)
    ref_x = np.concatenate((ref.offer_fill, ref.bid_fill, ref.link_flow))
    assert cost @ flow == pytest.approx(cost @ ref_x, rel=1e-9, abs=1e-9 * c_scale * scale)
    return pivots


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(bipartite_books(), tied_books()))
def test_a_cold_solve_is_an_optimum_of_the_book(book: OrderBook) -> None:
    n_cols = book.n_offers + book.n_bids + book.n_links
    _check_optimum(book, cold_tree(book.n_nodes, n_cols))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bipartite_books(), st.integers(0, 2**32 - 1))
def test_each_month_re_solved_from_the_last_tree_is_an_optimum(book: OrderBook, seed: int) -> None:
    rng = np.random.default_rng(seed)
    tree = cold_tree(book.n_nodes, book.n_offers + book.n_bids + book.n_links)
    for _ in range(6):
        _check_optimum(book, tree)
        book = next_month(book, rng, structural=0.0)


def test_a_warm_month_of_a_model_like_book_takes_few_pivots(rng: np.random.Generator) -> None:
    book = random_seller_buyer_book(
        rng, 20, 60, 6, offers=3, bids=2, offer_qty=(5, 15), link_cap=(0.5, 5), cents=True,
        caps_last=True,
    )  # fmt: skip
    tree = cold_tree(book.n_nodes, book.n_offers + book.n_bids + book.n_links)
    cold = _check_optimum(book, tree)
    warm = []
    for _ in range(5):
        book = next_month(book, rng, structural=0.0)
        warm.append(_check_optimum(book, tree))
    assert max(warm) < cold


def test_arrays_of_other_lengths_or_an_arc_off_the_nodes_are_refused() -> None:
    tail, head = np.array([2, 1, 0]), np.array([0, 2, 1])
    cost, upper = np.array([5.0, -9.0, 1.0]), np.array([10.0, 4.0, np.inf])
    with pytest.raises(NetworkInputError, match="one per column"):
        solve_network(2, tail, head[:2], cost, upper, cold_tree(2, 3))
    with pytest.raises(NetworkInputError, match="one more per node"):
        solve_network(2, tail, head, cost, upper, cold_tree(3, 3))
    with pytest.raises(NetworkInputError, match=r"outside the nodes 0\.\.2"):
        solve_network(2, np.array([3, 1, 0]), head, cost, upper, cold_tree(2, 3))
    flow, _, _, ok = solve_network(2, tail, head, cost, upper, cold_tree(2, 3))
    assert ok and flow.tolist() == [4.0, 4.0, 4.0]
