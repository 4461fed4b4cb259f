"""Warm-started clearing of book sequences against the LP oracle (Hypothesis).

Each example is a run: a random book, then months in which prices, costs, quantities
and capacities move, and now and then an order or a link comes or goes. Every month
the warm result must be a competitive equilibrium of that month's book with the
oracle's welfare (to ``welfare_tolerance``), as :func:`market.clearing.clear` promises.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.clearing import OrderBook, clear, equilibrium_violations, welfare_tolerance
from market.highs import HighsOptionError
from market.lp import SolverFailure, columns
from market.scaling import components, scale_book
from market.warm import Clearer
from tests.market.conftest import (
    book_arrays,
    next_month,
    random_seller_buyer_book,
    saved_book,
    two_routes_book,
)
from tests.market.strategies import bipartite_books


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bipartite_books(),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.0, 0.3, 1.0]),
    st.sampled_from([500, 0]),  # 0: every book through the min-cost flow path
    # proportional: books of up to 500 links through the network simplex
    st.sampled_from(["solver", "proportional"]),
)
def test_warm_clearing_of_a_sequence_matches_the_oracle_every_month(
    book: OrderBook, seed: int, structural: float, direct_links: int, pattern: str
) -> None:
    rng = np.random.default_rng(seed)
    clearer = Clearer(direct_links=direct_links, pattern=pattern)
    for _ in range(5):
        res = clearer.clear(book)
        ref = clear(book, method="lp")
        assert equilibrium_violations(book, res) == []
        assert abs(res.welfare - ref.welfare) <= welfare_tolerance(book, ref.welfare)
        book = next_month(book, rng, structural)


def _model_like_book(rng: np.random.Generator) -> OrderBook:
    """20 sellers (3 offers each), 60 buyers (2 bids each) linked to 6 sellers each; prices
    and costs in cents."""
    return random_seller_buyer_book(
        rng, 20, 60, 6, offers=3, bids=2, offer_qty=(5, 15), link_cap=(0.5, 5), cents=True,
        caps_last=True,
    )  # fmt: skip


@pytest.mark.parametrize("direct_links", [500, 0])
def test_same_layout_months_are_re_solved_warm_and_agree_with_clear(
    rng: np.random.Generator, direct_links: int
) -> None:
    book = _model_like_book(rng)
    clearer = Clearer(direct_links=direct_links)
    for _ in range(6):
        res, ref = clearer.clear(book), clear(book)
        assert equilibrium_violations(book, res) == []
        assert res.welfare == pytest.approx(ref.welfare, rel=1e-9)
        book = next_month(book, rng, structural=0.0)
    assert (clearer.cold_solves, clearer.warm_solves) == (1, 5)
    assert res.method == "warm"


@pytest.mark.parametrize("direct_links", [500, 0])
def test_proportional_months_re_solved_from_the_last_tree_give_the_oracles_flows_and_prices(
    rng: np.random.Generator, direct_links: int
) -> None:
    # 500: each month by the network simplex from last month's tree; 0: by HiGHS from the
    # min-cost flow's basis. Either way the proportional rule's flows and the canonical
    # prices are those of the LP oracle's optimum, to rounding.
    book = _model_like_book(rng)
    clearer = Clearer(direct_links=direct_links, pattern="proportional")
    for _ in range(6):
        res, ref = clearer.clear(book), clear(book, method="lp", pattern="proportional")
        assert equilibrium_violations(book, res) == []
        for part in ("offer_fill", "bid_fill", "link_flow", "node_price"):
            a, b = getattr(res, part), getattr(ref, part)
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * float(np.abs(b).max()))
        book = next_month(book, rng, structural=0.0)
    assert (clearer.cold_solves, clearer.warm_solves) == (1, 5)


def test_a_few_changed_orders_keep_the_basis_a_new_market_starts_cold(
    rng: np.random.Generator,
) -> None:
    book = _model_like_book(rng)
    clearer = Clearer()
    clearer.clear(book)
    changed = next_month(book, rng, structural=1.0)
    assert changed.n_offers + changed.n_bids + changed.n_links != (
        book.n_offers + book.n_bids + book.n_links
    )
    res = clearer.clear(changed)
    assert clearer.warm_solves == 1 and equilibrium_violations(changed, res) == []
    # Another layout: the same market with its nodes numbered backwards.
    f = book_arrays(book)
    for k in ("offer_node", "bid_node", "link_src", "link_dst"):
        f[k] = book.n_nodes - 1 - f[k]
    other = OrderBook(book.n_nodes, **f)
    res = clearer.clear(other)
    assert clearer.cold_solves == 2 and res.method == "fast"
    assert res.welfare == pytest.approx(clear(other, method="lp").welfare, rel=1e-9)


def test_nodes_added_or_removed_between_months_still_clear_exactly(
    rng: np.random.Generator,
) -> None:
    book = _model_like_book(rng)
    clearer = Clearer()
    for extra in (0, 3, 1, 0):  # idle nodes come and go: rows added and removed
        month = OrderBook(book.n_nodes + extra, **book_arrays(next_month(book, rng, 0.0)))
        res = clearer.clear(month)
        assert equilibrium_violations(month, res) == []
        assert res.welfare == pytest.approx(clear(month, method="lp").welfare, rel=1e-9)
    assert clearer.warm_solves == 3


@pytest.mark.parametrize("copy_of", [copy.deepcopy, lambda c: pickle.loads(pickle.dumps(c))])
def test_a_copied_clearer_clears_on_with_its_settings_and_leaves_the_original(
    rng: np.random.Generator, copy_of: Callable[[Clearer], Clearer]
) -> None:
    books = [_model_like_book(rng)]
    for _ in range(4):
        books.append(next_month(books[-1], rng, structural=0.0))
    original = Clearer(pattern="proportional", highs_options={"random_seed": 2})
    original.clear(books[0])
    twin = copy_of(original)
    assert (twin.pattern, twin.cold_solves) == ("proportional", 1)
    for book in books[1:]:
        res, ref = twin.clear(book), clear(book, method="lp")
        assert equilibrium_violations(book, res) == []
        assert res.welfare == pytest.approx(ref.welfare, rel=1e-9)
    assert (twin.cold_solves, twin.warm_solves) == (2, 3)  # cold once, then warm again
    # the original kept its own solver and basis: it re-solves warm, as if never copied
    alone = Clearer(pattern="proportional", highs_options={"random_seed": 2})
    alone.clear(books[0])
    for book in books[1:]:
        got, want = original.clear(book), alone.clear(book)
        assert got.link_flow.tobytes() == want.link_flow.tobytes()
        assert got.node_price.tobytes() == want.node_price.tobytes()
    assert original.warm_solves == 4
    # the copy's new solver has the original's options: none may iterate here either
    stuck = copy_of(Clearer(highs_options={"simplex_iteration_limit": 0}))
    with pytest.raises(SolverFailure, match="Iteration limit"):
        stuck.clear(two_routes_book())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bipartite_books(), st.integers(0, 2**32 - 1))
def test_the_clearers_columns_are_those_of_the_scaled_book(book: OrderBook, seed: int) -> None:
    # the Clearer builds the scaled LP's columns from the book's arrays, keeping the
    # links' part between months: bit for bit market.lp.columns of market.scaling's book
    clearer = Clearer()
    for month in (book, next_month(book, np.random.default_rng(seed), structural=1.0)):
        if month.n_offers + month.n_bids + month.n_links == 0:
            continue
        clearer.clear(month)
        cols, upper, _, _ = clearer._columns(month)
        want = columns(scale_book(month)[0])
        for got, ref in zip(cols, want, strict=True):
            assert got.dtype == ref.dtype and got.tobytes() == ref.tobytes()
        assert upper.tobytes() == columns(month)[2].tobytes()


@pytest.mark.parametrize("highs_seed", [0, 1, 2, 3])
def test_highs_options_leave_welfare_and_prices_of_a_book_with_two_routes(
    highs_seed: int,
) -> None:
    # HiGHS's random seed may pick another of the optimal flows, never another welfare,
    # price or node total (hand-computed in the fixture's docstring)
    book = two_routes_book()
    res = Clearer(highs_options={"random_seed": highs_seed}).clear(book)
    assert res.welfare == pytest.approx(80.0, rel=1e-12)
    np.testing.assert_allclose(res.node_price, 3.0, rtol=1e-12)
    np.testing.assert_allclose(res.offer_fill, [10.0, 10.0], rtol=1e-12)
    np.testing.assert_allclose(res.bid_fill, [10.0, 10.0], rtol=1e-12)
    x = res.link_flow
    np.testing.assert_allclose([x[0] + x[1], x[2] + x[3], x[0] + x[2], x[1] + x[3]], 10.0)
    assert equilibrium_violations(book, res) == []


def test_highs_options_reach_the_solver() -> None:
    # no simplex iteration allowed: the book cannot be solved, warm or cold
    with pytest.raises(SolverFailure, match="Iteration limit"):
        Clearer(highs_options={"simplex_iteration_limit": 0}).clear(two_routes_book())


@pytest.mark.parametrize(
    ("options", "named"),
    [({"no_such_option": 1}, "no_such_option"), ({"random_seed": -3}, "random_seed")],
)
def test_a_highs_option_highs_refuses_is_named(options: dict[str, int], named: str) -> None:
    with pytest.raises(HighsOptionError, match=named):
        Clearer(highs_options=options)


def test_a_re_solve_highs_calls_optimal_with_a_reduced_cost_past_tolerance_is_not_taken():
    # three months of a random scenario's books (a chip market at $11.7M a chip). From the
    # second month's basis HiGHS re-solved the third in 4 iterations and reported an optimum
    # whose info counted a dual infeasibility: a free link between two nodes $1.39 apart
    # (-8e-8 on the scaled book, tolerance 1e-9) left idle, the dearer offer sold instead
    clearer = Clearer()
    for k in range(3):
        book = saved_book(f"warm_dual_infeasible_{k}.npz")
        res = clearer.clear(book)
        assert equilibrium_violations(book, res, label=components(book)) == []
        ref = clear(book, method="lp")
        assert abs(res.welfare - ref.welfare) <= welfare_tolerance(book, ref.welfare)
