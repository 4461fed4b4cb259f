"""ECharts options: the numbers drawn are the model's numbers, JSON-safe, gaps for NaN."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.viz.standin import REGIONS, StandInRun
from viz.charts import (
    CHARTS,
    RUNWAY_CAP,
    capacity_option,
    capacity_price_option,
    concentration_option,
    date_labels,
    deals_option,
    lab_runway,
    power_price_option,
    runway_option,
    throttled_option,
)


def _series(option, name):
    return next(s for s in option["series"] if s["name"] == name)["data"]


def test_every_chart_is_strict_json(stepped):
    for build in CHARTS.values():
        json.dumps(build(stepped), allow_nan=False)


def test_every_chart_is_strict_json_with_missing_and_infinite_values(stepped):
    # the stand-in has neither, so the test above could not fail on them: a chart draws
    # them as gaps (a nan in ECharts' JSON breaks the page)
    for row in stepped.model.rows:  # before the run's frame is first read
        row.update(compute_spot_price=np.nan, throttled_share=np.inf, cloud_hhi=-np.inf)
    for build in CHARTS.values():
        json.dumps(build(stepped), allow_nan=False)
    assert _series(CHARTS["compute_price"](stepped), "spot") == [None, None, None]


def test_prices_and_concentration_follow_the_stand_in_rule(stepped):
    # months 0-2 of the stand-in: spot 2.0 + 0.01 t, contract 1.8 + 0.005 t, chips
    # 30,000 - 50 t; cloud HHI 1,500 + t, chip HHI 7,000 - t
    t = range(3)
    prices = CHARTS["compute_price"](stepped)
    assert _series(prices, "spot") == pytest.approx([2.0 + 0.01 * m for m in t])
    assert _series(prices, "contract") == pytest.approx([1.8 + 0.005 * m for m in t])
    chips = CHARTS["chip_price"](stepped)
    assert _series(chips, "price paid") == pytest.approx([30_000.0 - 50.0 * m for m in t])
    hhi = CHARTS["concentration"](stepped)
    assert _series(hhi, "cloud HHI") == pytest.approx([1500.0 + m for m in t])
    assert _series(hhi, "chip HHI") == pytest.approx([7000.0 - m for m in t])


def test_power_price_per_region_matches_the_stand_in_rule(stepped):
    option = power_price_option(stepped.frame, stepped.table("regions"), start="2026-01")
    growth = 36.0 / 12.0
    for i, region in enumerate(REGIONS):
        expected = [50.0 + 5 * i + t * growth for t in range(3)]
        assert _series(option, region) == pytest.approx(expected)
    assert option["xAxis"]["data"] == ["2026-01", "2026-02", "2026-03"]


def test_capacity_price_per_region_is_drawn_with_its_unit_and_cap(stepped):
    """What moves in the power market is each region's capacity price ($/MW-day): drawn per
    region from 0, beside the frame's load-weighted mean, with the scenario's cap."""
    option = CHARTS["capacity_price"](stepped)
    for i, region in enumerate(REGIONS):
        assert _series(option, region) == pytest.approx([50.0 * i + 10.0 * t for t in range(3)])
    assert _series(option, "demand-weighted") == pytest.approx([75.0, 85.0, 95.0])
    assert option["title"]["text"] == "Capacity price by region"
    assert "reserve margin" in option["title"]["subtext"]
    assert option["yAxis"]["name"] == "$/MW-day"
    assert option["yAxis"]["min"] == 0  # 0 is the price of ample reserves
    mark = option["series"][0]["markLine"]
    assert mark["data"] == [{"yAxis": 300.0}]  # the stand-in scenario's cap
    assert mark["label"]["formatter"] == "cap $300.00"
    no_cap = capacity_price_option(stepped.frame, stepped.table("regions"), start="2026-01")
    assert "markLine" not in no_cap["series"][0]


def test_power_price_chart_says_it_is_the_energy_price(stepped):
    option = CHARTS["power_price"](stepped)
    assert option["yAxis"]["name"] == "$/MWh"
    assert option["title"]["subtext"].startswith("energy")


def test_capacity_used_is_powered_times_utilisation():
    frame = pd.DataFrame(
        {
            "month": [0, 1],
            "capacity_gw_built": [3, 4],
            "capacity_gw_powered": [2.0, 3.0],
            "utilisation": [0.5, 0.9],
        }
    )
    option = capacity_option(frame, start="2026-01")
    assert _series(option, "used") == pytest.approx([1.0, 2.7])
    assert option["yAxis"]["min"] == 0  # a size: drawn from zero, not zoomed in


def test_nan_becomes_a_gap_and_percent_scaling():
    frame = pd.DataFrame({"month": [0, 1, 2], "throttled_share": [0.1, np.nan, np.inf]})
    assert _series(throttled_option(frame, start="2026-01"), "throttled") == [
        pytest.approx(10.0),
        None,
        None,
    ]


def test_missing_data_shows_a_message_not_an_error():
    option = concentration_option(None, 1800.0, start="2026-01")
    assert option["graphic"]["style"]["text"] == "no data yet"
    assert deals_option(None, None, start="2026-01")["series"] == []


def test_hhi_line_is_drawn_at_the_scenarios_threshold(stepped):
    # the stand-in scenario's regulator reviews above 2,500 (not the Guidelines' 1,800)
    option = CHARTS["concentration"](stepped)
    assert option["series"][0]["markLine"]["data"] == [{"yAxis": 2500.0}]
    assert option["series"][0]["markLine"]["label"]["formatter"] == "review threshold 2,500"
    frame = pd.DataFrame({"month": [0], "cloud_hhi": [1500.0], "chip_hhi": [7000.0]})
    assert "markLine" not in concentration_option(frame, None, start="2026-01")["series"][0]


def test_dates_start_at_the_scenarios_start():
    run = StandInRun(scenario_name="no-deal")  # starts 2027-07
    run.step()
    assert CHARTS["compute_price"](run)["xAxis"]["data"] == ["2027-07"]
    assert run.date_label == "through 2027-07"


def test_lines_never_share_a_colour_or_a_marker(stepped):
    for name, build in CHARTS.items():
        series = [s for s in build(stepped)["series"] if s["data"]]
        colours = [s["lineStyle"]["color"] for s in series]
        symbols = [s["symbol"] for s in series]
        assert len(set(colours)) == len(colours), name
        assert len(set(symbols)) == len(symbols), name


def test_deals_cumulative_lines_in_billions(stepped):
    option = deals_option(stepped.frame, stepped.table("deals"), start="2026-01")
    assert _series(option, "aws-anthropic: invested") == pytest.approx([8.0, 8.1, 8.2])
    assert _series(option, "aws-anthropic: cloud revenue") == pytest.approx([0, 0.2, 0.4])


def test_runway_is_the_models_and_capped_only_for_display(stepped):
    option = runway_option(stepped.frame, stepped.table("agents"), start="2026-01")
    # stand-in: anthropic starts with 10 $B and burns 1 $B a month (recorded after the burn)
    assert _series(option, "anthropic") == pytest.approx([9.0, 8.0, 7.0])
    assert _series(option, "openai") == pytest.approx([19.0, 18.0, 17.0])
    assert "aws" not in [s["name"] for s in option["series"]]  # labs only
    assert str(int(RUNWAY_CAP)) in option["title"]["text"]
    rows = pd.DataFrame(
        {
            "month": [0, 1, 2],
            "name": ["rich", "rich", "rich"],
            "kind": ["lab"] * 3,
            "runway_months": [float("nan"), 500.0, 30.0],  # not burning, long, short
        }
    )
    assert lab_runway(rows)["runway"].tolist()[1:] == [500.0, 30.0]  # the data: uncapped
    assert np.isnan(lab_runway(rows)["runway"].iloc[0])
    drawn = _series(
        runway_option(pd.DataFrame({"month": [0, 1, 2]}), rows, start="2026-01"), "rich"
    )
    assert drawn == [RUNWAY_CAP, RUNWAY_CAP, 30.0]


def test_runway_switches_to_quantiles_with_many_labs():
    rows = [
        {"month": m, "agent": f"lab{i}", "kind": "lab", "runway_months": float(i)}
        for m in range(2)
        for i in range(20)
    ]
    frame = pd.DataFrame({"month": [0, 1]})
    option = runway_option(frame, pd.DataFrame(rows), max_lines=8, start="2026-01")
    assert [s["name"] for s in option["series"]] == ["median lab", "25th pct", "75th pct"]
    assert _series(option, "median lab") == pytest.approx([9.5, 9.5])
    # runways 0..19: quartiles by linear interpolation at 0.25 x 19 and 0.75 x 19
    assert _series(option, "25th pct") == pytest.approx([4.75, 4.75])
    assert _series(option, "75th pct") == pytest.approx([14.25, 14.25])


def test_date_labels_roll_over_years():
    assert date_labels([0, 11, 12, 119], "2026-01") == ["2026-01", "2026-12", "2027-01", "2035-12"]
    assert date_labels([0, 6], "2025-07") == ["2025-07", "2026-01"]


def test_deals_are_named_investor_to_lab():
    deals = pd.DataFrame(
        {
            "month": [0, 1],
            "deal": [0, 0],
            "investor": ["amazon"] * 2,
            "lab": ["anthropic"] * 2,
            "invested_usd": [5e9, 5e9],
            "cloud_revenue_usd": [0.0, 1e9],
        }
    )
    option = deals_option(pd.DataFrame({"month": [0, 1]}), deals, start="2026-01")
    assert _series(option, "amazon → anthropic: cloud revenue") == pytest.approx([0.0, 1.0])


def test_two_deals_of_one_investor_and_lab_each_have_their_lines():
    # they were grouped by "amazon -> anthropic", one row a month kept: deal 0 vanished
    deals = pd.DataFrame(
        {
            "month": [0, 0, 1, 1],
            "deal": [0, 1, 0, 1],
            "investor": ["amazon"] * 4,
            "lab": ["anthropic"] * 4,
            "invested_usd": [10e9, 3e9, 10e9, 3e9],
            "cloud_revenue_usd": [1e9, 0.0, 2e9, 0.5e9],
        }
    )
    option = deals_option(pd.DataFrame({"month": [0, 1]}), deals, start="2026-01")
    assert _series(option, "amazon → anthropic (deal 0): invested") == pytest.approx([10.0, 10.0])
    assert _series(option, "amazon → anthropic (deal 1): cloud revenue") == pytest.approx(
        [0.0, 0.5]
    )


def test_deals_chart_says_when_the_scenario_has_no_deal():
    run = StandInRun(scenario_name="no-deal")
    run.step()
    option = CHARTS["deals"](run)
    assert option["series"] == []
    assert option["graphic"]["style"]["text"] == "no deal in this scenario"


def test_many_regions_draw_the_largest_each_in_a_style_of_its_own():
    # 12 regions using 1..12 MW: the 7 largest (r05..r11) beside the demand-weighted mean
    regions = pd.DataFrame(
        [
            {"month": t, "region": f"r{k:02d}", "power_price": 50.0 + k,
             "non_ai_load_mw": k + 1.0, "conventional_dc_mw": 0.0, "dc_load_mw": 0.0}
            for t in range(2) for k in range(12)
        ]
    )  # fmt: skip
    frame = pd.DataFrame({"month": [0, 1], "power_price": [55.0, 56.0]})
    option = power_price_option(frame, regions, start="2026-01")
    names = [s["name"] for s in option["series"]]
    assert names == [f"r{k:02d}" for k in range(5, 12)] + ["demand-weighted"]
    assert option["title"]["text"] == "Power price by region (the 7 of 12 using the most power)"
    styles = {(s["color"], s["symbol"]) for s in option["series"]}
    assert len(styles) == len(names)
    assert _series(option, "r11") == [61.0, 61.0]
