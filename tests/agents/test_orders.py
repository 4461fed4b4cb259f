"""The monthly book: bipartite, and pooling scale-mode buyers leaves welfare unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from agents.model import GigawattModel
from market.clearing import OrderBook, clear


def _scale_model(baseline, months: int = 2) -> GigawattModel:
    scn = baseline.with_overrides({"scale.small_labs": 40, "scale.enterprise_buyers": 40})
    m = GigawattModel(scn, rng=9)
    for _ in range(months):
        m.step()
    for phase in ("exogenous", "plan", "deals", "orders", "clear"):
        getattr(m, phase)()
        m.flush()
    return m


def test_book_is_bipartite_and_covers_three_markets(baseline):
    m = _scale_model(baseline)
    assert m.book.is_bipartite()
    sz = m.book_sizes
    assert sz["units"] > 0 and sz["vendors"] == len(m.vendors) and sz["pools"] > 0


def test_pooled_buyers_clear_like_individual_buyers(baseline):
    """Expand each pool node into one node per member: same welfare (an LP oracle check)."""
    m = _scale_model(baseline)
    b, lay, a = m.book, m.layout, m.labs
    rest = np.flatnonzero(a.kind != 0)
    pools = m.links["pools"]
    n_pool_bids = 2 * pools.size
    keep_bid = np.ones(b.n_bids, dtype=bool)
    keep_bid[b.n_bids - n_pool_bids :] = False
    keep_link = np.ones(b.n_links, dtype=bool)
    keep_link[b.n_links - pools.size :] = False
    member_node = b.n_nodes + np.arange(rest.size)
    seller = lay.seller0 + m.gross.small_node
    d = m.config.demand
    bid_node = np.concatenate([b.bid_node[keep_bid], member_node, member_node])
    bid_qty = np.concatenate([b.bid_qty[keep_bid], m.bid_inf[rest], m.bid_trn[rest]])
    bid_price = np.concatenate(
        [
            b.bid_price[keep_bid],
            np.full(rest.size, d.revenue_per_h100e_hour),
            np.full(rest.size, d.training_bid),
        ]
    )
    expanded = OrderBook(
        b.n_nodes + rest.size,
        b.offer_node,
        b.offer_qty,
        b.offer_price,
        bid_node,
        bid_qty,
        bid_price,
        np.concatenate([b.link_src[keep_link], seller]),
        np.concatenate([b.link_dst[keep_link], member_node]),
        np.concatenate([b.link_cost[keep_link], np.zeros(rest.size)]),
        np.concatenate([b.link_cap[keep_link], np.full(rest.size, np.inf)]),
    )
    pooled = clear(b, method="lp")
    individual = clear(expanded, method="lp")
    assert pooled.welfare == pytest.approx(individual.welfare, rel=1e-9)
