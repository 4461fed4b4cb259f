"""The Cowling-Waterson figure the deal-prices table prints beside the measured change."""

from __future__ import annotations

import pytest

from benchmarks.deal_prices import implied_offer_change


def test_implied_offer_change_by_hand():
    # HHI 1,800 at elasticity 1.3 under Cournot: mean margin L = 0.18 / 1.3 = 0.138462;
    # +180 adds dL = 0.018 / 1.3 = 0.013846, and the mean offer c / (1 - L) moves by
    # dL / (1 - L) = 0.013846 / 0.861538 = 0.016071
    assert implied_offer_change(1.0, 1800.0, 180.0, 1.3) == pytest.approx(0.016071, abs=1e-6)
    # half the conduct: L = 0.069231, dL = 0.006923 -> 0.006923 / 0.930769 = 0.007438
    assert implied_offer_change(0.5, 1800.0, 180.0, 1.3) == pytest.approx(0.007438, abs=1e-6)
    # price-taking clouds: no margin, so no change however the HHI moves
    assert implied_offer_change(0.0, 1800.0, 180.0, 1.3) == 0.0
