"""Orders and clear phases: node choice, pooling, training bids, the book's caps, homing limits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from agents.book_template import BookCache
from agents.lab import LabArrays, LabKind, planned_training_price
from agents.model import GigawattModel
from agents.phases import PHASES
from agents.phases.clear import QUANTITY_CAP, Cleared, clear_phase
from agents.phases.orders import EXPECTED_USE_GROWTH, choose_nodes, expected_use, unit_offers
from agents.state import Nodes
from agents.training_bids import training_bid_schedule, training_bids
from market.clearing import OrderBook, clear, equilibrium_violations
from tests.agents.phases.conftest import cleared_model


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


def test_each_small_buyer_weighs_its_own_egress_fee():
    # at 2.90 vs 3.00 the buyer with no fee (homed under a fee ban) moves, the one paying
    # 0.25 stays
    small = LabArrays(2, 3)
    small.kind[:], small.primary[:] = LabKind.SMALL, 0
    assert choose_nodes(small, _nodes([3.0, 2.9]), np.array([0.0, 0.25])).tolist() == [3, 0]


def test_pooled_buyers_clear_like_individual_buyers(baseline):
    """Expand each pool node into one node per member: same welfare (an LP oracle check)."""
    scn = baseline.with_overrides({"scale.small_labs": 40, "scale.enterprise_buyers": 40})
    m = cleared_model(scn, rng=9, months=2)
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


def test_under_the_capability_rule_each_major_lab_bids_its_own_value(baseline):
    scn = baseline.with_overrides({"demand.training_bid_rule": "capability_value"})
    m = cleared_model(scn, 7, 3)
    a, c = m.world.labs, m.cleared
    majors = a.major.nonzero()[0]
    steps = scn.demand.training_bid_steps
    seg = c.index.bids["lab_training"]
    prices = c.book.bid_price[seg].reshape(steps, majors.size)
    qty = c.book.bid_qty[seg].reshape(steps, majors.size)
    d, services = scn.demand, m.world.demand.services_price
    # the top tranche is the lab's training bid, and the labs' bids differ
    tops = training_bids(a, m.world.history.training_ref, services, d)[majors]
    np.testing.assert_allclose(prices[0], tops, rtol=1e-12)
    assert np.unique(prices[0]).size == majors.size
    # each lab's tranches are the demand schedule at its own top: the prices, and the
    # quantities in the schedule's proportions (of the lab's training need)
    planned = planned_training_price(services / (1.0 + d.services_markup), d, tops)
    for j in range(majors.size):
        bids, share = training_bid_schedule(tops[j], planned[j], steps, d.training_bid_floor)
        np.testing.assert_allclose(prices[:, j], bids, rtol=1e-12)
        np.testing.assert_allclose(qty[:, j] * share.sum(), share * qty[:, j].sum(), rtol=1e-9)
    assert (qty.sum(axis=0) > 0).any()
    pools = c.book.bid_price[c.index.bids["pool_training"]]
    assert pools.size == 0 or np.allclose(pools.max(), scn.demand.training_bid_share * services)
    assert equilibrium_violations(c.book, c.result) == []


def test_the_book_cache_keeps_its_template_until_the_runs_shape_changes(baseline):
    a = LabArrays(3, 3)
    a.kind[:2], a.kind[2] = LabKind.MAJOR, LabKind.SMALL
    cache = BookCache()
    tpl = cache.template(baseline, (2, 2, 3), [], a.major, 3)
    assert cache.template(baseline, (2, 2, 3), [], a.major, 3) is tpl
    assert tpl.majors.tolist() == [0, 1] and tpl.rest.tolist() == [2]
    # 2 clouds x 2 regions x 3 families = 12 seller nodes, each paired with 2 major labs
    assert tpl.pair_seller.size == 24 and tpl.pair_lab.tolist()[:4] == [0, 1, 0, 1]
    a.kind[1] = LabKind.SMALL
    assert cache.template(baseline, (2, 2, 3), [], a.major, 3).majors.tolist() == [0]
    assert cache.template(baseline, (2, 3, 3), [], a.major, 3).layout.n_r == 3


def _cleared_afresh(m: GigawattModel) -> Cleared:
    """``m``'s month cleared again without the run's Clearer and book cache."""
    w = m.world
    return clear_phase(
        m.month, m.config, m.month_orders, m.month_plan, w.labs, w.contracts, w.vendors,
        w.market.egress_fee, w.demand.services_price,
    )  # fmt: skip


def test_a_book_from_the_runs_cache_equals_one_built_afresh(baseline):
    m = cleared_model(baseline, rng=4, months=3)
    fresh = _cleared_afresh(m).book
    kept = m.cleared.book
    for name in ("offer_node", "offer_qty", "offer_price", "bid_node", "bid_qty", "bid_price"):
        assert np.array_equal(getattr(kept, name), getattr(fresh, name)), name
    for name in ("link_src", "link_dst", "link_cost", "link_cap"):
        assert np.array_equal(getattr(kept, name), getattr(fresh, name)), name


def test_a_month_cleared_without_the_runs_clearer_keeps_the_scenarios_trade_pattern(baseline):
    # clear_phase without a Clearer clears by clear(); the scenario's rule still decides
    # between equal-cost routes, so the flows are the run's (its Clearer uses that rule)
    scn = baseline.with_overrides({"trade_pattern": "proportional"})
    m = cleared_model(scn, rng=4, months=3)
    fresh = _cleared_afresh(m).result
    kept = m.cleared.result
    scale = float(np.abs(kept.link_flow).max())
    np.testing.assert_allclose(fresh.link_flow, kept.link_flow, rtol=0, atol=1e-9 * scale)


def test_unit_offers_stack_each_utilitys_offers(baseline):
    m = GigawattModel(baseline, rng=2)
    for _ in range(3):
        m.step()  # the utilities add units as they go
    us = m.world.utilities
    for month in (0, m.month, m.month + 40):  # units online later offer nothing yet
        util, qty, price = unit_offers(us, month)
        per = [u.offers(month) for u in us]
        assert qty.tolist() == np.concatenate([q for q, _ in per]).tolist()
        assert price.tolist() == np.concatenate([p for _, p in per]).tolist()
        assert util.tolist() == [i for i, (q, _) in enumerate(per) for _ in q]


def test_an_offer_past_what_a_book_holds_is_cut_and_the_month_clears(baseline):
    # a vendor at the schema's largest capacity growing at its fastest rate offers 1e15
    # chips a month within twelve years (a random scenario's month 143, a BookError): the
    # offer is cut to QUANTITY_CAP, still far above every chip bid, so the vendor sells what
    # the clouds bid for, as with any capacity above that
    m = GigawattModel(baseline, rng=7)
    for phase in PHASES[: PHASES.index("orders") + 1]:
        getattr(m, phase)()
    g = m.month_orders
    huge = g.vendor_qty.copy()
    huge[0] = 2e15
    m._orders = replace(g, vendor_qty=huge)
    m.clear()
    c = m.cleared
    offered = np.asarray(c.book.offer_qty)[c.index.offers["vendors"]]
    assert offered[0] == QUANTITY_CAP
    wanted = np.asarray(c.book.bid_qty)[c.index.bids["chip_buyers"]]
    assert wanted.sum() < 1e-6 * QUANTITY_CAP
    assert equilibrium_violations(c.book, c.result) == []


def test_bids_past_what_a_book_holds_are_cut_and_the_month_clears(baseline):
    # a cloud's chip plan, a site's power need and the region's other load can grow as far
    # as an offer (2e15 was a BookError): each is cut to QUANTITY_CAP, still far above the
    # month's offers, and the month clears, each of them buying at least what it did
    models = [GigawattModel(baseline, rng=7) for _ in range(2)]
    for m in models:
        for phase in PHASES[: PHASES.index("orders") + 1]:
            getattr(m, phase)()
    m, twin = models
    g, plan = m.month_orders, m.month_plan
    want = plan.chip_want.copy()
    want[0, 0] = 2e15
    need = g.site_need.copy()
    need[0, 0] = 2e15
    non_ai = g.non_ai_qty.copy()
    non_ai[0] = 2e15
    m._plan = replace(plan, chip_want=want)
    m._orders = replace(g, site_need=need, non_ai_qty=non_ai)
    for model in models:
        model.clear()
    c, idx = m.cleared, m.cleared.index
    bid_qty = np.asarray(c.book.bid_qty)
    cut = [idx.bids["chip_buyers"].start, idx.bids["sites"].start, idx.bids["non_ai"].start]
    assert bid_qty[cut].tolist() == [QUANTITY_CAP] * 3
    assert equilibrium_violations(c.book, c.result) == []
    # each buys what it outbids: at least what it bought asking less, far short of its ask
    fill = np.asarray(c.result.bid_fill)[cut]
    before = np.asarray(twin.cleared.result.bid_fill)[cut]
    assert (fill >= before * (1 - 1e-9)).all()
    assert (fill < 1e-3 * QUANTITY_CAP).all()


def _welfare_with_side_limits(
    book: OrderBook, groups: list[np.ndarray], limits: np.ndarray
) -> float:
    """Welfare of ``book`` with each group of links' total flow at most its limit, by
    SciPy's general LP (HiGHS): an oracle that knows nothing of homing nodes."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    n_o, n_b, n_l = book.n_offers, book.n_bids, book.n_links
    n = n_o + n_b + n_l
    cost = np.concatenate([book.offer_price, -book.bid_price, book.link_cost])
    # node balance: offers in + links in = bids out + links out
    rows = np.concatenate([book.offer_node, book.bid_node, book.link_dst, book.link_src])
    cols = np.concatenate(
        [np.arange(n_o), n_o + np.arange(n_b), *(n_o + n_b + np.arange(n_l),) * 2]
    )
    vals = np.concatenate([np.ones(n_o), -np.ones(n_b), np.ones(n_l), -np.ones(n_l)])
    balance = coo_matrix((vals, (rows, cols)), shape=(book.n_nodes, n))
    g_rows = np.concatenate([np.full(g.size, k) for k, g in enumerate(groups)])
    g_cols = n_o + n_b + np.concatenate(groups)
    side = coo_matrix((np.ones(g_cols.size), (g_rows, g_cols)), shape=(len(groups), n))
    bounds = np.concatenate([book.offer_qty, book.bid_qty, book.link_cap])
    out = linprog(
        cost,
        A_ub=vstack([side]).tocsr(),
        b_ub=limits,
        A_eq=balance.tocsr(),
        b_eq=np.zeros(book.n_nodes),
        bounds=np.column_stack([np.zeros(n), np.where(np.isinf(bounds), None, bounds)]),
        method="highs",
    )
    assert out.status == 0, out.message
    return float(-out.fun)


