"""The settle phase's compute side: the node prices it keeps for next month."""

from __future__ import annotations

import numpy as np

from agents.model import GigawattModel
from agents.phases import PHASES
from experiments import load_scenario


def test_a_node_whose_hours_all_went_to_contracts_keeps_its_ask_not_a_price_of_zero() -> None:
    # amazon-anthropic-2026: from May 2026 the deal's Trainium contract takes every hour
    # some of Amazon's Trainium nodes have, so they offer none on the spot market. The
    # clearing's price there is no market's (it read 0), and a 0 fed the expected compute
    # price (its median of node prices) and Trainium's family price, which labs port by.
    # Such a node is read at its ask, as a node without capacity is, and the expectation
    # is the median of the nodes that offered
    m = GigawattModel(load_scenario("amazon-anthropic-2026"), rng=7)
    emptied = 0
    for _ in range(8):
        expected = m.world.market.expected_compute_price
        for phase in PHASES[: PHASES.index("clear") + 1]:
            getattr(m, phase)()
        ix = m.cleared.index
        nodes = m.world.nodes
        spot = m.cleared.book.offers[1][ix.offers["sellers"]].reshape(nodes.capacity.shape)
        m.settle()
        none_offered = (nodes.capacity > 0) & (spot <= 0)
        emptied += int(np.count_nonzero(none_offered))
        np.testing.assert_array_equal(nodes.price[none_offered], nodes.cost[none_offered])
        offered = (nodes.capacity >= 1.0) & (spot > 0)
        median = float(np.median(nodes.price[offered]))
        assert m.world.market.expected_compute_price == np.float64(0.8 * expected + 0.2 * median)
        assert (m.world.market.family_price[np.isfinite(m.world.market.family_price)] > 0).all()
        m.record()
    assert emptied > 0  # the case arose
