"""The proportional trade pattern: hand-computed splits, and one answer whatever HiGHS's path."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from scipy.optimize import linprog

from market import trade_pattern
from market.clearing import (
    ClearingResult,
    FallbackWarning,
    OrderBook,
    clear,
    equilibrium_violations,
    welfare_tolerance,
)
from market.lp import columns, solve_lp
from market.scaling import components
from market.trade_pattern import PatternError
from market.warm import Clearer
from tests.market.conftest import saved_book, two_routes_book, uneven_routes_book
from tests.market.strategies import tied_books


def _flows(book: OrderBook, highs_seed: int) -> tuple[np.ndarray, ...]:
    res = Clearer(highs_options={"random_seed": highs_seed}, pattern="proportional").clear(book)
    assert equilibrium_violations(book, res) == []
    return res.offer_fill, res.bid_fill, res.link_flow


@pytest.mark.parametrize("highs_seed", [0, 1, 2, 3])
def test_equal_sellers_and_buyers_split_evenly(highs_seed: int) -> None:
    # every route tied and open: the gravity split 10 * 10 / 20 = 5 on each link
    np.testing.assert_allclose(_flows(two_routes_book(), highs_seed)[2], 5.0, rtol=1e-12)


@pytest.mark.parametrize("highs_seed", [0, 1, 2, 3])
def test_each_buyer_buys_from_tied_sellers_in_proportion_to_their_size(highs_seed: int) -> None:
    # sellers of 10 and 30 at 1, buyers of 20 and 20 at 5, all four links free: all 40
    # trade, and x_sd = S_s * D_d / 40 gives 5, 5 from the first and 15, 15 from the second
    book = uneven_routes_book()
    np.testing.assert_allclose(_flows(book, highs_seed)[2], [5.0, 5.0, 15.0, 15.0], rtol=1e-12)


def test_a_bound_the_split_would_break_holds() -> None:
    # as above, but the first seller's link to buyer 3 carries at most 1: the others
    # take up the difference (the optimum nearest the split, not the split itself)
    book = uneven_routes_book(cap=1.0)
    flows = _flows(book, 0)[2]
    assert flows[1] == pytest.approx(1.0)
    # balances: seller 0 sends 10, buyer 2 receives 20
    np.testing.assert_allclose([flows[0], flows[2], flows[3]], [9.0, 11.0, 19.0], rtol=1e-12)


def test_a_link_between_two_tiny_nodes_keeps_the_rule_well_posed() -> None:
    # a tied two-by-two book whose second seller and buyer are 1e-170 of the others: the
    # link between them weighs 1e-340, which underflows to zero (an infinite Hessian
    # entry without the weight floor, and DAQP found no optimum); with the floor every
    # method returns one finite equilibrium, the big pair trading all of it
    tiny = 1e-170
    book = OrderBook(
        4, [0, 1], [1.0, tiny], [1.0, 1.0], [2, 3], [1.0, tiny], [5.0, 5.0],
        [0, 0, 1, 1], [2, 3, 2, 3], [0.0] * 4, [np.inf] * 4,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a FallbackWarning: the rule was not applied
        got = [_flows(book, seed)[2] for seed in (0, 1, 2)]
        got.append(clear(book, method="lp", pattern="proportional").link_flow)
    for flows in got:
        assert np.isfinite(flows).all()
        np.testing.assert_allclose(flows, [1.0, 0.0, 0.0, 0.0], rtol=0, atol=1e-9)


def _node_imbalance(book: OrderBook, res: ClearingResult) -> float:
    """The largest net inflow at a node, relative to the quantity of its orders."""
    (on, oq, _), (bn, bq, _), (src, dst, _, _) = book.offers, book.bids, book.links
    n = book.n_nodes
    net = (
        np.bincount(on, res.offer_fill, n)
        - np.bincount(bn, res.bid_fill, n)
        + np.bincount(dst, res.link_flow, n)
        - np.bincount(src, res.link_flow, n)
    )
    size = np.bincount(on, oq, n) + np.bincount(bn, bq, n)
    return float(np.max(np.abs(net) / np.where(size > 0, size, 1.0)))


def test_a_model_month_gets_one_balanced_pattern_under_any_highs_path() -> None:
    # A baseline month (seed 105, month 104) whose quadratic program DAQP solved to its
    # default primal tolerance, 1e-6 on the scaled book: the point crossed a bound, and
    # clipping it left a node 1.5e-4 of its size out of balance. Solved to HiGHS's 1e-9,
    # the rule's point balances every node and is the same under every HiGHS path.
    book = saved_book("model_book_daqp_tolerance.npz")
    flows = []
    for highs_seed in (0, 1, 2, 3):
        clearer = Clearer(highs_options={"random_seed": highs_seed}, pattern="proportional")
        res = clearer.clear(book)
        assert clearer.pattern_fallbacks == 0
        assert _node_imbalance(book, res) < 1e-12
        flows.append(res.link_flow)
    scale = np.abs(flows[0]).max()
    for got in flows[1:]:
        np.testing.assert_allclose(got, flows[0], rtol=0, atol=1e-12 * scale)


def _rule_applied(book: OrderBook, highs_options: dict[str, int] | None = None) -> ClearingResult:
    """``book`` cleared by a proportional Clearer (``highs_options`` given to HiGHS), checked
    to have applied the rule (no :class:`FallbackWarning`) and to be an equilibrium."""
    clearer = Clearer(highs_options=highs_options, pattern="proportional")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        res = clearer.clear(book)
    assert clearer.pattern_fallbacks == 0
    assert equilibrium_violations(book, res) == []
    return res


def test_an_ill_conditioned_month_gets_the_rule_with_its_weights_floored() -> None:
    # A month of a valid scenario whose cloud has 5e-324 MW built: weights 1e12 apart
    # left DAQP at its iteration limit (10,000), and the month took HiGHS's optimum with a
    # FallbackWarning. Floored at 1e-6 the rule applies: one point, an equilibrium, the
    # same under every HiGHS path.
    book = saved_book("model_book_ill_conditioned.npz")
    flows = [_rule_applied(book, {"random_seed": seed}).link_flow for seed in (0, 1, 2)]
    scale = np.abs(flows[0]).max()
    for got in flows[1:]:
        np.testing.assert_allclose(got, flows[0], rtol=0, atol=1e-12 * scale)


def test_a_point_clipped_to_its_bounds_is_judged_term_by_term() -> None:
    # A baseline month with its quantities and prices scaled far apart (a stress of model
    # books). DAQP's point at the floored weights keeps the balances to 3e-16 but sets 15
    # columns to -1e-9 or so, inside DAQP's primal tolerance; clipped to zero, they left a
    # node 1.2e-9 out of balance against a tolerance of 1e-9 for the whole row, and the
    # month fell back to HiGHS's optimum with a FallbackWarning. Each term may move by the
    # tolerance: the rule applies, at the oracle's point.
    book = saved_book("model_book_clipped_qp.npz")
    res = _rule_applied(book)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        ref = clear(book, method="lp", pattern="proportional")
    scale = max(book.offers[1].max(), book.bids[1].max())
    # within ten times the solvers' tolerance (both floor the weights; 1.2e-7 apart when only
    # the Clearer did)
    for got, want in ((res.link_flow, ref.link_flow), (res.offer_fill, ref.offer_fill)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-8 * scale)


def test_an_optimum_off_its_bounds_by_the_tolerance_still_gets_the_rule() -> None:
    # Month 11 of a random valid scenario: the warm re-solve's optimum had three flows at
    # -8.6e-10, inside HiGHS's tolerance. The rule kept that point's balances, which no point
    # with every flow >= 0 meets: DAQP found the face empty at both weights, and the month
    # fell back to HiGHS's optimum with a FallbackWarning. From the balances of that point
    # moved onto its bounds the rule applies, at the point a cold solve of the same book
    # (an optimum inside its bounds) leads to.
    d = np.load(Path(__file__).parent / "data" / "pattern_warm_off_bounds.npz")
    names = ("cost", "lower", "upper", "start", "index", "value")
    cols = tuple(d[f"col_{k}"] for k in names)
    n_nodes, n_orders = int(d["n_nodes"]), int(d["n_orders"])
    assert d["warm_value"].min() < -5e-10  # the case: an optimum off its bounds
    warm, applied = trade_pattern.proportional_pattern(
        n_nodes, cols, d["warm_value"], d["warm_price"], n_orders
    )
    assert applied
    cold, cold_applied = trade_pattern.proportional_pattern(
        n_nodes, cols, d["fresh_value"], d["fresh_price"], n_orders
    )
    assert cold_applied
    upper, start, index, coef = cols[2], cols[3], cols[4], cols[5]
    assert ((warm >= 0.0) & (warm <= upper)).all()
    np.testing.assert_allclose(warm, cold, rtol=0, atol=1e-8 * np.abs(cold).max())
    # every node as balanced as the given optimum, to the tolerance a term
    col = np.repeat(np.arange(upper.size), np.diff(start))
    net = np.bincount(index, coef * warm[col], n_nodes)
    given = np.bincount(index, coef * d["warm_value"][col], n_nodes)
    terms = np.bincount(index, minlength=n_nodes)
    assert (np.abs(net - given) <= trade_pattern.FACE_TOLERANCE * terms).all()


def _is_optimum(
    x: np.ndarray, weight: np.ndarray, a: np.ndarray, b: np.ndarray, bound: np.ndarray
) -> bool:
    """Whether ``x`` minimises ``sum(x**2 / weight)`` with ``a @ x = b``, ``0 <= x <= bound``:
    an independent certificate (the Karush-Kuhn-Tucker conditions of a convex program),
    found or refuted by HiGHS's LP through SciPy. Multipliers ``lam`` of the rows must exist
    with ``(a.T @ lam)_j`` equal to the gradient ``2 x_j / w_j`` where ``x_j`` is inside its
    bounds, at most it where ``x_j`` is at 0 and at least it where at its bound (a column with
    no room, a bound below the tolerance, is free of sign)."""
    tol = 1e-9 * max(1.0, float(np.abs(b).max()))
    if np.abs(a @ x - b).max() > tol * a.shape[1] or (x < -tol).any() or (x > bound + tol).any():
        return False
    grad = 2.0 * x / weight
    room = bound > tol
    low = room & (x <= tol)
    high = room & ~low & (x >= bound - tol)
    inner = room & ~low & ~high
    slack = 1e-9 * max(1.0, float(np.abs(grad).max()))
    res = linprog(
        np.zeros(a.shape[0]),
        A_ub=np.vstack((a.T[low], -a.T[high])),
        b_ub=np.concatenate((grad[low] + slack, slack - grad[high])),
        A_eq=a.T[inner],
        b_eq=grad[inner],
        bounds=(None, None),
        method="highs",
    )
    return bool(res.status == 0)


def _a_vertex(a: np.ndarray, b: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """A vertex of the face ``a @ x = b``, ``0 <= x <= bound``: another point of it, which a
    least-squares rule does not pick (HiGHS's LP at costs 0, 1, 2, ...)."""
    n = bound.size
    res = linprog(np.arange(n), A_eq=a, b_eq=b, bounds=np.c_[np.zeros(n), bound], method="highs")
    assert res.status == 0
    return np.asarray(res.x)


def test_a_face_daqp_cycles_on_still_gets_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    # Month 25 of a random valid scenario: a market trading next to nothing, whose face of
    # 151 columns has 59 of its 63 balances at zero (the largest 3e-4). DAQP stopped on
    # cycling (exit flag -2) at both weights and both balances, and the month fell back to
    # HiGHS's optimum with a FallbackWarning. Given room to cycle it reaches the optimum:
    # the point an independent QP solver finds, inside its bounds, every node as balanced
    # as the given optimum.
    d = np.load(Path(__file__).parent / "data" / "pattern_warm_daqp_cycling.npz")
    names = ("cost", "lower", "upper", "start", "index", "value")
    cols = tuple(d[f"col_{k}"] for k in names)
    n_nodes, n_orders = int(d["n_nodes"]), int(d["n_orders"])
    faces: list[tuple[np.ndarray, ...]] = []
    nearest = trade_pattern._nearest

    def kept(w: np.ndarray, a: np.ndarray, b: np.ndarray, bound: np.ndarray) -> object:
        faces.append((w, a, b, bound))
        return nearest(w, a, b, bound)

    monkeypatch.setattr(trade_pattern, "_nearest", kept)
    x, applied = trade_pattern.proportional_pattern(
        n_nodes, cols, d["warm_value"], d["warm_price"], n_orders
    )
    assert applied and len(faces) == 1  # at the first try: the weights as they are
    w, a, b, bound = faces[0]
    assert a.shape == (63, 151) and np.count_nonzero(b) == 4  # the case
    point = nearest(w, a, b, bound)
    assert point is not None and _is_optimum(point, w, a, b, bound)
    assert not _is_optimum(_a_vertex(a, b, bound), w, a, b, bound)  # the check can fail
    upper, start, index, coef = cols[2], cols[3], cols[4], cols[5]
    assert ((x >= 0.0) & (x <= upper)).all()
    col = np.repeat(np.arange(upper.size), np.diff(start))
    net = np.bincount(index, coef * x[col], n_nodes)
    given = np.bincount(index, coef * d["warm_value"][col], n_nodes)
    terms = np.bincount(index, minlength=n_nodes)
    assert (np.abs(net - given) <= trade_pattern.FACE_TOLERANCE * terms).all()


def test_a_face_with_orders_of_next_to_nothing_still_gets_the_rule() -> None:
    # Month 3 of a random valid scenario: two orders of the face can move by 2e-59 and
    # 3e-12, under DAQP's zero tolerance (1e-11), so DAQP held them as equalities and
    # refused the face as overdetermined (exit flag -6); the month fell back to HiGHS's
    # optimum with a FallbackWarning. With those two at zero the face is solved: at the
    # point an independent QP solver finds, every row balanced.
    d = np.load(Path(__file__).parent / "data" / "face_daqp_overdetermined.npz")
    w, a, b, bound = d["weight"], d["a"], d["b"], d["bound"]
    assert trade_pattern._daqp(w, a, b, bound)[1] == -6  # the case
    assert np.count_nonzero(bound < 1e-11) == 2
    point = trade_pattern._nearest(w, a, b, bound)
    assert point is not None and _is_optimum(point, w, a, b, bound)
    assert not _is_optimum(_a_vertex(a, b, bound), w, a, b, bound)  # the check can fail


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tied_books())
def test_the_same_book_gives_the_same_flows_whatever_highs_path(book: OrderBook) -> None:
    # the invariant the rule exists for: HiGHS's random seed picks among optima, the
    # rule returns one point; it is an optimum with the oracle's welfare
    ref = clear(book, method="lp")
    scale = max(float(np.max(book.offers[1], initial=0.0)), float(np.max(book.bids[1])))
    first = _flows(book, 0)
    for highs_seed in (1, 2):
        for got, want in zip(_flows(book, highs_seed), first, strict=True):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-8 * scale)
    res = Clearer(pattern="proportional").clear(book)
    assert abs(res.welfare - ref.welfare) <= welfare_tolerance(book, ref.welfare)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tied_books())
