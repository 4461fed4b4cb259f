"""Hypothesis strategies for random order books shared by the market tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from market.clearing import OrderBook

# Prices, costs and quantities are whole numbers (many exact ties) or at least 1e-3: the
# solvers' tolerances are 1e-9 of the problem's scale, so a quantity of 1e-7 is
# indistinguishable from zero, and so is a price of 1e-8 beside prices in the hundreds (a
# trade earning less than the tolerance may or may not be made, and the prices it implies
# contradict the others by that much).
PRICES = st.one_of(
    st.integers(0, 20).map(float),
    st.floats(1e-3, 1000.0, allow_nan=False, allow_infinity=False),
)
QTYS = st.one_of(st.just(0.0), st.floats(1e-3, 100.0, allow_nan=False, allow_infinity=False))
CAPS = st.one_of(st.just(np.inf), st.just(0.0), st.floats(1e-3, 50.0, allow_nan=False))


@st.composite
def bipartite_books(draw: st.DrawFn) -> OrderBook:
    """Sellers 0..S-1 link to buyers S..S+B-1; orders anywhere, isolated nodes too."""
    n_sellers = draw(st.integers(1, 5))
    n_buyers = draw(st.integers(1, 6))
    n_isolated = draw(st.integers(0, 2))
    n = n_sellers + n_buyers + n_isolated
    pairs = [(s, n_sellers + b) for s in range(n_sellers) for b in range(n_buyers)]
    chosen = draw(
        st.lists(st.sampled_from(pairs), max_size=len(pairs) * 2)
    )  # parallel links allowed
    orders = st.tuples(st.integers(0, n - 1), QTYS, PRICES)
    offers = draw(st.lists(orders, max_size=12))
    bids = draw(st.lists(orders, max_size=12))
    costs = [draw(st.one_of(st.integers(0, 5).map(float), st.floats(1e-3, 50))) for _ in chosen]
    caps = [draw(CAPS) for _ in chosen]

    def col(rows: list[tuple[int, float, float]], k: int) -> list[float]:
        return [r[k] for r in rows]

    return OrderBook(
        n,
        col(offers, 0), col(offers, 1), col(offers, 2),
        col(bids, 0), col(bids, 1), col(bids, 2),
        [c[0] for c in chosen], [c[1] for c in chosen], costs, caps,
    )  # fmt: skip


TIED_PRICES = st.sampled_from([1.0, 2.0, 3.0])


@st.composite
def tied_books(draw: st.DrawFn) -> OrderBook:
    """Sellers linked to buyers with prices and costs from a few values: many ties."""
    n_sellers, n_buyers = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    n = n_sellers + n_buyers
    pairs = [(s, n_sellers + b) for s in range(n_sellers) for b in range(n_buyers)]
    links = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=len(pairs) + 2))
    qty = st.sampled_from([1.0, 2.5, 10.0])
    offers = [(s, draw(qty), draw(TIED_PRICES)) for s in range(n_sellers)]
    bids = [(n_sellers + b, draw(qty), draw(TIED_PRICES) + 2.0) for b in range(n_buyers)]
    return OrderBook(
        n,
        [o[0] for o in offers], [o[1] for o in offers], [o[2] for o in offers],
        [b[0] for b in bids], [b[1] for b in bids], [b[2] for b in bids],
        [link[0] for link in links], [link[1] for link in links],
        [draw(st.sampled_from([0.0, 1.0])) for _ in links],
        [draw(st.sampled_from([np.inf, 1.5])) for _ in links],
    )  # fmt: skip
