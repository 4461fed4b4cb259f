"""Directional behaviour over a few seeds and short horizons."""

from __future__ import annotations

import pytest

from experiments import load_scenario, run_scenario

SEEDS = (1, 2)


def _lab_share(res, lab: str, investor: str, months: slice) -> float:
    ag = res.tables["agents"]
    rows = ag[(ag["name"] == lab)].iloc[months]
    return float(rows[f"share_{investor}"].mean())


@pytest.mark.slow
def test_deal_raises_investor_share_and_round_trip_exceeds_one():
    deal, nodeal = load_scenario("amazon-anthropic-2026"), load_scenario("no-deal")
    for seed in SEEDS:
        with_deal = run_scenario(deal, months=36, rng=seed)
        without = run_scenario(nodeal, months=36, rng=seed)
        assert _lab_share(with_deal, "anthropic", "amazon", slice(8, 36)) > _lab_share(
            without, "anthropic", "amazon", slice(8, 36)
        )
    ten_years = run_scenario(deal, months=120, rng=SEEDS[0]).tables["deals"]
    last = ten_years.iloc[-1]
    assert last["status"].startswith("approved")
    assert last["round_trip_ratio"] > 1.0


@pytest.mark.slow
def test_power_crunch_raises_power_prices_and_throttling():
    for seed in SEEDS:
        base = run_scenario("baseline", months=120, rng=seed).model_frame
        crunch = run_scenario("power-crunch", months=120, rng=seed).model_frame
        assert crunch["power_price"].mean() > base["power_price"].mean()
        assert crunch["throttled_share"].mean() > base["throttled_share"].mean()


def _region(res, region: str, column: str, months: slice) -> float:
    reg = res.tables["regions"]
    return float(reg[reg["region"] == region][column].iloc[months].mean())


def test_eu_data_act_lowers_lockin_in_europe_not_in_the_us():
    for seed in SEEDS:
        base = run_scenario("baseline", months=24, rng=seed)
        act = run_scenario("eu-data-act", months=24, rng=seed)
        after = slice(12, 24)  # the ban holds from month 12
        assert _region(act, "europe", "egress_fee", after) == 0.0
        assert _region(act, "us-east", "egress_fee", after) == pytest.approx(0.25)
        eu_base, eu_act = (_region(r, "europe", "lockin_index", after) for r in (base, act))
        assert eu_act < 0.5 * eu_base
        for us in ("us-east", "us-west"):
            assert _region(act, us, "lockin_index", after) >= 0.9 * _region(
                base, us, "lockin_index", after
            )


def test_strict_antitrust_blocks_on_the_ai_compute_test_not_on_exclusivity():
    deals = run_scenario("strict-antitrust", months=8, rng=1).tables["deals"]
    last = deals.iloc[-1]
    assert last["status"] == "blocked" and last["reasons"].startswith("post-deal HHI")
    assert "exclusive" not in last["reasons"]
    assert deals["invested_usd"].max() == 0


def test_exclusivity_ban_strikes_the_clause_and_the_deal_goes_ahead():
    ban = load_scenario("amazon-anthropic-2026").with_overrides(
        {"regulation.exclusivity_ban": True}
    )
    res = run_scenario(ban, months=12, rng=1)
    last = res.tables["deals"].iloc[-1]
    assert last["status"] == "approved with conditions"
    assert last["conditions"] == "exclusivity struck" and not last["exclusive"]
    assert last["invested_usd"] > 0
    deal = run_scenario("amazon-anthropic-2026", months=12, rng=1)
    assert bool(deal.tables["deals"].iloc[-1]["exclusive"])
    base = run_scenario("baseline", months=12, rng=1)
    for other in (deal, base):
        assert not res.model_frame["compute_spot_price"].equals(
            other.model_frame["compute_spot_price"]
        )
