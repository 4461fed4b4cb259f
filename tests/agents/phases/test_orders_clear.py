"""Orders and clear phases: node choice, link costs, contract shares, pooling, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from agents.lab import LabArrays, LabKind, planned_training_price, training_bid_schedule
from agents.model import GigawattModel
from agents.phases.clear import allocate_contracts, major_links
from agents.phases.orders import Orders, choose_nodes
from agents.state import Nodes
from market.clearing import OrderBook, clear
from market.contracts import ContractTable


def _nodes(price: list[float]) -> Nodes:
    """Two clouds, one region, three families; capacity only in family 0."""
    cap = np.zeros((2, 1, 3))
    cap[:, 0, 0] = 100.0
    p = np.zeros((2, 1, 3))
    p[:, 0, 0] = price
    return Nodes(cap, np.zeros_like(cap), p.copy(), np.ones((2, 1)), np.zeros_like(cap), p)


def test_small_buyers_move_only_when_the_fee_is_covered():
    a = LabArrays(2, 3)
    a.kind[:] = LabKind.SMALL
    a.primary[:] = 0
    # node prices 3.00 at cloud 0 and 2.80 at cloud 1; egress fee 0.25 -> 3.05 landed: stay
    assert choose_nodes(a, _nodes([3.0, 2.8]), 0.25).tolist() == [0, 0]
    # 2.70 + 0.25 = 2.95 < 3.00: move to cloud 1, flat node (1 x 1 + 0) x 3 + 0 = 3
    assert choose_nodes(a, _nodes([3.0, 2.7]), 0.25).tolist() == [3, 3]
    assert a.primary.tolist() == [1, 1]


def test_major_link_costs(baseline):
    a = LabArrays(1, 3)
    a.kind[0], a.home[0], a.primary[0] = LabKind.MAJOR, 0, 0
    a.affinity[0] = [1.0, 0.5, 0.0]
    src, lab, cost = major_links(a, (2, 2, 3), baseline, egress_fee=0.25)
    lat, pen = baseline.latency_cost, baseline.lockin.platform_penalty_per_h100e_hour
    # 2 clouds x 2 regions x 3 families = 12 nodes; family 2 (affinity 0) has no link -> 8
    assert src.size == 8 and (lab == 0).all()
    got = dict(zip(src.tolist(), cost.tolist(), strict=True))
    # node (h, r, f) -> (h x 2 + r) x 3 + f
    assert got[0] == pytest.approx(0.0)  # home region, own cloud, fluent family
    assert got[1] == pytest.approx(0.5 * pen)  # half affinity
    assert got[3] == pytest.approx(lat)  # other region
    assert got[6 + 3 + 1] == pytest.approx(lat + 0.5 * pen + 0.25)  # all three
    a.exclusive_with[0] = 1
    src_x, _, _ = major_links(a, (2, 2, 3), baseline, egress_fee=0.25)
    assert sorted(src_x.tolist()) == [6, 7, 9, 10]  # only cloud 1's nodes


def test_each_lab_pays_its_own_egress_fee(baseline):
    # two labs on cloud 0, one homed under a fee ban (0.0), one paying 0.25: the link to
    # cloud 1's home-region fluent node (flat (1 x 2 + 0) x 3 + 0 = 6) costs the fee only
    a = LabArrays(2, 3)
    a.kind[:], a.home[:], a.primary[:] = LabKind.MAJOR, 0, 0
    a.affinity[:] = [1.0, 0.0, 0.0]
    src, lab, cost = major_links(a, (2, 2, 3), baseline, egress_fee=np.array([0.0, 0.25]))
    got = {(int(s), int(i)): c for s, i, c in zip(src, lab, cost, strict=True)}
    assert got[(6, 0)] == 0.0 and got[(6, 1)] == pytest.approx(0.25)
    # small buyers too: at 2.90 vs 3.00 the buyer with no fee moves, the one paying 0.25 stays
    small = LabArrays(2, 3)
    small.kind[:], small.primary[:] = LabKind.SMALL, 0
    assert choose_nodes(small, _nodes([3.0, 2.9]), np.array([0.0, 0.25])).tolist() == [3, 0]


def test_compute_contract_takes_a_pro_rata_share_of_its_sellers_capacity():
    ct = ContractTable()
    ct.add(kind="compute", seller=0, buyer=0, volume=100.0, price=2.0, start=0, end=12)
    a = LabArrays(1, 3)
    cap = np.zeros((1, 2, 3))
    cap[0, 0, 0], cap[0, 1, 0] = 300.0, 100.0
    g = Orders(
        np.array([0, 1]), np.array([10.0, 10.0]), np.array([5.0, 5.0]), np.zeros(2),
        cap, np.zeros((1, 2)), np.zeros(0), np.zeros(0), cap, cap, np.zeros(0, dtype=np.int64),
    )  # fmt: skip
    alloc, units, _, lab_got = allocate_contracts(0, g, a, ct, [], 2)
    # 100 over nodes of 300 and 100 (the contract names no family: any node of the seller)
    assert alloc.compute_alloc[0].reshape(2, 3)[:, 0].tolist() == pytest.approx([75.0, 25.0])
    assert lab_got.tolist() == pytest.approx([100.0])
    assert units.tolist() == [10.0, 10.0]  # no PPA: power offers untouched


def test_pooled_buyers_clear_like_individual_buyers(baseline):
    """Expand each pool node into one node per member: same welfare (an LP oracle check)."""
    scn = baseline.with_overrides({"scale.small_labs": 40, "scale.enterprise_buyers": 40})
    m = GigawattModel(scn, rng=9)
    for _ in range(2):
        m.step()
    for phase in ("exogenous", "plan", "deals", "orders", "clear"):
        getattr(m, phase)()
    c = m.cleared
    b, ix, a = c.book, c.index, m.world.labs
    assert b.is_bipartite() and ix.offers.count("units") > 0 and ix.bids.count("pool_inference") > 0
    rest = np.flatnonzero(~a.major)
    keep_bid = np.ones(b.n_bids, dtype=bool)
    keep_bid[ix.bids["pool_inference"]] = False
    keep_bid[ix.bids["pool_training"]] = False
    keep_link = np.ones(b.n_links, dtype=bool)
    keep_link[ix.links["pools"]] = False
    member = b.n_nodes + np.arange(rest.size)
    seller = ix.nodes.seller0 + m.month_orders.small_node
    d = m.config.demand
    # each member bids its training as the schedule's tranches at falling prices
    sp = m.world.demand.services_price
    bids, share = training_bid_schedule(
        d.training_bid_share * sp,
        planned_training_price(sp / (1.0 + d.services_markup), d),
        d.training_bid_steps,
        d.training_bid_floor,
    )
    k = bids.size
    expanded = OrderBook(
        b.n_nodes + rest.size,
        b.offer_node,
        b.offer_qty,
        b.offer_price,
        np.concatenate([b.bid_node[keep_bid], member, np.tile(member, k)]),
        np.concatenate(
            [
                b.bid_qty[keep_bid],
                c.bid_inference[rest],
                np.outer(share, c.bid_training[rest]).ravel(),
            ]
        ),
        np.concatenate(
            [
                b.bid_price[keep_bid],
                np.full(rest.size, m.world.demand.services_price),
                np.repeat(bids, rest.size),
            ]
        ),
        np.concatenate([b.link_src[keep_link], seller]),
        np.concatenate([b.link_dst[keep_link], member]),
        np.concatenate([b.link_cost[keep_link], np.zeros(rest.size)]),
        np.concatenate([b.link_cap[keep_link], np.full(rest.size, np.inf)]),
    )
    pooled = clear(b, method="lp")
    individual = clear(expanded, method="lp")
    assert pooled.welfare == pytest.approx(individual.welfare, rel=1e-9)


def test_training_budget_curve_clears_at_budget_over_residual_capacity():
    # top bid 2.6, planned price 2.0, 3 steps to a floor of 0.25: bids 2.6, 1.3, 0.65; the
    # cumulative need at or above each bid is 2 / bid = 0.769, 1.538, 3.077 of the need T,
    # so every tranche's cumulative hours x its bid is the same budget T x 2
    bids, share = training_bid_schedule(2.6, 2.0, 3, 0.25)
    assert bids.tolist() == pytest.approx([2.6, 1.3, 0.65])
    assert (np.cumsum(share) * bids).tolist() == pytest.approx([2.0, 2.0, 2.0])
    # one seller (cost 0.5) and one lab: inference 50 at 5.0, training T = 40 -> tranches
    # 30.77, 30.77, 61.54. Capacity 100 leaves 50 for training: the first tranche (30.77)
    # fits, the second does not (61.5 > 50), so the price is its bid 1.3 = budget 80 / the
    # cumulative 61.5 at that bid; with capacity 200 all three fit and the price is the cost
    for cap, price, trained in ((100.0, 1.3, 50.0), (200.0, 0.5, 40 * 2 / 0.65)):
        book = OrderBook(
            2,
            [0],
            [cap],
            [0.5],
            [1, 1, 1, 1],
            np.r_[50.0, 40.0 * share],
            np.r_[5.0, bids],
            [0],
            [1],
            [0.0],
            [np.inf],
        )
        res = clear(book, method="lp")
        assert res.node_price[1] == pytest.approx(price)
        assert res.bid_fill[1:].sum() == pytest.approx(trained)
    # a flat bid (one step) bids the whole need at the top
    assert [x.tolist() for x in training_bid_schedule(2.6, 2.0, 1, 0.25)] == [[2.6], [1.0]]
