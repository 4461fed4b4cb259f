"""Regulator review: 2023 US Merger Guidelines arithmetic and the scenario's own rules."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from agents.regulator import (
    EXCLUSIVITY_STRUCK,
    EgressFees,
    Regulator,
    egress_fees,
    jurisdictions,
    regulators_of,
    review_deal,
    switching_fee,
)
from agents.scenario import RegulationCfg, ScenarioError
from agents.units import month_date
from experiments import run_scenario

REVENUE = np.array([28.0, 21.0, 15.0, 36.0])  # cloud shares AWS/Microsoft/Google/rest, $B
FIRMS = np.array([1.0, 1.0, 1.0, np.inf])  # the rest: an atomistic fringe, not squared
SHIFT_10 = np.array([0, 10.0, 0, 0])


def test_minority_stake_is_not_reviewed_under_default_rules():
    # moving 10 of firm 1's sales to firm 0: post share 38% > 30%, change 2*28*10 + ... > 100
    r = review_deal(RegulationCfg(), REVENUE, FIRMS, 0, SHIFT_10, 0.0, 0.03, False)
    assert r.decision == "approved"
    assert r.post_hhi - r.pre_hhi == pytest.approx((38**2 + 11**2) - (28**2 + 21**2))


def test_reviewed_stake_blocked_by_share_test():
    rules = RegulationCfg(review_minority_stakes=True)
    r = review_deal(rules, REVENUE, FIRMS, 0, SHIFT_10, 0.0, 0.03, False)
    assert r.decision == "blocked"
    assert r.post_share == pytest.approx(0.38)
    # a shift too small to change HHI by 100 passes: 2 * 28 * 1 + 1 = 57
    small = review_deal(rules, REVENUE, FIRMS, 0, np.array([0, 1.0, 0, 0]), 0.0, 0.03, False)
    assert small.decision == "approved"


@pytest.mark.parametrize(
    ("fringe_firms", "post", "decision"),
    [(np.inf, 1328.0, "approved"), (1.0, 2928.0, "blocked"), (4.0, 1728.0, "approved")],
)
def test_how_the_fringe_is_counted_can_decide_the_presumption(fringe_firms, post, decision):
    # three clouds of 20 and a fringe of 40; 8 of cloud 1's sales move to cloud 0:
    # 28^2 + 12^2 - 2 x 20^2 = +128 (over 100) at a post share of 28% (under 30%), so the
    # presumption turns on the post-deal HHI: 28^2 + 12^2 + 20^2 = 1328 with the fringe
    # atomistic, + 40^2 = 2928 (over 1,800) as one firm, + 40^2 / 4 = 1728 as four
    rules = RegulationCfg(review_minority_stakes=True)
    revenue, firms = np.array([20.0, 20.0, 20.0, 40.0]), np.array([1, 1, 1, fringe_firms])
    r = review_deal(rules, revenue, firms, 0, np.array([0, 8.0, 0, 0]), 0.0, 0.03, False)
    assert r.post_hhi == pytest.approx(post) and r.post_hhi - r.pre_hhi == pytest.approx(128.0)
    assert r.decision == decision


def test_exclusivity_ban_strikes_the_clause_and_fee_conditions():
    banned = RegulationCfg(exclusivity_ban=True)
    r = review_deal(banned, REVENUE, FIRMS, 0, np.zeros(4), 0.0, 0.01, True)
    assert r.decision == "approved with conditions" and r.conditions == [EXCLUSIVITY_STRUCK]
    assert r.reasons == []
    # a ban does not save a deal the HHI test blocks: the block names the HHI test only
    strict = RegulationCfg(exclusivity_ban=True, review_minority_stakes=True)
    r = review_deal(strict, REVENUE, FIRMS, 0, SHIFT_10, 0.0, 0.03, True)
    assert r.decision == "blocked" and r.reasons[0].startswith("post-deal HHI")
    capped = RegulationCfg(switching_fee_cap=0.1)
    r = review_deal(capped, REVENUE, FIRMS, 0, np.zeros(4), 0.0, 0.01, False)
    assert r.decision == "approved with conditions"
    assert switching_fee(capped, "2026-01", 0.25) == pytest.approx(0.1)
    ban = RegulationCfg(switching_fee_ban="2027-01")
    assert switching_fee(ban, "2026-12", 0.25) == pytest.approx(0.25)
    assert switching_fee(ban, "2027-01", 0.25) == 0.0


def test_jurisdictions_group_us_and_eu_regions():
    assert jurisdictions(["us-east", "europe", "us-west", "asia"]) == {
        "us-regulator": [0, 2],
        "eu-regulator": [1],
        "asia-regulator": [3],
    }


def test_hhi_threshold_lever_decides_the_deal(deal_scenario):
    strict = {
        "regulation.review_minority_stakes": True,
        "regulation.share_threshold": 1.0,
        "regulation.delta_hhi": 10.0,
    }
    low = deal_scenario.with_overrides({**strict, "regulation.hhi_threshold": 1000})
    high = deal_scenario.with_overrides({**strict, "regulation.hhi_threshold": 9000})
    assert run_scenario(low, months=8, rng=1).tables["deals"].iloc[-1]["status"] == "blocked"
    last = run_scenario(high, months=8, rng=1).tables["deals"].iloc[-1]
    assert last["status"].startswith("approved")


def test_jurisdictions_apply_their_own_rules_to_their_regions():
    reg = RegulationCfg(
        switching_fee_cap=0.2,
        jurisdictions={
            "eu": {"regions": ["europe"], "switching_fee_cap": 0.05, "switching_fee_ban": "2027-01"}
        },
    )
    names = ["us-east", "us-west", "europe", "asia"]
    got = {n: (r, x.switching_fee_cap) for n, r, x in regulators_of(reg, names)}
    # the EU authority with its overrides; the others by prefix with the flat table's cap
    assert got == {
        "eu-regulator": ([2], 0.05),
        "us-regulator": ([0, 1], 0.2),
        "asia-regulator": ([3], 0.2),
    }
    governed = [(r, x) for _, r, x in regulators_of(reg, names)]
    # base fee 0.25: US and Asia capped at 0.2, Europe at 0.05 before 2027-01, 0 after
    assert egress_fees(governed, 4, "2026-12", 0.25).tolist() == pytest.approx(
        [0.2, 0.2, 0.05, 0.2]
    )
    assert egress_fees(governed, 4, "2027-01", 0.25).tolist() == pytest.approx([0.2, 0.2, 0.0, 0.2])
    # a configured "us" over us-east only: us-west gets its own default authority
    part = RegulationCfg(jurisdictions={"us": {"regions": ["us-east"]}})
    assert [(n, r) for n, r, _ in regulators_of(part, names)] == [
        ("us-regulator", [0]),
        ("us-rest-regulator", [1]),
        ("eu-regulator", [2]),
        ("asia-regulator", [3]),
    ]
    # two authorities over one region: the lower cap holds
    both = [
        ([0], RegulationCfg(switching_fee_cap=0.1)),
        ([0], RegulationCfg(switching_fee_cap=0.3)),
    ]
    assert egress_fees(both, 1, 0, 0.25).tolist() == [0.1]


def test_egress_fees_of_a_run_are_those_of_each_month():
    # a ban from 2027-03 in Europe, model month 14 of a run from 2026-01
    rules = RegulationCfg(
        switching_fee_cap=0.2,
        jurisdictions={"eu": {"regions": ["europe"], "switching_fee_ban": "2027-03"}},
    )
    names = ["us-east", "europe"]
    model = mesa.Model()
    regs = [Regulator(model, n, r, x) for n, r, x in regulators_of(rules, names)]
    fees = EgressFees(regs, 2, "2026-01", 0.25)
    governed = [(r.regions, r.rules) for r in regs]
    for month in (0, 13, 14, 15, 40, 13):
        date = month_date("2026-01", month)
        assert fees(month).tolist() == egress_fees(governed, 2, date, 0.25).tolist()
    assert fees(13).tolist() == [0.2, 0.2] and fees(14).tolist() == [0.2, 0.0]


def test_a_jurisdiction_must_name_known_regions(baseline):
    with pytest.raises(ScenarioError, match=r"regulation\.jurisdictions\.eu\.regions\.0"):
        baseline.with_overrides({"regulation.jurisdictions": {"eu": {"regions": ["mars"]}}})
