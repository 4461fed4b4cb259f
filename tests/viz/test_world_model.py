"""The app's reading of the real world model (column names, graph attributes, scale mode)."""

from __future__ import annotations

import json

import pytest

from tests.viz.conftest import world_model_missing
from viz.charts import CHARTS, network_option
from viz.layout import compute_layout, edge_flows
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
    run = VizRun(scenario_name="baseline", seed=7)
    start = {p: (v if v is not None else 0.0) for p, v in run.lever_values().items()}
    moved = VizRun(
        scenario_name="baseline",
        seed=7,
        levers_start=start,
        **{**start, "deal.investment_usd": 12.0, "power.interconnection_months": 48},
    )
    assert moved.overrides == {"deal.investment_usd": 12e9, "power.interconnection_months": 48.0}
    assert moved.model.config.deal.investment_usd == 12e9  # slider $B -> model USD
    assert moved.model.config.power.interconnection_months == 48
    assert moved.lever_values()["deal.investment_usd"] == 12.0


def test_scale_mode_aggregates_small_agents():
    run = VizRun(scenario_name="baseline", seed=7, scale_agents=3000)
    run.step()
    layout = compute_layout(run.graph, seed=run.seed, sizes=run.node_values("cash"))
    assert layout.aggregated and layout.n_model_nodes > 3000
    assert len(layout.labels) < 80
    assert {"anthropic", "openai", "amazon"} <= set(layout.labels)  # the majors stay visible
