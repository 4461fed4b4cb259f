"""The Clearer's compiled steps against the numpy code they replace, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from market.basis import column_keys
from market.book import OrderBook
from market.clearing import _finish_columns
from market.scaling import pow2_unit
from market.tied_orders import pool_orders, tie_groups
from market.warm_kernels import changed_columns, finished_fills, month_layout, pow2_units


def test_pow2_units_are_numpys_powers_of_two() -> None:
    rng = np.random.default_rng(5)
    mantissa = rng.uniform(0.5, 1.0, 4000)
    mantissa = mantissa[(mantissa < 0.7070) | (mantissa > 0.7072)]  # none left to numpy
    mantissa = np.append(mantissa, [0.5, 0.7070, 0.7072, np.nextafter(1.0, 0.0)])
    exponent = rng.integers(-1019, 1021, mantissa.size)
    peak = np.concatenate((np.ldexp(mantissa, exponent), [0.0, 1.0, 2.0, 3.0, 1e300]))
    unit, exact = pow2_units(peak)
    assert exact
    assert unit.tobytes() == pow2_unit(peak).tobytes()


def test_pow2_units_leave_the_doubtful_peaks_to_numpy() -> None:
    for doubtful in (np.sqrt(0.5), np.ldexp(0.7071, 40), np.inf, np.ldexp(1.0, -1060), 2e307):
        assert not pow2_units(np.array([1.0, doubtful]))[1]


def _numpy_finish(
    book: OrderBook, x: np.ndarray, q_col: np.ndarray, price: np.ndarray, p_node: np.ndarray
) -> tuple[np.ndarray, ...]:
    pooled = pool_orders(book)
    fill = x * q_col
    if pooled is not None:
        fill = pooled.spread(book, fill)
    upper = np.concatenate((book.offers[1], book.bids[1], book.links[3]))
    touched = np.zeros(book.n_nodes, dtype=bool)
    for ids in (book.offers[0], book.bids[0], *book.links[:2]):
        touched[ids] = True
    res = _finish_columns(book, fill, upper, price * p_node, "warm", 0, touched)
    return res.offer_fill, res.bid_fill, res.link_flow, res.node_price, touched


def _tied_book(rng: np.random.Generator) -> OrderBook:
    """Orders at a few nodes and prices (many pooled), links between them."""
    n = int(rng.integers(2, 6))
    n_o, n_b, n_l = rng.integers(0, 12, 3)
    src, dst = rng.integers(0, n, n_l), rng.integers(0, n, n_l)
    keep = src != dst
    qty = [0.0, 1.0, 2.5, 1e-7, 40.0]
    return OrderBook(
        n,
        rng.integers(0, n, n_o), rng.choice(qty, n_o), rng.choice([1.0, 2.0, 3.0], n_o),
        rng.integers(0, n, n_b), rng.choice(qty, n_b), rng.choice([3.0, 4.0], n_b),
        src[keep], dst[keep], rng.choice([0.0, 1.0], keep.sum()),
        rng.choice([np.inf, 1.5, 0.0], keep.sum()),
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(300))
def test_finished_fills_are_the_spread_clipped_and_refilled_columns(seed: int) -> None:
    book = _tied_book(np.random.default_rng(seed))
    pooled = pool_orders(book)
    solved = book if pooled is None else pooled.book
    n_cols = solved.n_offers + solved.n_bids + solved.n_links
    rng = np.random.default_rng(seed + 1000)
    upper = np.concatenate((solved.offers[1], solved.bids[1], solved.links[3]))
    # values within, on and past the bounds, and units that are powers of two
    x = np.where(np.isfinite(upper), upper, 5.0) * rng.choice([-0.1, 0.0, 0.3, 1.0, 1.1], n_cols)
    q_col = np.ldexp(1.0, rng.integers(-3, 4, n_cols))
    price = rng.normal(size=book.n_nodes) * rng.choice([0.0, -0.0, 1.0], book.n_nodes)
    p_node = np.ldexp(1.0, rng.integers(-3, 4, book.n_nodes))
    *want, touched = _numpy_finish(book, x, q_col, price, p_node)
    empty_group, empty_total = np.zeros(0, np.int64), np.zeros(0)
    o_group = b_group = empty_group
    o_total = b_total = empty_total
    if pooled is not None and pooled.offer_group is not None:
        o_group, o_total = pooled.offer_group, pooled.book.offers[1]
    if pooled is not None and pooled.bid_group is not None:
        b_group, b_total = pooled.bid_group, pooled.book.bids[1]
    got = finished_fills(
        x, q_col, o_group, o_total, b_group, b_total,
        (*tie_groups(book.offers[0], book.offers[2]), *tie_groups(book.bids[0], book.bids[2])),
        book.offers[1], book.bids[1], book.links[3], price, p_node, touched,
    )  # fmt: skip
    for g, w in zip(got, want, strict=True):
        assert g.tobytes() == w.tobytes()


@pytest.mark.parametrize("seed", range(50))
def test_month_layout_is_column_keys_and_their_comparisons(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_o, n_b, n_l = rng.integers(0, 6, 3)
    arrays = [rng.integers(0, 4, k) for k in (n_o, n_b, n_l, n_l)]
    keys = column_keys(*arrays)
    for old in (keys, keys.copy(), keys[:-1], column_keys(*arrays[:2], arrays[3], arrays[2])):
        got, same_keys, _ = month_layout(*arrays, old, arrays[2], arrays[3])
        assert got.tobytes() == keys.tobytes()
        assert same_keys == (old.shape == keys.shape and bool((old == keys).all()))
    for src, dst in (
        (arrays[2], arrays[3]),
        (arrays[2][:-1], arrays[3][:-1]),
        (arrays[3], arrays[2]),
    ):
        same_links = month_layout(*arrays, keys, src, dst)[2]
        want = src.shape == arrays[2].shape and bool(
            (src == arrays[2]).all() and (dst == arrays[3]).all()
        )
        assert same_links == want


def test_changed_columns_are_numpys() -> None:
    rng = np.random.default_rng(3)
    old_cost, old_upper = rng.choice([0.0, -0.0, 1.0, 2.0], (2, 40))
    cost = np.where(rng.random(40) < 0.3, rng.choice([0.0, -0.0, 3.0], 40), old_cost)
    upper = np.where(rng.random(40) < 0.3, rng.choice([0.0, np.inf], 40), old_upper)
    lower = np.zeros(40)
    c_idx, c_val, u_idx, u_low, u_val = changed_columns(cost, old_cost, lower, upper, old_upper)
    want_c = np.flatnonzero(cost != old_cost).astype(np.int32)
    want_u = np.flatnonzero(upper != old_upper).astype(np.int32)
    assert c_idx.dtype == np.int32 and c_idx.tobytes() == want_c.tobytes()
    assert u_idx.dtype == np.int32 and u_idx.tobytes() == want_u.tobytes()
    assert c_val.tobytes() == cost[want_c].tobytes()
    assert u_low.tobytes() == lower[want_u].tobytes()
    assert u_val.tobytes() == upper[want_u].tobytes()
