"""Regulator review: 2023 US Merger Guidelines arithmetic and the scenario's own rules."""

from __future__ import annotations

import numpy as np
import pytest

from agents.regulator import jurisdictions, review_deal, switching_fee
from agents.scenario import RegulationCfg
from experiments import run_scenario

REVENUE = np.array([28.0, 21.0, 15.0, 36.0])  # cloud shares AWS/Microsoft/Google/rest, $B
FRINGE = np.array([False, False, False, True])
SHIFT_10 = np.array([0, 10.0, 0, 0])


def test_minority_stake_is_not_reviewed_under_default_rules():
    # moving 10 of firm 1's sales to firm 0: post share 38% > 30%, change 2*28*10 + ... > 100
    r = review_deal(RegulationCfg(), REVENUE, FRINGE, 0, SHIFT_10, 0.0, 0.03, False)
    assert r.decision == "approved"
    assert r.post_hhi - r.pre_hhi == pytest.approx((38**2 + 11**2) - (28**2 + 21**2))


def test_reviewed_stake_blocked_by_share_test():
    rules = RegulationCfg(review_minority_stakes=True)
    r = review_deal(rules, REVENUE, FRINGE, 0, SHIFT_10, 0.0, 0.03, False)
    assert r.decision == "blocked"
    assert r.post_share == pytest.approx(0.38)
    # a shift too small to change HHI by 100 passes: 2 * 28 * 1 + 1 = 57
    small = review_deal(rules, REVENUE, FRINGE, 0, np.array([0, 1.0, 0, 0]), 0.0, 0.03, False)
    assert small.decision == "approved"


def test_exclusivity_ban_and_fee_conditions():
    banned = RegulationCfg(exclusivity_ban=True)
    r = review_deal(banned, REVENUE, FRINGE, 0, np.zeros(4), 0.0, 0.01, True)
    assert r.decision == "blocked" and "exclusive" in r.reasons[0]
    capped = RegulationCfg(switching_fee_cap=0.1)
    r = review_deal(capped, REVENUE, FRINGE, 0, np.zeros(4), 0.0, 0.01, False)
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