def test_every_method_returns_the_same_flows_under_the_rule(book: OrderBook) -> None:
    # the LP oracle, the fast solver through the min-cost flow, column generation and the
    # warm Clearer reach different optima of a tied book; the rule maps all to one point
    scale = max(float(np.max(book.offers[1], initial=0.0)), float(np.max(book.bids[1])))
    want = clear(book, method="lp", pattern="proportional")
    got = [
        clear(book, pattern="proportional", tuning={"direct_links": 0}),
        clear(book, method="colgen", pattern="proportional", tuning={"direct_links": 0}),
        Clearer(pattern="proportional").clear(book),
    ]
    for res in got:
        assert equilibrium_violations(book, res) == []
        for part in ("offer_fill", "bid_fill", "link_flow"):
            np.testing.assert_allclose(
                getattr(res, part), getattr(want, part), rtol=0, atol=1e-9 * scale
            )


@pytest.mark.parametrize("where", ["Clearer", "clear"])
def test_a_refused_quadratic_program_returns_the_solvers_optimum_and_warns(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DAQP reporting no optimum (exitflag -1) on the tied two-by-two book: the caller is
    # told, counted by the Clearer, and gets the solver's own optimum, not a partial point
    book = two_routes_book()
    want = Clearer().clear(book) if where == "Clearer" else clear(book)

    def refuse(*args: object, **kwargs: object) -> tuple[np.ndarray, float, int, dict]:
        return np.full(4, np.nan), np.nan, -1, {}

    monkeypatch.setattr(trade_pattern.daqp, "solve", refuse)
    clearer = Clearer(pattern="proportional")
    with pytest.warns(FallbackWarning, match="no usable point"):
        got = clearer.clear(book) if where == "Clearer" else clear(book, pattern="proportional")
    if where == "Clearer":
        assert clearer.pattern_fallbacks == 1
    np.testing.assert_array_equal(got.link_flow, want.link_flow)
    assert equilibrium_violations(book, got) == []


def _all_routes_tied(n_sellers: int, n_buyers: int) -> tuple[OrderBook, np.ndarray]:
    """Sellers of 1..n at one price, buyers of as much in all at another, every seller
    linked to every buyer at no cost: every route ties. Returns the book and the gravity
    split ``S_s * D_d / T`` of its links (seller-major)."""
    rng = np.random.default_rng(n_sellers * n_buyers)
    supply = rng.integers(1, 10, n_sellers).astype(float)
    demand = rng.integers(1, 10, n_buyers).astype(float)
    demand *= supply.sum() / demand.sum()
    src = np.repeat(np.arange(n_sellers), n_buyers)
    dst = n_sellers + np.tile(np.arange(n_buyers), n_sellers)
    book = OrderBook(
        n_sellers + n_buyers,
        np.arange(n_sellers), supply, np.full(n_sellers, 1.0),
        n_sellers + np.arange(n_buyers), demand, np.full(n_buyers, 5.0),
        src, dst, np.zeros(src.size), np.full(src.size, np.inf),
    )  # fmt: skip
    return book, np.outer(supply, demand).ravel() / supply.sum()


def test_a_face_up_to_the_limit_gets_the_gravity_split_and_a_larger_one_the_solvers() -> None:
    # 60 x 66 = 3,960 tied routes: within MAX_FREE_COLUMNS (4,000), the rule's split
    book, gravity = _all_routes_tied(60, 66)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = Clearer(pattern="proportional").clear(book)
    np.testing.assert_allclose(res.link_flow, gravity, rtol=1e-9, atol=1e-9)
    # 64 x 64 = 4,096: too large a face for DAQP's dense matrices (terabytes at the sizes a
    # scenario allows), so the solver's optimum, an equilibrium, with the warning
    book, gravity = _all_routes_tied(64, 64)
    clearer = Clearer(pattern="proportional")
    with pytest.warns(FallbackWarning, match=r"ties more than 4,000 routes and orders"):
        res = clearer.clear(book)
    assert clearer.pattern_fallbacks == 1 and equilibrium_violations(book, res) == []
    np.testing.assert_array_equal(res.link_flow, Clearer().clear(book).link_flow)
    assert not np.allclose(res.link_flow, gravity)  # a vertex, not the rule's point


@pytest.mark.parametrize("where", ["Clearer", "clear"])
def test_an_unknown_rule_is_named(where: str) -> None:
    with pytest.raises(PatternError, match=f"{where}\\(pattern='gravity'\\)"):
        if where == "Clearer":
            Clearer(pattern="gravity")
        else:
            clear(two_routes_book(), pattern="gravity")


def test_tied_marginal_sellers_are_split_pro_rata_by_hand():
    # one buyer of 20 between sellers of 10 and 30 at one price, no link binding: the face
    # is x1 + x2 = 20 and the rule minimises x1^2 (1/(10 x 20) + 1/(10 x 20)) + x2^2
    # (1/(30 x 20) + 1/(30 x 20)) (each offer weighed by the market's 20 of bids, each link
    # by its two nodes' sizes), so x1 / x2 = 10 / 30: 5 and 15, each seller two thirds
    book = OrderBook(
        3, [0, 1], [10.0, 30.0], [1.0, 1.0], [2], [20.0], [5.0],
        [0, 1], [2, 2], [0.0, 0.0], [np.inf, np.inf],
    )  # fmt: skip
    res = clear(book, pattern="proportional")
    np.testing.assert_allclose(res.offer_fill, [5.0, 15.0], rtol=1e-9)


def test_two_buyers_of_tied_marginal_sellers_each_buy_pro_rata_by_hand():
    # buyers of 20 and 10 (bidding 5, filled whole) between sellers of 10 and 30 asking 1:
    # 30 of 40 sells, each seller 3/4 of its offer (7.5 and 22.5), and each buyer takes
    # its sellers in that proportion: 20 as 5 + 15, 10 as 2.5 + 7.5 (the module
    # docstring's KKT rate is 4 r / D = 0.1 on all four routes)
    book = OrderBook(
        4, [0, 1], [10.0, 30.0], [1.0, 1.0], [2, 3], [20.0, 10.0], [5.0, 5.0],
        [0, 1, 0, 1], [2, 2, 3, 3], [0.0] * 4, [np.inf] * 4,
    )  # fmt: skip
    for res in (clear(book, pattern="proportional"), Clearer(pattern="proportional").clear(book)):
        np.testing.assert_allclose(res.offer_fill, [7.5, 22.5], rtol=1e-9)
        np.testing.assert_allclose(res.link_flow, [5.0, 15.0, 2.5, 7.5], rtol=1e-9)


def test_a_market_is_split_whatever_other_markets_the_book_holds():
    # sellers of 10 (node 0, reaching buyers 2 and 3) and 30 (node 1, reaching buyer 3
    # only), both asking 1; buyers of 4 and 10 bid 5. Buyer 2 takes 4 from seller 0; with
    # t = 0 -> 3 the rule minimises (4 + t)^2/(10 x 14) + (10 - t)^2/(30 x 14) + t^2/(10 x
    # 10) + (10 - t)^2/(30 x 10) (offers weighed by the market's 14 of bids), whose
    # derivative is zero at 48 t = 60: t = 1.25. A second, unconnected market beside it
    # leaves that as it was (weighing offers by the whole book's bids gives t = 2.01)
    alone = OrderBook(
        4, [0, 1], [10.0, 30.0], [1.0, 1.0], [2, 3], [4.0, 10.0], [5.0, 5.0],
        [0, 0, 1], [2, 3, 3], [0.0] * 3, [np.inf] * 3,
    )  # fmt: skip
    both = OrderBook(
        7, [0, 1, 4, 5], [10.0, 30.0, 700.0, 50.0], [1.0, 1.0, 2.0, 2.0], [2, 3, 6],
        [4.0, 10.0, 600.0], [5.0, 5.0, 9.0], [0, 0, 1, 4, 5], [2, 3, 3, 6, 6], [0.0] * 5,
        [np.inf] * 5,
    )  # fmt: skip
    for book in (alone, both):
        res = clear(book, pattern="proportional")
        np.testing.assert_allclose(res.link_flow[:3], [4.0, 1.25, 8.75], rtol=1e-9)
    # and the second market, one buyer of 600 between sellers of 700 and 50, is pro rata
    np.testing.assert_allclose(res.offer_fill[2:], [560.0, 40.0], rtol=1e-9)


def _face_in_numpy(n_nodes, cols, value, price, n_orders, label):
    """The face of proportional_pattern written with numpy's calls, as before it was
    compiled: the oracle of ``_free_columns`` and ``_face``."""
    upper = cols[2]
    reduced = trade_pattern.reduced_costs(cols, np.nan_to_num(price))
    free = np.flatnonzero((np.abs(reduced) <= trade_pattern.FACE_TOLERANCE) & (upper > 0.0))
    if free.size < 2:
        return free, None
    a, b = trade_pattern._face_system(n_nodes, cols, value, free, n_orders)
    size = trade_pattern.node_sizes(n_nodes, cols, n_orders)
    positive = size[size > 0]
    mean = float(positive.mean()) if positive.size else 1.0
    weight = trade_pattern._weights(cols, n_orders, free, label, size, mean)
    weight = weight / weight.max()
    return free, (a, b, weight, np.maximum(weight, trade_pattern.WEIGHT_FLOOR), upper[free])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tied_books())