def test_a_labs_limit_on_one_cloud_clears_as_a_cap_on_that_clouds_links_to_it(baseline):
    """Homing nodes give the welfare of the book with the limit as a side constraint on
    the sum of each cloud's links to the lab (an LP oracle check), and the limit binds."""
    names = [lab.name for lab in baseline.labs]
    scn = baseline.with_overrides({"labs.anthropic.max_cloud_share": 0.3})
    m = cleared_model(scn, rng=4, months=3)
    c, a, ct = m.cleared, m.world.labs, m.world.contracts
    b, ix = c.book, c.index
    lab = names.index("anthropic")
    n_h = m.month_orders.compute_qty.shape[0]
    home = ix.links["homing"]
    assert ix.links.count("homing") == n_h  # one homed lab, a link per cloud
    # its limit by hand: 0.3 x (inference + training planned), less contract hours
    planned = a.inference_need[lab] + a.training_need[lab]
    rows = c.contracts.compute_rows
    contract = np.zeros(n_h)
    np.add.at(
        contract, ct.seller[rows], (ct.buyer[rows] == lab) * c.contracts.compute_alloc.sum(axis=1)
    )
    limit = np.maximum(0.0, 0.3 * planned - contract)
    assert b.link_cap[home] == pytest.approx(limit, rel=1e-12)
    # the same book with the lab's links ending at its node and the limit as side rows
    comp = np.arange(b.n_links)[ix.links["compute"]]
    direct = np.where(
        np.isin(b.link_dst[comp], b.link_src[home]), ix.nodes.lab0 + lab, b.link_dst[comp]
    )
    keep = np.ones(b.n_links, dtype=bool)
    keep[home] = False
    dst = b.link_dst.copy()
    dst[comp] = direct
    flat = OrderBook(
        b.n_nodes, b.offer_node, b.offer_qty, b.offer_price, b.bid_node, b.bid_qty,
        b.bid_price, b.link_src[keep], dst[keep], b.link_cost[keep], b.link_cap[keep],
    )  # fmt: skip
    cloud = c.c_src // (ix.nodes.n_r * ix.nodes.n_f)
    mine = c.c_lab == lab
    groups = [np.flatnonzero(mine & (cloud == h)) + comp[0] for h in range(n_h)]
    want = _welfare_with_side_limits(flat, groups, limit)
    assert c.result.welfare == pytest.approx(want, rel=1e-9)
    # the limit binds: without it the book has more welfare, and a cloud sells it the limit
    assert clear(flat, method="lp").welfare > want * (1 + 1e-9)
    flows = np.array([c.result.link_flow[g].sum() for g in groups])
    assert (np.isclose(flows, limit, rtol=1e-9) & (limit > 0)).any()
    assert (flows <= limit * (1 + 1e-9) + 1e-6).all()


