"""A lab's training bid: the capability value as the derivative of the model's own revenue,
the schedule and its tranches."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from agents.book_template import BookCache
from agents.lab import LabArrays, LabKind, allocate_demand, services_demand, training_need
from agents.model import GigawattModel
from agents.scenario import CapitalCfg, DemandCfg
from agents.training_bids import (
    capability_value,
    lab_training_tranches,
    training_bid_schedule,
    training_bids,
    training_tranches,
)
from experiments import run_scenario
from market.clearing import OrderBook, clear

DEMAND = DemandCfg(
    services_markup=1.6,
    capability_beta=1.0,
    capability_demand=0.5,
    scaling_exponent=0.5,
    capability_value_months=60.0,
    training_bid_share=0.5,
    training_bid_rule="capability_value",
)
C0 = np.array([4.4, 3.9, 2.2, 0.0])  # three major labs and one small one
REF = np.array([2e10, 1e10, 3e9, 1e8])
FRONTIER0 = 4.4
PRICE = 5.0  # the services price


def _labs(cum_training: np.ndarray) -> LabArrays:
    """Four rows whose capability and revenue follow ``cum_training`` as the model's do.

    Capability is ``c0 + k log(1 + C / ref)`` (the settle phase); total demand grows by
    ``exp(kappa x frontier gain)`` (:func:`services_demand`) and is split by the logit
    (:func:`allocate_demand`), with 10% to the small lab.
    """
    a = LabArrays(4, 1)
    a.kind[:] = LabKind.MAJOR
    a.kind[3] = LabKind.SMALL
    a.weight[3] = 1.0
    a.cum_training[:] = cum_training
    a.capability[:] = C0 + DEMAND.scaling_exponent * np.log1p(cum_training / REF)
    gain = float(a.capability[:3].max()) - FRONTIER0
    _, spending = services_demand(
        4e9, PRICE, PRICE, DEMAND.price_elasticity, DEMAND.capability_demand, gain
    )
    allocate_demand(a, spending, PRICE, DEMAND, 0.1)
    return a


@pytest.mark.parametrize("lab", [0, 1, 2])
def test_the_value_is_the_margin_on_revenue_a_marginal_hour_of_training_adds(lab):
    cum = np.array([5e9, 8e9, 1e9, 1e7])
    value = capability_value(_labs(cum), REF, DEMAND)
    # an independent oracle: the model's own revenue, differentiated numerically
    h = 1e-4 * cum[lab]
    up, down = cum.copy(), cum.copy()
    up[lab] += h
    down[lab] -= h
    slope = (_labs(up).demand_usd[lab] - _labs(down).demand_usd[lab]) / (2 * h)
    margin = DEMAND.services_markup / (1 + DEMAND.services_markup)
    assert value[lab] == pytest.approx(margin * DEMAND.capability_value_months * slope, rel=1e-5)
    assert value[3] == 0.0  # the small lab is not in the race


def test_bids_are_capped_at_the_services_price_and_the_rest_bid_the_share():
    a = _labs(np.array([5e9, 8e9, 1e9, 1e7]))
    value = capability_value(a, REF, DEMAND)
    low = 0.5 * float(value[:3].min() + value[:3].max())  # between the labs' values
    bids = training_bids(a, REF, low, DEMAND)
    np.testing.assert_array_equal(bids[:3], np.minimum(low, value[:3]))
    assert (bids[:3] == low).any() and (bids[:3] < low).any()
    assert bids[3] == 0.5 * low
    shipped = DemandCfg(training_bid_share=0.5)
    np.testing.assert_array_equal(training_bids(a, REF, low, shipped), np.full(4, 0.5 * low))


def test_own_bids_equal_to_the_share_plan_the_same_training():
    a = _labs(np.array([5e9, 8e9, 1e9, 1e7]))
    a.training_ratio[:] = 0.4, 0.5, 0.6, 0.3
    a.inference_need[:] = 1e9, 5e8, 1e8, 1e7
    a.burn[:] = 1e9
    cash = np.array([2e10, 3e9, 9e9, 1e8])
    short = np.array([False, True, False, False])
    cap = CapitalCfg(runway_months=6)
    expected = 2.0
    shipped = DemandCfg(training_bid_share=0.5, services_markup=1.6)
    share_bid = 0.5 * expected * 2.6
    own = training_need(a, cash, short, expected, cap, shipped, np.full(4, share_bid))
    np.testing.assert_array_equal(own, training_need(a, cash, short, expected, cap, shipped))
    # a lower bid of its own plans more hours of spare cash at its lower planned price
    lower = training_need(a, cash, short, expected, cap, shipped, np.full(4, 1.0))
    assert lower[0] > own[0] and lower[2] > own[2]
    nothing = training_need(a, cash, short, expected, cap, shipped, np.zeros(4))
    np.testing.assert_array_equal(nothing, a.training_ratio * a.inference_need * [1, 0.75, 1, 1])


@pytest.mark.parametrize("rule", ["services_share", "capability_value"])
def test_the_agents_table_records_each_labs_training_bid(rule, baseline):
    scn = baseline.with_overrides({"demand.training_bid_rule": rule})
    res = run_scenario(scn, months=4, rng=3, tables=["agents"])
    ag = res.tables["agents"]
    majors = ag[ag["name"].isin([lab.name for lab in res.scenario.labs])]
    price = res.model_frame.set_index("month")["ai_services_price"]
    share = res.scenario.demand.training_bid_share * majors["month"].map(price)
    bids = majors["training_bid"]
    first = majors["month"] == 0  # no scaling reference yet: every lab bids the share
    np.testing.assert_allclose(bids[first], share[first], rtol=1e-12)
    if rule == "services_share":
        np.testing.assert_allclose(bids, share, rtol=1e-12)
    else:
        assert (bids <= majors["month"].map(price) * (1 + 1e-12)).all()
        later = majors[~first].groupby("month")["training_bid"]
        assert (later.nunique() == len(res.scenario.labs)).all()  # each lab its own


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


@pytest.mark.parametrize(
    ("steps", "floor", "top", "planned"),
    [
        (24, 0.2, 2.5, 1.1),  # a lab planning below its top bid
        (5, 0.5, 1.0, 3.0),  # planned above the top bid: capped at it
        (1, 0.2, 2.5, 1.1),  # one step: a flat bid
        (4, 0.2, 2.5, 0.0),  # nothing planned: a flat bid
        (3, 0.05, 1e-11, 1.0),  # the last bid below a trillionth of a dollar: flat
    ],
)
def test_training_tranches_are_the_labs_bid_schedule(baseline, steps, floor, top, planned):
    scn = baseline.with_overrides(
        {"demand.training_bid_steps": steps, "demand.training_bid_floor": floor}
    )
    a = LabArrays(2, 3)
    a.kind[0] = LabKind.MAJOR
    tpl = BookCache().template(scn, (2, 2, 3), [], a.major, 3)
    bids, share = training_tranches(tpl, top, planned)
    want_bids, want_share = training_bid_schedule(top, planned, steps, floor)
    assert bids.tolist() == want_bids.tolist() and share.tolist() == want_share.tolist()


@pytest.mark.parametrize(("steps", "floor"), [(24, 0.2), (5, 0.5), (1, 0.2), (3, 0.05)])
def test_each_labs_own_tranches_are_its_bid_schedule(baseline, steps, floor):
    scn = baseline.with_overrides(
        {"demand.training_bid_steps": steps, "demand.training_bid_floor": floor}
    )
    a = LabArrays(5, 3)
    a.kind[:] = LabKind.MAJOR
    tpl = BookCache().template(scn, (2, 2, 3), [], a.major, 3)
    # planned below, at and above the top; nothing planned; a top of next to nothing
    top = np.array([2.5, 1.0, 1.0, 2.5, 1e-11])
    planned = np.array([1.1, 1.0, 3.0, 0.0, 1.0])
    bids, share = lab_training_tranches(tpl, top, planned)
    for j in range(top.size):
        want_bids, want_share = training_bid_schedule(top[j], planned[j], steps, floor)
        n = want_bids.size  # a flat bid: the whole need in the first tranche
        assert bids[:n, j].tolist() == want_bids.tolist()
        assert share[:n, j].tolist() == want_share.tolist() and not share[n:, j].any()


def test_the_lowest_training_tranche_is_below_the_sellers_offer_while_hours_go_unsold(baseline):
    """[est-training-schedule]: the floor (0.4 of the top bid, itself at most the expected
    price) lies below the sellers' offers, so that in a month with unsold hours the
    curve reaches the offers and the price falls to them; once the offers fall below the
    floor (late in baseline, as chips get cheaper), every hour must be sold anyway."""
    model = GigawattModel(baseline, rng=7)
    ratio = []
    for _ in range(120):
        expected = model.world.market.expected_compute_price  # what this month's bids read
        model.step()
        nodes = model.world.nodes
        on = nodes.capacity > 0
        ratio.append(np.average(nodes.cost[on], weights=nodes.capacity[on]) / expected)
    used = model.model_frame()["utilisation"].to_numpy()
    below = np.asarray(ratio) < baseline.demand.training_bid_floor
    assert not below[:96].any()  # through 2033 the offers stay above the floor
    assert (used[below] > 0.999).all()  # and where they do not, nothing is left unsold
    assert (used[12:24] < 0.9).all()  # 2027 has unsold hours: there the floor matters


@pytest.mark.parametrize("seed", range(6))
def test_training_tranches_are_numpys_arithmetic_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    for _ in range(20):
        decay = rng.uniform(0.0, 1.0, int(rng.integers(1, 40)))
        decay[0] = 1.0
        top = float(rng.choice([0.0, 1e-13, rng.lognormal(0.0, 3.0)]))
        planned = float(rng.choice([0.0, -0.0, top, rng.lognormal(0.0, 3.0)]))
        tpl = SimpleNamespace(tranche_decay=decay)
        bids, q = training_tranches(tpl, top, planned)
        want = top * decay
        if decay.size <= 1 or not want[-1] > 1e-12 or not planned > 0:
            want_q, want = np.ones(1), np.full(1, top)
        else:
            cum = min(planned, top) / want
            want_q = cum.copy()
            want_q[1:] -= cum[:-1]
        assert bids.tobytes() == want.tobytes() and q.tobytes() == want_q.tobytes()
