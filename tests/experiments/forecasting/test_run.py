"""Forecasts from a hand-made posterior: real runs, short horizons, three draws."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments import load_scenario, run_scenario
from experiments.deal_effect import incremental_revenue
from experiments.forecasting.figures import plot_fans
from experiments.forecasting.model import DEAL_CUM
from tests.experiments.forecasting.conftest import make_posterior

SCENARIOS = ["baseline", "amazon-anthropic-2026"]
UNTIL, MONTHS, DRAWS, SEED = "2026-09", 9, 3, 5


def _run(posterior: Path, out: Path) -> experiments.forecasting.ForecastResult:
    return experiments.forecast(
        posterior, SCENARIOS, out=out, draws=DRAWS, until=UNTIL, seed=SEED, workers=1
    )


@pytest.fixture(scope="module")
def posterior(tmp_path_factory) -> Path:
    return make_posterior(tmp_path_factory.mktemp("posterior"))


@pytest.fixture(scope="module")
def result(posterior, tmp_path_factory):
    return _run(posterior, tmp_path_factory.mktemp("forecast") / "fc")


def _params(result, draw: int) -> tuple[dict[str, float | int], int]:
    table = result.parameters.set_index("draw")  # one column at a time: seeds stay int64
    params = {
        "demand.growth_per_year": float(table.at[draw, "demand.growth_per_year"]),
        "power.interconnection_months": int(table.at[draw, "power.interconnection_months"]),
    }
    return params, int(table.at[draw, "seed"])


def test_quantiles_are_monotone_in_the_quantile(result) -> None:
    for table in (result.quantiles, result.differences):
        keys = [c for c in ("scenario", "reference", "metric", "month") if c in table.columns]
        steps = table.groupby(keys, sort=False)["value"].diff().dropna()
        assert len(steps) > 0
        assert (steps >= -1e-12).all()
    assert set(result.quantiles["scenario"]) == set(SCENARIOS)
    assert set(result.quantiles["month"]) == set(range(MONTHS))


def test_each_draw_is_the_same_run_in_every_scenario(result) -> None:
    # An independent run with draw 1's parameters and seed gives the stored series.
    params, seed = _params(result, 1)
    for name in SCENARIOS:
        direct = run_scenario(load_scenario(name).with_overrides(params), MONTHS, rng=seed)
        stored = result.draws.query("scenario == @name and draw == 1").sort_values("month")
        for col in ("compute_spot_price", "throttled_share", "ai_compute_hhi"):
            assert np.allclose(stored[col], direct.model_frame[col], equal_nan=True)


def test_deal_adds_what_a_paired_no_deal_run_says(result) -> None:
    added = []
    for draw in range(DRAWS):
        params, seed = _params(result, draw)
        scn = load_scenario("amazon-anthropic-2026").with_overrides(params)
        effect = incremental_revenue(scn, MONTHS, rng=seed)
        added.append(float(effect["incremental_revenue_cum_usd"].iloc[-1]))
    last = result.draws.query("scenario == 'amazon-anthropic-2026' and month == @MONTHS - 1")
    assert np.allclose(last.sort_values("draw")[DEAL_CUM], added)
    median = float(np.quantile(added, 0.5))
    line = next(s for s in result.summary if "the deal adds" in s)
    assert f"${median / 1e9:,.1f}B" in line
    assert "baseline" not in set(result.draws.dropna(subset=[DEAL_CUM])["scenario"])


def test_summary_gives_each_scenarios_last_month_and_the_differences_with_units(result):
    said = (result.files[0].parent / "summary.txt").read_text().splitlines()
    assert said == result.summary
    last = pd.Timestamp(UNTIL).strftime("%Y-%m")
    for name in SCENARIOS:
        values = result.draws.query("scenario == @name and month == @MONTHS - 1")
        median = float(np.quantile(values["capacity_gw_built"], 0.5))
        start = f"{name}, capacity_gw_built [GW] at {last}: median {median:.4g} ("
        assert any(s.startswith(start) for s in said), start
        assert any(s.startswith(f"{name}, cloud_hhi [HHI (0-10,000)] at {last}") for s in said)
    diff = [s for s in said if s.startswith(f"{SCENARIOS[1]} - {SCENARIOS[0]}, ")]
    assert any(
        s.startswith(f"{SCENARIOS[1]} - {SCENARIOS[0]}, throttled_share [share] at") for s in diff
    )
    assert len(diff) == 11  # the key metrics but the deal's own
    assert "the deal adds" in said[0]  # first, as before


def test_files_are_written(result) -> None:
    names = {p.name for p in result.files}
    assert {"quantiles.parquet", "differences.csv", "draws.csv", "fan.png"} <= names
    assert all(p.is_file() and p.stat().st_size > 0 for p in result.files)
    back = pd.read_parquet(next(p for p in result.files if p.name == "quantiles.parquet"))
    assert len(back) == len(result.quantiles)


def test_fan_charts_leave_a_notebooks_matplotlib_alone(result, tmp_path, users_pyplot) -> None:
    path = plot_fans(result.quantiles, tmp_path / "fan.png")
    assert path.read_bytes() == next(p for p in result.files if p.name == "fan.png").read_bytes()
    users_pyplot()


def test_same_seed_same_forecast(result, posterior, tmp_path) -> None:
    again = _run(posterior, tmp_path / "again")
    pd.testing.assert_frame_equal(again.quantiles, result.quantiles)
    pd.testing.assert_frame_equal(again.differences, result.differences)


def test_a_resumed_forecast_gives_the_same_numbers(result, posterior, tmp_path) -> None:
    folder = tmp_path / "resumed"
    shutil.copytree(result.files[0].parent, folder)
    for store in (folder / "runs").iterdir():  # as if interrupted: draw 2's runs never saved
        for shard in (store / "runs").glob("run-000002.parquet*"):
            shard.unlink()
    resumed = _run(posterior, folder)
    assert resumed.ran == 1  # only draw 2's deal run ran again: its twin stands for baseline
    pd.testing.assert_frame_equal(resumed.quantiles, result.quantiles)
    pd.testing.assert_frame_equal(resumed.differences, result.differences)


def test_baseline_read_from_the_twins_is_baseline_run_on_its_own(result, posterior, tmp_path):
    # amazon-anthropic-2026 with its deal disabled is baseline, so baseline's bands come
    # from the deal runs' twins (DRAWS runs, not 2 x DRAWS); run on its own instead, it
    # gives the same numbers to the bit
    alone = experiments.forecast(
        posterior,
        SCENARIOS,
        out=tmp_path / "alone",
        draws=DRAWS,
        until=UNTIL,
        seed=SEED,
        workers=1,
        share_twins=False,
    )
    assert (result.ran, alone.ran) == (DRAWS, 2 * DRAWS)
    assert (result.model_runs, alone.model_runs) == (2 * DRAWS, 3 * DRAWS)  # a third fewer
    pd.testing.assert_frame_equal(alone.draws, result.draws)
    pd.testing.assert_frame_equal(alone.quantiles, result.quantiles)
    pd.testing.assert_frame_equal(alone.differences, result.differences)
    # a folder started that way resumes that way: nothing to run, the same numbers
    again = _run(posterior, tmp_path / "alone")
    assert again.ran == 0
    pd.testing.assert_frame_equal(again.quantiles, result.quantiles)


def test_the_deal_scenario_alone_resumes_a_folder_begun_with_its_twin(result, posterior, tmp_path):
    folder = tmp_path / "deal-only"
    shutil.copytree(result.files[0].parent, folder)
    alone = experiments.forecast(
        posterior, SCENARIOS[1:], out=folder, draws=DRAWS, until=UNTIL, seed=SEED, workers=1
    )
    assert alone.ran == 0  # its runs, begun keeping their twins, are all there
    pd.testing.assert_frame_equal(
        alone.quantiles.reset_index(drop=True),
        result.quantiles.query("scenario == @SCENARIOS[1]").reset_index(drop=True),
    )
    # the earlier forecast's differences are not this one's: the folder holds this one alone
    left = {p.name for p in folder.iterdir()} - {"runs"}
    assert left == {p.name for p in alone.files}
    assert not any(name.startswith("differences") for name in left)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"until": "2026-06"}, "--until (runs of 9 months, now 6)"),
        ({"draws": 2}, "--draws (3, now 2)"),
        ({"seed": 6}, "--seed (5, now 6)"),
    ],
)
def test_a_folder_of_other_settings_names_what_changed(result, posterior, tmp_path, change, said):
    from experiments.forecasting.plan import ForecastError

    folder = tmp_path / "other"
    shutil.copytree(result.files[0].parent, folder)
    kw = {"draws": DRAWS, "until": UNTIL, "seed": SEED, **change}
    with pytest.raises(ForecastError) as err:
        experiments.forecast(posterior, SCENARIOS, out=folder, workers=1, **kw)
    assert str(err.value) == (
        f"--out {folder} holds a forecast made with other settings ({said}); give another "
        f"--out, or delete {folder / 'runs'} to start this folder over"
    )
