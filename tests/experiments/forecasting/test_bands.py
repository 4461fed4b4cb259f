"""Bands of a forecast: quantiles over draws and per-draw paired differences, by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from experiments.forecasting.bands import (
    QUANTILES,
    band_table,
    final_band,
    paired_differences,
    quantile_interval,
    quantile_table,
)


def _draws(scenario: str, values: list[list[float]], start: str = "2026-01") -> pd.DataFrame:
    """A draw frame: ``values[draw][month]`` of one metric ``x``."""
    rows = []
    t0 = pd.Timestamp(f"{start}-01")
    for d, series in enumerate(values):
        for m, v in enumerate(series):
            rows.append(
                {
                    "scenario": scenario,
                    "draw": d,
                    "month": m,
                    "date": t0 + pd.DateOffset(months=m),
                    "x": v,
                }
            )
    return pd.DataFrame(rows)


def _q(table: pd.DataFrame, month: int = 0) -> dict[float, float]:
    t = table[table["month"] == month]
    return dict(zip(t["quantile"], t["value"], strict=True))


def test_quantiles_match_hand_computed_linear_interpolation() -> None:
    # draws 1, 2, 4: the q quantile sits at position q * (3 - 1) between order statistics
    # (Hyndman & Fan type 7): 0.05 -> 1 + 0.1 * 1 = 1.1; 0.25 -> 1.5; 0.5 -> 2;
    # 0.75 -> 2 + 0.5 * 2 = 3; 0.95 -> 2 + 0.9 * 2 = 3.8
    table = quantile_table(_draws("a", [[1.0], [4.0], [2.0]]))
    assert _q(table) == pytest.approx({0.05: 1.1, 0.25: 1.5, 0.5: 2.0, 0.75: 3.0, 0.95: 3.8})
    assert set(table["n"]) == {3}


def test_missing_values_are_left_out_and_counted() -> None:
    table = quantile_table(_draws("a", [[1.0, 5.0], [np.nan, 7.0], [3.0, np.nan]]))
    assert _q(table, 0)[0.5] == pytest.approx(2.0)  # median of 1 and 3
    assert _q(table, 1)[0.5] == pytest.approx(6.0)
    assert table.groupby("month")["n"].first().tolist() == [2, 2]


def test_paired_difference_bands_are_quantiles_of_per_draw_differences() -> None:
    # Reference draws 1, 2, 3; scenario draws 3, 1, 2 (draw by draw). Each marginal median
    # is 2, so the difference of medians is 0; the per-draw differences are 2, -1, -1,
    # whose median is -1 and whose 75% quantile is -1 + 0.5 * 3 = 0.5.
    frame = pd.concat(
        [_draws("ref", [[1.0], [2.0], [3.0]]), _draws("s", [[3.0], [1.0], [2.0]])],
        ignore_index=True,
    )
    marginal = quantile_table(frame)
    med = marginal[marginal["quantile"] == 0.5].set_index("scenario")["value"]
    assert med["s"] - med["ref"] == pytest.approx(0.0)
    diffs = paired_differences(frame, "ref")
    assert sorted(diffs["x"]) == [-1.0, -1.0, 2.0]
    bands = quantile_table(diffs)
    assert set(bands["reference"]) == {"ref"}
    assert _q(bands) == pytest.approx({0.05: -1.0, 0.25: -1.0, 0.5: -1.0, 0.75: 0.5, 0.95: 1.7})


def test_scenarios_starting_in_different_months_pair_by_date() -> None:
    # "late" starts a month after "ref": its month 0 is ref's month 1.
    ref = _draws("ref", [[10.0, 20.0, 30.0], [1.0, 2.0, 3.0]])
    late = _draws("late", [[25.0, 36.0], [2.5, 3.5]], start="2026-02")
    diffs = paired_differences(pd.concat([ref, late], ignore_index=True), "ref")
    got = diffs.sort_values(["draw", "month"])[["draw", "month", "x"]].to_numpy().tolist()
    assert got == [[0, 0, 5.0], [0, 1, 6.0], [1, 0, 0.5], [1, 1, 0.5]]


def test_final_band_uses_each_scenario_last_month() -> None:
    frame = pd.concat(
        [_draws("a", [[0.0, 1.0], [0.0, 3.0]]), _draws("b", [[5.0], [7.0]])], ignore_index=True
    )
    band = final_band(frame, "x")
    assert band.loc["a", 0.5] == pytest.approx(2.0)
    assert band.loc["b", 0.5] == pytest.approx(6.0)
    assert band.loc["a", "date"] == pd.Timestamp("2026-02-01")


def test_the_median_of_100_draws_is_bracketed_by_the_40th_and_61st() -> None:
    # B ~ Binomial(100, 1/2) draws fall below the true median: P(B <= 39) = 0.0176 and
    # P(B >= 61) = 0.0176 (each under 0.025, while P(B <= 40) = 0.0284 is not), so the
    # 40th and 61st smallest bracket it with probability 1 - 2 x 0.0176 = 0.965
    values = np.random.default_rng(3).permutation(np.arange(1.0, 101.0) * 10.0)
    assert quantile_interval(values) == (400.0, 610.0)
    # the 5% quantile: P(B = 0) = 0.95**100 = 0.0059 and P(B >= 11) = 0.011, so the
    # smallest and the 11th smallest
    assert quantile_interval(values, p=0.05) == (10.0, 110.0)


def test_the_median_interval_covers_the_true_median_as_often_as_it_claims() -> None:
    # an oracle: samples of 100 from an exponential, whose median is log 2; the interval of
    # the previous test covers it with probability 0.9648 (binomial, computed above), so
    # over 4,000 samples the share is within 4 standard errors (0.0029 each) of that
    rng = np.random.default_rng(11)
    covered = [
        lo <= np.log(2.0) <= hi
        for lo, hi in (quantile_interval(rng.exponential(size=100)) for _ in range(4000))
    ]
    assert abs(np.mean(covered) - 0.9648) < 4 * np.sqrt(0.9648 * 0.0352 / 4000)


def test_too_few_draws_leave_the_median_unbounded() -> None:
    # 5 draws: P(B = 0) = 1/32 = 0.031 > 0.025, so no order statistic is low enough
    assert quantile_interval(np.array([1.0, 2.0, 3.0, 4.0, np.nan, 5.0])) == (-np.inf, np.inf)
    assert quantile_interval(np.array([np.nan, np.nan])) == (-np.inf, np.inf)


def test_final_band_gives_each_median_its_interval() -> None:
    frame = _draws("a", [[float(v)] for v in range(100, 0, -1)])
    band = final_band(frame, "x").loc["a"]
    assert band[0.5] == pytest.approx(50.5)
    assert (band["median_low"], band["median_high"]) == (40.0, 61.0)


def test_band_table_gives_numpy_nanquantile_on_random_arrays() -> None:
    # The oracle is numpy's own column-by-column nanquantile; the arrays have missing and
    # infinite values (both left out), ties, signed zeros, and columns with no value.
    rng = np.random.default_rng(5)
    for trial in range(300):
        draws, months = int(rng.integers(1, 40)), int(rng.integers(1, 30))
        v = rng.lognormal(0.0, 3.0, (draws, months)) * rng.choice([-1.0, 1.0], (draws, months))
        if trial % 3 == 0:
            v = rng.choice([0.0, -0.0, 1.0, -1.0, 2.0], (draws, months))
        v[rng.random((draws, months)) < rng.random() * 0.7] = np.nan
        v[rng.random((draws, months)) < 0.03] = np.inf
        quantiles = QUANTILES if trial % 2 else tuple(rng.random(int(rng.integers(1, 6))))
        q, n = band_table(v, quantiles)
        finite = np.where(np.isfinite(v), v, np.nan)
        assert n.tolist() == np.isfinite(v).sum(axis=0).tolist()
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            expected = np.nanquantile(finite, quantiles, axis=0)
        assert np.array_equal(q, expected, equal_nan=True)
        assert not np.signbit(q[q == 0.0]).any()  # a zero is reported as 0.0


def test_quantile_table_skips_a_scenario_without_the_metric() -> None:
    frame = pd.concat([_draws("a", [[1.0], [3.0]]), _draws("b", [[np.nan], [np.nan]])])
    table = quantile_table(frame)
    assert set(table["scenario"]) == {"a"}
    assert _q(table)[0.5] == pytest.approx(2.0)
