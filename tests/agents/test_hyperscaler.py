"""Clouds' capacity planning: data-centre starts, their scale and the power room."""

from __future__ import annotations

import numpy as np
import pytest

from agents.hyperscaler import (
    capacity_scale,
    datacentre_starts,
    datacentre_starts_all,
    power_room,
)


def test_datacentre_starts_close_the_gap_partially():
    # contracted 800 MW > sold 500: target = 800 x 1.44**2 / 0.85 + (800 - 500)
    # = 1,951.62 + 300 = 2,251.62 MW; 2,000 MW built or in the pipeline -> start 251.62
    new = datacentre_starts(500.0, 800.0, 0.44, 24, 2000.0, 1e9, 400.0)
    assert new == pytest.approx(800 * 1.44**2 / 0.85 + 300 - 2000)
    assert datacentre_starts(500.0, 800.0, 0.44, 24, 1000.0, 1e9, 400.0) == 400.0  # capped
    assert datacentre_starts(500.0, 800.0, 0.44, 24, 3000.0, 1e9, 400.0) == 0.0  # enough
    assert datacentre_starts(500.0, 800.0, 0.44, 24, 1000.0, -1.0, 400.0) == 0.0  # no cash


def test_the_profitability_of_new_capacity_scales_the_target_for_sales_only():
    # contracted 800 MW > sold 500: for sales 800 x 1.44**2 / 0.85 = 1,951.62 MW, x 1.5;
    # the 300 MW the contracts call for beyond sales are built whatever the scale
    one = np.array([1.0])
    new = datacentre_starts_all(
        one * 500.0, one * 800.0, 0.44, 24, one * 2500.0, one * 1e9, 1e6, 1.0, one * 0.0, 1.5
    )
    assert new[0] == pytest.approx(800 * 1.44**2 / 0.85 * 1.5 + 300 - 2500)
    # q = 9 and q = 4 are both the top of the range: 4**0.5 = 2; q = 1 changes nothing
    assert (capacity_scale(9.0, 0.5), capacity_scale(1.0, 0.7)) == (2.0, 1.0)
    assert capacity_scale(0.1, 1.0) == 0.25  # the bottom of the range


def test_power_room_admits_shells_up_to_the_power_due_by_completion():
    # region 0: 100 MW connected or due by completion, 5% allowance -> 105 MW of shells may
    # stand; 90 MW built or building -> 15 MW may start. Region 1: 50 MW due -> 52.5 MW,
    # 60 MW of shells already -> none (never negative). Region 2: no power expected -> none.
    room = power_room(np.array([100.0, 50.0, 0.0]), np.array([90.0, 60.0, 0.0]), 0.05)
    np.testing.assert_allclose(room, [15.0, 0.0, 0.0])


def test_starts_of_all_clouds_and_pipelines_by_hand():
    # growth 0.44 over 24 months: x 1.44**2 = 2.0736, at 0.85 utilisation; half the gap a
    # month (adjust_months 2), at most 400 MW.
    # cloud 0: contracted 800 > sold 500 -> 800 x 2.0736 / 0.85 + 300 = 2,251.62 MW
    # cloud 1: sold 850 + 85 unserved = 935 -> 935 x 2.0736 / 0.85 = 2,280.96 MW
    # cloud 2: no cash -> nothing. Pipelines 2,000 and 1,000 MW (cloud 0), 2,000 and 2,200
    # (cloud 1): (251.62 / 2, 280.96 / 2) = (125.81, 140.48), then (capped 400, 40.48)
    sold, contracted = np.array([500.0, 850.0, 300.0]), np.array([800.0, 0.0, 0.0])
    cash, unserved = np.array([1e9, 1e9, -1.0]), np.array([0.0, 85.0, 0.0])
    pipes = np.array([[2000.0, 2000.0, 0.0], [1000.0, 2200.0, 0.0]])
    both = datacentre_starts_all(sold, contracted, 0.44, 24, pipes, cash, 400.0, 2, unserved)
    np.testing.assert_allclose(
        both,
        [[125.811765, 140.48, 0.0], [400.0, 40.48, 0.0]],
        rtol=1e-7,
    )
    # one cloud and one pipeline at a time: the same (the scalar form the doctests use)
    assert datacentre_starts(850.0, 0.0, 0.44, 24, 2200.0, 1e9, 400.0, 2, 85.0) == both[1, 1]
