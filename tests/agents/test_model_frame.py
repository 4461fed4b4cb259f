"""The model frame: its columns computed from the recorder for all months at once."""

from __future__ import annotations

import pytest

from experiments import load_scenario, run_scenario
from market.metrics import hhi


def test_ai_compute_hhi_is_the_hhi_of_hours_the_clouds_sold():
    # oracle: the agents table's hours per cloud over the trailing 12 months, fringe not squared
    res = run_scenario("baseline", months=15, rng=1)
    ag = res.tables["agents"]
    clouds = ag[(ag["kind"] == "hyperscaler") & (ag["month"].between(3, 14))]
    hours = clouds.groupby("name", sort=False)["compute_h100e_hours"].sum()
    firms = [h.hhi_firms() for h in res.scenario.hyperscalers if h.name in hours.index]
    want = hhi(hours.to_numpy(), firms)
    assert res.model_frame["ai_compute_hhi"].iloc[14] == pytest.approx(want)
    assert abs(want - res.model_frame["cloud_hhi"].iloc[14]) > 50  # not the revenue HHI


def test_the_fringe_counted_as_one_firm_adds_its_share_squared():
    # the same run with the fringe of small clouds counted as one firm: its share of the
    # trailing year's hours (from the agents table) squared is the whole difference
    scn = load_scenario("baseline")
    fringe = next(h.name for h in scn.hyperscalers if h.fringe)
    as_one = scn.with_overrides({f"hyperscalers.{fringe}.fringe_firms": 1})
    atomistic, one = run_scenario(scn, 15, 1), run_scenario(as_one, 15, 1)
    ag = one.tables["agents"]
    clouds = ag[(ag["kind"] == "hyperscaler") & (ag["month"].between(3, 14))]
    hours = clouds.groupby("name")["compute_h100e_hours"].sum()
    share = 100.0 * hours[fringe] / hours.sum()
    got = (
        one.model_frame["ai_compute_hhi"].iloc[14]
        - atomistic.model_frame["ai_compute_hhi"].iloc[14]
    )
    assert got == pytest.approx(share**2, rel=1e-9) and share > 10
    # counting changes the measure only: the market's numbers are the same to the bit
    assert one.model_frame["compute_spot_price"].equals(atomistic.model_frame["compute_spot_price"])


@pytest.mark.parametrize("month", [0, 1, 5, 13])
def test_cloud_hhi_is_the_hhi_of_a_years_cloud_revenue(month):
    # oracle: each cloud's AI revenue in the agents table over the months recorded so far
    # (at most 12), scaled to a year (x 12 / months), plus its other cloud revenue grown at
    # demand.non_ai_cloud_growth_per_year; fringe clouds in the total, not squared. In
    # month 1 two months are recorded: x 6, not x 12 (the first year was over-annualised)
    res = run_scenario("baseline", months=14, rng=1)
    scn, ag = res.scenario, res.tables["agents"]
    months = min(12, month + 1)
    window = ag[(ag["kind"] == "hyperscaler") & ag["month"].between(month - months + 1, month)]
    ai = window.groupby("name", sort=False)["revenue"].sum() * 12 / months
    g = scn.demand.non_ai_cloud_growth_per_year
    other = {
        h.name: h.non_ai_cloud_revenue_per_year * (1 + g) ** (month / 12) for h in scn.hyperscalers
    }
    names = list(ai.index)
    year = [ai[n] + other[n] for n in names]
    firms = [next(h.hhi_firms() for h in scn.hyperscalers if h.name == n) for n in names]
    assert res.model_frame["cloud_hhi"].iloc[month] == pytest.approx(hhi(year, firms), rel=1e-9)


def test_training_share_is_what_active_labs_received_beyond_what_they_served():
    # oracle: the agents table's rows of active labs, month by month
    res = run_scenario("baseline", months=14, rng=2)
    ag = res.tables["agents"]
    labs = ag[(ag["kind"] == "lab") & ag["active"].astype(bool)]
    by_month = labs.groupby("month")[["received", "served"]].sum()
    want = 1.0 - by_month["served"] / by_month["received"]
    got = res.model_frame.set_index("month")["training_share"]
    assert got.to_numpy() == pytest.approx(want.to_numpy(), rel=1e-12)
    assert ((got > 0.2) & (got < 0.9)).all()  # labs both train and serve every month
