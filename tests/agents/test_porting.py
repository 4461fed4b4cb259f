"""A lab's choice to port to another chip family: the gap, the payback and the cost."""

from __future__ import annotations

import numpy as np

from agents.porting import choose_port, choose_ports
from agents.scenario import LockinCfg


def test_porting_pays_only_past_the_gap_and_the_cost():
    lk = LockinCfg(porting_gap=0.35, porting_months=9, porting_cost_usd=3e8)
    aff = np.array([1.0, 0.0, 0.0])
    prices = np.array([3.0, 1.5, 2.5])
    # pays 3.0; trainium at 1.5 < 0.65 x 3.0 = 1.95; saving 1.5 x 1e8 x (24 - 9) = 2.25e9 > 3e8
    assert choose_port(3.0, 1e8, aff, prices, 1e9, lk) == 1
    # a price of 2.0 misses the 35% gap
    assert choose_port(3.0, 1e8, aff, np.array([3.0, 2.0, 2.5]), 1e9, lk) == -1
    # volume 1e6: saving 1.5 x 1e6 x 15 = 2.25e7 < 3e8
    assert choose_port(3.0, 1e6, aff, prices, 1e9, lk) == -1
    # cannot pay the porting cost
    assert choose_port(3.0, 1e8, aff, prices, 1e8, lk) == -1


def test_ports_of_several_labs_at_once():
    lk = LockinCfg(porting_gap=0.35, porting_months=9, porting_cost_usd=3e8)
    prices = np.array([3.0, 1.5, 2.5])
    aff = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    paid = np.array([3.0, 3.0, np.nan, 3.0])
    received = np.array([1e8, 1e8, 1e8, 1e6])  # the last saves too little
    got = choose_ports(paid, received, aff, prices, np.full(4, 1e9), lk)
    # porting to family 1: 1.5 < 0.65 x 3, saving 1.5 x 1e8 x 15 months > $300M; lab 1 runs
    # well everywhere, lab 2 bought nothing, lab 3 saves 1.5 x 1e6 x 15 < $300M
    assert got.tolist() == [1, -1, -1, -1]
