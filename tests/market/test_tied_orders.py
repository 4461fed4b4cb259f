"""Orders at one node and one price pooled before a solve: by hand, and against the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import market.trade_pattern as trade_pattern
from market.clearing import OrderBook, clear, equilibrium_violations, welfare_tolerance
from market.tied_orders import SHORT_RUN, pool_orders, pool_side, tie_groups
from market.warm import Clearer
from tests.market.conftest import saved_book
from tests.market.strategies import tied_books


def test_orders_at_one_node_and_price_pool_in_book_order_of_their_first_members() -> None:
    # (node, price): (0, 5) at 0 and 2; (1, 5) at 1 and 4; (0, 7) at 3 alone
    node = np.array([0, 1, 0, 0, 1])
    qty = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    price = np.array([5.0, 5.0, 5.0, 7.0, 5.0])
    pooled = pool_side(node, qty, price)
    assert pooled is not None
    group, p_node, p_qty, p_price = pooled
    assert group.tolist() == [0, 1, 0, 2, 1]
    assert p_node.tolist() == [0, 1, 0]
    assert p_qty.tolist() == [4.0, 7.0, 4.0]
    assert p_price.tolist() == [5.0, 5.0, 7.0]
    assert pool_side(node[:2], qty[:2], price[:2]) is None  # nothing shared


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from([0.0, -0.0, 1.0, 1 / 3, 2.5, -1.0])),
        max_size=3 * SHORT_RUN,
    ),
)
def test_the_groups_are_in_numpys_lexsort_order(orders: list[tuple[int, float]]) -> None:
    # the oracle: np.lexsort's order, ties by book order; runs of one node longer than
    # SHORT_RUN take the merge sort, shorter ones the insertion
    node = np.array([o[0] for o in orders], dtype=np.int64)
    price = np.array([o[1] for o in orders], dtype=np.float64)
    order, first = tie_groups(node, price)
    want = np.lexsort((price, node))
    assert order.tolist() == want.tolist()
    key = list(zip(node[want].tolist(), price[want].tolist(), strict=True))
    assert first.tolist() == [i == 0 or key[i] != key[i - 1] for i in range(len(key))]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from(["rising", "falling", "few_moved", "shuffled"]),
    st.integers(2, 4 * SHORT_RUN),
)
def test_long_runs_of_every_shape_are_in_numpys_lexsort_order(
    seed: int, shape: str, n: int
) -> None:
    # a node's run rising, strictly falling, nearly sorted (insertion) or shuffled with
    # ties (past LONG_RUN_MOVES: merge sort), beside a short run
    rng = np.random.default_rng(seed)
    price = np.sort(rng.choice(rng.normal(size=max(2, n // 3)), n))
    if shape == "falling":
        price = np.sort(rng.normal(size=n))[::-1].copy()
    elif shape == "few_moved":
        price[rng.integers(0, n, 3)] = rng.normal(size=3)
    elif shape == "shuffled":
        rng.shuffle(price)
    node = np.concatenate((np.ones(n, np.int64), np.zeros(5, np.int64)))
    price = np.concatenate((price, rng.normal(size=5)))
    order, _ = tie_groups(node, price)
    assert order.tolist() == np.lexsort((price, node)).tolist()


def test_a_pools_fill_is_shared_by_quantity_and_links_pass_through() -> None:
    # offers 1@5, 3@5 at node 0 (one pool of 4) and a lone bid; a pooled fill of 2 is
    # 0.5 and 1.5; the bid's and the link's values are as given
    book = OrderBook(2, [0, 0], [1.0, 3.0], [5.0, 5.0], [1], [9.0], [8.0], [0], [1], [0.0], [9.0])
    pooled = pool_orders(book)
    assert pooled is not None and pooled.bid_group is None
    assert pooled.book.offer_qty.tolist() == [4.0]
    assert pooled.largest.tolist() == [3.0, 9.0]
    np.testing.assert_array_equal(
        pooled.spread(book, np.array([2.0, 2.0, 2.0])), [0.5, 1.5, 2.0, 2.0]
    )
    np.testing.assert_array_equal(pooled.gather(np.array([0.5, 1.0, 2.0, 3.0])), [1.5, 2.0, 3.0])


def test_a_subnormal_pool_filled_past_its_total_is_shared_without_nan() -> None:
    # offers 0 and 1e-320 at $5 (one pool of 1e-320) filled 1e-10, past its total by a
    # solver's tolerance: fill / total overflows, and inf x 0 was NaN for the empty offer;
    # shared as fill x (qty / total): 0 and 1e-10
    book = OrderBook(
        2, [0, 0], [0.0, 1e-320], [5.0, 5.0], [1], [1.0], [8.0], [0], [1], [0.0], [9.0]
    )
    pooled = pool_orders(book)
    assert pooled is not None
    got = pooled.spread(book, np.array([1e-10, 1e-10, 1e-10]))
    np.testing.assert_array_equal(got, [0.0, 1e-10, 1e-10, 1e-10])


def _split_demand_book(pieces: list[float]) -> OrderBook:
    """Seller S (node 0) offers 5 at $5 over free links to B (node 1), which bids
    ``pieces`` at $20, and C (node 2), which bids 10 at $20."""
    n_b = len(pieces)
    return OrderBook(
        3, [0], [5.0], [5.0],
        [1] * n_b + [2], [*pieces, 10.0], [20.0] * (n_b + 1),
        [0, 0], [1, 2], [0.0, 0.0], [np.inf, np.inf],
    )  # fmt: skip


@pytest.mark.parametrize("pieces", [[1.0], [0.25] * 4, [0.5, 0.25, 0.25]])
def test_the_proportional_point_does_not_depend_on_how_a_quantity_is_split(
    pieces: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # By hand. The offer sells all 5 at $20 everywhere; how much goes to B is the rule's.
    # Node sizes S 5, B 1, C 10; weights (x of the largest, C's bid at 10 x 5 offered):
    # link SB 5 -> 0.1, link SC 50 -> 1, B's bid 1 x 5 -> 0.1, C's bid 1. Here weights 0.2
    # apart count as ill-conditioned, so all are floored at 0.05, which leaves these as
    # they are: a unit to B costs 1/0.1 + 1/0.1 = 20 against C's 1/1 + 1/1 = 2, and B gets
    # 5 x 2 / 22. Were B's pieces floored one by one (four of 0.25 x 5 / 50 = 0.025, each
    # raised to 0.05), they would weigh 0.2 and B would get 5 x 2 / 17: the point would
    # follow how B's demand is split into orders.
    monkeypatch.setattr(trade_pattern, "WELL_CONDITIONED", 0.2)
    monkeypatch.setattr(trade_pattern, "WEIGHT_FLOOR", 0.05)
    book = _split_demand_book(pieces)
    to_b = 5.0 * 2.0 / 22.0
    for res in (
        clear(book, method="lp", pattern="proportional"),
        clear(book, pattern="proportional"),
        Clearer(pattern="proportional").clear(book),
    ):
        assert res.bid_fill[:-1].sum() == pytest.approx(to_b, rel=1e-9)
        assert res.bid_fill[-1] == pytest.approx(5.0 - to_b, rel=1e-9)
        assert res.bid_fill[0] == pytest.approx(min(to_b, pieces[0]), rel=1e-9)  # book order


def test_a_stressed_model_book_gets_one_proportional_point_from_pooled_and_unpooled_solves() -> (
    None
):
    # A baseline month with quantities scaled up (a market near 1e13) and some orders made
    # tiny: its weights are floored at 1e-6 (WEIGHT_FLOOR), which binds on pooled and
    # unpooled columns differently. The Clearer (pooled) and the oracle (unpooled book)
    # parted by 3.8e8 on one bid; both now apply the rule to pools.
    book = saved_book("model_book_floored_pool.npz")
    ref = clear(book, method="lp", pattern="proportional")
    scale = max(book.offers[1].max(), book.bids[1].max())
    for res in (Clearer(pattern="proportional").clear(book), clear(book, pattern="proportional")):
        assert equilibrium_violations(book, res) == []
        np.testing.assert_allclose(res.bid_fill, ref.bid_fill, rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(res.offer_fill, ref.offer_fill, rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(res.link_flow, ref.link_flow, rtol=0, atol=1e-12 * scale)


@st.composite
def books_with_repeated_orders(draw: st.DrawFn) -> OrderBook:
    """A tied book whose orders are each cut into one to three pieces at the same node and
    price (the first offer always), the pieces shuffled among the other orders (as a
    utility's units are)."""
    book = draw(tied_books())
    sides = []
    for node, qty, price in (book.offers, book.bids):
        rows = []
        for n, q, p in zip(node.tolist(), qty.tolist(), price.tolist(), strict=True):
            pieces = [[0.5, 0.5], [0.25, 0.25, 0.5], [0.0, 1.0]] + (
                [[1.0]] if rows or sides else []
            )
            cuts = draw(st.sampled_from(pieces))
            rows += [(n, q * c, p) for c in cuts]
        rows = draw(st.permutations(rows))
        sides.append([[r[k] for r in rows] for k in range(3)])
    return OrderBook(book.n_nodes, *sides[0], *sides[1], *book.links)


def _fills(res: object) -> tuple[np.ndarray, ...]:
    return tuple(getattr(res, k) for k in ("offer_fill", "bid_fill", "link_flow"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books_with_repeated_orders())
def test_a_pooled_solve_gives_the_unpooled_oracles_answer(book: OrderBook) -> None:
    # The Clearer pools repeated orders; the LP oracle does not. Under the proportional
    # rule both must give the same point (fills, flows and prices); under the solver's
    # pattern an optimum with the oracle's welfare, tied orders filled in book order.
    assert pool_orders(book) is not None
    scale = max(float(np.max(book.offers[1], initial=0.0)), float(np.max(book.bids[1])))
    want = clear(book, method="lp", pattern="proportional")
    got = Clearer(pattern="proportional").clear(book)
    assert equilibrium_violations(book, got) == []
    for g, w in zip(_fills(got), _fills(want), strict=True):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-9 * max(scale, 1.0))
    np.testing.assert_allclose(got.node_price, want.node_price, rtol=1e-9, atol=1e-9)
    plain = Clearer().clear(book)
    assert equilibrium_violations(book, plain) == []
    assert abs(plain.welfare - want.welfare) <= welfare_tolerance(book, want.welfare)
    for node, qty, price, fill in (
        (*book.offers, plain.offer_fill),
        (*book.bids, plain.bid_fill),
    ):
        for key in set(zip(node.tolist(), price.tolist(), strict=True)):
            members = np.flatnonzero((node == key[0]) & (price == key[1]))
            short = fill[members] < qty[members] - 1e-9 * max(scale, 1.0)
            # book order: once one member is short, every later one is empty
            if short.any():
                later = members[np.argmax(short) + 1 :]
                assert (fill[later] <= 1e-9 * max(scale, 1.0)).all()


def test_a_new_order_at_an_existing_price_keeps_the_books_shape() -> None:
    # A utility adds a unit at its existing price each month: the pooled book keeps its
    # columns, so the Clearer re-solves from last month's optimum (the LP keeps its
    # column count) and each month is an equilibrium with the oracle's welfare.
    clearer = Clearer(pattern="proportional")
    columns = set()
    for month in range(1, 6):
        offers = month + 1
        book = OrderBook(
            2,
            [0] * offers, [10.0] * offers, [40.0] * offers,
            [1, 1], [25.0, 30.0], [90.0, 50.0],
            [0], [1], [1.0], [np.inf],
        )  # fmt: skip
        res = clearer.clear(book)
        want = clear(book, method="lp")
        assert equilibrium_violations(book, res) == []
        assert abs(res.welfare - want.welfare) <= welfare_tolerance(book, want.welfare)
        columns.add(clearer._cost.size)
    assert columns == {4}  # one pooled offer, two bids, one link
    assert (clearer.cold_solves, clearer.warm_solves) == (1, 4)
