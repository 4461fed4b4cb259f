"""The app's reading of the real world model (column names, graph attributes, scale mode)."""

from __future__ import annotations

import json

import pytest

from tests.viz.conftest import world_model_missing
from viz.charts import CHARTS
from viz.layout import compute_layout, edge_flows
from viz.network_chart import network_option
from viz.session import VizRun

pytestmark = pytest.mark.skipif(world_model_missing(), reason="the world model has not landed yet")


def test_every_chart_has_data_for_the_deal_scenario():
    run = VizRun(scenario_name="amazon-anthropic-2026", seed=7)
    for _ in range(10):
        run.step()
    for name, build in CHARTS.items():
        option = build(run)
        json.dumps(option, allow_nan=False)
        assert option["series"], f"{name}: no series after 10 months"
        assert "graphic" not in option, f"{name}: shows 'no data' after 10 months"
    layout = compute_layout(run.graph, seed=run.seed, sizes=run.node_values("cash"))
    kinds = {kind for (_, _, kind, _) in edge_flows(run.graph, layout)}
    assert {"trade", "contract", "equity"} <= kinds  # the deal's stake is on the graph
    option = network_option(run.graph, layout, "capacity", values=run.node_values("capacity"))
    sizes = {n["name"]: n["value"] for n in option["series"][0]["data"]}
    assert sizes["amazon"] > 0 and sizes["utility-us-east"] > 0  # built MW, generation MW


def test_levers_round_trip_through_the_scenario():
    moved = VizRun(
        scenario_name="amazon-anthropic-2026",
        seed=7,
        **{"deal.investment_usd": 12.0, "power.interconnection_months": 48},
    )
    assert moved.overrides == {"deal.investment_usd": 12e9, "power.interconnection_months": 48.0}
    assert moved.model.config.deal.investment_usd == 12e9  # slider $B -> model USD
    assert moved.model.config.power.interconnection_months == 48
    assert moved.lever_values()["deal.investment_usd"] == 12.0


def test_scale_mode_aggregates_small_agents():
    run = VizRun(scenario_name="baseline", seed=7, scale_agents=3000)
    run.step()
    layout = compute_layout(run.graph, seed=run.seed, sizes=run.node_values("cash"))
    # the model's graph pools scale-mode buyers per (kind, region): 3000 buyers, few nodes
    pools = [d["members"] for _, d in run.graph.nodes(data=True) if d.get("pooled")]
    assert sum(pools) == 3000 and layout.n_model_nodes < 80
    assert len(layout.labels) < 80
    assert {"anthropic", "openai", "amazon"} <= set(layout.labels)  # the majors stay visible


def test_a_scenario_file_opens_and_its_threshold_and_start_are_drawn(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'extends = "baseline"\nname = "mine"\nstart = "2027-04"\n'
        "[regulation]\nhhi_threshold = 2600\n"
    )
    run = VizRun(scenario_name=str(path), seed=3)
    run.step()
    assert run.start == (2027, 4) and run.date_label == "through 2027-04"
    option = CHARTS["concentration"](run)
    assert option["series"][0]["markLine"]["data"] == [{"yAxis": 2600.0}]
    assert option["xAxis"]["data"] == ["2027-04"]


def test_deal_levers_apply_only_with_a_deal():
    from viz.facts import lever_applies

    base = VizRun(scenario_name="baseline", seed=7).config
    deal = VizRun(scenario_name="amazon-anthropic-2026", seed=7).config
    assert not lever_applies(base, "deal.investment_usd")
    assert lever_applies(deal, "deal.investment_usd")
    assert lever_applies(base, "power.interconnection_months")
