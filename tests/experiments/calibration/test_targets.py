"""Targets: the shipped file, the statistics by hand, and errors that name key, value, fix."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from experiments.calibration import CalibrationError, load_targets
from experiments.calibration.targets import FLOOR_RATIO

DOCS = Path(__file__).resolve().parents[3] / "docs" / "calibration.md"

SERIES = """\
description = "test"

[series.rev]
metric = "OpenAI revenue run-rate (December)"
unit = "$B/yr"
source = "hist-openai-rev"
values = { 2023 = 2.0, 2025 = [20.0, 25.0] }
log_sd = 0.15
uncertainty = "rounded press figures"

[series.capex]
metric = "hyperscaler capex"
unit = "$B/yr"
source = "hist-capex-big4"
statistic = "growth"
values = { 2023 = 150.0, 2024 = 251.0 }
log_sd = { 2024 = 0.2 }
uncertainty = "scope: compared on growth"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "t.toml"
    p.write_text(text)
    return p


def test_shipped_targets_cite_rows_that_exist_in_the_docs():
    rows = set(re.findall(r"^\| `\[([a-z0-9-]+)\]`", DOCS.read_text(), flags=re.M))
    t = load_targets()
    assert {s.source for s in t.series.values()} <= rows
    # the brief's minimum: capex, NVIDIA, a lab's compute and revenue, rents, power, clouds
    metrics = {s.metric for s in t.series.values()}
    for needed in ("hyperscaler capex", "NVIDIA data-centre revenue", "OpenAI compute (December)",
                   "H100e rental price (year mean)", "US data-centre share of electricity",
                   "amazon share of cloud revenue"):  # fmt: skip
        assert needed in metrics


def test_observed_statistics_by_hand(tmp_path):
    t = load_targets(write(tmp_path, SERIES))
    obs = t.observed()
    assert obs["rev:2023"] == pytest.approx(math.log(2.0))
    assert obs["rev:2025"] == pytest.approx(math.log(math.sqrt(20 * 25)))  # geometric mean
    assert obs["capex:2024"] == pytest.approx(math.log(251 / 150))  # growth over the base year
    assert "capex:2023" not in obs  # the base year is no statistic
    assert t.sds() == {"rev:2023": 0.15, "rev:2025": 0.15, "capex:2024": 0.2}
    assert t.last_year() == 2025


def test_model_statistics_by_hand_with_the_floor(tmp_path):
    t = load_targets(write(tmp_path, SERIES))
    model = {
        ("OpenAI revenue run-rate (December)", 2023): 4.0,
        ("OpenAI revenue run-rate (December)", 2025): float("nan"),  # e.g. the lab exited
        ("hyperscaler capex", 2023): 30.0,
        ("hyperscaler capex", 2024): 60.0,
    }
    s = t.statistics(model)
    assert s["rev:2023"] == pytest.approx(math.log(4.0))
    assert s["rev:2025"] == pytest.approx(math.log(FLOOR_RATIO * math.sqrt(500)))
    assert s["capex:2024"] == pytest.approx(math.log(2.0))  # 60 / 30, whatever the scope


