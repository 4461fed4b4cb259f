"""Conversions of conventional data centres: the regions' pools and the clouds' shares."""

from __future__ import annotations

import numpy as np
import pytest

from agents.conversions import conversion_pool, share_pool


def test_the_conversion_pool_is_a_monthly_share_of_the_conventional_load_not_yet_converting():
    # 2,600 MW of conventional load at PUE 1.3 is 2,000 MW of IT; 200 already converting
    # leaves 1,800; 6% a year is 0.5% a month: 9 MW. A region converting all its
    # IT MW already has none left
    pool = conversion_pool(np.array([2600.0, 1300.0]), np.array([200.0, 1500.0]), 0.06, 1.3)
    assert pool.tolist() == pytest.approx([9.0, 0.0], abs=1e-12)
    assert conversion_pool(np.array([2600.0]), np.zeros(1), 0.0, 1.3).tolist() == [0.0]


def test_clouds_share_an_oversubscribed_pool_in_proportion_to_their_wants():
    # region 0: wants 60 + 30 + 10 = 100 against a pool of 40 -> each gets 40%;
    # region 1: wants 5 against 50 -> each gets what it wants; region 2: no wants
    wanted = np.array([[60.0, 5.0, 0.0], [30.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    got = share_pool(wanted, np.array([40.0, 50.0, 7.0]))
    want = [[24.0, 5.0, 0.0], [12.0, 0.0, 0.0], [4.0, 0.0, 0.0]]
    assert got == pytest.approx(np.array(want), rel=1e-12)


def test_shared_pools_never_exceed_the_pool_nor_any_cloud_s_want():
    rng = np.random.default_rng(3)
    for _ in range(200):
        wanted = rng.exponential(50.0, (4, 3)) * (rng.random((4, 3)) < 0.7)
        pool = rng.exponential(60.0, 3) * (rng.random(3) < 0.9)
        got = share_pool(wanted, pool)
        assert (got >= 0).all() and (got <= wanted * (1 + 1e-12)).all()
        assert (got.sum(axis=0) <= np.maximum(pool, 0) * (1 + 1e-12) + 1e-12).all()
        # a region is either filled to its pool or every want in it is met
        short = wanted.sum(axis=0) > pool
        assert got.sum(axis=0)[short] == pytest.approx(pool[short], rel=1e-12)
        assert got[:, ~short] == pytest.approx(wanted[:, ~short])
