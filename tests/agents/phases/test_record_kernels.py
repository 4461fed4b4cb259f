"""The compiled month row of the record phase against the numpy expressions it replaces,
bit for bit, on random inputs (zeros, negative zeros, nan and inf among the values)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.phases.record_kernels import (
    owed_by_lab,
    region_sums,
    trade_flows,
)


def _values(rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
    """Random floats of many magnitudes, signs mixed, with zeros and negative zeros."""
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 6, shape)
    x[rng.random(shape) < 0.2] = 0.0
    x[rng.random(shape) < 0.1] = -0.0
    return x


@pytest.mark.parametrize("shape", [(1, 1, 1), (4, 4, 3), (3, 5, 8), (2, 3, 9), (7, 2, 140)])
def test_region_sums_are_numpys_sum_over_the_first_and_last_axes(shape) -> None:
    rng = np.random.default_rng(sum(shape))
    for _ in range(20):
        x, y = _values(rng, shape), _values(rng, shape)
        x[0] = -0.0
        out = np.full(shape[1], np.nan)
        region_sums(x, y, out)
        assert out.tobytes() == (x * y).sum(axis=(0, 2)).tobytes()


def test_owed_by_lab_is_the_bincount_of_commitments_owed() -> None:
    rng = np.random.default_rng(9)
    n, n_labs = 60, 7
    start, length = rng.integers(0, 30, n), rng.integers(1, 40, n)
    end, kind = start + length, rng.integers(0, 3, n)
    take_or_pay = rng.random(n) < 0.7
    price, volume = _values(rng, n), np.abs(_values(rng, n))
    buyer = rng.integers(0, n_labs + 4, n)  # buyers past the labs are clouds
    for month in (0, 10, 25, 60):
        nxt = month + 1
        rows = (start <= nxt) & (nxt < end) & (kind == 1) & take_or_pay
        owed = np.where(rows, price * volume * np.minimum(12, end - nxt), 0.0)
        expected = np.bincount(buyer, owed, minlength=n_labs)[:n_labs]
        got = owed_by_lab(month, n_labs, start, end, kind, 1, take_or_pay, price, volume, buyer)
        assert got.tobytes() == expected.tobytes()


def test_trade_flows_are_numpys_bincounts() -> None:
    rng = np.random.default_rng(4)
    n_r, n_h, n_labs = 3, 4, 9
    p_util, p_site = rng.integers(0, n_r, 50), rng.integers(0, n_r * n_h, 50)
    flow, volume = _values(rng, 50), _values(rng, (n_labs, n_h))
    for pool_rows in (np.zeros(0, dtype=np.int64), np.array([2, 3, 4]), np.array([7, 1])):
        pool_bins = rng.integers(0, 2 * n_r * n_h, pool_rows.size * n_h)
        power, pools = trade_flows(p_util, p_site, flow, n_r, n_h, pool_bins, volume, pool_rows)
        ref = np.bincount(p_util * n_h + p_site // n_r, flow, minlength=n_r * n_h)
        assert power.tobytes() == ref.tobytes() and power.shape == (n_r, n_h)
        ref = np.bincount(pool_bins, volume[pool_rows].ravel(), minlength=2 * n_r * n_h)
        assert pools.tobytes() == ref.tobytes() and pools.shape == (2 * n_r, n_h)
