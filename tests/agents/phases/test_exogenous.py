"""Exogenous phase: demand growth and the economics of a compute node, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from agents.phases.exogenous import demand_growth, node_economics
from tests.agents.phases.conftest import clouds, sites


def test_demand_growth_decays_geometrically():
    # 0.6 a year, halving each year: 0.6 at month 0, 0.3 after 12 months, 0.6 * 0.5**1.5 at 18
    assert demand_growth(0.6, 0.5, 0) == pytest.approx(0.6)
    assert demand_growth(0.6, 0.5, 12) == pytest.approx(0.3)
    assert demand_growth(0.6, 0.5, 18) == pytest.approx(0.6 * 0.5**1.5)


def test_node_economics_by_hand(one_gen, small_cfg):
    # 1,000 H100s at 1,000 W = 1 MW of IT load; 0.5 MW built and 2 MW connected -> half runs.
    s = sites(built=0.5, connected=2.0, units=1000.0)
    c = clouds(1, [[1, 0, 0]], [[1, 0, 0]])
    cap, mwh, cost, running = node_economics(one_gen, s, np.array([40.0]), c.markup, small_cfg)
    assert running[0, 0] == pytest.approx(0.5)
    # capacity = 1,000 H100e x 0.5 x 730 h x 0.8 availability = 292,000 H100e-h
    assert cap[0, 0, 0] == pytest.approx(292_000.0)
    assert cap[0, 0, 1:].sum() == 0
    # MWh per H100e-h = 1,000 W x PUE 1.25 / 1e6 = 0.00125
    assert mwh[0, 0, 0] == pytest.approx(0.00125)
    # chips: $30M / (1,000 x 50 months x 584 h) = 1.027397...; shell: 0.001 MW x $10M /
    # (100 x 584 h) = 0.171233...; power: 0.00125 x $40 = 0.05; x (1 + 0.5 markup)
    hours = 730 * 0.8
    expected = (30e6 / (1000 * 50 * hours) + 0.001 * 10e6 / (100 * hours) + 0.05) * 1.5
    assert cost[0, 0, 0] == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(1.872945, rel=1e-6)
