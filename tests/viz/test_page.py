"""The SolaraViz page: sliders from the levers, Step and Reset through its own buttons."""

from __future__ import annotations

import ipyvuetify as v
import solara

from tests.viz.standin import LEVERS, StandInRun
from viz.page import PAGES, grid_layout, make_page, model_params


def test_model_params_have_scenario_seed_and_one_slider_per_lever(run):
    params = model_params(run)
    assert params["scenario_name"]["values"] == ["baseline", "power-crunch", "scale"]
    assert params["seed"]["value"] == 7
    assert params["levers_start"] == {"power.interconnection_months": 36.0, "demand.growth": 0.5}
    for path, spec in LEVERS.items():
        slider = params[path]
        assert (slider["min"], slider["max"], slider["step"]) == (spec.min, spec.max, spec.step)
    assert params["power.interconnection_months"]["type"] == "SliderInt"
    assert params["demand.growth"]["type"] == "SliderFloat"


def test_grid_layout_first_component_full_width():
    layout = grid_layout(4)
    assert [item["w"] for item in layout] == [12, 6, 6, 6]
    assert [(item["x"], item["y"]) for item in layout] == [(0, 0), (0, 13), (6, 13), (0, 23)]
    assert {page for _, page in PAGES} == {0, 1, 2}


def test_step_and_reset_rebuild_with_slider_values():
    page = make_page(StandInRun, scenario_name="baseline", seed=7)()
    _, rc = solara.render(solara.AppLayout(children=[page]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"])
    step.assert_single()
    for _ in range(3):
        step.widget.click()
    assert "Month 3 · through 2026-03" in _status(rc)

    slider = rc.find(v.Slider, label="Interconnection lead time (months)")
    slider.assert_single()
    slider.widget.v_model = 42  # as when a person drags the slider
    rc.find(v.Btn, children=["Reset"]).widget.click()
    status = _status(rc)
    assert "Month 0 · start 2026-01" in status
    assert "42 months" in status and "moved" in status


def _status(rc) -> str:
    found = rc.find(solara.widgets.HTML).widgets
    return "".join(w.unsafe_innerHTML for w in found if "gigawatt-month" in w.unsafe_innerHTML)


def test_scenario_selector_with_untouched_sliders_uses_the_scenarios_values():
    page = make_page(StandInRun, scenario_name="baseline", seed=7)()
    _, rc = solara.render(solara.AppLayout(children=[page]), handle_error=False)
    assert "36 months" in _status(rc)
    rc.find(v.Select, label="Scenario").widget.v_model = "power-crunch"
    rc.find(v.Slider, label="Seed").widget.v_model = 11
    rc.find(v.Btn, children=["Reset"]).widget.click()
    status = _status(rc)
    assert "power-crunch" in status and "seed <b>11</b>" in status
    assert "60 months" in status and "moved" not in status  # power-crunch's own lead time
