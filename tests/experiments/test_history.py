"""The history comparison: yearly aggregation by hand, and the shape of the table."""

from __future__ import annotations

import pytest

from experiments import run_scenario
from experiments.calibration import load_targets
from experiments.history import HistoryError, history_table, yearly_values


@pytest.fixture(scope="module")
def history():
    return run_scenario("history-2023", months=36, rng=7, keep_model=True)


def test_yearly_values_aggregate_the_run_by_calendar_year(history):
    got = yearly_values(history).set_index(["metric", "year"])["model"]
    f = history.model_frame
    year = f["date"].astype(str).str[:4].astype(int)
    # capex is the year's sum, the rental price the year's mean (independent recomputation)
    assert got[("hyperscaler capex", 2024)] == pytest.approx(
        f.loc[year == 2024, "capex_usd"].sum() / 1e9
    )
    assert got[("H100e rental price (year mean)", 2025)] == pytest.approx(
        f.loc[year == 2025, "compute_spot_price"].mean()
    )
    # a run-rate is December's month x 12
    ag = history.tables["agents"]
    dec = ag[(ag["name"] == "openai") & (ag["month"] == 23)]["revenue"].iloc[0]
    assert got[("OpenAI revenue run-rate (December)", 2024)] == pytest.approx(dec * 12 / 1e9)
    dec_a = ag[(ag["name"] == "anthropic") & (ag["month"] == 23)]["revenue"].iloc[0]
    assert got[("Anthropic revenue run-rate (December)", 2024)] == pytest.approx(dec_a * 12 / 1e9)
    # NVIDIA's revenue: what the clouds paid it for chips that year, read from the cashflows
    # table (a range, units sold at no more than its highest list price, let a revenue of
    # half passed)
    flows = history.tables["cashflows"]
    to_nvidia = flows[
        (flows["payee"] == "nvidia")
        & flows["reason"].isin(["chips_spot", "chips_contract"])
        & (flows["month"] < 12)
    ]
    assert to_nvidia["amount"].sum() > 0
    assert got[("NVIDIA data-centre revenue", 2023)] == pytest.approx(
        to_nvidia["amount"].sum() / 1e9, rel=1e-12
    )
    # a share of electricity is the year's mean of the months' shares
    assert got[("US data-centre share of electricity", 2024)] == pytest.approx(
        f.loc[year == 2024, "us_dc_power_share"].mean()
    )


def test_history_table_has_every_target_year_with_its_source(history):
    t = history_table(history)
    assert len(t) == sum(len(x.values) for x in load_targets().series.values())
    assert t["source"].str.match(r"docs/calibration.md \[(hist|hs)-").all()
    row = t[(t["metric"] == "OpenAI compute (December)") & (t["year"] == 2025)].iloc[0]
    assert row["model_over_reported"] == pytest.approx(row["model"] / 1.9)
    # a range is read as the calibration reads it, at its geometric mean: 2023's rent of
    # $4.70-12.29 at $7.60, not the $8.50 midpoint
    row = t[(t["metric"] == "H100e rental price (year mean)") & (t["year"] == 2023)].iloc[0]
    assert (row["reported_low"], row["reported_high"]) == (4.7, 12.29)
    assert row["model_over_reported"] == pytest.approx(row["model"] / (4.7 * 12.29) ** 0.5)


def test_cloud_shares_by_hand(history):
    # a cloud's share of the year: its AI compute sales plus its other cloud revenue grown
    # at demand.non_ai_cloud_growth_per_year, over the same total of every cloud
    scn = history.scenario
    ag = history.tables["agents"]
    hs = ag[(ag["kind"] == "hyperscaler") & (ag["month"].between(24, 35))]
    g = scn.demand.non_ai_cloud_growth_per_year
    other = {h.name: h.non_ai_cloud_revenue_per_year for h in scn.hyperscalers}
    total = {
        name: sum(d["revenue"]) + sum(other[name] / 12 * (1 + g) ** (m / 12) for m in d["month"])
        for name, d in hs.groupby("name")
    }
    got = yearly_values(history).set_index(["metric", "year"])["model"]
    share = got[("amazon share of cloud revenue", 2025)]
    assert share == pytest.approx(total["amazon"] / sum(total.values()))
    assert 0 < share < 1


def test_a_run_without_its_model_is_a_history_error():
    run = run_scenario("history-2023", months=1, rng=7)
    with pytest.raises(
        HistoryError, match=r"^yearly_values: result\.model is None; .*keep_model=True"
    ):
        history_table(run)
