"""The fast solvers against the LP oracle on random bipartite books (Hypothesis).

Checked on every book: both results are competitive equilibria (feasible to 1e-9 of
the largest quantity, complementary slackness at the node prices), and the solver's
welfare equals the oracle's to 1e-6 relative (plus the solvers' dual tolerance on the volume).
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.clearing import OrderBook, clear, equilibrium_violations, welfare_tolerance
from tests.market.conftest import random_seller_buyer_book
from tests.market.strategies import CAPS, PRICES, QTYS, bipartite_books

# Small books are solved whole by default; these tunings force every path of the
# column generation (sampled price estimate, few initial links, rounds) on them.
TUNINGS = [
    None,
    {"direct_links": 0, "sample_links": 1, "per_buyer": 1},
    {"direct_links": 0, "sample_links": 3, "per_buyer": 2, "add_per_buyer": 2},
]


# Small books are solved by HiGHS alone by default; direct_links=0 forces the flow.
FAST_TUNINGS = [None, {"direct_links": 0}, {"direct_links": 0, "engine": "ortools"}]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bipartite_books(), st.sampled_from(FAST_TUNINGS))
def test_fast_matches_lp_oracle_on_random_bipartite_books(
    book: OrderBook, tuning: dict[str, object] | None
) -> None:
    fast = clear(book, tuning=tuning)
    ref = clear(book, method="lp")
    assert fast.method == "fast"
    assert equilibrium_violations(book, fast) == []
    assert equilibrium_violations(book, ref) == []
    assert abs(fast.welfare - ref.welfare) <= welfare_tolerance(book, ref.welfare)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bipartite_books(), st.sampled_from(TUNINGS))
def test_colgen_matches_lp_oracle_on_random_bipartite_books(
    book: OrderBook, tuning: dict[str, object] | None
) -> None:
    fast = clear(book, method="colgen", tuning=tuning)
    ref = clear(book, method="lp")
    assert fast.method == "colgen"
    assert equilibrium_violations(book, fast) == []
    assert equilibrium_violations(book, ref) == []
    assert abs(fast.welfare - ref.welfare) <= welfare_tolerance(book, ref.welfare)


def test_fast_matches_lp_on_a_larger_seeded_book(rng: np.random.Generator) -> None:
    """A 2,000-link book of the model's shape: few sellers, many buyers."""
    # 20 sellers (5 offers each), 100 buyers (3 bids each) linked to 20 sellers each
    book = random_seller_buyer_book(
        rng, 20, 100, 20, offers=5, bids=3, offer_qty=(10, 60), link_cap=(0, 5)
    )
    ref = clear(book, method="lp")
    assert ref.welfare > 0
    runs = [clear(book, tuning=t) for t in FAST_TUNINGS]
    runs += [clear(book, method="colgen", tuning=t) for t in TUNINGS]
    for res in runs:
        assert equilibrium_violations(book, res) == []
        assert abs(res.welfare - ref.welfare) <= 1e-9 * abs(ref.welfare)
    # The forced column generation really ran in rounds on this book.
    assert clear(book, method="colgen", tuning=TUNINGS[1]).rounds > 1


@st.composite
def transshipment_books(draw: st.DrawFn) -> OrderBook:
    """Links between any two distinct nodes: goods may pass through nodes and cycles."""
    n = draw(st.integers(2, 7))
    pairs = [(a, b) for a in range(n) for b in range(n) if a != b]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=20))
    orders = st.tuples(st.integers(0, n - 1), QTYS, PRICES)
    offers = draw(st.lists(orders, max_size=8))
    bids = draw(st.lists(orders, max_size=8))
    costs = [draw(st.one_of(st.integers(0, 5).map(float), st.floats(1e-3, 50))) for _ in chosen]
    caps = [draw(CAPS) for _ in chosen]
    return OrderBook(
        n,
        [o[0] for o in offers], [o[1] for o in offers], [o[2] for o in offers],
        [b[0] for b in bids], [b[1] for b in bids], [b[2] for b in bids],
        [c[0] for c in chosen], [c[1] for c in chosen], costs, caps,
    )  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transshipment_books(), st.sampled_from(FAST_TUNINGS))
def test_fast_matches_lp_oracle_on_transshipment_books(
    book: OrderBook, tuning: dict[str, object] | None
) -> None:
    fast = clear(book, tuning=tuning)
    ref = clear(book, method="lp")
    assert fast.method == "fast"
    assert equilibrium_violations(book, fast) == []
    assert abs(fast.welfare - ref.welfare) <= welfare_tolerance(book, ref.welfare)
