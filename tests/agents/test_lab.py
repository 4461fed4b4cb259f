"""Labs' planning arithmetic at its edges."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from agents.lab import LabArrays, plan_funding, training_need
from agents.scenario import CapitalCfg, DemandCfg


def test_a_burn_next_to_nothing_is_a_full_runway_without_a_numpy_warning():
    # cash / (6 x 1e-320) overflows: an endless runway, clipped to 1 (no cut), not a warning
    a = LabArrays(2, 1)
    a.training_ratio[:], a.inference_need[:], a.burn[:] = 0.5, 100.0, [1e-320, 10.0]
    cash = np.array([1e-5, 30.0])
    demand = DemandCfg(training_bid_share=0.5, services_markup=1.6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        need = training_need(a, cash, np.array([True, True]), 2.0, CapitalCfg(), demand)
    # base 0.5 x 100 = 50; lab 0 keeps it all (plus $1e-5 of spare cash's hours), lab 1 has
    # half its runway (30 of 6 x 10) and cuts to 0.5 + 0.5 x 0.5 = 0.75 of it
    assert need[0] == pytest.approx(50.0, abs=1e-4) and need[0] >= 50.0
    assert need[1] == 37.5


def test_a_round_goes_only_to_a_lab_earning_the_investors_minimum_revenue():
    # two labs short of runway (cash 5 < 6 x burn 2), both drawing under a sure success;
    # investors want 10 a year: revenue 1.0 a month (12 a year) raises 18 x 2 = 36, 0.5 (6
    # a year) is turned down and stays short
    capital = CapitalCfg(
        runway_months=6, round_months=18, vc_success_prob=1.0, min_revenue_for_vc=10.0
    )
    two, yes = np.ones(2), np.array([True, True])
    f = plan_funding(5.0 * two, 2.0 * two, np.array([1.0, 0.5]), yes, yes, 0.5 * two, capital)
    assert f.granted.tolist() == [True, False]
    assert f.raised.tolist() == [36.0, 0.0]
    assert f.still_short.tolist() == [False, True]


def test_funding_grants_and_turns_down_by_draw():
    cap = CapitalCfg(runway_months=6, round_months=18, vc_success_prob=0.5, min_revenue_for_vc=0)
    cash = np.array([5.0, 5.0, 50.0, 5.0])
    burn = np.array([2.0, 2.0, 2.0, 2.0])
    active = np.array([True, True, True, False])
    draw = np.array([0.1, 0.9, 0.1, 0.1])
    f = plan_funding(cash, burn, np.zeros(4), active, np.ones(4, dtype=bool), draw, cap)
    # lab 0: 5 < 6 x 2, draw 0.1 < 0.5 -> raises 18 x 2 = 36; lab 1: short, draw 0.9 -> turned
    # down; lab 2: 50 >= 12, not short; lab 3: inactive
    assert f.raised.tolist() == [36.0, 0.0, 0.0, 0.0]
    assert f.granted.tolist() == [True, False, False, False]
    assert f.still_short.tolist() == [False, True, False, False]
