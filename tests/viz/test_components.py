"""Each Solara component rendered with ``solara.render`` (no browser)."""

from __future__ import annotations

import io
import zipfile

import ipyvuetify as v
import pandas as pd
import pytest
import solara
from mesa.visualization.utils import force_update
from solara.components.echarts import EchartsWidget

from viz.components import (
    CHART_COMPONENTS,
    NetworkView,
    StatusPanel,
    data_zip,
    frame_csv,
)


def _echarts(rc):
    found = rc.find(EchartsWidget)
    found.assert_single()
    return found.widget.option


def test_status_panel_counts_months_and_lists_levers(run):
    _, rc = solara.render(StatusPanel(run), handle_error=False)
    html = rc.find(solara.widgets.HTML).widget.unsafe_innerHTML
    assert "Month 0 · start 2026-01" in html
    assert "Interconnection lead time" in html and "36 months" in html
    run.step()
    force_update()
    assert "Month 1 · through 2026-01" in rc.find(solara.widgets.HTML).widget.unsafe_innerHTML
    labels = [w.children for w in rc.find(v.Btn).widgets]
    assert any("Download model frame (CSV)" in str(c) for c in labels)


def test_network_view_redraws_on_step_and_switches_size_measure(run):
    _, rc = solara.render(NetworkView(run), handle_error=False)
    option = _echarts(rc)
    assert option["title"]["text"] == "Trade network start 2026-01"
    run.step()
    force_update()
    option = _echarts(rc)
    assert option["title"]["text"] == "Trade network through 2026-01"
    sizes_cash = {n["name"]: n["value"] for n in option["series"][0]["data"]}
    assert sizes_cash["anthropic"] == pytest.approx(1e10 - 1e9)  # from the agents table
    rc.find(v.BtnToggle).widget.v_model = 1  # the "capacity" button
    sizes_mw = {n["name"]: n["value"] for n in _echarts(rc)["series"][0]["data"]}
    assert sizes_mw["aws"] == pytest.approx(3000.0)  # built_mw of the agents table
    assert sizes_mw["utility-europe"] == pytest.approx(3000.0)  # node attribute fallback


@pytest.mark.parametrize("name", sorted(CHART_COMPONENTS))
def test_each_chart_component_follows_the_model(run, name):
    _, rc = solara.render(CHART_COMPONENTS[name](run), handle_error=False)
    before = _echarts(rc)
    assert before["graphic"]["style"]["text"] == "no data yet"  # nothing simulated yet
    for months in (1, 2):
        run.step()
        force_update()
        after = _echarts(rc)
        assert after["series"], f"{name}: no series after {months} month(s)"
        assert after["xAxis"]["data"] == ["2026-01", "2026-02"][:months]


def test_downloads_hold_the_data_so_far(run):
    run.step()
    frame = pd.read_csv(io.BytesIO(frame_csv(run)))
    pd.testing.assert_frame_equal(frame, run.frame, check_dtype=False)
    with zipfile.ZipFile(io.BytesIO(data_zip(run))) as zf:
        names = set(zf.namelist())
        assert names == {"model_frame.csv", "regions.csv", "agents.csv", "deals.csv", "run.txt"}
        regions = pd.read_csv(zf.open("regions.csv"))
        assert len(regions) == 1 * 4  # one month recorded, four regions
        assert "seed: 7" in zf.read("run.txt").decode()


def test_status_panel_lists_listed_deals_and_a_switch_pending_or_in_effect(deals_file):
    from tests.viz.conftest import OPENAI_DEAL
    from viz.components import status_html
    from viz.controls import initial_params, pending_changes
    from viz.session import VizRun

    on = VizRun(scenario_name=deals_file, seed=7)
    params = {**initial_params(on), "other_deals.0.enabled": False}
    html = status_html(on, pending_changes(on, params))
    row = html.split(OPENAI_DEAL)[1].split("</tr>")[0]
    assert "listed deal" in html and ">on<" in row
    assert "→ off, applies on Reset" in row
    off = VizRun(**params)  # after Reset
    row = status_html(off, pending_changes(off, params)).split(OPENAI_DEAL)[1].split("</tr>")[0]
    assert ">off<" in row and "switched" in row and "applies on Reset" not in row
    with zipfile.ZipFile(io.BytesIO(data_zip(off))) as zf:
        assert "override other_deals.0.enabled = false" in zf.read("run.txt").decode()


def test_status_panel_names_the_listed_deals_a_new_scenario_brings(deals_file):
    from tests.viz.conftest import OPENAI_DEAL
    from viz.components import status_html
    from viz.controls import pending_changes
    from viz.session import VizRun

    run = VizRun(scenario_name="amazon-anthropic-2026", seed=7)
    assert "listed deal" not in status_html(run, {})  # no listed deals: no rows
    params = {"scenario_name": deals_file, "seed": 7, "scale_agents": 0}
    html = status_html(run, pending_changes(run, params))
    row = html.split(OPENAI_DEAL)[1].split("</tr>")[0]
    assert "not in this run" in row and "→ on, applies on Reset" in row
