"""The tidy tables: names rather than codes, a date beside every month, missing values."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from agents.tables import TableError, table_names
from experiments import run_scenario
from experiments.scenarios import load_scenario


def test_tables_give_names_dates_and_missing_values():
    res = run_scenario("amazon-anthropic-2026", months=3, rng=1)
    months = res.model_frame["month"]
    dates = res.model_frame["date"]
    assert dates.dtype.kind == "M"
    assert dates.dt.strftime("%Y-%m").tolist() == ["2026-01", "2026-02", "2026-03"]
    assert (dates.dt.day == 1).all()
    by_month = dict(zip(months, dates, strict=True))
    for name in ("regions", "agents", "deals", "cashflows"):
        table = res.tables[name]
        assert table["date"].tolist() == table["month"].map(by_month).tolist(), name
    ct = res.tables["contracts"]
    assert set(ct["kind"]) <= {"compute", "power", "chips"}
    compute = ct[ct["kind"] == "compute"]
    assert set(compute["seller"]) <= {h.name for h in res.scenario.hyperscalers}
    assert set(compute["buyer"]) <= {lab.name for lab in res.scenario.labs}
    assert set(ct["family"].dropna()) <= {"nvidia", "trainium", "tpu"}
    assert set(ct["region"].dropna()) <= {r.name for r in res.scenario.regions}
    assert (ct["end_date"] - ct["start_date"]).dt.days.ge(28 * (ct["end"] - ct["start"])).all()
    labs = res.tables["labs"]
    assert labs.loc[labs["active"], "exit_month"].isna().all()
    assert labs.loc[labs["active"], "exit_date"].isna().all()


def test_tables_asked_for_by_name_are_the_full_runs():
    res = run_scenario("amazon-anthropic-2026", months=3, rng=1, keep_model=True)
    assert res.model is not None
    some = res.model.tables(["deals", "agents"])
    assert list(some) == ["deals", "agents"]  # only these, in the order asked
    for name, table in some.items():
        pd.testing.assert_frame_equal(table, res.tables[name])


@pytest.mark.parametrize(
    ("names", "says"),
    [
        ("agents", "give a list of table names, e.g. ['agents']"),
        (["agents", "agent"], "'agent' is not a table; choose names from ['regions', 'agents'"),
    ],
)
def test_unknown_table_names_are_refused_with_the_known_ones(names, says):
    with pytest.raises(TableError, match=re.escape(says)):
        table_names(names)


def test_the_regions_table_moves_converted_load_out_of_the_conventional_data_centres():
    # the conventional load grows 4% a year from its start; what is converted to AI
    # leaves it, so the two columns add up to the grown load, month by month
    scn = load_scenario("history-2023").with_overrides(
        {"datacentres.conversion_share_per_year": 0.05}
    )
    regions = run_scenario(scn, months=24, rng=0, tables=["regions"]).tables["regions"]
    start = {r.name: r.conventional_dc_mw for r in scn.regions}
    grown = regions["region"].map(start) * (1 + scn.power.conventional_dc_growth) ** (
        regions["month"] / 12
    )
    both = regions["conventional_dc_mw"] + regions["converted_mw"]
    assert both.to_numpy() == pytest.approx(grown.to_numpy(), rel=1e-12)
    assert regions["converted_mw"].iloc[-4:].min() > 0.0
    for _, one in regions.groupby("region"):
        assert one["converted_mw"].is_monotonic_increasing


def test_a_lab_that_left_the_market_has_no_runway():
    # no VC and no credit: the fringe startup exits within a year; its trailing burn still
    # decayed above $1 a month, so cash 0 over it read as a runway of 0 months
    scn = load_scenario("baseline").with_overrides(
        {"capital.vc_success_prob": 0.0, "finance.debt_multiple_lab": 0.0}
    )
    res = run_scenario(scn, months=30, rng=2, tables=["agents"])
    ag = res.tables["agents"]
    gone = ag[(ag["kind"] == "lab") & ~ag["active"].astype(bool)]
    assert len(gone) > 0  # some lab did leave
    assert gone["runway_months"].isna().all()