def test_the_compiled_face_is_the_numpy_face_to_the_bit(book: OrderBook) -> None:
    if book.n_offers + book.n_bids + book.n_links == 0:
        return
    lp = solve_lp(book)
    cols = columns(book)
    value = np.concatenate((lp.offer_fill, lp.bid_fill, lp.link_flow))
    price = lp.node_price.copy()
    price[::3] = np.nan  # nodes without a market
    n_orders = book.n_offers + book.n_bids
    label = components(book)
    free = trade_pattern._free_columns(cols, price)
    want_free, want = _face_in_numpy(book.n_nodes, cols, value, price, n_orders, label)
    assert free.tolist() == want_free.tolist()
    if want is None:
        return
    got = trade_pattern._face(book.n_nodes, cols, value, free, n_orders, label)
    for g, w in zip(got, want, strict=True):
        assert g.tobytes() == w.tobytes()


@pytest.mark.parametrize("seed", range(10))
def test_the_compiled_check_of_a_point_is_numpys(seed: int) -> None:
    # DAQP's point clipped and judged balanced as numpy judged it before compilation
    rng = np.random.default_rng(seed)
    a = rng.choice([-1.0, 0.0, 1.0], (6, 9))
    bound = rng.choice([0.5, 2.0, np.inf], 9)
    x = rng.normal(size=9)
    x[seed % 9] = [np.nan, np.inf, -0.0, 1e-12][seed % 4]
    b = a @ np.clip(np.nan_to_num(x), 0.0, bound) + rng.choice([0.0, 1e-12, 1e-3], 6)
    point, finite = trade_pattern._clipped(x, bound)
    assert finite == bool(np.isfinite(x).all())
    assert point.tobytes() == np.clip(x, 0.0, bound).tobytes()
    if finite:
        terms = np.count_nonzero(a, axis=1)
        allowed = trade_pattern.FACE_TOLERANCE * max(1.0, float(np.abs(b).max())) * terms
        want = bool((np.abs(a @ point - b) > allowed).any())
        assert trade_pattern._unbalanced(a, a @ point, b) == want
