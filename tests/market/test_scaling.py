"""Per-market units: powers of two near each market's peaks, exact both ways."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from market.book import OrderBook
from market.lp import columns, solve_lp
from market.scaling import (
    book_columns,
    column_units,
    components,
    pow2_unit,
    scale_book,
    scaled_columns,
    unscaled_columns,
)
from market.tied_orders import pool_orders
from tests.market.conftest import compute_and_chips_book
from tests.market.strategies import tied_books


def test_each_market_gets_the_powers_of_two_nearest_its_peaks() -> None:
    # compute (node 0): quantities 1e9 -> 2**30 (log2 1e9 = 29.9), prices up to 3 -> 4
    # (log2 3 = 1.58); chips (node 1): 1e3 -> 2**10 (9.97), 3e4 -> 2**15 (14.87)
    book = compute_and_chips_book()
    assert components(book).tolist() == [0, 1]
    scaled, units = scale_book(book)
    assert units.qty_unit.tolist() == [2.0**30, 2.0**10]
    assert units.price_unit.tolist() == [4.0, 2.0**15]
    assert scaled.offers[2].tolist() == [0.5, 20_000 / 2**15]
    # powers of two: scaling back gives the book's numbers bit for bit
    for side, unscaled in ((scaled.offers, book.offers), (scaled.bids, book.bids)):
        node = side[0]
        np.testing.assert_array_equal(side[1] * units.qty_unit[node], unscaled[1])
        np.testing.assert_array_equal(side[2] * units.price_unit[node], unscaled[2])


def test_linked_nodes_share_the_joint_peaks_and_empty_markets_get_one() -> None:
    joined = compute_and_chips_book(joined=True)  # a link of no capacity joins them
    assert components(joined).tolist() == [0, 0]
    _, units = scale_book(joined)
    assert units.qty_unit.tolist() == [2.0**30, 2.0**30]  # the larger peak: 1e9
    assert units.price_unit.tolist() == [2.0**15, 2.0**15]  # 3e4
    empty = OrderBook(2, [1], [0.0], [0.0], [], [], [], [], [], [], [])
    _, units = scale_book(empty)
    assert units.qty_unit.tolist() == [1.0, 1.0] and units.price_unit.tolist() == [1.0, 1.0]


def test_the_scaled_books_optimum_maps_back_to_the_books_exactly() -> None:
    # by hand: every bid is above its market's offer, so all of both markets trade
    book = compute_and_chips_book()
    scaled, units = scale_book(book)
    back = units.unscale(solve_lp(scaled), book)
    assert back.offer_fill.tolist() == [1e9, 1e3]
    assert back.bid_fill.tolist() == [1e9, 1e3]


@settings(max_examples=60, deadline=None)
@given(tied_books())
def test_the_compiled_columns_are_the_scaled_books_columns_to_the_bit(book: OrderBook) -> None:
    # the warm clearer's columns, built in two compiled passes, against column_units and
    # lp.columns in numpy: of the book, and of its pooled book scaled by the largest members
    pooled = pool_orders(book)
    cases = [(book, np.zeros(0))]
    if pooled is not None:
        cases.append((pooled.book, pooled.largest))
    label = components(book)
    for solved, largest in cases:
        o_node, o_qty, o_price = solved.offers
        b_node, b_qty, b_price = solved.bids
        src, dst, l_cost, l_cap = solved.links
        upper, cost, col_label, peaks = unscaled_columns(
            o_node, o_qty, o_price, b_node, b_qty, b_price, src, l_cost, l_cap, largest, label
        )
        cols, q_col, p_node = scaled_columns(
            cost, upper, col_label, pow2_unit(peaks), label, o_node, b_node,
            np.column_stack((src, dst)).ravel(),
        )  # fmt: skip
        col_node, peak, _ = book_columns(solved)
        want = columns(solved)
        if largest.size:
            peak = np.concatenate((largest, l_cap))
        want_q, want_p, _, want_p_node = column_units(label, col_node, peak, want[0])
        assert q_col.tobytes() == want_q.tobytes() and p_node.tobytes() == want_p_node.tobytes()
        assert cols[0].tobytes() == (want[0] / want_p).tobytes()
        assert cols[2].tobytes() == (want[2] / want_q).tobytes()
        for got, exact in zip(cols[3:], want[3:], strict=True):
            assert got.tolist() == exact.tolist()
