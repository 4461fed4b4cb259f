"""Plan phase: capex, chip targets, funding, porting and generation entry, by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from agents.hyperscaler import (
    MAX_EXPECTED_GROWTH,
    datacentre_starts,
    expected_growth,
)
from agents.model import GigawattModel
from agents.phases import PHASES
from agents.phases.plan import ai_load_forecast, chip_targets, sales_growth
from agents.state import History
from experiments.scenarios import load_scenario
from tests.agents.phases.conftest import clouds, one_region_market, sites


def test_new_capacity_q_is_the_newest_gpus_value_over_its_list_price(baseline):
    from agents.phases.plan import new_capacity_q

    m = GigawattModel(baseline, rng=7)
    tech, market = m.world.tech, m.world.market
    assert tech.names[tech.newest(0, 0)] == "b200"  # baseline's newest NVIDIA GPU in 2026
    market.power_price[:] = 50.0
    # by hand, baseline's B200: 1,000 W x 1.83 server overhead = 1,830 W of IT per
    # 2,250 / 989 = 2.27503 H100e -> 8.04387e-4 MW an H100e. Power at $50/MWh and PUE 1.3:
    # $0.0522851 an hour; the shell, $11M per MW over 180 months of 730 x 0.9 = 657 h:
    # $0.0748203 an hour. Running cost $0.127105. An H100e-unit works 657 x 2.27503 =
    # 1,494.69 h a month, valued over 60 months at 10%/12 (annuity factor 47.0654), over
    # the $35,000 list price:
    #   rent $2: 1,494.69 x (2 - 0.127105) x 47.0654 / 35,000 = 3.76442
    #   rent $4: 1,494.69 x (4 - 0.127105) x 47.0654 / 35,000 = 7.78432
    #   rent below the running cost: 0 (a chip is never worth less than nothing)
    for rent, q in ((2.0, 3.76442), (4.0, 7.78432), (0.1, 0.0)):
        market.expected_compute_price = rent
        assert new_capacity_q(0, baseline, tech, market) == pytest.approx(q, rel=1e-5, abs=1e-12)


def test_chip_targets_fill_next_months_free_power(one_gen, small_cfg):
    # 2 MW built and connected, 1 MW next month in both pipelines -> 3 MW powered next month;
    # 1,000 chips draw 1 MW, so 2 MW are free: 2e6 W / 1,000 W = 2,000 chips of the one family
    s = sites(built=2.0, connected=2.0, units=1000.0)
    s.pipeline_built[0, 0, 1] = 1.0
    s.pipeline_power[0, 0, 1] = 1.0
    c = clouds(1, [[1, 0, 0]], [[1, 0, 0]])
    market = one_region_market(expected_price=2.5)
    want, price, free = chip_targets(
        0, small_cfg, one_gen, c, s, market, np.zeros((1, 3)), np.zeros(1)
    )
    assert free[0, 0] == pytest.approx(2.0)
    assert want[0].tolist() == pytest.approx([2000.0, 0.0, 0.0])
    # the bid is the chip's value: running cost per H100e-h = 0.001 MW x 1.25 PUE x $40 +
    # 0.001 MW x $10M / (100 months x 584 h) = 0.05 + 0.171233 = 0.221233; net rent
    # 2.5 - 0.221233 over 730 h x 0.8 a month, 50 months at 10%/12 a month
    # (an annuity factor of 40.7544): 584 x 2.278767 x 40.7544 = 54,236
    r = 0.10 / 12
    annuity = (1 - (1 + r) ** -50) / r
    value = 730 * 0.8 * (2.5 - 0.05 - 0.001 * 10e6 / (100 * 584)) * annuity
    assert price[0, 0] == pytest.approx(value, rel=1e-12)


def test_a_lab_that_received_next_to_no_compute_weighs_no_port(baseline):
    # a random 120-month scenario: a lab received 3.4e-311 H100e-hours and its spend over
    # them, the price it paid an hour, overflowed (a RuntimeWarning). That price is inf: no
    # family is cheaper by the porting gap in any sense that saves money, so it weighs no
    # port, while the others still weigh theirs
    models = [GigawattModel(baseline, rng=7) for _ in range(2)]
    for m in models:
        for _ in range(3):
            m.step()
        m.exogenous()
        assert np.isfinite(m.world.market.family_price).all()
    poked, twin = (m.world.labs for m in models)
    waiting = twin.porting_to < 0
    models[1].plan()
    ports = np.flatnonzero(waiting & (twin.porting_to >= 0))
    assert ports.size  # at its own price, a lab ports this month
    i = int(ports[0])
    poked.spend[i], poked.received[i] = 1e10, 3e-311
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        models[0].plan()
    assert poked.porting_to[i] == -1
    others = np.arange(poked.n) != i
    assert poked.porting_to[others].tolist() == twin.porting_to[others].tolist()


def test_utilities_forecast_connected_and_queued_ai_load():
    # 2 MW connected at fleet PUE 1.5 = 3 MW; 1 MW due at month 3 and 4 MW at month 9;
    # a 6-month lead from month 0 sees months 1-6: 3 + 1 x 1.3 (new-build PUE) = 4.3 MW
    s = sites(built=2.0, connected=2.0, units=1000.0, pue=1.5)
    s.pipeline_power[0, 0, 3] = 1.0
    s.pipeline_power[0, 0, 9] = 4.0
    assert ai_load_forecast(s, 0, 6, 1.3)[0] == pytest.approx(4.3)
    assert ai_load_forecast(s, 3, 6, 1.3)[0] == pytest.approx(3.0 + 4.0 * 1.3)  # months 4-9


def test_capacity_target_extrapolates_sales_growth_and_counts_throttled_demand():
    # half the observed growth 1.5 and half the trend 0.5 -> plans for 1.0 (doubling) a year
    g = expected_growth(0.5, 1.5, 0.5)
    assert g == pytest.approx(1.0)
    assert expected_growth(0.5, -0.9, 1.0) == 0.0  # a fall is not extrapolated below zero
    # sold 400 MW + 60 MW of throttled demand, doubling a year over a 12-month lead:
    # target = 460 x 2 / 0.85 = 1,082.35 MW; 900 built or in the pipeline -> start 182.35
    new = datacentre_starts(400.0, 0.0, g, 12, 900.0, 1e9, 400.0, unserved_mw=60.0)
    assert new == pytest.approx(460 * 2 / 0.85 - 900)
    # the trailing window: 100 H100e-h eleven months ago, 150 last month: 1.5^(12/11) - 1
    h = History.empty(2, 1, 1)
    h.hs_hours[:] = 40.0
    h.hs_hours[12 % 12] = [60.0, 40.0]  # month 0 of the window (month 12 reads index 0)
    h.hs_hours[11] = [90.0, 60.0]
    assert sales_growth(h, 12, 0.3) == pytest.approx(1.5 ** (12 / 11) - 1)
    assert sales_growth(h, 11, 0.3) == 0.3  # before a full window: the trend
    # from 1e-300 hours to 1e10: the ratio 1e310 overflowed its power (OverflowError in a
    # random valid scenario); capped at 1e250, growth 1e250^(12/11) - 1, and the plan
    # extrapolates its most, as for any growth above MAX_EXPECTED_GROWTH
    h.hs_hours[12 % 12], h.hs_hours[11] = [1e-300, 0.0], [1e10, 0.0]
    assert sales_growth(h, 12, 0.3) == pytest.approx(1e250 ** (12 / 11))
    assert expected_growth(0.5, sales_growth(h, 12, 0.3), 0.5) == MAX_EXPECTED_GROWTH


def test_initial_connections_queued_at_the_pipelines_pace(baseline):
    # baseline: builds take 21 months, connections 36. A cloud's building_mw completes as
    # 1/21 of it a month over months 1..21 with its power, and connections requested at the
    # same pace fall due over months 22..36 (15 more months of 1/21), for shells not started
    from agents.model import GigawattModel

    s = GigawattModel(baseline, rng=0).world.sites
    h = [c.name for c in baseline.hyperscalers].index("microsoft")  # no dated projects
    hc = baseline.hyperscalers[h]
    r = [x.name for x in baseline.regions].index("us-east")
    mw = hc.building_mw["us-east"]
    assert s.pipeline_built[h, r, 1:22].sum() == pytest.approx(mw)
    assert s.pipeline_built[h, r, 22:].sum() == 0.0
    assert s.pipeline_power[h, r, 1:37].sum() == pytest.approx(mw * 36 / 21)
    assert s.pipeline_power[h, r, 37:].sum() == 0.0


def test_a_dated_round_is_cash_in_its_month_and_nothing_before(baseline):
    from experiments import run_scenario

    dated = baseline.with_overrides({"rounds": [{"lab": "openai", "month": "2026-03", "usd": 7e9}]})
    with_round = run_scenario(dated, months=4, rng=7, tables=["cashflows", "labs"])
    without = run_scenario(baseline, months=4, rng=7, tables=["cashflows", "labs"])
    cf = with_round.tables["cashflows"]
    posted = cf[(cf["reason"] == "vc_round") & (cf["payee"] == "openai")]
    assert posted[["month", "payer", "amount"]].values.tolist() == [[2, "outside", 7e9]]
    # the months before it are the twin's to the bit; from it on the lab has the money
    same = ["compute_spot_price", "ai_revenue_usd", "throttled_share"]
    assert with_round.model_frame[same].iloc[:2].equals(without.model_frame[same].iloc[:2])
    raised = with_round.tables["labs"].set_index("name")["raised_usd"]
    assert (
        raised["openai"] - without.tables["labs"].set_index("name")["raised_usd"]["openai"] == 7e9
    )


def test_a_lab_that_has_exited_raises_no_dated_round(baseline):
    from experiments import run_scenario

    # no money and no investors: the lab exits within months, before its round is due; the
    # round would leave cash with an exited lab, which the month's invariants refuse
    scn = baseline.with_overrides(
        {
            "labs.5.cash": 1e8,
            "labs.5.opex_per_month": 3e9,
            "capital.vc_success_prob": 0.0,
            "rounds": [{"lab": "frontier-startup", "month": "2026-06", "usd": 5e9}],
        }
    )
    res = run_scenario(scn, months=7, rng=1, tables=["cashflows", "labs"])
    labs = res.tables["labs"].set_index("name")
    assert labs.loc["frontier-startup", "exit_month"] < 5
    cf = res.tables["cashflows"]
    assert cf[(cf["payee"] == "frontier-startup") & (cf["reason"] == "vc_round")].empty


def test_conversions_come_with_their_power_within_the_pool_and_leave_the_conventional_load():
    # January 2024 in history-2023, short of capacity: 10% of the conventional load a
    # year may be converted, in 4 months
    k, month = 4, 12
    scn = load_scenario("history-2023").with_overrides(
        {"datacentres.conversion_share_per_year": 0.1, "datacentres.conversion_months": k}
    )
    m = GigawattModel(scn, rng=7)
    for _ in range(month):
        m.step()
    w = m.world
    m.exogenous()
    conventional = np.array([u.conventional_dc_mw for u in w.utilities])
    committed = w.sites.pipeline_capex[:, month:].sum()
    due = [
        w.sites.pipeline_built[:, :, month + k].copy(),
        w.sites.pipeline_power[:, :, month + k].copy(),
    ]
    m.plan()
    started = w.sites.pipeline_converted[:, month + k]
    # by hand: a month's pool is 0.1 / 12 of the region's conventional IT MW (load / PUE)
    pool = conventional / scn.power.pue * 0.1 / 12
    assert started.sum() > 0.0
    assert (started <= pool * (1 + 1e-12)).all()
    # they are built and connected in month + k, in the converting cloud's row; nothing
    # else this month's plan adds is due then (shells take 21 months, connections 18)
    for pipe, before in zip(("pipeline_built", "pipeline_power"), due, strict=True):
        added = getattr(w.sites, pipe)[:, :, month + k] - before
        assert added.sum(axis=0) == pytest.approx(started, rel=1e-12, abs=1e-9)
    # every start is committed at once: shells at their cost, conversions at theirs
    assert w.sites.pipeline_capex[:, month:].sum() - committed == pytest.approx(
        w.debt.dc_started.sum(), rel=1e-12
    )
    # when they complete, their load (IT MW x PUE) leaves the conventional data centres
    for phase in PHASES[2:]:
        getattr(m, phase)()
    for _ in range(k):
        m.step()
    done = w.sites.pipeline_converted[:, : month + k + 1].sum(axis=1) * scn.power.pue
    g = scn.power.conventional_dc_growth
    for u in w.utilities:
        assert u.converted_mw == pytest.approx(done[u.region], rel=1e-12)
        grown = u.base_conventional_mw * (1 + g) ** ((month + k) / 12)
        assert u.conventional_dc_mw == pytest.approx(grown - done[u.region], rel=1e-12)


def test_no_conversion_starts_from_the_month_conversions_end():
    # conversions end in January 2024 (month 12): they ran before, and none starts then
    k = 4
    scn = load_scenario("history-2023").with_overrides(
        {
            "datacentres.conversion_share_per_year": 0.1,
            "datacentres.conversion_months": k,
            "datacentres.conversion_until": "2024-01",
        }
    )
    m = GigawattModel(scn, rng=7)
    for _ in range(12):
        m.step()
    assert m.world.sites.pipeline_converted[:, : 11 + k + 1].sum() > 0.0
    m.exogenous()
    m.plan()
    # (read after the plan: the pipelines may have grown into new arrays)
    assert m.world.sites.pipeline_converted[:, 12 + k].sum() == 0.0
