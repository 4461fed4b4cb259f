"""``--set PATH=VALUE``, the option shared by ``gigawatt run`` and ``gigawatt compare``."""

from __future__ import annotations

import pytest

from experiments import load_scenario
from experiments.cli_set import SetError, apply_sets, parse_sets


def test_sets_apply_in_order_a_table_by_its_leaves() -> None:
    changes = parse_sets(["deal={enabled=false, exclusive=true}", "deal.exclusive=false"])
    assert changes == {"deal.enabled": False, "deal.exclusive": False}
    scn = load_scenario("amazon-anthropic-2026", months=3)
    changed = apply_sets(scn, ["deal={enabled=false}"], "amazon-anthropic-2026")
    # the deal's other values stay the scenario's, as a file's [overrides] leaves them
    assert changed.deal == scn.deal.model_copy(update={"enabled": False})


def test_months_is_refused_beside_the_commands_months() -> None:
    assert parse_sets(["months=3"]) == {"months": 3}
    with pytest.raises(SetError, match=r"^--set months=3 and --months 2: give the run's length"):
        parse_sets(["months=3"], 2)


def test_the_item_a_scenario_cannot_take_is_named() -> None:
    scn = load_scenario("baseline", months=3)
    items = ["cloud_conduct=1", "labs.anthropic.max_cloud_share=2", "cloud_conduct=7"]
    with pytest.raises(SetError) as err:
        apply_sets(scn, items, "baseline")
    said = str(err.value)
    assert said.startswith("--set labs.anthropic.max_cloud_share=2: scenario 'baseline' cannot")
    assert "less than or equal to 1" in said and said.endswith("change or drop this --set")
    # items a scenario takes only together (a later start leaves no funding round before
    # it once the rounds go) are taken together
    scn = load_scenario("no-deal", months=3)
    with pytest.raises(SetError, match=r"^--set start=2027-01: scenario 'no-deal' cannot"):
        apply_sets(scn, ["start=2027-01"], "no-deal")
    later = apply_sets(scn, ["start=2027-01", "rounds=[]"], "no-deal")
    assert (later.start, later.rounds) == ("2027-01", [])


def test_an_empty_table_empties_and_a_new_key_of_a_map_is_added() -> None:
    # {} was no change at all (the EU's rules stayed in force), and a jurisdiction could
    # not be added: "unknown key 'regulation.jurisdictions.us'"
    scn = load_scenario("eu-data-act", months=3)
    assert list(scn.regulation.jurisdictions) == ["eu"]
    none = apply_sets(scn, ["regulation.jurisdictions={}"], "eu-data-act")
    assert none.regulation.jurisdictions == {}
    more = apply_sets(scn, ['regulation.jurisdictions.us={regions=["us-east"]}'], "eu-data-act")
    assert list(more.regulation.jurisdictions) == ["eu", "us"]
    assert more.regulation.jurisdictions["us"].regions == ["us-east"]
    # a section of fixed keys takes no new one: a misspelt key is still named
    with pytest.raises(SetError, match=r"unknown key 'power.nope'; allowed keys: \["):
        apply_sets(scn, ["power.nope.x=1"], "eu-data-act")


def test_a_list_index_in_other_digits_is_named_not_a_traceback() -> None:
    # "labs.\u00b2.cash": a superscript two passed isdigit() and int() raised
    scn = load_scenario("baseline", months=3)
    with pytest.raises(SetError, match=r"'labs.\u00b2' names no item; use one of the names"):
        apply_sets(scn, ["labs.\u00b2.cash=1"], "baseline")
