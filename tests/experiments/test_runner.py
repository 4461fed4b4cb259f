"""run_scenario: the Python API for one run."""

from __future__ import annotations

import numpy as np
import pytest

from agents.columns import MODEL_COLUMNS
from agents.scenario import ScenarioError
from agents.tables import TableError
from experiments import load_scenario, run_scenario

REQUIRED = [
    "month",
    "compute_spot_price",
    "compute_contract_price",
    "power_price",
    "chip_price",
    "capacity_gw_built",
    "capacity_gw_powered",
    "utilisation",
    "throttled_share",
    "cloud_hhi",
    "chip_hhi",
    "lockin_index",
    "flop_per_joule",
    "labs_active",
]


def test_readme_example_shape():
    scn = load_scenario("power-crunch").with_overrides({"power.interconnection_months": 72})
    res = run_scenario(scn, months=6, rng=7)
    assert list(res.model_frame.columns) == [c.name for c in MODEL_COLUMNS]
    assert set(REQUIRED) <= set(res.model_frame.columns)
    assert res.model_frame["month"].tolist() == list(range(6))
    assert {"regions", "agents", "deals", "contracts"} <= set(res.tables)
    assert res.seed == 7 and res.months == 6


def test_accepts_a_name_and_a_generator():
    a = run_scenario("baseline", months=3, rng=np.random.default_rng(4)).model_frame
    b = run_scenario("baseline", months=3, rng=np.random.default_rng(4)).model_frame
    assert a.equals(b)
    # and the generator is the run's: another one gives another run
    c = run_scenario("baseline", months=3, rng=np.random.default_rng(5)).model_frame
    assert not a.equals(c)


def test_deals_table_has_round_trip():
    res = run_scenario("amazon-anthropic-2026", months=12, rng=1)
    last = res.tables["deals"].iloc[-1]
    assert last["invested_usd"] >= 5e9
    assert last["round_trip_ratio"] == pytest.approx(
        last["cloud_revenue_usd"] / last["invested_usd"]
    )


@pytest.mark.parametrize("months", [0, -1, 601, 2.5])
def test_bad_months(months):
    with pytest.raises(ScenarioError, match=r"months = .*: must be a whole number in 1\.\.600"):
        run_scenario("baseline", months=months, rng=1)


def test_a_run_past_the_calendars_last_month_is_refused_before_it_starts(monkeypatch):
    late = load_scenario("baseline").with_overrides({"start": "2100-01", "months": 12})
    built = []
    monkeypatch.setattr("experiments.runner.GigawattModel", lambda *a, **k: built.append(a))
    with pytest.raises(ScenarioError, match=r"months = 13: .*from 2100-01 passes 2100-12"):
        run_scenario(late, months=13)
    assert built == []  # refused before a model was built


def test_repr_is_short_and_names_the_run():
    res = run_scenario("baseline", months=2, rng=5)
    text = repr(res)
    assert text.startswith("RunResult(scenario='baseline', seed=5, months=2, model_frame=2x")
    assert "deals" in text and len(text) < 400


def test_invariants_are_checked_by_default(monkeypatch):
    import experiments.runner as runner

    seen = []

    class Spy(runner.GigawattModel):  # type: ignore[misc,name-defined]
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(kwargs.get("check"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(runner, "GigawattModel", Spy)
    run_scenario("baseline", months=1, rng=1)
    run_scenario("baseline", months=1, rng=1, check=False)
    assert seen == [True, False]


@pytest.mark.parametrize("rng", [-1, True, "7", 2.5])
def test_bad_seed(rng):
    with pytest.raises(ScenarioError, match=r"rng = "):
        run_scenario("baseline", months=1, rng=rng)


def test_a_run_builds_only_the_tables_asked_for(monkeypatch):
    import experiments.runner as runner

    res = run_scenario("baseline", months=2, rng=5, tables=["agents"])
    assert list(res.tables) == ["agents"]
    built = []
    monkeypatch.setattr(runner, "GigawattModel", lambda *a, **k: built.append(1))
    with pytest.raises(TableError, match="'agent' is not a table"):
        run_scenario("baseline", months=2, rng=5, tables=["agent"])
    assert built == []  # refused before the model is built


def test_a_scenario_file_is_run_for_the_months_asked_not_its_own(tmp_path):
    # its own 120 months would pass 2100-12 from 2095-01; a run of 2 months fits
    late = tmp_path / "late.toml"
    late.write_text('extends = "baseline"\nstart = "2095-01"\n')
    res = run_scenario(late, months=2, rng=1)
    assert res.months == 2 and res.scenario.months == 2 and res.scenario.start == "2095-01"
    with pytest.raises(ScenarioError, match=r"months = 73: a run of 73 months from 2095-01"):
        run_scenario(late, months=73, rng=1)
