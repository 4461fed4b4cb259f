"""The sidebar's switches for a scenario's listed deals (``other_deals``), on the world model."""

from __future__ import annotations

import ipyvuetify as v
import solara

from tests.viz.conftest import OPENAI_DEAL
from viz.controls import APPLIES_ON_RESET, Sidebar, initial_params, pending_changes
from viz.session import VizRun

SWITCH = "other_deals.0.enabled"


def _sidebar(scenario_name: str):
    """The sidebar of a fresh page on ``scenario_name``: its model, pending params, widgets."""
    model = solara.reactive(VizRun(scenario_name=scenario_name, seed=7))
    params = solara.reactive(initial_params(model.value))
    names = ["amazon-anthropic-2026"]
    _, rc = solara.render(Sidebar(model, params, solara.reactive(150), names), handle_error=False)
    return model, params, rc


def _deal_marks(rc) -> list[str]:
    """The marks under the deal switches (in a deal's column, not a lever's)."""

    def marks(widget, in_deal: bool) -> list[str]:
        if isinstance(widget, solara.widgets.HTML):
            return [widget.unsafe_innerHTML] if in_deal else []
        in_deal = in_deal or "gigawatt-deal" in str(getattr(widget, "class_", "")).split()
        return [
            m for child in getattr(widget, "children", None) or [] for m in marks(child, in_deal)
        ]

    return [m for top in rc.find(v.Sheet).widgets for m in marks(top, False)]


def test_a_listed_deal_gets_a_checkbox_named_by_who_when_how_much(deals_file):
    _, _, rc = _sidebar(deals_file)
    rc.find(v.CardTitle, children=["Other deals"]).assert_single()
    boxes = rc.find(v.Checkbox).widgets
    assert [(box.label, box.v_model) for box in boxes] == [(OPENAI_DEAL, True)]
    assert _deal_marks(rc) == []


def test_an_unchecked_deal_is_pending_until_reset_then_off(deals_file):
    model, params, rc = _sidebar(deals_file)
    box = rc.find(v.Checkbox).widget
    box.v_model = False  # as when a person unchecks it
    assert params.value[SWITCH] is False
    assert _deal_marks(rc) == [f"● {APPLIES_ON_RESET}"]
    assert pending_changes(model.value, params.value) == {OPENAI_DEAL: "off"}
    pending = VizRun(**params.value)  # what Reset builds
    assert pending.config.other_deals[0].enabled is False
    assert pending.switches == {SWITCH: False}

    box.v_model = True  # back at the scenario's own setting: no longer an override
    assert SWITCH not in params.value
    assert _deal_marks(rc) == []
    assert pending_changes(model.value, params.value) == {}

    box.v_model = False
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value.switches == {SWITCH: False}
    assert model.value.config.other_deals[0].enabled is False
    assert rc.find(v.Checkbox).widget.v_model is False
    assert _deal_marks(rc) == []  # the run on screen has it off now
    assert pending_changes(model.value, params.value) == {}


def test_choosing_another_scenario_drops_the_switches_it_does_not_have(deals_file):
    _, params, rc = _sidebar(deals_file)
    rc.find(v.Checkbox).widget.v_model = False
    rc.find(v.Select, label="Scenario").widget.v_model = "amazon-anthropic-2026"
    assert SWITCH not in params.value
    assert not rc.find(v.Checkbox).widgets  # that scenario lists no deal: no card
    rc.find(v.Select, label="Scenario").widget.v_model = deals_file
    assert rc.find(v.Checkbox).widget.v_model is True  # the scenario's own setting again


def test_a_scenario_without_listed_deals_has_no_deal_card():
    _, _, rc = _sidebar("amazon-anthropic-2026")
    assert not rc.find(v.Checkbox).widgets
    assert not rc.find(v.CardTitle, children=["Other deals"]).widgets


def test_a_file_saved_with_a_mistake_keeps_the_page_and_says_why(deals_file):
    # the page was replaced by a traceback: the status card re-reads a file when it changes
    import os
    from pathlib import Path

    _, params, rc = _sidebar(deals_file)
    path = Path(deals_file)
    good = path.read_text()
    path.write_text(good + "\n[power]\ninterconnection_months = -5\n")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))  # a later save
    params.set({**params.value, "seed": 8})  # the sidebar draws again
    errors = [w.children[0] for w in rc.find(v.Alert).widgets]
    assert any(
        "interconnection_months" in str(e) and "the last version that loaded is in use" in str(e)
        for e in errors
    )
    path.write_text(good)
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 10))
    params.set({**params.value, "seed": 9})
    assert not rc.find(v.Alert).widgets


def test_the_file_given_stays_offered_after_another_scenario_is_picked(deals_file):
    # it dropped out of the selector once another was picked: no way back without a reload
    from viz.page import make_page

    page = make_page(VizRun, scenario_name=deals_file, seed=7)()
    _, rc = solara.render(solara.AppLayout(children=[page]), handle_error=False)
    select = rc.find(v.Select, label="Scenario").widget
    assert deals_file in select.items
    select.v_model = "baseline"
    assert deals_file in rc.find(v.Select, label="Scenario").widget.items


def test_a_scenario_file_without_the_toml_suffix_is_read_as_run_reads_it(tmp_path, deals_file):
    # gigawatt run took it; gigawatt viz printed its address, then a traceback, exit 3
    from pathlib import Path

    plain = tmp_path / "mine"
    plain.write_text(Path(deals_file).read_text())
    run = VizRun(scenario_name=str(plain), seed=7)
    run.step()
    assert run.month == 1 and run.backend.is_scenario_file(str(plain))
