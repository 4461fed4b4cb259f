"""Metrics against hand-computed values (2023 US Merger Guidelines arithmetic)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from market.metrics import (
    delta_hhi,
    hhi,
    hhi_rows,
    lockin_index,
    merger_guidelines_presumption,
    round_trip_ratio,
    shares,
    weighted_mean,
    weighted_mean_rows,
)


def test_hhi_hand_computed():
    assert hhi([50, 50]) == pytest.approx(5000.0)
    assert hhi([1, 1, 1, 1]) == pytest.approx(2500.0)
    # docs/calibration.md [hs-cloud-shares]: 28^2 + 21^2 + 15^2 with the fragmented rest left out
    assert hhi([28, 21, 15, 36], firms=[1, 1, 1, np.inf]) == pytest.approx(1450.0)
    # ... or with the rest as one firm (+ 36^2), or as four equal firms (+ 4 x 9^2 = 324)
    assert hhi([28, 21, 15, 36], firms=[1, 1, 1, 1]) == pytest.approx(1450.0 + 1296.0)
    assert hhi([28, 21, 15, 36], firms=[1, 1, 1, 4]) == pytest.approx(1450.0 + 324.0)
    assert hhi([0, 0]) == 0.0


def test_delta_hhi_of_a_merger_is_twice_the_product_of_shares():
    pre, post, share = delta_hhi([30, 20, 50], to=0, moved=[0, 20, 0])
    assert post - pre == pytest.approx(2 * 30 * 20)
    assert share == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("post", "delta", "share", "expected"),
    [
        (1900, 150, 0.2, True),
        (1900, 50, 0.4, False),
        (1500, 150, 0.31, True),
        (1500, 150, 0.29, False),
    ],
)
def test_merger_guidelines_presumption(post, delta, share, expected):
    assert merger_guidelines_presumption(post, delta, share) is expected


def test_lockin_round_trip_shares_weighted_mean():
    np.testing.assert_allclose(lockin_index([10.0, 5.0], [100.0, 0.0]), [0.1, 0.0])
    r = round_trip_ratio([30.0, 5.0], [10.0, 0.0])
    assert r[0] == pytest.approx(3.0) and np.isnan(r[1])
    np.testing.assert_allclose(shares([1.0, 3.0]), [0.25, 0.75])
    assert weighted_mean([1.0, 3.0, np.nan], [1.0, 3.0, 5.0]) == pytest.approx(2.5)
    assert np.isnan(weighted_mean([1.0], [0.0]))


@pytest.mark.parametrize("n", [3, 7, 8, 13, 40])
def test_row_forms_give_the_one_row_numbers_to_the_bit(n):
    # oracle: the one-row functions applied row by row; rows of 8 or more terms are
    # summed pairwise by numpy, where a left-out entry must not become a zero term
    rng = np.random.default_rng(n)
    v = rng.standard_normal((30, n)) * 10.0 ** rng.integers(-6, 6, (30, n))
    w = rng.random((30, n)) * 10.0 ** rng.integers(-3, 9, (30, n))
    w[rng.random((30, n)) < 0.2] = 0.0
    v[rng.random((30, n)) < 0.1] = np.nan
    among = rng.random((30, n)) < 0.7
    among[0] = True
    w[1] = 0.0
    firms = np.where(rng.random(n) < 0.3, np.inf, rng.integers(1, 4, n))
    want = [weighted_mean(v[t][among[t]], w[t][among[t]], default=-1.0) for t in range(30)]
    got = weighted_mean_rows(v, w, among, default=-1.0)
    assert got.tolist() == want and got[1] == -1.0
    q = np.abs(v[:, :]).copy()
    q[np.isnan(q)] = 0.0
    q[2] = 0.0
    assert hhi_rows(q, firms).tolist() == [hhi(row, firms) for row in q]


def test_lockin_over_next_to_no_spend_is_inf_and_left_out_of_the_mean():
    # switching cost $3e11 over $1e-310 a year (a random valid scenario): inf, no numpy
    # warning, and the spend-weighted mean is the other lab's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lock = lockin_index([3e11, 2.0], [1e-310, 10.0])
    assert lock.tolist() == [np.inf, 0.2]
    assert weighted_mean(lock, [1e-310, 10.0]) == 0.2


def test_round_trip_over_next_to_no_investment_is_inf_without_a_warning():
    # $10B of revenue over an investment of $2.2e-308, the least a deal can state
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ratio = round_trip_ratio([1e10, 5.0, 1.0], [2.2250738585072014e-308, 2.0, 0.0])
    assert ratio[0] == np.inf and ratio[1] == 2.5 and np.isnan(ratio[2])
