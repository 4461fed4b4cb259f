"""Scenario files: the six shipped ones load; bad files give pinned messages."""

from __future__ import annotations

import pytest

from agents.scenario import ScenarioError
from experiments.scenarios import SCENARIO_DIR, list_scenarios, load_scenario

SHIPPED = [
    "baseline",
    "amazon-anthropic-2026",
    "eu-data-act",
    "no-deal",
    "power-crunch",
    "strict-antitrust",
]


def test_six_shipped_scenarios_load():
    assert list_scenarios() == SHIPPED
    for name in SHIPPED:
        assert load_scenario(name).name == name


def test_scenarios_differ_where_they_say():
    base = load_scenario("baseline")
    assert not base.deal.enabled and load_scenario("amazon-anthropic-2026").deal.enabled
    assert load_scenario("power-crunch").power.interconnection_months == 60
    assert load_scenario("eu-data-act").regulation.switching_fee_ban_month == 12
    strict = load_scenario("strict-antitrust")
    assert strict.regulation.exclusivity_ban and strict.deal.enabled
    assert load_scenario("no-deal").labs[0].cash == base.labs[0].cash + 5e9


def test_baseline_cites_calibration_rows():
    text = (SCENARIO_DIR / "baseline.toml").read_text()
    for row in (
        "[Accelerators / H100 SXM]",
        "[Data centres / PUE]",
        "[US Merger Guidelines]",
        "[The deal / lab's committed spend]",
        "[Power / interconnection]",
    ):
        assert row in text


def test_unknown_name(tmp_path):
    with pytest.raises(
        ScenarioError,
        match=r"scenario 'nope' is not a shipped name or a \.toml file; shipped: baseline",
    ):
        load_scenario("nope")


def test_bad_toml_syntax(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("months = = 3\n")
    with pytest.raises(
        ScenarioError, match=r"bad.toml': not valid TOML \(Invalid value \(at line 1"
    ):
        load_scenario(p)


def test_bad_value_in_file_names_file_key_value_range(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text('extends = "baseline"\n[power]\npue = 0.5\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    assert str(err.value) == (
        f"{p}: invalid scenario: scenario key 'power.pue' = 0.5: "
        "input should be greater than or equal to 1; allowed range: >= 1 and <= 3"
    )


def test_unknown_key_in_file(tmp_path):
    p = tmp_path / "y.toml"
    p.write_text('extends = "baseline"\n[deal]\nenabeld = true\n')
    with pytest.raises(
        ScenarioError, match=r"scenario key 'deal.enabeld': unknown key; allowed keys here: "
    ):
        load_scenario(p)


def test_extends_loop(tmp_path):
    p = tmp_path / "loop.toml"
    p.write_text('extends = "loop.toml"\n')
    with pytest.raises(ScenarioError, match="'extends' loops back to itself"):
        load_scenario(p)
