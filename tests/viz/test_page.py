"""The page rendered in-process (``solara.render``): tabs, sidebar, Step and Reset."""

from __future__ import annotations

import re

import ipyvuetify as v
import solara

from tests.viz.standin import StandInRun
from viz.page import TABS, grid_layout, make_page


def _render(**kw):
    page = make_page(StandInRun, **{"scenario_name": "baseline", "seed": 7, **kw})()
    _, rc = solara.render(solara.AppLayout(children=[page]), handle_error=False)
    return rc


def _status(rc) -> str:
    found = rc.find(solara.widgets.HTML).widgets
    return "".join(w.unsafe_innerHTML for w in found if "gigawatt-month" in w.unsafe_innerHTML)


def _sidebar_text(rc) -> str:
    html = "".join(w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _lever_slider(rc, index: int):
    """The ``index``-th lever slider (the sidebar order: speed, scale, then the levers)."""
    return rc.find(v.Slider).widgets[2 + index]


def test_tabs_have_names_and_mesa_internals_are_gone():
    rc = _render()
    assert [w.children for w in rc.find(v.Tab).widgets] == [[name] for name in TABS]
    assert list(TABS) == ["Market", "Capacity & concentration", "Deals & labs", "About"]
    text = _sidebar_text(rc)
    for internal in ("Render Interval", "Use Threads", "Time:", "Page 0"):
        assert internal not in text
    labels = [w.label for w in rc.find(v.Slider).widgets]
    assert all(label == "" for label in labels)  # names and values are written above each


def test_every_slider_shows_its_value_with_units():
    text = _sidebar_text(_render())
    assert "Play speed : one month every 150 ms" in text
    assert "Scale mode : off" in text
    assert "Interconnection lead time : 36 months" in text
    assert "Demand growth : 0.50 per year" in text
    assert "Deal investment : $8B" in text


def test_seed_is_a_field_you_type_a_whole_number_into():
    rc = _render()
    seed = rc.find(v.TextField, label="Seed")
    seed.assert_single()
    assert seed.widget.v_model == "7"
    seed.widget.v_model = "123456"
    assert "→ 123456, applies on Reset" in _status(rc)
    seed.widget.v_model = "seven"
    assert seed.widget.error  # Solara's InputInt refuses what is not an integer


def test_grid_layout_first_component_full_width():
    layout = grid_layout(4)
    assert [item["w"] for item in layout] == [12, 6, 6, 6]
    assert [(item["x"], item["y"]) for item in layout] == [(0, 0), (0, 13), (6, 13), (0, 23)]


def test_moved_lever_is_marked_until_reset_then_in_effect():
    rc = _render()
    step = rc.find(v.Btn, children=["Step"])
    step.assert_single()
    for _ in range(3):
        step.widget.click()
    assert "Month 3 · through 2026-03" in _status(rc)

    _lever_slider(rc, 0).v_model = 42  # as when a person drags the slider
    assert "Interconnection lead time : 42 months" in _sidebar_text(rc)
    status = _status(rc)
    assert "36 months" in status  # still the run on screen
    assert "→ 42 months, applies on Reset" in status
    assert "applies on Reset" in _sidebar_text(rc).split("Interconnection")[1]

    rc.find(v.Btn, children=["Reset"]).widget.click()
    status = _status(rc)
    assert "Month 0 · start 2026-01" in status
    assert "42 months" in status and "moved" in status
    assert "applies on Reset" not in status


def test_scenario_and_seed_apply_on_reset_with_the_scenarios_own_values():
    rc = _render()
    rc.find(v.Select, label="Scenario").widget.v_model = "power-crunch"
    # the slider shows power-crunch's own lead time at once (not the old scenario's)
    assert "Interconnection lead time : 60 months" in _sidebar_text(rc)
    rc.find(v.TextField, label="Seed").widget.v_model = "11"
    assert "Seed → 11" not in _status(rc)  # written as "seed 7 → 11, applies on Reset"
    assert "→ 11, applies on Reset" in _status(rc)
    rc.find(v.Btn, children=["Reset"]).widget.click()
    status = _status(rc)
    assert "power-crunch" in status and "seed <b>11</b>" in status
    assert "60 months" in status and "moved" not in status  # power-crunch's own lead time


def test_fields_are_not_rebuilt_when_a_mark_appears_above_them():
    """Choosing a scenario puts its "applies on Reset" mark above the seed field, and a new
    seed puts one above the scale slider: both stay the widgets the page shows, so a seed
    typed (or a slider moved) before the page has redrawn still reaches the run."""
    rc = _render()
    seed = rc.find(v.TextField, label="Seed").widget
    scale = rc.find(v.Slider).widgets[1]  # the sidebar order: speed, scale, then the levers
    rc.find(v.Select, label="Scenario").widget.v_model = "power-crunch"
    assert rc.find(v.TextField, label="Seed").widget is seed
    seed.v_model = "2024"  # into the field as the page showed it before the choice
    assert rc.find(v.Slider).widgets[1] is scale
    scale.v_model = 500
    rc.find(v.Btn, children=["Reset"]).widget.click()
    status = _status(rc)
    assert "power-crunch" in status and "seed <b>2024</b>" in status, status
    assert "scale mode: +500 small agents" in status, status


def test_deal_levers_are_marked_and_disabled_without_a_deal():
    rc = _render(scenario_name="no-deal")
    deal = _lever_slider(rc, 2)
    assert deal.disabled
    assert not _lever_slider(rc, 0).disabled
    assert "no deal in this scenario: not used" in _sidebar_text(rc)
    assert "not in this scenario" in _status(rc)
    # picking a scenario with the deal enables it (before Reset)
    rc.find(v.Select, label="Scenario").widget.v_model = "baseline"
    assert not _lever_slider(rc, 2).disabled


def test_negative_seed_is_refused_with_a_message():
    rc = _render()
    rc.find(v.TextField, label="Seed").widget.v_model = "-3"
    assert "The seed is a whole number, 0 or more." in str(
        [w.children for w in rc.find(v.Alert).widgets]
    )
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert "seed <b>7</b>" in _status(rc)  # the refused value never reached the run


def test_each_tab_renders_its_components():
    rc = _render()
    tabs = rc.find(v.Tabs).widget
    for index, name in enumerate(TABS):
        tabs.v_model = index
        if name == "About":
            assert "Concentration (HHI)" in _sidebar_text(rc)
            assert "scenario baseline" in _sidebar_text(rc)
        else:
            from solara.components.echarts import EchartsWidget

            assert len(rc.find(EchartsWidget).widgets) == sum(
                c.__name__.endswith(("Chart", "View")) for c in TABS[name]
            )


def test_full_width_grid_stacks_components():
    layout = grid_layout(2, full_width=True)
    assert [(item["x"], item["y"], item["w"]) for item in layout] == [(0, 0, 12), (0, 13, 12)]


def test_a_hint_leaves_its_lever_enabled_under_its_reset_mark():
    from viz.controls import LeverInput
    from viz.session import LeverSpec

    spec = LeverSpec("regulation.hhi_threshold", "Regulator HHI threshold", 1000, 4000, 100, "HHI")
    hint = "reviews majority stakes only"
    _, rc = solara.render(LeverInput(spec, 2000.0, 1800.0, "", lambda _: None, hint))
    assert not rc.find(v.Slider).widget.disabled
    html = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets]
    assert html[-2:] == [hint, "● applies on Reset"]
    _, rc = solara.render(LeverInput(spec, 2000.0, 2000.0, "not used", lambda _: None, hint))
    assert rc.find(v.Slider).widget.disabled  # a note wins: the lever does not apply
    assert [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets][-1] == "not used"