def test_a_lab_under_its_limit_pays_each_cloud_its_price_and_keeps_the_limits_rent(baseline):
    """Where its limit on a cloud binds, the lab's own node prices compute above that cloud's
    price plus the link's cost; the lab pays the cloud its price, and the outside world only
    the link's latency and platform costs (not the rent of its own limit)."""
    names = [lab.name for lab in baseline.labs]
    scn = baseline.with_overrides({"labs.anthropic.max_cloud_share": 0.3})
    m = GigawattModel(scn, rng=4)
    for _ in range(3):
        m.step()
    for phase in PHASES[: PHASES.index("settle") + 1]:
        getattr(m, phase)()
    c, s, lay = m.cleared, m.settled.compute, m.cleared.index.nodes
    lab = names.index("anthropic")
    price = np.minimum(np.fmax(c.result.node_price, 0.0), 1e300)
    comp = c.index.links["compute"]
    mine = np.flatnonzero((c.c_lab == lab) & (c.result.link_flow[comp] > 0))
    cost = c.book.link_cost[comp][mine]
    gap = price[lay.lab0 + lab] - price[lay.seller0 + c.c_src[mine]] - cost
    assert gap.max() > 1e-3  # the lab's node prices above some cloud it is limited on
    n_rf = lay.n_r * lay.n_f
    fee = m.world.market.egress_fee[lab] * (c.c_src[mine] // n_rf != m.world.labs.primary[lab])
    volume = s.spot_volume[mine]
    assert s.spot_price[mine] == pytest.approx(price[lay.seller0 + c.c_src[mine]], rel=1e-12)
    assert s.friction[lab] == pytest.approx(float(((cost - fee) * volume).sum()), rel=1e-9)


def test_a_vendor_with_no_chip_out_yet_sells_nothing(baseline):
    # from January 2024 neither Trainium (trn2, 2024-11) nor TPU (tpu-v6, 2024-07) is out:
    # their vendors' generation is unset, and they sold the last generation in the table,
    # tpu-v7, to Amazon and Google (40,000 and 50,000 units in the first month)
    m = GigawattModel(baseline.with_overrides({"start": "2024-01"}), rng=7)
    tech = m.world.tech
    for _ in range(3):
        m.step()
        held = m.world.sites.fleet.sum(axis=(0, 1))
        unreleased = tech.release > m.month - 1  # the month just run is m.month - 1
        assert unreleased.sum() == 7  # all but the H100
        assert held[unreleased].tolist() == [0.0] * 7
    assert held[tech.names.index("h100")] > 0  # NVIDIA still sells


@pytest.mark.parametrize("seed", range(8))
def test_expected_use_is_numpys_to_the_bit(seed: int) -> None:
    # up to 20 regions and 10 families (sums long enough for numpy's order to show),
    # zeros of either sign, regions without capacity, uses cut at capacity
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 5)), int(rng.integers(1, 21)), int(rng.integers(1, 11)))
    cap, sold, mwh = (rng.lognormal(0.0, 3.0, shape) for _ in range(3))
    cap[rng.random(shape) < 0.2] = 0.0
    cap[rng.random(shape) < 0.1] = -0.0
    cap[:, :, 0] = 0.0
    sold[rng.random(shape) < 0.2] = -0.0
    sold[rng.random(shape) < 0.2] *= 1e3
    contracted = rng.lognormal(0.0, 3.0, (shape[0], shape[2]))
    contracted[rng.random(contracted.shape) < 0.3] = 0.0
    contracted.flags.writeable = False  # as the table keeps it
    grow, slack = EXPECTED_USE_GROWTH
    use, need = expected_use(cap, sold, contracted, mwh, grow, slack)
    by_region = np.add.reduce(cap, axis=1, keepdims=True)
    share = np.divide(cap, by_region, out=np.zeros(cap.shape), where=by_region > 0)
    want = np.minimum(cap, grow * sold + slack * cap + contracted[:, None, :] * share)
    assert use.tobytes() == want.tobytes()
    assert need.tobytes() == np.add.reduce(want * mwh, axis=2).tobytes()
