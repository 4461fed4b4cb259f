"""Column generation's pricing: a link is screened at its own market's price scale."""

from __future__ import annotations

import numpy as np

from market.book import OrderBook
from market.clearing import ClearingResult, equilibrium_violations
from market.colgen import solve_colgen
from market.lp import solve_lp


def test_a_cheap_markets_profitable_link_is_found_beside_a_dear_market() -> None:
    # Not scaled: 1,000 chips at $30,000 (nodes 0 -> 1) beside compute at about $2
    # (nodes 2, 3 -> 4). Seller 3's compute costs $2.000005 and buyer 4 bids $2.00001 for
    # two units, so the link 3 -> 4 earns $0.000005 a unit: above 1e-9 of compute's scale
    # (2e-9), below 1e-9 of the chips' ($3.1e-5). One link per buyer first (2 -> 4, the
    # cheaper seller's); 3 -> 4 must then be priced in.
    inf = np.inf
    book = OrderBook(
        5,
        [0, 2, 3], [1e3, 1.0, 1.0], [3e4, 2.0, 2.000005],
        [1, 4, 3], [1e3, 2.0, 0.5], [3.1e4, 2.00001, 2.000005],
        [0, 2, 3], [1, 4, 4], [0.0, 0.0, 0.0], [inf, inf, inf],
    )  # fmt: skip
    sol = solve_colgen(book, per_buyer=1, direct_links=0)
    np.testing.assert_array_equal(sol.link_flow, solve_lp(book).link_flow)  # 1,000, 1, 1
    assert sol.link_flow[2] == 1.0 and sol.iterations == 2  # found in the second round
    res = ClearingResult(
        sol.offer_fill, sol.bid_fill, sol.link_flow, sol.node_price, 0.0, "colgen", 2
    )
    assert equilibrium_violations(book, res) == []
