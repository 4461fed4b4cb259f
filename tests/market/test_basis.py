"""The basis carried between months: column matching and statuses rebuilt from a solution.

Column matching is checked against a dictionary of (place, rank) -> column built by
hand; the statuses :func:`market.basis.solved_basis` rebuilds from the solution's arrays
against the ones HiGHS reports, on random books (Hypothesis) and on sequences of related
books, where a clearer reading HiGHS's basis and one rebuilding it must agree bit for bit.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.basis import ColumnLayout, Layout, highs_basis, match_columns, solved_basis
from market.clearing import OrderBook, clear, equilibrium_violations, welfare_tolerance
from market.highs import load_book, new_highs, run_optimal
from market.lp import columns
from market.scaling import scale_book
from market.warm import Clearer, _layout
from tests.market.conftest import next_month
from tests.market.strategies import bipartite_books


def _by_hand(book: OrderBook) -> dict[tuple[int, int, int, int], int]:
    """(kind, a, b, rank) -> column index, counting ranks one column at a time."""
    o_node, b_node = book.offers[0], book.bids[0]
    src, dst = book.links[0], book.links[1]
    places = [(0, int(n), 0) for n in o_node] + [(1, int(n), 0) for n in b_node]
    places += [(2, int(s), int(d)) for s, d in zip(src, dst, strict=True)]
    seen: dict[tuple[int, int, int], int] = {}
    out = {}
    for col, place in enumerate(places):
        rank = seen.get(place, 0)
        seen[place] = rank + 1
        out[(*place, rank)] = col
    return out


@settings(max_examples=150, deadline=None)
@given(bipartite_books(), st.integers(0, 2**32 - 1))
def test_columns_match_the_same_place_and_rank_or_none(book: OrderBook, seed: int) -> None:
    new = next_month(book, np.random.default_rng(seed), structural=1.0)
    old_keys = _by_hand(book)
    expected = np.full(new.n_offers + new.n_bids + new.n_links, -1)
    for key, col in _by_hand(new).items():
        expected[col] = old_keys.get(key, -1)
    assert match_columns(_layout(book), _layout(new)).tolist() == expected.tolist()


def test_parallel_orders_match_in_order_and_a_moved_order_does_not() -> None:
    links = ([1.0, 1.0], [np.inf, np.inf])  # costs, capacities
    old = OrderBook(
        3, [0, 0, 1], [1.0, 2, 3], [1.0, 2, 3], [2], [1.0], [9.0], [0, 1], [2, 2], *links
    )
    # A third offer at node 0 after the first two, node 1's offer gone, a new one at 2.
    new = OrderBook(
        3, [0, 0, 0, 2], [1.0] * 4, [1.0] * 4, [2], [1.0], [9.0], [1, 0], [2, 2], *links
    )
    # offers 0, 1 -> old 0, 1; the third at node 0 and the one at 2: none; the bid -> 3;
    # links (1, 2) -> old link 1 (column 5), (0, 2) -> old link 0 (column 4)
    assert match_columns(_layout(old), _layout(new)).tolist() == [0, 1, -1, -1, 3, 5, 4]


def _same_node_arrays(a: Layout, b: Layout) -> bool:
    """The oracle: the same node count and the same node arrays, entry by entry."""
    return a[0] == b[0] and all(
        x.shape == y.shape and bool((x == y).all()) for x, y in zip(a[1:], b[1:], strict=True)
    )


@settings(max_examples=100, deadline=None)
@given(bipartite_books(), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.5, 1.0]))
def test_column_keys_tell_the_same_layout_as_the_node_arrays(
    book: OrderBook, seed: int, structural: float
) -> None:
    new = next_month(book, np.random.default_rng(seed), structural=structural)
    for a, b in ((book, new), (new, book), (book, book)):
        old_layout = ColumnLayout.of(_layout(a))
        old_layout.sorted()  # a kept layout, sorted when last matched
        expected = _same_node_arrays(_layout(a), _layout(b))
        assert ColumnLayout.of(_layout(b)).same(old_layout) == expected
        if expected:
            assert match_columns(_layout(a), _layout(b)).tolist() == list(
                range(len(old_layout.keys))
            )


def _solved(book: OrderBook):  # type: ignore[no-untyped-def]
    scaled = scale_book(book)[0]
    h = new_highs()
    load_book(h, scaled)
    run_optimal(h)
    return h, columns(scaled)[2]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bipartite_books())
def test_statuses_rebuilt_from_the_solution_are_those_highs_reports(book: OrderBook) -> None:
    if book.n_offers + book.n_bids + book.n_links == 0:
        return
    h, upper = _solved(book)
    cols, rows = solved_basis(h, upper)
    exact_cols, exact_rows = highs_basis(h)
    assert cols.tolist() == exact_cols.tolist()
    assert rows.tolist() == exact_rows.tolist()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bipartite_books(), st.integers(0, 2**32 - 1), st.sampled_from([0.3, 1.0]))
def test_a_sequence_clears_identically_with_the_basis_read_or_rebuilt(
    book: OrderBook, seed: int, structural: float
) -> None:
    rng = np.random.default_rng(seed)
    rebuilt, read = Clearer(), Clearer(read_basis=True)
    for _ in range(6):
        a, b = rebuilt.clear(book), read.clear(book)
        for field in ("offer_fill", "bid_fill", "link_flow", "node_price"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        assert a.welfare == b.welfare and a.method == b.method
        assert equilibrium_violations(book, a) == []
        ref = clear(book, method="lp")
        assert abs(a.welfare - ref.welfare) <= welfare_tolerance(book, ref.welfare)
        book = next_month(book, rng, structural)
    assert rebuilt.warm_solves == read.warm_solves
