"""The scenario schema: typed, extra keys forbidden, errors naming path, value, range."""

from __future__ import annotations

import pytest

from agents.scenario import LEVERS, Scenario, ScenarioError


def test_with_overrides_returns_a_new_validated_scenario(baseline):
    new = baseline.with_overrides({"power.interconnection_months": 72})
    assert new.power.interconnection_months == 72
    assert baseline.power.interconnection_months == 36
    assert isinstance(new, Scenario)


def test_out_of_range_names_path_value_and_range(baseline):
    with pytest.raises(ScenarioError) as err:
        baseline.with_overrides({"power.interconnection_months": 500})
    assert str(err.value) == (
        "invalid scenario: scenario key 'power.interconnection_months' = 500: "
        "input should be less than or equal to 120; allowed range: >= 0 and <= 120"
    )


def test_wrong_type_is_named(baseline):
    with pytest.raises(
        ScenarioError, match=r"'demand.growth_per_year' = 'fast': input should be a valid number"
    ):
        baseline.with_overrides({"demand.growth_per_year": "fast"})


def test_unknown_key_lists_allowed_keys(baseline):
    data = baseline.to_dict()
    data["power"]["interconection_months"] = 12
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(data)
    msg = str(err.value)
    assert "scenario key 'power.interconection_months': unknown key" in msg
    assert "interconnection_months" in msg.split("allowed keys here:")[1]


def test_unknown_override_path(baseline):
    with pytest.raises(ScenarioError, match=r"override 'power.nope.x': unknown key 'power.nope'"):
        baseline.with_overrides({"power.nope.x": 1})
    with pytest.raises(ScenarioError, match=r"'labs.99' is not an index of a list of 6"):
        baseline.with_overrides({"labs.99.cash": 1})


def test_unknown_names_are_rejected(baseline):
    with pytest.raises(
        ScenarioError, match=r"scenario key 'labs.0.primary' = 'oracle': unknown name"
    ):
        baseline.with_overrides({"labs.0.primary": "oracle"})


@pytest.mark.parametrize("path", sorted(LEVERS))
def test_every_lever_applies_at_both_ends(deal_scenario, path):
    lever = LEVERS[path]
    assert lever.min < lever.max and lever.step > 0 and lever.label and lever.unit
    for value in (lever.min, lever.max):
        new = deal_scenario.with_overrides({path: value})
        section, key = path.split(".")
        assert getattr(getattr(new, section), key) == pytest.approx(value)
