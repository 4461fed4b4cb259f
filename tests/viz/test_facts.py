"""The scenario reads of :mod:`viz.facts`: listed deals, whether a deal can appear, and the
HHI review threshold."""

from __future__ import annotations

import types

import pytest

from experiments.report import deals_possible as report_deals_possible
from experiments.report import hhi_threshold
from tests.viz.conftest import OPENAI_DEAL
from tests.viz.standin import SCENARIOS
from viz.facts import (
    FactError,
    deal_switch_index,
    deal_switch_key,
    deals_possible,
    hhi_review_threshold,
    listed_deals,
    scenario_start,
)


def _deal(**kw):
    fields = {"investor": "amazon", "lab": "openai", "propose": "2026-02", "exclusive": False}
    return types.SimpleNamespace(**{**fields, "investment_usd": 15e9, **kw})


def test_listed_deals_are_named_by_who_when_how_much():
    scenario = types.SimpleNamespace(
        other_deals=[
            _deal(),
            _deal(enabled=False, investment_usd=2.5e9, exclusive=True, lab="mistral"),
        ]
    )
    first, second = listed_deals(scenario)
    assert (first.index, first.label, first.enabled) == (0, OPENAI_DEAL, True)
    assert second.label == "amazon in mistral, 2026-02, $2.5B, exclusive"
    assert not second.enabled and second.key == "other_deals.1.enabled"
    assert listed_deals(types.SimpleNamespace()) == []
    assert listed_deals(SCENARIOS["baseline"]) == []  # the stand-in lists none


def test_deal_switch_keys_round_trip():
    assert deal_switch_index(deal_switch_key(3)) == 3
    for key in ("other_deals.x.enabled", "other_deals.0.investment_usd", "deal.enabled"):
        assert deal_switch_index(key) is None


def test_deals_possible_is_the_reports_rule_read_through_read_path():
    plain = types.SimpleNamespace(name="plain")
    listed = types.SimpleNamespace(other_deals=[_deal()])
    switched_off = types.SimpleNamespace(other_deals=[_deal(enabled=False)])
    strategic = types.SimpleNamespace(capital=types.SimpleNamespace(strategic_deals=True))
    for scenario, possible in ((plain, False), (listed, True), (switched_off, False)):
        assert deals_possible(scenario) is report_deals_possible(scenario) is possible
    assert deals_possible(strategic) and report_deals_possible(strategic)
    # read_path also reads mappings and the stand-in's ``get(path)``, which the report's
    # attribute reader does not
    assert deals_possible({"deal": {"enabled": True}})
    assert deals_possible(SCENARIOS["baseline"]) and not deals_possible(SCENARIOS["no-deal"])


def test_the_hhi_line_is_the_reports_threshold_read_through_read_path():
    scenario = types.SimpleNamespace(regulation=types.SimpleNamespace(hhi_threshold=2500))
    assert hhi_review_threshold(scenario) == hhi_threshold(scenario) == 2500.0
    assert hhi_review_threshold(types.SimpleNamespace()) is hhi_threshold(object()) is None
    # the app's reader also reads mappings, which the report's attribute reader does not
    assert hhi_review_threshold({"regulation": {"hhi_threshold": 1800}}) == 1800.0
    assert hhi_threshold({"regulation": {"hhi_threshold": 1800}}) is None


def test_listed_deals_of_a_scenario_file(deals_file):
    from experiments import load_scenario

    scenario = load_scenario(deals_file)
    assert [(d.index, d.label, d.enabled) for d in listed_deals(scenario)] == [
        (0, OPENAI_DEAL, True)
    ]
    off = scenario.with_overrides({"other_deals.0.enabled": False})
    assert [d.enabled for d in listed_deals(off)] == [False]
    assert deals_possible(off)  # the headline deal is still there
    assert not deals_possible(off.with_overrides({"deal.enabled": False}))


@pytest.mark.parametrize("start", ["2026-13", "2026-1", "26-01", "2026/01", "abcd-ef"])
def test_a_start_that_is_no_calendar_month_is_a_fact_error_with_an_example(start):
    with pytest.raises(
        FactError,
        match=rf"^scenario start='{start}' is not a YYYY-MM month; write e\.g\. '2026-01'$",
    ):
        scenario_start(types.SimpleNamespace(start=start))


def test_the_start_is_the_scenarios_own_month():
    assert scenario_start(types.SimpleNamespace(start="2027-07")) == "2027-07"
