"""Chip vendors: the offer price, captive capacity and the supply trend."""

from __future__ import annotations

import pytest

from agents.chipvendor import captive_capacity, supply_trend, vendor_offer_price
from experiments import run_scenario


def test_chip_trades_leave_buyers_a_surplus_and_captive_supply_follows_orders():
    # full backlog: ask 1.5 x list = 45,000, but at most 90% of the top bid 40,000 = 36,000
    ask = vendor_offer_price(30_000.0, 2.0, 0.5, 1.0, captive=False, top_bid=40_000.0)
    assert ask == pytest.approx(36_000.0) and ask < 40_000.0
    # no backlog: list price, well under the bid
    assert vendor_offer_price(30_000.0, 2.0, 0.5, 0.0, captive=False, top_bid=90_000.0) == 30_000.0
    # buyers value it below cost: 90% of a 9,000 top bid is 8,100, under the 10,000 it costs
    # to make (30,000 / (1 + 2)): the ask stays at cost and the chip does not trade
    assert vendor_offer_price(30_000.0, 2.0, 0.5, 1.0, captive=False, top_bid=9_000.0) == 10_000.0
    # a captive vendor bills its owner the cost whatever the backlog and the bids
    assert vendor_offer_price(
        30_000.0, 2.0, 0.5, 1.0, captive=True, top_bid=90_000.0
    ) == pytest.approx(10_000.0)
    # orders of 400 against capacity 100: 1/12 of the 300 gap a month -> 125; trend floor 110
    assert captive_capacity(100.0, 100.0, 400.0, 12) == pytest.approx(125.0)
    assert captive_capacity(100.0, 110.0, 50.0, 12) == pytest.approx(110.0)


def test_supply_trend_compounds_a_decaying_rate():
    # no decay: 100 x (1 + 1.4)^(24/12) = 100 x 5.76 = 576
    assert supply_trend(100.0, 1.4, 0.0, 24) == pytest.approx(576.0)
    # decay 0.5 over 2 months: rates 1.0 x 0.5^(0/12) = 1 and 0.5^(1/12) = 0.94387, each
    # compounded for a month: 100 x 2^(1/12) x 1.94387^(1/12) = 100 x 1.05946 x 1.05696
    # = 111.98
    expected = 100.0 * 2.0 ** (1 / 12) * (1.0 + 0.5 ** (1 / 12)) ** (1 / 12)
    assert supply_trend(100.0, 1.0, 0.5, 2) == pytest.approx(expected)


def test_in_the_deal_scenario_no_vendor_falls_short_of_a_supply_contract_or_borrows(
    deal_scenario,
):
    """docs/calibration.md [est-debt-rate]: the vendors borrow only to pay a supply contract's
    penalty beyond their sales; in the shipped scenarios none falls short, so none borrows
    (the deal scenario's penalties are a cloud's, paid to a lab)."""
    run = run_scenario(deal_scenario, rng=0, tables=["agents", "cashflows"])
    agents, flows = run.tables["agents"], run.tables["cashflows"]
    vendors = agents[agents["kind"] == "vendor"]
    assert vendors["name"].nunique() >= 2
    penalties = flows[flows["reason"] == "penalty"]
    assert penalties["amount"].sum() > 1e7  # contracts are broken, but not the vendors'
    assert penalties.loc[penalties["payer"].isin(vendors["name"]), "amount"].sum() == 0.0
    assert (vendors["debt"] == 0.0).all()
    borrowed = flows[(flows["reason"] == "borrow") & flows["payee"].isin(vendors["name"])]
    assert borrowed["amount"].sum() == 0.0
