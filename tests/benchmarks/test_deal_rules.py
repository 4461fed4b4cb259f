"""The rules table's scenario files: the README's deal files at Anthropic's 2026 size."""

from __future__ import annotations

import pytest

from benchmarks.deal_rules import CASES, RULES, case_scenarios
from experiments.scenarios import load_scenario


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return case_scenarios(tmp_path_factory.mktemp("cases"))


def test_each_case_holds_its_deals_and_the_2026_additions(cases):
    assert tuple(cases) == CASES
    baseline = load_scenario("baseline")
    deals = {
        case: [(d.investor, d.lab) for d in (s.deal, *s.other_deals) if d.enabled]
        for case, s in cases.items()
    }
    assert deals == {
        "no deal": [],
        "OpenAI deal": [("amazon", "openai")],
        "Anthropic deal": [("amazon", "anthropic")],
        "both": [("amazon", "anthropic"), ("amazon", "openai")],
    }
    for s in cases.values():
        # the docs' additions: Anthropic's quality trend and its 2027 TPU contract
        assert (
            s.labs[[lab.name for lab in s.labs].index("anthropic")].capability_drift_per_year == 3.0
        )
        tpu = [c for c in s.contracts if c.buyer == "anthropic" and c.start == "2027-01"]
        assert len(tpu) == 1 and tpu[0].seller == "google"
        assert len(s.contracts) > len(baseline.contracts)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_set_is_a_valid_change_of_every_case(cases, rule):
    for s in cases.values():
        changed = s.with_overrides(RULES[rule]) if RULES[rule] else s
        for path, value in RULES[rule].items():
            section, *rest = path.split(".")
            obj = getattr(changed, section)
            if section == "labs":
                obj = next(lab for lab in obj if lab.name == rest[0])
                rest = rest[1:]
            assert getattr(obj, rest[0]) == value
