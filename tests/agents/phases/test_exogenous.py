"""Exogenous phase: demand growth and the economics of a compute node, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from agents.model import GigawattModel
from agents.phases.exogenous import (
    DEMAND_SHOCK_SD,
    blend_pue,
    datacentre_load_mw,
    demand_ceiling,
    demand_growth,
    demand_shock,
    node_economics,
    saturated_growth,
    update_nodes,
)
from agents.phases.exogenous_kernels import advance_sites
from agents.scenario_sections import DemandCfg
from agents.state import Nodes, Sites
from tests.agents.phases.conftest import clouds, one_region_market, sites


def test_demand_growth_decays_geometrically():
    # 0.6 a year, halving each year: 0.6 at month 0, 0.3 after 12 months, 0.6 * 0.5**1.5 at 18
    assert demand_growth(0.6, 0.5, 0) == pytest.approx(0.6)
    assert demand_growth(0.6, 0.5, 12) == pytest.approx(0.3)
    assert demand_growth(0.6, 0.5, 18) == pytest.approx(0.6 * 0.5**1.5)


@pytest.mark.parametrize(
    ("growth", "spending", "expected"),
    [
        (0.6, 0.0, 0.6),  # nothing spent yet: the trend's own growth
        (0.6, 100.0, 0.45),  # a quarter of the ceiling: 0.6 x 3/4
        (0.6, 400.0, 0.0),  # at the ceiling: no growth
        (0.6, 500.0, -0.15),  # a quarter above: 0.6 x (-1/4)
        (0.6, 1200.0, -0.5),  # 0.6 x (-2) = -1.2, held at the fastest decline
        (-0.2, 100.0, -0.2),  # a shrinking trend is not slowed by the ceiling
        (-0.2, 800.0, -0.2),  # nor sped up above it
    ],
)
def test_growth_saturates_at_the_ceiling_by_hand(growth, spending, expected):
    assert saturated_growth(growth, spending, 400.0) == pytest.approx(expected, abs=1e-15)


def test_a_ceiling_shrunk_to_zero_before_its_month_acts_as_the_least_positive_one():
    # the schema's least ceiling, 5e-324, thirty months before its month (a run from 2023-01)
    # is 5e-324 / 2**2.5, which rounds to 0: spending / ceiling divided by zero. A ceiling of
    # 0 acts as the least positive one (the formula's numbers just below): any spending is
    # far above it (growth falls back as fast as it can), and none leaves the trend's own
    d = DemandCfg(
        ceiling_usd_per_month=5e-324, ceiling_month="2025-07", ceiling_growth_per_year=1.0
    )
    ceiling = demand_ceiling(d, "2023-01", 0)
    assert ceiling == 0.0
    for spending, growth in [(1e8, -0.5), (1e-320, -0.5), (0.0, 0.6)]:
        assert saturated_growth(0.6, spending, 5e-324) == growth
        assert saturated_growth(0.6, spending, ceiling) == growth
    assert saturated_growth(-0.2, 1e8, ceiling) == -0.2  # a shrinking trend as before


@pytest.mark.parametrize(
    ("start", "month", "expected"),
    [
        ("2025-07", 0, 100.0),  # at the ceiling's own month
        ("2026-01", 6, 121.0),  # a year on: 100 x 1.21
        ("2026-01", 30, 177.1561),  # three years on: 100 x 1.21**3
        ("2023-01", 0, 100.0 / 1.21**2.5),  # thirty months before: shrunk
    ],
)
def test_the_ceiling_grows_from_its_month_by_hand(start, month, expected):
    d = DemandCfg(
        ceiling_usd_per_month=100.0, ceiling_month="2025-07", ceiling_growth_per_year=0.21
    )
    assert demand_ceiling(d, start, month) == pytest.approx(expected, rel=1e-12)


def test_node_economics_by_hand(one_gen, small_cfg):
    # 1,000 H100s at 1,000 W = 1 MW of IT load; 0.5 MW built and 2 MW connected -> half runs.
    s = sites(built=0.5, connected=2.0, units=1000.0)
    c = clouds(1, [[1, 0, 0]], [[1, 0, 0]])
    cap, mwh, cost, running = node_economics(one_gen, s, np.array([40.0]), c.markup, small_cfg)
    assert running[0, 0] == pytest.approx(0.5)
    # capacity = 1,000 H100e x 0.5 x 730 h x 0.8 availability = 292,000 H100e-h
    assert cap[0, 0, 0] == pytest.approx(292_000.0)
    assert cap[0, 0, 1:].sum() == 0
    # MWh per H100e-h = 1,000 W x PUE 1.25 / 1e6 = 0.00125
    assert mwh[0, 0, 0] == pytest.approx(0.00125)
    # chips: $30M / (1,000 x 50 months x 584 h) = 1.027397...; shell: 0.001 MW x $10M /
    # (100 x 584 h) = 0.171233...; power: 0.00125 x $40 = 0.05; x (1 + 0.5 markup):
    # 1.248630 x 1.5 = 1.872945
    hours = 730 * 0.8
    expected = (30e6 / (1000 * 50 * hours) + 0.001 * 10e6 / (100 * hours) + 0.05) * 1.5
    assert cost[0, 0, 0] == pytest.approx(expected, rel=1e-12)


def test_fleet_pue_moves_with_new_capacity():
    # 100 MW at 1.6 plus 50 MW at 1.3: (160 + 65) / 150 = 1.5; an empty site takes the new
    # PUE; a site that adds nothing keeps its own
    pue = blend_pue(
        np.array([1.6, 1.6, 1.4]), np.array([100.0, 0.0, 80.0]), np.array([50.0, 10.0, 0.0]), 1.3
    )
    assert pue.tolist() == pytest.approx([1.5, 1.3, 1.4])


def test_datacentre_load_is_running_it_load_at_fleet_pue(one_gen):
    # 1,000 chips at 1,000 W = 1 MW of IT load; 0.5 MW built and connected -> 0.5 MW runs,
    # x PUE 1.5 = 0.75 MW at the meter
    s = sites(built=0.5, connected=2.0, units=1000.0, pue=1.5)
    assert datacentre_load_mw(s, one_gen).tolist() == pytest.approx([0.75])


def test_capacity_price_enters_next_months_node_cost(one_gen, small_cfg):
    # $240/MW-day = $10/MWh on a flat load: the node's power cost rises by
    # 0.00125 MWh/H100e-h x $10 x (1 + 0.5 markup) = $0.01875 per H100e-hour
    s = sites(built=1.0, connected=1.0, units=1000.0)
    c = clouds(1, [[1, 0, 0]], [[1, 0, 0]])
    cost = {}
    for cap in (0.0, 240.0):
        m = one_region_market(capacity_price=cap)
        n = Nodes(
            *(np.zeros((1, 1, 3)) for _ in range(3)),
            np.ones((1, 1)),
            np.zeros((1, 1, 3)),
            np.zeros((1, 1, 3)),
        )
        update_nodes(n, one_gen, s, m, c, small_cfg)
        cost[cap] = n.cost[0, 0, 0]
    assert cost[240.0] - cost[0.0] == pytest.approx(0.01875)


def test_demand_shock_is_persistent_with_a_fixed_spread():
    # rho 0.9: 0.9 x 0.01 + 0.02 x sqrt(1 - 0.81) x 1 = 0.009 + 0.0087178 = 0.0177178
    assert demand_shock(0.01, 0.9, 1.0) == pytest.approx(0.0177178, abs=1e-7)
    # rho 0: an independent draw of spread 0.02
    assert demand_shock(0.5, 0.0, -1.0) == pytest.approx(-0.02)
    # stationary spread 0.02 for any rho: simulate 20k months from the stationary draw
    rng = np.random.default_rng(3)
    for rho in (0.0, 0.9):
        x, xs = DEMAND_SHOCK_SD * rng.normal(), []
        for _ in range(20_000):
            x = demand_shock(x, rho, rng.normal())
            xs.append(x)
        assert np.std(xs) == pytest.approx(DEMAND_SHOCK_SD, rel=0.1)
        # month-to-month change: 0.02 x sqrt(2 (1 - rho)) -> 0.0283 and 0.0089
        want = DEMAND_SHOCK_SD * np.sqrt(2 * (1 - rho))
        assert np.std(np.diff(xs)) == pytest.approx(want, rel=0.1)


def test_family_totals_are_the_per_family_einsums():
    from agents.state import Sites, Tech

    # generations out of family order, a family with none, zero units in places
    rng = np.random.default_rng(5)
    t = Tech(
        names=tuple("abcdef"),
        family=np.array([2, 0, 2, 0, 0, 2]),
        release=np.zeros(6, dtype=np.int64),
        h100e=rng.lognormal(0, 1, 6),
        watts=np.ones(6),
        it_watts=rng.lognormal(7, 1, 6),
        cost=rng.lognormal(10, 1, 6),
    )
    fleet = rng.lognormal(5, 3, (3, 2, 6)) * (rng.random((3, 2, 6)) < 0.7)
    s = Sites(built=np.ones((3, 2)), interconnected=np.ones((3, 2)), fleet=fleet)
    onehot = np.eye(3)[t.family]
    for k, per_unit in enumerate((t.h100e, t.it_watts, t.cost)):
        expected = np.einsum("hrg,g,gf->hrf", fleet, per_unit, onehot)
        assert np.array_equal(s.family_totals(t)[k], expected)  # bit for bit
    assert not s.family_totals(t)[:, :, :, 1].any()  # no generation of family 1


@pytest.mark.parametrize(
    ("conduct", "fringe", "expected"),
    [
        # shares 0.75 and 0.25 of last month's hours at elasticity 1.25: Lerner indices
        # 0.6 and 0.2, offers over 0.4 and 0.8 of a price-taker's
        (1.0, False, [2.5, 1.25]),
        (0.5, False, [1 / 0.7, 1 / 0.9]),  # half the margins: 0.3 and 0.1
        (1.0, True, [2.5, 1.0]),  # the second cloud an atomistic fringe: no margin
        (0.0, False, [1.0, 1.0]),  # price-taking: the offers as they were
    ],
)
def test_offers_answer_last_months_shares_by_hand(one_gen, small_cfg, conduct, fringe, expected):
    s = Sites(
        np.array([[1.0], [1.0]]), np.array([[1.0], [1.0]]), np.array([[[1000.0]], [[1000.0]]])
    )
    s.pue[:] = 1.25
    c = clouds(2, [[1, 0, 0], [1, 0, 0]], [[1, 0, 0], [1, 0, 0]])
    if fringe:
        c.hhi_firms[1] = np.inf
    m = one_region_market()
    offers = {}
    for theta in (0.0, conduct):
        n = Nodes(
            *(np.zeros((2, 1, 3)) for _ in range(3)),
            np.ones((2, 1)),
            np.array([[[300.0, 0.0, 0.0]], [[100.0, 0.0, 0.0]]]),
            np.zeros((2, 1, 3)),
        )
        cfg = small_cfg.with_overrides({"cloud_conduct": theta, "demand.price_elasticity": 1.25})
        update_nodes(n, one_gen, s, m, c, cfg)
        offers[theta] = n.cost[:, 0, 0]
    assert (offers[conduct] / offers[0.0]).tolist() == pytest.approx(expected, rel=1e-12)


def test_a_built_model_prices_at_its_clouds_capacity_shares(baseline):
    # before any month is cleared the shares are those of capacity; the fringe
    # (other-clouds, atomistic as shipped) keeps its offers, each other cloud's rise by
    # 1 / (1 - its share / 1.3), every one of its nodes alike
    taker = GigawattModel(baseline, rng=1)
    cournot = GigawattModel(baseline.with_overrides({"cloud_conduct": 1.0}), rng=1)
    cap = taker.world.nodes.capacity.sum(axis=(1, 2))
    share = cap / cap.sum()
    fringe = np.array([h.fringe for h in baseline.hyperscalers])
    want = np.where(fringe, 1.0, 1.0 / (1.0 - share / baseline.demand.price_elasticity))
    has = taker.world.nodes.capacity > 0
    for h in range(len(cap)):
        ratio = cournot.world.nodes.cost[h][has[h]] / taker.world.nodes.cost[h][has[h]]
        assert ratio == pytest.approx(want[h], rel=1e-12)
    assert fringe.sum() == 1 and (want[~fringe] > 1.05).all()


@pytest.mark.parametrize("seed", range(10))
def test_the_months_completions_and_retirements_are_the_numpy_codes(seed):
    # advance_sites against the numpy code it replaces, to the bit, on random sites
    rng = np.random.default_rng(seed)
    h, r, g, month = 4, 3, 8, 5

    def draw(*shape):
        x = rng.standard_normal(shape) ** 2 * 10.0 ** rng.uniform(-3, 4, shape)
        x[rng.random(shape) < 0.3] = 0.0
        return x

    pue, built, ic = 1.0 + draw(h, r) * 1e-3, draw(h, r), draw(h, r)
    pb, pp, fleet = draw(h, r, 12), draw(h, r, 12), draw(h, r, g)
    want_pue = blend_pue(pue, built, pb[:, :, month], 1.3)
    want_built, want_ic = built + pb[:, :, month], ic + pp[:, :, month]
    retired = fleet / 60
    want_fleet = fleet - retired
    new_pue, gone = advance_sites(pue, built, ic, pb, pp, month, 1.3, fleet, 60.0)
    for got, want in (
        (new_pue, want_pue),
        (built, want_built),
        (ic, want_ic),
        (fleet, want_fleet),
        (gone, np.add.reduce(retired, axis=(1, 2))),
    ):
        np.testing.assert_array_equal(got, want, strict=True)