@pytest.mark.parametrize(
    "capex", [{}, {2023: 0.0, 2024: 0.0}, {2023: 30.0, 2024: 0.0}, {2023: 0.0, 2024: 60.0}]
)
def test_a_floored_growth_is_far_from_the_reported_one(tmp_path, capex):
    # a run that failed (no value) or capex of zero: each year floored at 1e-3 of its
    # figure, and the floors' ratio was the reported growth, a perfect match
    t = load_targets(write(tmp_path, SERIES))
    s = t.statistics({("hyperscaler capex", y): v for y, v in capex.items()})
    assert s["capex:2024"] == pytest.approx(math.log(251 / 150) + math.log(FLOOR_RATIO))


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('unit = "$B/yr"\nsource = "hist-openai-rev"', 'unit = "$B/yr"\nsource = "hist-openai-rev"\ncolour = 1', "series.rev.colour = 1: unknown key (remove it"),
        ('metric = "OpenAI revenue run-rate (December)"', 'metric = "OpenAI revenue"', "not a metric the model reports; use one of"),
        ("2025 = [20.0, 25.0]", "2025 = [25.0, 20.0]", "low <= high; swap them"),
        ("2023 = 2.0,", "23 = 2.0,", "year '23' is not a year of the model's calendar; key each value by its year, 2000-2100"),
        ("2023 = 2.0,", "2205 = 2.0,", "year '2205' is not a year of the model's calendar; key each value by its year, 2000-2100"),
        ("2023 = 2.0,", "2023 = -2.0,", "must be finite and > 0"),
        ("log_sd = 0.15", "log_sd = 0", "log_sd must be in (0, 3]"),
        ("log_sd = 0.15", 'log_sd = "0.15"', "series.rev.log_sd = '0.15'"),
        ("log_sd = { 2024 = 0.2 }", "log_sd = { 2023 = 0.2 }", "must cover exactly the compared years"),
        ("log_sd = { 2024 = 0.2 }", "log_sd = { 2023 = 0.1, 2024 = 0.2 }", "unknown ['2023']); 2023 is the growth's base, which has no statistic of its own"),
        ('source = "hist-openai-rev"', 'source = "Hist openai"', "row id"),
    ],
)  # fmt: skip
def test_bad_targets_name_key_value_and_fix(tmp_path, old, new, words):
    assert old in SERIES
    with pytest.raises(CalibrationError) as err:
        load_targets(write(tmp_path, SERIES.replace(old, new, 1)))
    assert words in str(err.value)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(CalibrationError, match="no such file"):
        load_targets(tmp_path / "none.toml")
    with pytest.raises(CalibrationError, match="not valid TOML"):
        load_targets(write(tmp_path, "description = "))


@pytest.mark.parametrize(
    ("start", "months", "words"),
    [
        # the SERIES years are 2023-2025
        ("2024-01", 24, "t.toml: series 'rev' year 2023 (as are 1 other target year) is before "
         "the start of scenario 's' (2024-01), so the model has no value for it; key the "
         "targets by years from 2024 on, or calibrate a scenario that starts by January 2023"),
        ("2023-01", 24, "t.toml: series 'rev' year 2025 is after the end of the run of scenario "
         "'s' (2023-01 through 2024-12), and every run would go on to December 2025; fix the "
         "year, or give the scenario the months to reach it (months = 36)"),
        ("2023-07", 12, "(2023-07 through 2024-06)"),
    ],
)  # fmt: skip
def test_target_years_outside_the_scenarios_run_are_refused(tmp_path, start, months, words):
    t = load_targets(write(tmp_path, SERIES))
    with pytest.raises(CalibrationError) as err:
        t.check_years("s", start, months, "t.toml")
    assert words in str(err.value)
    t.check_years("s", "2023-01", 36)


def test_a_start_years_part_counts_only_for_a_december_metric(tmp_path):
    # a run from July 2023 sums capex over July-December alone: 2023 is no base for growth
    t = load_targets(write(tmp_path, SERIES))
    with pytest.raises(CalibrationError) as err:
        t.check_years("s", "2023-07", 30, "t.toml")
    assert str(err.value) == (
        "t.toml: series 'capex' year 2023 is the first year of scenario 's', which starts in "
        "2023-07, and its metric 'hyperscaler capex' is summed or averaged over the whole "
        "year, so the model's value would miss the months before the start; key such targets "
        "by years from 2024 on, or calibrate a scenario that starts in January 2023"
    )
    # December's run-rate is there from a July start; the run ends 2025-12
    december = load_targets(write(tmp_path, SERIES[: SERIES.index("[series.capex]")]))
    december.check_years("s", "2023-07", 30)
