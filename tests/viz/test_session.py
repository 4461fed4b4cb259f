"""VizRun: what SolaraViz holds, rebuilt on Reset from the sidebar's values."""

from __future__ import annotations

import pytest

from tests.viz.standin import SCENARIOS, StandInRun
from viz.session import LeverSpec, ModelBackend, VizError


def test_levers_not_given_keep_the_scenario_value():
    run = StandInRun(scenario_name="power-crunch", **{"demand.growth": 0.75})
    # interconnection not moved: power-crunch's own 60 months; demand growth moved
    assert run.overrides == {"demand.growth": 0.75}
    assert run.lever_values() == {
        "power.interconnection_months": 60.0,
        "demand.growth": 0.75,
        "deal.investment_usd": 8.0,
    }
    assert run.model.growth == pytest.approx(60.0 / 12.0)


def test_moved_lever_rebuilds_model_with_new_value():
    run = StandInRun(**{"power.interconnection_months": 42, "deal.investment_usd": 12})
    assert run.overrides == {"power.interconnection_months": 42.0, "deal.investment_usd": 12e9}
    assert run.model.growth == pytest.approx(42.0 / 12.0)  # stand-in: growth = months / 12


def test_lever_values_are_written_with_their_units():
    months = LeverSpec("p", "Lead time", 6, 96, 6, "months")
    assert months.format(42.0) == "42 months"
    assert LeverSpec("d", "Deal", 0.0, 40.0, 1.0, "$B", scale=1e9).format(5.0) == "$5B"
    fee = LeverSpec("f", "Fee cap", 0.0, 1.0, 0.05, "$/H100e-hour", none_label="no cap")
    assert (fee.format(0.25), fee.format(None)) == ("0.25 $/H100e-hour", "no cap")
    assert (fee.position(None), fee.position(3.0), months.position(2.0)) == (1.0, 1.0, 6.0)
    # a scenario's value between two steps is written as it is, not as the nearest step:
    # a $2.75B deal read "$3B", and growth of 0.625 a year "0.62"
    deal = LeverSpec("d", "Deal", 0.0, 40.0, 1.0, "$B", scale=1e9)
    growth = LeverSpec("g", "Growth", 0.0, 3.0, 0.05, "per year")
    assert (deal.format(2.75), growth.format(0.625)) == ("$2.75B", "0.625 per year")
    assert growth.format(1.0 / 3.0) == "0.333333 per year"  # at most six decimals


def test_the_sidebar_writes_each_real_lever_in_its_own_unit():
    specs = ModelBackend().levers()
    shown = {path: spec.format(spec.min) for path, spec in specs.items()}
    assert shown["regulation.switching_fee_cap"] == "0.00 $/H100e-hour"
    assert shown["demand.training_bid_share"] == "0.10 share"
    assert shown["regulation.hhi_threshold"] == "1,000"
    assert shown["power.interconnection_months"] == "6 months"
    assert shown["deal.investment_usd"] == "$0B"


def test_lever_scale_converts_slider_units_to_model_units():
    spec = LeverSpec("deal.investment_usd", "Deal", 0.0, 40.0, 1.0, "$B", scale=1e9)
    assert spec.is_int
    assert not LeverSpec("x", "x", 0.0, 1.0, 0.05).is_int


def test_unknown_lever_scenario_and_bad_seed_raise_named_errors():
    with pytest.raises(VizError, match=r"unknown lever\(s\) \['power.nope'\]"):
        StandInRun(**{"power.nope": 1.0})
    with pytest.raises(VizError, match=r"scenario_name='mars' is neither shipped nor a .toml"):
        StandInRun(scenario_name="mars")
    with pytest.raises(VizError, match=r"seed=1.5 must be a whole number >= 0"):
        StandInRun(seed=1.5)
    with pytest.raises(VizError, match=r"seed=-1 must be a whole number >= 0"):
        StandInRun(seed=-1)


def test_a_deal_switch_without_listed_deals_is_refused():
    with pytest.raises(VizError, match=r"other_deals.0.enabled=False: .* lists no deal"):
        StandInRun(**{"other_deals.0.enabled": False})
    assert StandInRun().switches == {}  # the levers' runs are as before


def test_frames_are_cached_per_month_and_refresh_after_a_step(run):
    first = run.frame
    assert run.frame is first  # same month: built once
    assert run.date_label == "start 2026-01"
    run.step()
    run.step()
    assert run.month == 2
    assert run.frame is not first
    assert list(run.frame["month"]) == [0, 1]
    assert run.date_label == "through 2026-02"
    assert run.time == 2.0


def test_running_stops_at_the_horizon(monkeypatch):
    monkeypatch.setitem(SCENARIOS, "short", SCENARIOS["baseline"].__class__(name="short", months=2))
    run = StandInRun(scenario_name="short")
    assert run.running
    run.step()
    run.step()
    assert not run.running
    assert run.date_label == "through 2026-02"


def test_scale_agents_add_small_labs_and_node_values_read_the_agents_table():
    run = StandInRun(scale_agents=40)
    assert run.graph.number_of_nodes() == 13 + 40
    with pytest.raises(VizError, match="scale_agents=-1 must be a count"):
        StandInRun(scale_agents=-1)
    run.step()
    cash = run.node_values("cash")
    assert cash["anthropic"] == pytest.approx(9e9)
    assert "small-0" not in cash  # not in the agents table: drawn from node attributes
