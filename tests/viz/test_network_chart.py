"""The trade network's ECharts option: sizes and widths from the model, kinds told apart."""

from __future__ import annotations

import json

import pytest

from viz.layout import compute_layout
from viz.network_chart import network_option


def test_network_is_strict_json(stepped):
    json.dumps(network_option(stepped.graph, compute_layout(stepped.graph)), allow_nan=False)


def test_network_widths_grow_with_flow_and_styles_tell_kinds_apart(stepped):
    g = stepped.graph
    option = network_option(g, compute_layout(g, seed=1), "cash", month_label="2026-04")
    series = option["series"][0]
    assert len(series["data"]) == g.number_of_nodes()
    links = series["links"]
    types = {lk["lineStyle"]["type"] for lk in links}
    assert types == {"solid", "dashed", "dotted"}  # trade, contract, equity
    compute = [
        lk
        for lk in links
        if "compute" in lk["tooltip"]["formatter"] and lk["lineStyle"]["type"] == "solid"
    ]
    by_flow = sorted(compute, key=lambda lk: lk["value"])
    widths = [lk["lineStyle"]["width"] for lk in by_flow]
    assert widths == sorted(widths) and widths[-1] == pytest.approx(7.6)
    assert option["title"]["text"] == "Trade network 2026-04"
    sizes = {n["name"]: n["value"] for n in series["data"]}
    assert sizes["anthropic"] == pytest.approx(1e10 - 3e9)  # graph attribute fallback
    sized = network_option(g, compute_layout(g), "cash", values={"anthropic": 5.0})
    assert {n["name"]: n["value"] for n in sized["series"][0]["data"]}["anthropic"] == 5.0
    in_debt = network_option(g, compute_layout(g), "cash", values={"openai": -3e9})
    node = next(n for n in in_debt["series"][0]["data"] if n["name"] == "openai")
    assert (node["value"], node["symbolSize"]) == (0.0, 8.0)  # drawn at the minimum size


def test_legend_names_kinds_in_words_and_labels_stay_readable_over_links(stepped):
    g = stepped.graph
    option = network_option(g, compute_layout(g, seed=1))
    legend = option["legend"]["data"]
    assert "chip vendor" in legend and not any("_" in name for name in legend)
    series = option["series"][0]
    assert [c["name"] for c in series["categories"]] == legend  # legend entries match
    assert all("_" not in n["tooltip"]["formatter"].split("<br/>")[1] for n in series["data"])
    # labels are drawn over the links: each on a near-opaque white ground, so a thick link
    # through a name does not hide it
    label = series["label"]
    assert label["show"] and label["backgroundColor"] == "rgba(255, 255, 255, 0.85)"
    widest = max(lk["lineStyle"]["width"] for lk in series["links"])
    assert label["fontSize"] + 2 * label["padding"][0] > widest  # the ground spans a link
