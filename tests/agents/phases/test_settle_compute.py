"""The settle phase's compute side: deliveries when power is short, by hand, and the node
prices it keeps for next month."""

from __future__ import annotations

import numpy as np

from agents.model import GigawattModel
from agents.phases import PHASES
from agents.phases.settle_calls import deliveries
from experiments import load_scenario


def test_a_site_short_of_power_delivers_contracts_first_then_spot_pro_rata() -> None:
    # one site, two nodes of 10 H100e-hours at 1 and 2 MWh an hour, each expecting to run
    # 10 hours: it needs 10 + 20 MWh and got 15, shared 5 and 10, which run 5 hours at
    # each node. Two contracts ask 4 hours each at node 0: 8 against the 5 it can run, so
    # each gets 5/8 of its 4. Spot sold 3 hours at node 0 (nothing left for it) and 6 at
    # node 1 (5 of them delivered).
    (c_ok, s_ok, s_factor), contract = deliveries(
        np.array([10.0, 10.0]),
        np.array([1.0, 2.0]),
        np.array([10.0, 10.0]),
        np.array([15.0]),
        np.array([[4.0, 0.0], [4.0, 0.0]]),
        np.array([3.0, 6.0]),
        2,
    )
    assert c_ok.tolist() == [5.0, 0.0]
    assert contract.tolist() == [2.5, 2.5]
    assert s_ok.tolist() == [0.0, 5.0]
    assert s_factor.tolist() == [0.0, 5.0 / 6.0]


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
