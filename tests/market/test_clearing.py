"""The clearing kernel on hand-computed books and its defined edge cases."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from market.clearing import (
    BookError,
    ClearingResult,
    FallbackWarning,
    OrderBook,
    clear,
    equilibrium_violations,
)
from market.warm import Clearer
from tests.market.conftest import (
    compute_and_chips_book,
    merit_order_book,
    saved_book,
    two_node_book,
    two_region_book,
    two_routes_book,
)

METHODS = ["fast", "flow", "ortools", "colgen", "lp"]


def _clear(book: OrderBook, method: str) -> ClearingResult:
    """``"flow"``, ``"ortools"``: the fast solver with its min-cost flow (engine LEMON or
    OR-Tools) forced on a small book."""
    if method in ("flow", "ortools"):
        engine = "lemon" if method == "flow" else "ortools"
        return clear(book, tuning={"direct_links": 0, "engine": engine})
    return clear(book, method=method)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", METHODS)
def test_merit_order_single_node(method: str) -> None:
    res = _clear(merit_order_book(), method)
    np.testing.assert_allclose(res.offer_fill, [10, 10, 0], atol=1e-9)
    np.testing.assert_allclose(res.bid_fill, [15, 5], atol=1e-9)
    assert res.node_price[0] == pytest.approx(40.0)
    assert res.welfare == pytest.approx(1200.0)
    assert equilibrium_violations(merit_order_book(), res) == []


@pytest.mark.parametrize("method", METHODS)
def test_two_regions_uncongested_link_prices_differ_by_link_cost(method: str) -> None:
    book = two_region_book(cap=np.inf)
    res = _clear(book, method)
    # All 60 units come from region 0 at 10 + 5 = 15 < 40.
    np.testing.assert_allclose(res.link_flow, [60], atol=1e-9)
    np.testing.assert_allclose(res.offer_fill, [60, 0], atol=1e-9)
    np.testing.assert_allclose(res.node_price, [10, 15], atol=1e-9)
    assert res.welfare == pytest.approx(60 * 80 - 60 * 10 - 60 * 5)


@pytest.mark.parametrize("method", METHODS)
def test_congested_link_splits_prices(method: str) -> None:
    book = two_region_book(cap=20.0)
    res = _clear(book, method)
    # 20 units cross; region 1 covers the other 40 from its own 40-priced offer.
    np.testing.assert_allclose(res.link_flow, [20], atol=1e-9)
    np.testing.assert_allclose(res.offer_fill, [20, 40], atol=1e-9)
    np.testing.assert_allclose(res.node_price, [10, 40], atol=1e-9)
    # The price spread 40 - 10 exceeds the link cost 5: the link is at capacity.
    assert res.welfare == pytest.approx(60 * 80 - 20 * 10 - 20 * 5 - 40 * 40)
    assert equilibrium_violations(book, res) == []


@pytest.mark.parametrize("method", METHODS)
def test_empty_book_trades_nothing(method: str) -> None:
    book = OrderBook(3, [], [], [], [], [], [])
    res = _clear(book, method)
    assert res.offer_fill.size == res.bid_fill.size == res.link_flow.size == 0
    assert np.isnan(res.node_price).all()
    assert res.welfare == 0.0


@pytest.mark.parametrize("method", METHODS)
def test_one_sided_book_trades_nothing(method: str) -> None:
    book = OrderBook(2, [0, 1], [5.0, 5.0], [10.0, 12.0], [], [], [])
    res = _clear(book, method)
    np.testing.assert_array_equal(res.offer_fill, [0, 0])
    # Unfilled offers: any price at or below each offer's is an equilibrium price.
    assert (res.node_price <= [10.0, 12.0]).all()
    assert equilibrium_violations(book, res) == []


@pytest.mark.parametrize("method", METHODS)
def test_no_crossing_trades_nothing_and_price_lies_between(method: str) -> None:
    book = OrderBook(1, [0], [10.0], [50.0], [0], [10.0], [40.0])
    res = _clear(book, method)
    assert res.offer_fill[0] == 0 and res.bid_fill[0] == 0 and res.welfare == 0
    assert 40.0 - 1e-9 <= res.node_price[0] <= 50.0 + 1e-9


@pytest.mark.parametrize("method", METHODS)
def test_zero_quantities_and_zero_capacity_trade_nothing(method: str) -> None:
    book = OrderBook(
        2,
        [0, 1],
        [0.0, 3.0],
        [1.0, 90.0],
        [1],
        [4.0],
        [100.0],
        link_src=[0],
        link_dst=[1],
        link_cost=[0.0],
        link_cap=[0.0],
    )
    res = _clear(book, method)
    np.testing.assert_allclose(res.offer_fill, [0, 3], atol=1e-9)
    np.testing.assert_allclose(res.link_flow, [0], atol=1e-9)
    assert res.welfare == pytest.approx(3 * (100 - 90))


@pytest.mark.parametrize("method", METHODS)
def test_ties_fill_in_book_order(method: str) -> None:
    # Three identical offers and two identical bids at one node; 15 units trade.
    book = OrderBook(
        1, [0, 0, 0], [10.0, 10.0, 10.0], [20.0] * 3, [0, 0], [10.0, 5.0], [30.0, 30.0]
    )
    res = _clear(book, method)
    np.testing.assert_allclose(res.offer_fill, [10, 5, 0], atol=1e-9)
    np.testing.assert_allclose(res.bid_fill, [10, 5], atol=1e-9)
    # A rule, not luck: the same book with the offers listed in another order
    # fills whichever comes first.
    book2 = OrderBook(
        1, [0, 0, 0], [10.0, 4.0, 10.0], [20.0] * 3, [0, 0], [10.0, 5.0], [30.0, 30.0]
    )
    np.testing.assert_allclose(_clear(book2, method).offer_fill, [10, 4, 1], atol=1e-9)
    # Ties of unequal sizes, 5 units traded: offers of 1 and 10 at 20 fill 1 and 4, and
    # listed 10 first, 5 and 0; bids of 1 and 10 at 30 likewise buy 1 and 4.
    small_first = OrderBook(1, [0, 0], [1.0, 10.0], [20.0] * 2, [0], [5.0], [30.0])
    np.testing.assert_allclose(_clear(small_first, method).offer_fill, [1, 4], atol=1e-9)
    large_first = OrderBook(1, [0, 0], [10.0, 1.0], [20.0] * 2, [0], [5.0], [30.0])
    np.testing.assert_allclose(_clear(large_first, method).offer_fill, [5, 0], atol=1e-9)
    bids = OrderBook(1, [0], [5.0], [20.0], [0, 0], [1.0, 10.0], [30.0] * 2)
    np.testing.assert_allclose(_clear(bids, method).bid_fill, [1, 4], atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_independent_markets_in_one_book_clear_as_if_alone(method: str) -> None:
    parts = [two_region_book(cap) for cap in (np.inf, 20.0, 0.0)]
    offset = np.cumsum([0] + [p.n_nodes for p in parts])
    joined = OrderBook(
        int(offset[-1]),
        np.concatenate([p.offers[0] + o for p, o in zip(parts, offset, strict=False)]),
        np.concatenate([p.offers[1] for p in parts]),
        np.concatenate([p.offers[2] for p in parts]),
        np.concatenate([p.bids[0] + o for p, o in zip(parts, offset, strict=False)]),
        np.concatenate([p.bids[1] for p in parts]),
        np.concatenate([p.bids[2] for p in parts]),
        np.concatenate([p.links[0] + o for p, o in zip(parts, offset, strict=False)]),
        np.concatenate([p.links[1] + o for p, o in zip(parts, offset, strict=False)]),
        np.concatenate([p.links[2] for p in parts]),
        np.concatenate([p.links[3] for p in parts]),
    )
    alone = [_clear(p, method) for p in parts]
    res = _clear(joined, method)
    assert res.welfare == pytest.approx(sum(a.welfare for a in alone))
    np.testing.assert_allclose(
        res.node_price, np.concatenate([a.node_price for a in alone]), atol=1e-9
    )


@pytest.mark.parametrize("method", ["fast", "flow", "ortools", "colgen"])
def test_transshipment_book_clears_and_only_colgen_falls_back(method: str) -> None:
    # 0 -> 1 -> 2: node 1 both receives and sends.
    book = OrderBook(
        3,
        [0],
        [10.0],
        [5.0],
        [2],
        [10.0],
        [50.0],
        link_src=[0, 1],
        link_dst=[1, 2],
        link_cost=[1.0, 2.0],
        link_cap=[np.inf, 4.0],
    )
    if method == "colgen":
        with pytest.warns(FallbackWarning, match="method='lp'"):
            res = _clear(book, method)
        assert res.method == "lp"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = _clear(book, method)
        assert res.method == "fast"
    assert equilibrium_violations(book, res) == []
    np.testing.assert_allclose(res.link_flow, [4, 4], atol=1e-9)
    assert res.welfare == pytest.approx(4 * (50 - 5 - 1 - 2))


def test_bipartite_book_uses_fast_solver_without_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = clear(two_region_book(np.inf))
    assert res.method == "fast"


TWO_OFFERS: dict[str, object] = {
    "offer_node": [0, 0],
    "offer_qty": [1.0, 1.0],
    "offer_price": [1.0, 2.0],
    "bid_qty": [1.0],
    "bid_price": [5.0],
    "link_cost": [0.5],
}
"""The bad books' base: ``two_node_book`` with two offers at node 0 (1@1, 1@2), a bid 1@5
and a link costing 0.5."""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"offer_price": [1.0, np.nan]}, r"offer_price\[1\] = nan: a price must be finite"),
        ({"bid_price": [np.inf]}, r"bid_price\[0\] = inf: a price must be finite"),
        ({"offer_qty": [1.0, -2.0]}, r"offer_qty\[1\] = -2.0: must be >= 0"),
        ({"bid_node": [7]}, r"bid_node\[0\] = 7: node id out of range; use 0 <= id < n_nodes = 2"),
        (
            {"offer_node": [0]},
            r"offers arrays have unequal lengths \(offer_node=1, offer_qty=2, offer_price=2\)",
        ),
        ({"link_cap": [-1.0]}, r"link_cap\[0\] = -1.0: must be >= 0"),
        ({"link_cost": [np.nan]}, r"link_cost\[0\] = nan: a link cost must be finite"),
        ({"link_dst": [0]}, r"link_src\[0\] = link_dst\[0\] = 0: a link must join two nodes"),
        ({"n_nodes": -1}, r"n_nodes = -1: must be a whole number >= 0"),
    ],
)
def test_bad_books_raise_book_error_naming_field_and_index(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(BookError, match=message):
        two_node_book(**{**TWO_OFFERS, **kwargs})


def test_book_error_is_a_value_error_and_unknown_method_is_refused() -> None:
    assert issubclass(BookError, ValueError)
    with pytest.raises(BookError, match="method = 'simplex': unknown"):
        clear(merit_order_book(), method="simplex")  # type: ignore[arg-type]
    with pytest.raises(BookError, match=r"tuning = .*the oracle has none"):
        clear(merit_order_book(), method="lp", tuning={"per_buyer": 1})


def test_equilibrium_check_catches_a_wrong_result() -> None:
    book = two_region_book(cap=20.0)
    good = clear(book)
    bad = type(good)(
        good.offer_fill, good.bid_fill, good.link_flow * 0.5, good.node_price, good.welfare, "x", 0
    )
    problems = equilibrium_violations(book, bad)
    assert any("out of balance" in p for p in problems)
    assert any("profitable link below capacity" in p for p in problems)


def _marginal_pair_book() -> OrderBook:
    """One node: offers 10@20, 10@40 against bids 15@100, 10@40. The price is 40, where
    the second offer and the second bid are both marginal: offers 10 and 5 + b against
    bids 15 and b clear for any b in [0, 5]."""
    return OrderBook(1, [0, 0], [10.0, 10.0], [20.0, 40.0], [0, 0], [15.0, 10.0], [100.0, 40.0])


@pytest.mark.parametrize(
    ("book", "change", "message"),
    [
        # merit order (price 40; offers 10, 10, 0; bids 15, 5): one unit more from the
        # cheapest offer than it has, taken by the marginal 40 bid
        (
            merit_order_book(),
            {"offer_fill": [11.0, 10.0, 0.0], "bid_fill": [15.0, 6.0]},
            "offer fill outside [0, qty]: 1 (first at index 0)",
        ),
        # the 50 offer (above the price) sells -1, the marginal bid takes one less
        (
            merit_order_book(),
            {"offer_fill": [10.0, 10.0, -1.0], "bid_fill": [15.0, 4.0]},
            "offer fill outside [0, qty]: 1 (first at index 2)",
        ),
        # the 100 bid buys 16 of its 15, the marginal bid one less
        (
            merit_order_book(),
            {"bid_fill": [16.0, 4.0]},
            "bid fill outside [0, qty]: 1 (first at index 0)",
        ),
        # the marginal bid buys -1, the marginal offer sells 4
        (
            _marginal_pair_book(),
            {"offer_fill": [10.0, 4.0], "bid_fill": [15.0, -1.0], "node_price": [40.0]},
            "bid fill outside [0, qty]: 1 (first at index 1)",
        ),
        # the congested link (prices 10 and 40, cap 20) carries 21: the two marginal
        # offers (at 10 and 40) sell 21 and 39
        (
            two_region_book(cap=20.0),
            {"offer_fill": [21.0, 39.0], "link_flow": [21.0]},
            "link flow outside [0, cap]: 1 (first at index 0)",
        ),
        # free links at price 3 everywhere are all marginal: route -1 on 0->2 and 1->3
        # and 11 on the other two
        (
            two_routes_book(),
            {"link_flow": [-1.0, 11.0, 11.0, -1.0]},
            "link flow outside [0, cap]: 2 (first at index 0)",
        ),
        # the 20 offer (below the price 40) sells 9, the marginal bid buys 4
        (
            merit_order_book(),
            {"offer_fill": [9.0, 10.0, 0.0], "bid_fill": [15.0, 4.0]},
            "offer below price not filled: 1 (first at index 0)",
        ),
        # the 50 offer (above the price 40) sells 1 of its 10, the marginal bid buys 6
        (
            merit_order_book(),
            {"offer_fill": [10.0, 10.0, 1.0], "bid_fill": [15.0, 6.0]},
            "offer above price filled: 1 (first at index 2)",
        ),
        # the uncapped link (prices 10 and 15, cost 5, flow 60) with the importer's price
        # at 14.9: a spread of -0.1, yet the link carries 60 of its infinite capacity
        (
            two_region_book(cap=np.inf),
            {"node_price": [10.0, 14.9]},
            "unprofitable link carries flow: 1 (first at index 0)",
        ),
    ],
    ids=[
        "offer over qty",
        "offer below 0",
        "bid over qty",
        "bid below 0",
        "flow over cap",
        "flow below 0",
        "cheap offer short",
        "dear offer sold",
        "flow against spread",
    ],
)
def test_equilibrium_check_reports_each_violated_condition_alone(
    book: OrderBook, change: dict[str, list[float]], message: str
) -> None:
    good = clear(book)
    assert equilibrium_violations(book, good) == []
    arrays: dict[str, Any] = {k: np.array(v) for k, v in change.items()}
    assert equilibrium_violations(book, replace(good, **arrays)) == [message]


def test_equilibrium_check_judges_each_market_at_its_own_scale() -> None:
    book = compute_and_chips_book()
    good = clear(book)
    np.testing.assert_array_equal(good.bid_fill, [1e9, 1e3])
    np.testing.assert_array_equal(good.node_price, [2.5, 2.5e4])  # midpoints
    assert equilibrium_violations(book, good) == []
    # half a chip short: node 1 is 0.5 out of balance and its bid (above the price)
    # not filled. At the chips' scale: qty tol 1e-9 x 1e3 = 1e-6, balance tol 2 x 1e-6
    # (an offer and a bid at the node). At the whole book's scale (1e9) they would be 1
    # and 2 units, and 0.5 would pass.
    short = replace(good, bid_fill=np.array([1e9, 999.5]))
    problems = equilibrium_violations(book, short)
    assert [p.split(":")[0] for p in problems] == [
        "node out of balance",
        "bid above price not filled",
    ]
    assert all("first at index 1" in p for p in problems)
    # compute priced $0.0001 above its bid of $3: the bid is filled below the price. At
    # compute's scale the price tol is 1e-7 x $3 = 3e-7; at the book's ($30,000), 0.003.
    dear = replace(good, node_price=np.array([3.0001, 2.5e4]))
    assert equilibrium_violations(book, dear) == ["bid below price filled: 1 (first at index 0)"]
    # one component (joined by a link that carries nothing): judged at the book's scale,
    # as every book was before, both errors pass
    joined = compute_and_chips_book(joined=True)
    for wrong in (short, dear):
        assert equilibrium_violations(joined, replace(wrong, link_flow=np.zeros(1))) == []


def test_a_node_balance_is_judged_by_the_terms_of_its_own_sum() -> None:
    # 50 one-node markets, each an offer and a bid at $1: at the price $1 any fill is an
    # equilibrium if the node balances. Node 7 off by 1e-8: five times its tolerance (2
    # terms x 1e-9), a tenth of one scaled by the book's 100 orders (1e-7).
    n = 50
    nodes, ones = np.arange(n), np.ones(n)
    book = OrderBook(n, nodes, ones, ones, nodes, ones, ones, [], [], [], [])
    half = np.full(n, 0.5)
    ok = replace(clear(book), offer_fill=half, bid_fill=half.copy(), node_price=ones)
    assert equilibrium_violations(book, ok) == []
    off = half.copy()
    off[7] += 1e-8
    assert equilibrium_violations(book, replace(ok, bid_fill=off)) == [
        "node out of balance: 1 (first at index 7)"
    ]
    off[7] = 0.5 + 1.5e-9  # within 2 terms x 1e-9
    assert equilibrium_violations(book, replace(ok, bid_fill=off)) == []


def test_quantities_are_judged_in_the_unit_the_solver_scales_the_market_by() -> None:
    # One node: an offer of 750,000 at $1 and bids of 0.001 at $5 and 750,000 at $2. The
    # market's largest quantity is 750,000; the solvers scale it by the nearest power of
    # two, 2**20 = 1,048,576, and their tolerance (1e-9 of that unit) is 1.05e-3, more
    # than the 0.001 bid. Left unfilled, it is within the solver's tolerance (regression:
    # it was reported at 1e-9 x 750,000 = 7.5e-4). Short by 1.1e-3, it is not.
    book = OrderBook(1, [0], [7.5e5], [1.0], [0, 0], [1e-3, 7.5e5], [5.0, 2.0])
    exact = clear(book)
    np.testing.assert_allclose(exact.bid_fill, [1e-3, 7.5e5 - 1e-3], rtol=0, atol=1e-9)
    within = replace(exact, bid_fill=np.array([0.0, 7.5e5]), node_price=np.array([2.0]))
    assert equilibrium_violations(book, within) == []
    beyond = replace(book, bid_qty=[1.1e-3, 7.5e5])
    short = replace(within, offer_fill=np.array([7.5e5]))
    assert equilibrium_violations(beyond, short) == [
        "bid above price not filled: 1 (first at index 0)"
    ]


@pytest.mark.parametrize("name", ["model_book_tiny_bid.npz", "model_book_tiny_bid_priced.npz"])
def test_a_model_book_with_a_bid_near_the_solvers_tolerance_clears_as_an_equilibrium(
    name: str,
) -> None:
    # Months of a random valid scenario: a bid of about 0.001 H100e-hours at $1,306 in a
    # market of 0.9 million (scaled by 2**20), which HiGHS leaves unfilled (basic at 0).
    # The first (0.00102) is within 1e-9 of the unit but was judged at 1e-9 of the
    # largest quantity. The second (0.00106) is just beyond; the prices read it at 1e-9
    # of the book's largest scaled quantity (up to sqrt(2) units), took it for filled and
    # priced the node below the bid. Both were reported by the model's check (regression).
    book = saved_book(name)
    for pattern in ("solver", "proportional"):
        assert equilibrium_violations(book, clear(book, pattern=pattern)) == []
        assert equilibrium_violations(book, Clearer(pattern=pattern).clear(book)) == []


def test_badly_scaled_model_book_clears_fast_and_matches_lp() -> None:
    """A month's book from the model: quantities up to 1e9 MWh beside $67,500 chips.

    It once defeated the fast solver's tight tolerances (regression test).
    """
    book = saved_book("model_book_badly_scaled.npz")
    fast, ref = clear(book), clear(book, method="lp")
    assert fast.method == "fast"
    assert equilibrium_violations(book, fast) == []
    assert fast.welfare == pytest.approx(ref.welfare, rel=1e-9)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("name", "factor"),
    [
        # Quantities 1.7e4 .. 7.1e10 and prices to 6.75e4 in one market: the fast solver
        # stopped with status "Unknown" on it before books were scaled (regression test).
        ("wide_range_book.npz", 1.0),
        # The model's month with quantities grown to 7.1e10 MWh.
        ("model_book_badly_scaled.npz", 59.0),
    ],
)
def test_wide_range_books_clear_like_the_same_book_in_other_units(
    method: str, name: str, factor: float
) -> None:
    book, small = saved_book(name, factor), saved_book(name, factor * 1e-3)
    qty = np.concatenate([book.offers[1], book.bids[1]])
    assert qty.max() > 5e10 and qty.max() / qty[qty > 0].min() > 1e4
    res, ref = _clear(book, method), clear(small, method="lp")
    assert equilibrium_violations(book, res) == []
    # Quantities in thousands: the same trades, 1000 times smaller, at the same prices.
    assert res.welfare == pytest.approx(1e3 * ref.welfare, rel=1e-9)
    np.testing.assert_allclose(res.bid_fill, 1e3 * ref.bid_fill, rtol=1e-9, atol=1e-6)


def test_fast_solver_still_exact_when_the_flow_library_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import market.mcf

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("flow library failed")

    monkeypatch.setattr(market.mcf, "solve_flow", broken)
    book = two_region_book(cap=20.0)
    res = clear(book, tuning={"direct_links": 0})
    assert res.method == "fast" and equilibrium_violations(book, res) == []
    assert res.welfare == pytest.approx(60 * 80 - 20 * 10 - 20 * 5 - 40 * 40)


def test_ties_in_a_tiny_market_are_refilled_beside_a_huge_one() -> None:
    # A month of a random valid scenario: a market whose largest quantity is 1.2e-7 (an
    # offer at $5 and a lab's bids) in a book whose other markets hold billions. Two of
    # the lab's bids are tied at $295.59 (1.17e-7 and 1.7e-9); the tie refill summed the
    # quantity ahead of each order over the whole book, so the 1.7e-9 was lost in the
    # rounding of those billions: left unfilled while bids at $128-$284 were filled, and
    # the checked run stopped. Every method now fills it.
    book = saved_book("model_book_tiny_market_ties.npz")
    for method in ("lp", "fast"):
        res = clear(book, method=method)
        assert equilibrium_violations(book, res) == []
        assert res.bid_fill[37] == pytest.approx(book.bid_qty[37], rel=1e-9)
    res = Clearer(pattern="proportional").clear(book)
    assert equilibrium_violations(book, res) == []


@pytest.mark.parametrize("seed", range(10))
def test_the_compiled_finish_of_a_solve_is_numpys_to_the_bit(seed: int) -> None:
    # fills past their bounds by rounding, -0.0 and ties, refilled as numpy did before
    # the finish was compiled: np.clip, the book-order refill, prices where touched
    from market.clearing import _finished, _ties_in_book_order

    rng = np.random.default_rng(seed)
    n_o, n_b, n_l, n = 12, 9, 7, 8
    o_node, b_node = rng.integers(0, 4, n_o), rng.integers(4, 8, n_b)
    o_price, b_price = rng.choice([1.0, 2.0], n_o), rng.choice([3.0, 4.0], n_b)
    o_qty, b_qty = rng.choice([0.0, 5.0, 1e9], n_o), rng.choice([0.0, 2.0], n_b)
    upper = np.concatenate((o_qty, b_qty, rng.choice([1.0, np.inf], n_l)))
    finite = np.where(np.isfinite(upper), upper, 3.0)  # a flow on an uncapped link
    fill = finite * rng.choice([0.0, 0.5, 1.0 + 1e-12], upper.size) + rng.choice(
        [0.0, -1e-12, 1e-12], upper.size
    )
    fill[rng.random(upper.size) < 0.2] = -0.0  # a solver's negative zero
    price = rng.normal(size=n)
    price[0] = -0.0
    touched = rng.random(n) < 0.7
    got = _finished(o_node, o_qty, o_price, b_node, b_qty, b_price, fill, upper, price, touched)
    clipped = np.clip(fill, 0.0, upper)
    want = (
        _ties_in_book_order(o_node, o_price, o_qty, clipped[:n_o]),
        _ties_in_book_order(b_node, b_price, b_qty, clipped[n_o : n_o + n_b]),
        clipped[n_o + n_b :],
        np.where(touched, price + 0.0, np.nan),
    )
    for g, w in zip(got, want, strict=True):
        assert g.tobytes() == w.tobytes()
